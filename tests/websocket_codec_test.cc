// RFC 6455 framing rules of the server-side decoder and encoder.
#include <catch2/catch.hpp>

#include "websocket_codec.h"

using namespace conflux::net;

namespace {

// A client frame: masked, as browsers and `ws` send them.
std::string client_frame(uint8_t opcode, std::string_view payload, bool fin = true, bool masked = true,
                         uint8_t rsv = 0) {
  std::string f;
  f += char((fin ? 0x80 : 0) | rsv | opcode);
  uint8_t mask_bit = masked ? 0x80 : 0;
  if (payload.size() < 126) {
    f += char(mask_bit | payload.size());
  } else if (payload.size() <= 0xFFFF) {
    f += char(mask_bit | 126);
    f += char(payload.size() >> 8);
    f += char(payload.size() & 0xFF);
  } else {
    f += char(mask_bit | 127);
    for (int i = 7; i >= 0; --i) f += char((uint64_t(payload.size()) >> (8 * i)) & 0xFF);
  }
  const uint8_t key[4] = {0x37, 0xfa, 0x21, 0x3d};
  if (masked) f.append(reinterpret_cast<const char*>(key), 4);
  for (size_t i = 0; i < payload.size(); ++i) f += masked ? char(payload[i] ^ key[i % 4]) : payload[i];
  return f;
}

struct Fed {
  uint16_t code = 0;
  std::string error;
  std::vector<WsEvent> events;
};

Fed feed(FrameDecoder& d, std::string_view bytes) {
  Fed r;
  r.code = d.feed(reinterpret_cast<const uint8_t*>(bytes.data()), bytes.size(), &r.events, &r.error);
  return r;
}
Fed feed_all(std::string_view bytes, size_t max = 1 << 20) {
  FrameDecoder d(max);
  return feed(d, bytes);
}
Fed feed_bytewise(std::string_view bytes, size_t max = 1 << 20) {
  FrameDecoder d(max);
  Fed r;
  for (char c : bytes) {
    Fed one = feed(d, std::string_view(&c, 1));
    for (auto& e : one.events) r.events.push_back(std::move(e));
    if (one.code) return {one.code, one.error, std::move(r.events)};
  }
  return r;
}

}  // namespace

TEST_CASE("the RFC 6455 masked 'Hello' example decodes", "[net][websocket]") {
  const char bytes[] = "\x81\x85\x37\xfa\x21\x3d\x7f\x9f\x4d\x51\x58";
  Fed r = feed_all(std::string_view(bytes, 11));
  REQUIRE(r.code == 0);
  REQUIRE(r.events.size() == 1);
  CHECK(r.events[0].kind == WsEvent::Kind::Message);
  CHECK(r.events[0].text);
  CHECK(r.events[0].payload == "Hello");
}

TEST_CASE("fragments are reassembled around control frames, at any split", "[net][websocket]") {
  std::string stream = client_frame(0x1, "Hel", false) + client_frame(0x9, "ping!") + client_frame(0x0, "lo") +
                       client_frame(0x2, std::string(300, 'b')) + client_frame(0x2, std::string(70000, 'c')) +
                       client_frame(0xA, "") + client_frame(0x8, std::string("\x03\xe8" "bye", 5));
  for (auto* decode : {&feed_all, &feed_bytewise}) {
    Fed r = (*decode)(stream, 1 << 20);
    REQUIRE(r.code == 0);
    REQUIRE(r.events.size() == 6);
    CHECK(r.events[0].kind == WsEvent::Kind::Ping);
    CHECK(r.events[0].payload == "ping!");
    CHECK(r.events[1].payload == "Hello");
    CHECK(r.events[2].payload == std::string(300, 'b'));
    CHECK_FALSE(r.events[2].text);
    CHECK(r.events[3].payload == std::string(70000, 'c'));
    CHECK(r.events[4].kind == WsEvent::Kind::Pong);
    CHECK(r.events[5].kind == WsEvent::Kind::Close);
    CHECK(r.events[5].close_code == 1000);
    CHECK(r.events[5].close_reason == "bye");
  }
}

TEST_CASE("framing errors fail the connection with the right close code", "[net][websocket]") {
  CHECK(feed_all(client_frame(0x2, "x", true, false)).code == 1002);               // unmasked
  CHECK(feed_all(client_frame(0x2, "x", true, true, 0x40)).code == 1002);          // RSV1
  CHECK(feed_all(client_frame(0x3, "x")).code == 1002);                            // reserved opcode
  CHECK(feed_all(client_frame(0xB, "x")).code == 1002);                            // reserved control opcode
  CHECK(feed_all(client_frame(0x9, "x", false)).code == 1002);                     // fragmented ping
  CHECK(feed_all(client_frame(0x9, std::string(126, 'p'))).code == 1002);          // control over 125 bytes
  CHECK(feed_all(client_frame(0x0, "x")).code == 1002);                            // nothing to continue
  CHECK(feed_all(client_frame(0x1, "a", false) + client_frame(0x1, "b")).code == 1002);  // message inside a message
  CHECK(feed_all(client_frame(0x8, "\x03")).code == 1002);                         // one-byte close payload
  CHECK(feed_all(client_frame(0x8, std::string("\x03\xed", 2))).code == 1002);     // close code 1005 on the wire
  CHECK(feed_all(client_frame(0x8, std::string("\x03\xe8\xff", 3))).code == 1007);  // close reason not UTF-8
  // A 64-bit length with the top bit set.
  std::string huge = "\x82\xff";
  huge += std::string("\x80\0\0\0\0\0\0\0", 8);
  huge += "abcd";
  CHECK(feed_all(huge).code == 1002);
}

TEST_CASE("a failed decoder stays failed", "[net][websocket]") {
  FrameDecoder d(1000);
  CHECK(feed(d, client_frame(0x2, "x", true, false)).code == 1002);
  Fed again = feed(d, client_frame(0x2, "fine"));
  CHECK(again.code == 1002);
  CHECK(again.events.empty());
}

TEST_CASE("text must be UTF-8, the same bytes are fine as binary", "[net][websocket]") {
  for (std::string bad : {"\xc0\xaf", "\xed\xa0\x80", "\xf4\x90\x80\x80", "\xe2\x82", "ok\xff"}) {
    INFO(bad);
    CHECK(feed_all(client_frame(0x1, bad)).code == 1007);
    CHECK(feed_all(client_frame(0x2, bad)).code == 0);
  }
  CHECK(feed_all(client_frame(0x1, "h\xc3\xa9llo \xf0\x9f\x98\x80")).code == 0);
  // A code point split across fragments is fine.
  CHECK(feed_all(client_frame(0x1, "\xf0\x9f", false) + client_frame(0x0, "\x98\x80")).code == 0);
  CHECK(is_valid_utf8(""));
  CHECK_FALSE(is_valid_utf8("\x80"));
}

TEST_CASE("the message size limit holds for one frame and across fragments", "[net][websocket]") {
  CHECK(feed_all(client_frame(0x2, std::string(100, 'a')), 100).code == 0);
  Fed over = feed_all(client_frame(0x2, std::string(101, 'a')), 100);
  CHECK(over.code == 1009);
  CHECK(over.error == "message too big");
  CHECK(feed_all(client_frame(0x2, std::string(60, 'a'), false) + client_frame(0x0, std::string(40, 'a')), 100).code == 0);
  CHECK(feed_all(client_frame(0x2, std::string(60, 'a'), false) + client_frame(0x0, std::string(41, 'a')), 100).code ==
        1009);
  // Refused from the header alone: a 1 GiB frame is not buffered first.
  FrameDecoder d(1 << 20);
  std::string header = "\x82\xff";
  for (int i = 7; i >= 0; --i) header += char((uint64_t(1) << 30 >> (8 * i)) & 0xFF);
  header += "abcd";
  CHECK(feed(d, header).code == 1009);
}

TEST_CASE("server frame headers use the shortest length form", "[net][websocket]") {
  uint8_t h[10];
  CHECK(encode_frame_header(Opcode::Binary, 0, h) == 2);
  CHECK((h[0] == 0x82 && h[1] == 0));
  CHECK(encode_frame_header(Opcode::Text, 125, h) == 2);
  CHECK(h[1] == 125);
  CHECK(encode_frame_header(Opcode::Binary, 126, h) == 4);
  CHECK((h[1] == 126 && h[2] == 0 && h[3] == 126));
  CHECK(encode_frame_header(Opcode::Binary, 65535, h) == 4);
  CHECK(encode_frame_header(Opcode::Binary, 65536, h) == 10);
  CHECK((h[1] == 127 && h[7] == 1 && h[8] == 0 && h[9] == 0));
  CHECK(encode_frame(Opcode::Pong, "hi") == std::string("\x8a\x02hi", 4));
}

TEST_CASE("close payloads carry the code and a reason cut on a UTF-8 boundary", "[net][websocket]") {
  CHECK(encode_close_payload(1009, "too big") == std::string("\x03\xf1too big", 9));
  std::string reason = std::string(122, 'a') + "\xc3\xa9\xc3\xa9";  // 126 bytes; byte 123 is inside "é"
  std::string p = encode_close_payload(1000, reason);
  CHECK(p.size() == 2 + 122);
  CHECK(is_valid_utf8(p.substr(2)));
  CHECK(p.size() <= 125);
}
