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
#include "sync_messages.h"

using namespace conflux;
using namespace conflux::protocol;
using namespace std::chrono_literals;

namespace {

class ThreadExecutor : public Executor {
 public:
  ThreadExecutor() : thread_([this] { loop(); }) {}
  ~ThreadExecutor() override {
    {
      std::lock_guard lock(mu_);
      stop_ = true;
    }
    cv_.notify_all();
    thread_.join();
  }
  void post(std::function<void()> work) override {
    {
      std::lock_guard lock(mu_);
      queue_.push_back(std::move(work));
    }
    cv_.notify_all();
  }

 private:
  void loop() {
    for (;;) {
      std::function<void()> f;
      {
        std::unique_lock lock(mu_);
        cv_.wait(lock, [&] { return stop_ || !queue_.empty(); });
        if (queue_.empty()) return;
        f = std::move(queue_.front());
        queue_.pop_front();
      }
      f();
    }
  }
  std::mutex mu_;
  std::condition_variable cv_;
  std::deque<std::function<void()>> queue_;
  bool stop_ = false;
  std::thread thread_;
};

class RecordingPeer : public Peer {
 public:
  bool send(const OutFrame& f) override {
    std::lock_guard lock(mu_);
    frames_.push_back(f);
    return true;
  }
  void close(uint16_t code, std::string_view reason) override {
    std::lock_guard lock(mu_);
    closed_with_ = code;
    close_reason_ = reason;
  }
  std::vector<Message> binary() {
    std::lock_guard lock(mu_);
    std::vector<Message> out;
    for (const auto& f : frames_) {
      Message m;
      if (!f.text && decode_message(reinterpret_cast<const uint8_t*>(f.data->data()), f.data->size(), &m).ok())
        out.push_back(std::move(m));
    }
    return out;
  }
  size_t updates_received() {
    size_t n = 0;
    for (const Message& m : binary()) n += m.type == MessageType::Sync && m.sync == SyncStep::Update;
    return n;
  }
  uint16_t closed_with() {
    std::lock_guard lock(mu_);
    return closed_with_;
  }
  std::string close_reason() {
    std::lock_guard lock(mu_);
    return close_reason_;
  }

 private:
  std::mutex mu_;
  std::vector<OutFrame> frames_;
  uint16_t closed_with_ = 0;
  std::string close_reason_;
};

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

template <class F>
bool eventually(F cond, std::chrono::milliseconds limit = 10s) {
  auto end = std::chrono::steady_clock::now() + limit;
  while (std::chrono::steady_clock::now() < end) {
    if (cond()) return true;
    std::this_thread::sleep_for(2ms);
  }
  return cond();
}

std::string as_string(const Bytes& b) { return std::string(b.begin(), b.end()); }
Identity who(const std::string& user) { return {user, user + "-sid", "", false}; }

// One update per character typed at the end of Text "t".
std::vector<Bytes> typing(uint64_t client, const std::string& text) {
  Doc d(Doc::Options{.client_id = client});
  std::vector<Bytes> out;
  auto sub = d.on_update([&](const Bytes& u, const Transaction&) { out.push_back(u); });
  auto t = d.get_text("t");
  for (char c : text) t.insert(t.length(), std::string(1, c));
  return out;
}

RoomManager::Options with_store(std::shared_ptr<DocumentStore> store) {
  RoomManager::Options o;
  o.store = std::move(store);
  o.idle_timeout = 0ms;
  return o;
}

// What a fresh client gets from the room: the whole document's text.
std::string text_seen_by_new_client(RoomManager& rooms, const std::string& room) {
  auto p = std::make_shared<RecordingPeer>();
  auto s = rooms.join(room, who("reader"), p);
  s->receive(as_string(encode_sync_step1(Bytes{0})), false);
  std::string text = "<nothing>";
  eventually([&] {
    for (const Message& m : p->binary())
      if (m.type == MessageType::Sync && m.sync == SyncStep::Step2) {
        Doc d;
        if (d.apply_update(m.payload)) text = d.get_text("t").to_string();
        return true;
      }
    return false;
  });
  s->leave();
  return text;
}

void unload_all(RoomManager& rooms) {
  REQUIRE(eventually([&] {
    rooms.tick(std::chrono::steady_clock::now() + 1h);
    return rooms.room_count() == 0;
  }));
  rooms.flush();
}

}  // namespace

TEST_CASE("an update reaches other clients only once the store has committed it", "[room][store]") {
  ThreadExecutor exec;
  auto store = std::make_shared<GatedStore>(make_memory_store());
  RoomManager rooms(exec, with_store(store));
  auto a = std::make_shared<RecordingPeer>(), b = std::make_shared<RecordingPeer>();
  auto sa = rooms.join("r", who("ann"), a);
  auto sb = rooms.join("r", who("bob"), b);
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
  ThreadExecutor exec;
  auto store = std::make_shared<GatedStore>(make_memory_store());
  RoomManager rooms(exec, with_store(store));
  auto a = std::make_shared<RecordingPeer>(), b = std::make_shared<RecordingPeer>();
  auto sa = rooms.join("r", who("ann"), a);
  auto sb = rooms.join("r", who("bob"), b);
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
