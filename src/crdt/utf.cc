#include "utf.h"

#include <algorithm>
#include <cstring>

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

namespace conflux::utf {

namespace {
// Decodes one code point at s[i]; returns bytes used (0 when invalid).
size_t decode(std::string_view s, size_t i, char32_t* cp) {
  unsigned char c = s[i];
  if (c < 0x80) {
    *cp = c;
    return 1;
  }
  size_t n;
  char32_t v, min;
  if ((c & 0xE0) == 0xC0) { n = 2; v = c & 0x1F; min = 0x80; }
  else if ((c & 0xF0) == 0xE0) { n = 3; v = c & 0x0F; min = 0x800; }
  else if ((c & 0xF8) == 0xF0) { n = 4; v = c & 0x07; min = 0x10000; }
  else return 0;
  if (i + n > s.size()) return 0;
  for (size_t k = 1; k < n; ++k) {
    unsigned char d = s[i + k];
    if ((d & 0xC0) != 0x80) return 0;
    v = (v << 6) | (d & 0x3F);
  }
  if (v < min || v > 0x10FFFF || (v >= 0xD800 && v <= 0xDFFF)) return 0;
  *cp = v;
  return n;
}
}  // namespace

bool valid_utf8(std::string_view s) {
  for (size_t i = 0; i < s.size();) {
    char32_t cp;
    size_t n = decode(s, i, &cp);
    if (n == 0) return false;
    i += n;
  }
  return true;
}

namespace {
// Room for `n` more units at the end of *out, returned for writing; then
// end_at() cuts *out where the writing stopped.
char16_t* extend(std::u16string* out, size_t n) {
  const size_t before = out->size();
  out->resize(before + n);
  return out->data() + before;
}
void end_at(std::u16string* out, const char16_t* end) { out->resize(size_t(end - out->data())); }
// A wide TextBuffer.
char16_t* extend(TextBuffer* out, size_t n) { return out->extend_utf16(n); }
void end_at(TextBuffer* out, const char16_t* end) { out->truncate(size_t(end - out->utf16_data())); }

// Appends to *out; stops at the first invalid sequence (returns false) when
// `strict`, otherwise writes U+FFFD for it.
template <class Out>
bool convert_to_utf16(std::string_view s, Out* out, bool strict) {
  if (s.empty()) return true;
  // Never more UTF-16 units than UTF-8 bytes.
  char16_t* o = extend(out, s.size());
  size_t i = 0;
  while (i < s.size()) {
    // Most text is ASCII: widen sixteen, or eight, bytes at a time while it lasts.
#if defined(__SSE2__)
    if (i + 16 <= s.size()) {
      __m128i bytes = _mm_loadu_si128(reinterpret_cast<const __m128i*>(s.data() + i));
      if (_mm_movemask_epi8(bytes) == 0) {
        __m128i zero = _mm_setzero_si128();
        _mm_storeu_si128(reinterpret_cast<__m128i*>(o), _mm_unpacklo_epi8(bytes, zero));
        _mm_storeu_si128(reinterpret_cast<__m128i*>(o + 8), _mm_unpackhi_epi8(bytes, zero));
        o += 16;
        i += 16;
        continue;
      }
    }
#endif
    if (i + 8 <= s.size()) {
      uint64_t word;
      std::memcpy(&word, s.data() + i, 8);
      if ((word & 0x8080808080808080u) == 0) {
        for (size_t k = 0; k < 8; ++k) o[k] = char16_t(static_cast<unsigned char>(s[i + k]));
        o += 8;
        i += 8;
        continue;
      }
    }
    unsigned char c = s[i];
    if (c < 0x80) {  // most text is ASCII: no decoding
      *o++ = char16_t(c);
      ++i;
      continue;
    }
    char32_t cp;
    size_t n = decode(s, i, &cp);
    if (n == 0) {
      if (strict) return false;
      *o++ = u'\uFFFD';
      ++i;
      continue;
    }
    i += n;
    if (cp >= 0x10000) {
      cp -= 0x10000;
      *o++ = char16_t(0xD800 + (cp >> 10));
      *o++ = char16_t(0xDC00 + (cp & 0x3FF));
    } else {
      *o++ = char16_t(cp);
    }
  }
  end_at(out, o);
  return true;
}
}  // namespace

std::u16string to_utf16(std::string_view s) {
  std::u16string out;
  convert_to_utf16(s, &out, false);
  return out;
}

namespace {
// Appends to *out: one byte a unit while out is Latin-1 and the code points
// are below 0x100, then (from the first that is not) UTF-16. Invalid input
// as in convert_to_utf16.
bool convert_to_text(std::string_view s, TextBuffer* out, bool strict) {
  if (s.empty()) return true;
  if (out->wide()) return convert_to_utf16(s, out, strict);
  const size_t before = out->size();
  // Never more units than bytes.
  char* const start = out->extend_latin1(s.size());
  char* o = start;
  size_t i = 0;
  while (i < s.size()) {
    // Most text is ASCII: copy sixteen, or eight, bytes at a time while it lasts.
#if defined(__SSE2__)
    if (i + 16 <= s.size()) {
      __m128i bytes = _mm_loadu_si128(reinterpret_cast<const __m128i*>(s.data() + i));
      if (_mm_movemask_epi8(bytes) == 0) {
        _mm_storeu_si128(reinterpret_cast<__m128i*>(o), bytes);
        o += 16;
        i += 16;
        continue;
      }
    }
#endif
    if (i + 8 <= s.size()) {
      uint64_t word;
      std::memcpy(&word, s.data() + i, 8);
      if ((word & 0x8080808080808080u) == 0) {
        std::memcpy(o, &word, 8);
        o += 8;
        i += 8;
        continue;
      }
    }
    const unsigned char c = s[i];
    if (c < 0x80) {
      *o++ = char(c);
      ++i;
      continue;
    }
    // U+0080..U+00FF: C2 or C3 and a continuation byte.
    if ((c == 0xC2 || c == 0xC3) && i + 1 < s.size() && (static_cast<unsigned char>(s[i + 1]) & 0xC0) == 0x80) {
      *o++ = char((c & 0x1F) << 6 | (static_cast<unsigned char>(s[i + 1]) & 0x3F));
      i += 2;
      continue;
    }
    break;  // a unit of UTF-16 (or invalid input)
  }
  out->truncate(before + size_t(o - start));
  if (i == s.size()) return true;
  out->widen(s.size() - i);
  return convert_to_utf16(s.substr(i), out, strict);
}
}  // namespace

TextBuffer to_text_buffer(std::string_view s) {
  TextBuffer out;
  convert_to_text(s, &out, false);
  out.shrink_to_fit();  // non-ASCII text takes fewer units than bytes
  return out;
}

bool valid_utf8_to_utf16(std::string_view s, std::u16string* out) {
  out->clear();
  return convert_to_utf16(s, out, true);
}

bool valid_utf8_to_text(std::string_view s, TextBuffer* out) {
  *out = TextBuffer();
  if (!convert_to_text(s, out, true)) return false;
  out->shrink_to_fit();
  return true;
}

size_t append_text_converting(std::string_view s, TextBuffer* out) {
  // A few characters, most often ASCII: append them as they are.
  if (s.size() <= 4) {
    bool ascii = true;
    for (char c : s) ascii &= static_cast<unsigned char>(c) < 0x80;
    if (ascii) {
      for (char c : s) out->push_back(char16_t(static_cast<unsigned char>(c)));
      return s.size();
    }
  }
  size_t before = out->size();
  convert_to_text(s, out, false);
  return out->size() - before;
}

namespace {
// Upper bound of the UTF-8 size of `s`: exact for the BMP; a surrogate pair is
// counted six bytes and takes four.
size_t utf8_bound(std::u16string_view s) {
  size_t bytes = 0;
  for (char16_t c : s) bytes += c < 0x80 ? 1 : c < 0x800 ? 2 : 3;
  return bytes;
}

char* write_code_point(char32_t cp, char* o) {
  if (cp < 0x80) {
    *o++ = char(cp);
  } else if (cp < 0x800) {
    *o++ = char(0xC0 | (cp >> 6));
    *o++ = char(0x80 | (cp & 0x3F));
  } else if (cp < 0x10000) {
    *o++ = char(0xE0 | (cp >> 12));
    *o++ = char(0x80 | ((cp >> 6) & 0x3F));
    *o++ = char(0x80 | (cp & 0x3F));
  } else {
    *o++ = char(0xF0 | (cp >> 18));
    *o++ = char(0x80 | ((cp >> 12) & 0x3F));
    *o++ = char(0x80 | ((cp >> 6) & 0x3F));
    *o++ = char(0x80 | (cp & 0x3F));
  }
  return o;
}

// Writes `s` at `o` (room for utf8_bound(s) bytes); returns the end.
char* write_utf8(std::u16string_view s, char* o) {
  for (size_t i = 0; i < s.size(); ++i) {
#if defined(__SSE2__)
    // ASCII runs: eight units at a time...
    while (i + 8 <= s.size()) {
      __m128i units = _mm_loadu_si128(reinterpret_cast<const __m128i*>(s.data() + i));
      __m128i high = _mm_and_si128(units, _mm_set1_epi16(static_cast<short>(0xFF80)));
      if (_mm_movemask_epi8(_mm_cmpeq_epi16(high, _mm_setzero_si128())) != 0xFFFF) break;
      _mm_storel_epi64(reinterpret_cast<__m128i*>(o), _mm_packus_epi16(units, units));
      o += 8;
      i += 8;
    }
#endif
    // ...and four.
    while (i + 4 <= s.size()) {
      uint64_t word;
      std::memcpy(&word, s.data() + i, 8);
      if (word & 0xFF80FF80FF80FF80u) break;
      for (size_t k = 0; k < 4; ++k) o[k] = char(s[i + k]);
      o += 4;
      i += 4;
    }
    if (i == s.size()) break;
    char32_t cp = s[i];
    if (cp < 0x80) {
      *o++ = char(cp);
      continue;
    }
    if (is_high_surrogate(s[i]) && i + 1 < s.size() && is_low_surrogate(s[i + 1])) {
      cp = 0x10000 + ((char32_t(s[i]) - 0xD800) << 10) + (char32_t(s[i + 1]) - 0xDC00);
      ++i;
    } else if (is_high_surrogate(s[i]) || is_low_surrogate(s[i])) {
      cp = 0xFFFD;
    }
    o = write_code_point(cp, o);
  }
  return o;
}

// The UTF-8 size of Latin-1 text: two bytes for each unit from 0x80.
size_t utf8_size(std::string_view latin1) {
  size_t bytes = latin1.size();
  for (unsigned char c : latin1) bytes += c >> 7;
  return bytes;
}

// Writes `s` at `o` (room for utf8_size(s) bytes); returns the end.
char* write_utf8(std::string_view s, char* o) {
  for (size_t i = 0; i < s.size();) {
    // ASCII runs: eight bytes at a time.
    if (i + 8 <= s.size()) {
      uint64_t word;
      std::memcpy(&word, s.data() + i, 8);
      if ((word & 0x8080808080808080u) == 0) {
        std::memcpy(o, &word, 8);
        o += 8;
        i += 8;
        continue;
      }
    }
    const unsigned char c = s[i++];
    if (c < 0x80) {
      *o++ = char(c);
    } else {
      *o++ = char(0xC0 | c >> 6);
      *o++ = char(0x80 | (c & 0x3F));
    }
  }
  return o;
}
}  // namespace

std::string to_utf8(TextView s) {
  if (s.wide()) return to_utf8(s.utf16());
  std::string out(utf8_size(s.latin1()), '\0');
  write_utf8(s.latin1(), out.data());
  return out;
}

std::string to_utf8(std::u16string_view s) {
  std::string out(utf8_bound(s), '\0');
  out.resize(size_t(write_utf8(s, out.data()) - out.data()));
  return out;
}

Utf8Appender::Utf8Appender(std::string* out, size_t expected) : out_(out), used_(out->size()) {
  out_->resize(used_ + expected);
}

void Utf8Appender::append(std::u16string_view s) {
  if (s.empty()) return;
  char32_t first = 0;  // a code point completed or ended by the previous piece
  if (high_) {
    first = is_low_surrogate(s[0]) ? 0x10000 + ((char32_t(high_) - 0xD800) << 10) + (char32_t(s[0]) - 0xDC00) : 0xFFFD;
    if (is_low_surrogate(s[0])) s.remove_prefix(1);
    high_ = 0;
  }
  if (!s.empty() && is_high_surrogate(s.back())) {
    high_ = s.back();
    s.remove_suffix(1);
  }
  // Room for `first` and three bytes a unit; counted exactly only when that
  // bound does not fit (near the end of a well sized string). The string grows
  // geometrically, its tail is cut in finish().
  if (used_ + 4 + 3 * s.size() > out_->size()) {
    size_t need = used_ + 4 + utf8_bound(s);
    if (need > out_->size()) out_->resize(std::max(need, 2 * out_->size()));
  }
  char* o = out_->data() + used_;
  if (first) o = write_code_point(first, o);
  used_ = size_t(write_utf8(s, o) - out_->data());
}

void Utf8Appender::append(TextView s) {
  if (s.wide()) return append(s.utf16());
  if (s.empty()) return;
  // Latin-1 holds no surrogates: a high one before it stands alone.
  if (used_ + 3 + 2 * s.size() > out_->size()) {
    size_t need = used_ + 3 + utf8_size(s.latin1());
    if (need > out_->size()) out_->resize(std::max(need, 2 * out_->size()));
  }
  char* o = out_->data() + used_;
  if (high_) {
    o = write_code_point(0xFFFD, o);
    high_ = 0;
  }
  used_ = size_t(write_utf8(s.latin1(), o) - out_->data());
}

void Utf8Appender::finish() {
  if (high_) {
    if (used_ + 3 > out_->size()) out_->resize(used_ + 3);
    used_ = size_t(write_code_point(0xFFFD, out_->data() + used_) - out_->data());
    high_ = 0;
  }
  out_->resize(used_);
}

size_t utf16_length(std::string_view s) { return to_utf16(s).size(); }

size_t utf16_offset_of_code_point(std::u16string_view s, size_t cps) {
  size_t i = 0;
  for (size_t c = 0; c < cps && i < s.size(); ++c) {
    i += (is_high_surrogate(s[i]) && i + 1 < s.size() && is_low_surrogate(s[i + 1])) ? 2 : 1;
  }
  return i;
}

size_t utf16_offset_of_utf8_byte(std::u16string_view s, size_t bytes) {
  size_t i = 0, b = 0;
  while (i < s.size() && b < bytes) {
    if (is_high_surrogate(s[i]) && i + 1 < s.size() && is_low_surrogate(s[i + 1])) {
      b += 4;
      i += 2;
    } else {
      char16_t c = s[i];
      b += c < 0x80 ? 1 : c < 0x800 ? 2 : 3;
      ++i;
    }
  }
  return i;
}

size_t code_points_in(std::u16string_view s) {
  size_t n = 0;
  for (size_t i = 0; i < s.size(); ++n) {
    i += (is_high_surrogate(s[i]) && i + 1 < s.size() && is_low_surrogate(s[i + 1])) ? 2 : 1;
  }
  return n;
}

}  // namespace conflux::utf
