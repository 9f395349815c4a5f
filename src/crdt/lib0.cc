#include "lib0.h"

#include <algorithm>
#include <bit>
#include <cmath>
#include <cstring>

#include "utf.h"

namespace conflux::lib0 {

void Writer::grow(size_t n) {
  buf_.resize(std::max({size_t(64), buf_.size() * 2, len_ + n}));
}

void Writer::write_long_var_uint(uint64_t v) {
  // Room for the longest varint first, then count only what was written.
  if (buf_.size() - len_ < 10) grow(10);
  uint8_t* p = buf_.data() + len_;
  // Two and three bytes (clocks, lengths) without the loop.
  if (v < (uint64_t(1) << 14)) {
    p[0] = uint8_t(v | 0x80);
    p[1] = uint8_t(v >> 7);
    len_ += 2;
    return;
  }
  if (v < (uint64_t(1) << 21)) {
    p[0] = uint8_t(v | 0x80);
    p[1] = uint8_t((v >> 7) | 0x80);
    p[2] = uint8_t(v >> 14);
    len_ += 3;
    return;
  }
  uint8_t* start = p;
  while (v > 0x7f) {
    *p++ = uint8_t(v | 0x80);
    v >>= 7;
  }
  *p++ = uint8_t(v);
  len_ += size_t(p - start);
}

void Writer::write_repeated_var_uint(uint64_t v) {
  struct Memo {
    uint64_t value = 0;
    uint8_t bytes[10] = {0};
    size_t n = 1;
  };
  thread_local Memo memo;
  if (v != memo.value) {
    memo.value = v;
    memo.n = 0;
    while (v > 0x7f) {
      memo.bytes[memo.n++] = uint8_t(v | 0x80);
      v >>= 7;
    }
    memo.bytes[memo.n++] = uint8_t(v);
  }
  // All ten bytes are copied (a fixed-size copy is two moves), `n` counted.
  if (buf_.size() - len_ < sizeof memo.bytes) grow(sizeof memo.bytes);
  std::memcpy(buf_.data() + len_, memo.bytes, sizeof memo.bytes);
  len_ += memo.n;
}

void Writer::write_var_int(uint64_t mag, bool negative) {
  write_u8(uint8_t((mag > 0x3f ? 0x80 : 0) | (negative ? 0x40 : 0) | (mag & 0x3f)));
  mag >>= 6;
  while (mag > 0) {
    write_u8(uint8_t((mag > 0x7f ? 0x80 : 0) | (mag & 0x7f)));
    mag >>= 7;
  }
}

void Writer::write_f32(float v) {
  uint32_t b = std::bit_cast<uint32_t>(v);
  uint8_t* p = room(4);
  for (int i = 3; i >= 0; --i) *p++ = uint8_t(b >> (i * 8));
}
void Writer::write_f64(double v) {
  uint64_t b = std::bit_cast<uint64_t>(v);
  uint8_t* p = room(8);
  for (int i = 7; i >= 0; --i) *p++ = uint8_t(b >> (i * 8));
}
void Writer::write_bigint64(int64_t v) {
  uint64_t b = uint64_t(v);
  uint8_t* p = room(8);
  for (int i = 7; i >= 0; --i) *p++ = uint8_t(b >> (i * 8));
}

void Writer::write_var_string(std::string_view s) {
  write_var_uint(s.size());
  write_raw(reinterpret_cast<const uint8_t*>(s.data()), s.size());
}
void Writer::write_var_string(std::u16string_view s) {
  // Most text is ASCII: then the UTF-8 bytes are the code units themselves.
  bool ascii = true;
  for (char16_t c : s) {
    if (c >= 0x80) {
      ascii = false;
      break;
    }
  }
  if (!ascii) return write_var_string(utf::to_utf8(s));
  write_var_uint(s.size());
  uint8_t* p = room(s.size());
  for (char16_t c : s) *p++ = uint8_t(c);
}

void Writer::write_var_string(TextView s) {
  if (s.wide()) return write_var_string(s.utf16());
  const std::string_view latin1 = s.latin1();
  bool ascii = true;
  for (unsigned char c : latin1) {
    if (c >= 0x80) {
      ascii = false;
      break;
    }
  }
  // Most text is ASCII: then the UTF-8 bytes are the Latin-1 ones.
  if (ascii) {
    write_var_uint(latin1.size());
    // Mostly a keystroke's character or a few: cheaper copied here than by memcpy.
    if (latin1.size() <= 8) {
      uint8_t* p = room(latin1.size());
      for (char c : latin1) *p++ = uint8_t(c);
    } else {
      write_raw(reinterpret_cast<const uint8_t*>(latin1.data()), latin1.size());
    }
    return;
  }
  // Written in place rather than through a converted copy: each unit from
  // 0x80 is two bytes.
  size_t from_0x80 = 0;  // units taking two UTF-8 bytes
  for (unsigned char c : latin1) from_0x80 += c >> 7;
  write_var_uint(latin1.size() + from_0x80);
  uint8_t* p = room(latin1.size() + from_0x80);
  for (unsigned char c : latin1) {
    if (c < 0x80) {
      *p++ = c;
    } else {
      *p++ = uint8_t(0xC0 | c >> 6);
      *p++ = uint8_t(0x80 | (c & 0x3F));
    }
  }
}

void Writer::write_any(const Any& v) {
  switch (v.kind()) {
    case Any::Kind::Undefined:
      write_u8(127);
      break;
    case Any::Kind::Null:
      write_u8(126);
      break;
    case Any::Kind::Bool:
      write_u8(v.as_bool() ? 120 : 121);
      break;
    case Any::Kind::Number: {
      double d = v.as_number();
      if (std::isfinite(d) && d == std::trunc(d) && std::fabs(d) <= 2147483647.0) {
        write_u8(125);
        write_var_int(uint64_t(std::fabs(d)), std::signbit(d));
      } else if (std::isnan(d) || double(float(d)) != d) {
        write_u8(123);
        write_f64(d);
      } else {
        write_u8(124);
        write_f32(float(d));
      }
      break;
    }
    case Any::Kind::BigInt:
      write_u8(122);
      write_bigint64(v.as_bigint());
      break;
    case Any::Kind::String:
      write_u8(119);
      write_var_string(std::string_view(v.as_string()));
      break;
    case Any::Kind::Object:
      write_u8(118);
      write_var_uint(v.as_object().size());
      for (const auto& [k, e] : v.as_object()) {
        write_var_string(std::string_view(k));
        write_any(e);
      }
      break;
    case Any::Kind::Array:
      write_u8(117);
      write_var_uint(v.as_array().size());
      for (const Any& e : v.as_array()) write_any(e);
      break;
    case Any::Kind::Bytes:
      write_u8(116);
      write_var_bytes(v.as_bytes());
      break;
  }
}

uint64_t Reader::read_and_memo_var_uint() {
  const uint8_t* start = p_;
  uint64_t v = read_var_uint();
  size_t len = size_t(p_ - start);
  if (!ok() || len >= 8) return v;
  // The first `len` bytes in memory are the low bytes of a loaded word on a
  // little-endian machine, the high ones on a big-endian one.
  uint64_t bytes = 0;
  std::memcpy(&bytes, start, len);
  uint64_t low = (uint64_t(1) << (8 * len)) - 1;
  memo_mask_ = std::endian::native == std::endian::little ? low : ~(~uint64_t(0) >> (8 * len));
  memo_bytes_ = bytes;
  memo_len_ = len;
  memo_value_ = v;
  return v;
}

uint64_t Reader::read_long_var_uint() {
  // Up to eight bytes (any safe integer but the largest) with the input known
  // to be long enough: no bounds check per byte. Client ids take five.
  if (end_ - p_ >= 8) {
    const uint8_t* p = p_;
    uint64_t v = 0;
    for (int shift = 0; shift < 56; shift += 7) {
      uint8_t b = *p++;
      v |= uint64_t(b & 0x7f) << shift;
      if (!(b & 0x80)) {
        if (v > kMaxSafeInteger) break;
        p_ = p;
        return v;
      }
    }
  }
  uint64_t v = 0;
  for (int shift = 0; shift < 64; shift += 7) {
    if (p_ >= end_) {
      fail("unexpected end of data");
      return 0;
    }
    uint8_t b = *p_++;
    if (shift == 63 && (b & 0x7e)) break;
    v |= uint64_t(b & 0x7f) << shift;
    if (!(b & 0x80)) {
      if (v > kMaxSafeInteger) break;
      return v;
    }
  }
  fail("integer out of range");
  return 0;
}

VarInt Reader::read_var_int() {
  VarInt r;
  uint8_t b = read_u8();
  if (!ok()) return r;
  r.negative = b & 0x40;
  uint64_t v = b & 0x3f;
  int shift = 6;
  while (b & 0x80) {
    b = read_u8();
    if (!ok()) return VarInt{};
    if (shift > 56) {
      fail("integer out of range");
      return VarInt{};
    }
    v |= uint64_t(b & 0x7f) << shift;
    shift += 7;
  }
  if (v > kMaxSafeInteger) {
    fail("integer out of range");
    return VarInt{};
  }
  r.magnitude = v;
  return r;
}

const uint8_t* Reader::read_raw(size_t n) {
  if (remaining() < n) {
    fail("unexpected end of data");
    return nullptr;
  }
  const uint8_t* p = p_;
  p_ += n;
  return p;
}

float Reader::read_f32() {
  const uint8_t* p = read_raw(4);
  if (!p) return 0;
  uint32_t b = 0;
  for (int i = 0; i < 4; ++i) b = (b << 8) | p[i];
  return std::bit_cast<float>(b);
}
double Reader::read_f64() {
  const uint8_t* p = read_raw(8);
  if (!p) return 0;
  uint64_t b = 0;
  for (int i = 0; i < 8; ++i) b = (b << 8) | p[i];
  return std::bit_cast<double>(b);
}
int64_t Reader::read_bigint64() {
  const uint8_t* p = read_raw(8);
  if (!p) return 0;
  uint64_t b = 0;
  for (int i = 0; i < 8; ++i) b = (b << 8) | p[i];
  return int64_t(b);
}

std::vector<uint8_t> Reader::read_var_bytes() {
  uint64_t n = read_var_uint();
  const uint8_t* p = read_raw(size_t(n));
  if (!p) return {};
  return std::vector<uint8_t>(p, p + n);
}

std::string Reader::read_var_string() {
  uint64_t n = read_var_uint();
  const uint8_t* p = read_raw(size_t(n));
  if (!p) return {};
  std::string s(reinterpret_cast<const char*>(p), size_t(n));
  if (!utf::valid_utf8(s)) {
    fail("invalid UTF-8");
    return {};
  }
  return s;
}

std::u16string Reader::read_var_string_u16() {
  uint64_t n = read_var_uint();
  const uint8_t* p = read_raw(size_t(n));
  if (!p) return {};
  std::u16string s;
  if (!utf::valid_utf8_to_utf16(std::string_view(reinterpret_cast<const char*>(p), size_t(n)), &s)) {
    fail("invalid UTF-8");
    return {};
  }
  return s;
}

TextBuffer Reader::read_var_string_text() {
  uint64_t n = read_var_uint();
  const uint8_t* p = read_raw(size_t(n));
  if (!p) return {};
  TextBuffer s;
  if (!utf::valid_utf8_to_text(std::string_view(reinterpret_cast<const char*>(p), size_t(n)), &s)) {
    fail("invalid UTF-8");
    return {};
  }
  return s;
}

Any Reader::read_any(int depth) {
  if (depth > kMaxAnyDepth) {
    fail("values nested too deeply");
    return Any();
  }
  uint8_t tag = read_u8();
  if (!ok()) return Any();
  switch (tag) {
    case 127:
      return Any();
    case 126:
      return Any(nullptr);
    case 125: {
      VarInt v = read_var_int();
      double d = double(v.magnitude);
      return Any(v.negative ? -d : d);
    }
    case 124:
      return Any(double(read_f32()));
    case 123:
      return Any(read_f64());
    case 122:
      return Any(Any::BigInt{read_bigint64()});
    case 121:
      return Any(false);
    case 120:
      return Any(true);
    case 119:
      return Any(read_var_string());
    case 118: {
      uint64_t n = read_var_uint();
      if (n > remaining()) {
        fail("object size exceeds the data");
        return Any();
      }
      Any::Object entries;
      entries.reserve(n);
      for (uint64_t i = 0; i < n && ok(); ++i) {
        std::string key = read_var_string();
        Any v = read_any(depth + 1);
        entries.emplace_back(std::move(key), std::move(v));
      }
      return ok() ? Any::object(std::move(entries)) : Any();
    }
    case 117: {
      uint64_t n = read_var_uint();
      if (n > remaining()) {
        fail("array size exceeds the data");
        return Any();
      }
      Any::Array items;
      items.reserve(n);
      for (uint64_t i = 0; i < n && ok(); ++i) items.push_back(read_any(depth + 1));
      return ok() ? Any(std::move(items)) : Any();
    }
    case 116:
      return Any(read_var_bytes());
    default:
      fail("unknown value type");
      return Any();
  }
}

}  // namespace conflux::lib0
