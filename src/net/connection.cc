#include "connection.h"

#include <sstream>

#include "conflux/any.h"
#include "conflux/jwt.h"
#include "status_pages.h"

namespace conflux::net {
namespace {

constexpr auto kRequestDeadline = std::chrono::seconds(10);
constexpr auto kCloseHandshakeDeadline = std::chrono::seconds(2);
constexpr size_t kMaxLoginBody = 4096;
constexpr size_t kMaxRoomIdBytes = 512;
// Frames smaller than this are copied into one buffer per write (one system
// call for many updates); larger ones are written from their own bytes.
constexpr size_t kCopyBelow = 8 * 1024;
constexpr size_t kMaxWriteBytes = 64 * 1024;
// Write buffers larger than these are released when the queue runs empty.
constexpr size_t kKeepWriteBuffer = 4 * 1024;
constexpr size_t kKeepQueuedFrames = 8;

// Handlers consume what they read before returning, so one buffer per thread
// serves all connections.
thread_local std::array<char, 64 * 1024> t_read_buffer;

const char* status_text(int status) {
  switch (status) {
    case 101: return "Switching Protocols";
    case 200: return "OK";
    case 400: return "Bad Request";
    case 401: return "Unauthorized";
    case 404: return "Not Found";
    case 405: return "Method Not Allowed";
    case 413: return "Payload Too Large";
    case 426: return "Upgrade Required";
    case 431: return "Request Header Fields Too Large";
    case 503: return "Service Unavailable";
    default: return "Error";
  }
}

// The room id from the URL path: "/ROOM" as y-websocket clients send it, or "/ws/ROOM".
std::string room_from_path(const std::string& path) {
  std::string_view p = path;
  if (p.starts_with("/ws/")) p.remove_prefix(4);
  else if (p.starts_with("/")) p.remove_prefix(1);
  return std::string(p);
}

std::string quote_for_header(std::string_view s) {
  std::string out;
  for (char c : s)
    if (c != '"' && c != '\\' && uint8_t(c) >= 0x20) out += c;
  return out;
}

}  // namespace

Connection::Connection(std::shared_ptr<Server::Impl> server, asio::ip::tcp::socket socket)
    : server_(std::move(server)),
      socket_(std::move(socket)),
      strand_(socket_.get_executor()),
      timer_(socket_.get_executor()) {
  asio::error_code ec;
  auto ep = socket_.remote_endpoint(ec);
  remote_ = ec ? "?" : ep.address().to_string() + ":" + std::to_string(ep.port());
}

void Connection::start() {
  ++server_->connections_total;
  ++server_->connections_open;
  asio::error_code ec;
  socket_.set_option(asio::ip::tcp::no_delay(true), ec);
  socket_.non_blocking(true, ec);  // reads happen only once it is readable
  timer_.expires_after(kRequestDeadline);
  timer_.async_wait([self = shared_from_this()](asio::error_code ec) {
    if (!ec && !self->websocket_) self->finish();  // too slow to send a request
  });
  read_request();
}

// --- HTTP ------------------------------------------------------------------

bool Connection::read_available(size_t* n) {
  asio::error_code ec;
  *n = socket_.read_some(asio::buffer(t_read_buffer), ec);
  if (ec == asio::error::would_block || ec == asio::error::try_again) {
    *n = 0;
    return true;
  }
  return !ec;
}

void Connection::read_request() {
  socket_.async_wait(asio::socket_base::wait_read, [self = shared_from_this()](asio::error_code ec) {
    size_t n = 0;
    if (ec || !self->read_available(&n)) return self->finish();
    if (n == 0) return self->read_request();
    self->request_data_.append(t_read_buffer.data(), n);
    HttpRequest req;
    size_t consumed = 0;
    std::string error;
    switch (parse_http_request(self->request_data_, &req, &consumed, &error)) {
      case HttpParseResult::Incomplete:
        return self->read_request();
      case HttpParseResult::Error:
        return self->respond(self->request_data_.size() > kMaxHttpHeadBytes ? 431 : 400, "text/plain",
                             error + "\n");
      case HttpParseResult::Done:
        break;
    }
    ++self->server_->http_requests;
    self->request_data_.erase(0, consumed);
    auto length = req.content_length();
    if (!length) return self->respond(400, "text/plain", "invalid Content-Length\n");
    if (*length > 0) {
      if (*length > kMaxLoginBody) return self->respond(413, "text/plain", "request body too large\n");
      return self->read_body(std::move(req), *length);
    }
    self->handle_request(req, {});
  });
}

void Connection::read_body(HttpRequest req, size_t length) {
  if (request_data_.size() >= length) {
    std::string body = request_data_.substr(0, length);
    request_data_.clear();
    return handle_request(req, std::move(body));
  }
  socket_.async_wait(asio::socket_base::wait_read, [self = shared_from_this(), req = std::move(req), length](
                                                       asio::error_code ec) mutable {
    size_t n = 0;
    if (ec || !self->read_available(&n)) return self->finish();
    self->request_data_.append(t_read_buffer.data(), n);
    self->read_body(std::move(req), length);
  });
}

void Connection::handle_request(const HttpRequest& req, std::string body) {
  bool wants_upgrade = req.header_has_token("connection", "upgrade") && req.header_has_token("upgrade", "websocket");
  if (wants_upgrade) {
    if (req.method != "GET") return respond(405, "text/plain", "WebSocket upgrades use GET\n");
    return upgrade(req);
  }
  if (req.path == "/healthz") {
    if (req.method != "GET" && req.method != "HEAD") return respond(405, "text/plain", "use GET\n");
    return respond(200, "text/plain", "ok\n");
  }
  if (req.path == "/dashboard" && req.method == "GET") return serve_stats(false);
  if (req.path == "/metrics" && req.method == "GET") return serve_stats(true);
  if (req.path == "/login" && !server_->options.dev_login_secret.empty()) {
    if (req.method != "POST") return respond(405, "text/plain", "use POST\n");
    return login(req, body);
  }
  respond(404, "text/plain", "not found\n");
}

void Connection::respond(int status, std::string_view content_type, std::string body, std::string extra_headers) {
  std::ostringstream head;
  head << "HTTP/1.1 " << status << ' ' << status_text(status) << "\r\n"
       << "Content-Type: " << content_type << "\r\n"
       << "Content-Length: " << body.size() << "\r\n"
       << "Cache-Control: no-store\r\n"
       << extra_headers << "Connection: close\r\n\r\n";
  auto response = std::make_shared<std::string>(head.str() + body);
  asio::async_write(socket_, asio::buffer(*response),
                    [self = shared_from_this(), response](asio::error_code, size_t) {
                      asio::error_code ignored;
                      self->socket_.shutdown(asio::ip::tcp::socket::shutdown_both, ignored);
                      self->finish();
                    });
}

void Connection::serve_stats(bool metrics) {
  server_->rooms.stats([self = shared_from_this(), metrics](ManagerStats stats) {
    asio::post(self->strand_, [self, metrics, stats = std::move(stats)] {
      const auto& s = *self->server_;
      TransportCounters t{s.connections_total, s.connections_open, s.websocket_open, s.auth_refused,
                          s.http_requests, s.protocol_errors,
                          std::chrono::duration<double>(std::chrono::steady_clock::now() - s.started).count()};
      if (metrics) self->respond(200, "text/plain; version=0.0.4", metrics_text(stats, t));
      else self->respond(200, "application/json", dashboard_json(stats, t));
    });
  });
}

void Connection::login(const HttpRequest& req, const std::string& body) {
  // Development helper: {"user": "...", "room": "...", "ro": true, "ttl": 3600} -> a token with a fresh sid.
  Any args;
  if (!Any::from_json(body.empty() ? "{}" : body, &args) || !args.is_object())
    return respond(400, "text/plain", "body must be a JSON object\n");
  const Any* user = args.get("user");
  if (!user || !user->is_string() || user->as_string().empty() || user->as_string().size() > 256)
    return respond(400, "text/plain", "\"user\" must be a non-empty string\n");
  JwtClaims claims;
  claims.sub = user->as_string();
  claims.sid = new_session_id();
  if (const Any* room = args.get("room"); room && room->is_string()) claims.room = room->as_string();
  if (const Any* ro = args.get("ro"); ro && ro->is_bool()) claims.ro = ro->as_bool();
  int64_t ttl = 3600;
  if (const Any* t = args.get("ttl"); t && t->is_number() && t->as_number() >= 1 && t->as_number() <= 86400)
    ttl = int64_t(t->as_number());
  claims.iat = std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch()).count();
  claims.exp = claims.iat + ttl;
  std::string token = jwt_sign_hs256(server_->options.dev_login_secret, claims);
  server_->log("login user=" + claims.sub + " sid=" + claims.sid + " remote=" + remote_);
  respond(200, "application/json",
          Any::object({{"token", token}, {"user", claims.sub}, {"sid", claims.sid}, {"exp", Any(double(claims.exp))}})
                  .to_json() +
              "\n");
}

void Connection::upgrade(const HttpRequest& req) {
  const std::string* version = req.header("sec-websocket-version");
  if (!version || *version != "13")
    return respond(426, "text/plain", "unsupported WebSocket version\n", "Sec-WebSocket-Version: 13\r\n");
  const std::string* key = req.header("sec-websocket-key");
  if (!key || key->empty()) return respond(400, "text/plain", "missing Sec-WebSocket-Key\n");
  room_ = room_from_path(req.path);
  if (room_.empty()) return respond(400, "text/plain", "the path must name a room: /ROOM or /ws/ROOM\n");
  if (room_.size() > kMaxRoomIdBytes) return respond(400, "text/plain", "room id too long\n");
  if (server_->stopping) return respond(503, "text/plain", "server shutting down\n");

  std::string token = req.query_param("token").value_or("");
  if (token.empty()) {
    if (const std::string* auth = req.header("authorization"); auth && auth->size() > 7) {
      std::string_view a = *auth;
      if (a.substr(0, 7) == "Bearer " || a.substr(0, 7) == "bearer ") token = std::string(a.substr(7));
    }
  }
  AuthResult auth = server_->authenticator->authenticate({room_, token, remote_});
  if (!auth.ok()) {
    ++server_->auth_refused;
    server_->log("refused room=" + room_ + " remote=" + remote_ + " status=401 reason=" + auth.reason);
    return respond(401, "text/plain", auth.reason + "\n",
                   "WWW-Authenticate: Bearer error=\"invalid_token\", error_description=\"" +
                       quote_for_header(auth.reason) + "\"\r\n");
  }
  identity_ = std::move(*auth.identity);

  timer_.cancel();
  websocket_ = true;
  opened_ = std::chrono::steady_clock::now();
  ++server_->websocket_open;
  decoder_ = std::make_unique<FrameDecoder>(server_->options.max_message_size);
  // The 101 goes through the frame queue, so it precedes every frame the room sends.
  Outgoing response;
  response.payload = std::make_shared<const std::string>(
      "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: " +
      websocket_accept_key(*key) + "\r\n\r\n");
  queue_.push_back(std::move(response));

  server_->log("connect room=" + room_ + " user=" + identity_.user + " sid=" + identity_.session_id +
               (identity_.read_only ? " read-only" : "") + " remote=" + remote_);
  // Join before the 101 leaves: once a client sees its socket open, whatever
  // any member sends next is handled after this client is in the room.
  session_ = server_->rooms.join(room_, identity_, shared_from_this());
  write_next();
  if (!session_) return fail(close_code::kGoingAway, "server shutting down");
  start_ping_timer();

  // A client may send frames right behind its request.
  if (!request_data_.empty()) {
    std::vector<WsEvent> events;
    std::string error;
    std::string early = std::move(request_data_);
    request_data_.clear();
    uint16_t code = decoder_->feed(reinterpret_cast<const uint8_t*>(early.data()), early.size(), &events, &error);
    for (auto& ev : events) on_ws_event(ev);
    if (code) {
      ++server_->protocol_errors;
      return fail(code, error);
    }
  }
  read_frames();
}

// --- WebSocket -------------------------------------------------------------

void Connection::read_frames() {
  socket_.async_wait(asio::socket_base::wait_read, [self = shared_from_this()](asio::error_code ec) {
    // A few reads at most before waiting again, so one busy client does not hold the thread.
    for (int i = 0; i < 4 && !ec; ++i) {
      size_t n = 0;
      if (!self->read_available(&n)) {
        ec = asio::error::eof;
        break;
      }
      if (n == 0) break;
      std::vector<WsEvent> events;
      std::string error;
      uint16_t code =
          self->decoder_->feed(reinterpret_cast<const uint8_t*>(t_read_buffer.data()), n, &events, &error);
      for (auto& ev : events) {
        if (self->finished_) return;
        self->on_ws_event(ev);
      }
      if (code && !self->close_sent_) {
        ++self->server_->protocol_errors;
        self->fail(code, error);
      }
      if (self->finished_) return;
      if (n < t_read_buffer.size()) break;
    }
    if (ec) {
      if (!self->close_sent_) self->close_reason_ = "connection lost";
      return self->finish();
    }
    self->read_frames();
  });
}

void Connection::on_ws_event(WsEvent& ev) {
  alive_ = true;
  switch (ev.kind) {
    case WsEvent::Kind::Message:
      if (!close_sent_ && session_) session_->receive(std::move(ev.payload), ev.text);
      break;
    case WsEvent::Kind::Ping:
      if (!close_sent_) queue_frame(Opcode::Pong, std::make_shared<const std::string>(std::move(ev.payload)));
      break;
    case WsEvent::Kind::Pong:
      break;
    case WsEvent::Kind::Close:
      close_received_ = true;
      if (close_sent_) return finish();  // the answer to our close
      close_code_ = ev.close_code;
      close_reason_ = ev.close_reason.empty() ? "closed by client" : ev.close_reason;
      // Echo the close (RFC 6455 5.5.1), then end.
      fail(ev.close_code == 1005 ? close_code::kNormal : ev.close_code, ev.close_reason);
      break;
  }
}

void Connection::enqueue(Opcode op, std::shared_ptr<const std::string> payload, size_t counted) {
  Outgoing out;
  out.counted = counted;
  out.header_size = encode_frame_header(op, payload->size(), out.header.data());
  out.payload = std::move(payload);
  queue_.push_back(std::move(out));
}

void Connection::queue_frame(Opcode op, std::shared_ptr<const std::string> payload, size_t counted) {
  enqueue(op, std::move(payload), counted);
  write_next();
}

void Connection::write_next() {
  if (writing_ || queue_head_ == queue_.size() || finished_) return;
  writing_ = true;
  const Outgoing& first = queue_[queue_head_];
  if (first.payload->size() >= kCopyBelow) {
    in_flight_ = 1;
    std::array<asio::const_buffer, 2> buffers{asio::buffer(first.header.data(), first.header_size),
                                              asio::buffer(*first.payload)};
    asio::async_write(socket_, buffers,
                      [self = shared_from_this()](asio::error_code ec, size_t) { self->write_done(ec); });
    return;
  }
  // Everything small that is waiting goes out together.
  for (size_t i = queue_head_; i < queue_.size(); ++i) {
    const Outgoing& out = queue_[i];
    size_t size = out.header_size + out.payload->size();
    if (out.payload->size() >= kCopyBelow || (in_flight_ > 0 && write_buffer_.size() + size > kMaxWriteBytes)) break;
    write_buffer_.append(reinterpret_cast<const char*>(out.header.data()), out.header_size);
    write_buffer_.append(*out.payload);
    ++in_flight_;
  }
  asio::async_write(socket_, asio::buffer(write_buffer_),
                    [self = shared_from_this()](asio::error_code ec, size_t) { self->write_done(ec); });
}

void Connection::write_done(asio::error_code ec) {
  writing_ = false;
  write_buffer_.clear();
  bool close_written = false;
  size_t counted = 0;
  for (size_t i = queue_head_; i < queue_head_ + in_flight_; ++i) {
    counted += queue_[i].counted;
    close_written |= queue_[i].is_close;
    queue_[i].payload.reset();
  }
  queue_head_ += in_flight_;
  in_flight_ = 0;
  queued_bytes_ -= counted;
  if (queue_head_ == queue_.size()) {
    // Drained: a quiet connection keeps only small buffers (a steady trickle
    // of single frames reuses them instead of allocating per message).
    queue_.clear();
    if (queue_.capacity() > kKeepQueuedFrames) std::vector<Outgoing>().swap(queue_);
    queue_head_ = 0;
    if (write_buffer_.capacity() > kKeepWriteBuffer) std::string().swap(write_buffer_);
  } else if (queue_head_ > queue_.size() / 2) {
    queue_.erase(queue_.begin(), queue_.begin() + ptrdiff_t(queue_head_));
    queue_head_ = 0;
  }
  if (ec) {
    close_reason_ = "write failed";
    return finish();
  }
  // Both closes exchanged: the handshake is over.
  if (close_written && close_received_) return finish();
  write_next();
}

bool Connection::send(const OutFrame& frame) {
  if (closing_) return true;  // on its way out; not a slow client
  size_t n = frame.data->size();
  size_t before = queued_bytes_.fetch_add(n);
  if (before > 0 && before + n > server_->options.send_queue_limit) {
    queued_bytes_ -= n;
    closing_ = true;
    asio::post(strand_, [self = shared_from_this()] {
      self->fail(close_code::kTryAgainLater, "send queue full: client too slow");
    });
    return false;
  }
  bool first;
  {
    std::lock_guard lock(inbox_mu_);
    first = inbox_.empty();
    inbox_.push_back(frame);
  }
  if (first) asio::post(strand_, [self = shared_from_this()] { self->take_inbox(); });
  return true;
}

void Connection::take_inbox() {
  // The two vectors trade places, so both keep their memory between batches.
  std::vector<OutFrame>& frames = inbox_taken_;
  {
    std::lock_guard lock(inbox_mu_);
    frames.swap(inbox_);
  }
  for (auto& frame : frames) {
    if (close_sent_) {
      queued_bytes_ -= frame.data->size();
      continue;
    }
    size_t counted = frame.data->size();
    enqueue(frame.text ? Opcode::Text : Opcode::Binary, std::move(frame.data), counted);
  }
  frames.clear();
  write_next();  // once for the batch, so its small frames go out in one write
}

void Connection::close(uint16_t code, std::string_view reason) {
  closing_ = true;
  asio::post(strand_, [self = shared_from_this(), code, r = std::string(reason)] { self->fail(code, r); });
}

void Connection::shutdown(uint16_t code, std::string_view reason) {
  asio::post(strand_, [self = shared_from_this(), code, r = std::string(reason)] {
    if (self->websocket_) self->fail(code, r);
    else self->finish();
  });
}

void Connection::fail(uint16_t code, const std::string& reason) {
  if (close_sent_ || finished_) return;
  close_sent_ = true;
  closing_ = true;
  if (close_code_ == 0) {
    close_code_ = code;
    close_reason_ = reason;
  }
  if (session_) session_->leave();
  // Frames not yet started are dropped: the close goes out next.
  while (queue_.size() > queue_head_ + in_flight_) {
    queued_bytes_ -= queue_.back().counted;
    queue_.pop_back();
  }
  queue_frame(Opcode::Close, std::make_shared<const std::string>(encode_close_payload(code, reason)));
  queue_.back().is_close = true;
  timer_.expires_after(kCloseHandshakeDeadline);
  timer_.async_wait([self = shared_from_this()](asio::error_code ec) {
    if (!ec) self->finish();  // the client never answered our close
  });
}

void Connection::start_ping_timer() {
  timer_.expires_after(server_->options.ping_interval);
  timer_.async_wait([self = shared_from_this()](asio::error_code ec) {
    if (ec || self->finished_ || self->close_sent_) return;
    if (!self->alive_) {
      self->close_code_ = 1006;
      self->close_reason_ = "no answer to ping";
      return self->finish();
    }
    self->alive_ = false;
    self->queue_frame(Opcode::Ping, std::make_shared<const std::string>());
    self->start_ping_timer();
  });
}

void Connection::finish() {
  if (finished_) return;
  finished_ = true;
  closing_ = true;
  timer_.cancel();
  asio::error_code ignored;
  socket_.close(ignored);
  if (websocket_) {
    if (session_) session_->leave();
    --server_->websocket_open;
    double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - opened_).count();
    char duration[32];
    std::snprintf(duration, sizeof duration, "%.1fs", seconds);
    server_->log("disconnect room=" + room_ + " user=" + identity_.user + " sid=" + identity_.session_id +
                 " code=" + std::to_string(close_code_ ? close_code_ : 1006) + " reason=\"" + close_reason_ +
                 "\" duration=" + duration + " remote=" + remote_);
  }
  --server_->connections_open;
  std::lock_guard lock(server_->connections_mu);
  server_->connections.erase(shared_from_this());
}

}  // namespace conflux::net
