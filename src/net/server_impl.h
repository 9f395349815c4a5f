// What the server's connections share: the io_context, options, rooms,
// authenticator and counters.
#pragma once

#include <asio.hpp>
#include <atomic>
#include <chrono>
#include <memory>
#include <mutex>
#include <set>

#include "conflux/room.h"
#include "conflux/server.h"

namespace conflux {

namespace net {
class Connection;
}

// Runs room actors on the io_context's threads.
class AsioExecutor : public Executor {
 public:
  explicit AsioExecutor(asio::io_context& io) : io_(io) {}
  void post(std::function<void()> work) override { asio::post(io_, std::move(work)); }

 private:
  asio::io_context& io_;
};

struct Server::Impl : std::enable_shared_from_this<Server::Impl> {
  Impl(ServerOptions o, std::shared_ptr<Authenticator> a);

  ServerOptions options;
  std::shared_ptr<Authenticator> authenticator;
  asio::io_context io;
  AsioExecutor executor{io};
  RoomManager rooms;
  asio::ip::tcp::acceptor acceptor{io};
  asio::steady_timer tick_timer{io};
  std::chrono::steady_clock::time_point started = std::chrono::steady_clock::now();
  std::atomic<bool> stopping{false};

  // Counters of the transport, for /dashboard and /metrics.
  std::atomic<uint64_t> connections_total{0}, connections_open{0}, websocket_open{0}, auth_refused{0},
      http_requests{0}, protocol_errors{0};

  std::mutex connections_mu;
  std::set<std::shared_ptr<net::Connection>> connections;

  void log(const std::string& line) const {
    if (options.log) options.log(line);
  }
  void accept_next();
  void schedule_tick();
  void stop();
};

}  // namespace conflux
