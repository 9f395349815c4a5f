// The server's copy of a room's awareness (presence): one JSON state per Yjs
// client id, with the clock that orders its changes. Follows y-protocols'
// rules so that stock clients and this table agree on who is present.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "conflux/doc.h"

namespace conflux::protocol {

// Which client ids one applied update added, updated or removed.
struct AwarenessChange {
  std::vector<uint64_t> added, updated, removed;
  bool empty() const { return added.empty() && updated.empty() && removed.empty(); }
  // All of them, in the order y-websocket broadcasts them.
  std::vector<uint64_t> all() const;
};

class Awareness {
 public:
  // A client that has not renewed its state for this long is dropped (Yjs's outdatedTimeout).
  static constexpr int64_t kTimeoutMs = 30000;
  // How long the clock of a removed client is remembered.
  static constexpr int64_t kForgetMs = 10 * kTimeoutMs;

  // Applies an encoded awareness update received at `now_ms`. An entry wins
  // when its clock is newer (an unknown client is at clock 0), or equal with
  // a null state for a present client (a removal). Malformed input (truncation, a state that is not JSON) is
  // refused whole and changes nothing.
  Status apply(const uint8_t* data, size_t size, int64_t now_ms, AwarenessChange* change);
  Status apply(const Bytes& update, int64_t now_ms, AwarenessChange* change) {
    return apply(update.data(), update.size(), now_ms, change);
  }
  // Sets one client's state (JSON text, "null" removes) with the next clock,
  // as a client's setLocalState does. Used for clients that speak JSON.
  void set_local(uint64_t client, const std::string& state_json, int64_t now_ms, AwarenessChange* change);

  // Removes the states of these clients (a closed connection), keeping their
  // clocks, so that the encoded removal is accepted by every peer.
  AwarenessChange remove(const std::vector<uint64_t>& clients, int64_t now_ms);
  // Removes states not renewed within kTimeoutMs (and forgets clients removed
  // more than kForgetMs ago).
  AwarenessChange expire(int64_t now_ms);

  // An awareness update (the payload of an awareness message) for these
  // clients: their clocks and states, "null" for removed ones.
  Bytes encode(const std::vector<uint64_t>& clients) const;
  // All present states; empty vector when nobody is present.
  std::vector<uint64_t> present_clients() const;
  size_t present_count() const;
  // The state's JSON text, or nullptr when absent.
  const std::string* state(uint64_t client) const;

 private:
  struct Entry {
    uint64_t clock = 0;
    bool present = false;
    std::string state_json;  // canonical JSON.stringify text when present
    int64_t updated_ms = 0;
  };
  void set(uint64_t client, uint64_t clock, std::string state_json, bool is_null, int64_t now_ms,
           AwarenessChange* change);
  std::map<uint64_t, Entry> entries_;
};

}  // namespace conflux::protocol
