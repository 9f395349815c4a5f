// The Conflux sync server: y-websocket rooms over HTTP/1.1 + WebSocket.
//
//   conflux::ServerOptions options;
//   options.port = 1234;
//   conflux::Server server(options, std::make_shared<conflux::JwtAuthenticator>(
//                                       conflux::JwtVerifier::hs256("secret")));
//   if (auto st = server.start(); !st) { /* st.message() */ }
//   server.run();  // until server.stop() is called from another thread
//
// Endpoints: GET /healthz, GET /dashboard (JSON), GET /metrics (Prometheus),
// POST /login (only with dev_login_secret), and a WebSocket on /ROOM or
// /ws/ROOM for each room.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>

#include "conflux/auth.h"
#include "conflux/doc.h"
#include "conflux/relay.h"
#include "conflux/store.h"

namespace conflux {

struct ServerOptions {
  std::string host = "127.0.0.1";
  uint16_t port = 1234;   // 0 picks a free port (see Server::port())
  unsigned threads = 0;   // 0: one per core
  size_t max_message_size = 16 * 1024 * 1024;  // larger WebSocket messages close the connection (1009)
  std::chrono::milliseconds idle_timeout{std::chrono::seconds(30)};   // unload rooms empty for this long
  std::chrono::milliseconds ping_interval{std::chrono::seconds(30)};  // liveness pings; no pong by the next one drops the peer
  // Bytes waiting to be sent to one client before it counts as too slow and
  // is disconnected (1013).
  size_t send_queue_limit = 16 * 1024 * 1024;
  // Development only: when set, POST /login mints HS256 tokens signed with it.
  std::string dev_login_secret;
  // One line per connection event (connect, refuse, disconnect); null: silent.
  // Called from several threads.
  std::function<void(std::string_view line)> log;
  // Called on the room's thread after each change to a room's document.
  std::function<void(const std::string& room, const Doc& doc, const Bytes& update)> on_document_update;
  // Where documents are kept (conflux/store.h); null: in memory only, lost
  // when a room unloads. With a store, an update reaches other clients only
  // after it is committed, so whatever a client has seen survives a crash.
  std::shared_ptr<DocumentStore> store;
  // Shares rooms with other server processes (conflux/relay.h); null: alone.
  std::shared_ptr<Relay> relay;
};

class Server {
 public:
  Server(ServerOptions options, std::shared_ptr<Authenticator> authenticator);
  ~Server();
  Server(const Server&) = delete;
  Server& operator=(const Server&) = delete;

  // Binds and listens; GET /healthz answers from here on (once run() runs).
  Status start();
  // The port it listens on (after start()).
  uint16_t port() const;
  // Serves on this thread and threads-1 more until stop(); returns when every
  // connection is closed, every room unloaded and every write committed.
  void run();
  // Graceful stop: stop accepting, close every client (1001), unload every
  // room. Thread-safe; returns at once.
  void stop();

  struct Impl;

 private:
  std::shared_ptr<Impl> impl_;
};

}  // namespace conflux
