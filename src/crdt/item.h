// Item: one struct of the block store, a run of consecutive operations of one
// client. GC structs are Items with GC content and no links.
#pragma once

#include <cstddef>
#include <cstdint>
#include <new>
#include <string>

#include "content.h"
#include "id.h"

namespace conflux {

struct Branch;

struct Item {
  enum Flag : uint8_t {
    kHasOrigin = 1,
    kHasRightOrigin = 2,
    kDeleted = 4,
    kKeep = 8,
    kCountable = 16,
    kHasParentSub = 32,
  };

  // The item's ID and length. Clocks and lengths are 32-bit (a client's
  // clock stays below 2^32, which decoding enforces): at the count of items
  // a document holds, every byte of Item shows in its memory.
  uint64_t client = 0;
  uint32_t clock = 0;
  uint32_t length = 0;
  Item* left = nullptr;
  Item* right = nullptr;
  uint64_t origin_client = 0;  // origin and right origin, valid per flags
  uint64_t right_origin_client = 0;
  uint32_t origin_clock = 0;
  uint32_t right_origin_clock = 0;
  Branch* parent = nullptr;
  union {
    // Slot in the parent's position index (see seq_index.h); sequence items only.
    void* index_leaf = nullptr;
    // Map key (interned by the document: equal keys are the same pointer);
    // map entries only, which no index holds.
    const std::u16string* sub;
  };
  [[no_unique_address]] Content content;  // flags sit in its tail padding
  uint8_t flags = 0;

  ID id() const { return ID{client, clock}; }
  void set_id(ID id) {
    client = id.client;
    clock = uint32_t(id.clock);
  }
  ID origin() const { return ID{origin_client, origin_clock}; }
  ID right_origin() const { return ID{right_origin_client, right_origin_clock}; }
  const std::u16string* parent_sub() const { return flags & kHasParentSub ? sub : nullptr; }
  void set_parent_sub(const std::u16string* key) {
    if (key) {
      sub = key;
      flags |= kHasParentSub;
    } else if (flags & kHasParentSub) {
      index_leaf = nullptr;
      flags &= ~kHasParentSub;
    }
  }

  bool is_gc() const { return content.ref() == ContentRef::GC; }
  bool deleted() const { return flags & kDeleted; }
  bool keep() const { return flags & kKeep; }
  bool countable() const { return flags & kCountable; }
  bool has_origin() const { return flags & kHasOrigin; }
  bool has_right_origin() const { return flags & kHasRightOrigin; }
  // Length that positions (indexes) see.
  uint64_t visible_length() const { return (flags & (kCountable | kDeleted)) == kCountable ? length : 0; }
  ID last_id() const { return ID{client, uint64_t(clock) + length - 1}; }
  void set_origin(const ID* o) {
    if (o) {
      origin_client = o->client;
      origin_clock = uint32_t(o->clock);
      flags |= kHasOrigin;
    } else {
      flags &= ~kHasOrigin;
    }
  }
  void set_origin(ID o) { set_origin(&o); }
  void set_right_origin(const ID* o) {
    if (o) {
      right_origin_client = o->client;
      right_origin_clock = uint32_t(o->clock);
      flags |= kHasRightOrigin;
    } else {
      flags &= ~kHasRightOrigin;
    }
  }
  void set_right_origin(ID o) { set_right_origin(&o); }
};
// A document holds one Item per run of typing: growth here is growth of every
// document's memory, so it should be a decision, not an accident.
static_assert(sizeof(Item) <= 88, "Item grew");

// Clocks an item can reach: a struct must end at or below this.
inline constexpr uint64_t kMaxClock = UINT32_MAX;

// Memory for items made one after another: one allocation rather than one
// per item. Its items are built and destroyed one by one; the memory goes
// with the slab, which must outlive them all (a document's store keeps the
// slabs of its items, see StructStore::new_item).
class ItemSlab {
 public:
  explicit ItemSlab(size_t capacity)
      : items_(static_cast<Item*>(::operator new(capacity * sizeof(Item)))), capacity_(capacity) {}
  ItemSlab(ItemSlab&& o) noexcept : items_(o.items_), used_(o.used_), capacity_(o.capacity_) { o.items_ = nullptr; }
  ItemSlab& operator=(ItemSlab&&) = delete;
  ~ItemSlab() { ::operator delete(items_); }

  // A new item in the slab, or nullptr when it is full.
  Item* make() { return used_ == capacity_ ? nullptr : new (items_ + used_++) Item(); }
  bool owns(const Item* item) const { return item >= items_ && item < items_ + used_; }
  size_t capacity() const { return capacity_; }

 private:
  Item* items_;
  size_t used_ = 0;
  size_t capacity_;
};

}  // namespace conflux
