#include "block.h"

#include <algorithm>
#include <unordered_map>
#include <vector>

namespace conflux {

Item* new_gc(StructStore& store, ID id, uint64_t length) {
  Item* gc = store.new_item();
  gc->set_id(id);
  gc->length = length;
  gc->content = Content::gc(length);
  gc->flags = Item::kDeleted;
  return gc;
}

void add_changed_type(Transaction& txn, Branch* type, const std::u16string* parent_sub) {
  Item* item = type->item;
  if (item == nullptr || (txn.existed_before(item->id()) && !item->deleted())) {
    txn.add_changed_type(type, parent_sub);
  }
}

Item* split_item(Transaction& txn, Item* left, uint64_t diff) {
  Item* right = split_item_unrecorded(txn.doc->store, left, diff);
  txn.merge_structs.push_back(right->id());
  return right;
}

Item* split_item_unrecorded(StructStore& store, Item* left, uint64_t diff) {
  Item* right = store.new_item();
  right->set_id(ID{left->client, left->clock + diff});
  right->length = left->length - diff;
  right->left = left;
  right->right = left->right;
  ID origin{left->client, left->clock + diff - 1};
  right->set_origin(&origin);
  if (left->has_right_origin()) right->set_right_origin(left->right_origin());
  right->parent = left->parent;
  right->set_parent_sub(left->parent_sub());
  right->content = left->content.split(diff);
  right->flags = (right->flags & (Item::kHasOrigin | Item::kHasRightOrigin | Item::kHasParentSub)) |
                 (left->flags & (Item::kDeleted | Item::kKeep | Item::kCountable));
  left->right = right;
  if (right->right) right->right->left = right;
  left->length = diff;
  if (right->parent_sub()) {
    if (right->right == nullptr) right->parent->map_set(right->parent_sub(), right);
  } else if (right->parent && left->index_leaf) {
    right->parent->index.insert_split(left, right);
  }
  return right;
}

bool try_merge_items(Item* left, Item* right) {
  if (left->is_gc() || right->is_gc()) {
    if (!(left->is_gc() && right->is_gc())) return false;
    left->length += right->length;
    left->content = Content::gc(left->length);
    return true;
  }
  if (!right->has_origin() || !(right->origin() == left->last_id())) return false;
  if (left->right != right) return false;
  if (left->has_right_origin() != right->has_right_origin()) return false;
  if (left->has_right_origin() && !(left->right_origin() == right->right_origin())) return false;
  if (left->client != right->client || left->clock + left->length != right->clock) return false;
  if (left->deleted() != right->deleted()) return false;
  if (left->content.ref() != right->content.ref() || !left->content.mergeable()) return false;
  left->content.append(std::move(right->content));
  if (right->keep()) left->flags |= Item::kKeep;
  left->right = right->right;
  if (left->right) left->right->left = left;
  left->length += right->length;
  if (left->parent && !left->parent_sub() && right->index_leaf) {
    left->parent->index.merge_into(left, right);
  }
  if (right->parent_sub()) {
    auto it = right->parent->map.find(right->parent_sub());
    if (it != right->parent->map.end() && it->second == right) it->second = left;
  }
  return true;
}

size_t try_merge_with_lefts(StructStore& store, BlockList& blocks, size_t pos) {
  size_t i = pos;
  Item* right = blocks[i];
  while (i > 0) {
    Item* left = blocks[i - 1];
    if (left->deleted() != right->deleted()) break;
    if (!try_merge_items(left, right)) break;
    store.free_item(right);
    right = left;
    --i;
  }
  size_t merged = pos - i;
  if (merged) blocks.erase(pos + 1 - merged, pos + 1);
  return merged;
}

void merge_deleted_range(StructStore& store, BlockList& blocks, ClockRange range) {
  int64_t last = find_block_index(blocks, range.end() - 1);
  int64_t most_right = std::min<int64_t>(int64_t(blocks.size()) - 1, 1 + last);
  for (int64_t si = most_right; si > 0 && blocks[size_t(si)]->clock >= range.clock;) {
    si -= 1 + int64_t(try_merge_with_lefts(store, blocks, size_t(si)));
  }
}

void merge_split_struct(StructStore& store, BlockList& blocks, uint64_t clock) {
  int64_t pos = find_block_index(blocks, clock);
  if (pos < 0) return;
  if (size_t(pos) + 1 < blocks.size() && try_merge_with_lefts(store, blocks, size_t(pos) + 1) > 1) return;
  if (pos > 0) try_merge_with_lefts(store, blocks, size_t(pos));
}

void delete_item(Transaction& txn, Item* item) {
  if (item->deleted()) return;
  Branch* parent = item->parent;
  bool visible = item->visible_length() > 0;
  item->flags |= Item::kDeleted;
  if (!item->parent_sub() && parent) {
    if (visible) {
      parent->length -= item->length;
      if (item->index_leaf) parent->index.update(item);
    }
  }
  txn.delete_set.add(item->client, item->clock, item->length);
  add_changed_type(txn, parent, item->parent_sub());
  if (item->content.ref() == ContentRef::Type) {
    Branch* type = item->content.type();
    // Deleting a type deletes its whole content; already deleted children
    // from before this transaction may merge now.
    for (Item* child = type->start; child; child = child->right) {
      if (!child->deleted()) delete_item(txn, child);
      else if (txn.existed_before(child->id())) txn.merge_structs.push_back(child->id());
    }
    for (const std::u16string* key : type->map_keys) {
      Item* child = type->map[key];
      if (!child->deleted()) delete_item(txn, child);
      else if (txn.existed_before(child->id())) txn.merge_structs.push_back(child->id());
    }
    txn.forget_changed_type(type);
  }
}

namespace {

void retire_branch(DocImpl& doc, BranchPtr branch) {
  branch->index.clear();
  branch->start = nullptr;
  branch->map.clear();
  branch->map_keys.clear();
  branch->item = nullptr;
  branch->length = 0;
  doc.dead_branches.push_back(std::move(branch));
}

void replace_with_gc(DocImpl& doc, Item* item);

// Collects every child of a type being collected.
void gc_type_children(DocImpl& doc, Branch* type) {
  type->index.clear();
  for (Item* child = type->start; child;) {
    Item* next = child->right;
    gc_item(doc, child, true);
    child = next;
  }
  type->start = nullptr;
  for (const std::u16string* key : type->map_keys) {
    for (Item* child = type->map[key]; child;) {
      Item* next = child->left;
      gc_item(doc, child, true);
      child = next;
    }
  }
  type->map.clear();
  type->map_keys.clear();
}

void replace_with_gc(DocImpl& doc, Item* item) {
  BlockList* blocks = doc.store.blocks(item->client);
  int64_t i = find_block_index(*blocks, item->clock);
  if (item->content.ref() == ContentRef::Type) retire_branch(doc, item->content.release_type());
  doc.store.replace(*blocks, size_t(i), new_gc(doc.store, item->id(), item->length));
}

}  // namespace

void gc_item(DocImpl& doc, Item* item, bool parent_gcd) {
  if (item->is_gc()) return;
  if (item->content.ref() == ContentRef::Type) gc_type_children(doc, item->content.type());
  if (parent_gcd) {
    replace_with_gc(doc, item);
  } else {
    if (item->content.ref() == ContentRef::Type) retire_branch(doc, item->content.release_type());
    item->content = Content::deleted(item->length);
  }
}

void run_content_hooks(Transaction& txn, Item* item) {
  switch (item->content.ref()) {
    case ContentRef::Type: {
      Branch* t = item->content.type();
      t->doc = txn.doc;
      t->item = item;
      break;
    }
    case ContentRef::Deleted:
      txn.delete_set.add(item->client, item->clock, item->length);
      ++txn.collected_delete_ranges;  // arrives collected
      item->flags |= Item::kDeleted;
      break;
    case ContentRef::Format:
      item->parent->has_formatting = true;
      break;
    default:
      break;
  }
}

void integrate_item(Transaction& txn, Item* item) {
  Branch* parent = item->parent;
  Item* left = item->left;
  Item* right = item->right;
  const std::u16string* sub = item->parent_sub();
  // The scan is needed unless left and right are already neighbours.
  bool scan = (left == nullptr && (right == nullptr || right->left != nullptr)) ||
              (left != nullptr && left->right != right);
  if (scan) {
    Item* o;
    if (left) {
      o = left->right;
    } else if (sub) {
      auto it = parent->map.find(sub);
      o = it == parent->map.end() ? nullptr : it->second;
      while (o && o->left) o = o->left;
    } else {
      o = parent->start;
    }
    // Items scanned so far, with the scan step at which each was seen; items
    // seen at or after `conflict_from` are the "conflicting" ones.
    std::unordered_map<Item*, size_t> seen;
    size_t step = 0, conflict_from = 0;
    const StructStore& store = txn.doc->store;
    while (o && o != right) {
      seen.emplace(o, step);
      bool same_origin = o->has_origin() == item->has_origin() &&
                         (!item->has_origin() || o->origin() == item->origin());
      if (same_origin) {
        if (o->client < item->client) {
          left = o;
          conflict_from = step + 1;
        } else {
          bool same_right = o->has_right_origin() == item->has_right_origin() &&
                            (!item->has_right_origin() || o->right_origin() == item->right_origin());
          if (same_right) break;
        }
      } else if (o->has_origin()) {
        Item* oo = store.find(o->origin());
        auto it = oo ? seen.find(oo) : seen.end();
        if (it == seen.end()) break;
        if (it->second < conflict_from) {
          left = o;
          conflict_from = step + 1;
        }
      } else {
        break;
      }
      ++step;
      o = o->right;
    }
    item->left = left;
  }
  // Link.
  if (left) {
    right = left->right;
    left->right = item;
  } else {
    if (sub) {
      auto it = parent->map.find(sub);
      right = it == parent->map.end() ? nullptr : it->second;
      while (right && right->left) right = right->left;
    } else {
      right = parent->start;
      parent->start = item;
    }
  }
  item->right = right;
  if (right) {
    right->left = item;
  } else if (sub) {
    parent->map_set(sub, item);
    if (left) delete_item(txn, left);
  }
  if (!sub) {
    if (item->visible_length() > 0) parent->length += item->length;
    parent->index.insert_after(left, item);
  }
  txn.doc->store.add(item);
  run_content_hooks(txn, item);
  add_changed_type(txn, parent, sub);
  if ((parent->item && parent->item->deleted()) || (sub && item->right)) delete_item(txn, item);
}

}  // namespace conflux
