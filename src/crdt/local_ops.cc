#include "local_ops.h"

#include "block.h"

namespace conflux {

Item* insert_local_item(Transaction& txn, Branch* parent, Item* left, Item* right,
                        const std::u16string* parent_sub, Content content) {
  DocImpl& doc = *txn.doc;
  Item* item = new_item();
  item->id = ID{doc.client_id, doc.store.state(doc.client_id)};
  item->content = std::move(content);
  item->length = item->content.length();
  item->left = left;
  item->right = right;
  if (left) {
    ID o = left->last_id();
    item->set_origin(&o);
  }
  if (right) item->set_right_origin(&right->id);
  item->parent = parent;
  item->parent_sub = parent_sub;
  if (item->content.countable()) item->flags |= Item::kCountable;
  integrate_item(txn, item);
  return item;
}

Item* sequence_last(const Branch* parent) {
  Item* n = nullptr;
  if (parent->index.total() > 0) {
    uint64_t off;
    n = parent->index.find(parent->index.total() - 1, &off);
  } else {
    n = parent->start;
  }
  if (n) {
    while (n->right) n = n->right;
  }
  return n;
}

Item* item_ending_at(Transaction& txn, Branch* parent, uint64_t index) {
  if (index == 0) return nullptr;
  uint64_t off = 0;
  Item* n = parent->index.find(index - 1, &off);
  if (!n) return nullptr;
  if (off + 1 < n->length) txn.doc->store.clean_start(txn, ID{n->id.client, n->id.clock + off + 1});
  return n;
}

}  // namespace conflux
