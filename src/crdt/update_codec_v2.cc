// Update format v2: fields routed to run-length encoded columns.
//
// Layout (reference section 6.1): varUint feature flag 0, nine varUint8Array
// columns (keyClock, client, leftClock, rightClock, info, string, parentInfo,
// typeRef, len), then the rest stream without a length prefix.
#include <cstdint>
#include <string>
#include <utility>

#include "update_codec.h"
#include "utf.h"

namespace conflux {

namespace {

// ---------------------------------------------------------------------------
// Column writers

// Runs of equal bytes: the value byte, then varUint(run length - 1), except for
// the last run, whose count is omitted (the reader repeats it forever).
class RleByteWriter {
 public:
  void write(uint8_t v) {
    if (count_ > 0 && v == value_) {
      ++count_;
      return;
    }
    if (count_ > 0) w_.write_var_uint(count_ - 1);
    w_.write_u8(v);
    value_ = v;
    count_ = 1;
  }
  std::vector<uint8_t> finish() { return w_.take(); }

 private:
  lib0::Writer w_;
  uint8_t value_ = 0;
  uint64_t count_ = 0;
};

// Runs of equal unsigned values: a single value is varInt(v); a run of n >= 2 is
// varInt(-v) (negative zero for v == 0) followed by varUint(n - 2).
class UintOptRleWriter {
 public:
  void write(uint64_t v) {
    if (count_ > 0 && v == value_) {
      ++count_;
      return;
    }
    flush();
    value_ = v;
    count_ = 1;
  }
  std::vector<uint8_t> finish() {
    flush();
    return w_.take();
  }

 private:
  void flush() {
    if (count_ == 0) return;
    w_.write_var_int(value_, count_ > 1);
    if (count_ > 1) w_.write_var_uint(count_ - 2);
    count_ = 0;
  }
  lib0::Writer w_;
  uint64_t value_ = 0;
  uint64_t count_ = 0;
};

// Runs of values with equal differences (previous value starts at 0): a run of n
// values with difference d is varInt(2d + (n > 1)), then varUint(n - 2) if n > 1.
class IntDiffOptRleWriter {
 public:
  void write(uint64_t value) {
    int64_t v = int64_t(value);
    int64_t d = v - prev_;
    prev_ = v;
    if (count_ > 0 && d == diff_) {
      ++count_;
      return;
    }
    flush();
    diff_ = d;
    count_ = 1;
  }
  std::vector<uint8_t> finish() {
    flush();
    return w_.take();
  }

 private:
  void flush() {
    if (count_ == 0) return;
    w_.write_var_int(int64_t(diff_ * 2 + (count_ > 1 ? 1 : 0)));
    if (count_ > 1) w_.write_var_uint(count_ - 2);
    count_ = 0;
  }
  lib0::Writer w_;
  int64_t prev_ = 0;
  int64_t diff_ = 0;
  uint64_t count_ = 0;
};

// All strings concatenated (kept as UTF-16, converted to UTF-8 once at the end,
// so adjacent surrogate halves of different strings join into one pair, as in
// yjs), followed by a UintOptRle of each string's UTF-16 length.
class StringColumnWriter {
 public:
  void write(std::u16string_view s) {
    text_.append(s);
    lens_.write(s.size());
  }
  void write(TextView s) {
    s.append_to(&text_);
    lens_.write(s.size());
  }
  std::vector<uint8_t> finish() {
    lib0::Writer w;
    w.write_var_string(std::u16string_view(text_));
    w.write_raw(lens_.finish());
    return w.take();
  }

 private:
  std::u16string text_;
  UintOptRleWriter lens_;
};

class EncoderV2 final : public UpdateEncoder {
 public:
  void write_client(uint64_t c) override { client_.write(c); }
  void write_info(uint8_t i) override { info_.write(i); }
  void write_left_id(ID id) override {
    client_.write(id.client);
    left_clock_.write(id.clock);
  }
  void write_right_id(ID id) override {
    client_.write(id.client);
    right_clock_.write(id.clock);
  }
  void write_parent_info(bool root) override { parent_info_.write(root ? 1 : 0); }
  void write_string(std::u16string_view s) override { strings_.write(s); }
  void write_text(TextView text) override { strings_.write(text); }
  void write_type_ref(uint64_t r) override { type_ref_.write(r); }
  void write_len(uint64_t l) override { len_.write(l); }
  void write_any(const Any& v) override { rest_.write_any(v); }
  void write_buf(const std::vector<uint8_t>& b) override { rest_.write_var_bytes(b); }
  void write_json(const Any& v) override { rest_.write_any(v); }
  // Like yjs: every key gets a fresh number and is written in full (no reuse).
  void write_key(std::u16string_view k) override {
    key_clock_.write(next_key_++);
    strings_.write(k);
  }
  void reset_ds_cur_val() override { ds_cur_ = 0; }
  void write_ds_clock(uint64_t c) override {
    // Ranges arrive sorted and non-overlapping, so c >= ds_cur_.
    rest_.write_var_uint(c >= ds_cur_ ? c - ds_cur_ : 0);
    ds_cur_ = c;
  }
  void write_ds_len(uint64_t l) override {
    // yjs refuses zero lengths; the writers never produce them.
    rest_.write_var_uint(l > 0 ? l - 1 : 0);
    ds_cur_ += l;
  }
  std::vector<uint8_t> finish() override {
    lib0::Writer out;
    out.write_var_uint(0);  // feature flag
    out.write_var_bytes(key_clock_.finish());
    out.write_var_bytes(client_.finish());
    out.write_var_bytes(left_clock_.finish());
    out.write_var_bytes(right_clock_.finish());
    out.write_var_bytes(info_.finish());
    out.write_var_bytes(strings_.finish());
    out.write_var_bytes(parent_info_.finish());
    out.write_var_bytes(type_ref_.finish());
    out.write_var_bytes(len_.finish());
    out.write_raw(rest_.data(), rest_.size());
    rest_.clear();
    return out.take();
  }

 private:
  IntDiffOptRleWriter key_clock_, left_clock_, right_clock_;
  UintOptRleWriter client_, type_ref_, len_;
  RleByteWriter info_, parent_info_;
  StringColumnWriter strings_;
  uint64_t next_key_ = 0;
  uint64_t ds_cur_ = 0;
};

// ---------------------------------------------------------------------------
// Column readers. Each reads lazily from its slice of the input; the first
// problem fails the column's Reader, and later reads return zero values.

class RleByteReader {
 public:
  RleByteReader() = default;
  explicit RleByteReader(lib0::Reader r) : r_(r) {}
  uint8_t read() {
    if (count_ == 0) {
      // The last run repeats forever; reading an empty column fails (as in yjs).
      if (forever_) return value_;
      value_ = r_.read_u8();
      if (!r_.ok()) return 0;
      if (r_.at_end()) {
        forever_ = true;
        return value_;
      }
      count_ = r_.read_var_uint() + 1;
      if (!r_.ok()) return 0;
    }
    --count_;
    return value_;
  }
  bool ok() const { return r_.ok(); }
  const char* error() const { return r_.error(); }

 private:
  lib0::Reader r_;
  uint8_t value_ = 0;
  uint64_t count_ = 0;
  bool forever_ = false;
};

class UintOptRleReader {
 public:
  UintOptRleReader() = default;
  explicit UintOptRleReader(lib0::Reader r) : r_(r) {}
  uint64_t read() {
    if (count_ == 0) {
      lib0::VarInt v = r_.read_var_int();
      if (!r_.ok()) return 0;
      value_ = v.magnitude;
      // The sign (negative zero included) says that a count follows.
      if (v.negative) {
        count_ = r_.read_var_uint() + 2;
        if (!r_.ok()) {
          count_ = 0;
          return 0;
        }
      } else {
        count_ = 1;
      }
    }
    --count_;
    return value_;
  }
  bool ok() const { return r_.ok(); }
  const char* error() const { return r_.error(); }

 private:
  lib0::Reader r_;
  uint64_t value_ = 0;
  uint64_t count_ = 0;
};

class IntDiffOptRleReader {
 public:
  IntDiffOptRleReader() = default;
  explicit IntDiffOptRleReader(lib0::Reader r) : r_(r) {}
  // Values are clocks or key numbers: anything outside 0..2^53-1 fails the column.
  uint64_t read() {
    if (count_ == 0) {
      int64_t v = r_.read_var_int().value();
      if (!r_.ok()) return 0;
      diff_ = v >> 1;  // floor(v / 2); v & 1 is the parity in two's complement
      if (v & 1) {
        count_ = r_.read_var_uint() + 2;
        if (!r_.ok()) {
          count_ = 0;
          return 0;
        }
      } else {
        count_ = 1;
      }
    }
    --count_;
    // |cur_|, |diff_| <= 2^53, so the sum cannot overflow.
    int64_t next = cur_ + diff_;
    if (next < 0 || uint64_t(next) > lib0::kMaxSafeInteger) {
      r_.fail("v2 column value out of range");
      return 0;
    }
    cur_ = next;
    return uint64_t(cur_);
  }
  bool ok() const { return r_.ok(); }
  const char* error() const { return r_.error(); }

 private:
  lib0::Reader r_;
  int64_t cur_ = 0;
  int64_t diff_ = 0;
  uint64_t count_ = 0;
};

// The concatenation is decoded once (UTF-8 -> UTF-16) when the column is opened;
// reads slice it by the UTF-16 lengths of the trailing UintOptRle.
class StringColumnReader {
 public:
  StringColumnReader() = default;
  explicit StringColumnReader(lib0::Reader r) {
    text_ = r.read_var_string_u16();
    if (!r.ok()) {
      error_ = r.error();
      return;
    }
    lens_ = UintOptRleReader(lib0::Reader(r.position(), r.remaining()));
  }
  // The next string, a view into the column (empty on failure).
  std::u16string_view read() {
    if (error_) return {};
    uint64_t n = lens_.read();
    if (!lens_.ok()) return {};
    if (n > text_.size() - pos_) {
      error_ = "v2 string column: lengths exceed the text";
      return {};
    }
    std::u16string_view s = std::u16string_view(text_).substr(pos_, size_t(n));
    pos_ += size_t(n);
    return s;
  }
  bool ok() const { return !error_ && lens_.ok(); }
  const char* error() const { return error_ ? error_ : lens_.error(); }

 private:
  std::u16string text_;
  size_t pos_ = 0;
  UintOptRleReader lens_;
  const char* error_ = nullptr;
};

class DecoderV2 final : public UpdateDecoder {
 public:
  DecoderV2(const uint8_t* d, size_t n) {
    lib0::Reader r(d, n);
    r.read_var_uint();  // feature flag, read and ignored as yjs does
    lib0::Reader cols[9];
    for (lib0::Reader& c : cols) {
      uint64_t len = r.read_var_uint();
      if (!r.ok()) break;
      const uint8_t* p = r.read_raw(size_t(len));
      if (!r.ok()) break;
      c = lib0::Reader(p, size_t(len));
    }
    if (!r.ok()) {
      error_ = "malformed v2 update header";
      return;
    }
    key_clock_ = IntDiffOptRleReader(cols[0]);
    client_ = UintOptRleReader(cols[1]);
    left_clock_ = IntDiffOptRleReader(cols[2]);
    right_clock_ = IntDiffOptRleReader(cols[3]);
    info_ = RleByteReader(cols[4]);
    strings_ = StringColumnReader(cols[5]);
    parent_info_ = RleByteReader(cols[6]);
    type_ref_ = UintOptRleReader(cols[7]);
    len_ = UintOptRleReader(cols[8]);
    rest_ = lib0::Reader(r.position(), r.remaining());
    if (!strings_.ok()) error_ = "malformed v2 string column";
  }

  bool ok() const override { return error() == nullptr; }
  const char* error() const override {
    if (error_) return error_;
    if (!rest_.ok()) return rest_.error();
    if (!key_clock_.ok()) return "v2 keyClock column: malformed or too short";
    if (!client_.ok()) return "v2 client column: malformed or too short";
    if (!left_clock_.ok()) return "v2 leftClock column: malformed or too short";
    if (!right_clock_.ok()) return "v2 rightClock column: malformed or too short";
    if (!info_.ok()) return "v2 info column: malformed or too short";
    if (!strings_.ok()) return strings_.error() ? strings_.error() : "v2 string column: malformed or too short";
    if (!parent_info_.ok()) return "v2 parentInfo column: malformed or too short";
    if (!type_ref_.ok()) return "v2 typeRef column: malformed or too short";
    if (!len_.ok()) return "v2 len column: malformed or too short";
    return nullptr;
  }

  uint64_t read_client() override { return client_.read(); }
  uint8_t read_info() override { return info_.read(); }
  ID read_left_id() override {
    uint64_t c = client_.read();
    return ID{c, left_clock_.read()};
  }
  ID read_right_id() override {
    uint64_t c = client_.read();
    return ID{c, right_clock_.read()};
  }
  bool read_parent_info() override { return parent_info_.read() == 1; }
  std::u16string read_string() override { return std::u16string(strings_.read()); }
  TextBuffer read_text() override { return TextBuffer(strings_.read()); }
  uint64_t read_type_ref() override { return type_ref_.read(); }
  uint64_t read_len() override { return len_.read(); }
  Any read_any() override { return rest_.read_any(); }
  std::vector<uint8_t> read_buf() override { return rest_.read_var_bytes(); }
  Any read_json() override { return rest_.read_any(); }
  std::u16string read_key() override {
    uint64_t k = key_clock_.read();
    if (!key_clock_.ok()) return {};
    if (k < keys_.size()) return keys_[size_t(k)];
    std::u16string s(strings_.read());
    if (strings_.ok()) keys_.push_back(s);
    return s;
  }
  void reset_ds_cur_val() override { ds_cur_ = 0; }
  uint64_t read_ds_clock() override {
    uint64_t d = rest_.read_var_uint();
    if (d > lib0::kMaxSafeInteger - ds_cur_) {
      rest_.fail("delete set clock out of range");
      return 0;
    }
    ds_cur_ += d;
    return ds_cur_;
  }
  uint64_t read_ds_len() override {
    uint64_t l = rest_.read_var_uint();
    if (!rest_.ok()) return 0;
    ++l;
    if (l > lib0::kMaxSafeInteger - ds_cur_) {
      rest_.fail("delete set length out of range");
      return 0;
    }
    ds_cur_ += l;
    return l;
  }

 private:
  const char* error_ = nullptr;
  IntDiffOptRleReader key_clock_, left_clock_, right_clock_;
  UintOptRleReader client_, type_ref_, len_;
  RleByteReader info_, parent_info_;
  StringColumnReader strings_;
  std::vector<std::u16string> keys_;
  uint64_t ds_cur_ = 0;
};

}  // namespace

std::unique_ptr<UpdateEncoder> make_encoder_v2() { return std::make_unique<EncoderV2>(); }
std::unique_ptr<UpdateDecoder> make_decoder_v2(const uint8_t* d, size_t n) { return std::make_unique<DecoderV2>(d, n); }

}  // namespace conflux
