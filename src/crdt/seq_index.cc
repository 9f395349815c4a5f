// SeqIndex as a counted B+ tree. Leaves hold items in list order with their
// visible lengths; inner nodes hold children with the sum of each child's
// lengths. Each item points at its leaf, so item -> position walks up.
//
// Nodes split when full. Removal drops empty nodes but does not rebalance
// underfull ones: the height stays logarithmic in the number of items ever
// inserted, and a document's items are mostly inserted, rarely removed
// (removal happens when items merge).
#include "seq_index.h"

#include <algorithm>
#include <cstring>
#include <vector>

#include "item.h"

namespace conflux {

namespace {
constexpr int kFanout = 16;
}

struct SeqIndex::Node {
  Node* parent = nullptr;
  bool leaf = true;
  int count = 0;
  // Where this node is in parent->children: every keystroke adds to the sums
  // on its way up, which then needs no search at each level.
  int slot = 0;
  uint64_t lens[kFanout];  // visible length of each item / sum of each child
  union {
    Item* items[kFanout];
    Node* children[kFanout];
  };

  uint64_t sum() const {
    uint64_t s = 0;
    for (int i = 0; i < count; ++i) s += lens[i];
    return s;
  }
  // Children [from, count) moved: tell them their slots.
  void renumber(int from) {
    for (int i = from; i < count; ++i) children[i]->slot = i;
  }
  int slot_of_item(const Item* item) const {
    int i = 0;
    while (items[i] != item) ++i;
    return i;
  }
  // Opens slot `at` (shifting the rest right).
  void open(int at) {
    std::memmove(lens + at + 1, lens + at, sizeof(uint64_t) * size_t(count - at));
    std::memmove(items + at + 1, items + at, sizeof(void*) * size_t(count - at));
    ++count;
  }
  void close(int at) {
    std::memmove(lens + at, lens + at + 1, sizeof(uint64_t) * size_t(count - at - 1));
    std::memmove(items + at, items + at + 1, sizeof(void*) * size_t(count - at - 1));
    --count;
  }
};

SeqIndex::~SeqIndex() {
  // The items may be gone already (the document frees its store wholesale).
  if (root_) free_subtree(root_, false);
}

void SeqIndex::free_subtree(Node* n, bool detach_items) {
  if (n->leaf) {
    if (detach_items) {
      for (int i = 0; i < n->count; ++i) n->items[i]->index_leaf = nullptr;
    }
  } else {
    for (int i = 0; i < n->count; ++i) free_subtree(n->children[i], detach_items);
  }
  delete n;
}

void SeqIndex::add_up(Node* n, int64_t delta) {
  if (delta == 0) return;
  for (Node* p = n->parent; p; n = p, p = p->parent) p->lens[n->slot] += uint64_t(delta);
  total_ += uint64_t(delta);
}

// `n` overflowed: moves its upper half to a new right sibling.
void SeqIndex::split(Node* n) {
  Node* right = new Node();
  right->leaf = n->leaf;
  int half = n->count / 2;
  right->count = n->count - half;
  std::memcpy(right->lens, n->lens + half, sizeof(uint64_t) * size_t(right->count));
  std::memcpy(right->items, n->items + half, sizeof(void*) * size_t(right->count));
  n->count = half;
  if (right->leaf) {
    for (int i = 0; i < right->count; ++i) right->items[i]->index_leaf = right;
  } else {
    for (int i = 0; i < right->count; ++i) right->children[i]->parent = right;
    right->renumber(0);
  }
  uint64_t right_sum = right->sum();
  Node* p = n->parent;
  if (!p) {
    p = new Node();
    p->leaf = false;
    p->count = 1;
    p->children[0] = n;
    p->lens[0] = n->sum() + right_sum;
    n->parent = p;
    n->slot = 0;
    root_ = p;
  }
  int at = n->slot;
  p->lens[at] -= right_sum;
  p->open(at + 1);
  p->children[at + 1] = right;
  p->lens[at + 1] = right_sum;
  right->parent = p;
  p->renumber(at + 1);
  if (p->count == kFanout) split(p);
}

void SeqIndex::insert_after(Item* left, Item* item) {
  flush();
  ++version_;
  Node* leaf;
  int at;
  if (left && left->index_leaf) {
    leaf = static_cast<Node*>(left->index_leaf);
    at = leaf->slot_of_item(left) + 1;
  } else {
    if (!root_) root_ = new Node();
    leaf = root_;
    while (!leaf->leaf) leaf = leaf->children[0];
    at = 0;
  }
  uint64_t len = item->visible_length();
  leaf->open(at);
  leaf->items[at] = item;
  leaf->lens[at] = len;
  item->index_leaf = leaf;
  ++count_;
  add_up(leaf, int64_t(len));
  if (leaf->count == kFanout) split(leaf);
}

void SeqIndex::build(Item* first) {
  flush();
  ++version_;
  // Nodes are filled to three quarters so that the edits that follow a load
  // do not split them at once.
  constexpr int kFill = kFanout * 3 / 4;
  std::vector<Node*> level;
  for (Item* item = first; item; item = item->right) {
    if (level.empty() || level.back()->count == kFill) level.push_back(new Node());
    Node* leaf = level.back();
    uint64_t len = item->visible_length();
    leaf->items[leaf->count] = item;
    leaf->lens[leaf->count++] = len;
    item->index_leaf = leaf;
    ++count_;
    total_ += len;
  }
  if (level.empty()) return;
  while (level.size() > 1) {
    std::vector<Node*> up;
    for (Node* n : level) {
      if (up.empty() || up.back()->count == kFill) {
        up.push_back(new Node());
        up.back()->leaf = false;
      }
      Node* p = up.back();
      n->slot = p->count;
      p->children[p->count] = n;
      p->lens[p->count++] = n->sum();
      n->parent = p;
    }
    level = std::move(up);
  }
  root_ = level.front();
}

// Both pieces sit in one leaf, so the sums above it stay as they were.
void SeqIndex::insert_split(Item* left, Item* right) {
  flush();
  ++version_;
  auto* leaf = static_cast<Node*>(left->index_leaf);
  int at = leaf->slot_of_item(left) + 1;
  leaf->open(at);
  leaf->items[at] = right;
  leaf->lens[at] = right->visible_length();
  leaf->lens[at - 1] = left->visible_length();
  right->index_leaf = leaf;
  ++count_;
  if (leaf->count == kFanout) split(leaf);
}

void SeqIndex::merge_into(Item* left, Item* right) {
  flush();
  ++version_;
  auto* leaf = static_cast<Node*>(left->index_leaf);
  int at = leaf && leaf == right->index_leaf ? leaf->slot_of_item(left) : -1;
  if (at < 0 || at + 1 == leaf->count || leaf->items[at + 1] != right) {
    remove(right);
    update(left);
    return;
  }
  // Neighbours in one leaf: the sums above it do not change.
  leaf->lens[at] += leaf->lens[at + 1];
  leaf->close(at + 1);
  right->index_leaf = nullptr;
  --count_;
}

void SeqIndex::remove(Item* item) {
  flush();
  ++version_;
  auto* n = static_cast<Node*>(item->index_leaf);
  if (!n) return;
  int at = n->slot_of_item(item);
  add_up(n, -int64_t(n->lens[at]));
  n->close(at);
  item->index_leaf = nullptr;
  --count_;
  // Drop nodes left empty, up to (not including) the root.
  while (n->count == 0 && n->parent) {
    Node* p = n->parent;
    int at = n->slot;
    p->close(at);
    p->renumber(at);
    delete n;
    n = p;
  }
  // Shrink a root with a single child.
  while (!root_->leaf && root_->count == 1) {
    Node* only = root_->children[0];
    only->parent = nullptr;
    root_->count = 0;
    delete root_;
    root_ = only;
  }
}

void SeqIndex::update(Item* item) {
  // A length change inside the remembered leaf moves no leaf's start.
  bool keep_finger = finger_ && finger_version_ == version_ && item->index_leaf == finger_;
  ++version_;
  if (keep_finger) finger_version_ = version_;
  auto* n = static_cast<Node*>(item->index_leaf);
  if (!n) return;
  // The same item again (typing): its slot has not moved, since every change
  // that moves slots flushes first.
  int at = item == pending_item_ ? pending_slot_ : n->slot_of_item(item);
  uint64_t len = item->visible_length();
  int64_t delta = int64_t(len) - int64_t(n->lens[at]);
  n->lens[at] = len;
  if (delta == 0) return;
  // Keystrokes change one leaf after another: the sums above it are brought
  // up to date once, when another leaf changes or something reads them.
  total_ += uint64_t(delta);
  if (pending_leaf_ != n) {
    flush();
    pending_leaf_ = n;
  }
  pending_delta_ += delta;
  pending_item_ = item;
  pending_slot_ = at;
  pending_len_ = &n->lens[at];
}

void SeqIndex::flush() const {
  pending_item_ = nullptr;
  if (!pending_leaf_) return;
  Node* n = pending_leaf_;
  for (Node* p = n->parent; p; n = p, p = p->parent) p->lens[n->slot] += uint64_t(pending_delta_);
  pending_leaf_ = nullptr;
  pending_delta_ = 0;
}

uint64_t SeqIndex::total() const { return total_; }

Item* SeqIndex::find(uint64_t pos, uint64_t* offset) const {
  if (!root_ || pos >= total_) return nullptr;
  // Edits cluster: look in the leaf of the last answer first.
  if (finger_version_ == version_ && pos >= finger_start_) {
    const Node* n = finger_;
    uint64_t rel = pos - finger_start_;
    for (int i = 0; i < n->count; ++i) {
      if (rel < n->lens[i]) {
        *offset = rel;
        return n->items[i];
      }
      rel -= n->lens[i];
    }
  }
  flush();
  const uint64_t wanted = pos;
  const Node* n = root_;
  for (;;) {
    int i = 0;
    while (i + 1 < n->count && pos >= n->lens[i]) pos -= n->lens[i++];
    if (n->leaf) {
      uint64_t ahead = 0;  // the leaf's units before slot i
      for (int k = 0; k < i; ++k) ahead += n->lens[k];
      finger_ = n;
      finger_start_ = wanted - pos - ahead;
      finger_version_ = version_;
      *offset = pos;
      return n->items[i];
    }
    n = n->children[i];
  }
}

uint64_t SeqIndex::position_of(const Item* item) const {
  flush();
  auto* n = static_cast<const Node*>(item->index_leaf);
  if (!n) return 0;
  uint64_t pos = 0;
  for (int i = 0, at = n->slot_of_item(item); i < at; ++i) pos += n->lens[i];
  for (const Node* p = n->parent; p; n = p, p = p->parent) {
    for (int i = 0, at = n->slot; i < at; ++i) pos += p->lens[i];
  }
  return pos;
}

void SeqIndex::clear() {
  flush();
  ++version_;
  if (root_) free_subtree(root_, true);
  root_ = nullptr;
  count_ = 0;
  total_ = 0;
}

}  // namespace conflux
