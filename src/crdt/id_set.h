// Sets of IDs as per-client clock ranges: the delete set, and state vectors.
#pragma once

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <unordered_map>
#include <vector>

#include "id.h"

namespace conflux {

class UpdateEncoder;
class UpdateDecoder;

struct ClockRange {
  uint64_t clock = 0;
  uint64_t len = 0;
  uint64_t end() const { return clock + len; }
};

// Client -> clock ranges. Ranges are appended freely and normalized
// (sorted, joined when they touch or overlap) by sort_and_merge().
// Clients stay in the order they were first added: Yjs walks a transaction's
// deletions in that order, and its rich-text cleanup depends on it.
class DeleteSet {
 public:
  using Entry = std::pair<uint64_t, std::vector<ClockRange>>;

  void add(uint64_t client, uint64_t clock, uint64_t len);
  void sort_and_merge();
  // Requires sort_and_merge() since the last add().
  bool contains(ID id) const;
  bool empty() const { return clients_.empty(); }
  // Ranges held, counting each added one until sort_and_merge() joins them.
  size_t range_count() const {
    size_t n = 0;
    for (const auto& entry : clients_) n += entry.second.size();
    return n;
  }
  // Empties the set, keeping its memory for the next use.
  void clear() {
    for (auto& entry : clients_) {
      entry.second.clear();
      spare_ranges_.push_back(std::move(entry.second));
    }
    clients_.clear();
    // Clearing an unordered map wipes all its buckets even when it is empty;
    // this runs once per transaction.
    if (!index_.empty()) index_.clear();
  }
  void merge_from(const DeleteSet& other);

  const std::vector<Entry>& clients() const { return clients_; }
  std::vector<Entry>& clients() { return clients_; }
  // The ranges of a client, created empty when missing.
  std::vector<ClockRange>& ranges_of(uint64_t client);
  const std::vector<ClockRange>* find(uint64_t client) const;
  // Client ids in the order Yjs writes them (descending).
  std::vector<uint64_t> sorted_clients() const;

  // Writes the delete set (clients descending; ranges in stored order).
  void write(UpdateEncoder& enc) const;
  // Reads a delete set; false on malformed input.
  static bool read(UpdateDecoder& dec, DeleteSet* out);

 private:
  // Index into clients_, built once there are many clients (usually one or two).
  static constexpr size_t kLinearLimit = 8;
  void write_clients(UpdateEncoder& enc, const uint64_t* ids, size_t n) const;
  void reindex();
  std::vector<Entry> clients_;
  std::unordered_map<uint64_t, size_t> index_;
  std::vector<std::vector<ClockRange>> spare_ranges_;
};

// Client -> next expected clock, as a vector sorted by client: documents
// have few clients, and a transaction takes two of these.
class StateVector {
 public:
  using Entry = std::pair<uint64_t, uint64_t>;
  using iterator = std::vector<Entry>::iterator;
  using const_iterator = std::vector<Entry>::const_iterator;

  iterator begin() { return entries_.begin(); }
  iterator end() { return entries_.end(); }
  const_iterator begin() const { return entries_.begin(); }
  const_iterator end() const { return entries_.end(); }
  size_t size() const { return entries_.size(); }
  bool empty() const { return entries_.empty(); }
  void clear() { entries_.clear(); }
  void reserve(size_t n) { entries_.reserve(n); }

  const_iterator find(uint64_t client) const {
    auto it = lower_bound(client);
    return it != entries_.end() && it->first == client ? it : entries_.end();
  }
  iterator find(uint64_t client) {
    auto it = lower_bound(client);
    return it != entries_.end() && it->first == client ? it : entries_.end();
  }
  uint64_t& operator[](uint64_t client) {
    auto it = lower_bound(client);
    if (it == entries_.end() || it->first != client) it = entries_.insert(it, Entry{client, 0});
    return it->second;
  }
  // Adds entries in any order; call sort() before any lookup.
  void append_unsorted(uint64_t client, uint64_t clock) { entries_.emplace_back(client, clock); }
  // Sorts by client; of entries with the same client the last added wins.
  void sort();

 private:
  const_iterator lower_bound(uint64_t client) const {
    return std::lower_bound(entries_.begin(), entries_.end(), client,
                            [](const Entry& e, uint64_t c) { return e.first < c; });
  }
  iterator lower_bound(uint64_t client) {
    return std::lower_bound(entries_.begin(), entries_.end(), client,
                            [](const Entry& e, uint64_t c) { return e.first < c; });
  }
  std::vector<Entry> entries_;
};

// Encodes a state vector as Yjs does (clients descending).
std::vector<uint8_t> encode_state_vector(const StateVector& sv);
// Decodes a state vector; false on malformed input.
bool decode_state_vector(const uint8_t* data, size_t n, StateVector* out);

}  // namespace conflux
