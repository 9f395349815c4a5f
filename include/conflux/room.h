// Rooms: one shared document per room id, with presence and chat, served to
// any number of connections. Transport- and storage-agnostic: a transport
// implements Peer for each connection and feeds it frames through a Session.
//
//   conflux::RoomManager rooms(executor, {});
//   auto session = rooms.join("doc-1", identity, my_peer);  // my_peer: a conflux::Peer
//   session->receive(frame_bytes, /*text=*/false);          // each frame from the client
//   session->leave();                                       // when the connection closes
//
// Each room is an actor: its messages run one at a time on the Executor's
// threads, and rooms share no locks, so many rooms use many cores.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "conflux/auth.h"
#include "conflux/doc.h"
#include "conflux/relay.h"
#include "conflux/store.h"

namespace conflux {

// A message on its way to connections. One broadcast is encoded once and the
// same bytes are shared by every receiver.
struct OutFrame {
  std::shared_ptr<const std::string> data;
  bool text = false;  // a text (JSON) frame, else binary (y-protocols)
};

// One connection, as seen by its room. Implemented by the transport; called
// from the room's thread.
class Peer {
 public:
  virtual ~Peer() = default;
  // Queues a frame. Returns false when the peer's bounded send queue is full:
  // the transport then closes the connection (1013) and the room drops it.
  virtual bool send(const OutFrame& frame) = 0;
  // Closes the connection with a WebSocket close code and reason.
  virtual void close(uint16_t code, std::string_view reason) = 0;
};

// Runs work on some pool of threads (an Asio io_context, a host's own pool).
class Executor {
 public:
  virtual ~Executor() = default;
  virtual void post(std::function<void()> work) = 0;
};

// A connection's handle on its room.
class Session {
 public:
  virtual ~Session() = default;
  // A whole WebSocket message from the client.
  virtual void receive(std::string data, bool text) = 0;
  // The connection has closed; idempotent.
  virtual void leave() = 0;
};

// Counters of one room, as /dashboard shows them.
struct RoomStats {
  std::string room;
  uint64_t clients = 0;             // connected now
  uint64_t updates_applied = 0;     // client messages that changed the document
  uint64_t awareness_events = 0;    // awareness changes broadcast (set, renewed, removed)
  uint64_t chat_messages = 0;
  uint64_t document_bytes = 0;      // size of the document as one v1 update
  uint64_t dropped_slow = 0;        // clients disconnected for not keeping up
  uint64_t awareness_states = 0;    // present awareness entries
  uint64_t refused_messages = 0;    // malformed or forbidden messages refused
  // Storage (zero without a store): the log after the snapshot, as written by this process.
  uint64_t log_entries = 0;
  uint64_t log_bytes = 0;
  uint64_t snapshot_bytes = 0;
  int64_t last_compaction_unix_ms = 0;  // 0: not compacted since loaded
};

// The storage writer's figures, for /dashboard and /metrics.
struct StorageFigures {
  std::string backend;  // the store's name; empty: documents live in memory only
  uint64_t commits = 0;          // group commits of updates
  uint64_t updates_written = 0;  // updates in them
  uint64_t compactions = 0;
  uint64_t failures = 0;         // commits or compactions that failed
  uint64_t queued = 0;           // writes waiting now
  uint64_t last_write_us = 0, max_write_us = 0, total_write_us = 0;  // time per commit or compaction
  std::string last_error;
};

struct ManagerStats {
  std::vector<RoomStats> rooms;  // sorted by room id
  // Totals since the manager started, unloaded rooms included.
  uint64_t rooms_loaded = 0, rooms_unloaded = 0;
  uint64_t sessions_joined = 0;
  uint64_t updates_applied = 0, awareness_events = 0, chat_messages = 0, dropped_slow = 0,
           refused_messages = 0;
  uint64_t rooms_failed = 0;  // rooms closed because their storage failed (a load or a write)
  StorageFigures storage;
  std::optional<RelayFigures> relay;  // set in cluster mode
};

class RoomManager {
 public:
  struct Options {
    // A room without clients for this long is unloaded.
    std::chrono::milliseconds idle_timeout{std::chrono::seconds(30)};
    // A connection that has sent nothing for this long after joining is taken
    // to be a person (wscat) rather than a Yjs client, and receives JSON.
    std::chrono::milliseconds text_grace{std::chrono::milliseconds(1000)};
    // Called on the room's thread after each change to a room's document.
    std::function<void(const std::string& room, const Doc& doc, const Bytes& update)> on_document_update;
    // Where documents are kept; null: in memory only, lost when a room unloads.
    // With a store, an update reaches other clients only once it is committed.
    std::shared_ptr<DocumentStore> store;
    // Shares rooms with other server processes; null: this process alone.
    std::shared_ptr<Relay> relay;
    // A room's log is compacted into a snapshot past this many updates, or
    // once its bytes pass both compact_min_bytes and the snapshot's size.
    uint64_t compact_entries = 1000;
    uint64_t compact_min_bytes = 1 << 20;
    // Storage and relay events (a room that cannot load, a failed write); may be null.
    std::function<void(std::string_view line)> log;
  };

  RoomManager(Executor& executor, Options options);
  ~RoomManager();
  RoomManager(const RoomManager&) = delete;
  RoomManager& operator=(const RoomManager&) = delete;

  // Joins a room, creating it on first use. The peer receives the room's sync
  // step 1 and current presence right away.
  std::shared_ptr<Session> join(const std::string& room, const Identity& identity, std::shared_ptr<Peer> peer);

  // Drives timers: awareness timeouts, the text grace period, idle unloading.
  // Call about once a second with the current time.
  void tick(std::chrono::steady_clock::time_point now);

  // Gathers every room's counters on the rooms' own threads and calls `done`
  // (on one of them) when all have answered.
  void stats(std::function<void(ManagerStats)> done);

  // Closes every session (1001, going away) and unloads every room. Joins
  // after this are refused (nullptr).
  void shutdown();

  // Blocks until every update handed to the store so far is committed.
  void flush();

  // Rooms loaded now.
  size_t room_count() const;

  struct Registry;  // internal: what the manager shares with its rooms

 private:
  std::shared_ptr<Registry> registry_;
};

}  // namespace conflux
