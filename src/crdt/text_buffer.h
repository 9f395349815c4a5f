// The text of one String content, held one byte a unit while every unit is
// below 0x100 (Latin-1) and as UTF-16 from the first unit that is not.
//
// Yjs counts text in UTF-16 units, and so do positions here; a Latin-1 unit
// is one UTF-16 unit, so the width changes memory only: most text is ASCII
// and takes half as much. A document holds one buffer per run of text, so a
// buffer is one word: up to 7 Latin-1 or 3 UTF-16 units in place, else a
// pointer to a heap block holding the length, the capacity and the units.
// Blocks are allocated to fit when loaded, decoded or cut; only appends
// (typing) leave room, growing geometrically.
#pragma once

#include <bit>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>
#include <utility>

namespace conflux {

// A read-only view of text: Latin-1 bytes or UTF-16 units, indexed in UTF-16
// units either way.
class TextView {
 public:
  TextView() = default;
  TextView(std::u16string_view utf16) : data_(utf16.data()), size_(utf16.size()), wide_(true) {}
  static TextView of_latin1(std::string_view latin1) {
    TextView v;
    v.data_ = latin1.data();
    v.size_ = latin1.size();
    return v;
  }

  size_t size() const { return size_; }
  bool empty() const { return size_ == 0; }
  // UTF-16 units, else Latin-1 bytes.
  bool wide() const { return wide_; }
  std::string_view latin1() const { return std::string_view(static_cast<const char*>(data_), size_); }
  std::u16string_view utf16() const { return std::u16string_view(static_cast<const char16_t*>(data_), size_); }
  char16_t operator[](size_t i) const {
    return wide_ ? static_cast<const char16_t*>(data_)[i] : char16_t(static_cast<const unsigned char*>(data_)[i]);
  }
  TextView substr(size_t pos) const {
    TextView v = *this;
    v.data_ = static_cast<const char*>(data_) + (wide_ ? 2 * pos : pos);
    v.size_ = size_ - pos;
    return v;
  }
  void append_to(std::u16string* out) const;
  std::u16string to_u16string() const {
    std::u16string s;
    append_to(&s);
    return s;
  }
  friend bool operator==(const TextView& a, std::u16string_view b);

 private:
  const void* data_ = nullptr;
  size_t size_ = 0;
  bool wide_ = false;
};

// True when every unit is below 0x100.
bool fits_latin1(std::u16string_view s);

class TextBuffer {
 public:
  // Units held without a heap block: most runs of a typical document's text
  // are this short.
  static constexpr size_t kInlineLatin1 = 7;
  static constexpr size_t kInlineUtf16 = 3;

  TextBuffer() : word_(kInline) {}
  // Latin-1 when every unit of `s` is below 0x100.
  explicit TextBuffer(TextView s) : word_(kInline) { append(s); }
  TextBuffer(TextBuffer&& o) noexcept : word_(o.word_) { o.word_ = kInline; }
  TextBuffer& operator=(TextBuffer&& o) noexcept {
    TextBuffer moved(std::move(o));
    std::swap(word_, moved.word_);
    return *this;
  }
  TextBuffer(const TextBuffer&) = delete;
  TextBuffer& operator=(const TextBuffer&) = delete;
  ~TextBuffer() {
    if (!is_inline()) std::free(block());
  }

  size_t size() const { return is_inline() ? tag() >> 2 : block()->size; }
  bool empty() const { return size() == 0; }
  // UTF-16 units, else Latin-1 bytes.
  bool wide() const { return word_ & kWide; }
  size_t capacity() const {
    return is_inline() ? (wide() ? kInlineUtf16 : kInlineLatin1) : block()->capacity;
  }
  TextView view() const {
    return wide() ? TextView(std::u16string_view(utf16_data(), size()))
                  : TextView::of_latin1(std::string_view(latin1_data(), size()));
  }
  char16_t operator[](size_t i) const {
    return wide() ? utf16_data()[i] : char16_t(static_cast<unsigned char>(latin1_data()[i]));
  }
  // Only while !wide() / wide().
  char* latin1_data() { return is_inline() ? inline_.latin1 + 1 : block()->latin1(); }
  const char* latin1_data() const { return const_cast<TextBuffer*>(this)->latin1_data(); }
  char16_t* utf16_data() { return is_inline() ? inline_.utf16 + 1 : block()->utf16(); }
  const char16_t* utf16_data() const { return const_cast<TextBuffer*>(this)->utf16_data(); }

  void set_unit(size_t i, char16_t c);
  void push_back(char16_t c) {
    if (!wide()) {
      if (c < 0x100) {
        *extend_latin1(1) = char(c);
        return;
      }
      widen(1);
    }
    *extend_utf16(1) = c;
  }
  void append(TextView s);
  // Make the buffer `n` units longer and return the first of them, not yet
  // written (for converters that write in place, then truncate()). Only
  // while !wide() / wide().
  char* extend_latin1(size_t n) {
    if (is_inline()) {
      const size_t size = tag() >> 2;
      if (kInlineLatin1 - size >= n) {
        set_inline_size(size + n);
        return inline_.latin1 + 1 + size;
      }
    } else if (Block* b = block(); b->capacity - b->size >= n) {
      char* at = b->latin1() + b->size;
      b->size += uint32_t(n);
      return at;
    }
    return static_cast<char*>(extend_into_new_block(n));
  }
  char16_t* extend_utf16(size_t n) {
    if (is_inline()) {
      const size_t size = tag() >> 2;
      if (kInlineUtf16 - size >= n) {
        set_inline_size(size + n);
        return inline_.utf16 + 1 + size;
      }
    } else if (Block* b = block(); b->capacity - b->size >= n) {
      char16_t* at = b->utf16() + b->size;
      b->size += uint32_t(n);
      return at;
    }
    return static_cast<char16_t*>(extend_into_new_block(n));
  }
  // Turns Latin-1 units into UTF-16 ones, with room for `n` more units
  // past size(). Only while !wide().
  void widen(size_t n);
  // Keeps the first `n` units (n <= size()); the capacity stays.
  void truncate(size_t n) {
    if (is_inline()) set_inline_size(n);
    else block()->size = uint32_t(n);
  }
  // Drops the first `n` units (n <= size()).
  void erase_prefix(size_t n);
  // Cuts the buffer at `at` (<= size()): returns the units from there on,
  // allocated to fit, and keeps the rest, its room given back. Either part
  // is Latin-1 when it can be.
  TextBuffer split_off(size_t at);
  // Gives back the room past size().
  void shrink_to_fit();

 private:
  struct Block {
    uint32_t size;
    uint32_t capacity;  // units
    char* latin1() { return reinterpret_cast<char*>(this + 1); }
    char16_t* utf16() { return reinterpret_cast<char16_t*>(this + 1); }
  };
  // The low bits of the word: a block's address is a multiple of 16, so the
  // flags fit under it; inline, the low byte (the tag) also holds the size
  // above them and the units follow it.
  static constexpr uintptr_t kInline = 1;
  static constexpr uintptr_t kWide = 2;
  static constexpr uintptr_t kFlags = kInline | kWide;
  union {
    uintptr_t word_;
    union {
      char latin1[8];
      char16_t utf16[4];
    } inline_;
  };
  static_assert(sizeof(uintptr_t) == 8 && sizeof(inline_) == 8);
  static_assert(std::endian::native == std::endian::little, "the tag is the word's low byte");

  bool is_inline() const { return word_ & kInline; }
  uint8_t tag() const { return uint8_t(word_); }
  Block* block() const { return reinterpret_cast<Block*>(word_ & ~kFlags); }
  // While inline.
  void set_inline_size(size_t n) { inline_.latin1[0] = char(n << 2 | (word_ & kFlags)); }
  // extend_*() past the capacity: the units move to a block with room for
  // at least `n` more, exactly that from inline, otherwise half as much
  // again as now at least. Returns where the new units go.
  void* extend_into_new_block(size_t n);
};

}  // namespace conflux
