#include "awareness.h"

#include "conflux/any.h"
#include "lib0.h"

namespace conflux::protocol {

std::vector<uint64_t> AwarenessChange::all() const {
  std::vector<uint64_t> out(added);
  out.insert(out.end(), updated.begin(), updated.end());
  out.insert(out.end(), removed.begin(), removed.end());
  return out;
}

void Awareness::set(uint64_t client, uint64_t clock, std::string state_json, bool is_null, int64_t now_ms,
                    AwarenessChange* change) {
  auto [it, inserted] = entries_.try_emplace(client);
  Entry& e = it->second;
  bool was_known = !inserted;
  e.clock = clock;
  e.updated_ms = now_ms;
  if (is_null) {
    e.present = false;
    e.state_json.clear();
    if (was_known) change->removed.push_back(client);
  } else {
    e.present = true;
    e.state_json = std::move(state_json);
    (was_known ? change->updated : change->added).push_back(client);
  }
}

Status Awareness::apply(const uint8_t* data, size_t size, int64_t now_ms, AwarenessChange* change) {
  struct Incoming {
    uint64_t client, clock;
    std::string json;
    bool is_null;
  };
  std::vector<Incoming> incoming;
  lib0::Reader r(data, size);
  uint64_t count = r.read_var_uint();
  // Each entry takes at least three bytes, which bounds a hostile count.
  if (r.ok() && count > r.remaining() / 3 + 1) return Status::error("awareness update: entry count past the end");
  for (uint64_t i = 0; i < count && r.ok(); ++i) {
    Incoming in;
    in.client = r.read_var_uint();
    in.clock = r.read_var_uint();
    std::string text = r.read_var_string();
    if (!r.ok()) break;
    Any state;
    if (!Any::from_json(text, &state)) return Status::error("awareness update: a state is not JSON");
    in.is_null = state.is_null();
    // Stored as JSON.stringify(JSON.parse(text)), as a Yjs peer would re-encode it.
    if (!in.is_null) in.json = state.to_json();
    incoming.push_back(std::move(in));
  }
  if (!r.ok()) return Status::error(std::string("awareness update: ") + r.error());

  for (Incoming& in : incoming) {
    // An unknown client counts as clock 0, as in y-protocols: a client's
    // initial state (clock 0) is never taken up by others.
    auto it = entries_.find(in.client);
    bool known = it != entries_.end();
    uint64_t current = known ? it->second.clock : 0;
    bool newer = current < in.clock;
    bool removal = known && current == in.clock && in.is_null && it->second.present;
    if (newer || removal) set(in.client, in.clock, std::move(in.json), in.is_null, now_ms, change);
  }
  return Status();
}

void Awareness::set_local(uint64_t client, const std::string& state_json, int64_t now_ms,
                          AwarenessChange* change) {
  auto it = entries_.find(client);
  // Starts at 1: peers ignore a clock-0 state from a client they do not know.
  uint64_t clock = it == entries_.end() ? 1 : it->second.clock + 1;
  bool is_null = state_json == "null";
  if (is_null && (it == entries_.end() || !it->second.present)) return;
  set(client, clock, state_json, is_null, now_ms, change);
}

AwarenessChange Awareness::remove(const std::vector<uint64_t>& clients, int64_t now_ms) {
  AwarenessChange change;
  for (uint64_t client : clients) {
    auto it = entries_.find(client);
    if (it == entries_.end() || !it->second.present) continue;
    set(client, it->second.clock, {}, true, now_ms, &change);
  }
  return change;
}

AwarenessChange Awareness::expire(int64_t now_ms) {
  std::vector<uint64_t> stale;
  for (auto it = entries_.begin(); it != entries_.end();) {
    const Entry& e = it->second;
    if (e.present && now_ms - e.updated_ms >= kTimeoutMs) stale.push_back(it->first);
    // Clocks of long-gone clients only guard against stale replays; forgetting
    // them after a while keeps a busy room's table from growing without bound.
    if (!e.present && now_ms - e.updated_ms >= kForgetMs) it = entries_.erase(it);
    else ++it;
  }
  return remove(stale, now_ms);
}

Bytes Awareness::encode(const std::vector<uint64_t>& clients) const {
  lib0::Writer w;
  size_t count = 0;
  for (uint64_t c : clients) count += entries_.count(c);
  w.write_var_uint(count);
  for (uint64_t c : clients) {
    auto it = entries_.find(c);
    if (it == entries_.end()) continue;
    w.write_var_uint(c);
    w.write_var_uint(it->second.clock);
    w.write_var_string(it->second.present ? std::string_view(it->second.state_json) : std::string_view("null"));
  }
  return w.take();
}

std::vector<uint64_t> Awareness::present_clients() const {
  std::vector<uint64_t> out;
  for (const auto& [client, e] : entries_)
    if (e.present) out.push_back(client);
  return out;
}

size_t Awareness::present_count() const {
  size_t n = 0;
  for (const auto& [client, e] : entries_) n += e.present;
  return n;
}

const std::string* Awareness::state(uint64_t client) const {
  auto it = entries_.find(client);
  return it == entries_.end() || !it->second.present ? nullptr : &it->second.state_json;
}

}  // namespace conflux::protocol
