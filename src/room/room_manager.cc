#include <algorithm>
#include <atomic>

#include "room.h"

namespace conflux {
namespace {

// A connection's handle: forwards to its room's mailbox.
class RoomSession : public Session {
 public:
  RoomSession(std::shared_ptr<Room> room, uint64_t member) : room_(std::move(room)), member_(member) {}
  ~RoomSession() override { leave(); }

  void receive(std::string data, bool text) override {
    if (left_.load()) return;
    room_->post([m = member_, d = std::move(data), text](Room& r) mutable { r.on_frame(m, std::move(d), text); });
  }
  void leave() override {
    if (left_.exchange(true)) return;
    room_->post([m = member_](Room& r) { r.on_leave(m); });
  }

 private:
  std::shared_ptr<Room> room_;
  uint64_t member_;
  std::atomic<bool> left_{false};
};

std::atomic<uint64_t> g_next_member{1};

}  // namespace

RoomManager::RoomManager(Executor& executor, Options options)
    : registry_(std::make_shared<Registry>(executor, std::move(options))) {
  if (registry_->options.store || registry_->options.relay)
    registry_->worker = std::make_unique<StoreWorker>(registry_->options.store);
}

RoomManager::~RoomManager() {
  // The executor may already be gone: only refuse further joins here; a
  // graceful stop calls shutdown() while the executor still runs.
  {
    std::lock_guard lock(registry_->mu);
    registry_->shut_down = true;
    registry_->rooms.clear();
  }
  // Every queued write is committed before the manager is gone.
  registry_->worker.reset();
}

std::shared_ptr<Session> RoomManager::join(const std::string& room_id, const Identity& identity,
                                           std::shared_ptr<Peer> peer) {
  std::shared_ptr<Room> room;
  bool created = false;
  {
    std::lock_guard lock(registry_->mu);
    if (registry_->shut_down) return nullptr;
    auto& slot = registry_->rooms[room_id];
    // Created under the lock: many clients joining at once get one room.
    if (!slot) {
      slot = std::make_shared<Room>(room_id, registry_);
      ++registry_->totals.rooms_loaded;
      created = true;
    }
    room = slot;
    // Counted before the lock is released, so an idle check never unloads a
    // room someone is joining.
    ++room->members;
    ++registry_->totals.sessions_joined;
  }
  if (created && registry_->worker) room->start_load();
  uint64_t member = g_next_member++;
  room->post([member, identity, peer = std::move(peer)](Room& r) mutable { r.on_join(member, identity, std::move(peer)); });
  return std::make_shared<RoomSession>(std::move(room), member);
}

void RoomManager::tick(std::chrono::steady_clock::time_point now) {
  int64_t now_ms = std::chrono::duration_cast<std::chrono::milliseconds>(now.time_since_epoch()).count();
  std::vector<std::shared_ptr<Room>> live, idle;
  {
    std::lock_guard lock(registry_->mu);
    int64_t idle_ms = registry_->options.idle_timeout.count();
    for (auto it = registry_->rooms.begin(); it != registry_->rooms.end();) {
      Room& r = *it->second;
      if (r.members.load() == 0 && now_ms - r.empty_since_ms.load() >= idle_ms) {
        registry_->leave_relay(it->first);
        idle.push_back(std::move(it->second));
        it = registry_->rooms.erase(it);
      } else {
        live.push_back(it->second);
        ++it;
      }
    }
  }
  for (auto& r : live) r->post([now_ms](Room& room) { room.on_tick(now_ms); });
  for (auto& r : idle) r->post([](Room& room) { room.on_unload(); });
}

void RoomManager::stats(std::function<void(ManagerStats)> done) {
  struct Gather {
    std::mutex mu;
    ManagerStats result;
    size_t remaining = 0;
    std::function<void(ManagerStats)> done;
  };
  auto gather = std::make_shared<Gather>();
  gather->done = std::move(done);
  std::vector<std::shared_ptr<Room>> rooms;
  {
    std::lock_guard lock(registry_->mu);
    gather->result = registry_->totals;
    for (auto& [id, r] : registry_->rooms) rooms.push_back(r);
  }
  if (registry_->worker) gather->result.storage = registry_->worker->figures();
  if (registry_->options.relay) gather->result.relay = registry_->options.relay->figures();
  if (rooms.empty()) {
    gather->done(std::move(gather->result));
    return;
  }
  gather->remaining = rooms.size();
  for (auto& r : rooms) {
    r->post([gather](Room& room) {
      room.on_stats([&](RoomStats s) {
        std::unique_lock lock(gather->mu);
        ManagerStats& t = gather->result;
        t.updates_applied += s.updates_applied;
        t.awareness_events += s.awareness_events;
        t.chat_messages += s.chat_messages;
        t.dropped_slow += s.dropped_slow;
        t.refused_messages += s.refused_messages;
        t.rooms.push_back(std::move(s));
        if (--gather->remaining > 0) return;
        lock.unlock();
        std::sort(t.rooms.begin(), t.rooms.end(), [](const RoomStats& a, const RoomStats& b) { return a.room < b.room; });
        gather->done(std::move(t));
      });
    });
  }
}

void RoomManager::shutdown() {
  std::vector<std::shared_ptr<Room>> rooms;
  {
    std::lock_guard lock(registry_->mu);
    if (registry_->shut_down) return;
    registry_->shut_down = true;
    for (auto& [id, r] : registry_->rooms) {
      registry_->leave_relay(id);
      rooms.push_back(std::move(r));
    }
    registry_->rooms.clear();
  }
  for (auto& r : rooms) r->post([](Room& room) { room.on_shutdown(); });
}

void RoomManager::flush() {
  if (registry_->worker) registry_->worker->flush();
}

size_t RoomManager::room_count() const {
  std::lock_guard lock(registry_->mu);
  return registry_->rooms.size();
}

}  // namespace conflux
