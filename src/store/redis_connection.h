// One blocking connection to a Redis server, over hiredis.
//
// Commands are argument lists (binary-safe: every argument goes with its
// length), sent one at a time or pipelined (append, then read_reply). One rule
// for failures keeps the callers simple: an I/O error, a timeout or a
// "LOADING" answer (Redis restarting and not ready yet) closes the connection,
// and the call returns no reply. Callers only ask is_open() and reopen.
// Not thread-safe: each user thread owns its connection.
#pragma once

#include <hiredis/hiredis.h>

#include <chrono>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "conflux/doc.h"

namespace conflux::redis {

struct FreeReply {
  void operator()(redisReply* r) const {
    if (r) freeReplyObject(r);
  }
};
using Reply = std::unique_ptr<redisReply, FreeReply>;

// Reading replies.
inline bool is_error(const redisReply* r) { return r && r->type == REDIS_REPLY_ERROR; }
inline bool is_nil(const redisReply* r) { return r && r->type == REDIS_REPLY_NIL; }
inline bool is_array(const redisReply* r) { return r && r->type == REDIS_REPLY_ARRAY; }
// The text of a string, status or error reply; empty for the other types.
inline std::string text(const redisReply* r) {
  if (!r || !r->str) return {};
  if (r->type != REDIS_REPLY_STRING && r->type != REDIS_REPLY_STATUS && r->type != REDIS_REPLY_ERROR) return {};
  return std::string(r->str, r->len);
}

using Args = std::vector<std::string_view>;

class Connection {
 public:
  Connection(std::string host, int port) : host_(std::move(host)), port_(port) {}
  ~Connection() { close(); }
  Connection(const Connection&) = delete;
  Connection& operator=(const Connection&) = delete;

  // (Re)connects and checks that Redis answers. `io_timeout` bounds every
  // later read and write.
  Status open(std::chrono::milliseconds connect_timeout, std::chrono::milliseconds io_timeout);
  bool is_open() const { return ctx_ != nullptr; }
  void close();

  // Sends one command and waits for its answer. Null when the link failed
  // (error() says why; the connection is closed). An error answer from Redis
  // is a reply like any other: check is_error().
  Reply command(const Args& args);

  // Pipelining: queue commands, then read their answers in order.
  bool append(const Args& args);
  Reply read_reply();

  const std::string& error() const { return error_; }
  std::string address() const { return host_ + ":" + std::to_string(port_); }

 private:
  Reply checked(void* raw);

  std::string host_;
  int port_;
  redisContext* ctx_ = nullptr;
  std::string error_;
};

}  // namespace conflux::redis
