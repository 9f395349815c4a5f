// The block store: for every client, its structs in clock order, contiguous
// from clock 0. Finding the struct that holds a clock is a binary search.
#pragma once

#include <cstdint>
#include <unordered_map>
#include <vector>

#include "block_list.h"
#include "id.h"
#include "id_set.h"
#include "item.h"

namespace conflux {

class Transaction;

// Index of the struct in `blocks` that contains `clock`, or -1.
int64_t find_block_index(const BlockList& blocks, uint64_t clock);

class StructStore {
 public:
  StructStore() = default;
  StructStore(const StructStore&) = delete;
  StructStore& operator=(const StructStore&) = delete;
  ~StructStore();

  // Next expected clock of `client` (0 when unknown).
  uint64_t state(uint64_t client) const {
    // Most lookups in a row are for the client that wrote last.
    if (state_entry_ && client == state_client_) return *state_entry_;
    return state_of_other(client);
  }
  StateVector state_vector() const;
  // Replaces *sv by the state vector, reusing its memory.
  void fill_state_vector(StateVector* sv) const;

  BlockList* blocks(uint64_t client);
  const BlockList* blocks(uint64_t client) const;
  const std::unordered_map<uint64_t, BlockList>& clients() const { return clients_; }

  // The struct containing `id`, or nullptr.
  Item* find(ID id) const;
  // Appends a struct whose clock must be the client's state.
  void add(Item* item);
  // Items are made and freed here, in memory the store keeps until it goes:
  // every edit that cuts an item makes one and every merge frees one, and
  // this is cheaper than the heap. A freed item's memory goes to the next.
  Item* new_item() {
    if (free_items_) {
      void* memory = free_items_;
      free_items_ = free_items_->next;
      return new (memory) Item();
    }
    Item* item = slabs_.empty() ? nullptr : slabs_.back().make();
    return item ? item : new_item_in_new_slab();
  }
  void free_item(Item* item) {
    item->~Item();
    free_items_ = new (item) FreeItem{free_items_};
  }
  // Takes over `slab`, whose items were made for this store (a load makes
  // them all at once); they are freed with free_item from then on.
  void keep_slab(ItemSlab slab) { slabs_.push_back(std::move(slab)); }
  // The client's last struct grew in place to end at `new_state`.
  void grow_last(uint64_t client, uint64_t new_state) { set_state(client, new_state); }

  // Until unwatched, the first change of each client's state is recorded in
  // `*before` (client -> state before it). Transactions watch the store from
  // their start to the end of their cleanup, so none copies the whole state
  // vector; one started by an observer during another's cleanup is seen by both.
  void watch_state_changes(StateVector* before) {
    watchers_.push_back(before);
    before_recorded_ = false;
  }
  void unwatch_state_changes(StateVector* before) { std::erase(watchers_, before); }

  // The item starting exactly at `id` (splitting the one containing it).
  Item* clean_start(Transaction& txn, ID id);
  // The item ending exactly at `id` (splitting the one containing it).
  // GC structs are never split.
  Item* clean_end(Transaction& txn, ID id);
  // Index of the struct starting exactly at `clock` (splitting as needed).
  int64_t clean_start_index(Transaction& txn, BlockList& blocks, uint64_t clock);

  // Replaces the struct at `blocks[i]` by `with` (same id and length); deletes the old one.
  void replace(BlockList& blocks, size_t i, Item* with);

 private:
  struct FreeItem {
    FreeItem* next;
  };
  static_assert(sizeof(FreeItem) <= sizeof(Item) && alignof(FreeItem) <= alignof(Item));
  Item* new_item_in_new_slab();
  uint64_t state_of_other(uint64_t client) const;
  void set_state(uint64_t client, uint64_t new_state) {
    // Runs of adds come from one client (typing, loading): its entry and
    // whether the watchers have it are remembered between them.
    if (client != state_client_ || !state_entry_) {
      state_client_ = client;
      // Valid until another client's first entry moves it: only this line adds.
      state_entry_ = &state_[client];
      before_recorded_ = false;
    }
    if (!before_recorded_) {
      for (StateVector* before : watchers_) {
        if (before->find(client) == before->end()) (*before)[client] = *state_entry_;
      }
      before_recorded_ = true;
    }
    *state_entry_ = new_state;
  }

  std::vector<ItemSlab> slabs_;  // freed after the destructor has destroyed their items
  FreeItem* free_items_ = nullptr;  // in the slabs' memory
  std::unordered_map<uint64_t, BlockList> clients_;
  std::vector<StateVector*> watchers_;
  // The state vector, kept up to date by add() (the only way a client's state
  // grows), so that every transaction can copy it instead of rebuilding it.
  StateVector state_;
  uint64_t state_client_ = 0;
  uint64_t* state_entry_ = nullptr;  // state_[state_client_]
  // Every watcher has state_client_'s state before its changes.
  bool before_recorded_ = false;
  // The list last looked up: most lookups in a row are for the same client
  // (map values keep their address, so the pointer stays valid).
  mutable uint64_t cached_client_ = 0;
  mutable BlockList* cached_blocks_ = nullptr;
};

}  // namespace conflux
