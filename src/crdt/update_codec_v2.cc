// Update format v2: fields routed to run-length encoded columns.
#include <algorithm>

#include "update_codec.h"
#include "utf.h"

namespace conflux {

namespace {

// Runs of equal bytes: value, then count-1; the last run has no count.
class RleByteWriter {
 public:
  void write(uint8_t v) {
    if (has_ && v == last_) {
      ++count_;
      return;
    }
    if (has_) w_.write_var_uint(count_ - 1);
    w_.write_u8(v);
    last_ = v;
    count_ = 1;
    has_ = true;
  }
  std::vector<uint8_t> take() { return w_.take(); }

 private:
  lib0::Writer w_;
  uint8_t last_ = 0;
  uint64_t count_ = 0;
  bool has_ = false;
};

class UintOptRleWriter {
 public:
  void write(uint64_t v) {
    if (count_ > 0 && v == last_) {
      ++count_;
      return;
    }
    flush();
    last_ = v;
    count_ = 1;
  }
  std::vector<uint8_t> take() {
    flush();
    return w_.take();
  }

 private:
  void flush() {
    if (count_ == 0) return;
    if (count_ == 1) {
      w_.write_var_int(last_, false);
    } else {
      w_.write_var_int(last_, true);
      w_.write_var_uint(count_ - 2);
    }
    count_ = 0;
  }
  lib0::Writer w_;
  uint64_t last_ = 0;
  uint64_t count_ = 0;
};

class IntDiffOptRleWriter {
 public:
  void write(int64_t v) {
    int64_t d = v - prev_;
    if (count_ > 0 && d == diff_) {
      ++count_;
    } else {
      flush();
      diff_ = d;
      count_ = 1;
    }
    prev_ = v;
  }
  std::vector<uint8_t> take() {
    flush();
    return w_.take();
  }

 private:
  void flush() {
    if (count_ == 0) return;
    int64_t encoded = diff_ * 2 + (count_ > 1 ? 1 : 0);
    w_.write_var_int(encoded);
    if (count_ > 1) w_.write_var_uint(count_ - 2);
    count_ = 0;
  }
  lib0::Writer w_;
  int64_t prev_ = 0;
  int64_t diff_ = 0;
  uint64_t count_ = 0;
};

class EncoderV2 final : public UpdateEncoder {
 public:
  void write_client(uint64_t c) override { client_.write(c); }
  void write_info(uint8_t i) override { info_.write(i); }
  void write_left_id(ID id) override {
    client_.write(id.client);
    left_clock_.write(int64_t(id.clock));
  }
  void write_right_id(ID id) override {
    client_.write(id.client);
    right_clock_.write(int64_t(id.clock));
  }
  void write_parent_info(bool root) override { parent_info_.write(root ? 1 : 0); }
  void write_string(std::u16string_view s) override {
    strings_ += s;
    string_lens_.write(s.size());
  }
  void write_type_ref(uint64_t r) override { type_ref_.write(r); }
  void write_len(uint64_t l) override { len_.write(l); }
  void write_any(const Any& v) override { rest_.write_any(v); }
  void write_buf(const std::vector<uint8_t>& b) override { rest_.write_var_bytes(b); }
  void write_json(const Any& v) override { rest_.write_any(v); }
  void write_key(std::u16string_view k) override {
    key_clock_.write(int64_t(key_count_++));
    write_string(k);
  }
  void reset_ds_cur_val() override { ds_cur_ = 0; }
  void write_ds_clock(uint64_t c) override {
    rest_.write_var_uint(c - ds_cur_);
    ds_cur_ = c;
  }
  void write_ds_len(uint64_t l) override {
    rest_.write_var_uint(l - 1);
    ds_cur_ += l;
  }
  std::vector<uint8_t> finish() override {
    lib0::Writer out;
    out.write_var_uint(0);
    out.write_var_bytes(key_clock_.take());
    out.write_var_bytes(client_.take());
    out.write_var_bytes(left_clock_.take());
    out.write_var_bytes(right_clock_.take());
    out.write_var_bytes(info_.take());
    lib0::Writer str;
    str.write_var_string(std::u16string_view(strings_));
    str.write_raw(string_lens_.take());
    out.write_var_bytes(str.take());
    out.write_var_bytes(parent_info_.take());
    out.write_var_bytes(type_ref_.take());
    out.write_var_bytes(len_.take());
    out.write_raw(rest_.take());
    return out.take();
  }

 private:
  IntDiffOptRleWriter key_clock_, left_clock_, right_clock_;
  UintOptRleWriter client_, type_ref_, len_, string_lens_;
  RleByteWriter info_, parent_info_;
  std::u16string strings_;
  uint64_t key_count_ = 0;
  uint64_t ds_cur_ = 0;
};

class RleByteReader {
 public:
  explicit RleByteReader(lib0::Reader r = {}) : r_(r) {}
  uint8_t read() {
    if (count_ == 0) {
      if (r_.at_end()) return last_;  // the last run repeats forever
      last_ = r_.read_u8();
      count_ = r_.at_end() ? UINT64_MAX : r_.read_var_uint() + 1;
    }
    if (count_ != UINT64_MAX) --count_;
    return last_;
  }
  bool ok() const { return r_.ok(); }

 private:
  lib0::Reader r_;
  uint8_t last_ = 0;
  uint64_t count_ = 0;
};

class UintOptRleReader {
 public:
  explicit UintOptRleReader(lib0::Reader r = {}) : r_(r) {}
  uint64_t read() {
    if (count_ == 0) {
      lib0::VarInt v = r_.read_var_int();
      last_ = v.magnitude;
      count_ = v.negative ? r_.read_var_uint() + 2 : 1;
      if (!r_.ok()) count_ = 1;
    }
    --count_;
    return last_;
  }
  bool ok() const { return r_.ok(); }

 private:
  lib0::Reader r_;
  uint64_t last_ = 0;
  uint64_t count_ = 0;
};

class IntDiffOptRleReader {
 public:
  explicit IntDiffOptRleReader(lib0::Reader r = {}) : r_(r) {}
  int64_t read() {
    if (count_ == 0) {
      int64_t v = r_.read_var_int().value();
      bool has_count = v & 1;
      diff_ = v >> 1;  // floor division by two
      count_ = has_count ? r_.read_var_uint() + 2 : 1;
      if (!r_.ok()) count_ = 1;
    }
    cur_ += diff_;
    --count_;
    return cur_;
  }
  bool ok() const { return r_.ok(); }

 private:
  lib0::Reader r_;
  int64_t cur_ = 0;
  int64_t diff_ = 0;
  uint64_t count_ = 0;
};

class DecoderV2 final : public UpdateDecoder {
 public:
  DecoderV2(const uint8_t* d, size_t n) {
    lib0::Reader r(d, n);
    r.read_var_uint();  // feature flag
    auto column = [&]() {
      uint64_t len = r.read_var_uint();
      const uint8_t* p = r.read_raw(size_t(len));
      return p ? lib0::Reader(p, size_t(len)) : lib0::Reader();
    };
    key_clock_ = IntDiffOptRleReader(column());
    client_ = UintOptRleReader(column());
    left_clock_ = IntDiffOptRleReader(column());
    right_clock_ = IntDiffOptRleReader(column());
    info_ = RleByteReader(column());
    lib0::Reader strings = column();
    parent_info_ = RleByteReader(column());
    type_ref_ = UintOptRleReader(column());
    len_ = UintOptRleReader(column());
    if (!r.ok()) {
      failed_ = "malformed v2 header";
      return;
    }
    rest_ = lib0::Reader(r.position(), r.remaining());
    strings_ = strings.read_var_string_u16();
    string_lens_ = UintOptRleReader(lib0::Reader(strings.position(), strings.remaining()));
    if (!strings.ok()) failed_ = "malformed v2 string column";
  }
  bool ok() const override {
    return !failed_ && rest_.ok() && key_clock_.ok() && client_.ok() && left_clock_.ok() && right_clock_.ok() &&
           info_.ok() && parent_info_.ok() && type_ref_.ok() && len_.ok() && string_lens_.ok();
  }
  const char* error() const override {
    if (failed_) return failed_;
    if (!rest_.ok()) return rest_.error();
    return ok() ? nullptr : "malformed v2 column";
  }
  uint64_t read_client() override { return client_.read(); }
  uint8_t read_info() override { return info_.read(); }
  ID read_left_id() override {
    uint64_t c = client_.read();
    return ID{c, clock(left_clock_.read())};
  }
  ID read_right_id() override {
    uint64_t c = client_.read();
    return ID{c, clock(right_clock_.read())};
  }
  bool read_parent_info() override { return parent_info_.read() == 1; }
  std::u16string read_string() override {
    uint64_t n = string_lens_.read();
    if (n > strings_.size() - str_pos_) {
      failed_ = "v2 string column too short";
      rest_.fail(failed_);
      return {};
    }
    std::u16string s = strings_.substr(str_pos_, size_t(n));
    str_pos_ += size_t(n);
    return s;
  }
  uint64_t read_type_ref() override { return type_ref_.read(); }
  uint64_t read_len() override { return len_.read(); }
  Any read_any() override { return rest_.read_any(); }
  std::vector<uint8_t> read_buf() override { return rest_.read_var_bytes(); }
  Any read_json() override { return rest_.read_any(); }
  std::u16string read_key() override {
    int64_t k = key_clock_.read();
    if (k >= 0 && uint64_t(k) < keys_.size()) return keys_[size_t(k)];
    std::u16string s = read_string();
    keys_.push_back(s);
    return s;
  }
  void reset_ds_cur_val() override { ds_cur_ = 0; }
  uint64_t read_ds_clock() override {
    uint64_t d = rest_.read_var_uint();
    if (d > lib0::kMaxSafeInteger - ds_cur_) rest_.fail("delete set clock out of range");
    ds_cur_ += d;
    return ds_cur_;
  }
  uint64_t read_ds_len() override {
    uint64_t l = rest_.read_var_uint() + 1;
    if (l > lib0::kMaxSafeInteger - ds_cur_) rest_.fail("delete set length out of range");
    ds_cur_ += l;
    return l;
  }

 private:
  uint64_t clock(int64_t v) {
    if (v < 0) {
      rest_.fail("negative clock");
      return 0;
    }
    return uint64_t(v);
  }
  const char* failed_ = nullptr;
  IntDiffOptRleReader key_clock_, left_clock_, right_clock_;
  UintOptRleReader client_, type_ref_, len_, string_lens_;
  RleByteReader info_, parent_info_;
  std::u16string strings_;
  size_t str_pos_ = 0;
  std::vector<std::u16string> keys_;
  uint64_t ds_cur_ = 0;
};

}  // namespace

std::unique_ptr<UpdateEncoder> make_encoder_v2() { return std::make_unique<EncoderV2>(); }
std::unique_ptr<UpdateDecoder> make_decoder_v2(const uint8_t* d, size_t n) { return std::make_unique<DecoderV2>(d, n); }

}  // namespace conflux
