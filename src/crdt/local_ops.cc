#include "local_ops.h"

#include <optional>

#include "block.h"
#include "utf.h"

namespace conflux {

namespace {

// Typing right after our own latest text: the new item would be merged into
// `left` when the transaction ends (same client, next clock, origin at its
// end, same right origin, same neighbours), so grow `left` in place instead.
// The store, the update encoder (which cuts items at the before-state) and
// the delete set see exactly what the merge would have left. Type observers
// are the exception: their events need the transaction's own items, so then
// the item is made and merged as usual.
//
// Returns the client's state (the clock the new text would start at), or
// nullopt when `left` cannot grow.
std::optional<uint64_t> own_run_end(DocImpl& doc, Branch* parent, Item* left, Item* right, uint64_t units) {
  if (!left || left->parent_sub() || left->content.ref() != ContentRef::String) return std::nullopt;
  if (left->client != doc.client_id || left->deleted() || left->right != right) return std::nullopt;
  if (left->has_right_origin() != (right != nullptr)) return std::nullopt;
  if (right && !(left->right_origin() == right->id())) return std::nullopt;
  if (!parent->observers.empty() || !doc.after_transaction_observers.empty()) return std::nullopt;
  if (parent->item && parent->item->deleted()) return std::nullopt;
  uint64_t state = doc.store.state(doc.client_id);
  if (left->clock + left->length != state || units > kMaxClock - state) return std::nullopt;
  return state;
}

// `left` (see own_run_end) grew by n units of text. Without a transaction
// (see text_insert_direct) there is nothing to record.
void grew_own_run(DocImpl& doc, Transaction* txn, Branch* parent, Item* left, uint64_t state, uint64_t n) {
  left->length += n;
  parent->length += n;  // text counts
  parent->index.grow(left, n);
  doc.store.grow_last(doc.client_id, state + n);
  if (txn) {
    txn->settled_growth += n;
    add_changed_type(*txn, parent, nullptr);
  }
}

}  // namespace

bool extend_own_text_run(Transaction& txn, Branch* parent, Item* left, Item* right, std::u16string_view text) {
  std::optional<uint64_t> state = own_run_end(*txn.doc, parent, left, right, text.size());
  if (!state) return false;
  left->content.str_buffer().append(text);
  grew_own_run(*txn.doc, &txn, parent, left, *state, text.size());
  return true;
}

bool extend_own_text_run_direct(DocImpl& doc, Branch* parent, Item* left, Item* right, std::string_view utf8,
                                uint64_t* state_before, uint64_t* units) {
  // UTF-8 bytes bound the UTF-16 units they make.
  std::optional<uint64_t> state = own_run_end(doc, parent, left, right, utf8.size());
  if (!state) return false;
  *state_before = *state;
  *units = utf::append_text(utf8, &left->content.str_buffer());
  grew_own_run(doc, nullptr, parent, left, *state, *units);
  return true;
}

Item* insert_local_item(Transaction& txn, Branch* parent, Item* left, Item* right,
                        const std::u16string* parent_sub, Content content) {
  if (!parent_sub && content.ref() == ContentRef::String) {
    if (std::optional<uint64_t> state = own_run_end(*txn.doc, parent, left, right, content.length())) {
      uint64_t n = content.length();
      left->content.append(std::move(content));
      grew_own_run(*txn.doc, &txn, parent, left, *state, n);
      return left;
    }
  }
  return insert_new_local_item(txn, parent, left, right, parent_sub, std::move(content));
}

Item* insert_new_local_item(Transaction& txn, Branch* parent, Item* left, Item* right,
                            const std::u16string* parent_sub, Content content) {
  DocImpl& doc = *txn.doc;
  const uint64_t length = content.length();
  const uint64_t clock = doc.local_clock(length);
  Item* item = doc.store.new_item();
  item->set_id(ID{doc.client_id, clock});
  item->content = std::move(content);
  item->length = uint32_t(length);
  item->left = left;
  item->right = right;
  if (left) item->set_origin(left->last_id());
  if (right) item->set_right_origin(right->id());
  item->parent = parent;
  item->set_parent_sub(parent_sub);
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
  if (off + 1 < n->length) txn.doc->store.clean_start(txn, ID{n->client, n->clock + off + 1});
  return n;
}

}  // namespace conflux
