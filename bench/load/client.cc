#include "client.h"

#include <algorithm>

#include "lib0.h"
#include "sync_messages.h"

namespace conflux::load {

bool first_struct_id(const uint8_t* update, size_t size, uint64_t* client, uint64_t* clock, uint64_t* sections) {
  // A v1 update opens with: sections, then the first section's struct count,
  // client and first clock.
  lib0::Reader in(update, size);
  *sections = in.read_var_uint();
  in.read_var_uint();  // structs in the first section
  *client = in.read_var_uint();
  *clock = in.read_var_uint();
  return in.ok() && *sections > 0;
}

// --- Hub -------------------------------------------------------------------

void Hub::record_sent(uint64_t client, uint64_t clock, uint32_t receivers, int64_t at_us) {
  sent_edits_[client].push_back({clock, at_us});
  ++sent;
  expected += receivers;
}

void Hub::record_delivery(uint64_t client, uint64_t clock, int64_t at_us) {
  auto it = sent_edits_.find(client);
  if (it == sent_edits_.end()) {
    ++unmatched;
    return;
  }
  const auto& edits = it->second;
  auto e = std::lower_bound(edits.begin(), edits.end(), clock,
                            [](const SentEdit& s, uint64_t c) { return s.clock < c; });
  if (e == edits.end() || e->clock != clock) {
    ++unmatched;
    return;
  }
  ++delivered;
  last_delivery_us = at_us;
  latency_us.push_back(uint32_t(std::min<int64_t>(at_us - e->at_us, UINT32_MAX)));
}

void Hub::error(const std::string& what) {
  if (errors++ == 0) first_error = what;
}

// --- Client ----------------------------------------------------------------

Client::Client(Hub& hub, std::string path, uint64_t client_id, bool defer_apply)
    : hub_(hub),
      path_(std::move(path)),
      client_id_(client_id),
      defer_apply_(defer_apply),
      socket_(hub.io),
      doc_(conflux::Doc::Options{.client_id = client_id}),
      text_(doc_.get_text("text")),
      mask_state_(client_id * 0x9E3779B97F4A7C15ull | 1) {
  local_updates_ = doc_.on_update([this](const Bytes& update, const Transaction&) {
    if (!editing_) return;  // a remote update we applied
    uint64_t client = 0, clock = 0, sections = 0;
    if (first_struct_id(update.data(), update.size(), &client, &clock, &sections))
      hub_.record_sent(client, clock, edit_receivers_, now_us());
    send_message(protocol::encode_sync_update(update));
  });
}

uint32_t Client::next_mask() {
  mask_state_ ^= mask_state_ << 13;
  mask_state_ ^= mask_state_ >> 7;
  mask_state_ ^= mask_state_ << 17;
  return uint32_t(mask_state_);
}

void Client::open(std::function<void(Client&)> opened) {
  opened_ = std::move(opened);
  connect_start_us = now_us();
  socket_.async_connect(hub_.endpoint, [this](asio::error_code ec) {
    if (ec) return fail("connect: " + ec.message());
    asio::error_code ignored;
    socket_.set_option(asio::ip::tcp::no_delay(true), ignored);
    socket_.non_blocking(true, ignored);
    uint64_t a = next_mask(), b = next_mask();
    key_ = new_websocket_key(a << 32 | next_mask(), b << 32 | next_mask());
    out_ = upgrade_request(hub_.host_port, path_, key_);
    flush();
    wait_readable();
  });
}

void Client::on_connected() {
  connected_us = now_us();
  std::string().swap(head_);
  std::string().swap(key_);
  // As WebsocketProvider does on open: our state vector, asking for what we lack.
  send_message(protocol::encode_sync_step1(doc_.encode_state_vector()));
  if (opened_) std::exchange(opened_, nullptr)(*this);
}

void Client::fail(const std::string& why) {
  if (closed_) return;
  failed = true;
  hub_.error("client " + std::to_string(client_id_) + ": " + why);
  auto opened = std::exchange(opened_, nullptr);
  close();
  if (opened) opened(*this);
}

void Client::close() {
  if (closed_) return;
  closed_ = true;
  opened_ = nullptr;
  asio::error_code ignored;
  socket_.close(ignored);
}

void Client::wait_readable() {
  socket_.async_wait(asio::ip::tcp::socket::wait_read, [this](asio::error_code ec) {
    if (closed_) return;
    if (ec) return fail("wait: " + ec.message());
    auto& buffer = hub_.read_buffer;
    // A few reads at most, so one busy socket does not starve the others.
    for (int i = 0; i < 4; ++i) {
      asio::error_code rec;
      size_t n = socket_.read_some(asio::buffer(buffer), rec);
      if (rec == asio::error::would_block || rec == asio::error::try_again) break;
      if (rec) return fail(rec == asio::error::eof ? "closed by the server" : "read: " + rec.message());
      if (!on_bytes(buffer.data(), n)) return;
      if (n < buffer.size()) break;
    }
    if (hub_.after_read) hub_.after_read();
    wait_readable();
  });
}

bool Client::on_bytes(const char* data, size_t n) {
  if (!connected()) {
    head_.append(data, n);
    size_t end = head_.find("\r\n\r\n");
    if (end == std::string::npos) {
      if (head_.size() > 16384) fail("upgrade response too long");
      return !closed_;
    }
    std::string rest = head_.substr(end + 4);
    head_.resize(end + 4);
    if (std::string why = check_upgrade_response(head_, key_); !why.empty()) {
      fail(why);
      return false;
    }
    on_connected();
    return rest.empty() || on_bytes(rest.data(), rest.size());
  }
  bool ok = reader_.feed(data, n, [this](const FrameReader::Event& ev) {
    if (closed_) return;
    switch (ev.opcode) {
      case WsOpcode::Binary:
        on_message(ev.payload);
        break;
      case WsOpcode::Ping:
        send_frame(WsOpcode::Pong, reinterpret_cast<const uint8_t*>(ev.payload.data()), ev.payload.size());
        break;
      case WsOpcode::Close:
        fail("the server closed the WebSocket");
        break;
      default:
        break;  // text frames and pongs are not for Yjs clients
    }
  });
  if (!ok) fail("bad framing from the server");
  return !closed_;
}

void Client::on_message(std::string_view data) {
  protocol::Message msg;
  Status st = protocol::decode_message(reinterpret_cast<const uint8_t*>(data.data()), data.size(), &msg);
  if (!st) return hub_.error("undecodable message: " + st.message());
  if (msg.type == protocol::MessageType::Auth) return hub_.error("refused by the server: " + msg.reason);
  if (msg.type != protocol::MessageType::Sync) return;  // awareness: accepted and ignored
  switch (msg.sync) {
    case protocol::SyncStep::Step1:
      send_message(protocol::encode_sync_step2(doc_.encode_state_as_update(msg.payload)));
      return;
    case protocol::SyncStep::Step2:
      if (!synced()) synced_us = now_us();
      break;
    case protocol::SyncStep::Update: {
      uint64_t client = 0, clock = 0, sections = 0;
      if (first_struct_id(msg.payload.data(), msg.payload.size(), &client, &clock, &sections)) {
        if (client == client_id_ && sections == 1) {
          ++echoes;  // our own transaction: nothing new in it
          return;
        }
        ++received;
        hub_.record_delivery(client, clock, now_us());
      }
      break;
    }
  }
  if (defer_apply_) {
    deferred_.push_back(std::move(msg.payload));
  } else if (Status a = doc_.apply_update(msg.payload); !a) {
    hub_.error("update did not apply: " + a.message());
  }
}

void Client::apply_deferred() {
  for (const Bytes& u : deferred_)
    if (Status a = doc_.apply_update(u); !a) hub_.error("update did not apply: " + a.message());
  std::vector<Bytes>().swap(deferred_);
}

void Client::insert(uint64_t index, std::string_view s, uint32_t receivers) {
  editing_ = true;
  edit_receivers_ = receivers;
  text_.insert(std::min<uint64_t>(index, text_.length()), s);
  editing_ = false;
}

void Client::send_message(const Bytes& message) { send_frame(WsOpcode::Binary, message.data(), message.size()); }

void Client::send_frame(WsOpcode opcode, const uint8_t* payload, size_t size) {
  if (closed_) return;
  append_masked_frame(&out_, opcode, payload, size, next_mask());
  flush();
}

void Client::send_frames(const char* data, size_t size) {
  if (closed_) return;
  out_.append(data, size);
  flush();
}

void Client::flush() {
  if (write_pending_ || out_.empty() || closed_) return;
  write_pending_ = true;
  writing_.swap(out_);
  asio::async_write(socket_, asio::buffer(writing_), [this](asio::error_code ec, size_t) {
    write_pending_ = false;
    writing_.clear();
    if (closed_) return;
    if (ec) return fail("write: " + ec.message());
    flush();
  });
}

}  // namespace conflux::load
