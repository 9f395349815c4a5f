// The Redis relay between "nodes" (relays in this process), each test on its
// own redis-server: relaying, the shared log, compaction, Redis going away
// and coming back with or without its data.
#include <catch2/catch.hpp>

#include <algorithm>
#include <chrono>
#include <functional>
#include <mutex>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "conflux/relay.h"
#include "redis_layout.h"
#include "redis_relay.h"
#include "redis_server_fixture.h"

using namespace conflux;
using conflux::test::RedisServer;
using Kind = RelayMessage::Kind;
using namespace std::chrono_literals;

namespace {

// What a room got from the relay.
class Inbox {
 public:
  std::function<void(RelayMessage)> deliver() {
    return [this](RelayMessage m) {
      std::lock_guard lock(mu_);
      messages_.push_back(std::move(m));
    };
  }
  std::vector<RelayMessage> messages() const {
    std::lock_guard lock(mu_);
    return messages_;
  }
  std::vector<std::string> payloads(Kind kind) const {
    std::vector<std::string> out;
    for (const RelayMessage& m : messages()) {
      if (m.kind == kind) out.push_back(m.payload);
    }
    return out;
  }
  size_t count(Kind kind) const { return payloads(kind).size(); }
  size_t size() const { return messages().size(); }

 private:
  mutable std::mutex mu_;
  std::vector<RelayMessage> messages_;
};

bool wait_until(const std::function<bool()>& done, std::chrono::milliseconds timeout = 10s) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  while (std::chrono::steady_clock::now() < deadline) {
    if (done()) return true;
    std::this_thread::sleep_for(10ms);
  }
  return done();
}

void start(RedisServer& redis) {
  bool started = redis.start();
  INFO(redis.error());
  REQUIRE(started);
}

std::shared_ptr<Relay> open_relay(const RedisServer& redis, const RedisRelayOptions& options = {}) {
  std::shared_ptr<Relay> relay;
  Status st = open_redis_relay(redis.address(), options, &relay);
  INFO(st.message());
  REQUIRE(st.ok());
  REQUIRE(relay);
  return relay;
}

std::vector<std::string> as_strings(const std::vector<Bytes>& updates) {
  std::vector<std::string> out;
  for (const Bytes& u : updates) out.emplace_back(u.begin(), u.end());
  return out;
}

std::vector<std::string> numbered(const std::string& prefix, int from, int to) {
  std::vector<std::string> out;
  for (int i = from; i < to; ++i) out.push_back(prefix + (i < 10 ? "0" : "") + std::to_string(i));
  return out;
}

void publish_updates(Relay& relay, const std::string& room, const std::vector<std::string>& payloads) {
  for (const std::string& p : payloads) relay.publish(room, RelayMessage{Kind::Update, p});
}

std::string join_names(const std::vector<std::string>& names) {
  std::string out;
  for (const std::string& n : names) out += (out.empty() ? "" : ",") + n;
  return out;
}

std::vector<std::string> split_names(const std::string& s) {
  std::vector<std::string> out;
  size_t start = 0;
  while (start < s.size()) {
    size_t comma = s.find(',', start);
    if (comma == std::string::npos) comma = s.size();
    out.push_back(s.substr(start, comma - start));
    start = comma + 1;
  }
  return out;
}

}  // namespace

TEST_CASE("redis relay: what one node publishes reaches the other nodes, not itself", "[redis]") {
  RedisServer redis;
  start(redis);
  Inbox a_inbox, b_inbox, c_inbox;
  auto a = open_relay(redis);
  auto b = open_relay(redis);
  StoredDocument shared;
  REQUIRE(a->join("room 1", a_inbox.deliver(), &shared).ok());
  CHECK(shared.snapshot.empty());
  CHECK(shared.updates.empty());
  REQUIRE(b->join("room 1", b_inbox.deliver(), &shared).ok());

  const std::string binary("u1\0\xff\r\n", 6);
  a->publish("room 1", {Kind::Update, binary});
  a->publish("room 1", {Kind::Awareness, "aw1"});
  a->publish("room 1", {Kind::Chat, R"({"type":"chat","text":"hi"})"});
  REQUIRE(wait_until([&] { return b_inbox.size() == 3; }));
  CHECK(b_inbox.payloads(Kind::Update) == std::vector<std::string>{binary});
  CHECK(b_inbox.payloads(Kind::Awareness) == std::vector<std::string>{"aw1"});
  CHECK(b_inbox.payloads(Kind::Chat) == std::vector<std::string>{R"({"type":"chat","text":"hi"})"});

  b->publish("room 1", {Kind::Update, "u2"});
  REQUIRE(wait_until([&] { return a_inbox.size() == 1; }));
  CHECK(a_inbox.payloads(Kind::Update) == std::vector<std::string>{"u2"});

  // Neither node hears itself, and presence and chat stay out of the log.
  std::this_thread::sleep_for(300ms);
  CHECK(a_inbox.size() == 1);
  CHECK(b_inbox.size() == 3);
  auto c = open_relay(redis);
  REQUIRE(c->join("room 1", c_inbox.deliver(), &shared).ok());
  CHECK(shared.snapshot.empty());
  CHECK(as_strings(shared.updates) == std::vector<std::string>{binary, "u2"});

  // After leave, nothing more for that room.
  b->leave("room 1");
  a->publish("room 1", {Kind::Update, "u3"});
  REQUIRE(wait_until([&] { return c_inbox.size() == 1; }));
  std::this_thread::sleep_for(200ms);
  CHECK(b_inbox.size() == 3);

  // Another room is another channel.
  Inbox b_other;
  REQUIRE(b->join("room 2", b_other.deliver(), &shared).ok());
  a->publish("room 2", {Kind::Update, "other"});
  REQUIRE(wait_until([&] { return b_other.size() == 1; }));
  CHECK(c_inbox.size() == 1);

  RelayFigures fa = a->figures();
  CHECK(fa.endpoint == "redis " + redis.address());
  CHECK(fa.connected);
  CHECK(fa.published == 5);
  CHECK(fa.received == 1);
  CHECK(fa.queued == 0);
  CHECK(fa.reconnects == 0);
  CHECK(b->figures().received == 4);
}

TEST_CASE("redis relay: a late joiner gets the shared log in order, after the snapshot", "[redis]") {
  RedisServer redis;
  start(redis);
  auto a = open_relay(redis);
  const std::vector<std::string> updates = numbered("u", 0, 10);
  publish_updates(*a, "doc", updates);
  REQUIRE(wait_until([&] { return a->figures().published == 10; }));

  Inbox c_inbox;
  auto c = open_relay(redis);
  StoredDocument shared;
  REQUIRE(c->join("doc", c_inbox.deliver(), &shared).ok());
  CHECK(shared.snapshot.empty());
  CHECK(as_strings(shared.updates) == updates);

  // A snapshot covering the first four entries: only the entries after it
  // come with it.
  auto range = redis.command({"XRANGE", redis::log_key("doc"), "-", "+"});
  REQUIRE(range);
  REQUIRE(range->type == REDIS_REPLY_ARRAY);
  REQUIRE(range->elements == 10);
  const std::string fourth(range->element[3]->element[0]->str, range->element[3]->element[0]->len);
  REQUIRE(redis.command({"SET", redis::snapshot_key("doc"), "S"}));
  REQUIRE(redis.command({"SET", redis::snapshot_id_key("doc"), fourth}));

  Inbox d_inbox;
  auto d = open_relay(redis);
  REQUIRE(d->join("doc", d_inbox.deliver(), &shared).ok());
  CHECK(std::string(shared.snapshot.begin(), shared.snapshot.end()) == "S");
  CHECK(as_strings(shared.updates) == numbered("u", 4, 10));

  // And the live stream continues right after what join returned.
  a->publish("doc", {Kind::Update, "u10"});
  REQUIRE(wait_until([&] { return d_inbox.size() == 1 && c_inbox.size() == 1; }));
  CHECK(d_inbox.payloads(Kind::Update) == std::vector<std::string>{"u10"});
}

TEST_CASE("redis relay: a long log is compacted into the snapshot one node answers with", "[redis]") {
  RedisServer redis;
  start(redis);
  RedisRelayOptions options;
  options.compact_threshold = 10;
  options.compact_safety_window = 0ms;
  Inbox a_inbox, b_inbox;
  auto a = open_relay(redis, options);
  auto b = open_relay(redis, options);
  StoredDocument shared;
  REQUIRE(a->join("doc", a_inbox.deliver(), &shared).ok());
  REQUIRE(b->join("doc", b_inbox.deliver(), &shared).ok());

  const std::vector<std::string> all = numbered("u", 0, 25);
  publish_updates(*a, "doc", all);
  REQUIRE(wait_until([&] { return b_inbox.count(Kind::Update) == 25; }));
  REQUIRE(wait_until([&] { return a_inbox.count(Kind::Compact) + b_inbox.count(Kind::Compact) > 0; }));
  // One node at a time: the lock is held until the answer.
  std::this_thread::sleep_for(200ms);
  REQUIRE(a_inbox.count(Kind::Compact) + b_inbox.count(Kind::Compact) == 1);

  // The compacting room answers with its state: every update it has seen
  // (names here, standing for a document).
  const bool b_compacts = b_inbox.count(Kind::Compact) == 1;
  std::vector<std::string> state;
  if (b_compacts) {
    for (const RelayMessage& m : b_inbox.messages()) {
      if (m.kind == Kind::Compact) break;
      if (m.kind == Kind::Update) state.push_back(m.payload);
    }
  } else {
    state = all;  // A published them all
  }
  const std::string encoded = join_names(state);
  Relay& compactor = b_compacts ? *b : *a;
  compactor.compact("doc", Bytes(encoded.begin(), encoded.end()));
  REQUIRE(wait_until([&] { return compactor.figures().compactions == 1; }));

  auto snapshot = redis.command({"GET", redis::snapshot_key("doc")});
  REQUIRE(snapshot);
  REQUIRE(snapshot->type == REDIS_REPLY_STRING);
  CHECK(std::string(snapshot->str, snapshot->len) == encoded);
  auto length = redis.command({"XLEN", redis::log_key("doc")});
  REQUIRE(length);
  CHECK(length->integer < 25);
  auto lock = redis.command({"EXISTS", redis::compact_lock_key("doc")});
  REQUIRE(lock);
  CHECK(lock->integer == 0);

  // A new joiner: the snapshot plus only the later updates, together all.
  auto c = open_relay(redis);
  Inbox c_inbox;
  REQUIRE(c->join("doc", c_inbox.deliver(), &shared).ok());
  const std::string snapshot_text(shared.snapshot.begin(), shared.snapshot.end());
  CHECK(snapshot_text == encoded);
  const std::vector<std::string> later = as_strings(shared.updates);
  CHECK(later.size() < 25);
  CHECK(static_cast<long long>(later.size()) == length->integer);
  CHECK(later == std::vector<std::string>(all.end() - static_cast<ptrdiff_t>(later.size()), all.end()));
  std::set<std::string> covered;
  for (const std::string& n : split_names(snapshot_text)) covered.insert(n);
  covered.insert(later.begin(), later.end());
  CHECK(covered == std::set<std::string>(all.begin(), all.end()));
  if (b_compacts) CHECK(state.size() + later.size() == 25);  // B's answer covers exactly what it was given

  // An answer nobody asked for changes nothing.
  (b_compacts ? *a : *b).compact("doc", Bytes{'x'});
  std::this_thread::sleep_for(200ms);
  snapshot = redis.command({"GET", redis::snapshot_key("doc")});
  REQUIRE(snapshot);
  CHECK(std::string(snapshot->str, snapshot->len) == encoded);
}

TEST_CASE("redis relay: messages published while Redis is down arrive after it restarts, in order", "[redis]") {
  RedisServer redis;
  start(redis);
  Inbox a_inbox, b_inbox, c_inbox;
  auto a = open_relay(redis);
  auto b = open_relay(redis);
  auto c = open_relay(redis);
  StoredDocument shared;
  REQUIRE(a->join("doc", a_inbox.deliver(), &shared).ok());
  REQUIRE(b->join("doc", b_inbox.deliver(), &shared).ok());
  const std::vector<std::string> all = numbered("m", 0, 10);
  publish_updates(*a, "doc", std::vector<std::string>(all.begin(), all.begin() + 5));
  REQUIRE(wait_until([&] { return b_inbox.size() == 5; }));

  redis.kill_now();
  publish_updates(*a, "doc", std::vector<std::string>(all.begin() + 5, all.end()));
  CHECK(wait_until([&] { return !a->figures().connected && !b->figures().connected; }, 3s));
  CHECK(a->figures().queued == 5);
  CHECK_FALSE(a->figures().last_error.empty());
  // A room joined meanwhile is kept, and gets the whole log once Redis is back.
  Status joined = c->join("doc", c_inbox.deliver(), &shared);
  CHECK_FALSE(joined.ok());
  CHECK_THAT(joined.message(), Catch::Contains("doc"));
  std::this_thread::sleep_for(1500ms);

  bool restarted = redis.restart();
  INFO(redis.error());
  REQUIRE(restarted);
  REQUIRE(wait_until([&] { return b_inbox.size() == 10; }, 15s));
  CHECK(b_inbox.payloads(Kind::Update) == all);
  REQUIRE(wait_until([&] { return c_inbox.size() == 10; }, 15s));
  CHECK(c_inbox.payloads(Kind::Update) == all);
  REQUIRE(wait_until([&] { return a->figures().connected && b->figures().connected; }, 5s));
  CHECK(a->figures().queued == 0);
  CHECK(a->figures().published == 10);
  CHECK(a->figures().reconnects > 0);
  CHECK(b->figures().reconnects > 0);
  // Redis kept its data: no resync.
  CHECK(a_inbox.count(Kind::Resync) == 0);
  CHECK(b_inbox.count(Kind::Resync) == 0);
  auto length = redis.command({"XLEN", redis::log_key("doc")});
  REQUIRE(length);
  CHECK(length->integer == 10);
}

TEST_CASE("redis relay: Redis back without its data makes every joined room resync", "[redis]") {
  RedisServer redis;
  start(redis);
  Inbox a1, a2, b1;
  auto a = open_relay(redis);
  auto b = open_relay(redis);
  StoredDocument shared;
  REQUIRE(a->join("r1", a1.deliver(), &shared).ok());
  REQUIRE(a->join("r2", a2.deliver(), &shared).ok());
  REQUIRE(b->join("r1", b1.deliver(), &shared).ok());
  a->publish("r1", {Kind::Update, "x"});
  REQUIRE(wait_until([&] { return b1.size() == 1; }));

  redis.kill_now();
  std::this_thread::sleep_for(300ms);
  bool restarted = redis.start_empty();
  INFO(redis.error());
  REQUIRE(restarted);
  REQUIRE(wait_until([&] { return a1.count(Kind::Resync) == 1 && a2.count(Kind::Resync) == 1 &&
                                  b1.count(Kind::Resync) == 1; },
                     15s));
  auto epoch = redis.command({"GET", std::string(redis::kEpochKey)});
  REQUIRE(epoch);
  CHECK(epoch->type == REDIS_REPLY_STRING);

  // The rooms answer with their state, and the new log carries it.
  a->publish("r1", {Kind::Update, "state of r1"});
  REQUIRE(wait_until([&] { return b1.count(Kind::Update) == 2; }));
  CHECK(b1.payloads(Kind::Update) == std::vector<std::string>{"x", "state of r1"});
  CHECK(a->figures().reconnects > 0);
  CHECK(b->figures().reconnects > 0);
}

TEST_CASE("redis relay: opening fails clearly when Redis is not there or the address is malformed", "[redis]") {
  const int port = conflux::test::free_loopback_port();
  const std::string address = "127.0.0.1:" + std::to_string(port);
  std::shared_ptr<Relay> relay;
  Status st = open_redis_relay(address, &relay);
  CHECK_FALSE(st.ok());
  CHECK_THAT(st.message(), Catch::Contains("cannot reach Redis at " + address));
  CHECK_FALSE(relay);

  for (const char* bad : {"localhost", "localhost:", ":6379", "localhost:http", "localhost:70000", "::1:6379"}) {
    st = open_redis_relay(bad, &relay);
    INFO(bad);
    CHECK_FALSE(st.ok());
    CHECK_THAT(st.message(), Catch::Contains("malformed address"));
  }
}
