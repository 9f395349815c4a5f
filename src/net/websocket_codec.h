// RFC 6455 framing, server side, without I/O: the decoder turns bytes from a
// client into whole messages and control frames; the encoder writes headers
// for frames to a client. Kept apart from sockets so every rule is testable.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace conflux::net {

enum class Opcode : uint8_t { Continuation = 0x0, Text = 0x1, Binary = 0x2, Close = 0x8, Ping = 0x9, Pong = 0xA };

// Close codes (RFC 6455 7.4.1) the server uses.
namespace close_code {
inline constexpr uint16_t kNormal = 1000;
inline constexpr uint16_t kGoingAway = 1001;
inline constexpr uint16_t kProtocolError = 1002;
inline constexpr uint16_t kInvalidPayload = 1007;  // text that is not UTF-8
inline constexpr uint16_t kPolicyViolation = 1008;
inline constexpr uint16_t kMessageTooBig = 1009;
inline constexpr uint16_t kInternalError = 1011;
inline constexpr uint16_t kTryAgainLater = 1013;  // a client too slow to keep up
}  // namespace close_code

struct WsEvent {
  enum class Kind : uint8_t { Message, Ping, Pong, Close } kind = Kind::Message;
  bool text = false;     // Message: a text (true) or binary (false) message
  std::string payload;   // Message: assembled from all fragments, unmasked; Ping/Pong: the payload
  uint16_t close_code = 0;   // Close: the peer's code (1005 when it sent none)
  std::string close_reason;  // Close
};

// Decodes frames sent by a client. Every frame must be masked. Fragmented
// messages are reassembled; control frames may arrive between fragments.
class FrameDecoder {
 public:
  explicit FrameDecoder(size_t max_message_size) : max_message_size_(max_message_size) {}

  // Consumes `n` bytes (any split: a frame may arrive one byte at a time) and
  // appends complete events to *out. Returns 0 while the stream is valid, or
  // the close code to fail the connection with, and sets *error:
  //   1002 protocol error (unmasked frame, reserved bits or opcode, a control
  //        frame fragmented or over 125 bytes, a continuation with nothing to
  //        continue, a new message inside a fragmented one, a bad close payload),
  //   1007 a text message or close reason that is not valid UTF-8,
  //   1009 a message (total of its fragments) over max_message_size.
  // After an error the decoder stays failed and consumes nothing more.
  uint16_t feed(const uint8_t* data, size_t n, std::vector<WsEvent>* out, std::string* error);

 private:
  uint16_t fail(uint16_t code, const char* why, std::string* error);
  uint16_t header_complete(std::string* error);  // validates the header just read
  uint16_t frame_complete(std::vector<WsEvent>* out, std::string* error);

  size_t max_message_size_;
  // The frame being read: its header bytes, then its payload.
  uint8_t header_[14] = {};
  size_t header_have_ = 0;
  size_t header_need_ = 2;
  bool in_payload_ = false;
  uint64_t payload_left_ = 0;
  uint8_t mask_[4] = {};
  size_t mask_pos_ = 0;
  Opcode opcode_ = Opcode::Continuation;
  bool fin_ = false;
  std::string control_;  // payload of a control frame
  // The data message being assembled from its fragments.
  std::string message_;
  bool in_message_ = false;
  bool message_text_ = false;
  uint16_t failed_ = 0;
  std::string failed_why_;
};

// Writes the header of one unfragmented, unmasked server frame into `out`
// (at most 10 bytes) and returns its length.
size_t encode_frame_header(Opcode opcode, uint64_t payload_size, uint8_t out[10]);
// A whole frame (header + payload), for small control frames and tests.
std::string encode_frame(Opcode opcode, std::string_view payload);
// The payload of a close frame: the code in network order, then the reason
// (cut to fit the 125-byte limit on a UTF-8 boundary).
std::string encode_close_payload(uint16_t code, std::string_view reason);

bool is_valid_utf8(std::string_view s);

}  // namespace conflux::net
