// Rooms with a Relay (cluster mode), against an in-process fake: what a room
// publishes, what it does with what other nodes send, and how it merges the
// shared log when it loads.
#include <catch2/catch.hpp>

#include <map>
#include <mutex>

#include "awareness.h"
#include "conflux/relay.h"
#include "conflux/room.h"
#include "conflux/store.h"
#include "room_test_support.h"
#include "sync_messages.h"

using namespace conflux;
using namespace conflux::protocol;
using namespace conflux::test;

namespace {

class FakeRelay : public Relay {
 public:
  Status join(const std::string& room, std::function<void(RelayMessage)> deliver, StoredDocument* shared) override {
    std::lock_guard lock(mu_);
    deliver_[room] = std::move(deliver);
    joins.push_back(room);
    if (auto it = shared_logs.find(room); it != shared_logs.end()) *shared = it->second;
    return join_status;
  }
  void leave(const std::string& room) override {
    std::lock_guard lock(mu_);
    deliver_.erase(room);
    leaves.push_back(room);
  }
  void publish(const std::string& room, RelayMessage m) override {
    std::lock_guard lock(mu_);
    published.emplace_back(room, std::move(m));
  }
  void compact(const std::string& room, Bytes state) override {
    std::lock_guard lock(mu_);
    compacted[room] = std::move(state);
  }
  RelayFigures figures() const override {
    RelayFigures f;
    f.endpoint = "fake";
    return f;
  }

  // A message from another node.
  void deliver(const std::string& room, RelayMessage m) {
    std::function<void(RelayMessage)> d;
    {
      std::lock_guard lock(mu_);
      d = deliver_.at(room);
    }
    d(std::move(m));
  }
  std::vector<RelayMessage> published_of(RelayMessage::Kind kind) {
    std::lock_guard lock(mu_);
    std::vector<RelayMessage> out;
    for (const auto& [room, m] : published)
      if (m.kind == kind) out.push_back(m);
    return out;
  }
  size_t compactions() {
    std::lock_guard lock(mu_);
    return compacted.size();
  }
  std::vector<std::string> left() {
    std::lock_guard lock(mu_);
    return leaves;
  }

  std::map<std::string, StoredDocument> shared_logs;
  Status join_status;
  std::vector<std::string> joins, leaves;
  std::vector<std::pair<std::string, RelayMessage>> published;
  std::map<std::string, Bytes> compacted;

 private:
  std::mutex mu_;
  std::map<std::string, std::function<void(RelayMessage)>> deliver_;
};

RoomManager::Options clustered(std::shared_ptr<DocumentStore> store, std::shared_ptr<Relay> relay) {
  RoomManager::Options o;
  o.store = std::move(store);
  o.relay = std::move(relay);
  o.idle_timeout = 0ms;
  return o;
}

std::string text_of(const Bytes& update) {
  Doc d;
  d.apply_update(update);
  return d.get_text("t").to_string();
}
RelayMessage update_message(const Bytes& u) { return {RelayMessage::Kind::Update, as_string(u)}; }

}  // namespace

TEST_CASE("a room relays its own changes and applies other nodes' without sending them back", "[room][relay]") {
  ThreadExecutor exec;
  auto relay = std::make_shared<FakeRelay>();
  RoomManager rooms(exec, clustered(make_memory_store(), relay));
  auto a = std::make_shared<RecordingPeer>();
  auto sa = rooms.join("r", who("ann"), a);
  sa->receive(as_string(encode_sync_update(typing(1, "a")[0])), false);
  REQUIRE(eventually([&] { return relay->published_of(RelayMessage::Kind::Update).size() == 1; }));
  CHECK(text_of(Bytes(relay->published[0].second.payload.begin(), relay->published[0].second.payload.end())) == "a");

  // Another node's update reaches ann, and is not published again.
  relay->deliver("r", update_message(typing(2, "b")[0]));
  REQUIRE(eventually([&] { return a->updates_received() == 2; }));
  CHECK(relay->published_of(RelayMessage::Kind::Update).size() == 1);
  CHECK(text_seen_by_new_client(rooms, "r").size() == 2);

  // Presence: ours goes out, theirs comes in (and does not go out again).
  Awareness other;
  AwarenessChange change;
  other.set_local(77, R"({"user":"far"})", 0, &change);
  relay->deliver("r", {RelayMessage::Kind::Awareness, as_string(other.encode({77}))});
  REQUIRE(eventually([&] {
    for (const Message& m : a->binary())
      if (m.type == MessageType::Awareness) return true;
    return false;
  }));
  CHECK(relay->published_of(RelayMessage::Kind::Awareness).empty());

  // Chat from another node reaches the room's text members as is.
  auto person = std::make_shared<RecordingPeer>();
  auto sp = rooms.join("r", who("pat"), person);
  sp->receive(R"({"type":"chat","text":"hi from here"})", true);
  REQUIRE(eventually([&] { return relay->published_of(RelayMessage::Kind::Chat).size() == 1; }));
  CHECK_THAT(relay->published_of(RelayMessage::Kind::Chat)[0].payload, Catch::Contains("hi from here"));
  relay->deliver("r", {RelayMessage::Kind::Chat, R"({"type":"chat","room":"r","user":"far","text":"hi from there"})"});
  CHECK(eventually([&] {
    for (const std::string& t : person->texts())
      if (t.find("hi from there") != std::string::npos) return true;
    return false;
  }));
}

TEST_CASE("a loading room merges the shared log and publishes only what the others lack", "[room][relay]") {
  ThreadExecutor exec;
  auto store = make_memory_store();
  auto relay = std::make_shared<FakeRelay>();
  Doc both(Doc::Options{.client_id = 1});
  Bytes shared_part, local_part;
  {
    auto sub = both.on_update([&](const Bytes& u, const Transaction&) {
      (shared_part.empty() ? shared_part : local_part) = u;
    });
    both.get_text("t").insert(0, "shared ");
    both.get_text("t").insert(7, "local");
  }
  relay->shared_logs["known"] = {{}, {shared_part}, 0};
  relay->shared_logs["mine"] = {{}, {shared_part}, 0};
  REQUIRE(store->append({{"known", 1, shared_part}, {"mine", 1, shared_part}, {"mine", 2, local_part}}).ok());

  RoomManager rooms(exec, clustered(store, relay));
  CHECK(text_seen_by_new_client(rooms, "known") == "shared ");
  CHECK(text_seen_by_new_client(rooms, "mine") == "shared local");
  // Published while loading, before the rooms answered: one update, from "mine" only.
  REQUIRE(relay->published_of(RelayMessage::Kind::Update).size() == 1);
  auto published = relay->published_of(RelayMessage::Kind::Update);
  Doc other;
  REQUIRE(other.apply_update(shared_part).ok());
  REQUIRE(other.apply_update(reinterpret_cast<const uint8_t*>(published[0].payload.data()), published[0].payload.size()).ok());
  CHECK(other.get_text("t").to_string() == "shared local");
}

TEST_CASE("a room answers the relay's Compact with its whole document and Resync with a full update", "[room][relay]") {
  ThreadExecutor exec;
  auto relay = std::make_shared<FakeRelay>();
  RoomManager rooms(exec, clustered(make_memory_store(), relay));
  auto a = std::make_shared<RecordingPeer>();
  auto sa = rooms.join("r", who("ann"), a);
  for (const Bytes& u : typing(1, "abc")) sa->receive(as_string(encode_sync_update(u)), false);
  REQUIRE(eventually([&] { return a->updates_received() == 3; }));
  relay->deliver("r", {RelayMessage::Kind::Compact, ""});
  REQUIRE(eventually([&] { return relay->compactions() == 1; }));
  CHECK(text_of(relay->compacted["r"]) == "abc");
  relay->deliver("r", {RelayMessage::Kind::Resync, ""});
  REQUIRE(eventually([&] { return relay->published_of(RelayMessage::Kind::Update).size() == 4; }));
  auto full = relay->published_of(RelayMessage::Kind::Update).back().payload;
  CHECK(text_of(Bytes(full.begin(), full.end())) == "abc");
}

TEST_CASE("with the relay unreachable, a room serves its clients and queues its whole state", "[room][relay]") {
  ThreadExecutor exec;
  auto store = make_memory_store();
  REQUIRE(store->append({{"r", 1, typing(1, "x")[0]}}).ok());
  auto relay = std::make_shared<FakeRelay>();
  relay->join_status = Status::error("redis unreachable (test)");
  RoomManager rooms(exec, clustered(store, relay));
  CHECK(text_seen_by_new_client(rooms, "r") == "x");
  REQUIRE(eventually([&] { return relay->published_of(RelayMessage::Kind::Update).size() == 1; }));
  auto full = relay->published_of(RelayMessage::Kind::Update)[0].payload;
  CHECK(text_of(Bytes(full.begin(), full.end())) == "x");
}

TEST_CASE("an unloading room leaves the relay before the next room of that id joins it", "[room][relay]") {
  ThreadExecutor exec;
  auto relay = std::make_shared<FakeRelay>();
  RoomManager rooms(exec, clustered(make_memory_store(), relay));
  CHECK(text_seen_by_new_client(rooms, "r") == "");
  REQUIRE(eventually([&] {
    rooms.tick(std::chrono::steady_clock::now() + 1h);
    return rooms.room_count() == 0;
  }));
  CHECK(relay->left() == std::vector<std::string>{"r"});
  CHECK(text_seen_by_new_client(rooms, "r") == "");
  CHECK(relay->joins == std::vector<std::string>{"r", "r"});
  CHECK(relay->left() == std::vector<std::string>{"r"});
}
