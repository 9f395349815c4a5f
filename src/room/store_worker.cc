#include "store_worker.h"

#include <chrono>
#include <unordered_map>

#include "room.h"

namespace conflux {
namespace {
// Updates in one commit at most; the rest wait for the next.
constexpr size_t kMaxBatch = 4096;
}  // namespace

StoreWorker::StoreWorker(std::shared_ptr<DocumentStore> store) : store_(std::move(store)) {
  if (store_) figures_.backend = store_->name();
  writer_ = std::thread([this] { write_loop(); });
  loader_ = std::thread([this] { load_loop(); });
}

StoreWorker::~StoreWorker() {
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
  }
  write_cv_.notify_all();
  load_cv_.notify_all();
  writer_.join();
  loader_.join();
}

void StoreWorker::load(const std::string& room, std::function<void()> job) {
  {
    std::lock_guard lock(mu_);
    loads_.emplace_back(room, std::move(job));
  }
  load_cv_.notify_one();
}

void StoreWorker::append(const std::shared_ptr<Room>& room, uint64_t seq, Bytes update) {
  {
    std::lock_guard lock(mu_);
    ++pending_[room->id()];
    writes_.push_back({room, seq, std::move(update), false});
  }
  write_cv_.notify_one();
}

void StoreWorker::compact(const std::shared_ptr<Room>& room, Bytes snapshot, uint64_t through_seq) {
  {
    std::lock_guard lock(mu_);
    ++pending_[room->id()];
    writes_.push_back({room, through_seq, std::move(snapshot), true});
  }
  write_cv_.notify_one();
}

void StoreWorker::flush() {
  std::unique_lock lock(mu_);
  drained_cv_.wait(lock, [&] { return writes_.empty() && in_flight_ == 0; });
}

StorageFigures StoreWorker::figures() const {
  std::lock_guard lock(mu_);
  StorageFigures f = figures_;
  f.queued = writes_.size();
  return f;
}

void StoreWorker::write_loop() {
  std::vector<Write> batch;
  for (;;) {
    {
      std::unique_lock lock(mu_);
      write_cv_.wait(lock, [&] { return stopping_ || !writes_.empty(); });
      // Stopping still drains: graceful shutdown and idle unload flush first.
      if (writes_.empty()) return;
      // A compaction goes alone, after the updates queued before it.
      if (writes_.front().compaction) {
        batch.push_back(std::move(writes_.front()));
        writes_.pop_front();
      } else {
        while (!writes_.empty() && !writes_.front().compaction && batch.size() < kMaxBatch) {
          batch.push_back(std::move(writes_.front()));
          writes_.pop_front();
        }
      }
      in_flight_ = batch.size();
    }
    commit(batch);
    {
      std::lock_guard lock(mu_);
      for (const Write& w : batch)
        if (--pending_[w.room->id()] == 0) pending_.erase(w.room->id());
      in_flight_ = 0;
    }
    load_cv_.notify_all();
    drained_cv_.notify_all();
    batch.clear();
  }
}

void StoreWorker::commit(std::vector<Write>& batch) {
  auto start = std::chrono::steady_clock::now();
  Status st;
  if (batch.front().compaction) {
    const Write& w = batch.front();
    st = store_->compact(w.room->id(), w.data, w.seq);
  } else {
    std::vector<StoredUpdate> updates;
    updates.reserve(batch.size());
    for (Write& w : batch) updates.push_back({w.room->id(), w.seq, std::move(w.data)});
    st = store_->append(updates);
  }
  auto us = uint64_t(std::chrono::duration_cast<std::chrono::microseconds>(std::chrono::steady_clock::now() - start)
                         .count());
  {
    std::lock_guard lock(mu_);
    StorageFigures& f = figures_;
    if (batch.front().compaction) ++f.compactions;
    else ++f.commits, f.updates_written += batch.size();
    if (!st) ++f.failures, f.last_error = st.message();
    f.last_write_us = us;
    f.max_write_us = std::max(f.max_write_us, us);
    f.total_write_us += us;
  }
  if (batch.front().compaction) {
    batch.front().room->post([st](Room& r) { r.on_compacted(st); });
    return;
  }
  // One notice per room, for the newest of its updates in this commit.
  std::unordered_map<Room*, uint64_t> newest;
  for (const Write& w : batch) newest[w.room.get()] = w.seq;
  for (const Write& w : batch) {
    auto it = newest.find(w.room.get());
    if (it == newest.end() || it->second != w.seq) continue;
    newest.erase(it);
    w.room->post([seq = w.seq, st](Room& r) { r.on_committed(seq, st); });
  }
}

void StoreWorker::load_loop() {
  for (;;) {
    std::function<void()> job;
    {
      std::unique_lock lock(mu_);
      load_cv_.wait(lock, [&] {
        if (loads_.empty()) return stopping_;
        return stopping_ || pending_.count(loads_.front().first) == 0;
      });
      if (stopping_) return;
      job = std::move(loads_.front().second);
      loads_.pop_front();
    }
    job();
  }
}

}  // namespace conflux
