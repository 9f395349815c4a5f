// UTF-8 / UTF-16 conversions with JavaScript's rules.
//
// Yjs counts text in UTF-16 code units; hosts mostly hold UTF-8. A lone
// surrogate cannot be expressed in UTF-8 and becomes U+FFFD, as TextEncoder does.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "text_buffer.h"

namespace conflux::utf {

// False on any invalid UTF-8 (overlongs, surrogates, > U+10FFFF, truncation).
bool valid_utf8(std::string_view s);
// Assumes valid UTF-8 (invalid sequences become U+FFFD).
std::u16string to_utf16(std::string_view utf8);
// to_utf16 into a TextBuffer (Latin-1 when it can be), allocated to fit.
TextBuffer to_text_buffer(std::string_view utf8);
// Appends to_utf16(utf8) to *out; returns the number of units appended.
size_t append_text_converting(std::string_view utf8, TextBuffer* out);
// The same, with a keystroke's one ASCII character appended inline (the
// most frequent edit of all: see continue_typing in text_ops.cc).
inline size_t append_text(std::string_view utf8, TextBuffer* out) {
  if (utf8.size() == 1 && static_cast<unsigned char>(utf8[0]) < 0x80) {
    out->push_back(char16_t(utf8[0]));
    return 1;
  }
  return append_text_converting(utf8, out);
}
// Converts valid UTF-8 into *out; false (and *out unspecified) on invalid input.
bool valid_utf8_to_utf16(std::string_view utf8, std::u16string* out);
// The same into a TextBuffer (Latin-1 when it can be), allocated to fit.
bool valid_utf8_to_text(std::string_view utf8, TextBuffer* out);
// Lone surrogates become U+FFFD.
std::string to_utf8(std::u16string_view utf16);
std::string to_utf8(TextView text);

// Converts pieces of one UTF-16 text, appending to *out what to_utf8 of
// their concatenation gives: a pair split between two pieces is one code point.
class Utf8Appender {
 public:
  // `expected`: the bytes to make room for at once (*out holds garbage past
  // what is appended until finish()).
  Utf8Appender(std::string* out, size_t expected);
  void append(std::u16string_view piece);
  void append(TextView piece);
  // After the last piece.
  void finish();

 private:
  std::string* out_;
  size_t used_;        // bytes of *out_ written
  char16_t high_ = 0;  // a high surrogate ending the last piece
};
// Number of UTF-16 code units the UTF-8 text takes.
size_t utf16_length(std::string_view utf8);

inline bool is_high_surrogate(char16_t c) { return c >= 0xD800 && c <= 0xDBFF; }
inline bool is_low_surrogate(char16_t c) { return c >= 0xDC00 && c <= 0xDFFF; }

// Position conversions within one string. Offsets past the end clamp to the end.
size_t utf16_offset_of_code_point(std::u16string_view s, size_t code_points);
size_t utf16_offset_of_utf8_byte(std::u16string_view s, size_t utf8_bytes);
size_t code_points_in(std::u16string_view s);

}  // namespace conflux::utf
