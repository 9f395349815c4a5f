// A private redis-server for one test: its own loopback port and data
// directory, so tests run in parallel. Append-only file on and fsynced at
// every write, so a killed server restarted on the same directory comes back
// with all its data; start_empty() restarts it on a fresh directory instead.
#pragma once

#include <arpa/inet.h>
#include <hiredis/hiredis.h>
#include <netinet/in.h>
#include <signal.h>
#include <spawn.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <memory>
#include <string>
#include <thread>
#include <vector>

extern char** environ;

namespace conflux::test {

// A loopback port nobody listens on right now.
inline int free_loopback_port() {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0) return -1;
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = 0;
  socklen_t len = sizeof addr;
  int port = -1;
  if (bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0 &&
      getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) == 0) {
    port = ntohs(addr.sin_port);
  }
  close(fd);
  return port;
}

struct FreeRedisReply {
  void operator()(redisReply* r) const {
    if (r) freeReplyObject(r);
  }
};
using RedisReplyPtr = std::unique_ptr<redisReply, FreeRedisReply>;

class RedisServer {
 public:
  RedisServer() = default;
  ~RedisServer() {
    kill_now();
    std::error_code ec;
    for (const std::string& d : dirs_) std::filesystem::remove_all(d, ec);
  }
  RedisServer(const RedisServer&) = delete;
  RedisServer& operator=(const RedisServer&) = delete;

  // Starts on a new port and directory; false (and error() says why) when
  // redis-server does not answer. A port taken in between is retried.
  bool start() {
    for (int attempt = 0; attempt < 5; ++attempt) {
      port_ = free_loopback_port();
      if (dir_.empty()) new_dir();
      if (launch()) return true;
    }
    return false;
  }
  // Restarts on the same port and directory: the data comes back.
  bool restart() { return launch(); }
  // Restarts on the same port with an empty directory: the data is gone.
  bool start_empty() {
    new_dir();
    return launch();
  }
  // SIGKILL: no shutdown, no final save.
  void kill_now() {
    if (pid_ <= 0) return;
    ::kill(pid_, SIGKILL);
    int status = 0;
    waitpid(pid_, &status, 0);
    pid_ = -1;
  }

  int port() const { return port_; }
  std::string address() const { return "127.0.0.1:" + std::to_string(port_); }
  const std::string& error() const { return error_; }

  // One command on a fresh connection (null when Redis does not answer).
  RedisReplyPtr command(const std::vector<std::string>& args) const {
    timeval tv{1, 0};
    redisContext* c = redisConnectWithTimeout("127.0.0.1", port_, tv);
    if (!c) return nullptr;
    RedisReplyPtr reply;
    if (!c->err) {
      std::vector<const char*> argv;
      std::vector<size_t> lengths;
      for (const std::string& a : args) {
        argv.push_back(a.data());
        lengths.push_back(a.size());
      }
      reply.reset(static_cast<redisReply*>(
          redisCommandArgv(c, static_cast<int>(args.size()), argv.data(), lengths.data())));
    }
    redisFree(c);
    return reply;
  }

 private:
  void new_dir() {
    char path[] = "/tmp/conflux-redis-XXXXXX";
    if (mkdtemp(path)) {
      dir_ = path;
      dirs_.push_back(dir_);
    }
  }

  bool launch() {
    kill_now();
    const std::string port = std::to_string(port_), log = dir_ + "/redis.log";
    std::vector<std::string> args{"redis-server", "--port", port, "--bind", "127.0.0.1", "--save", "",
                                  "--appendonly", "yes", "--appendfsync", "always", "--dir", dir_,
                                  "--daemonize", "no", "--logfile", log};
    std::vector<char*> argv;
    for (std::string& a : args) argv.push_back(a.data());
    argv.push_back(nullptr);
    pid_t pid = -1;
    if (int rc = posix_spawnp(&pid, "redis-server", nullptr, nullptr, argv.data(), environ); rc != 0) {
      error_ = "cannot start redis-server: " + std::string(strerror(rc));
      return false;
    }
    pid_ = pid;
    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
    while (std::chrono::steady_clock::now() < deadline) {
      int status = 0;
      if (waitpid(pid_, &status, WNOHANG) == pid_) {
        pid_ = -1;
        error_ = "redis-server exited at startup (see " + log + ")";
        return false;
      }
      RedisReplyPtr pong = command({"PING"});
      if (pong && pong->type == REDIS_REPLY_STATUS && std::string(pong->str, pong->len) == "PONG") return true;
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    error_ = "redis-server does not answer on port " + port;
    kill_now();
    return false;
  }

  int port_ = -1;
  pid_t pid_ = -1;
  std::string dir_;
  std::vector<std::string> dirs_;
  std::string error_;
};

}  // namespace conflux::test
