// Update format v1: every field inline, in one stream.
#include "update_codec.h"
#include "utf.h"

namespace conflux {

namespace {

class DecoderV1 final : public UpdateDecoder {
 public:
  DecoderV1(const uint8_t* d, size_t n) { rest_ = lib0::Reader(d, n); }
  bool ok() const override { return rest_.ok(); }
  const char* error() const override { return rest_.error(); }
  uint64_t read_client() override { return rest_.read_var_uint(); }
  uint8_t read_info() override { return rest_.read_u8(); }
  ID read_left_id() override {
    uint64_t c = rest_.read_var_uint();
    return ID{c, rest_.read_var_uint()};
  }
  ID read_right_id() override { return read_left_id(); }
  bool read_parent_info() override { return rest_.read_var_uint() == 1; }
  std::u16string read_string() override { return rest_.read_var_string_u16(); }
  uint64_t read_type_ref() override { return rest_.read_var_uint(); }
  uint64_t read_len() override { return rest_.read_var_uint(); }
  Any read_any() override { return rest_.read_any(); }
  std::vector<uint8_t> read_buf() override { return rest_.read_var_bytes(); }
  Any read_json() override {
    std::string s = rest_.read_var_string();
    if (!rest_.ok()) return Any();
    if (s == "undefined") return Any();
    Any v;
    if (!Any::from_json(s, &v)) rest_.fail("malformed JSON content");
    return v;
  }
  std::u16string read_key() override { return rest_.read_var_string_u16(); }
  void reset_ds_cur_val() override {}
  uint64_t read_ds_clock() override { return rest_.read_var_uint(); }
  uint64_t read_ds_len() override { return rest_.read_var_uint(); }
};

}  // namespace

EncoderV1::EncoderV1(std::vector<uint8_t> buffer) { rest_ = lib0::Writer(std::move(buffer)); }

void EncoderV1::write_json(const Any& v) { rest_.write_var_string(std::string_view(v.to_json())); }

std::unique_ptr<UpdateEncoder> make_encoder_v1(std::vector<uint8_t> buffer) {
  return std::make_unique<EncoderV1>(std::move(buffer));
}
std::unique_ptr<UpdateDecoder> make_decoder_v1(const uint8_t* d, size_t n) { return std::make_unique<DecoderV1>(d, n); }

}  // namespace conflux
