// Sets of IDs as per-client clock ranges: the delete set, and state vectors.
#pragma once

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
  void clear() {
    clients_.clear();
    index_.clear();
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
  void reindex();
  std::vector<Entry> clients_;
  std::unordered_map<uint64_t, size_t> index_;
};

using StateVector = std::unordered_map<uint64_t, uint64_t>;

// Encodes a state vector as Yjs does (clients descending).
std::vector<uint8_t> encode_state_vector(const StateVector& sv);
// Decodes a state vector; false on malformed input.
bool decode_state_vector(const uint8_t* data, size_t n, StateVector* out);

}  // namespace conflux
