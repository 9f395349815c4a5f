// Item: one struct of the block store, a run of consecutive operations of one
// client. GC structs are Items with GC content and no links.
#pragma once

#include <cstdint>
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
  Content content;
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

}  // namespace conflux
