// BlockList: one client's structs in clock order.
//
// Lookups are binary searches by clock; edits insert split-off structs and
// erase merged ones anywhere in the list, wherever the edited text was
// written. One flat array would move half the list for each of those, so
// the list is cut into chunks of at most kChunkSize structs: an insert or
// erase moves only inside its chunk (and bumps the start index of the chunks
// after it). Access by index remembers the chunk it landed in, since lookups
// come in runs around one place.
#pragma once

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <span>
#include <vector>

namespace conflux {

struct Item;

class BlockList {
 public:
  static constexpr size_t kChunkSize = 512;

  size_t size() const { return size_; }
  bool empty() const { return size_ == 0; }

  Item* operator[](size_t i) const {
    size_t c = chunk_of(i);
    return chunks_[c][i - starts_[c]];
  }
  Item*& operator[](size_t i) {
    size_t c = chunk_of(i);
    return chunks_[c][i - starts_[c]];
  }
  Item* front() const { return chunks_.front().front(); }
  Item* back() const { return chunks_.back().back(); }

  void push_back(Item* item) {
    if (chunks_.empty() || chunks_.back().size() == kChunkSize) add_chunk_at_end();
    reserve_room(chunks_.back(), 1);
    chunks_.back().push_back(item);
    ++size_;
  }

  // Inserts `item` so that it becomes element `i`.
  void insert(size_t i, Item* item) {
    if (i == size_) return push_back(item);
    size_t c = chunk_of(i);
    if (chunks_[c].size() == kChunkSize) {
      make_room(c);
      c = chunk_of(i);
    }
    std::vector<Item*>& chunk = chunks_[c];
    reserve_room(chunk, 1);
    chunk.insert(chunk.begin() + ptrdiff_t(i - starts_[c]), item);
    ++size_;
    for (size_t k = c + 1; k < starts_.size(); ++k) ++starts_[k];
  }

  // Removes elements [first, last).
  void erase(size_t first, size_t last) {
    while (first < last) {
      size_t c = chunk_of(first);
      std::vector<Item*>& chunk = chunks_[c];
      size_t from = first - starts_[c];
      size_t n = std::min(last - first, chunk.size() - from);
      chunk.erase(chunk.begin() + ptrdiff_t(from), chunk.begin() + ptrdiff_t(from + n));
      size_ -= n;
      last -= n;
      for (size_t k = c + 1; k < starts_.size(); ++k) starts_[k] -= uint32_t(n);
      if (chunk.empty()) drop_chunk(c);
      else if (chunk.size() < kChunkSize / 4) join_small_chunk(c);
      else release_slack(chunk);
    }
  }

  // The chunks, for searches that go by chunk first (see find_block_index).
  size_t chunk_count() const { return chunks_.size(); }
  std::span<Item* const> chunk(size_t c) const { return chunks_[c]; }
  size_t chunk_start(size_t c) const { return starts_[c]; }
  // The chunk the last access landed in: where the next lookup starts.
  size_t recent_chunk() const { return recent_; }
  void set_recent_chunk(size_t c) const { recent_ = c; }

 private:
  // The chunk holding element `i` (< size()).
  size_t chunk_of(size_t i) const {
    size_t c = recent_;
    if (c < chunks_.size() && i - starts_[c] < chunks_[c].size()) return c;
    c = size_t(std::upper_bound(starts_.begin(), starts_.end(), uint32_t(i)) - starts_.begin()) - 1;
    recent_ = c;
    return c;
  }
  // Chunks grow by at most kGrowth slots at a time and give back a larger
  // surplus: the list holds a slot per struct of the document, and vectors
  // that double would leave a quarter of it empty.
  static constexpr size_t kGrowth = 32;
  static void reserve_room(std::vector<Item*>& chunk, size_t n) {
    size_t need = chunk.size() + n;
    if (need <= chunk.capacity()) return;
    chunk.reserve(std::min(kChunkSize, std::max(need, chunk.size() + std::clamp<size_t>(chunk.size(), 4, kGrowth))));
  }
  static void release_slack(std::vector<Item*>& chunk) {
    if (chunk.capacity() - chunk.size() > 2 * kGrowth) chunk.shrink_to_fit();
  }

  void add_chunk_at_end() {
    starts_.push_back(uint32_t(size_));
    chunks_.emplace_back();
  }
  // Full chunk `c` gives half its surplus over a neighbour with room to
  // that neighbour, or, when both are nearly full, its upper half to a new
  // chunk. Evening out first keeps chunks nearly full: a scattered edit
  // pattern would otherwise leave most chunks split once and half empty.
  void make_room(size_t c) {
    constexpr size_t kRoomy = kChunkSize - kChunkSize / 8;
    if (c + 1 < chunks_.size() && chunks_[c + 1].size() < kRoomy) {
      std::vector<Item*>& from = chunks_[c];
      std::vector<Item*>& to = chunks_[c + 1];
      size_t n = (from.size() - to.size()) / 2;
      reserve_room(to, n);
      to.insert(to.begin(), from.end() - ptrdiff_t(n), from.end());
      from.resize(from.size() - n);
      release_slack(from);
      starts_[c + 1] -= uint32_t(n);
    } else if (c > 0 && chunks_[c - 1].size() < kRoomy) {
      std::vector<Item*>& from = chunks_[c];
      std::vector<Item*>& to = chunks_[c - 1];
      size_t n = (from.size() - to.size()) / 2;
      reserve_room(to, n);
      to.insert(to.end(), from.begin(), from.begin() + ptrdiff_t(n));
      from.erase(from.begin(), from.begin() + ptrdiff_t(n));
      release_slack(from);
      starts_[c] += uint32_t(n);
    } else {
      split_chunk(c);
    }
  }
  // Moves the upper half of full chunk `c` into a new chunk after it.
  void split_chunk(size_t c) {
    std::vector<Item*>& full = chunks_[c];
    std::vector<Item*> upper(full.begin() + kChunkSize / 2, full.end());
    full.resize(kChunkSize / 2);
    release_slack(full);
    chunks_.insert(chunks_.begin() + ptrdiff_t(c + 1), std::move(upper));
    starts_.insert(starts_.begin() + ptrdiff_t(c + 1), uint32_t(starts_[c] + kChunkSize / 2));
  }
  // Chunk `c`, grown small, joins a neighbour that has room for it.
  void join_small_chunk(size_t c) {
    constexpr size_t kJoined = kChunkSize - kChunkSize / 4;
    size_t n = chunks_[c].size();
    if (c > 0 && chunks_[c - 1].size() + n <= kJoined) {
      std::vector<Item*>& to = chunks_[c - 1];
      reserve_room(to, n);
      to.insert(to.end(), chunks_[c].begin(), chunks_[c].end());
      drop_chunk(c);
    } else if (c + 1 < chunks_.size() && chunks_[c + 1].size() + n <= kJoined) {
      std::vector<Item*>& to = chunks_[c + 1];
      reserve_room(to, n);
      to.insert(to.begin(), chunks_[c].begin(), chunks_[c].end());
      starts_[c + 1] = starts_[c];
      drop_chunk(c);
    } else {
      release_slack(chunks_[c]);
    }
  }
  void drop_chunk(size_t c) {
    chunks_.erase(chunks_.begin() + ptrdiff_t(c));
    starts_.erase(starts_.begin() + ptrdiff_t(c));
    recent_ = 0;
  }

  std::vector<std::vector<Item*>> chunks_;  // none empty
  std::vector<uint32_t> starts_;            // index of each chunk's first element
  size_t size_ = 0;
  mutable size_t recent_ = 0;
};

}  // namespace conflux
