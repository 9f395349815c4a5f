#include <thread>

#include "connection.h"
#include "server_impl.h"

namespace conflux {

namespace {
RoomManager::Options room_options(const ServerOptions& o) {
  RoomManager::Options r;
  r.idle_timeout = o.idle_timeout;
  r.on_document_update = o.on_document_update;
  r.store = o.store;
  r.relay = o.relay;
  r.log = o.log;
  return r;
}
}  // namespace

Server::Impl::Impl(ServerOptions o, std::shared_ptr<Authenticator> a)
    : options(std::move(o)), authenticator(std::move(a)), rooms(executor, room_options(options)) {}

void Server::Impl::accept_next() {
  // Each connection gets its own strand: its handlers never run concurrently.
  acceptor.async_accept(asio::make_strand(io), [self = shared_from_this()](asio::error_code ec,
                                                                          asio::ip::tcp::socket socket) {
    if (!self->acceptor.is_open()) return;
    if (!ec) {
      auto conn = std::make_shared<net::Connection>(self, std::move(socket));
      {
        std::lock_guard lock(self->connections_mu);
        self->connections.insert(conn);
      }
      conn->start();
    }
    self->accept_next();
  });
}

void Server::Impl::schedule_tick() {
  tick_timer.expires_after(std::chrono::seconds(1));
  tick_timer.async_wait([self = shared_from_this()](asio::error_code ec) {
    if (ec || self->stopping) return;
    self->rooms.tick(std::chrono::steady_clock::now());
    self->schedule_tick();
  });
}

void Server::Impl::stop() {
  if (stopping.exchange(true)) return;
  asio::post(io, [self = shared_from_this()] {
    asio::error_code ignored;
    self->acceptor.close(ignored);
    self->tick_timer.cancel();
    // Rooms close their members (1001) and unload; connections still in
    // their HTTP request are closed here.
    self->rooms.shutdown();
    std::vector<std::shared_ptr<net::Connection>> open;
    {
      std::lock_guard lock(self->connections_mu);
      open.assign(self->connections.begin(), self->connections.end());
    }
    for (auto& c : open) c->shutdown(1001, "server shutting down");
  });
}

Server::Server(ServerOptions options, std::shared_ptr<Authenticator> authenticator)
    : impl_(std::make_shared<Impl>(std::move(options), std::move(authenticator))) {}

Server::~Server() {
  stop();
  impl_->io.stop();
}

Status Server::start() {
  asio::error_code ec;
  auto address = asio::ip::make_address(impl_->options.host, ec);
  if (ec) return Status::error("invalid host \"" + impl_->options.host + "\": " + ec.message());
  asio::ip::tcp::endpoint endpoint(address, impl_->options.port);
  auto& acceptor = impl_->acceptor;
  acceptor.open(endpoint.protocol(), ec);
  if (!ec) acceptor.set_option(asio::socket_base::reuse_address(true), ec);
  if (!ec) acceptor.bind(endpoint, ec);
  if (!ec) acceptor.listen(asio::socket_base::max_listen_connections, ec);
  if (ec) return Status::error("cannot listen on " + impl_->options.host + ":" +
                               std::to_string(impl_->options.port) + ": " + ec.message());
  impl_->accept_next();
  impl_->schedule_tick();
  return Status();
}

uint16_t Server::port() const {
  asio::error_code ec;
  auto ep = impl_->acceptor.local_endpoint(ec);
  return ec ? 0 : ep.port();
}

void Server::run() {
  unsigned n = impl_->options.threads ? impl_->options.threads : std::max(1u, std::thread::hardware_concurrency());
  std::vector<std::thread> threads;
  for (unsigned i = 1; i < n; ++i) threads.emplace_back([this] { impl_->io.run(); });
  impl_->io.run();
  for (auto& t : threads) t.join();
  impl_->rooms.flush();
}

void Server::stop() { impl_->stop(); }

}  // namespace conflux
