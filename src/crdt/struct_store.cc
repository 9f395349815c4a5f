#include "struct_store.h"

#include <algorithm>

#include "block.h"
#include "doc_impl.h"

namespace conflux {

int64_t find_block_index(const BlockList& blocks, uint64_t clock) {
  size_t lo = 0, hi = blocks.size();
  if (hi == 0) return -1;
  // Most lookups hit the last block (appends) or land near clock / state.
  const Item* last = blocks[hi - 1];
  if (clock >= last->clock) return clock < last->clock + last->length ? int64_t(hi - 1) : -1;
  // An edit looks up the same few neighbouring blocks several times (split,
  // delete, collect, merge), and delete-set walks go from range to nearby
  // range: gallop away from the previous answer before searching, since every
  // probe of the search touches another item.
  size_t hint = blocks.lookup_hint();
  if (hint < hi) {
    const Item* b = blocks[hint];
    if (clock < b->clock) {
      hi = hint;
      for (size_t step = 1; step <= hint; step *= 2) {
        size_t at = hint - step;
        if (clock >= blocks[at]->clock) {
          lo = at;
          break;
        }
        hi = at;
      }
    } else if (clock < b->clock + b->length) {
      return int64_t(hint);
    } else {
      lo = hint + 1;
      for (size_t step = 1; hint + step < hi; step *= 2) {
        size_t at = hint + step;
        const Item* p = blocks[at];
        if (clock < p->clock + p->length) {
          hi = at + 1;
          break;
        }
        lo = at + 1;
      }
    }
  }
  while (lo < hi) {
    size_t mid = lo + (hi - lo) / 2;
    const Item* b = blocks[mid];
    if (clock < b->clock) {
      hi = mid;
    } else if (clock >= b->clock + b->length) {
      lo = mid + 1;
    } else {
      blocks.set_lookup_hint(mid);
      return int64_t(mid);
    }
  }
  return -1;
}

StructStore::~StructStore() {
  for (auto& [client, blocks] : clients_) {
    for (size_t i = 0; i < blocks.size(); ++i) blocks[i]->~Item();
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
