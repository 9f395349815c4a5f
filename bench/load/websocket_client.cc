#include "websocket_client.h"

#include <openssl/evp.h>
#include <openssl/sha.h>

#include <cstring>

namespace conflux::load {
namespace {

std::string base64(const uint8_t* data, size_t n) {
  std::string out(4 * ((n + 2) / 3), '\0');
  int written = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()), data, int(n));
  out.resize(size_t(written));
  return out;
}

char lower(char c) { return c >= 'A' && c <= 'Z' ? char(c - 'A' + 'a') : c; }

bool equals_ignoring_case(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i)
    if (lower(a[i]) != lower(b[i])) return false;
  return true;
}

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r')) s.remove_suffix(1);
  return s;
}

}  // namespace

std::string new_websocket_key(uint64_t random_a, uint64_t random_b) {
  uint8_t raw[16];
  std::memcpy(raw, &random_a, 8);
  std::memcpy(raw + 8, &random_b, 8);
  return base64(raw, sizeof raw);
}

std::string upgrade_request(std::string_view host_port, std::string_view path, std::string_view key) {
  std::string r;
  r.reserve(200);
  r.append("GET ").append(path).append(" HTTP/1.1\r\nHost: ").append(host_port);
  r.append("\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Key: ");
  r.append(key).append("\r\n\r\n");
  return r;
}

std::string check_upgrade_response(std::string_view head, std::string_view key) {
  size_t line_end = head.find("\r\n");
  std::string_view status = head.substr(0, line_end);
  if (status.size() < 12 || status.substr(9, 3) != "101") return "upgrade refused: " + std::string(status);
  std::string expected_input = std::string(key) + "258EAFA5-E914-47DA-95CA-C5AB0DC85B11";
  uint8_t digest[SHA_DIGEST_LENGTH];
  SHA1(reinterpret_cast<const unsigned char*>(expected_input.data()), expected_input.size(), digest);
  std::string expected = base64(digest, sizeof digest);
  size_t pos = line_end + 2;
  while (pos < head.size()) {
    size_t end = head.find("\r\n", pos);
    if (end == std::string_view::npos || end == pos) break;
    std::string_view line = head.substr(pos, end - pos);
    pos = end + 2;
    size_t colon = line.find(':');
    if (colon == std::string_view::npos) continue;
    if (equals_ignoring_case(trim(line.substr(0, colon)), "sec-websocket-accept"))
      return trim(line.substr(colon + 1)) == expected ? std::string() : "wrong Sec-WebSocket-Accept";
  }
  return "no Sec-WebSocket-Accept in the 101";
}

void append_masked_frame(std::string* out, WsOpcode opcode, const uint8_t* payload, size_t size, uint32_t mask) {
  uint8_t header[14];
  size_t h = 0;
  header[h++] = uint8_t(0x80 | uint8_t(opcode));
  if (size < 126) {
    header[h++] = uint8_t(0x80 | size);
  } else if (size <= 0xffff) {
    header[h++] = 0x80 | 126;
    header[h++] = uint8_t(size >> 8);
    header[h++] = uint8_t(size);
  } else {
    header[h++] = 0x80 | 127;
    for (int shift = 56; shift >= 0; shift -= 8) header[h++] = uint8_t(uint64_t(size) >> shift);
  }
  uint8_t key[4] = {uint8_t(mask >> 24), uint8_t(mask >> 16), uint8_t(mask >> 8), uint8_t(mask)};
  std::memcpy(header + h, key, 4);
  h += 4;
  size_t start = out->size();
  out->resize(start + h + size);
  char* dst = out->data() + start;
  std::memcpy(dst, header, h);
  dst += h;
  for (size_t i = 0; i < size; ++i) dst[i] = char(payload[i] ^ key[i & 3]);
}

bool FrameReader::frame_size(const uint8_t* p, size_t n, size_t* header, uint64_t* length) {
  if (n < 2) return false;
  uint8_t len7 = p[1] & 0x7f;
  size_t mask_bytes = (p[1] & 0x80) ? 4 : 0;
  if (len7 < 126) {
    *header = 2 + mask_bytes;
    *length = len7;
  } else if (len7 == 126) {
    if (n < 4) return false;
    *header = 4 + mask_bytes;
    *length = (uint64_t(p[2]) << 8) | p[3];
  } else {
    if (n < 10) return false;
    *header = 10 + mask_bytes;
    uint64_t v = 0;
    for (int i = 2; i < 10; ++i) v = (v << 8) | p[i];
    *length = v;
  }
  return true;
}

}  // namespace conflux::load
