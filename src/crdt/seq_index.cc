// SeqIndex as a list of chunks, each holding up to kMaxChunk items and the sum
// of their visible lengths. Lookups skip whole chunks.
#include "seq_index.h"

#include <vector>

#include "item.h"

namespace conflux {

namespace {
constexpr size_t kMaxChunk = 128;
}

struct SeqIndex::Node {
  struct Chunk {
    std::vector<Item*> items;
    std::vector<uint64_t> lens;
    uint64_t sum = 0;
  };
  std::vector<Chunk*> chunks;
  uint64_t total = 0;

  size_t chunk_pos(const Chunk* c) const {
    for (size_t i = 0; i < chunks.size(); ++i) {
      if (chunks[i] == c) return i;
    }
    return chunks.size();
  }
};

SeqIndex::~SeqIndex() {
  // The items may be gone already (the document frees its store wholesale).
  if (!root_) return;
  for (Node::Chunk* c : root_->chunks) delete c;
  delete root_;
}

void SeqIndex::insert_after(Item* left, Item* item) {
  if (!root_) root_ = new Node();
  Node& n = *root_;
  uint64_t len = item->visible_length();
  Node::Chunk* c;
  size_t at;
  if (left && left->index_leaf) {
    c = static_cast<Node::Chunk*>(left->index_leaf);
    at = 0;
    while (c->items[at] != left) ++at;
    ++at;
  } else {
    if (n.chunks.empty()) n.chunks.push_back(new Node::Chunk());
    c = n.chunks.front();
    at = 0;
  }
  c->items.insert(c->items.begin() + at, item);
  c->lens.insert(c->lens.begin() + at, len);
  c->sum += len;
  n.total += len;
  item->index_leaf = c;
  ++count_;
  if (c->items.size() > kMaxChunk) {
    auto* right = new Node::Chunk();
    size_t half = c->items.size() / 2;
    right->items.assign(c->items.begin() + half, c->items.end());
    right->lens.assign(c->lens.begin() + half, c->lens.end());
    c->items.resize(half);
    c->lens.resize(half);
    for (uint64_t l : right->lens) right->sum += l;
    c->sum -= right->sum;
    for (Item* i : right->items) i->index_leaf = right;
    n.chunks.insert(n.chunks.begin() + n.chunk_pos(c) + 1, right);
  }
}

void SeqIndex::remove(Item* item) {
  auto* c = static_cast<Node::Chunk*>(item->index_leaf);
  if (!c) return;
  size_t at = 0;
  while (c->items[at] != item) ++at;
  c->sum -= c->lens[at];
  root_->total -= c->lens[at];
  c->items.erase(c->items.begin() + at);
  c->lens.erase(c->lens.begin() + at);
  item->index_leaf = nullptr;
  --count_;
  if (c->items.empty()) {
    root_->chunks.erase(root_->chunks.begin() + root_->chunk_pos(c));
    delete c;
  }
}

void SeqIndex::update(Item* item) {
  auto* c = static_cast<Node::Chunk*>(item->index_leaf);
  if (!c) return;
  size_t at = 0;
  while (c->items[at] != item) ++at;
  uint64_t len = item->visible_length();
  c->sum = c->sum - c->lens[at] + len;
  root_->total = root_->total - c->lens[at] + len;
  c->lens[at] = len;
}

uint64_t SeqIndex::total() const { return root_ ? root_->total : 0; }

Item* SeqIndex::find(uint64_t pos, uint64_t* offset) const {
  if (!root_ || pos >= root_->total) return nullptr;
  for (Node::Chunk* c : root_->chunks) {
    if (pos >= c->sum) {
      pos -= c->sum;
      continue;
    }
    for (size_t i = 0; i < c->items.size(); ++i) {
      if (pos < c->lens[i]) {
        *offset = pos;
        return c->items[i];
      }
      pos -= c->lens[i];
    }
  }
  return nullptr;
}

uint64_t SeqIndex::position_of(const Item* item) const {
  auto* c = static_cast<Node::Chunk*>(item->index_leaf);
  if (!c) return 0;
  uint64_t pos = 0;
  for (Node::Chunk* k : root_->chunks) {
    if (k == c) break;
    pos += k->sum;
  }
  for (size_t i = 0; c->items[i] != item; ++i) pos += c->lens[i];
  return pos;
}

void SeqIndex::clear() {
  if (!root_) return;
  for (Node::Chunk* c : root_->chunks) {
    for (Item* i : c->items) i->index_leaf = nullptr;
    delete c;
  }
  delete root_;
  root_ = nullptr;
  count_ = 0;
}

}  // namespace conflux
