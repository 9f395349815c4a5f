#include "utf16_buffer.h"

#include <cstring>
#include <new>
#include <stdexcept>

namespace conflux {

namespace {
// malloc hands out memory in 16-byte steps: with the 8-byte header, a
// capacity of a multiple of 8 units uses all of a step, so rounding up to
// one costs nothing.
size_t round_capacity(size_t units) { return (units + 7) & ~size_t(7); }

void* allocate_block(void* old, size_t bytes) {
  void* p = old ? std::realloc(old, bytes) : std::malloc(bytes);
  if (!p) throw std::bad_alloc();
  return p;
}
}  // namespace

Utf16Buffer::Utf16Buffer(std::u16string_view s) {
  make_empty();
  append(s);
}

void Utf16Buffer::append(std::u16string_view s) {
  if (s.empty()) return;
  std::memcpy(extend(s.size()), s.data(), s.size() * sizeof(char16_t));
}

void Utf16Buffer::erase_prefix(size_t n) {
  if (n == 0) return;
  const size_t rest = size() - n;
  std::memmove(data(), data() + n, rest * sizeof(char16_t));
  truncate(rest);
}

Utf16Buffer Utf16Buffer::split_off(size_t at) {
  Utf16Buffer tail(view().substr(at));
  truncate(at);
  shrink_to_fit();
  return tail;
}

void Utf16Buffer::shrink_to_fit() {
  if (is_inline()) return;
  Block* block = s_.block;
  if (block->size <= kInlineCapacity) {
    const size_t size = block->size;
    make_empty();
    std::memcpy(s_.small.units, block->units(), size * sizeof(char16_t));
    set_inline_size(size);
    std::free(block);
    return;
  }
  const size_t fit = round_capacity(block->size);
  if (fit < block->capacity) {
    s_.block = static_cast<Block*>(allocate_block(block, sizeof(Block) + fit * sizeof(char16_t)));
    s_.block->capacity = uint32_t(fit);
  }
}

char16_t* Utf16Buffer::extend_into_new_block(size_t n) {
  const size_t size = this->size();
  const size_t need = size + n;
  size_t capacity = need;
  if (!is_inline()) {
    const size_t grown = s_.block->capacity + s_.block->capacity / 2;
    if (grown > capacity) capacity = grown;
  }
  capacity = round_capacity(capacity);
  // Lengths are 32-bit, as an item's are.
  if (capacity > UINT32_MAX) throw std::length_error("Utf16Buffer: too long");
  const size_t bytes = sizeof(Block) + capacity * sizeof(char16_t);
  Block* block;
  if (is_inline()) {
    block = static_cast<Block*>(allocate_block(nullptr, bytes));
    std::memcpy(block->units(), s_.small.units, size * sizeof(char16_t));
  } else {
    // realloc often grows a typed run in place (it is usually the last block).
    block = static_cast<Block*>(allocate_block(s_.block, bytes));
  }
  block->size = uint32_t(need);
  block->capacity = uint32_t(capacity);
  s_.block = block;
  return block->units() + size;
}

}  // namespace conflux
