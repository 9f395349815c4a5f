// Storage: where rooms' documents live between restarts.
//
// The room layer keeps each room as a snapshot (one v1 update holding the
// compacted state) plus a log of the updates applied since. A host can plug
// in its own store (its database, its blob store):
//
//   std::shared_ptr<conflux::DocumentStore> store;
//   if (auto st = conflux::open_sqlite_store("conflux-data", &store); !st) { /* st.message() */ }
//   conflux::ServerOptions options;
//   options.store = store;
//
// Methods are called from the room layer's storage threads, a load and a
// write possibly at the same time: implementations must be thread-safe.
// Every method is blocking; none is ever called on a room's thread.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "conflux/doc.h"

namespace conflux {

// What a store holds for one room.
struct StoredDocument {
  Bytes snapshot;              // the compacted state; empty when never compacted
  std::vector<Bytes> updates;  // applied after the snapshot, oldest first
  uint64_t last_seq = 0;       // sequence number of the newest update (0: none yet)
};

// One update for a room's log. Sequence numbers grow by one per room.
struct StoredUpdate {
  std::string room;
  uint64_t seq = 0;
  Bytes update;
};

// A room's storage figures, for /dashboard and /metrics.
struct StoreFigures {
  uint64_t log_entries = 0;  // updates after the snapshot
  uint64_t log_bytes = 0;
  uint64_t snapshot_bytes = 0;
  int64_t last_compaction_unix_ms = 0;  // 0: never compacted
};

class DocumentStore {
 public:
  virtual ~DocumentStore() = default;
  // A short name for logs and the dashboard ("sqlite", "memory").
  virtual std::string name() const = 0;
  // Everything stored for `room`. A room never written loads as empty and ok;
  // an error means the room's data exists but cannot be read.
  virtual Status load(const std::string& room, StoredDocument* out) = 0;
  // Appends updates of any rooms in one durable commit: when this returns ok,
  // all of them survive a crash; on error, none of them need have. A
  // sequence number already stored for the room is an error (another
  // process wrote to the room): the caller reloads rather than overwrite.
  virtual Status append(const std::vector<StoredUpdate>& batch) = 0;
  // Replaces the room's snapshot with `snapshot` and drops its log entries up
  // to and including `through_seq`, atomically.
  virtual Status compact(const std::string& room, const Bytes& snapshot, uint64_t through_seq) = 0;
  // Forgets a room.
  virtual Status remove(const std::string& room) = 0;
  // Every room with stored data, sorted.
  virtual Status list(std::vector<std::string>* rooms) = 0;
  virtual Status figures(const std::string& room, StoreFigures* out) = 0;
};

// The embedded default: one SQLite file, `DIR/conflux.db` (WAL mode), the
// directory created when missing. A commit is durable once it returns
// (synchronous=FULL): it survives a killed process and a power cut.
Status open_sqlite_store(const std::string& dir, std::shared_ptr<DocumentStore>* out);

// Keeps everything in this process's memory: for tests and for hosts that
// persist documents their own way.
std::shared_ptr<DocumentStore> make_memory_store();

}  // namespace conflux
