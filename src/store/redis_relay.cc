// The Redis relay: rooms' updates, presence and chat between nodes, and the
// rooms' shared log, in Redis streams.
//
// Why it is built this way:
// - Streams, not pub/sub. A room's log stream is both the shared durable log
//   and the channel between nodes: a node that was away resumes XREAD from the
//   last id it saw, which pub/sub (fire and forget) cannot do.
// - Awareness and chat go to a second, capped stream per room: the same XREAD
//   loop reads them, and they never enter the document log.
// - Three connections, one per kind of waiting: the reader's blocks in XREAD;
//   the writer's pipelines XADDs so publish() never waits; join()'s reads the
//   room's shared log, blocking only join's caller.
// - join() reads snapshot, log and the ephemeral stream's position in one
//   MULTI, so what it returns and where the reader continues agree exactly.
// - Only the room knows its merged state, so compaction is a request to it:
//   a lock (SET NX PX) picks one node, which records the last log id it has
//   delivered; the room's answer becomes the snapshot covering that id. The
//   trim keeps a safety window so a lagging reader still finds its entries,
//   and WATCH on the lock and the snapshot id makes a late answer harmless.
// - Delivery is at least once: a write whose answer was lost goes again
//   (updates apply idempotently). Order per room and stream is kept: the
//   writer's queue is FIFO and retried from its head.
// - Redis may come back empty (no persistence, a new machine): a random epoch
//   key, checked on every reconnect, tells; rooms are then asked to Resync and
//   the log is read again from its start.
#include "redis_relay.h"

#include <algorithm>
#include <atomic>
#include <charconv>
#include <condition_variable>
#include <cstdlib>
#include <deque>
#include <map>
#include <mutex>
#include <optional>
#include <random>
#include <thread>
#include <unordered_map>
#include <utility>
#include <vector>

#include "redis_connection.h"
#include "redis_layout.h"
#include "stream_id.h"

namespace conflux {
namespace {

using Clock = std::chrono::steady_clock;
using Kind = RelayMessage::Kind;
using redis::Args;
using redis::Connection;
using redis::Reply;
using redis::StreamId;

constexpr size_t kReadCount = 256;   // entries per stream per XREAD
constexpr size_t kWriteBatch = 256;  // XADDs per pipelined round trip

std::string random_hex(size_t bytes) {
  static const char digits[] = "0123456789abcdef";
  std::random_device rd;
  std::string out;
  for (size_t i = 0; i < bytes; ++i) {
    unsigned v = rd() & 0xffu;
    out += digits[v >> 4];
    out += digits[v & 15];
  }
  return out;
}

// "host:port" or "[v6 address]:port".
bool parse_host_port(const std::string& s, std::string* host, int* port) {
  size_t colon;
  if (!s.empty() && s[0] == '[') {
    size_t close = s.find(']');
    if (close == std::string::npos || close + 1 >= s.size() || s[close + 1] != ':') return false;
    *host = s.substr(1, close - 1);
    colon = close + 1;
  } else {
    colon = s.rfind(':');
    if (colon == std::string::npos) return false;
    *host = s.substr(0, colon);
    if (host->find(':') != std::string::npos) return false;
  }
  if (host->empty()) return false;
  const char* begin = s.data() + colon + 1;
  const char* end = s.data() + s.size();
  int value = 0;
  auto [stop, ec] = std::from_chars(begin, end, value);
  if (ec != std::errc() || stop != end || begin == end || value < 1 || value > 65535) return false;
  *port = value;
  return true;
}

std::string_view kind_code(Kind kind) {
  switch (kind) {
    case Kind::Update: return redis::kUpdateKind;
    case Kind::Awareness: return redis::kAwarenessKind;
    case Kind::Chat: return redis::kChatKind;
    default: return {};
  }
}

std::optional<Kind> kind_of(std::string_view code) {
  if (code == redis::kUpdateKind) return Kind::Update;
  if (code == redis::kAwarenessKind) return Kind::Awareness;
  if (code == redis::kChatKind) return Kind::Chat;
  return std::nullopt;
}

// One stream entry: [id, [field, value, ...]].
struct Entry {
  StreamId id;
  std::string node;
  std::string kind;
  std::string payload;
};

bool decode_entry(const redisReply* r, Entry* out) {
  if (!redis::is_array(r) || r->elements != 2) return false;
  if (!StreamId::parse(redis::text(r->element[0]), &out->id)) return false;
  const redisReply* fields = r->element[1];
  if (!redis::is_array(fields)) return false;
  for (size_t i = 0; i + 1 < fields->elements; i += 2) {
    std::string name = redis::text(fields->element[i]);
    std::string value = redis::text(fields->element[i + 1]);
    if (name == redis::kNodeField) {
      out->node = std::move(value);
    } else if (name == redis::kKindField) {
      out->kind = std::move(value);
    } else if (name == redis::kPayloadField) {
      out->payload = std::move(value);
    }
  }
  return true;
}

// A room's shared state at one moment.
struct SharedLog {
  std::string snapshot;
  std::vector<Entry> entries;   // the log after the snapshot, oldest first
  StreamId log_position;        // the newest log entry read, or the snapshot's
  StreamId ephemeral_position;  // the ephemeral stream's newest entry
};

// Reads snapshot, log and ephemeral position in one MULTI. The log may still
// hold entries the snapshot covers (the trim keeps a safety window): those
// are left out here.
Status read_shared_log(Connection& c, const std::string& room, SharedLog* out) {
  const std::string snap = redis::snapshot_key(room), snap_id = redis::snapshot_id_key(room),
                    log = redis::log_key(room), eph = redis::ephemeral_key(room);
  const Args commands[] = {
      {"MULTI"},
      {"GET", snap},
      {"GET", snap_id},
      {"XRANGE", log, "-", "+"},
      {"XREVRANGE", eph, "+", "-", "COUNT", "1"},
      {"EXEC"},
  };
  for (const Args& a : commands) {
    if (!c.append(a)) return Status::error(c.error());
  }
  Reply exec;
  for (size_t i = 0; i < std::size(commands); ++i) {
    exec = c.read_reply();
    if (!exec) return Status::error(c.error());
  }
  if (!redis::is_array(exec.get()) || exec->elements != 4) {
    return Status::error(redis::is_error(exec.get()) ? redis::text(exec.get()) : "unexpected answer to EXEC");
  }
  redisReply** e = exec->element;
  for (size_t i = 0; i < 4; ++i) {
    if (redis::is_error(e[i])) return Status::error(redis::text(e[i]));
  }
  *out = {};
  StreamId snapshot_id;
  if (e[0]->type == REDIS_REPLY_STRING) out->snapshot = redis::text(e[0]);
  if (e[1]->type == REDIS_REPLY_STRING && !StreamId::parse(redis::text(e[1]), &snapshot_id)) {
    return Status::error("malformed snapshot id in " + snap_id);
  }
  out->log_position = snapshot_id;
  if (redis::is_array(e[2])) {
    for (size_t i = 0; i < e[2]->elements; ++i) {
      Entry entry;
      if (!decode_entry(e[2]->element[i], &entry)) continue;
      out->log_position = std::max(out->log_position, entry.id);
      if (entry.id > snapshot_id) out->entries.push_back(std::move(entry));
    }
  }
  if (redis::is_array(e[3]) && e[3]->elements > 0) {
    Entry newest;
    if (decode_entry(e[3]->element[0], &newest)) out->ephemeral_position = newest.id;
  }
  return {};
}

// Reads the epoch key, creating it when missing (the first node to ask wins).
bool adopt_epoch(Connection& c, std::string* epoch) {
  const std::string fresh = random_hex(16);
  Reply set = c.command({"SET", redis::kEpochKey, fresh, "NX"});
  if (!set || redis::is_error(set.get())) return false;
  Reply get = c.command({"GET", redis::kEpochKey});
  if (!get || get->type != REDIS_REPLY_STRING) return false;
  *epoch = redis::text(get.get());
  return true;
}

// A joined room, as the reader thread serves it.
struct RoomLink {
  RoomLink(std::string r, std::function<void(RelayMessage)> d)
      : room(std::move(r)), log(redis::log_key(room)), ephemeral(redis::ephemeral_key(room)), deliver(std::move(d)) {}

  const std::string room, log, ephemeral;
  const std::function<void(RelayMessage)> deliver;

  // Held around every deliver() call, and by leave(): once leave returns, no
  // call runs or starts. Recursive so that deliver may leave or rejoin.
  std::recursive_mutex mu;
  bool active = true;
  bool catch_up = false;  // join could not read the shared log: deliver it all once the link is back
  StreamId log_position, ephemeral_position;  // the newest entries read
  uint64_t log_entries = 0;                   // since the snapshot or the last compaction request

  // A Compact request waiting for its answer: the newest log entry delivered
  // before it, which the room's answer covers.
  std::mutex compact_mu;
  std::optional<StreamId> compact_through;
  Clock::time_point compact_expires;
};

// A message or a compaction waiting for the writer.
struct Outgoing {
  bool compaction = false;
  std::string room;
  Kind kind = Kind::Update;
  std::string data;  // the payload, or the compacted state
  StreamId through;  // compaction: the newest log entry the state covers
};

class RedisRelay final : public Relay {
 public:
  RedisRelay(const std::string& host, int port, const RedisRelayOptions& options)
      : address_(host + ":" + std::to_string(port)),
        options_(options),
        node_(random_hex(8)),
        join_conn_(host, port),
        reader_conn_(host, port),
        writer_conn_(host, port) {}

  ~RedisRelay() override {
    {
      std::lock_guard rooms_lock(rooms_mu_);
      std::lock_guard queue_lock(queue_mu_);
      stop_ = true;
    }
    rooms_cv_.notify_all();
    queue_cv_.notify_all();
    if (reader_.joinable()) reader_.join();
    if (writer_.joinable()) writer_.join();
  }

  // Connects all three links and learns the epoch, then starts the threads.
  Status start() {
    for (Connection* c : {&join_conn_, &reader_conn_, &writer_conn_}) {
      if (Status st = c->open(options_.connect_timeout, options_.io_timeout); !st) {
        return Status::error("redis relay: cannot reach Redis at " + address_ + ": " + st.message());
      }
    }
    if (!adopt_epoch(join_conn_, &epoch_)) {
      return Status::error("redis relay: cannot read " + std::string(redis::kEpochKey) + " at " + address_ + ": " +
                           join_conn_.error());
    }
    reader_up_ = writer_up_ = true;
    reader_ = std::thread([this] { reader_loop(); });
    writer_ = std::thread([this] { writer_loop(); });
    return {};
  }

  Status join(const std::string& room, std::function<void(RelayMessage)> deliver, StoredDocument* shared) override {
    auto link = std::make_shared<RoomLink>(room, std::move(deliver));
    SharedLog log;
    Status st = read_for_join(room, &log);
    if (shared) *shared = {};
    if (st) {
      link->log_position = log.log_position;
      link->ephemeral_position = log.ephemeral_position;
      link->log_entries = log.entries.size();
      if (shared) {
        shared->snapshot.assign(log.snapshot.begin(), log.snapshot.end());
        shared->updates.reserve(log.entries.size());
        for (const Entry& e : log.entries) shared->updates.emplace_back(e.payload.begin(), e.payload.end());
      }
    } else {
      link->catch_up = true;
      st = Status::error("redis relay: cannot read the shared log of room \"" + room + "\" at " + address_ + ": " +
                         st.message() + " (the room stays joined and gets the log once Redis is back)");
      note_error(st.message());
    }
    std::shared_ptr<RoomLink> replaced;
    {
      std::lock_guard lock(rooms_mu_);
      auto& slot = rooms_[room];
      replaced = std::move(slot);
      slot = link;
    }
    rooms_cv_.notify_all();
    if (replaced) {
      std::lock_guard lock(replaced->mu);
      replaced->active = false;
    }
    return st;
  }

  void leave(const std::string& room) override {
    std::shared_ptr<RoomLink> link;
    {
      std::lock_guard lock(rooms_mu_);
      auto it = rooms_.find(room);
      if (it == rooms_.end()) return;
      link = std::move(it->second);
      rooms_.erase(it);
    }
    std::lock_guard lock(link->mu);
    link->active = false;
  }

  void publish(const std::string& room, RelayMessage message) override {
    if (kind_code(message.kind).empty()) return;  // Compact and Resync only go to rooms
    Outgoing out;
    out.room = room;
    out.kind = message.kind;
    out.data = std::move(message.payload);
    enqueue(std::move(out));
  }

  void compact(const std::string& room, Bytes state) override {
    std::shared_ptr<RoomLink> link;
    {
      std::lock_guard lock(rooms_mu_);
      auto it = rooms_.find(room);
      if (it != rooms_.end()) link = it->second;
    }
    if (!link) return;
    std::optional<StreamId> through;
    {
      std::lock_guard lock(link->compact_mu);
      through = std::exchange(link->compact_through, std::nullopt);
    }
    if (!through) return;  // not asked, or already answered: there is nothing this node may trim
    Outgoing out;
    out.compaction = true;
    out.room = room;
    out.data.assign(state.begin(), state.end());
    out.through = *through;
    enqueue(std::move(out));
  }

  RelayFigures figures() const override {
    RelayFigures f;
    f.endpoint = "redis " + address_;
    f.published = published_;
    f.received = received_;
    f.queued = queued_;
    f.compactions = compactions_;
    std::lock_guard lock(figures_mu_);
    f.connected = reader_up_ && writer_up_;
    f.reconnects = reconnects_;
    f.last_error = last_error_;
    return f;
  }

 private:
  enum class Link { Reader, Writer };
  enum class Outcome { Sent, Retry, LinkDown };

  // ---- join

  Status read_for_join(const std::string& room, SharedLog* log) {
    std::lock_guard lock(join_mu_);
    for (int attempt = 0; attempt < 2; ++attempt) {
      if (!join_conn_.is_open()) {
        if (Status st = join_conn_.open(options_.connect_timeout, options_.io_timeout); !st) return st;
      }
      Status st = read_shared_log(join_conn_, room, log);
      if (st || join_conn_.is_open()) return st;  // done, or Redis refused: no point in retrying
      // The link broke, maybe long ago while idle: once more on a fresh one.
    }
    return Status::error(join_conn_.error());
  }

  // ---- the reader thread

  void reader_loop() {
    auto backoff = options_.retry_min;
    while (!stop_) {
      if (!reader_conn_.is_open()) {
        if (!reopen_reader()) {
          wait_reader(backoff);
          backoff = std::min(backoff * 2, options_.retry_max);
          continue;
        }
        backoff = options_.retry_min;
      }
      std::vector<std::shared_ptr<RoomLink>> rooms = joined_rooms();
      if (!catch_up_rooms(rooms) || !read_news(rooms)) link_down(Link::Reader, reader_conn_.error());
    }
  }

  bool reopen_reader() {
    if (Status st = reader_conn_.open(options_.connect_timeout, options_.io_timeout); !st) {
      link_down(Link::Reader, st.message());
      return false;
    }
    std::string epoch;
    if (!adopt_epoch(reader_conn_, &epoch)) {
      link_down(Link::Reader, "cannot read the epoch key: " + reader_conn_.error());
      reader_conn_.close();
      return false;
    }
    bool lost = epoch != epoch_;
    epoch_ = epoch;
    writer_reopen_ = true;  // the writer's idle connection is likely dead too
    link_up(Link::Reader);
    if (lost) {
      note_error("redis " + address_ + " came back without the relay's data: rooms resync");
      resync_rooms();
    }
    return true;
  }

  std::vector<std::shared_ptr<RoomLink>> joined_rooms() {
    std::lock_guard lock(rooms_mu_);
    std::vector<std::shared_ptr<RoomLink>> out;
    out.reserve(rooms_.size());
    for (const auto& [room, link] : rooms_) out.push_back(link);
    return out;
  }

  // Sleeps, waking early for a join or for shutdown.
  void wait_reader(std::chrono::milliseconds d) {
    std::unique_lock lock(rooms_mu_);
    if (!stop_) rooms_cv_.wait_for(lock, d);
  }

  // Rooms whose join found the link down get the whole shared log now.
  bool catch_up_rooms(const std::vector<std::shared_ptr<RoomLink>>& rooms) {
    for (const auto& link : rooms) {
      {
        std::lock_guard lock(link->mu);
        if (!link->active || !link->catch_up) continue;
      }
      SharedLog log;
      if (Status st = read_shared_log(reader_conn_, link->room, &log); !st) {
        if (!reader_conn_.is_open()) return false;
        note_error("redis relay: cannot read the shared log of room \"" + link->room + "\": " + st.message());
        continue;
      }
      std::lock_guard lock(link->mu);
      if (!link->active || !link->catch_up) continue;
      link->catch_up = false;
      link->log_position = log.log_position;
      link->ephemeral_position = log.ephemeral_position;
      link->log_entries = log.entries.size();
      if (!log.snapshot.empty()) link->deliver(RelayMessage{Kind::Update, std::move(log.snapshot)});
      for (Entry& e : log.entries) {
        ++received_;
        link->deliver(RelayMessage{Kind::Update, std::move(e.payload)});
      }
    }
    return true;
  }

  // One XREAD over every joined room's streams; false when the link failed.
  bool read_news(const std::vector<std::shared_ptr<RoomLink>>& rooms) {
    struct Source {
      RoomLink* link;
      bool is_log;
      std::string position;
    };
    std::unordered_map<std::string, Source> sources;  // by stream key
    for (const auto& link : rooms) {
      std::lock_guard lock(link->mu);
      if (!link->active || link->catch_up) continue;
      sources.emplace(link->log, Source{link.get(), true, link->log_position.str()});
      sources.emplace(link->ephemeral, Source{link.get(), false, link->ephemeral_position.str()});
    }
    if (sources.empty()) {
      // Nothing to read: a PING now and then keeps figures() true to fact.
      if (Clock::now() >= next_idle_ping_) {
        next_idle_ping_ = Clock::now() + std::chrono::seconds(1);
        if (!reader_conn_.command({"PING"})) return false;
      }
      wait_reader(options_.read_block);
      return true;
    }
    const std::string count = std::to_string(kReadCount), block = std::to_string(options_.read_block.count());
    Args args{"XREAD", "COUNT", count, "BLOCK", block, "STREAMS"};
    for (const auto& [key, source] : sources) args.push_back(key);
    for (const auto& [key, source] : sources) args.push_back(source.position);
    Reply reply = reader_conn_.command(args);
    if (!reply) return false;
    if (redis::is_error(reply.get())) {
      note_error("redis relay: XREAD: " + redis::text(reply.get()));
      wait_reader(options_.read_block);
      return true;
    }
    if (!redis::is_array(reply.get())) return true;  // nil: nothing new within the block time
    std::vector<RoomLink*> grown;
    for (size_t i = 0; i < reply->elements; ++i) {
      const redisReply* stream = reply->element[i];
      if (!redis::is_array(stream) || stream->elements != 2 || !redis::is_array(stream->element[1])) continue;
      auto it = sources.find(redis::text(stream->element[0]));
      if (it == sources.end()) continue;
      const Source& source = it->second;
      for (size_t j = 0; j < stream->element[1]->elements; ++j) {
        Entry entry;
        if (decode_entry(stream->element[1]->element[j], &entry)) deliver_entry(*source.link, source.is_log, std::move(entry));
      }
      if (source.is_log) grown.push_back(source.link);
    }
    return request_compactions(grown);
  }

  void deliver_entry(RoomLink& link, bool is_log, Entry entry) {
    std::lock_guard lock(link.mu);
    if (!link.active || link.catch_up) return;
    StreamId& position = is_log ? link.log_position : link.ephemeral_position;
    if (entry.id <= position) return;  // already read (a resync or rejoin raced this read)
    position = entry.id;
    if (is_log) ++link.log_entries;
    if (entry.node == node_) return;
    std::optional<Kind> kind = kind_of(entry.kind);
    if (!kind) return;
    ++received_;
    link.deliver(RelayMessage{*kind, std::move(entry.payload)});
  }

  // Rooms whose log grew past the threshold: the node that takes the room's
  // lock asks its room for the state. False when the link failed.
  bool request_compactions(const std::vector<RoomLink*>& grown) {
    const std::string ttl = std::to_string(options_.compact_lock_ttl.count());
    for (RoomLink* link : grown) {
      {
        std::lock_guard lock(link->mu);
        if (!link->active || link->log_entries < options_.compact_threshold) continue;
      }
      {
        std::lock_guard lock(link->compact_mu);
        if (link->compact_through && Clock::now() < link->compact_expires) continue;  // still waiting for the room
        link->compact_through.reset();
      }
      const std::string key = redis::compact_lock_key(link->room);
      Reply taken = reader_conn_.command({"SET", key, node_, "NX", "PX", ttl});
      if (!taken) return false;
      std::lock_guard lock(link->mu);
      link->log_entries = 0;  // taken or not: another try only after as many entries again
      if (redis::text(taken.get()) != "OK" || !link->active) continue;  // another node is compacting
      {
        std::lock_guard compact_lock(link->compact_mu);
        link->compact_through = link->log_position;
        link->compact_expires = Clock::now() + options_.compact_lock_ttl;
      }
      link->deliver(RelayMessage{Kind::Compact, {}});
    }
    return true;
  }

  // Redis lost data: every room republishes its state, and the log is read
  // again from its start.
  void resync_rooms() {
    for (const auto& link : joined_rooms()) {
      {
        std::lock_guard lock(link->compact_mu);
        link->compact_through.reset();
      }
      std::lock_guard lock(link->mu);
      if (!link->active) continue;
      link->log_position = {};
      link->ephemeral_position = {};
      link->log_entries = 0;
      link->deliver(RelayMessage{Kind::Resync, {}});
    }
  }

  // ---- the writer thread

  void enqueue(Outgoing out) {
    {
      std::lock_guard lock(queue_mu_);
      if (!out.compaction) ++queued_;
      queue_.push_back(std::move(out));
    }
    queue_cv_.notify_one();
  }

  void writer_loop() {
    auto backoff = options_.retry_min;
    for (;;) {
      std::vector<Outgoing> batch;
      {
        std::unique_lock lock(queue_mu_);
        queue_cv_.wait(lock, [&] { return stop_ || !queue_.empty(); });
        if (queue_.empty()) return;                    // stopping, and everything went out
        if (stop_ && !writer_conn_.is_open()) return;  // stopping: do not wait for Redis
        // A compaction goes alone; messages go in runs.
        do {
          batch.push_back(std::move(queue_.front()));
          queue_.pop_front();
        } while (!batch.front().compaction && batch.size() < kWriteBatch && !queue_.empty() &&
                 !queue_.front().compaction);
      }
      size_t done = 0;
      Outcome outcome = Outcome::LinkDown;
      if (ensure_writer_open()) {
        outcome = batch.front().compaction ? write_compaction(batch.front(), &done) : write_messages(batch, &done);
      }
      if (done < batch.size()) {
        std::lock_guard lock(queue_mu_);
        queue_.insert(queue_.begin(), std::make_move_iterator(batch.begin() + static_cast<ptrdiff_t>(done)),
                      std::make_move_iterator(batch.end()));
      }
      if (outcome == Outcome::Sent) {
        backoff = options_.retry_min;
        continue;
      }
      if (outcome == Outcome::LinkDown) link_down(Link::Writer, writer_conn_.error());
      if (stop_) return;
      std::unique_lock lock(queue_mu_);
      if (!stop_) queue_cv_.wait_for(lock, backoff);
      backoff = std::min(backoff * 2, options_.retry_max);
    }
  }

  bool ensure_writer_open() {
    if (writer_reopen_.exchange(false)) writer_conn_.close();
    if (writer_conn_.is_open()) return true;
    if (!writer_conn_.open(options_.connect_timeout, options_.io_timeout)) return false;
    link_up(Link::Writer);
    return true;
  }

  // Pipelined XADDs. `done` counts the messages, from the front, that need
  // no more sending.
  Outcome write_messages(const std::vector<Outgoing>& batch, size_t* done) {
    const std::string max_len = std::to_string(options_.ephemeral_max_len);
    for (const Outgoing& m : batch) {
      const bool ephemeral = m.kind != Kind::Update;
      const std::string key = ephemeral ? redis::ephemeral_key(m.room) : redis::log_key(m.room);
      const Args args = ephemeral ? Args{"XADD", key, "MAXLEN", "~", max_len, "*", redis::kNodeField, node_,
                                         redis::kKindField, kind_code(m.kind), redis::kPayloadField, m.data}
                                  : Args{"XADD", key, "*", redis::kNodeField, node_, redis::kKindField,
                                         kind_code(m.kind), redis::kPayloadField, m.data};
      if (!writer_conn_.append(args)) return Outcome::LinkDown;
    }
    Outcome outcome = Outcome::Sent;
    for (size_t i = 0; i < batch.size(); ++i) {
      Reply r = writer_conn_.read_reply();
      if (!r) return Outcome::LinkDown;
      if (outcome != Outcome::Sent) continue;  // read the rest; they go again from the first failure
      if (!redis::is_error(r.get())) {
        ++published_;
      } else if (const std::string error = redis::text(r.get()); refused_for_good(error)) {
        note_error("redis relay: XADD to room \"" + batch[i].room + "\" refused, message dropped: " + error);
      } else {
        note_error("redis relay: XADD to room \"" + batch[i].room + "\" failed, retrying: " + error);
        outcome = Outcome::Retry;
        continue;
      }
      --queued_;
      ++*done;
    }
    return outcome;
  }

  // Errors that sending again would not cure (as opposed to OOM, BUSY, ...).
  static bool refused_for_good(const std::string& error) {
    return error.rfind("ERR", 0) == 0 || error.rfind("WRONGTYPE", 0) == 0;
  }

  // The room's answer to a Compact request becomes its snapshot, if this node
  // still holds the room's lock and no newer snapshot is there.
  Outcome write_compaction(const Outgoing& c, size_t* done) {
    const std::string lock = redis::compact_lock_key(c.room), snap = redis::snapshot_key(c.room),
                      snap_id = redis::snapshot_id_key(c.room), log = redis::log_key(c.room);
    // Stream ids carry Redis's clock, so the safety window is measured on it.
    Reply time = writer_conn_.command({"TIME"});
    if (!time) return Outcome::LinkDown;
    uint64_t now_ms = 0;
    if (redis::is_array(time.get()) && time->elements == 2) {
      now_ms = std::strtoull(redis::text(time->element[0]).c_str(), nullptr, 10) * 1000 +
               std::strtoull(redis::text(time->element[1]).c_str(), nullptr, 10) / 1000;
    }
    const auto window = static_cast<uint64_t>(options_.compact_safety_window.count());
    const StreamId horizon{now_ms > window ? now_ms - window : 0, 0};
    const std::string trim_before = std::min(c.through.next(), horizon).str();

    Reply watched = writer_conn_.command({"WATCH", lock, snap_id});
    if (!watched) return Outcome::LinkDown;
    Reply holder = writer_conn_.command({"GET", lock});
    if (!holder) return Outcome::LinkDown;
    Reply current = writer_conn_.command({"GET", snap_id});
    if (!current) return Outcome::LinkDown;
    if (redis::text(holder.get()) != node_ || holder->type != REDIS_REPLY_STRING) {
      if (!writer_conn_.command({"UNWATCH"})) return Outcome::LinkDown;
      note_error("redis relay: compaction of room \"" + c.room + "\" skipped: its lock expired");
      *done = 1;
      return Outcome::Sent;
    }
    StreamId current_id;
    const bool newer_there = current->type == REDIS_REPLY_STRING &&
                             StreamId::parse(redis::text(current.get()), &current_id) && current_id >= c.through;
    const std::string through = c.through.str();
    std::vector<Args> commands{{"MULTI"}};
    if (!newer_there) {
      commands.push_back({"SET", snap, c.data});
      commands.push_back({"SET", snap_id, through});
      commands.push_back({"XTRIM", log, "MINID", trim_before});
    }
    commands.push_back({"DEL", lock});
    commands.push_back({"EXEC"});
    for (const Args& a : commands) {
      if (!writer_conn_.append(a)) return Outcome::LinkDown;
    }
    Reply exec;
    for (size_t i = 0; i < commands.size(); ++i) {
      exec = writer_conn_.read_reply();
      if (!exec) return Outcome::LinkDown;  // sent again after the reconnect: the lock check makes that safe
    }
    *done = 1;
    if (redis::is_array(exec.get()) && !newer_there) {
      ++compactions_;
    } else if (!redis::is_array(exec.get())) {
      note_error("redis relay: compaction of room \"" + c.room + "\" skipped: " +
                 (redis::is_error(exec.get()) ? redis::text(exec.get()) : "its lock changed hands"));
    }
    return Outcome::Sent;
  }

  // ---- figures

  void link_down(Link which, const std::string& error) {
    std::lock_guard lock(figures_mu_);
    (which == Link::Reader ? reader_up_ : writer_up_) = false;
    link_lost_ = true;
    last_error_ = "redis " + address_ + ": " + error;
  }

  void link_up(Link which) {
    std::lock_guard lock(figures_mu_);
    (which == Link::Reader ? reader_up_ : writer_up_) = true;
    if (reader_up_ && writer_up_ && link_lost_) {
      ++reconnects_;
      link_lost_ = false;
    }
  }

  void note_error(std::string error) {
    std::lock_guard lock(figures_mu_);
    last_error_ = std::move(error);
  }

  const std::string address_;
  const RedisRelayOptions options_;
  const std::string node_;  // this process's id in the entries it writes
  std::atomic<bool> stop_{false};

  std::mutex rooms_mu_;
  std::condition_variable rooms_cv_;  // a room joined, or stopping
  std::map<std::string, std::shared_ptr<RoomLink>> rooms_;

  std::mutex join_mu_;
  Connection join_conn_;

  // Reader thread only.
  Connection reader_conn_;
  std::string epoch_;
  Clock::time_point next_idle_ping_;
  std::thread reader_;

  std::mutex queue_mu_;
  std::condition_variable queue_cv_;  // work queued, or stopping
  std::deque<Outgoing> queue_;
  Connection writer_conn_;  // writer thread only
  std::atomic<bool> writer_reopen_{false};
  std::thread writer_;

  mutable std::mutex figures_mu_;
  bool reader_up_ = false, writer_up_ = false, link_lost_ = false;
  uint64_t reconnects_ = 0;
  std::string last_error_;
  std::atomic<uint64_t> published_{0}, received_{0}, queued_{0}, compactions_{0};
};

}  // namespace

Status open_redis_relay(const std::string& host_port, const RedisRelayOptions& options,
                        std::shared_ptr<Relay>* out) {
  std::string host;
  int port = 0;
  if (!parse_host_port(host_port, &host, &port)) {
    return Status::error("redis relay: malformed address \"" + host_port + "\" (expected HOST:PORT)");
  }
  auto relay = std::make_shared<RedisRelay>(host, port, options);
  if (Status st = relay->start(); !st) return st;
  *out = std::move(relay);
  return {};
}

Status open_redis_relay(const std::string& host_port, std::shared_ptr<Relay>* out) {
  return open_redis_relay(host_port, RedisRelayOptions{}, out);
}

}  // namespace conflux
