// RFC 6455, client side, without I/O: the upgrade request and the check of
// its answer, masked frames out, unmasked frames in.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace conflux::load {

enum class WsOpcode : uint8_t { Continuation = 0x0, Text = 0x1, Binary = 0x2, Close = 0x8, Ping = 0x9, Pong = 0xA };

// A fresh Sec-WebSocket-Key (base64 of 16 random bytes).
std::string new_websocket_key(uint64_t random_a, uint64_t random_b);
std::string upgrade_request(std::string_view host_port, std::string_view path, std::string_view key);
// Checks a whole response head (up to and including the blank line): a 101
// whose Sec-WebSocket-Accept matches the key. Returns an empty string when it
// is good, else what is wrong.
std::string check_upgrade_response(std::string_view head, std::string_view key);

// Appends one unfragmented frame, masked with `mask` as every client frame must be.
void append_masked_frame(std::string* out, WsOpcode opcode, const uint8_t* payload, size_t size, uint32_t mask);

// Splits the server's byte stream into whole messages and control frames.
class FrameReader {
 public:
  struct Event {
    WsOpcode opcode;  // Binary/Text for a whole message, else the control frame's
    std::string_view payload;  // valid until the next feed()
  };

  // Consumes `n` bytes and calls on_event(const Event&) for each complete
  // message or control frame. Returns false when the server broke the framing
  // (a masked frame, a reserved opcode, a stray continuation).
  template <class OnEvent>
  bool feed(const char* data, size_t n, OnEvent&& on_event) {
    if (!partial_.empty()) {
      partial_.append(data, n);
      size_t used = 0;
      bool ok = parse(partial_.data(), partial_.size(), &used, on_event);
      partial_.erase(0, used);
      if (partial_.empty()) std::string().swap(partial_);  // idle clients hold no buffer
      return ok;
    }
    size_t used = 0;
    bool ok = parse(data, n, &used, on_event);
    if (used < n) partial_.assign(data + used, n - used);
    return ok;
  }

 private:
  template <class OnEvent>
  bool parse(const char* data, size_t n, size_t* used, OnEvent& on_event) {
    size_t pos = 0;
    while (true) {
      size_t header = 0;
      uint64_t length = 0;
      if (!frame_size(reinterpret_cast<const uint8_t*>(data + pos), n - pos, &header, &length)) break;
      if (n - pos < header + length) break;
      auto b0 = uint8_t(data[pos]);
      if (uint8_t(data[pos + 1]) & 0x80) return false;  // servers never mask
      bool fin = b0 & 0x80;
      auto opcode = WsOpcode(b0 & 0x0f);
      std::string_view payload(data + pos + header, size_t(length));
      pos += header + size_t(length);
      *used = pos;
      switch (opcode) {
        case WsOpcode::Binary:
        case WsOpcode::Text:
          if (in_message_) return false;
          if (fin) {
            on_event(Event{opcode, payload});
          } else {
            in_message_ = true;
            message_opcode_ = opcode;
            message_.assign(payload);
          }
          break;
        case WsOpcode::Continuation:
          if (!in_message_) return false;
          message_.append(payload);
          if (fin) {
            in_message_ = false;
            on_event(Event{message_opcode_, message_});
            std::string().swap(message_);
          }
          break;
        case WsOpcode::Close:
        case WsOpcode::Ping:
        case WsOpcode::Pong:
          on_event(Event{opcode, payload});
          break;
        default:
          return false;
      }
    }
    *used = pos;
    return true;
  }
  // The header length and payload length of the frame at `p`, once its header is complete.
  static bool frame_size(const uint8_t* p, size_t n, size_t* header, uint64_t* length);

  std::string partial_;  // an incomplete frame carried to the next feed()
  std::string message_;  // a fragmented message being assembled
  WsOpcode message_opcode_ = WsOpcode::Binary;
  bool in_message_ = false;
};

}  // namespace conflux::load
