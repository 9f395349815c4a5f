// y-protocols messages, awareness rules and the JSON text messages, checked
// against the bytes real y-protocols produced (reference/vectors/protocol).
#include <catch2/catch.hpp>

#include "app_messages.h"
#include "awareness.h"
#include "base64.h"
#include "sync_messages.h"
#include "test_util.h"

using namespace conflux;
using namespace conflux::protocol;

namespace {
Bytes vector_file(const std::string& name) {
  Bytes b = test::read_bytes(test::shared_dir() + "/reference/vectors/protocol/" + name);
  REQUIRE(!b.empty());
  return b;
}
Message decode_ok(const Bytes& b) {
  Message m;
  Status st = decode_message(b.data(), b.size(), &m);
  INFO(st.message());
  REQUIRE(st.ok());
  return m;
}
Status decode(const Bytes& b) {
  Message m;
  return decode_message(b.data(), b.size(), &m);
}
Bytes payload_of(const std::string& s) { return Bytes(s.begin(), s.end()); }
}  // namespace

TEST_CASE("sync messages decode and re-encode to y-protocols' bytes", "[protocol]") {
  for (const char* name : {"sync-step1.bin", "sync-step1-empty.bin"}) {
    Bytes b = vector_file(name);
    Message m = decode_ok(b);
    CHECK(m.type == MessageType::Sync);
    CHECK(m.sync == SyncStep::Step1);
    CHECK(encode_sync_step1(m.payload) == b);
  }
  Bytes step2 = vector_file("sync-step2.bin");
  Message m2 = decode_ok(step2);
  CHECK(m2.sync == SyncStep::Step2);
  CHECK(encode_sync_step2(m2.payload) == step2);
  // The step 2 payload is the answer to the empty step 1: a document holding "hi".
  Doc doc;
  REQUIRE(doc.apply_update(m2.payload).ok());
  CHECK(doc.get_text("t").to_string() == "hi");

  Bytes update = vector_file("sync-update.bin");
  Message m3 = decode_ok(update);
  CHECK(m3.sync == SyncStep::Update);
  CHECK(encode_sync_update(m3.payload) == update);
}

TEST_CASE("awareness, auth and query-awareness messages match y-protocols", "[protocol]") {
  Bytes aw = vector_file("awareness-message.bin");
  Message m = decode_ok(aw);
  CHECK(m.type == MessageType::Awareness);
  CHECK(m.payload == vector_file("awareness-update-payload.bin"));
  CHECK(encode_awareness(m.payload) == aw);

  Bytes denied = vector_file("auth-permission-denied.bin");
  Message a = decode_ok(denied);
  CHECK(a.type == MessageType::Auth);
  CHECK(a.reason == "no access to room");
  CHECK(encode_permission_denied("no access to room") == denied);

  Bytes query = vector_file("query-awareness.bin");
  CHECK(decode_ok(query).type == MessageType::QueryAwareness);
  CHECK(encode_query_awareness() == query);
}

TEST_CASE("malformed protocol messages are refused with a reason", "[protocol]") {
  CHECK_FALSE(decode({}).ok());
  CHECK(decode({7}).message() == "unknown message type 7");
  CHECK(decode({0, 3, 0}).message() == "unknown sync message type 3");
  CHECK_FALSE(decode({0, 2, 5, 1, 2}).ok());           // payload shorter than its length
  CHECK_FALSE(decode({0, 0, 2, 1, 0xff}).ok());        // state vector cut inside a number
  CHECK_FALSE(decode({2, 1, 0}).ok());                 // auth type other than permission denied
  CHECK(decode({0, 2, 2, 0, 0, 99}).ok());             // trailing bytes are ignored, as y-protocols does
}

TEST_CASE("awareness follows y-protocols' clock rules", "[protocol][awareness]") {
  Awareness aw;
  AwarenessChange c;
  REQUIRE(aw.apply(vector_file("awareness-update-payload.bin"), 1000, &c).ok());
  CHECK(c.added == std::vector<uint64_t>{10, 20});
  CHECK(aw.present_count() == 2);
  REQUIRE(aw.state(10));
  CHECK(*aw.state(10) == R"({"user":{"name":"Ann","color":"#f00"},"cursor":null})");

  // The same clocks again change nothing.
  AwarenessChange again;
  REQUIRE(aw.apply(vector_file("awareness-update-payload.bin"), 1100, &again).ok());
  CHECK(again.empty());

  // y-protocols' own removal message: clock 2, state null.
  Bytes remove = vector_file("awareness-remove.bin");
  Message rm = decode_ok(remove);
  AwarenessChange removed;
  REQUIRE(aw.apply(rm.payload, 1200, &removed).ok());
  CHECK(removed.removed == std::vector<uint64_t>{10});
  CHECK(aw.state(10) == nullptr);
  // Re-encoding the removal gives y-protocols' bytes.
  CHECK(encode_awareness(aw.encode({10})) == remove);

  // An older clock is ignored; a newer one brings the client back as an update.
  AwarenessChange old;
  Bytes stale{1, 10, 1, 2, '{', '}'};
  REQUIRE(aw.apply(stale, 1300, &old).ok());
  CHECK(old.empty());
  AwarenessChange back;
  Bytes fresh{1, 10, 3, 2, '{', '}'};
  REQUIRE(aw.apply(fresh, 1300, &back).ok());
  CHECK(back.updated == std::vector<uint64_t>{10});
}

TEST_CASE("a client's initial clock-0 state is not taken up, as in y-protocols", "[protocol][awareness]") {
  Awareness aw;
  AwarenessChange c;
  Bytes initial{1, 42, 0, 2, '{', '}'};
  REQUIRE(aw.apply(initial, 0, &c).ok());
  CHECK(c.empty());
  CHECK(aw.present_count() == 0);
}

TEST_CASE("awareness removal on close keeps the clock so peers accept it", "[protocol][awareness]") {
  Awareness aw;
  AwarenessChange c;
  Bytes set{1, 42, 5, 2, '{', '}'};
  REQUIRE(aw.apply(set, 0, &c).ok());
  AwarenessChange r = aw.remove({42, 7}, 10);
  CHECK(r.removed == std::vector<uint64_t>{42});
  Bytes encoded = aw.encode({42});
  CHECK(encoded == Bytes{1, 42, 5, 4, 'n', 'u', 'l', 'l'});
  // A peer that still has the state at clock 5 accepts the equal-clock null.
  Awareness peer;
  AwarenessChange pc, pr;
  REQUIRE(peer.apply(set, 0, &pc).ok());
  REQUIRE(peer.apply(encoded, 1, &pr).ok());
  CHECK(pr.removed == std::vector<uint64_t>{42});
}

TEST_CASE("awareness states time out after 30 seconds", "[protocol][awareness]") {
  Awareness aw;
  AwarenessChange c;
  Bytes a{1, 1, 1, 2, '{', '}'}, b{1, 2, 1, 2, '{', '}'};
  REQUIRE(aw.apply(a, 0, &c).ok());
  REQUIRE(aw.apply(b, 20000, &c).ok());
  CHECK(aw.expire(29999).empty());
  AwarenessChange gone = aw.expire(30000);
  CHECK(gone.removed == std::vector<uint64_t>{1});
  CHECK(aw.present_count() == 1);
}

TEST_CASE("malformed awareness updates change nothing", "[protocol][awareness]") {
  Awareness aw;
  AwarenessChange c;
  // Two entries, the second state not JSON: the first is not applied either.
  Bytes bad{2, 1, 1, 2, '{', '}', 2, 1, 3, '{', 'x', '}'};
  CHECK_FALSE(aw.apply(bad, 0, &c).ok());
  CHECK(c.empty());
  CHECK(aw.present_count() == 0);
  Bytes huge_count{0xff, 0xff, 0xff, 0x0f, 1};
  CHECK_FALSE(aw.apply(huge_count, 0, &c).ok());
  Bytes truncated{1, 1, 1, 9, '{'};
  CHECK_FALSE(aw.apply(truncated, 0, &c).ok());
}

TEST_CASE("JSON clients set awareness with increasing clocks", "[protocol][awareness]") {
  Awareness aw;
  AwarenessChange a, b, r;
  aw.set_local(77, R"({"name":"wscat"})", 0, &a);
  CHECK(a.added == std::vector<uint64_t>{77});
  aw.set_local(77, R"({"name":"wscat2"})", 1, &b);
  CHECK(b.updated == std::vector<uint64_t>{77});
  aw.set_local(77, "null", 2, &r);
  CHECK(r.removed == std::vector<uint64_t>{77});
  CHECK(aw.encode({77}) == Bytes{1, 77, 3, 4, 'n', 'u', 'l', 'l'});
}

TEST_CASE("text frames: structured JSON requests and plain chat", "[protocol][app]") {
  TextRequest r;
  REQUIRE(parse_text_message("hello room", &r).ok());
  CHECK(r.kind == TextRequest::Kind::Chat);
  CHECK(r.text == "hello room");
  REQUIRE(parse_text_message(R"({"type":"chat","text":"hi"})", &r).ok());
  CHECK(r.kind == TextRequest::Kind::Chat);
  CHECK(r.text == "hi");
  // JSON that is not an object with a type is chat too.
  REQUIRE(parse_text_message(R"([1,2])", &r).ok());
  CHECK(r.text == "[1,2]");
  REQUIRE(parse_text_message(R"({"no":"type"})", &r).ok());
  CHECK(r.kind == TextRequest::Kind::Chat);

  REQUIRE(parse_text_message(R"({"type":"awareness","state":{"user":"ann"}})", &r).ok());
  CHECK(r.kind == TextRequest::Kind::Awareness);
  CHECK(r.state_json == R"({"user":"ann"})");
  REQUIRE(parse_text_message(R"({"type":"update","update":"AAA="})", &r).ok());
  CHECK(r.kind == TextRequest::Kind::Update);
  CHECK(r.update == Bytes{0, 0});
  REQUIRE(parse_text_message(R"({"type":"sync"})", &r).ok());
  CHECK(r.kind == TextRequest::Kind::Sync);

  CHECK(parse_text_message(R"({"type":"dance"})", &r).message() == "unknown message type \"dance\"");
  CHECK_FALSE(parse_text_message(R"({"type":"chat","text":5})", &r).ok());
  CHECK_FALSE(parse_text_message(R"({"type":"update","update":"not base64!"})", &r).ok());
  CHECK_FALSE(parse_text_message(R"({"type":"awareness"})", &r).ok());
  CHECK_FALSE(parse_text_message(R"({"type":7})", &r).ok());
}

TEST_CASE("chat JSON names the sender and the time", "[protocol][app]") {
  std::string json = chat_json("r1", {"ann", "s-1"}, "hi \"there\"", 1764000000123);
  CHECK(json ==
        R"({"type":"chat","room":"r1","user":"ann","sid":"s-1","text":"hi \"there\"","time":"2025-11-24T16:00:00.123Z"})");
  CHECK(iso8601_utc(0) == "1970-01-01T00:00:00.000Z");
}

TEST_CASE("base64 is strict and round-trips", "[protocol][app]") {
  for (size_t n = 0; n < 10; ++n) {
    Bytes b;
    for (size_t i = 0; i < n; ++i) b.push_back(uint8_t(i * 37 + 250));
    auto back = base64_decode(base64_encode(b));
    REQUIRE(back);
    CHECK(*back == b);
  }
  CHECK(base64_encode(payload_of("hello")) == "aGVsbG8=");
  CHECK_FALSE(base64_decode("aGVsbG8"));    // missing padding
  CHECK_FALSE(base64_decode("aGVsbG9="));   // non-zero bits under the padding
  CHECK_FALSE(base64_decode("aGV sbG8="));  // whitespace
  CHECK_FALSE(base64_decode("a=Vs"));
}
