#include "room.h"

#include <random>

#include "app_messages.h"
#include "sync_messages.h"

namespace conflux {

using protocol::AwarenessChange;

namespace {
// Messages a room runs before letting other rooms have the thread.
constexpr int kDrainBatch = 64;
// JSON held for a member whose kind (Yjs or person) is not known yet.
constexpr size_t kMaxHeldText = 64;

std::shared_ptr<const std::string> share(const Bytes& b) {
  return std::make_shared<const std::string>(reinterpret_cast<const char*>(b.data()), b.size());
}
std::shared_ptr<const std::string> share(std::string s) {
  return std::make_shared<const std::string>(std::move(s));
}
std::string as_string(const Bytes& b) { return std::string(reinterpret_cast<const char*>(b.data()), b.size()); }
protocol::Sender sender_of(const Identity& id) { return {id.user, id.session_id}; }

bool is_empty_update(const Bytes& u) { return u.size() == 2 && u[0] == 0 && u[1] == 0; }

int64_t system_now_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch())
      .count();
}
}  // namespace

int64_t Room::now_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now().time_since_epoch()).count();
}

Room::Room(std::string id, std::shared_ptr<RoomManager::Registry> registry)
    : id_(std::move(id)),
      registry_(std::move(registry)),
      state_(registry_->worker ? State::Loading : State::Ready),
      rng_(std::random_device{}()) {
  stats_.room = id_;
  update_subscription_ = doc_.on_update([this](const Bytes& update, const Transaction&) {
    if (loading_) return;
    ++stats_.updates_applied;
    bool any_text = false;
    for (const auto& [mid, m] : members_) any_text |= m.mode != Mode::Yjs;
    broadcast(share(protocol::encode_sync_update(update)), any_text ? share(protocol::update_json(update)) : nullptr);
    if (registry_->options.relay && !applying_remote_)
      registry_->options.relay->publish(
          id_, {RelayMessage::Kind::Update, std::string(reinterpret_cast<const char*>(update.data()), update.size())});
    if (registry_->options.on_document_update) registry_->options.on_document_update(id_, doc_, update);
  });
}

void Room::start_load() {
  std::weak_ptr<Room> weak = weak_from_this();
  registry_->worker->load(id_, [self = shared_from_this(), weak] {
    LoadResult r;
    if (DocumentStore* store = self->registry_->worker->store()) r.local_status = store->load(self->id_, &r.local);
    if (r.local_status && self->registry_->options.relay) {
      r.relay_joined = true;
      r.relay_status = self->registry_->options.relay->join(
          self->id_,
          [weak](RelayMessage m) {
            if (auto room = weak.lock())
              room->post([m = std::move(m)](Room& rm) mutable { rm.on_relayed(std::move(m)); });
          },
          &r.shared);
    }
    self->loaded(std::move(r));
  });
}

void Room::loaded(LoadResult result) {
  std::lock_guard lock(mailbox_mu_);
  load_result_ = std::move(result);
  if (!scheduled_) {
    scheduled_ = true;
    registry_->executor.post([self = shared_from_this()] { self->drain(); });
  }
}

void Room::on_loaded(LoadResult r) {
  if (!r.local_status) return fail("its stored document cannot be read (" + r.local_status.message() + ")");
  loading_ = true;
  Status st;
  if (!r.local.snapshot.empty()) st = doc_.apply_update(r.local.snapshot);
  for (size_t i = 0; st && i < r.local.updates.size(); ++i) st = doc_.apply_update(r.local.updates[i]);
  if (!st) {
    loading_ = false;
    return fail("its stored document cannot be decoded (" + st.message() + ")");
  }
  last_seq_ = committed_seq_ = r.local.last_seq;
  log_entries_ = r.local.updates.size();
  for (const Bytes& u : r.local.updates) log_bytes_ += u.size();
  snapshot_bytes_ = r.local.snapshot.size();
  if (registry_->options.relay) merge_shared(r);
  loading_ = false;
  {
    std::lock_guard lock(mailbox_mu_);
    state_ = State::Ready;
  }
  // A log left long (by a crash before its compaction) is compacted now.
  if (registry_->worker->store()) maybe_compact();
}

void Room::merge_shared(const LoadResult& r) {
  Relay& relay = *registry_->options.relay;
  bool had_local = !r.local.snapshot.empty() || !r.local.updates.empty();
  if (!r.relay_status) {
    // The relay hands us the shared log once it is back; until then we serve
    // what we have and queue it for the others.
    registry_->log("room " + id_ + ": relay unreachable (" + r.relay_status.message() + "), serving local clients");
    if (had_local) relay.publish(id_, {RelayMessage::Kind::Update, as_string(doc_.encode_state_as_update())});
    return;
  }
  Doc shared;
  Status st;
  if (!r.shared.snapshot.empty()) st = shared.apply_update(r.shared.snapshot);
  for (size_t i = 0; st && i < r.shared.updates.size(); ++i) st = shared.apply_update(r.shared.updates[i]);
  if (!st) registry_->log("room " + id_ + ": part of the shared log was refused (" + st.message() + ")");
  Bytes shared_sv = shared.encode_state_vector();
  applying_remote_ = true;
  doc_.apply_update(shared.encode_state_as_update());
  applying_remote_ = false;
  // What we hold beyond the shared log: equal bytes mean nothing (the same
  // structs, the same deletions).
  Bytes ours = doc_.encode_state_as_update(shared_sv);
  if (had_local && ours != shared.encode_state_as_update(shared_sv))
    relay.publish(id_, {RelayMessage::Kind::Update, as_string(ours)});
}

void Room::fail(const std::string& reason) {
  {
    std::lock_guard lock(mailbox_mu_);
    state_ = State::Failed;
  }
  failure_ = "room unavailable: " + reason;
  registry_->log("room " + id_ + ": " + reason + "; not served");
  {
    std::lock_guard lock(registry_->mu);
    auto it = registry_->rooms.find(id_);
    if (it != registry_->rooms.end() && it->second.get() == this) {
      registry_->rooms.erase(it);
      registry_->leave_relay(id_);
    }
    ++registry_->totals.rooms_failed;
  }
  for (auto& [id, m] : members_)
    if (m.peer) m.peer->close(1011, failure_);
  members_.clear();
  held_.clear();
  stats_.clients = 0;
  on_unload();
}

void Room::on_committed(uint64_t seq, const Status& status) {
  if (state_ == State::Failed) return;
  if (!status) {
    // Durability can no longer be promised for what clients sent: they
    // reconnect to a reloaded room and send again what it lacks.
    return fail("a storage write failed (" + status.message() + ")");
  }
  committed_seq_ = std::max(committed_seq_, seq);
  release_held();
}

void Room::on_compacted(const Status& status) {
  if (status) last_compaction_unix_ms_ = system_now_ms();
  else registry_->log("room " + id_ + ": compaction failed (" + status.message() + "); the log is kept");
}

void Room::on_relayed(RelayMessage message) {
  if (state_ != State::Ready) return;
  Relay& relay = *registry_->options.relay;
  switch (message.kind) {
    case RelayMessage::Kind::Update: {
      applying_remote_ = true;
      Status st = doc_.apply_update(reinterpret_cast<const uint8_t*>(message.payload.data()), message.payload.size());
      applying_remote_ = false;
      full_step2_.reset();
      if (!st) registry_->log("room " + id_ + ": relayed update refused (" + st.message() + ")");
      break;
    }
    case RelayMessage::Kind::Awareness: {
      AwarenessChange change;
      Bytes payload(message.payload.begin(), message.payload.end());
      if (awareness_.apply(payload, now_ms(), &change)) publish_awareness(change, /*to_relay=*/false);
      break;
    }
    case RelayMessage::Kind::Chat:
      ++stats_.chat_messages;
      broadcast(nullptr, share(std::move(message.payload)));
      break;
    case RelayMessage::Kind::Compact:
      relay.compact(id_, doc_.encode_state_as_update());
      break;
    case RelayMessage::Kind::Resync:
      relay.publish(id_, {RelayMessage::Kind::Update, as_string(doc_.encode_state_as_update())});
      break;
  }
  drop_slow_members();
}

void Room::maybe_compact() {
  const RoomManager::Options& o = registry_->options;
  if (log_entries_ < o.compact_entries && (log_bytes_ < o.compact_min_bytes || log_bytes_ < snapshot_bytes_)) return;
  Bytes snapshot = doc_.encode_state_as_update();
  snapshot_bytes_ = snapshot.size();
  log_entries_ = log_bytes_ = 0;
  // Queued after every update up to last_seq_, so the snapshot covers them.
  registry_->worker->compact(shared_from_this(), std::move(snapshot), last_seq_);
}

void Room::release_held() {
  while (!held_.empty() && held_.front().seq <= committed_seq_) {
    HeldFrame h = std::move(held_.front());
    held_.pop_front();
    auto it = members_.find(h.member);
    if (it != members_.end()) deliver_now(h.member, it->second, h.frame);
  }
  drop_slow_members();
}

void Room::post(Message message) {
  std::lock_guard lock(mailbox_mu_);
  mailbox_.push_back(std::move(message));
  if (!scheduled_) {
    scheduled_ = true;
    registry_->executor.post([self = shared_from_this()] { self->drain(); });
  }
}

void Room::drain() {
  for (int i = 0; i < kDrainBatch; ++i) {
    Message next;
    std::optional<LoadResult> result;
    {
      std::lock_guard lock(mailbox_mu_);
      if (load_result_) {
        result = std::move(load_result_);
        load_result_.reset();
      } else if (state_ == State::Loading || mailbox_.empty()) {
        // While loading, messages wait; loaded() schedules us again.
        scheduled_ = false;
        return;
      } else {
        next = std::move(mailbox_.front());
        mailbox_.pop_front();
      }
    }
    if (result) on_loaded(std::move(*result));
    else next(*this);
  }
  // More waiting: yield the thread to other rooms and come back.
  registry_->executor.post([self = shared_from_this()] { self->drain(); });
}

void Room::on_join(uint64_t id, const Identity& identity, std::shared_ptr<Peer> peer) {
  if (closed_) {
    if (state_ == State::Failed) peer->close(1011, failure_);
    else peer->close(1001, "room closed");
    return;
  }
  Member& m = members_[id];
  m.identity = identity;
  m.peer = std::move(peer);
  m.joined_ms = now_ms();
  m.text_client_id = new_text_client_id();
  ++stats_.clients;
  // As the y-websocket server does: our state vector, then who is present.
  send_to(id, m, {share(protocol::encode_sync_step1(doc_.encode_state_vector())), false});
  if (awareness_.present_count() > 0)
    send_to(id, m, {share(protocol::encode_awareness(awareness_.encode(awareness_.present_clients()))), false});
  auto joined = share(protocol::member_json("join", sender_of(identity)));
  for (auto& [mid, other] : members_)
    if (mid != id && other.mode == Mode::Text) send_to(mid, other, {joined, true});
  drop_slow_members();
}

const std::shared_ptr<const std::string>& Room::full_step2() {
  if (!full_step2_) full_step2_ = share(protocol::encode_sync_step2(doc_.encode_state_as_update()));
  return full_step2_;
}

void Room::on_frame(uint64_t id, std::string data, bool text) {
  auto it = members_.find(id);
  if (it == members_.end()) return;  // already gone
  Member& m = it->second;
  if (m.mode == Mode::Unknown) {
    if (text) {
      become_text(id, m);
    } else {
      m.mode = Mode::Yjs;
      m.held_text.clear();
    }
  }
  if (text) handle_text(id, m, data);
  else handle_binary(id, m, data);
  drop_slow_members();
}

void Room::handle_binary(uint64_t id, Member& m, const std::string& data) {
  protocol::Message msg;
  Status st = protocol::decode_message(reinterpret_cast<const uint8_t*>(data.data()), data.size(), &msg);
  if (!st) {
    ++stats_.refused_messages;
    send_error(id, m, st.message(), m.mode == Mode::Text);
    return;
  }
  switch (msg.type) {
    case protocol::MessageType::Sync:
      if (msg.sync == protocol::SyncStep::Step1) {
        // An empty state vector is the one byte 0: the common case of a new client.
        bool knows_nothing = msg.payload.size() == 1 && msg.payload[0] == 0;
        send_to(id, m,
                {knows_nothing ? full_step2()
                               : share(protocol::encode_sync_step2(doc_.encode_state_as_update(msg.payload))),
                 false});
      } else {
        apply_client_update(id, m, std::move(msg.payload), m.mode == Mode::Text);
      }
      break;
    case protocol::MessageType::Awareness: {
      AwarenessChange change;
      Status a = awareness_.apply(msg.payload, now_ms(), &change);
      if (!a) {
        ++stats_.refused_messages;
        send_error(id, m, a.message(), m.mode == Mode::Text);
        break;
      }
      for (uint64_t c : change.added) m.awareness_clients.insert(c);
      for (uint64_t c : change.updated) m.awareness_clients.insert(c);
      for (uint64_t c : change.removed) m.awareness_clients.erase(c);
      publish_awareness(change);
      break;
    }
    case protocol::MessageType::QueryAwareness:
      send_to(id, m, {share(protocol::encode_awareness(awareness_.encode(awareness_.present_clients()))), false});
      break;
    case protocol::MessageType::Auth:
      break;  // only servers send these
  }
}

void Room::handle_text(uint64_t id, Member& m, const std::string& data) {
  protocol::TextRequest req;
  Status st = protocol::parse_text_message(data, &req);
  if (!st) {
    ++stats_.refused_messages;
    send_error(id, m, st.message(), true);
    return;
  }
  switch (req.kind) {
    case protocol::TextRequest::Kind::Chat: {
      ++stats_.chat_messages;
      std::string json = protocol::chat_json(id_, sender_of(m.identity), req.text, system_now_ms());
      if (registry_->options.relay) registry_->options.relay->publish(id_, {RelayMessage::Kind::Chat, json});
      broadcast(nullptr, share(std::move(json)));
      break;
    }
    case protocol::TextRequest::Kind::Awareness: {
      AwarenessChange change;
      awareness_.set_local(m.text_client_id, req.state_json, now_ms(), &change);
      publish_awareness(change);
      break;
    }
    case protocol::TextRequest::Kind::Update:
      apply_client_update(id, m, std::move(req.update), true);
      break;
    case protocol::TextRequest::Kind::Sync:
      send_to(id, m, {share(protocol::sync_json(doc_.encode_state_as_update(), doc_.to_json())), true});
      break;
  }
}

void Room::apply_client_update(uint64_t id, Member& m, Bytes update, bool reply_as_json) {
  if (m.identity.read_only) {
    // A stock client answers our step 1 with an empty step 2 even when it has
    // nothing: that is not an attempt to write.
    if (is_empty_update(update)) return;
    ++stats_.refused_messages;
    send_error(id, m, "read-only: updates are not accepted", reply_as_json);
    return;
  }
  if (is_empty_update(update)) return;  // every joiner's answer to our step 1: changes nothing
  // With a store, the update is numbered before it is applied: what the
  // observer broadcasts waits for that number to be committed.
  bool stored = registry_->worker && registry_->worker->store();
  if (stored) ++last_seq_;
  // The broadcast happens in the update observer; a refused update changes nothing.
  Status st = doc_.apply_update(update);
  // Even an update that only waits for its dependencies is part of the state
  // a full sync hands out.
  full_step2_.reset();
  if (!st) {
    // Decoding comes before any change: a refused update broadcast nothing,
    // so no frame waits for its number, which the next update takes.
    if (stored) --last_seq_;
    ++stats_.refused_messages;
    send_error(id, m, "update refused: " + st.message(), reply_as_json);
    return;
  }
  if (stored) {
    log_entries_ += 1;
    log_bytes_ += update.size();
    registry_->worker->append(shared_from_this(), last_seq_, std::move(update));
    maybe_compact();
  }
}

void Room::publish_awareness(const AwarenessChange& change, bool to_relay) {
  if (change.empty()) return;
  ++stats_.awareness_events;
  bool any_text = false;
  for (const auto& [mid, m] : members_) any_text |= m.mode != Mode::Yjs;
  Bytes encoded = awareness_.encode(change.all());
  if (to_relay && registry_->options.relay)
    registry_->options.relay->publish(id_, {RelayMessage::Kind::Awareness, as_string(encoded)});
  broadcast(share(protocol::encode_awareness(encoded)),
            any_text ? share(protocol::awareness_json(change, awareness_)) : nullptr);
}

void Room::become_text(uint64_t id, Member& m) {
  m.mode = Mode::Text;
  std::vector<protocol::Sender> others;
  for (const auto& [mid, other] : members_)
    if (mid != id) others.push_back(sender_of(other.identity));
  send_to(id, m, {share(protocol::welcome_json(id_, sender_of(m.identity), m.text_client_id, others)), true});
  auto held = std::move(m.held_text);
  for (auto& frame : held) send_to(id, m, {frame, true});
}

void Room::send_to(uint64_t id, Member& m, const OutFrame& frame) {
  if (!m.peer) return;
  // Frames already held all have seq > committed_seq_, so this also keeps
  // every member's frames in order.
  if (last_seq_ > committed_seq_) {
    held_.push_back({last_seq_, id, frame});
    return;
  }
  deliver_now(id, m, frame);
}

void Room::deliver_now(uint64_t id, Member& m, const OutFrame& frame) {
  if (!m.peer) return;
  if (!m.peer->send(frame)) {
    m.peer.reset();  // the transport closes it; nothing more goes out
    slow_.push_back(id);
  }
}

void Room::send_error(uint64_t id, Member& m, const std::string& message, bool as_json) {
  if (as_json) send_to(id, m, {share(protocol::error_json(message)), true});
  else send_to(id, m, {share(protocol::encode_permission_denied(message)), false});
}

void Room::broadcast(const std::shared_ptr<const std::string>& binary,
                     const std::shared_ptr<const std::string>& json) {
  for (auto& [id, m] : members_) {
    if (m.mode == Mode::Text) {
      if (json) send_to(id, m, {json, true});
      continue;
    }
    if (binary) send_to(id, m, {binary, false});
    if (json && m.mode == Mode::Unknown) {
      if (m.held_text.size() == kMaxHeldText) m.held_text.erase(m.held_text.begin());
      m.held_text.push_back(json);
    }
  }
}

void Room::on_leave(uint64_t id) {
  if (members_.count(id)) remove_member(id);
  drop_slow_members();
}

void Room::remove_member(uint64_t id) {
  auto it = members_.find(id);
  Member m = std::move(it->second);
  members_.erase(it);
  --stats_.clients;
  std::vector<uint64_t> owned(m.awareness_clients.begin(), m.awareness_clients.end());
  owned.push_back(m.text_client_id);
  // Removals keep the stored clocks, so every peer accepts them.
  publish_awareness(awareness_.remove(owned, now_ms()));
  auto left = share(protocol::member_json("leave", sender_of(m.identity)));
  for (auto& [mid, other] : members_)
    if (other.mode == Mode::Text) send_to(mid, other, {left, true});
  if (--members == 0) empty_since_ms = now_ms();
}

void Room::drop_slow_members() {
  while (!slow_.empty()) {
    uint64_t id = slow_.back();
    slow_.pop_back();
    if (!members_.count(id)) continue;
    ++stats_.dropped_slow;
    remove_member(id);
  }
}

void Room::on_tick(int64_t now) {
  publish_awareness(awareness_.expire(now));
  int64_t grace = registry_->options.text_grace.count();
  for (auto& [id, m] : members_)
    if (m.mode == Mode::Unknown && now - m.joined_ms >= grace) become_text(id, m);
  drop_slow_members();
}

void Room::on_stats(const std::function<void(RoomStats)>& reply) {
  RoomStats s = stats_;
  s.document_bytes = doc_.encode_state_as_update().size();
  s.awareness_states = awareness_.present_count();
  s.log_entries = log_entries_;
  s.log_bytes = log_bytes_;
  s.snapshot_bytes = snapshot_bytes_;
  s.last_compaction_unix_ms = last_compaction_unix_ms_;
  reply(std::move(s));
}

void Room::on_unload() {
  if (closed_) return;
  closed_ = true;
  held_.clear();
  RoomStats s = stats_;
  std::lock_guard lock(registry_->mu);
  ManagerStats& t = registry_->totals;
  ++t.rooms_unloaded;
  t.updates_applied += s.updates_applied;
  t.awareness_events += s.awareness_events;
  t.chat_messages += s.chat_messages;
  t.dropped_slow += s.dropped_slow;
  t.refused_messages += s.refused_messages;
}

void Room::on_shutdown() {
  for (auto& [id, m] : members_)
    if (m.peer) m.peer->close(1001, "server shutting down");
  members_.clear();
  stats_.clients = 0;
  members = 0;
  on_unload();
}

uint64_t Room::new_text_client_id() {
  // Yjs client ids are random 32-bit numbers; ours come from the same space.
  return (rng_() & 0x7fffffff) | 1;
}

}  // namespace conflux
