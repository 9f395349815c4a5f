// lib0 binary primitives: the byte-level vocabulary of every Yjs format.
//
// Writer appends to a byte vector. Reader never throws: the first problem
// (truncation, an over-long number, invalid UTF-8, nesting too deep) makes it
// "failed"; every later read returns a zero value, and the caller checks ok()
// once at a convenient point.
#pragma once

#include <bit>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>
#include <vector>

#include "conflux/any.h"
#include "text_buffer.h"

namespace conflux::lib0 {

// lib0 computes with doubles; anything above this does not survive a round trip.
inline constexpr uint64_t kMaxSafeInteger = (uint64_t{1} << 53) - 1;
// Nesting limit for decoded "any" values (arrays/objects inside each other).
inline constexpr int kMaxAnyDepth = 256;

// Writes into a byte vector kept at its full usable size, with the written
// length apart: a write checks the room once and then stores plainly, where
// vector::push_back would check it for every byte. Updates are written a few
// bytes at a time, one per keystroke.
class Writer {
 public:
  Writer() = default;
  // Writes into `buffer`'s memory; its contents are dropped. Its size is the
  // room to start with: sizing it up to its capacity would zero all of that,
  // for every small update after one large one.
  explicit Writer(std::vector<uint8_t> buffer) : buf_(std::move(buffer)) {
    if (buf_.size() < 64) buf_.resize(64);
  }

  void write_u8(uint8_t v) { *room(1) = v; }
  void write_var_uint(uint64_t v) {
    if (v < 0x80) *room(1) = uint8_t(v);
    else write_long_var_uint(v);
  }
  // The same as write_var_uint, for a value written over and over (a client
  // id: five bytes, three times in a typical update): its encoding is kept.
  void write_repeated_var_uint(uint64_t v);
  // Signed varInt in lib0's sign-magnitude form; `negative` with a zero
  // magnitude writes negative zero (0x40), which the v2 column codecs need.
  void write_var_int(uint64_t magnitude, bool negative);
  void write_var_int(int64_t v) { write_var_int(v < 0 ? uint64_t(0) - uint64_t(v) : uint64_t(v), v < 0); }
  void write_f32(float v);
  void write_f64(double v);
  void write_bigint64(int64_t v);
  void write_raw(const uint8_t* data, size_t n) {
    if (n) std::memcpy(room(n), data, n);
  }
  void write_raw(const std::vector<uint8_t>& b) { write_raw(b.data(), b.size()); }
  void write_var_bytes(const uint8_t* data, size_t n) { write_var_uint(n); write_raw(data, n); }
  void write_var_bytes(const std::vector<uint8_t>& b) { write_var_bytes(b.data(), b.size()); }
  // varUint(UTF-8 byte length) + UTF-8 bytes.
  void write_var_string(std::string_view utf8);
  // Same, from UTF-16; a lone surrogate is written as U+FFFD, as JavaScript's TextEncoder does.
  void write_var_string(std::u16string_view utf16);
  // Same, from a String content's text.
  void write_var_string(TextView text);
  // lib0 writeAny, choosing the numeric tag exactly as Yjs does.
  void write_any(const Any& v);

  size_t size() const { return len_; }
  bool empty() const { return len_ == 0; }
  const uint8_t* data() const { return buf_.data(); }
  // The bytes written; the writer is empty afterwards.
  std::vector<uint8_t> take() {
    buf_.resize(len_);
    len_ = 0;
    return std::move(buf_);
  }
  void clear() { len_ = 0; }

 private:
  // `n` bytes of room at the end, counted as written.
  uint8_t* room(size_t n) {
    if (buf_.size() - len_ < n) grow(n);
    uint8_t* p = buf_.data() + len_;
    len_ += n;
    return p;
  }
  void grow(size_t n);
  void write_long_var_uint(uint64_t v);

  std::vector<uint8_t> buf_;  // [0, len_) written, the rest room
  size_t len_ = 0;
};

struct VarInt {
  uint64_t magnitude = 0;
  bool negative = false;
  // Two's-complement view (negative zero reads as 0).
  int64_t value() const { return negative ? -int64_t(magnitude) : int64_t(magnitude); }
};

class Reader {
 public:
  Reader() = default;
  Reader(const uint8_t* data, size_t n) : p_(data), end_(data + n) {}
  explicit Reader(const std::vector<uint8_t>& b) : Reader(b.data(), b.size()) {}

  bool ok() const { return error_ == nullptr; }
  // A short static description of the first failure, or nullptr.
  const char* error() const { return error_; }
  void fail(const char* why) {
    if (!error_) error_ = why;
    p_ = end_;
  }

  size_t remaining() const { return size_t(end_ - p_); }
  bool at_end() const { return p_ == end_; }
  const uint8_t* position() const { return p_; }

  uint8_t read_u8() {
    if (p_ < end_) return *p_++;
    fail("unexpected end of data");
    return 0;
  }
  // Fails on truncation and on values above 2^53-1.
  uint64_t read_var_uint() {
    // One byte (most lengths and counts) inline, the rest out of line.
    if (p_ < end_ && !(*p_ & 0x80)) return *p_++;
    return read_long_var_uint();
  }
  // The same as read_var_uint, for a value read over and over (client ids):
  // the bytes of the last one are compared before anything is decoded.
  uint64_t read_repeated_var_uint() {
    if (memo_len_ && end_ - p_ >= 8) {
      uint64_t next;
      std::memcpy(&next, p_, 8);
      if ((next & memo_mask_) == memo_bytes_) {
        p_ += memo_len_;
        return memo_value_;
      }
    }
    return read_and_memo_var_uint();
  }
  VarInt read_var_int();
  float read_f32();
  double read_f64();
  int64_t read_bigint64();
  // A view into the input of the next n bytes (empty and failed on truncation).
  const uint8_t* read_raw(size_t n);
  std::vector<uint8_t> read_var_bytes();
  // Validates UTF-8 strictly (as TextDecoder with fatal: true); a BOM is kept.
  std::string read_var_string();
  std::u16string read_var_string_u16();
  // The same as a String content's text, allocated to fit.
  TextBuffer read_var_string_text();
  Any read_any() { return read_any(0); }

 private:
  Any read_any(int depth);
  uint64_t read_long_var_uint();
  uint64_t read_and_memo_var_uint();
  const uint8_t* p_ = nullptr;
  const uint8_t* end_ = nullptr;
  const char* error_ = nullptr;
  // The last repeated varint: its bytes as loaded from memory into a word,
  // the mask selecting them, their count and value.
  uint64_t memo_bytes_ = 0;
  uint64_t memo_mask_ = 0;
  size_t memo_len_ = 0;
  uint64_t memo_value_ = 0;
};

}  // namespace conflux::lib0
