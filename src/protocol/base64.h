// Base64 (RFC 4648, standard alphabet, padded), for updates in JSON messages.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "conflux/doc.h"

namespace conflux::protocol {

std::string base64_encode(const uint8_t* data, size_t size);
inline std::string base64_encode(const Bytes& b) { return base64_encode(b.data(), b.size()); }
// Strict: padding required, no whitespace; nullopt on anything else.
std::optional<Bytes> base64_decode(std::string_view text);

}  // namespace conflux::protocol
