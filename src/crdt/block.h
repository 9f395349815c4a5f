// Operations on blocks (items and GC structs) that keep the store, the linked
// lists, the position indexes and the transaction bookkeeping consistent.
#pragma once

#include <cstdint>

#include "doc_impl.h"
#include "item.h"

namespace conflux {

// A GC struct made in the store's memory (see StructStore::new_item).
Item* new_gc(StructStore& store, ID id, uint64_t length);

// Splits `left` at `diff` ticks; returns the new right part (already linked
// into the list, the parent's index and map). The caller inserts it into the
// store right after `left`.
Item* split_item(Transaction& txn, Item* left, uint64_t diff);
// The same without noting the new part for the transaction's merge pass: for
// an edit made outside any transaction, which tries its merges itself.
Item* split_item_unrecorded(StructStore& store, Item* left, uint64_t diff);

// Tries to append `right` to `left` (store neighbours); on success `right` is
// unlinked but not freed.
bool try_merge_items(Item* left, Item* right);
// Merges blocks[pos] into its left neighbours as far as possible; frees the
// absorbed blocks and returns how many were absorbed.
size_t try_merge_with_lefts(StructStore& store, BlockList& blocks, size_t pos);

// The merges a transaction's end tries (as Yjs does): around a range of
// deleted clocks of one client, and around a struct split off at `clock`.
void merge_deleted_range(StructStore& store, BlockList& blocks, ClockRange range);
void merge_split_struct(StructStore& store, BlockList& blocks, uint64_t clock);

// Marks an item deleted (recursively for types) and records it.
void delete_item(Transaction& txn, Item* item);

// Collects a deleted item's content: types lose their children (replaced by GC
// structs); the item itself keeps its place with Deleted content, or is
// replaced by a GC struct when its parent is being collected too.
void gc_item(DocImpl& doc, Item* item, bool parent_gcd);

// Links a fully resolved item (left/right/parent set, id/length/content final)
// into its parent, runs the YATA conflict scan, adds it to the store and runs
// content hooks.
void integrate_item(Transaction& txn, Item* item);

// What integrating an item does for its content's kind: a type learns its
// document and item, Deleted content joins the delete set, a format marks its
// parent as formatted. The item must be in the store already.
void run_content_hooks(Transaction& txn, Item* item);

// Registers `type` as changed by the transaction.
void add_changed_type(Transaction& txn, Branch* type, const std::u16string* parent_sub);

}  // namespace conflux
