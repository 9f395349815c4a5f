#include "struct_store.h"

#include <algorithm>

#include "block.h"
#include "doc_impl.h"

namespace conflux {

namespace {

// Index in `chunk` of the struct holding `clock`, or -1.
int64_t search_chunk(std::span<Item* const> chunk, uint64_t clock) {
  size_t lo = 0, hi = chunk.size();
  while (lo < hi) {
    size_t mid = lo + (hi - lo) / 2;
    const Item* b = chunk[mid];
    if (clock < b->clock) {
      hi = mid;
    } else if (clock >= b->clock + b->length) {
      lo = mid + 1;
    } else {
      return int64_t(mid);
    }
  }
  return -1;
}

}  // namespace

int64_t find_block_index(const BlockList& blocks, uint64_t clock) {
  size_t chunks = blocks.chunk_count();
  if (chunks == 0) return -1;
  // Most lookups hit the last block (appends).
  const Item* last = blocks.back();
  if (clock >= last->clock) return clock < last->clock + last->length ? int64_t(blocks.size() - 1) : -1;
  // An edit looks up the same few neighbouring blocks several times (split,
  // delete, collect, merge): try the chunk of the previous lookup first.
  size_t c = blocks.recent_chunk();
  if (c >= chunks || clock < blocks.chunk(c).front()->clock ||
      (c + 1 < chunks && clock >= blocks.chunk(c + 1).front()->clock)) {
    // The last chunk whose first struct starts at or before `clock`.
    size_t lo = 0, hi = chunks;
    while (hi - lo > 1) {
      size_t mid = lo + (hi - lo) / 2;
      if (clock < blocks.chunk(mid).front()->clock) hi = mid;
      else lo = mid;
    }
    c = lo;
    blocks.set_recent_chunk(c);
  }
  int64_t at = search_chunk(blocks.chunk(c), clock);
  return at < 0 ? -1 : int64_t(blocks.chunk_start(c)) + at;
}

StructStore::~StructStore() {
  for (auto& [client, blocks] : clients_) {
    for (size_t c = 0; c < blocks.chunk_count(); ++c) {
      for (Item* item : blocks.chunk(c)) item->~Item();
    }
  }
}

Item* StructStore::new_item_in_new_slab() {
  // Slabs grow with the document, so that a small one holds little spare.
  size_t capacity = slabs_.empty() ? 8 : std::min<size_t>(512, 2 * slabs_.back().capacity());
  slabs_.emplace_back(capacity);
  return slabs_.back().make();
}

uint64_t StructStore::state_of_other(uint64_t client) const {
  auto it = state_.find(client);
  return it == state_.end() ? 0 : it->second;
}

StateVector StructStore::state_vector() const { return state_; }

void StructStore::fill_state_vector(StateVector* sv) const { *sv = state_; }

BlockList* StructStore::blocks(uint64_t client) {
  return const_cast<BlockList*>(static_cast<const StructStore*>(this)->blocks(client));
}

const BlockList* StructStore::blocks(uint64_t client) const {
  if (cached_blocks_ && cached_client_ == client) return cached_blocks_;
  auto it = clients_.find(client);
  if (it == clients_.end()) return nullptr;
  cached_client_ = client;
  cached_blocks_ = const_cast<BlockList*>(&it->second);
  return cached_blocks_;
}

Item* StructStore::find(ID id) const {
  const BlockList* b = blocks(id.client);
  if (!b) return nullptr;
  int64_t i = find_block_index(*b, id.clock);
  return i < 0 ? nullptr : (*b)[size_t(i)];
}

void StructStore::add(Item* item) {
  uint64_t client = item->client;
  BlockList* list = blocks(client);
  if (!list) {
    list = &clients_[client];
    cached_client_ = client;
    cached_blocks_ = list;
  }
  list->push_back(item);
  set_state(client, item->clock + item->length);
}

int64_t StructStore::clean_start_index(Transaction& txn, BlockList& blocks, uint64_t clock) {
  int64_t i = find_block_index(blocks, clock);
  if (i < 0) return i;
  Item* b = blocks[size_t(i)];
  if (b->clock < clock && !b->is_gc()) {
    Item* right = split_item(txn, b, clock - b->clock);
    blocks.insert(size_t(i) + 1, right);
    return i + 1;
  }
  return i;
}

Item* StructStore::clean_start(Transaction& txn, ID id) {
  BlockList* b = blocks(id.client);
  if (!b) return nullptr;
  int64_t i = clean_start_index(txn, *b, id.clock);
  return i < 0 ? nullptr : (*b)[size_t(i)];
}

Item* StructStore::clean_end(Transaction& txn, ID id) {
  BlockList* b = blocks(id.client);
  if (!b) return nullptr;
  int64_t i = find_block_index(*b, id.clock);
  if (i < 0) return nullptr;
  Item* item = (*b)[size_t(i)];
  if (id.clock != item->clock + item->length - 1 && !item->is_gc()) {
    Item* right = split_item(txn, item, id.clock - item->clock + 1);
    b->insert(size_t(i) + 1, right);
  }
  return item;
}

void StructStore::replace(BlockList& blocks, size_t i, Item* with) {
  free_item(blocks[i]);
  blocks[i] = with;
}

}  // namespace conflux
