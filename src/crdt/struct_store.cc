#include "struct_store.h"

#include "block.h"
#include "doc_impl.h"

namespace conflux {

int64_t find_block_index(const BlockList& blocks, uint64_t clock) {
  size_t lo = 0, hi = blocks.size();
  if (hi == 0) return -1;
  // Most lookups hit the last block (appends) or land near clock / state.
  const Item* last = blocks[hi - 1];
  if (clock >= last->id.clock) return clock < last->id.clock + last->length ? int64_t(hi - 1) : -1;
  while (lo < hi) {
    size_t mid = lo + (hi - lo) / 2;
    const Item* b = blocks[mid];
    if (clock < b->id.clock) {
      hi = mid;
    } else if (clock >= b->id.clock + b->length) {
      lo = mid + 1;
    } else {
      return int64_t(mid);
    }
  }
  return -1;
}

StructStore::~StructStore() {
  for (auto& [client, blocks] : clients_) {
    for (size_t i = 0; i < blocks.size(); ++i) free_item(blocks[i]);
  }
}

uint64_t StructStore::state(uint64_t client) const {
  auto it = clients_.find(client);
  if (it == clients_.end() || it->second.empty()) return 0;
  const Item* last = it->second.back();
  return last->id.clock + last->length;
}

StateVector StructStore::state_vector() const {
  StateVector sv;
  fill_state_vector(&sv);
  return sv;
}

void StructStore::fill_state_vector(StateVector* sv) const {
  sv->clear();
  sv->reserve(clients_.size());
  for (const auto& [client, blocks] : clients_) {
    if (blocks.empty()) continue;
    const Item* last = blocks.back();
    sv->append_unsorted(client, last->id.clock + last->length);
  }
  sv->sort();
}

BlockList* StructStore::blocks(uint64_t client) {
  auto it = clients_.find(client);
  return it == clients_.end() ? nullptr : &it->second;
}

const BlockList* StructStore::blocks(uint64_t client) const {
  auto it = clients_.find(client);
  return it == clients_.end() ? nullptr : &it->second;
}

Item* StructStore::find(ID id) const {
  const BlockList* b = blocks(id.client);
  if (!b) return nullptr;
  int64_t i = find_block_index(*b, id.clock);
  return i < 0 ? nullptr : (*b)[size_t(i)];
}

void StructStore::add(Item* item) { clients_[item->id.client].push_back(item); }

int64_t StructStore::clean_start_index(Transaction& txn, BlockList& blocks, uint64_t clock) {
  int64_t i = find_block_index(blocks, clock);
  if (i < 0) return i;
  Item* b = blocks[size_t(i)];
  if (b->id.clock < clock && !b->is_gc()) {
    Item* right = split_item(txn, b, clock - b->id.clock);
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
  if (id.clock != item->id.clock + item->length - 1 && !item->is_gc()) {
    Item* right = split_item(txn, item, id.clock - item->id.clock + 1);
    b->insert(size_t(i) + 1, right);
  }
  return item;
}

void StructStore::replace(BlockList& blocks, size_t i, Item* with) {
  free_item(blocks[i]);
  blocks[i] = with;
}

}  // namespace conflux
