// The Redis relay's tuning knobs, for tests and for callers inside the
// project. The public open_redis_relay (conflux/relay.h) uses the defaults.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>

#include "conflux/relay.h"

namespace conflux {

struct RedisRelayOptions {
  // Log entries after a room's snapshot before a node is asked to compact it.
  uint64_t compact_threshold = 1000;
  // Compaction trims only entries older than this (by stream-id time), so a
  // node lagging a little behind never misses trimmed entries.
  std::chrono::milliseconds compact_safety_window{60'000};
  // How long one node may hold a room's compaction before another may try.
  std::chrono::milliseconds compact_lock_ttl{10'000};
  // Awareness and chat entries kept per room (approximately).
  uint64_t ephemeral_max_len = 1000;

  std::chrono::milliseconds connect_timeout{500};
  std::chrono::milliseconds io_timeout{3000};
  // How long one XREAD waits for news: bounds how late a newly joined room
  // starts being read, and how long shutdown takes.
  std::chrono::milliseconds read_block{100};
  // Reconnect backoff, doubling from min to max.
  std::chrono::milliseconds retry_min{100};
  std::chrono::milliseconds retry_max{1000};
};

Status open_redis_relay(const std::string& host_port, const RedisRelayOptions& options,
                        std::shared_ptr<Relay>* out);

}  // namespace conflux
