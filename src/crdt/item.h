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
  };

  ID id;
  uint64_t length = 0;
  Item* left = nullptr;
  Item* right = nullptr;
  ID origin;
  ID right_origin;
  Branch* parent = nullptr;
  // Map key (interned by the document: equal keys are the same pointer), or null.
  const std::u16string* parent_sub = nullptr;
  [[no_unique_address]] Content content;  // flags sit in its tail padding
  uint8_t flags = 0;
  // Slot in the parent's position index (see seq_index.h).
  void* index_leaf = nullptr;

  bool is_gc() const { return content.ref() == ContentRef::GC; }
  bool deleted() const { return flags & kDeleted; }
  bool keep() const { return flags & kKeep; }
  bool countable() const { return flags & kCountable; }
  bool has_origin() const { return flags & kHasOrigin; }
  bool has_right_origin() const { return flags & kHasRightOrigin; }
  // Length that positions (indexes) see.
  uint64_t visible_length() const { return (flags & (kCountable | kDeleted)) == kCountable ? length : 0; }
  ID last_id() const { return ID{id.client, id.clock + length - 1}; }
  void set_origin(const ID* o) {
    if (o) {
      origin = *o;
      flags |= kHasOrigin;
    } else {
      flags &= ~kHasOrigin;
    }
  }
  void set_right_origin(const ID* o) {
    if (o) {
      right_origin = *o;
      flags |= kHasRightOrigin;
    } else {
      flags &= ~kHasRightOrigin;
    }
  }
};

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
