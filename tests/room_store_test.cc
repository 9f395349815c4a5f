// Rooms with a DocumentStore: the commit gate, reloads, compaction, and
// rooms whose storage fails. Rooms run on a real thread here, as the
// storage threads post to them from their own.
#include <catch2/catch.hpp>

#include <condition_variable>
#include <deque>
#include <filesystem>
#include <mutex>
#include <random>
#include <thread>

#include "conflux/room.h"
#include "conflux/store.h"
#include "room_test_support.h"
#include "sync_messages.h"

using namespace conflux;
using namespace conflux::protocol;
using namespace std::chrono_literals;
using namespace conflux::test;

namespace {

// Wraps a store; appends wait while the gate is shut, and fail when told to.
class GatedStore : public DocumentStore {
 public:
  explicit GatedStore(std::shared_ptr<DocumentStore> inner) : inner_(std::move(inner)) {}
  void shut() {
    std::lock_guard lock(mu_);
    open_ = false;
  }
  void open() {
    {
      std::lock_guard lock(mu_);
      open_ = true;
    }
    cv_.notify_all();
  }
  void fail_appends(bool f) {
    std::lock_guard lock(mu_);
    fail_ = f;
  }
  int appends_started() {
    std::lock_guard lock(mu_);
    return started_;
  }

  std::string name() const override { return "gated"; }
  Status load(const std::string& room, StoredDocument* out) override { return inner_->load(room, out); }
  Status append(const std::vector<StoredUpdate>& batch) override {
    std::unique_lock lock(mu_);
    ++started_;
    cv_.wait(lock, [&] { return open_; });
    if (fail_) return Status::error("disk full (test)");
    lock.unlock();
    return inner_->append(batch);
  }
  Status compact(const std::string& room, const Bytes& s, uint64_t through) override {
    return inner_->compact(room, s, through);
  }
  Status remove(const std::string& room) override { return inner_->remove(room); }
  Status list(std::vector<std::string>* rooms) override { return inner_->list(rooms); }
  Status figures(const std::string& room, StoreFigures* out) override { return inner_->figures(room, out); }

 private:
  std::shared_ptr<DocumentStore> inner_;
  std::mutex mu_;
  std::condition_variable cv_;
  bool open_ = true, fail_ = false;
  int started_ = 0;
};

RoomManager::Options with_store(std::shared_ptr<DocumentStore> store) {
  RoomManager::Options o;
  o.store = std::move(store);
  o.idle_timeout = 0ms;
  return o;
}

void unload_all(RoomManager& rooms) {
  REQUIRE(eventually([&] {
    rooms.tick(std::chrono::steady_clock::now() + 1h);
    return rooms.room_count() == 0;
  }));
  rooms.flush();
}

}  // namespace

// Ann and Bob in room "r", its store gated.
struct GatedRoom {
  ThreadExecutor exec;
  std::shared_ptr<GatedStore> store = std::make_shared<GatedStore>(make_memory_store());
  RoomManager rooms{exec, with_store(store)};
  std::shared_ptr<RecordingPeer> a = std::make_shared<RecordingPeer>(), b = std::make_shared<RecordingPeer>();
  std::shared_ptr<Session> sa = rooms.join("r", who("ann"), a), sb = rooms.join("r", who("bob"), b);
};

TEST_CASE("an update reaches other clients only once the store has committed it", "[room][store]") {
  GatedRoom g;
  auto& [exec, store, rooms, a, b, sa, sb] = g;
  REQUIRE(eventually([&] { return b->binary().size() >= 1; }));  // b's step 1: the room is loaded

  store->shut();
  sa->receive(as_string(encode_sync_update(typing(1, "x")[0])), false);
  REQUIRE(eventually([&] { return store->appends_started() == 1; }));
  std::this_thread::sleep_for(100ms);
  CHECK(b->updates_received() == 0);  // applied, but not durable yet
  store->open();
  CHECK(eventually([&] { return b->updates_received() == 1; }));
}

TEST_CASE("a room is loaded again from its store after it unloads, and after a restart", "[room][store]") {
  ThreadExecutor exec;
  auto store = make_memory_store();
  {
    RoomManager rooms(exec, with_store(store));
    auto a = std::make_shared<RecordingPeer>();
    auto sa = rooms.join("doc", who("ann"), a);
    for (const Bytes& u : typing(1, "hello")) sa->receive(as_string(encode_sync_update(u)), false);
    REQUIRE(eventually([&] { return a->updates_received() == 5; }));
    sa->leave();
    unload_all(rooms);
    CHECK(text_seen_by_new_client(rooms, "doc") == "hello");
  }
  RoomManager restarted(exec, with_store(store));
  CHECK(text_seen_by_new_client(restarted, "doc") == "hello");
}

TEST_CASE("a room whose stored document cannot be read is never served and never written", "[room][store]") {
  ThreadExecutor exec;
  auto store = make_memory_store();
  REQUIRE(store->append({{"broken", 1, Bytes{0xff, 0xff, 0xff}}}).ok());
  RoomManager::Options o = with_store(store);
  std::vector<std::string> log;
  std::mutex log_mu;
  o.log = [&](std::string_view line) {
    std::lock_guard lock(log_mu);
    log.emplace_back(line);
  };
  RoomManager rooms(exec, o);
  auto a = std::make_shared<RecordingPeer>();
  auto sa = rooms.join("broken", who("ann"), a);
  sa->receive(as_string(encode_sync_update(typing(1, "x")[0])), false);
  REQUIRE(eventually([&] { return a->closed_with() != 0; }));
  CHECK(a->closed_with() == 1011);
  CHECK_THAT(a->close_reason(), Catch::Contains("room unavailable"));
  CHECK(a->binary().empty());
  rooms.flush();
  StoredDocument doc;
  REQUIRE(store->load("broken", &doc).ok());
  CHECK(doc.updates == std::vector<Bytes>{Bytes{0xff, 0xff, 0xff}});
  CHECK(rooms.room_count() == 0);
  {
    std::lock_guard lock(log_mu);
    REQUIRE(!log.empty());
    CHECK_THAT(log.back(), Catch::Contains("broken") && Catch::Contains("not served"));
  }
  // Other rooms are served as usual.
  CHECK(text_seen_by_new_client(rooms, "fine") == "");
}

TEST_CASE("a room's log is compacted into a snapshot past the threshold", "[room][store]") {
  ThreadExecutor exec;
  auto store = make_memory_store();
  RoomManager::Options o = with_store(store);
  o.compact_entries = 10;
  {
    RoomManager rooms(exec, o);
    auto a = std::make_shared<RecordingPeer>();
    auto sa = rooms.join("doc", who("ann"), a);
    for (const Bytes& u : typing(1, "compaction keeps loads short"))
      sa->receive(as_string(encode_sync_update(u)), false);
    REQUIRE(eventually([&] { return a->updates_received() == 28; }));
    rooms.flush();
    StoreFigures fig;
    REQUIRE(store->figures("doc", &fig).ok());
    CHECK(fig.snapshot_bytes > 0);
    CHECK(fig.log_entries < 10);
    CHECK(fig.last_compaction_unix_ms > 0);
  }
  RoomManager restarted(exec, o);
  CHECK(text_seen_by_new_client(restarted, "doc") == "compaction keeps loads short");
}

TEST_CASE("a failed store write closes the room's clients and the room reloads what was committed",
          "[room][store]") {
  GatedRoom g;
  auto& [exec, store, rooms, a, b, sa, sb] = g;
  auto keys = typing(1, "ok!");
  sa->receive(as_string(encode_sync_update(keys[0])), false);
  sa->receive(as_string(encode_sync_update(keys[1])), false);
  REQUIRE(eventually([&] { return b->updates_received() == 2; }));
  store->fail_appends(true);
  sa->receive(as_string(encode_sync_update(keys[2])), false);
  REQUIRE(eventually([&] { return a->closed_with() != 0 && b->closed_with() != 0; }));
  CHECK(a->closed_with() == 1011);
  CHECK(b->updates_received() == 2);  // the update that was not stored never reached bob
  store->fail_appends(false);
  CHECK(text_seen_by_new_client(rooms, "r") == "ok");
}

TEST_CASE("a room of 100,000 small updates in SQLite loads as a snapshot and a short log", "[room][store]") {
  auto dir = std::filesystem::temp_directory_path() / ("conflux-room-store-" + std::to_string(std::random_device{}()));
  std::shared_ptr<DocumentStore> store;
  REQUIRE(open_sqlite_store(dir.string(), &store).ok());
  ThreadExecutor exec;
  RoomManager::Options o = with_store(store);
  std::string text;
  for (int i = 0; i < 100000; ++i) text += char('a' + i % 26);
  {
    RoomManager rooms(exec, o);
    auto a = std::make_shared<RecordingPeer>();
    auto sa = rooms.join("big", who("ann"), a);
    for (const Bytes& u : typing(1, text)) sa->receive(as_string(encode_sync_update(u)), false);
    REQUIRE(eventually([&] { return a->updates_received() == text.size(); }, 120s));
    sa->leave();
    unload_all(rooms);
  }
  StoredDocument doc;
  REQUIRE(store->load("big", &doc).ok());
  CHECK(doc.last_seq == 100000);
  CHECK(!doc.snapshot.empty());
  CHECK(doc.updates.size() < o.compact_entries);
  RoomManager restarted(exec, o);
  CHECK(text_seen_by_new_client(restarted, "big") == text);
  std::error_code ec;
  std::filesystem::remove_all(dir, ec);
}
