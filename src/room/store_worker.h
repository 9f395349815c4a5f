// The room layer's storage threads: a writer that commits the updates of all
// rooms in batches (group commit), and a loader that reads a room's stored
// state (and joins its relay) without holding up the writer.
#pragma once

#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "conflux/room.h"
#include "conflux/store.h"

namespace conflux {

class Room;

class StoreWorker {
 public:
  // `store` may be null (a relay without local storage): then only loads run.
  explicit StoreWorker(std::shared_ptr<DocumentStore> store);
  // Finishes every queued write, then stops.
  ~StoreWorker();
  StoreWorker(const StoreWorker&) = delete;
  StoreWorker& operator=(const StoreWorker&) = delete;

  DocumentStore* store() const { return store_.get(); }

  // Runs `job` on the loader thread once every write queued so far for
  // `room` is done, so a reload never misses what an unloading room wrote.
  void load(const std::string& room, std::function<void()> job);
  // Queues an update; the room then gets on_committed(seq, status) for the
  // newest of its updates in each commit.
  void append(const std::shared_ptr<Room>& room, uint64_t seq, Bytes update);
  // Queues a compaction after the writes queued before it; the room gets
  // on_compacted(status).
  void compact(const std::shared_ptr<Room>& room, Bytes snapshot, uint64_t through_seq);

  // Blocks until every write queued so far is done.
  void flush();

  StorageFigures figures() const;

 private:
  struct Write {
    std::shared_ptr<Room> room;
    uint64_t seq = 0;
    Bytes data;
    bool compaction = false;
  };
  void write_loop();
  void load_loop();
  void commit(std::vector<Write>& batch);

  std::shared_ptr<DocumentStore> store_;
  mutable std::mutex mu_;
  std::condition_variable write_cv_, load_cv_, drained_cv_;
  std::deque<Write> writes_;
  std::map<std::string, uint64_t> pending_;  // writes queued or in flight, per room
  std::deque<std::pair<std::string, std::function<void()>>> loads_;
  uint64_t in_flight_ = 0;  // writes taken by the writer and not yet done
  bool stopping_ = false;
  StorageFigures figures_;
  std::thread writer_, loader_;
};

}  // namespace conflux
