#include "websocket_codec.h"

#include <cstring>

namespace conflux::net {
namespace {
bool is_control(Opcode op) { return uint8_t(op) & 0x8; }

bool valid_close_code(uint16_t c) {
  return (c >= 1000 && c <= 1003) || (c >= 1007 && c <= 1011) || (c >= 3000 && c <= 4999);
}
}  // namespace

bool is_valid_utf8(std::string_view s) {
  const auto* p = reinterpret_cast<const uint8_t*>(s.data());
  const auto* end = p + s.size();
  while (p < end) {
    uint8_t c = *p;
    if (c < 0x80) {
      ++p;
      continue;
    }
    size_t n;
    uint32_t cp;
    if ((c & 0xE0) == 0xC0) n = 1, cp = c & 0x1F;
    else if ((c & 0xF0) == 0xE0) n = 2, cp = c & 0x0F;
    else if ((c & 0xF8) == 0xF0) n = 3, cp = c & 0x07;
    else return false;
    if (size_t(end - p) <= n) return false;
    for (size_t i = 1; i <= n; ++i) {
      if ((p[i] & 0xC0) != 0x80) return false;
      cp = cp << 6 | (p[i] & 0x3F);
    }
    // Overlong forms, surrogates and values past U+10FFFF are not UTF-8.
    if ((n == 1 && cp < 0x80) || (n == 2 && cp < 0x800) || (n == 3 && cp < 0x10000)) return false;
    if ((cp >= 0xD800 && cp <= 0xDFFF) || cp > 0x10FFFF) return false;
    p += n + 1;
  }
  return true;
}

uint16_t FrameDecoder::fail(uint16_t code, const char* why, std::string* error) {
  failed_ = code;
  failed_why_ = why;
  *error = why;
  return code;
}

uint16_t FrameDecoder::header_complete(std::string* error) {
  uint8_t b0 = header_[0], b1 = header_[1];
  fin_ = b0 & 0x80;
  opcode_ = Opcode(b0 & 0x0F);
  uint64_t len = b1 & 0x7F;
  size_t at = 2;
  if (len == 126) {
    len = uint64_t(header_[2]) << 8 | header_[3];
    at = 4;
  } else if (len == 127) {
    len = 0;
    for (int i = 0; i < 8; ++i) len = len << 8 | header_[2 + i];
    at = 10;
    if (len >> 63) return fail(close_code::kProtocolError, "frame length with the top bit set", error);
  }
  std::memcpy(mask_, header_ + at, 4);
  mask_pos_ = 0;

  if (is_control(opcode_)) {
    if (!fin_) return fail(close_code::kProtocolError, "fragmented control frame", error);
    if (len > 125) return fail(close_code::kProtocolError, "control frame over 125 bytes", error);
    control_.clear();
    control_.reserve(len);
  } else if (opcode_ == Opcode::Continuation) {
    if (!in_message_) return fail(close_code::kProtocolError, "continuation frame without a message", error);
  } else {
    if (in_message_) return fail(close_code::kProtocolError, "new message inside a fragmented one", error);
    in_message_ = true;
    message_text_ = opcode_ == Opcode::Text;
    message_.clear();
  }
  if (!is_control(opcode_)) {
    // Refused before buffering: a client cannot make us hold more than the limit.
    if (len > max_message_size_ || message_.size() + len > max_message_size_)
      return fail(close_code::kMessageTooBig, "message too big", error);
    message_.reserve(message_.size() + len);
  }
  payload_left_ = len;
  in_payload_ = true;
  return 0;
}

uint16_t FrameDecoder::frame_complete(std::vector<WsEvent>* out, std::string* error) {
  in_payload_ = false;
  header_have_ = 0;
  header_need_ = 2;
  if (!is_control(opcode_)) {
    if (!fin_) return 0;
    in_message_ = false;
    if (message_text_ && !is_valid_utf8(message_)) return fail(close_code::kInvalidPayload, "text message is not UTF-8", error);
    WsEvent ev;
    ev.kind = WsEvent::Kind::Message;
    ev.text = message_text_;
    ev.payload = std::move(message_);
    message_.clear();
    out->push_back(std::move(ev));
    return 0;
  }
  WsEvent ev;
  switch (opcode_) {
    case Opcode::Ping: ev.kind = WsEvent::Kind::Ping; ev.payload = std::move(control_); break;
    case Opcode::Pong: ev.kind = WsEvent::Kind::Pong; ev.payload = std::move(control_); break;
    default: {
      ev.kind = WsEvent::Kind::Close;
      if (control_.empty()) {
        ev.close_code = 1005;
      } else if (control_.size() == 1) {
        return fail(close_code::kProtocolError, "close frame with a one-byte payload", error);
      } else {
        ev.close_code = uint16_t(uint8_t(control_[0]) << 8 | uint8_t(control_[1]));
        if (!valid_close_code(ev.close_code)) return fail(close_code::kProtocolError, "invalid close code", error);
        ev.close_reason = control_.substr(2);
        if (!is_valid_utf8(ev.close_reason)) return fail(close_code::kInvalidPayload, "close reason is not UTF-8", error);
      }
    }
  }
  control_.clear();
  out->push_back(std::move(ev));
  return 0;
}

uint16_t FrameDecoder::feed(const uint8_t* data, size_t n, std::vector<WsEvent>* out, std::string* error) {
  if (failed_) {
    *error = failed_why_;
    return failed_;
  }
  const uint8_t* p = data;
  const uint8_t* end = data + n;
  while (p < end) {
    if (!in_payload_) {
      header_[header_have_++] = *p++;
      if (header_have_ == 2) {
        // The second byte tells how long the header is.
        if (header_[0] & 0x70) return fail(close_code::kProtocolError, "reserved bits set", error);
        uint8_t op = header_[0] & 0x0F;
        if (!(op <= 2 || (op >= 8 && op <= 10))) return fail(close_code::kProtocolError, "reserved opcode", error);
        if (!(header_[1] & 0x80)) return fail(close_code::kProtocolError, "client frame not masked", error);
        uint8_t len7 = header_[1] & 0x7F;
        header_need_ = 2 + (len7 == 126 ? 2 : len7 == 127 ? 8 : 0) + 4;
      }
      if (header_have_ == header_need_) {
        if (uint16_t code = header_complete(error)) return code;
        if (payload_left_ == 0)
          if (uint16_t code = frame_complete(out, error)) return code;
      }
      continue;
    }
    size_t take = size_t(std::min<uint64_t>(payload_left_, uint64_t(end - p)));
    std::string& dst = is_control(opcode_) ? control_ : message_;
    size_t start = dst.size();
    dst.append(reinterpret_cast<const char*>(p), take);
    for (size_t i = start; i < dst.size(); ++i) dst[i] = char(uint8_t(dst[i]) ^ mask_[mask_pos_++ & 3]);
    p += take;
    payload_left_ -= take;
    if (payload_left_ == 0)
      if (uint16_t code = frame_complete(out, error)) return code;
  }
  return 0;
}

size_t encode_frame_header(Opcode opcode, uint64_t size, uint8_t out[10]) {
  out[0] = uint8_t(0x80 | uint8_t(opcode));
  if (size < 126) {
    out[1] = uint8_t(size);
    return 2;
  }
  if (size <= 0xFFFF) {
    out[1] = 126;
    out[2] = uint8_t(size >> 8);
    out[3] = uint8_t(size);
    return 4;
  }
  out[1] = 127;
  for (int i = 0; i < 8; ++i) out[2 + i] = uint8_t(size >> (56 - 8 * i));
  return 10;
}

std::string encode_frame(Opcode opcode, std::string_view payload) {
  uint8_t header[10];
  size_t n = encode_frame_header(opcode, payload.size(), header);
  std::string out(reinterpret_cast<const char*>(header), n);
  out.append(payload);
  return out;
}

std::string encode_close_payload(uint16_t code, std::string_view reason) {
  std::string out{char(code >> 8), char(code & 0xFF)};
  size_t len = std::min<size_t>(reason.size(), 123);
  // Never cut a UTF-8 sequence: back up over continuation bytes.
  while (len < reason.size() && len > 0 && (uint8_t(reason[len]) & 0xC0) == 0x80) --len;
  out.append(reason.substr(0, len));
  return out;
}

}  // namespace conflux::net
