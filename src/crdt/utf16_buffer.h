// The UTF-16 text of one String content: a single pointer to a heap block
// that holds the length, the capacity and the units.
//
// A document holds one per run of text, and std::u16string is four times the
// size of a pointer. The shortest strings sit in the pointer's place. Longer
// ones that are loaded, decoded or cut are allocated to fit; only appends
// (typing) leave room, growing geometrically.
#pragma once

#include <bit>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>
#include <utility>

namespace conflux {

class Utf16Buffer {
 public:
  // Units held without a heap block: a third of the strings of a typical
  // document's runs are this short.
  static constexpr size_t kInlineCapacity = 3;

  Utf16Buffer() { make_empty(); }
  explicit Utf16Buffer(std::u16string_view s);
  Utf16Buffer(Utf16Buffer&& o) noexcept : s_(o.s_) { o.make_empty(); }
  Utf16Buffer& operator=(Utf16Buffer&& o) noexcept {
    Utf16Buffer moved(std::move(o));
    std::swap(s_, moved.s_);
    return *this;
  }
  Utf16Buffer(const Utf16Buffer&) = delete;
  Utf16Buffer& operator=(const Utf16Buffer&) = delete;
  ~Utf16Buffer() {
    if (!is_inline()) std::free(s_.block);
  }

  size_t size() const { return is_inline() ? s_.small.tag >> 1 : s_.block->size; }
  bool empty() const { return size() == 0; }
  size_t capacity() const { return is_inline() ? kInlineCapacity : s_.block->capacity; }
  char16_t* data() { return is_inline() ? s_.small.units : s_.block->units(); }
  const char16_t* data() const { return is_inline() ? s_.small.units : s_.block->units(); }
  std::u16string_view view() const { return std::u16string_view(data(), size()); }
  char16_t& operator[](size_t i) { return data()[i]; }
  char16_t operator[](size_t i) const { return data()[i]; }

  void push_back(char16_t c) { *extend(1) = c; }
  void append(std::u16string_view s);
  // Makes the buffer `n` units longer and returns the first of them, not
  // yet written (for converters that write in place, then truncate()).
  char16_t* extend(size_t n) {
    if (is_inline()) {
      const size_t size = s_.small.tag >> 1;
      if (kInlineCapacity - size >= n) {
        set_inline_size(size + n);
        return s_.small.units + size;
      }
    } else if (s_.block->capacity - s_.block->size >= n) {
      char16_t* at = s_.block->units() + s_.block->size;
      s_.block->size += uint32_t(n);
      return at;
    }
    return extend_into_new_block(n);
  }
  // Keeps the first `n` units (n <= size()); the capacity stays.
  void truncate(size_t n) {
    if (is_inline()) set_inline_size(n);
    else s_.block->size = uint32_t(n);
  }
  // Drops the first `n` units (n <= size()).
  void erase_prefix(size_t n);
  // Cuts the buffer at `at` (<= size()): returns the units from there on,
  // allocated to fit, and keeps the rest, its room given back.
  Utf16Buffer split_off(size_t at);
  // Gives back the room past size().
  void shrink_to_fit();

 private:
  struct Block {
    uint32_t size;
    uint32_t capacity;
    char16_t* units() { return reinterpret_cast<char16_t*>(this + 1); }
  };
  struct Inline {
    // size << 1 | 1, in the low byte of a block's address, which is even.
    uint8_t tag;
    uint8_t unused;
    char16_t units[kInlineCapacity];
  };
  union Storage {
    Block* block;
    Inline small;
  };
  static_assert(sizeof(Storage) == sizeof(Block*));
  static_assert(std::endian::native == std::endian::little, "the tag overlays an address's low byte");

  bool is_inline() const { return s_.small.tag & 1; }
  void make_empty() { s_.small = Inline{1, 0, {}}; }
  // While inline.
  void set_inline_size(size_t n) { s_.small.tag = uint8_t(n << 1 | 1); }
  // extend() past the capacity: the units move to a block with room for
  // at least `n` more, exactly that from inline, otherwise half as much
  // again as now at least.
  char16_t* extend_into_new_block(size_t n);

  Storage s_;
};
}  // namespace conflux
