#include "id_set.h"

#include <algorithm>

#include "lib0.h"
#include "update_codec.h"

namespace conflux {

const std::vector<ClockRange>* DeleteSet::find(uint64_t client) const {
  if (clients_.size() <= kLinearLimit) {
    for (const auto& [c, ranges] : clients_)
      if (c == client) return &ranges;
    return nullptr;
  }
  auto it = index_.find(client);
  return it == index_.end() ? nullptr : &clients_[it->second].second;
}

std::vector<ClockRange>& DeleteSet::ranges_of(uint64_t client) {
  if (auto* found = find(client)) return *const_cast<std::vector<ClockRange>*>(found);
  if (spare_ranges_.empty()) {
    clients_.emplace_back(client, std::vector<ClockRange>{});
  } else {
    clients_.emplace_back(client, std::move(spare_ranges_.back()));
    spare_ranges_.pop_back();
  }
  if (clients_.size() > kLinearLimit) {
    if (index_.empty()) reindex();
    else index_.emplace(client, clients_.size() - 1);
  }
  return clients_.back().second;
}

void DeleteSet::reindex() {
  index_.clear();
  if (clients_.size() <= kLinearLimit) return;
  for (size_t i = 0; i < clients_.size(); ++i) index_.emplace(clients_[i].first, i);
}

void DeleteSet::add(uint64_t client, uint64_t clock, uint64_t len) {
  if (len == 0) return;
  ranges_of(client).push_back(ClockRange{clock, len});
}

void DeleteSet::sort_and_merge() {
  bool erased = false;
  for (auto it = clients_.begin(); it != clients_.end();) {
    auto& ranges = it->second;
    auto by_clock = [](const ClockRange& a, const ClockRange& b) { return a.clock < b.clock; };
    // Deletions often arrive in clock order already (a load, a forward delete).
    if (!std::is_sorted(ranges.begin(), ranges.end(), by_clock)) std::sort(ranges.begin(), ranges.end(), by_clock);
    size_t j = 0;
    for (size_t i = 1; i < ranges.size(); ++i) {
      ClockRange& last = ranges[j];
      const ClockRange& cur = ranges[i];
      if (last.end() >= cur.clock) {
        last.len = std::max(last.end(), cur.end()) - last.clock;
      } else {
        ranges[++j] = cur;
      }
    }
    if (!ranges.empty()) ranges.resize(j + 1);
    if (ranges.empty()) {
      it = clients_.erase(it);
      erased = true;
    } else {
      ++it;
    }
  }
  if (erased) reindex();
}

bool DeleteSet::contains(ID id) const {
  const auto* found = find(id.client);
  if (!found) return false;
  const auto& ranges = *found;
  auto r = std::upper_bound(ranges.begin(), ranges.end(), id.clock,
                            [](uint64_t clock, const ClockRange& range) { return clock < range.clock; });
  if (r == ranges.begin()) return false;
  --r;
  return id.clock < r->end();
}

void DeleteSet::merge_from(const DeleteSet& other) {
  for (const auto& [client, ranges] : other.clients_) {
    auto& mine = ranges_of(client);
    mine.insert(mine.end(), ranges.begin(), ranges.end());
  }
}

std::vector<uint64_t> DeleteSet::sorted_clients() const {
  std::vector<uint64_t> ids;
  ids.reserve(clients_.size());
  for (const auto& [client, ranges] : clients_) ids.push_back(client);
  std::sort(ids.begin(), ids.end(), std::greater<>());
  return ids;
}

void DeleteSet::write(UpdateEncoder& enc) const {
  if (clients_.size() <= 1) return write_clients(enc, clients_.empty() ? nullptr : &clients_[0].first, clients_.size());
  std::vector<uint64_t> ids = sorted_clients();
  write_clients(enc, ids.data(), ids.size());
}

void DeleteSet::write_clients(UpdateEncoder& enc, const uint64_t* ids, size_t n) const {
  enc.rest().write_var_uint(n);
  for (size_t i = 0; i < n; ++i) {
    uint64_t client = ids[i];
    const auto& ranges = *find(client);
    enc.reset_ds_cur_val();
    enc.rest().write_repeated_var_uint(client);
    enc.rest().write_var_uint(ranges.size());
    for (const ClockRange& r : ranges) {
      enc.write_ds_clock(r.clock);
      enc.write_ds_len(r.len);
    }
  }
}

bool DeleteSet::read(UpdateDecoder& dec, DeleteSet* out) {
  lib0::Reader& rest = dec.rest();
  uint64_t n = rest.read_var_uint();
  // Every client entry takes at least two bytes.
  if (!rest.ok() || n > rest.remaining()) return false;
  for (uint64_t i = 0; i < n; ++i) {
    dec.reset_ds_cur_val();
    uint64_t client = rest.read_var_uint();
    uint64_t count = rest.read_var_uint();
    if (!dec.ok() || count > rest.remaining() + 1) return false;
    for (uint64_t j = 0; j < count; ++j) {
      uint64_t clock = dec.read_ds_clock();
      uint64_t len = dec.read_ds_len();
      if (!dec.ok()) return false;
      if (clock > lib0::kMaxSafeInteger || len > lib0::kMaxSafeInteger - clock) return false;
      out->add(client, clock, len);
    }
  }
  return dec.ok();
}

void StateVector::sort() {
  if (entries_.size() < 2) return;
  if (entries_.size() <= 16) {
    // Insertion sort: stable, and no scratch memory for the usual handful of clients.
    for (size_t i = 1; i < entries_.size(); ++i) {
      Entry e = entries_[i];
      size_t j = i;
      for (; j > 0 && entries_[j - 1].first > e.first; --j) entries_[j] = entries_[j - 1];
      entries_[j] = e;
    }
  } else {
    std::stable_sort(entries_.begin(), entries_.end(), [](const Entry& a, const Entry& b) { return a.first < b.first; });
  }
  size_t j = 0;
  for (size_t i = 0; i < entries_.size(); ++i) {
    if (j > 0 && entries_[j - 1].first == entries_[i].first) entries_[j - 1] = entries_[i];
    else entries_[j++] = entries_[i];
  }
  entries_.resize(j);
}

std::vector<uint8_t> encode_state_vector(const StateVector& sv) {
  std::vector<std::pair<uint64_t, uint64_t>> entries(sv.begin(), sv.end());
  std::sort(entries.begin(), entries.end(), [](const auto& a, const auto& b) { return a.first > b.first; });
  lib0::Writer w;
  w.write_var_uint(entries.size());
  for (const auto& [client, clock] : entries) {
    w.write_var_uint(client);
    w.write_var_uint(clock);
  }
  return w.take();
}

bool decode_state_vector(const uint8_t* data, size_t n, StateVector* out) {
  lib0::Reader r(data, n);
  uint64_t count = r.read_var_uint();
  if (!r.ok() || count > r.remaining()) return false;
  for (uint64_t i = 0; i < count; ++i) {
    uint64_t client = r.read_var_uint();
    uint64_t clock = r.read_var_uint();
    if (!r.ok()) return false;
    out->append_unsorted(client, clock);
  }
  out->sort();
  return r.ok();
}

}  // namespace conflux
