// SeqIndex: an order-statistics index over the items of one sequence.
//
// A type's items form a doubly linked list (Item::left/right), which is what
// YATA integration walks. Hosts, though, address a sequence by visible position
// (UTF-16 units for text, elements for arrays), and a long document must not
// cost a scan per edit. SeqIndex mirrors the list order in a B+ tree whose
// nodes carry the sum of their items' visible lengths, so position -> item and
// item -> position are O(log n).
//
// The list stays the source of truth; every change of list membership or of an
// item's visible length is reported here by the engine. Only items with
// visible units are indexed: a deleted item leaves the index (in a typical
// document half the items are deleted runs, which positions never land in).
#pragma once

#include <cstddef>
#include <cstdint>

#include "item.h"

namespace conflux {

class SeqIndex {
 public:
  SeqIndex() = default;
  SeqIndex(const SeqIndex&) = delete;
  SeqIndex& operator=(const SeqIndex&) = delete;
  ~SeqIndex();

  // `item` was linked into the list directly after `left` (null: at the
  // front). Items without visible units are not indexed.
  void insert_after(Item* left, Item* item);
  // `left` was cut in two and `right`, its tail, linked directly after it;
  // `left` is in the index with its length from before the cut.
  void insert_split(Item* left, Item* right);
  // `right`, directly after `left` in the list, was appended to `left` and
  // unlinked; `left`'s length is already the sum of both.
  void merge_into(Item* left, Item* right);
  // Indexes the list that starts at `first` (walking Item::right) in one
  // pass; the index must be empty. Loading a document builds it this way
  // rather than by one insert per item.
  void build(Item* first);
  // `item` was unlinked from the list.
  void remove(Item* item);
  // `item`'s visible_length() changed; at 0 it leaves the index.
  void update(Item* item);
  // `item`'s visible length grew by `n`: update() made cheap for the item
  // that changed last (typing), whose slot is remembered.
  void grow(Item* item, uint64_t n) {
    if (item != pending_item_) return update(item);
    bool keep_finger = finger_version_ == version_ && item->index_leaf == finger_;
    ++version_;
    if (keep_finger) finger_version_ = version_;
    *pending_len_ += uint32_t(n);
    pending_delta_ += int64_t(n);
    total_ += n;
  }
  // Sum of visible lengths.
  uint64_t total() const;
  // The item whose visible range contains `pos` (pos < total()); stores the
  // offset of `pos` inside it. nullptr when pos >= total().
  Item* find(uint64_t pos, uint64_t* offset) const;
  // Visible units before `item`.
  uint64_t position_of(const Item* item) const;
  // Drops everything (the items are not touched except their index slot).
  void clear();
  size_t size() const { return count_; }
  // Bytes of all nodes: how tightly the items are packed.
  size_t node_bytes() const;
  // Changes with every change above: a position remembered together with
  // the version it was seen at still holds while the version is the same.
  uint64_t version() const { return version_; }

 private:
  struct Node;
  struct Leaf;
  struct Inner;
  Leaf* first_leaf();
  void free_subtree(Node* n, bool detach_items);
  static size_t subtree_bytes(const Node* n);
  void add_up(Node* n, int64_t delta);
  void make_room(Leaf* n, int at);
  void split(Node* n);
  void join(Leaf* n);
  // Adds the pending change of one leaf to the sums above it.
  void flush() const;

  Node* root_ = nullptr;
  size_t count_ = 0;
  uint64_t total_ = 0;
  uint64_t version_ = 0;
  // The leaf of the last find() and the position its first item starts at,
  // valid while version_ is finger_version_ (update() keeps it when the
  // change is inside that leaf).
  mutable const Leaf* finger_ = nullptr;
  mutable uint64_t finger_start_ = 0;
  mutable uint64_t finger_version_ = ~uint64_t{0};
  // A change of pending_leaf_'s sum not yet added to its ancestors (total_
  // has it); everything that reads the sums above leaves flushes it first.
  mutable Leaf* pending_leaf_ = nullptr;
  mutable int64_t pending_delta_ = 0;
  // The item update() changed last and its slot in pending_leaf_.
  mutable const Item* pending_item_ = nullptr;
  mutable int pending_slot_ = 0;
  mutable uint32_t* pending_len_ = nullptr;  // pending_item_'s length in its leaf
};

}  // namespace conflux
