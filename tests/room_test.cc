// Room actors and the room manager, driven without any network: a fake peer
// records what each connection would receive.
#include <catch2/catch.hpp>

#include <deque>

#include "app_messages.h"
#include "awareness.h"
#include "base64.h"
#include "conflux/room.h"
#include "sync_messages.h"

using namespace conflux;
using namespace conflux::protocol;
using Clock = std::chrono::steady_clock;

namespace {

// Runs posted work when asked, on the test's thread.
class ManualExecutor : public Executor {
 public:
  void post(std::function<void()> work) override { queue_.push_back(std::move(work)); }
  void run() {
    while (!queue_.empty()) {
      auto f = std::move(queue_.front());
      queue_.pop_front();
      f();
    }
  }

 private:
  std::deque<std::function<void()>> queue_;
};

class FakePeer : public Peer {
 public:
  bool send(const OutFrame& f) override {
    if (refuse_sends) return false;
    frames.push_back(f);
    return true;
  }
  void close(uint16_t code, std::string_view reason) override { closed_with = code; }

  std::vector<OutFrame> frames;
  bool refuse_sends = false;
  uint16_t closed_with = 0;

  // Decoded binary messages received so far.
  std::vector<Message> binary() const {
    std::vector<Message> out;
    for (const auto& f : frames) {
      if (f.text) continue;
      Message m;
      REQUIRE(decode_message(reinterpret_cast<const uint8_t*>(f.data->data()), f.data->size(), &m).ok());
      out.push_back(std::move(m));
    }
    return out;
  }
  std::vector<Any> json() const {
    std::vector<Any> out;
    for (const auto& f : frames) {
      if (!f.text) continue;
      Any v;
      REQUIRE(Any::from_json(*f.data, &v));
      out.push_back(std::move(v));
    }
    return out;
  }
  size_t count(MessageType type) const {
    size_t n = 0;
    for (const auto& m : binary()) n += m.type == type;
    return n;
  }
};

std::string as_string(const Bytes& b) { return std::string(b.begin(), b.end()); }

Bytes text_insert_update(uint64_t client, const std::string& s) {
  Doc d(Doc::Options{.client_id = client});
  d.get_text("t").insert(0, s);
  return d.encode_state_as_update();
}

struct Fixture {
  ManualExecutor exec;
  RoomManager rooms{exec, options()};

  static RoomManager::Options options() {
    RoomManager::Options o;
    o.idle_timeout = std::chrono::seconds(5);
    o.text_grace = std::chrono::milliseconds(500);
    return o;
  }
  ManagerStats stats() {
    ManagerStats out;
    bool done = false;
    rooms.stats([&](ManagerStats s) {
      out = std::move(s);
      done = true;
    });
    exec.run();
    REQUIRE(done);
    return out;
  }
  static Identity who(std::string user, bool read_only = false) { return {user, user + "-sid", "", read_only}; }
};

}  // namespace

TEST_CASE("a joining client gets the room's step 1 and answers to its own", "[room]") {
  Fixture f;
  auto peer = std::make_shared<FakePeer>();
  auto s = f.rooms.join("r", Fixture::who("ann"), peer);
  f.exec.run();
  auto msgs = peer->binary();
  REQUIRE(msgs.size() == 1);
  CHECK(msgs[0].sync == SyncStep::Step1);
  CHECK(msgs[0].payload == Bytes{0});

  s->receive(as_string(encode_sync_update(text_insert_update(1, "hello"))), false);
  s->receive(as_string(encode_sync_step1(Bytes{0})), false);
  f.exec.run();
  msgs = peer->binary();
  REQUIRE(msgs.size() == 3);
  CHECK(msgs[1].sync == SyncStep::Update);  // the sender gets its own update back, as y-websocket does
  CHECK(msgs[2].sync == SyncStep::Step2);
  Doc copy;
  REQUIRE(copy.apply_update(msgs[2].payload).ok());
  CHECK(copy.get_text("t").to_string() == "hello");
}

TEST_CASE("the full sync handed to new clients follows every change", "[room]") {
  Fixture f;
  auto a = std::make_shared<FakePeer>();
  auto sa = f.rooms.join("r", Fixture::who("ann"), a);
  f.exec.run();
  auto full_sync = [&] {
    auto p = std::make_shared<FakePeer>();
    auto s = f.rooms.join("r", Fixture::who("new"), p);
    s->receive(as_string(encode_sync_step1(Bytes{0})), false);
    f.exec.run();
    Message last = p->binary().back();
    REQUIRE(last.sync == SyncStep::Step2);
    s->leave();
    f.exec.run();
    return last.payload;
  };
  Doc writer(Doc::Options{.client_id = 7});
  Bytes from = writer.encode_state_vector();
  writer.get_text("t").insert(0, "one");
  Bytes first = writer.encode_state_as_update(from);
  from = writer.encode_state_vector();
  writer.get_text("t").insert(3, " two");
  Bytes second = writer.encode_state_as_update(from);
  from = writer.encode_state_vector();
  writer.get_text("t").insert(7, " three");
  Bytes third = writer.encode_state_as_update(from);

  sa->receive(as_string(encode_sync_update(first)), false);
  f.exec.run();
  Bytes v1 = full_sync();
  CHECK(full_sync() == v1);  // asked twice, unchanged
  // `third` waits for `second`: the room's state still grows (pending data).
  sa->receive(as_string(encode_sync_update(third)), false);
  f.exec.run();
  Bytes v2 = full_sync();
  CHECK(v2 != v1);
  sa->receive(as_string(encode_sync_update(second)), false);
  f.exec.run();
  Doc joiner;
  REQUIRE(joiner.apply_update(full_sync()).ok());
  CHECK(joiner.get_text("t").to_string() == "one two three");
}

TEST_CASE("new clients share one encoded full sync until the document changes", "[room]") {
  Fixture f;
  auto a = std::make_shared<FakePeer>();
  auto sa = f.rooms.join("r", Fixture::who("ann"), a);
  sa->receive(as_string(encode_sync_update(text_insert_update(1, "shared"))), false);
  f.exec.run();
  // A joiner asks with an empty state vector and, like every stock client,
  // answers our step 1 with an empty update.
  auto join_and_sync = [&] {
    auto p = std::make_shared<FakePeer>();
    auto s = f.rooms.join("r", Fixture::who("new"), p);
    s->receive(as_string(encode_sync_step1(Bytes{0})), false);
    s->receive(as_string(encode_sync_step2(Bytes{0, 0})), false);
    f.exec.run();
    for (auto it = p->frames.rbegin(); it != p->frames.rend(); ++it) {
      Message m;
      if (!it->text && decode_message(reinterpret_cast<const uint8_t*>(it->data->data()), it->data->size(), &m).ok() &&
          m.sync == SyncStep::Step2)
        return it->data;
    }
    FAIL("no step 2");
    return std::shared_ptr<const std::string>();
  };
  auto first = join_and_sync();
  CHECK(join_and_sync() == first);  // the same bytes, not encoded again
  sa->receive(as_string(encode_sync_update(text_insert_update(2, "more"))), false);
  f.exec.run();
  CHECK(join_and_sync() != first);
}

TEST_CASE("updates reach every member, a late joiner syncs everything", "[room]") {
  Fixture f;
  auto a = std::make_shared<FakePeer>(), b = std::make_shared<FakePeer>();
  auto sa = f.rooms.join("r", Fixture::who("ann"), a);
  auto sb = f.rooms.join("r", Fixture::who("bob"), b);
  f.exec.run();
  sa->receive(as_string(encode_sync_update(text_insert_update(1, "ab"))), false);
  f.exec.run();
  REQUIRE(b->binary().size() == 2);
  Doc bob;
  REQUIRE(bob.apply_update(b->binary()[1].payload).ok());
  CHECK(bob.get_text("t").to_string() == "ab");
  // The broadcast is encoded once: both receivers hold the same bytes.
  CHECK(a->frames.back().data == b->frames.back().data);

  auto c = std::make_shared<FakePeer>();
  auto sc = f.rooms.join("r", Fixture::who("cid"), c);
  sc->receive(as_string(encode_sync_step1(Bytes{0})), false);
  f.exec.run();
  Doc late;
  REQUIRE(late.apply_update(c->binary().back().payload).ok());
  CHECK(late.get_text("t").to_string() == "ab");
  CHECK(f.rooms.room_count() == 1);
}

TEST_CASE("a malformed update is refused for that message only", "[room]") {
  Fixture f;
  auto a = std::make_shared<FakePeer>(), b = std::make_shared<FakePeer>();
  auto sa = f.rooms.join("r", Fixture::who("ann"), a);
  auto sb = f.rooms.join("r", Fixture::who("bob"), b);
  sa->receive(as_string(encode_sync_update(text_insert_update(1, "ok"))), false);
  f.exec.run();
  uint64_t size_before = f.stats().rooms[0].document_bytes;
  size_t b_frames = b->frames.size();

  Bytes bad = text_insert_update(2, "bad");
  bad.resize(bad.size() - 3);  // cut short
  sa->receive(as_string(encode_sync_update(bad)), false);
  sa->receive(std::string("\x07\x01", 2), false);  // an unknown message type
  f.exec.run();
  std::vector<std::string> reasons;
  for (const auto& m : a->binary())
    if (m.type == MessageType::Auth) reasons.push_back(m.reason);
  REQUIRE(reasons.size() == 2);
  CHECK(reasons[0].find("update refused: ") == 0);
  CHECK(reasons[1] == "unknown message type 7");
  CHECK(b->frames.size() == b_frames);  // others see nothing
  auto st = f.stats();
  CHECK(st.rooms[0].document_bytes == size_before);
  CHECK(st.rooms[0].refused_messages == 2);
  CHECK(st.rooms[0].updates_applied == 1);

  // The room and the sender keep working.
  sa->receive(as_string(encode_sync_update(text_insert_update(3, "!"))), false);
  f.exec.run();
  CHECK(b->frames.size() == b_frames + 1);
  CHECK(f.stats().rooms[0].updates_applied == 2);
}

TEST_CASE("read-only members receive but cannot write", "[room]") {
  Fixture f;
  auto w = std::make_shared<FakePeer>(), ro = std::make_shared<FakePeer>();
  auto sw = f.rooms.join("r", Fixture::who("writer"), w);
  auto sr = f.rooms.join("r", Fixture::who("reader", true), ro);
  sr->receive(as_string(encode_sync_step2(Bytes{0, 0})), false);  // a stock client's empty answer: silently fine
  sw->receive(as_string(encode_sync_update(text_insert_update(1, "w"))), false);
  f.exec.run();
  CHECK(ro->count(MessageType::Auth) == 0);
  CHECK(ro->binary().back().sync == SyncStep::Update);  // it receives the writer's change

  size_t w_frames = w->frames.size();
  sr->receive(as_string(encode_sync_update(text_insert_update(2, "nope"))), false);
  f.exec.run();
  CHECK(ro->binary().back().type == MessageType::Auth);
  CHECK(ro->binary().back().reason == "read-only: updates are not accepted");
  CHECK(w->frames.size() == w_frames);
  auto st = f.stats();
  CHECK(st.rooms[0].updates_applied == 1);
  CHECK(st.rooms[0].refused_messages == 1);
}

TEST_CASE("awareness is shared, owned by its connection and removed when it leaves", "[room][awareness]") {
  Fixture f;
  auto a = std::make_shared<FakePeer>(), b = std::make_shared<FakePeer>();
  auto sa = f.rooms.join("r", Fixture::who("ann"), a);
  auto sb = f.rooms.join("r", Fixture::who("bob"), b);
  Bytes state{1, 101, 3, 2, '{', '}'};
  sa->receive(as_string(encode_awareness(state)), false);
  f.exec.run();
  REQUIRE(b->count(MessageType::Awareness) == 1);
  CHECK(b->binary().back().payload == state);

  // A late joiner gets the present states right after the step 1.
  auto c = std::make_shared<FakePeer>();
  auto sc = f.rooms.join("r", Fixture::who("cid"), c);
  f.exec.run();
  REQUIRE(c->binary().size() == 2);
  CHECK(c->binary()[1].payload == state);

  sa->leave();
  f.exec.run();
  auto removal = b->binary().back();
  REQUIRE(removal.type == MessageType::Awareness);
  CHECK(removal.payload == Bytes({1, 101, 3, 4, 'n', 'u', 'l', 'l'}));
  auto st = f.stats();
  CHECK(st.rooms[0].awareness_states == 0);
  CHECK(st.rooms[0].awareness_events == 2);
  CHECK(st.rooms[0].clients == 2);
}

TEST_CASE("awareness not renewed for 30 s times out", "[room][awareness]") {
  Fixture f;
  auto a = std::make_shared<FakePeer>(), b = std::make_shared<FakePeer>();
  auto sa = f.rooms.join("r", Fixture::who("ann"), a);
  auto sb = f.rooms.join("r", Fixture::who("bob"), b);
  sa->receive(as_string(encode_awareness(Bytes{1, 5, 1, 2, '{', '}'})), false);
  sb->receive(as_string(encode_sync_step1(Bytes{0})), false);
  f.exec.run();
  f.rooms.tick(Clock::now() + std::chrono::seconds(10));
  f.exec.run();
  CHECK(f.stats().rooms[0].awareness_states == 1);
  f.rooms.tick(Clock::now() + std::chrono::seconds(31));
  f.exec.run();
  CHECK(f.stats().rooms[0].awareness_states == 0);
  CHECK(b->binary().back().payload == Bytes({1, 5, 1, 4, 'n', 'u', 'l', 'l'}));
}

TEST_CASE("chat goes to text members as JSON naming the sender, Yjs members get none", "[room][chat]") {
  Fixture f;
  auto yjs = std::make_shared<FakePeer>(), t1 = std::make_shared<FakePeer>(), t2 = std::make_shared<FakePeer>();
  auto sy = f.rooms.join("r", Fixture::who("yjs"), yjs);
  auto s1 = f.rooms.join("r", Fixture::who("ann"), t1);
  auto s2 = f.rooms.join("r", Fixture::who("bob"), t2);
  sy->receive(as_string(encode_sync_step1(Bytes{0})), false);
  s2->receive(R"({"type":"chat","text":"bob here"})", true);
  f.exec.run();
  s1->receive("hello from wscat", true);
  f.exec.run();

  auto j2 = t2->json();
  REQUIRE(j2.size() >= 3);  // welcome, own chat, ann's chat
  CHECK(j2[0].get("type")->as_string() == "welcome");
  const Any& chat = j2.back();
  CHECK(chat.get("type")->as_string() == "chat");
  CHECK(chat.get("user")->as_string() == "ann");
  CHECK(chat.get("sid")->as_string() == "ann-sid");
  CHECK(chat.get("text")->as_string() == "hello from wscat");
  CHECK(chat.get("time")->as_string().size() == 24);
  // ann became a text member with her first frame and got bob's earlier chat then.
  auto j1 = t1->json();
  REQUIRE(j1.size() >= 3);
  CHECK(j1[0].get("type")->as_string() == "welcome");
  CHECK(j1[1].get("text")->as_string() == "bob here");
  for (const auto& fr : yjs->frames) CHECK_FALSE(fr.text);
  CHECK(f.stats().rooms[0].chat_messages == 2);
}

TEST_CASE("a silent connection is treated as a person after the grace period", "[room][chat]") {
  Fixture f;
  auto watcher = std::make_shared<FakePeer>(), talker = std::make_shared<FakePeer>();
  auto sw = f.rooms.join("r", Fixture::who("watcher"), watcher);
  auto st = f.rooms.join("r", Fixture::who("talker"), talker);
  st->receive("hi", true);
  f.exec.run();
  CHECK(watcher->json().empty());
  f.rooms.tick(Clock::now() + std::chrono::seconds(1));
  f.exec.run();
  auto j = watcher->json();
  REQUIRE(j.size() == 2);
  CHECK(j[0].get("type")->as_string() == "welcome");
  CHECK(j[1].get("text")->as_string() == "hi");
}

TEST_CASE("JSON members can update, sync and set presence", "[room]") {
  Fixture f;
  auto yjs = std::make_shared<FakePeer>(), tool = std::make_shared<FakePeer>();
  auto sy = f.rooms.join("r", Fixture::who("yjs"), yjs);
  auto st = f.rooms.join("r", Fixture::who("tool"), tool);
  sy->receive(as_string(encode_sync_step1(Bytes{0})), false);
  std::string update = base64_encode(text_insert_update(9, "via json"));
  st->receive(R"({"type":"update","update":")" + update + R"("})", true);
  st->receive(R"({"type":"awareness","state":{"name":"tool"}})", true);
  st->receive(R"({"type":"sync"})", true);
  st->receive(R"({"type":"update","update":"AQ=="})", true);
  f.exec.run();
  auto j = tool->json();
  const Any* sync = nullptr;
  const Any* error = nullptr;
  for (const auto& m : j) {
    if (m.get("type")->as_string() == "sync") sync = &m;
    if (m.get("type")->as_string() == "error") error = &m;
  }
  REQUIRE(sync);
  CHECK(sync->get("doc")->to_json() == R"({"t":"via json"})");
  REQUIRE(error);
  CHECK(error->get("message")->as_string().find("update refused") == 0);
  // The Yjs member saw the update and the tool's presence in binary.
  CHECK(yjs->count(MessageType::Awareness) == 1);
  CHECK(yjs->binary().back().type == MessageType::Awareness);
}

TEST_CASE("a client that cannot keep up is dropped and counted, others carry on", "[room]") {
  Fixture f;
  auto a = std::make_shared<FakePeer>(), slow = std::make_shared<FakePeer>();
  auto sa = f.rooms.join("r", Fixture::who("ann"), a);
  auto ss = f.rooms.join("r", Fixture::who("slow"), slow);
  ss->receive(as_string(encode_awareness(Bytes{1, 9, 1, 2, '{', '}'})), false);
  f.exec.run();
  slow->refuse_sends = true;
  sa->receive(as_string(encode_sync_update(text_insert_update(1, "x"))), false);
  sa->receive(as_string(encode_sync_update(text_insert_update(2, "y"))), false);
  f.exec.run();
  auto st = f.stats();
  CHECK(st.rooms[0].dropped_slow == 1);
  CHECK(st.rooms[0].clients == 1);
  CHECK(st.rooms[0].updates_applied == 2);
  // Its presence went with it.
  CHECK(st.rooms[0].awareness_states == 0);
  CHECK(a->count(MessageType::Awareness) == 2);  // its state, then its removal
}

TEST_CASE("rooms are created once, unloaded when idle, and closed on shutdown", "[room]") {
  Fixture f;
  std::vector<std::shared_ptr<FakePeer>> peers;
  std::vector<std::shared_ptr<Session>> sessions;
  for (int i = 0; i < 20; ++i) {
    peers.push_back(std::make_shared<FakePeer>());
    sessions.push_back(f.rooms.join("busy", Fixture::who(std::string("u").append(std::to_string(i))), peers.back()));
  }
  auto other = std::make_shared<FakePeer>();
  auto so = f.rooms.join("other", Fixture::who("o"), other);
  f.exec.run();
  auto st = f.stats();
  CHECK(st.rooms_loaded == 2);
  REQUIRE(st.rooms.size() == 2);
  CHECK(st.rooms[0].room == "busy");
  CHECK(st.rooms[0].clients == 20);

  for (auto& s : sessions) s->leave();
  f.exec.run();
  f.rooms.tick(Clock::now() + std::chrono::seconds(1));
  f.exec.run();
  CHECK(f.rooms.room_count() == 2);  // not idle long enough yet
  f.rooms.tick(Clock::now() + std::chrono::seconds(6));
  f.exec.run();
  CHECK(f.rooms.room_count() == 1);
  st = f.stats();
  CHECK(st.rooms_unloaded == 1);
  REQUIRE(st.rooms.size() == 1);
  CHECK(st.rooms[0].room == "other");

  f.rooms.shutdown();
  f.exec.run();
  CHECK(other->closed_with == 1001);
  CHECK(f.rooms.join("late", Fixture::who("x"), std::make_shared<FakePeer>()) == nullptr);
}
