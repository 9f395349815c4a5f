// A room actor: owns one document, its awareness and its members, and handles
// their messages one at a time. Everything but post() runs on the actor.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <random>
#include <set>
#include <string>
#include <unordered_map>
#include <vector>

#include "awareness.h"
#include "conflux/room.h"
#include "store_worker.h"

namespace conflux {

class Room;

// What the manager and its rooms share; outlives the manager while rooms run.
struct RoomManager::Registry {
  Registry(Executor& e, RoomManager::Options o) : executor(e), options(std::move(o)) {}
  Executor& executor;
  const RoomManager::Options options;
  std::mutex mu;
  std::unordered_map<std::string, std::shared_ptr<Room>> rooms;
  ManagerStats totals;  // counters of unloaded rooms, plus process-wide counts
  bool shut_down = false;
  // Storage threads; null without a store and a relay.
  std::unique_ptr<StoreWorker> worker;

  void log(const std::string& line) const {
    if (options.log) options.log(line);
  }
  // Stops relaying a room that leaves the registry. Called under `mu`, where
  // rooms leave it: a new room with the same id joins the relay only after.
  void leave_relay(const std::string& room) const {
    if (options.relay) options.relay->leave(room);
  }
};

class Room : public std::enable_shared_from_this<Room> {
 public:
  using Clock = std::chrono::steady_clock;
  using Message = std::function<void(Room&)>;

  Room(std::string id, std::shared_ptr<RoomManager::Registry> registry);
  const std::string& id() const { return id_; }

  // Queues a message for the actor (any thread).
  void post(Message message);

  // Members counted by the manager: raised at join under the registry lock,
  // lowered by the actor on leave; with the time the room last became empty,
  // this tells the manager when a room is idle without asking the actor.
  std::atomic<int64_t> members{0};
  std::atomic<int64_t> empty_since_ms{0};

  // Reads the room's stored state (and joins its relay) on the storage
  // threads. Until that is done the room's messages wait in its mailbox.
  void start_load();

  // Actor messages.
  void on_join(uint64_t member, const Identity& identity, std::shared_ptr<Peer> peer);
  void on_frame(uint64_t member, std::string data, bool text);
  void on_leave(uint64_t member);
  void on_tick(int64_t now_ms);
  void on_stats(const std::function<void(RoomStats)>& reply);
  void on_unload();
  void on_shutdown();
  // From the storage writer: the room's updates up to `seq` are committed.
  void on_committed(uint64_t seq, const Status& status);
  void on_compacted(const Status& status);
  // From the relay: a message from another node, or a request.
  void on_relayed(RelayMessage message);

  static int64_t now_ms();

 private:
  enum class Mode : uint8_t { Unknown, Yjs, Text };
  enum class State : uint8_t { Loading, Ready, Failed };
  struct LoadResult {
    Status local_status;
    StoredDocument local;
    bool relay_joined = false;
    Status relay_status;
    StoredDocument shared;
  };
  // A frame that waits for the store to commit update `seq`.
  struct HeldFrame {
    uint64_t seq;
    uint64_t member;
    OutFrame frame;
  };
  struct Member {
    Identity identity;
    std::shared_ptr<Peer> peer;
    Mode mode = Mode::Unknown;
    int64_t joined_ms = 0;
    std::set<uint64_t> awareness_clients;  // client ids whose presence this connection set
    uint64_t text_client_id = 0;           // awareness id for JSON-speaking members
    std::vector<std::shared_ptr<const std::string>> held_text;  // JSON held until the mode is known
  };

  void drain();
  // Hands the load's outcome to the actor (loader thread).
  void loaded(LoadResult result);
  void on_loaded(LoadResult result);
  // Merges what other nodes hold and gives them what only we hold.
  void merge_shared(const LoadResult& result);
  // The room cannot be served: closes its members and leaves the registry,
  // so a later join tries again. Writes nothing.
  void fail(const std::string& reason);
  void maybe_compact();
  void release_held();
  // Sends at once, bypassing the commit gate.
  void deliver_now(uint64_t id, Member& m, const OutFrame& frame);
  void handle_binary(uint64_t id, Member& m, const std::string& data);
  void handle_text(uint64_t id, Member& m, const std::string& data);
  void apply_client_update(uint64_t id, Member& m, Bytes update, bool reply_as_json);
  // Broadcasts an awareness change, and passes it to other nodes unless it came from them.
  void publish_awareness(const protocol::AwarenessChange& change, bool to_relay = true);
  void become_text(uint64_t id, Member& m);
  // Sends to one member; a full queue drops the member (after the current loop).
  void send_to(uint64_t id, Member& m, const OutFrame& frame);
  void send_error(uint64_t id, Member& m, const std::string& message, bool as_json);
  // Binary frames go to Yjs (and not yet known) members, JSON to text members.
  void broadcast(const std::shared_ptr<const std::string>& binary, const std::shared_ptr<const std::string>& json);
  void remove_member(uint64_t id);
  void drop_slow_members();
  uint64_t new_text_client_id();
  const std::shared_ptr<const std::string>& full_step2();

  const std::string id_;
  std::shared_ptr<RoomManager::Registry> registry_;

  std::mutex mailbox_mu_;
  std::deque<Message> mailbox_;
  bool scheduled_ = false;
  State state_;                            // read under mailbox_mu_ by drain()
  std::optional<LoadResult> load_result_;  // under mailbox_mu_
  std::string failure_;

  // The durability gate: updates get sequence numbers as they are handed to
  // the store; while the newest is not committed, everything the room sends
  // waits in held_, in order, so no client sees an update a crash could lose.
  uint64_t last_seq_ = 0;
  uint64_t committed_seq_ = 0;
  std::deque<HeldFrame> held_;
  // The log since the snapshot, for the compaction threshold.
  uint64_t log_entries_ = 0, log_bytes_ = 0, snapshot_bytes_ = 0;
  int64_t last_compaction_unix_ms_ = 0;
  bool loading_ = false;         // applying the stored state: nothing is sent, stored or relayed
  bool applying_remote_ = false; // applying another node's update: it is not relayed back

  Doc doc_;
  Subscription update_subscription_;
  // The sync step 2 for a peer that has nothing (an empty state vector), the
  // answer to every fresh joiner: encoded once per document version.
  std::shared_ptr<const std::string> full_step2_;
  protocol::Awareness awareness_;
  std::map<uint64_t, Member> members_;
  std::vector<uint64_t> slow_;  // members whose send queue overflowed
  RoomStats stats_;
  bool closed_ = false;
  std::mt19937_64 rng_;
};

}  // namespace conflux
