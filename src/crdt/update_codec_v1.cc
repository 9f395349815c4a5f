// Update format v1: every field inline, in one stream.
#include "update_codec.h"
#include "utf.h"

namespace conflux {

Any DecoderV1::read_json() {
  std::string s = rest_.read_var_string();
  if (!rest_.ok()) return Any();
  if (s == "undefined") return Any();
  Any v;
  if (!Any::from_json(s, &v)) rest_.fail("malformed JSON content");
  return v;
}

void EncoderV1::write_json(const Any& v) { rest_.write_var_string(std::string_view(v.to_json())); }

std::unique_ptr<UpdateEncoder> make_encoder_v1(std::vector<uint8_t> buffer) {
  return std::make_unique<EncoderV1>(std::move(buffer));
}
std::unique_ptr<UpdateDecoder> make_decoder_v1(const uint8_t* d, size_t n) { return std::make_unique<DecoderV1>(d, n); }

}  // namespace conflux
