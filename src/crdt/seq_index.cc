// SeqIndex as a counted B+ tree. Leaves hold items in list order with their
// visible lengths; inner nodes hold children with the sum of each child's
// lengths. Each item points at its leaf, so item -> position walks up.
//
// Leaves are most of the index's memory, so they are kept full: a full leaf
// hands items to a neighbour with room before it splits, a leaf that a removal
// leaves small joins a neighbour, and build() packs them. Inner nodes split
// when full and are dropped when empty, but are not rebalanced: there is one
// for every ten or more leaves.
#include "seq_index.h"

#include <cstring>
#include <vector>

#include "item.h"

namespace conflux {

namespace {
constexpr int kFanout = 16;
// A leaf left with this many items or fewer joins a neighbour with room.
constexpr int kJoinAt = kFanout / 4;

// Leaves and inner nodes both keep `count` entries in `entries()` with their
// lengths in `lens`; these move them.

// Opens slot `at` of `n` (shifting the rest right).
template <class NodeT>
void open_slot(NodeT* n, int at) {
  std::memmove(n->lens + at + 1, n->lens + at, sizeof(n->lens[0]) * size_t(n->count - at));
  std::memmove(n->entries() + at + 1, n->entries() + at, sizeof(void*) * size_t(n->count - at));
  ++n->count;
}

template <class NodeT>
void close_slot(NodeT* n, int at) {
  std::memmove(n->lens + at, n->lens + at + 1, sizeof(n->lens[0]) * size_t(n->count - at - 1));
  std::memmove(n->entries() + at, n->entries() + at + 1, sizeof(void*) * size_t(n->count - at - 1));
  --n->count;
}

// Moves `k` entries of `from`, starting at `first`, to slot `at` of `to` and
// returns their length. Pointing the entries at `to` is the caller's part.
template <class NodeT>
uint64_t move_entries(NodeT* from, int first, int k, NodeT* to, int at) {
  // A memmove call costs even when empty, and most moves have an empty side.
  if (int after = to->count - at; after > 0) {
    std::memmove(to->lens + at + k, to->lens + at, sizeof(to->lens[0]) * size_t(after));
    std::memmove(to->entries() + at + k, to->entries() + at, sizeof(void*) * size_t(after));
  }
  std::memcpy(to->lens + at, from->lens + first, sizeof(to->lens[0]) * size_t(k));
  std::memcpy(to->entries() + at, from->entries() + first, sizeof(void*) * size_t(k));
  to->count += k;
  if (int rest = from->count - first - k; rest > 0) {
    std::memmove(from->lens + first, from->lens + first + k, sizeof(from->lens[0]) * size_t(rest));
    std::memmove(from->entries() + first, from->entries() + first + k, sizeof(void*) * size_t(rest));
  }
  from->count -= k;
  uint64_t moved = 0;
  for (int i = at; i < at + k; ++i) moved += to->lens[i];
  return moved;
}
}  // namespace

struct SeqIndex::Node {
  Inner* parent = nullptr;
  int count = 0;
  // Where this node is in parent->children: every keystroke adds to the sums
  // on its way up, which then needs no search at each level.
  int16_t slot = 0;
  const bool leaf;
  explicit Node(bool is_leaf) : leaf(is_leaf) {}
};

struct SeqIndex::Leaf : Node {
  // Each item's visible length, which is at most its length: 32 bits, as
  // Item::length (clocks stop at 2^32 - 1). The sums above have 64.
  uint32_t lens[kFanout];
  Item* items[kFanout];

  Leaf() : Node(true) {}
  Item** entries() { return items; }
  int slot_of_item(const Item* item) const {
    int i = 0;
    while (items[i] != item) ++i;
    return i;
  }
  // Items [first, end) came here.
  void own(int first, int end) {
    for (int i = first; i < end; ++i) items[i]->index_leaf = this;
  }
};

struct SeqIndex::Inner : Node {
  uint64_t lens[kFanout];  // the sum of each child's lengths
  Node* children[kFanout];

  Inner() : Node(false) {}
  Node** entries() { return children; }
  // Children [first, count) came here or moved: tell them their place.
  void own(int first) {
    for (int i = first; i < count; ++i) {
      children[i]->parent = this;
      children[i]->slot = int16_t(i);
    }
  }
};

namespace {
template <class NodeT>
uint64_t sum_of(const NodeT* n) {
  uint64_t s = 0;
  for (int i = 0; i < n->count; ++i) s += n->lens[i];
  return s;
}
}  // namespace

SeqIndex::~SeqIndex() {
  // The items may be gone already (the document frees its store wholesale).
  if (root_) free_subtree(root_, false);
}

void SeqIndex::free_subtree(Node* n, bool detach_items) {
  if (n->leaf) {
    auto* leaf = static_cast<Leaf*>(n);
    if (detach_items) {
      for (int i = 0; i < leaf->count; ++i) leaf->items[i]->index_leaf = nullptr;
    }
    delete leaf;
  } else {
    auto* inner = static_cast<Inner*>(n);
    for (int i = 0; i < inner->count; ++i) free_subtree(inner->children[i], detach_items);
    delete inner;
  }
}

size_t SeqIndex::node_bytes() const { return root_ ? subtree_bytes(root_) : 0; }

size_t SeqIndex::subtree_bytes(const Node* n) {
  if (n->leaf) return sizeof(Leaf);
  auto* inner = static_cast<const Inner*>(n);
  size_t bytes = sizeof(Inner);
  for (int i = 0; i < inner->count; ++i) bytes += subtree_bytes(inner->children[i]);
  return bytes;
}

SeqIndex::Leaf* SeqIndex::first_leaf() {
  if (!root_) root_ = new Leaf();
  Node* n = root_;
  while (!n->leaf) n = static_cast<Inner*>(n)->children[0];
  return static_cast<Leaf*>(n);
}

void SeqIndex::add_up(Node* n, int64_t delta) {
  if (delta == 0) return;
  for (Inner* p = n->parent; p; n = p, p = p->parent) p->lens[n->slot] += uint64_t(delta);
  total_ += uint64_t(delta);
}

// `n` is full and an item is to go after its slot `at` - 1: moves items to
// the neighbour (under the same parent) with fewer, evening the two out, or
// splits `n` when that cannot make room where the item goes.
void SeqIndex::make_room(Leaf* n, int at) {
  if (Inner* p = n->parent) {
    Leaf* left = n->slot > 0 ? static_cast<Leaf*>(p->children[n->slot - 1]) : nullptr;
    Leaf* right = n->slot + 1 < p->count ? static_cast<Leaf*>(p->children[n->slot + 1]) : nullptr;
    Leaf* to = left && (!right || left->count <= right->count) ? left : right;
    if (to) {
      int k = (kFanout - to->count + 1) / 2;
      // The item follows its left neighbour: into `to` when that moves too,
      // and then `to` must keep a free slot.
      bool item_moves = to == left ? at <= k : at > kFanout - k;
      if (item_moves && to->count + k == kFanout) --k;
      if (k > 0) {
        uint64_t moved;
        if (to == left) {
          int first = to->count;
          moved = move_entries(n, 0, k, to, first);
          to->own(first, to->count);
        } else {
          moved = move_entries(n, n->count - k, k, to, 0);
          to->own(0, k);
        }
        p->lens[n->slot] -= moved;
        p->lens[to->slot] += moved;
        return;
      }
    }
  }
  split(n);
}

// `n` is full: moves its upper half to a new right sibling, first splitting
// the parent when it has no room for one more child.
void SeqIndex::split(Node* n) {
  Inner* p = n->parent;
  if (!p) {
    p = new Inner();
    p->count = 1;
    p->children[0] = n;
    p->lens[0] = n->leaf ? sum_of(static_cast<Leaf*>(n)) : sum_of(static_cast<Inner*>(n));
    n->parent = p;
    n->slot = 0;
    root_ = p;
  } else if (p->count == kFanout) {
    split(p);
    p = n->parent;
  }
  int half = n->count / 2;
  Node* right;
  uint64_t moved;
  if (n->leaf) {
    auto* leaf = new Leaf();
    moved = move_entries(static_cast<Leaf*>(n), half, n->count - half, leaf, 0);
    leaf->own(0, leaf->count);
    right = leaf;
  } else {
    auto* inner = new Inner();
    moved = move_entries(static_cast<Inner*>(n), half, n->count - half, inner, 0);
    inner->own(0);
    right = inner;
  }
  int at = n->slot;
  p->lens[at] -= moved;
  open_slot(p, at + 1);
  p->children[at + 1] = right;
  p->lens[at + 1] = moved;
  p->own(at + 1);
}

// `n` has few items left: they move into a neighbour (under the same parent)
// with room for them and `n` is dropped. An empty leaf without neighbours is
// dropped together with the ancestors it leaves empty.
void SeqIndex::join(Leaf* n) {
  Inner* p = n->parent;
  if (!p) return;  // the root leaf stays, however small
  Leaf* left = n->slot > 0 ? static_cast<Leaf*>(p->children[n->slot - 1]) : nullptr;
  Leaf* right = n->slot + 1 < p->count ? static_cast<Leaf*>(p->children[n->slot + 1]) : nullptr;
  if (left && left->count + n->count <= kFanout) {
    int at = left->count;
    p->lens[left->slot] += move_entries(n, 0, n->count, left, at);
    left->own(at, left->count);
  } else if (right && right->count + n->count <= kFanout) {
    int k = n->count;
    p->lens[right->slot] += move_entries(n, 0, k, right, 0);
    right->own(0, k);
  } else if (n->count > 0) {
    return;
  }
  Node* empty = n;
  for (;;) {
    int at = empty->slot;
    close_slot(p, at);
    p->own(at);
    if (empty->leaf) {
      delete static_cast<Leaf*>(empty);
    } else {
      delete static_cast<Inner*>(empty);
    }
    if (p->count > 0 || !p->parent) break;
    empty = p;
    p = p->parent;
  }
  // A root with a single child gives way to it.
  while (!root_->leaf && static_cast<Inner*>(root_)->count == 1) {
    auto* old = static_cast<Inner*>(root_);
    root_ = old->children[0];
    root_->parent = nullptr;
    delete old;
  }
}

void SeqIndex::insert_after(Item* left, Item* item) {
  flush();
  ++version_;
  uint64_t len = item->visible_length();
  if (len == 0) return;
  // The nearest item on the left that is indexed: the ones between hold no
  // visible units.
  while (left && !left->index_leaf) left = left->left;
  Item* after = left;
  Leaf* leaf = after ? static_cast<Leaf*>(after->index_leaf) : first_leaf();
  int at = after ? leaf->slot_of_item(after) + 1 : 0;
  if (leaf->count == kFanout) {
    make_room(leaf, at);
    // `after` may have moved; the first leaf stays first.
    if (after) {
      leaf = static_cast<Leaf*>(after->index_leaf);
      at = leaf->slot_of_item(after) + 1;
    }
  }
  open_slot(leaf, at);
  leaf->items[at] = item;
  leaf->lens[at] = uint32_t(len);
  item->index_leaf = leaf;
  ++count_;
  add_up(leaf, int64_t(len));
}

void SeqIndex::build(Item* first) {
  flush();
  ++version_;
  // Leaves are packed full (they are most of the memory); inner nodes are
  // filled to three quarters so that the splits that follow a load's first
  // edits do not climb at once.
  constexpr int kInnerFill = kFanout * 3 / 4;
  std::vector<Node*> level;
  Leaf* leaf = nullptr;
  for (Item* item = first; item; item = item->right) {
    uint64_t len = item->visible_length();
    if (len == 0) continue;
    if (!leaf || leaf->count == kFanout) {
      leaf = new Leaf();
      level.push_back(leaf);
    }
    leaf->items[leaf->count] = item;
    leaf->lens[leaf->count++] = uint32_t(len);
    item->index_leaf = leaf;
    ++count_;
    total_ += len;
  }
  if (level.empty()) return;
  while (level.size() > 1) {
    std::vector<Node*> up;
    for (Node* n : level) {
      if (up.empty() || static_cast<Inner*>(up.back())->count == kInnerFill) up.push_back(new Inner());
      auto* p = static_cast<Inner*>(up.back());
      n->slot = int16_t(p->count);
      n->parent = p;
      p->children[p->count] = n;
      p->lens[p->count++] = n->leaf ? sum_of(static_cast<Leaf*>(n)) : sum_of(static_cast<Inner*>(n));
    }
    level = std::move(up);
  }
  root_ = level.front();
}

// Both pieces sit in one leaf, so the sums above it stay as they were.
void SeqIndex::insert_split(Item* left, Item* right) {
  flush();
  ++version_;
  auto* leaf = static_cast<Leaf*>(left->index_leaf);
  int at = leaf->slot_of_item(left) + 1;
  if (leaf->count == kFanout) {
    make_room(leaf, at);
    leaf = static_cast<Leaf*>(left->index_leaf);
    at = leaf->slot_of_item(left) + 1;
  }
  open_slot(leaf, at);
  leaf->items[at] = right;
  leaf->lens[at] = uint32_t(right->visible_length());
  leaf->lens[at - 1] = uint32_t(left->visible_length());
  right->index_leaf = leaf;
  ++count_;
}

void SeqIndex::merge_into(Item* left, Item* right) {
  flush();
  ++version_;
  auto* leaf = static_cast<Leaf*>(left->index_leaf);
  int at = leaf && leaf == right->index_leaf ? leaf->slot_of_item(left) : -1;
  if (at < 0 || at + 1 == leaf->count || leaf->items[at + 1] != right) {
    remove(right);
    update(left);
    return;
  }
  // Neighbours in one leaf: the sums above it do not change.
  leaf->lens[at] += leaf->lens[at + 1];
  close_slot(leaf, at + 1);
  right->index_leaf = nullptr;
  --count_;
  if (leaf->count <= kJoinAt) join(leaf);
}

void SeqIndex::remove(Item* item) {
  flush();
  ++version_;
  auto* leaf = static_cast<Leaf*>(item->index_leaf);
  if (!leaf) return;
  int at = leaf->slot_of_item(item);
  add_up(leaf, -int64_t(leaf->lens[at]));
  close_slot(leaf, at);
  item->index_leaf = nullptr;
  --count_;
  if (leaf->count <= kJoinAt) join(leaf);
}

void SeqIndex::update(Item* item) {
  // A length change inside the remembered leaf moves no leaf's start.
  bool keep_finger = finger_ && finger_version_ == version_ && item->index_leaf == finger_;
  ++version_;
  if (keep_finger) finger_version_ = version_;
  auto* leaf = static_cast<Leaf*>(item->index_leaf);
  if (!leaf) return;
  uint64_t len = item->visible_length();
  if (len == 0) return remove(item);  // deleted: it leaves the index
  // The same item again (typing): its slot has not moved, since every change
  // that moves slots flushes first.
  int at = item == pending_item_ ? pending_slot_ : leaf->slot_of_item(item);
  int64_t delta = int64_t(len) - int64_t(leaf->lens[at]);
  leaf->lens[at] = uint32_t(len);
  if (delta == 0) return;
  // Keystrokes change one leaf after another: the sums above it are brought
  // up to date once, when another leaf changes or something reads them.
  total_ += uint64_t(delta);
  if (pending_leaf_ != leaf) {
    flush();
    pending_leaf_ = leaf;
  }
  pending_delta_ += delta;
  pending_item_ = item;
  pending_slot_ = at;
  pending_len_ = &leaf->lens[at];
}

void SeqIndex::flush() const {
  pending_item_ = nullptr;
  if (!pending_leaf_) return;
  Node* n = pending_leaf_;
  for (Inner* p = n->parent; p; n = p, p = p->parent) p->lens[n->slot] += uint64_t(pending_delta_);
  pending_leaf_ = nullptr;
  pending_delta_ = 0;
}

uint64_t SeqIndex::total() const { return total_; }

Item* SeqIndex::find(uint64_t pos, uint64_t* offset) const {
  if (!root_ || pos >= total_) return nullptr;
  // Edits cluster: look in the leaf of the last answer first.
  if (finger_version_ == version_ && pos >= finger_start_) {
    const Leaf* leaf = finger_;
    uint64_t rel = pos - finger_start_;
    for (int i = 0; i < leaf->count; ++i) {
      if (rel < leaf->lens[i]) {
        *offset = rel;
        return leaf->items[i];
      }
      rel -= leaf->lens[i];
    }
  }
  flush();
  const uint64_t wanted = pos;
  const Node* n = root_;
  while (!n->leaf) {
    auto* inner = static_cast<const Inner*>(n);
    int i = 0;
    while (i + 1 < inner->count && pos >= inner->lens[i]) pos -= inner->lens[i++];
    n = inner->children[i];
  }
  auto* leaf = static_cast<const Leaf*>(n);
  finger_ = leaf;
  finger_start_ = wanted - pos;
  finger_version_ = version_;
  int i = 0;
  while (i + 1 < leaf->count && pos >= leaf->lens[i]) pos -= leaf->lens[i++];
  *offset = pos;
  return leaf->items[i];
}

uint64_t SeqIndex::position_of(const Item* item) const {
  flush();
  // An item out of the index holds no visible units: it sits where the
  // nearest indexed item on its left ends.
  uint64_t pos = 0;
  if (!item->index_leaf) {
    do item = item->left;
    while (item && !item->index_leaf);
    if (!item) return 0;
    pos = item->visible_length();
  }
  auto* leaf = static_cast<const Leaf*>(item->index_leaf);
  for (int i = 0, at = leaf->slot_of_item(item); i < at; ++i) pos += leaf->lens[i];
  const Node* n = leaf;
  for (const Inner* p = n->parent; p; n = p, p = p->parent) {
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
