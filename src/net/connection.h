// One TCP connection: an HTTP request, then (after an upgrade) a WebSocket
// that belongs to one room. All its handlers run on its strand.
#pragma once

#include <asio.hpp>
#include <array>
#include <atomic>
#include <chrono>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "conflux/room.h"
#include "http_request.h"
#include "server_impl.h"
#include "websocket_codec.h"

namespace conflux::net {

class Connection : public Peer, public std::enable_shared_from_this<Connection> {
 public:
  Connection(std::shared_ptr<Server::Impl> server, asio::ip::tcp::socket socket);
  void start();
  // Closes from any thread (server stop).
  void shutdown(uint16_t code, std::string_view reason);

  // Peer: called from the room's thread.
  bool send(const OutFrame& frame) override;
  void close(uint16_t code, std::string_view reason) override;

 private:
  struct Outgoing {
    std::array<uint8_t, 10> header{};
    size_t header_size = 0;
    std::shared_ptr<const std::string> payload;
    bool is_close = false;
    size_t counted = 0;  // bytes of a room frame, counted in queued_bytes_
  };

  // Reads what the socket holds into the thread's buffer; false when the
  // connection is over (error or end of stream), with *n == 0 when nothing was there.
  bool read_available(size_t* n);
  void read_request();
  void handle_request(const HttpRequest& req, std::string body);
  void read_body(HttpRequest req, size_t length);
  void respond(int status, std::string_view content_type, std::string body, std::string extra_headers = {});
  void upgrade(const HttpRequest& req);
  void login(const HttpRequest& req, const std::string& body);
  void serve_stats(bool metrics);

  void read_frames();
  void on_ws_event(WsEvent& ev);
  void enqueue(Opcode op, std::shared_ptr<const std::string> payload, size_t counted);  // without writing
  void queue_frame(Opcode op, std::shared_ptr<const std::string> payload, size_t counted = 0);
  void take_inbox();  // frames from the room, on the strand
  void write_next();
  void write_done(asio::error_code ec);
  void fail(uint16_t code, const std::string& reason);  // send a close frame, then end
  void start_ping_timer();
  void finish();  // the socket is done: leave the room, log, forget

  std::shared_ptr<Server::Impl> server_;
  asio::ip::tcp::socket socket_;
  asio::any_io_executor strand_;  // the socket's own strand
  asio::steady_timer timer_;  // request deadline, then pings, then the close handshake
  std::string remote_;
  // Nothing is read until the socket is readable, and then into a buffer of
  // the thread: an idle connection holds no read buffer.
  std::string request_data_;

  // WebSocket state.
  bool websocket_ = false;
  std::unique_ptr<FrameDecoder> decoder_;
  std::shared_ptr<Session> session_;
  std::string room_;
  Identity identity_;
  std::chrono::steady_clock::time_point opened_;
  bool alive_ = true;         // something arrived since the last ping
  bool close_sent_ = false;
  bool close_received_ = false;
  bool finished_ = false;
  uint16_t close_code_ = 0;   // what ended the connection, for the log
  std::string close_reason_;
  // Frames to send: queue_[queue_head_..] wait, the first in_flight_ of
  // them are being written. A vector with a moving head (not a deque, which
  // allocates even when empty).
  std::vector<Outgoing> queue_;
  size_t queue_head_ = 0;
  size_t in_flight_ = 0;
  std::string write_buffer_;  // small frames of the current write, copied together
  bool writing_ = false;
  // Frames handed over by the room thread; one post moves a whole batch onto the strand.
  std::mutex inbox_mu_;
  std::vector<OutFrame> inbox_;
  std::vector<OutFrame> inbox_taken_;  // the batch being queued, on the strand
  std::atomic<size_t> queued_bytes_{0};
  std::atomic<bool> closing_{false};  // no more frames from the room are taken
};

}  // namespace conflux::net
