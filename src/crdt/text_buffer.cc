#include "text_buffer.h"

#include <cstring>
#include <new>
#include <stdexcept>

namespace conflux {

namespace {
// malloc hands out memory in 16-byte steps: with the 8-byte header, units
// taking a multiple of 16 bytes use all of a step, so rounding up to that
// costs nothing.
size_t round_capacity(size_t units, size_t unit_bytes) { return ((units * unit_bytes + 15) & ~size_t(15)) / unit_bytes; }

void* allocate_block(void* old, size_t bytes) {
  void* p = old ? std::realloc(old, bytes) : std::malloc(bytes);
  if (!p) throw std::bad_alloc();
  return p;
}

void widen_into(std::string_view latin1, char16_t* out) {
  for (unsigned char c : latin1) *out++ = char16_t(c);
}
}  // namespace

void TextView::append_to(std::u16string* out) const {
  if (wide_) {
    out->append(utf16());
    return;
  }
  const size_t before = out->size();
  out->resize(before + size_);
  widen_into(latin1(), out->data() + before);
}

bool operator==(const TextView& a, std::u16string_view b) {
  if (a.wide_) return a.utf16() == b;
  if (a.size_ != b.size()) return false;
  for (size_t i = 0; i < b.size(); ++i) {
    if (a[i] != b[i]) return false;
  }
  return true;
}

bool fits_latin1(std::u16string_view s) {
  char16_t high = 0;
  for (char16_t c : s) high |= c;
  return high < 0x100;
}

void TextBuffer::set_unit(size_t i, char16_t c) {
  if (!wide()) {
    if (c < 0x100) {
      latin1_data()[i] = char(c);
      return;
    }
    widen(0);
  }
  utf16_data()[i] = c;
}

void TextBuffer::append(TextView s) {
  if (s.empty()) return;
  const size_t n = s.size();
  if (!wide()) {
    if (!s.wide()) {
      std::memcpy(extend_latin1(n), s.latin1().data(), n);
      return;
    }
    if (fits_latin1(s.utf16())) {
      char* o = extend_latin1(n);
      for (char16_t c : s.utf16()) *o++ = char(c);
      return;
    }
    widen(n);
  }
  char16_t* o = extend_utf16(n);
  if (s.wide()) std::memcpy(o, s.utf16().data(), n * sizeof(char16_t));
  else widen_into(s.latin1(), o);
}

void TextBuffer::widen(size_t n) {
  const size_t size = this->size();
  TextBuffer wide;
  wide.word_ = kInline | kWide;
  widen_into(std::string_view(latin1_data(), size), wide.extend_utf16(size + n));
  wide.truncate(size);
  *this = std::move(wide);
}

void TextBuffer::erase_prefix(size_t n) {
  if (n == 0) return;
  const size_t rest = size() - n;
  if (wide()) std::memmove(utf16_data(), utf16_data() + n, rest * sizeof(char16_t));
  else std::memmove(latin1_data(), latin1_data() + n, rest);
  truncate(rest);
}

TextBuffer TextBuffer::split_off(size_t at) {
  TextBuffer tail(view().substr(at));
  truncate(at);
  // The units that needed UTF-16 may all have gone to the tail.
  if (wide() && fits_latin1(std::u16string_view(utf16_data(), at))) *this = TextBuffer(view());
  else shrink_to_fit();
  return tail;
}

void TextBuffer::shrink_to_fit() {
  if (is_inline()) return;
  Block* block = this->block();
  const size_t unit_bytes = wide() ? 2 : 1;
  if (block->size <= (wide() ? kInlineUtf16 : kInlineLatin1)) {
    const size_t size = block->size;
    word_ = kInline | (word_ & kWide);
    std::memcpy(wide() ? static_cast<void*>(inline_.utf16 + 1) : inline_.latin1 + 1, block + 1, size * unit_bytes);
    set_inline_size(size);
    std::free(block);
    return;
  }
  const size_t fit = round_capacity(block->size, unit_bytes);
  if (fit < block->capacity) {
    block = static_cast<Block*>(allocate_block(block, sizeof(Block) + fit * unit_bytes));
    block->capacity = uint32_t(fit);
    word_ = reinterpret_cast<uintptr_t>(block) | (word_ & kWide);
  }
}

void* TextBuffer::extend_into_new_block(size_t n) {
  const size_t unit_bytes = wide() ? 2 : 1;
  const size_t size = this->size();
  const size_t need = size + n;
  size_t capacity = need;
  if (!is_inline()) {
    const size_t grown = block()->capacity + block()->capacity / 2;
    if (grown > capacity) capacity = grown;
  }
  capacity = round_capacity(capacity, unit_bytes);
  // Lengths are 32-bit, as an item's are.
  if (capacity > UINT32_MAX) throw std::length_error("TextBuffer: too long");
  const size_t bytes = sizeof(Block) + capacity * unit_bytes;
  Block* block;
  if (is_inline()) {
    block = static_cast<Block*>(allocate_block(nullptr, bytes));
    std::memcpy(block + 1, wide() ? static_cast<void*>(inline_.utf16 + 1) : inline_.latin1 + 1, size * unit_bytes);
  } else {
    // realloc often grows a typed run in place (it is usually the last block).
    block = static_cast<Block*>(allocate_block(this->block(), bytes));
  }
  block->size = uint32_t(need);
  block->capacity = uint32_t(capacity);
  word_ = reinterpret_cast<uintptr_t>(block) | (word_ & kWide);
  return block->latin1() + size * unit_bytes;
}

}  // namespace conflux
