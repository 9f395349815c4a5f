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
    : id_(std::move(id)), registry_(std::move(registry)), rng_(std::random_device{}()) {
  stats_.room = id_;
  update_subscription_ = doc_.on_update([this](const Bytes& update, const Transaction&) {
    ++stats_.updates_applied;
    bool any_text = false;
    for (const auto& [mid, m] : members_) any_text |= m.mode != Mode::Yjs;
    broadcast(share(protocol::encode_sync_update(update)), any_text ? share(protocol::update_json(update)) : nullptr);
    if (registry_->options.on_document_update) registry_->options.on_document_update(id_, doc_, update);
  });
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
    {
      std::lock_guard lock(mailbox_mu_);
      if (mailbox_.empty()) {
        scheduled_ = false;
        return;
      }
      next = std::move(mailbox_.front());
      mailbox_.pop_front();
    }
    next(*this);
  }
  // More waiting: yield the thread to other rooms and come back.
  registry_->executor.post([self = shared_from_this()] { self->drain(); });
}

void Room::on_join(uint64_t id, const Identity& identity, std::shared_ptr<Peer> peer) {
  if (closed_) {
    peer->close(1001, "room closed");
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
        apply_client_update(id, m, msg.payload, m.mode == Mode::Text);
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
      auto json = share(protocol::chat_json(id_, sender_of(m.identity), req.text, system_now_ms()));
      broadcast(nullptr, json);
      break;
    }
    case protocol::TextRequest::Kind::Awareness: {
      AwarenessChange change;
      awareness_.set_local(m.text_client_id, req.state_json, now_ms(), &change);
      publish_awareness(change);
      break;
    }
    case protocol::TextRequest::Kind::Update:
      apply_client_update(id, m, req.update, true);
      break;
    case protocol::TextRequest::Kind::Sync:
      send_to(id, m, {share(protocol::sync_json(doc_.encode_state_as_update(), doc_.to_json())), true});
      break;
  }
}

void Room::apply_client_update(uint64_t id, Member& m, const Bytes& update, bool reply_as_json) {
  if (m.identity.read_only) {
    // A stock client answers our step 1 with an empty step 2 even when it has
    // nothing: that is not an attempt to write.
    if (is_empty_update(update)) return;
    ++stats_.refused_messages;
    send_error(id, m, "read-only: updates are not accepted", reply_as_json);
    return;
  }
  // The broadcast happens in the update observer; a refused update changes nothing.
  Status st = doc_.apply_update(update);
  // This is the only place the room's document changes. Even an update that
  // only waits for its dependencies is part of the state a full sync hands
  // out; an empty one (every joiner's answer to our step 1) changes nothing.
  if (!is_empty_update(update)) full_step2_.reset();
  if (!st) {
    ++stats_.refused_messages;
    send_error(id, m, "update refused: " + st.message(), reply_as_json);
  }
}

void Room::publish_awareness(const AwarenessChange& change) {
  if (change.empty()) return;
  ++stats_.awareness_events;
  bool any_text = false;
  for (const auto& [mid, m] : members_) any_text |= m.mode != Mode::Yjs;
  broadcast(share(protocol::encode_awareness(awareness_.encode(change.all()))),
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
  reply(std::move(s));
}

void Room::on_unload() {
  closed_ = true;
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
