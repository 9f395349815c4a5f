#include "redis_connection.h"

#include <sys/time.h>

namespace conflux::redis {
namespace {

timeval to_timeval(std::chrono::milliseconds d) {
  timeval tv{};
  tv.tv_sec = static_cast<time_t>(d.count() / 1000);
  tv.tv_usec = static_cast<suseconds_t>((d.count() % 1000) * 1000);
  return tv;
}

// hiredis wants parallel arrays of pointers and lengths.
struct ArgvArrays {
  explicit ArgvArrays(const Args& args) {
    argv.reserve(args.size());
    lengths.reserve(args.size());
    for (std::string_view a : args) {
      argv.push_back(a.data());
      lengths.push_back(a.size());
    }
  }
  std::vector<const char*> argv;
  std::vector<size_t> lengths;
};

}  // namespace

Status Connection::open(std::chrono::milliseconds connect_timeout, std::chrono::milliseconds io_timeout) {
  close();
  redisContext* c = redisConnectWithTimeout(host_.c_str(), port_, to_timeval(connect_timeout));
  if (!c) {
    error_ = "out of memory";
    return Status::error(error_);
  }
  if (c->err) {
    error_ = c->errstr;
    redisFree(c);
    return Status::error(error_);
  }
  redisSetTimeout(c, to_timeval(io_timeout));
  redisEnableKeepAlive(c);
  ctx_ = c;
  Reply pong = command({"PING"});
  if (!pong) return Status::error(error_);
  if (is_error(pong.get())) {
    error_ = text(pong.get());
    close();
    return Status::error(error_);
  }
  return {};
}

void Connection::close() {
  if (ctx_) redisFree(ctx_);
  ctx_ = nullptr;
}

Reply Connection::command(const Args& args) {
  if (!ctx_) {
    error_ = "not connected";
    return nullptr;
  }
  ArgvArrays a(args);
  return checked(redisCommandArgv(ctx_, static_cast<int>(args.size()), a.argv.data(), a.lengths.data()));
}

bool Connection::append(const Args& args) {
  if (!ctx_) {
    error_ = "not connected";
    return false;
  }
  ArgvArrays a(args);
  if (redisAppendCommandArgv(ctx_, static_cast<int>(args.size()), a.argv.data(), a.lengths.data()) != REDIS_OK) {
    error_ = ctx_->errstr[0] ? ctx_->errstr : "cannot queue a command";
    close();
    return false;
  }
  return true;
}

Reply Connection::read_reply() {
  if (!ctx_) {
    error_ = "not connected";
    return nullptr;
  }
  void* raw = nullptr;
  if (redisGetReply(ctx_, &raw) != REDIS_OK) raw = nullptr;
  return checked(raw);
}

Reply Connection::checked(void* raw) {
  Reply reply(static_cast<redisReply*>(raw));
  if (!reply) {
    error_ = ctx_->errstr[0] ? ctx_->errstr : "connection lost";
    close();
    return nullptr;
  }
  // Redis replaying its append-only file answers LOADING to data commands:
  // the same as not being there yet.
  if (is_error(reply.get()) && text(reply.get()).rfind("LOADING", 0) == 0) {
    error_ = text(reply.get());
    close();
    return nullptr;
  }
  return reply;
}

}  // namespace conflux::redis
