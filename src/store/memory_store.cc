// A DocumentStore in this process's memory.
#include <algorithm>
#include <chrono>
#include <map>
#include <mutex>
#include <set>
#include <string_view>

#include "conflux/store.h"

namespace conflux {
namespace {

int64_t unix_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch())
      .count();
}

class MemoryStore : public DocumentStore {
 public:
  std::string name() const override { return "memory"; }

  Status load(const std::string& room, StoredDocument* out) override {
    std::lock_guard lock(mu_);
    *out = {};
    auto it = rooms_.find(room);
    if (it == rooms_.end()) return {};
    const Room& r = it->second;
    out->snapshot = r.snapshot;
    out->last_seq = r.last_seq;
    for (const auto& [seq, u] : r.log) out->updates.push_back(u);
    return {};
  }

  Status append(const std::vector<StoredUpdate>& batch) override {
    std::lock_guard lock(mu_);
    // All or nothing, as a transaction would.
    std::set<std::pair<std::string_view, uint64_t>> in_batch;
    for (const StoredUpdate& u : batch) {
      auto it = rooms_.find(u.room);
      bool taken = !in_batch.emplace(u.room, u.seq).second ||
                   (it != rooms_.end() && (it->second.log.count(u.seq) || u.seq <= it->second.snapshot_seq));
      if (taken)
        return Status::error("memory store: update " + std::to_string(u.seq) + " of " + u.room + " is already stored");
    }
    for (const StoredUpdate& u : batch) {
      Room& r = rooms_[u.room];
      r.log.emplace(u.seq, u.update);
      r.last_seq = std::max(r.last_seq, u.seq);
    }
    return {};
  }

  Status compact(const std::string& room, const Bytes& snapshot, uint64_t through_seq) override {
    std::lock_guard lock(mu_);
    Room& r = rooms_[room];
    r.snapshot = snapshot;
    r.log.erase(r.log.begin(), r.log.upper_bound(through_seq));
    r.last_seq = std::max(r.last_seq, through_seq);
    r.snapshot_seq = through_seq;
    r.compacted_ms = unix_ms();
    return {};
  }

  Status remove(const std::string& room) override {
    std::lock_guard lock(mu_);
    rooms_.erase(room);
    return {};
  }

  Status list(std::vector<std::string>* rooms) override {
    std::lock_guard lock(mu_);
    rooms->clear();
    for (const auto& [id, r] : rooms_) rooms->push_back(id);
    return {};
  }

  Status figures(const std::string& room, StoreFigures* out) override {
    std::lock_guard lock(mu_);
    *out = {};
    auto it = rooms_.find(room);
    if (it == rooms_.end()) return {};
    out->log_entries = it->second.log.size();
    for (const auto& [seq, u] : it->second.log) out->log_bytes += u.size();
    out->snapshot_bytes = it->second.snapshot.size();
    out->last_compaction_unix_ms = it->second.compacted_ms;
    return {};
  }

 private:
  struct Room {
    Bytes snapshot;
    std::map<uint64_t, Bytes> log;
    uint64_t last_seq = 0;
    uint64_t snapshot_seq = 0;  // the snapshot covers updates up to this one
    int64_t compacted_ms = 0;
  };
  std::mutex mu_;
  std::map<std::string, Room> rooms_;
};

}  // namespace

std::shared_ptr<DocumentStore> make_memory_store() { return std::make_shared<MemoryStore>(); }

}  // namespace conflux
