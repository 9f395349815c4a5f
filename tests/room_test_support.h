// Rooms on a real thread, for tests whose storage or relay threads post to
// them: an executor, a peer that records what it is sent, and waits.
#pragma once

#include <catch2/catch.hpp>

#include <chrono>
#include <condition_variable>
#include <deque>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "conflux/room.h"
#include "sync_messages.h"

namespace conflux::test {

using namespace std::chrono_literals;

class ThreadExecutor : public Executor {
 public:
  ThreadExecutor() : thread_([this] { loop(); }) {}
  ~ThreadExecutor() override {
    {
      std::lock_guard lock(mu_);
      stop_ = true;
    }
    cv_.notify_all();
    thread_.join();
  }
  void post(std::function<void()> work) override {
    {
      std::lock_guard lock(mu_);
      queue_.push_back(std::move(work));
    }
    cv_.notify_all();
  }

 private:
  void loop() {
    for (;;) {
      std::function<void()> f;
      {
        std::unique_lock lock(mu_);
        cv_.wait(lock, [&] { return stop_ || !queue_.empty(); });
        if (queue_.empty()) return;
        f = std::move(queue_.front());
        queue_.pop_front();
      }
      f();
    }
  }
  std::mutex mu_;
  std::condition_variable cv_;
  std::deque<std::function<void()>> queue_;
  bool stop_ = false;
  std::thread thread_;
};

class RecordingPeer : public Peer {
 public:
  bool send(const OutFrame& f) override {
    std::lock_guard lock(mu_);
    frames_.push_back(f);
    return true;
  }
  void close(uint16_t code, std::string_view reason) override {
    std::lock_guard lock(mu_);
    closed_with_ = code;
    close_reason_ = reason;
  }
  std::vector<protocol::Message> binary() {
    std::lock_guard lock(mu_);
    std::vector<protocol::Message> out;
    for (const auto& f : frames_) {
      protocol::Message m;
      if (!f.text && protocol::decode_message(reinterpret_cast<const uint8_t*>(f.data->data()), f.data->size(), &m).ok())
        out.push_back(std::move(m));
    }
    return out;
  }
  std::vector<std::string> texts() {
    std::lock_guard lock(mu_);
    std::vector<std::string> out;
    for (const auto& f : frames_)
      if (f.text) out.push_back(*f.data);
    return out;
  }
  size_t updates_received() {
    size_t n = 0;
    for (const protocol::Message& m : binary())
      n += m.type == protocol::MessageType::Sync && m.sync == protocol::SyncStep::Update;
    return n;
  }
  uint16_t closed_with() {
    std::lock_guard lock(mu_);
    return closed_with_;
  }
  std::string close_reason() {
    std::lock_guard lock(mu_);
    return close_reason_;
  }

 private:
  std::mutex mu_;
  std::vector<OutFrame> frames_;
  uint16_t closed_with_ = 0;
  std::string close_reason_;
};

template <class F>
bool eventually(F cond, std::chrono::milliseconds limit = 10s) {
  auto end = std::chrono::steady_clock::now() + limit;
  while (std::chrono::steady_clock::now() < end) {
    if (cond()) return true;
    std::this_thread::sleep_for(2ms);
  }
  return cond();
}

inline std::string as_string(const Bytes& b) { return std::string(b.begin(), b.end()); }
inline Identity who(const std::string& user) { return {user, user + "-sid", "", false}; }

// One update per character typed at the end of Text "t".
inline std::vector<Bytes> typing(uint64_t client, const std::string& text) {
  Doc d(Doc::Options{.client_id = client});
  std::vector<Bytes> out;
  auto sub = d.on_update([&](const Bytes& u, const Transaction&) { out.push_back(u); });
  auto t = d.get_text("t");
  for (char c : text) t.insert(t.length(), std::string(1, c));
  return out;
}

// What a fresh client gets from the room: the whole document's text.
inline std::string text_seen_by_new_client(RoomManager& rooms, const std::string& room) {
  auto p = std::make_shared<RecordingPeer>();
  auto s = rooms.join(room, who("reader"), p);
  s->receive(as_string(protocol::encode_sync_step1(Bytes{0})), false);
  std::string text = "<nothing>";
  eventually([&] {
    for (const protocol::Message& m : p->binary())
      if (m.type == protocol::MessageType::Sync && m.sync == protocol::SyncStep::Step2) {
        Doc d;
        if (d.apply_update(m.payload)) text = d.get_text("t").to_string();
        return true;
      }
    return false;
  });
  s->leave();
  return text;
}

}  // namespace conflux::test
