// One simulated y-websocket client (what WebsocketProvider does on the wire)
// and the Hub that every client of a run reports to. Everything runs on one
// thread: the Hub's io_context.
#pragma once

#include <asio.hpp>
#include <chrono>
#include <cstdint>
#include <functional>
#include <string>
#include <unordered_map>
#include <vector>

#include "conflux/doc.h"
#include "websocket_client.h"

namespace conflux::load {

inline int64_t now_us() {
  return std::chrono::duration_cast<std::chrono::microseconds>(std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

// The first (client, clock) of a v1 update: the id of the first struct.
// False for an update without structs (a delete set only).
bool first_struct_id(const uint8_t* update, size_t size, uint64_t* client, uint64_t* clock, uint64_t* sections);

// What the clients of one run share: the server's address, a read buffer
// (reads happen one at a time on this thread), the edits sent and the
// measurements of their delivery.
class Hub {
 public:
  explicit Hub(asio::io_context& io) : io(io), read_buffer(256 * 1024) {}

  asio::io_context& io;
  asio::ip::tcp::endpoint endpoint;
  std::string host_port;
  std::vector<char> read_buffer;

  void record_sent(uint64_t client, uint64_t clock, uint32_t receivers, int64_t at_us);
  void record_delivery(uint64_t client, uint64_t clock, int64_t at_us);
  void error(const std::string& what);

  uint64_t sent = 0;       // edits sent by writers
  uint64_t expected = 0;   // deliveries those edits owe to the other clients of their rooms
  uint64_t delivered = 0;  // edits of other clients that arrived
  uint64_t unmatched = 0;  // arrivals whose id was never sent (should stay 0)
  int64_t last_delivery_us = 0;
  std::vector<uint32_t> latency_us;
  uint64_t errors = 0;
  std::string first_error;
  // Called after every batch of reads (the throughput writer refills its pipe here).
  std::function<void()> after_read;

 private:
  struct SentEdit {
    uint64_t clock;
    int64_t at_us;
  };
  // Per writer, in clock order (a client's clocks only grow).
  std::unordered_map<uint64_t, std::vector<SentEdit>> sent_edits_;
};

class Client {
 public:
  // `defer_apply`: keep received updates and apply them in apply_deferred(),
  // so applying never delays reading (used where the document work would
  // otherwise make the generator the bottleneck).
  Client(Hub& hub, std::string path, uint64_t client_id, bool defer_apply);
  Client(const Client&) = delete;
  Client& operator=(const Client&) = delete;

  // Connects and upgrades; `opened` runs once, when the upgrade succeeded or failed.
  void open(std::function<void(Client&)> opened);
  void close();

  // A real edit on our document; its update goes to the server. `receivers`:
  // how many other clients of the room should see it.
  void insert(uint64_t index, std::string_view s, uint32_t receivers);
  // Frames encoded elsewhere (the throughput writer's pregenerated pipe).
  void send_frames(const char* data, size_t size);
  void apply_deferred();

  uint64_t id() const { return client_id_; }
  std::string text() { return text_.to_string(); }
  uint64_t length() { return text_.length(); }
  conflux::Doc& doc() { return doc_; }
  bool connected() const { return connected_us >= 0; }
  bool synced() const { return synced_us >= 0; }

  int64_t connect_start_us = 0, connected_us = -1, synced_us = -1;
  uint64_t received = 0;  // updates of other clients
  uint64_t echoes = 0;    // our own updates coming back from the server
  bool failed = false;

 private:
  void on_connected();
  void wait_readable();
  bool on_bytes(const char* data, size_t n);  // false: the connection is gone
  void on_message(std::string_view data);
  void send_message(const Bytes& message);
  void send_frame(WsOpcode opcode, const uint8_t* payload, size_t size);
  void flush();
  void fail(const std::string& why);
  uint32_t next_mask();

  Hub& hub_;
  std::string path_;
  uint64_t client_id_;
  bool defer_apply_;
  asio::ip::tcp::socket socket_;
  conflux::Doc doc_;
  conflux::Text text_;
  Subscription local_updates_;
  bool editing_ = false;
  uint32_t edit_receivers_ = 0;
  std::function<void(Client&)> opened_;
  std::string key_;
  std::string head_;  // the upgrade response, until complete
  FrameReader reader_;
  std::string out_;       // frames waiting for the current write to finish
  std::string writing_;   // frames being written
  bool write_pending_ = false;
  bool closed_ = false;
  uint64_t mask_state_;
  std::vector<Bytes> deferred_;
};

}  // namespace conflux::load
