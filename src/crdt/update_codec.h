// Field-level encoders and decoders for Yjs updates, format v1 and v2.
//
// An update is written as a sequence of typed fields (client, info byte, left
// clock, string, ...). Format v1 writes every field inline; v2 routes each kind of
// field to its own column so that runs compress. The struct and delete-set
// writers are written once against these interfaces and serve both formats.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "conflux/any.h"
#include "id.h"
#include "lib0.h"

namespace conflux {

class UpdateEncoder {
 public:
  UpdateEncoder() = default;
  // Writes the skeleton stream into `buffer`'s memory (see lib0::Writer).
  explicit UpdateEncoder(std::vector<uint8_t> buffer) : rest_(std::move(buffer)) {}
  virtual ~UpdateEncoder() = default;
  // The stream for skeleton numbers (section counts, first clocks, delete set,
  // Skip lengths, binary content and, in v2, any values).
  lib0::Writer& rest() { return rest_; }

  virtual void write_client(uint64_t client) = 0;
  virtual void write_info(uint8_t info) = 0;
  virtual void write_left_id(ID id) = 0;   // origin, and a parent given by ID
  virtual void write_right_id(ID id) = 0;  // rightOrigin
  virtual void write_parent_info(bool is_root_name) = 0;
  virtual void write_string(std::u16string_view s) = 0;
  // write_string() for the text of a String content.
  virtual void write_text(TextView text) = 0;
  virtual void write_type_ref(uint64_t ref) = 0;
  virtual void write_len(uint64_t len) = 0;
  virtual void write_any(const Any& v) = 0;
  virtual void write_buf(const std::vector<uint8_t>& b) = 0;
  // Embeds and format values: JSON text in v1, an any value in v2.
  virtual void write_json(const Any& v) = 0;
  // Format keys and XML node/hook names.
  virtual void write_key(std::u16string_view key) = 0;

  // Delete set ranges (clock/len deltas in v2).
  virtual void reset_ds_cur_val() = 0;
  virtual void write_ds_clock(uint64_t clock) = 0;
  virtual void write_ds_len(uint64_t len) = 0;

  // The finished update bytes.
  virtual std::vector<uint8_t> finish() = 0;

 protected:
  lib0::Writer rest_;
};

class UpdateDecoder {
 public:
  virtual ~UpdateDecoder() = default;
  lib0::Reader& rest() { return rest_; }
  // True while every read so far succeeded (column readers included).
  virtual bool ok() const = 0;
  virtual const char* error() const = 0;

  virtual uint64_t read_client() = 0;
  virtual uint8_t read_info() = 0;
  virtual ID read_left_id() = 0;
  virtual ID read_right_id() = 0;
  virtual bool read_parent_info() = 0;  // true: parent given by root name
  virtual std::u16string read_string() = 0;
  // read_string() for the text of a String content.
  virtual TextBuffer read_text() = 0;
  virtual uint64_t read_type_ref() = 0;
  virtual uint64_t read_len() = 0;
  virtual Any read_any() = 0;
  virtual std::vector<uint8_t> read_buf() = 0;
  virtual Any read_json() = 0;
  virtual std::u16string read_key() = 0;

  virtual void reset_ds_cur_val() = 0;
  virtual uint64_t read_ds_clock() = 0;
  virtual uint64_t read_ds_len() = 0;

 protected:
  lib0::Reader rest_;
};

// Update format v1: every field inline, in one stream. Declared here so that
// the encoder of a transaction's update can live on the stack.
class EncoderV1 final : public UpdateEncoder {
 public:
  // Writes into `buffer` (cleared), so that a caller encoding many small
  // updates can hand the same memory back each time.
  explicit EncoderV1(std::vector<uint8_t> buffer = {}) : UpdateEncoder(std::move(buffer)) {}
  void write_client(uint64_t c) override { rest_.write_repeated_var_uint(c); }
  void write_info(uint8_t i) override { rest_.write_u8(i); }
  void write_left_id(ID id) override {
    rest_.write_repeated_var_uint(id.client);
    rest_.write_var_uint(id.clock);
  }
  void write_right_id(ID id) override { write_left_id(id); }
  void write_parent_info(bool root) override { rest_.write_var_uint(root ? 1 : 0); }
  void write_string(std::u16string_view s) override { rest_.write_var_string(s); }
  void write_text(TextView text) override { rest_.write_var_string(text); }
  void write_type_ref(uint64_t r) override { rest_.write_var_uint(r); }
  void write_len(uint64_t l) override { rest_.write_var_uint(l); }
  void write_any(const Any& v) override { rest_.write_any(v); }
  void write_buf(const std::vector<uint8_t>& b) override { rest_.write_var_bytes(b); }
  void write_json(const Any& v) override;
  void write_key(std::u16string_view k) override { rest_.write_var_string(k); }
  void reset_ds_cur_val() override {}
  void write_ds_clock(uint64_t c) override { rest_.write_var_uint(c); }
  void write_ds_len(uint64_t l) override { rest_.write_var_uint(l); }
  std::vector<uint8_t> finish() override { return rest_.take(); }
};

// Update format v1, read back. Declared here so that loading, which reads
// most of its structs itself, calls it directly rather than through the
// interface.
class DecoderV1 final : public UpdateDecoder {
 public:
  DecoderV1(const uint8_t* d, size_t n) { rest_ = lib0::Reader(d, n); }
  bool ok() const override { return rest_.ok(); }
  const char* error() const override { return rest_.error(); }
  uint64_t read_client() override { return rest_.read_repeated_var_uint(); }
  uint8_t read_info() override { return rest_.read_u8(); }
  ID read_left_id() override {
    uint64_t c = rest_.read_repeated_var_uint();
    return ID{c, rest_.read_var_uint()};
  }
  ID read_right_id() override { return read_left_id(); }
  bool read_parent_info() override { return rest_.read_var_uint() == 1; }
  std::u16string read_string() override { return rest_.read_var_string_u16(); }
  TextBuffer read_text() override { return rest_.read_var_string_text(); }
  uint64_t read_type_ref() override { return rest_.read_var_uint(); }
  uint64_t read_len() override { return rest_.read_var_uint(); }
  Any read_any() override { return rest_.read_any(); }
  std::vector<uint8_t> read_buf() override { return rest_.read_var_bytes(); }
  Any read_json() override;
  std::u16string read_key() override { return rest_.read_var_string_u16(); }
  void reset_ds_cur_val() override {}
  uint64_t read_ds_clock() override { return rest_.read_var_uint(); }
  uint64_t read_ds_len() override { return rest_.read_var_uint(); }
};

// `buffer`: memory to write into (its contents are dropped).
std::unique_ptr<UpdateEncoder> make_encoder_v1(std::vector<uint8_t> buffer = {});
std::unique_ptr<UpdateEncoder> make_encoder_v2();
// The decoders read from `data`, which must outlive them. A v2 decoder whose
// header or columns are malformed is returned already failed (ok() == false).
std::unique_ptr<UpdateDecoder> make_decoder_v1(const uint8_t* data, size_t n);
std::unique_ptr<UpdateDecoder> make_decoder_v2(const uint8_t* data, size_t n);

enum class UpdateFormat : uint8_t { V1, V2 };

inline std::unique_ptr<UpdateEncoder> make_encoder(UpdateFormat f) {
  return f == UpdateFormat::V1 ? make_encoder_v1() : make_encoder_v2();
}
inline std::unique_ptr<UpdateDecoder> make_decoder(UpdateFormat f, const uint8_t* data, size_t n) {
  return f == UpdateFormat::V1 ? make_decoder_v1(data, n) : make_decoder_v2(data, n);
}

}  // namespace conflux
