#include "list_map_ops.h"

#include "block.h"
#include "local_ops.h"

namespace conflux {

InsertValue InsertValue::of(Any v) {
  InsertValue iv;
  if (v.is_bytes()) iv.kind = Kind::Binary;
  iv.value = std::move(v);
  return iv;
}
InsertValue InsertValue::of_type(BranchPtr t) {
  InsertValue iv;
  iv.kind = Kind::Type;
  iv.type = std::move(t);
  return iv;
}
InsertValue InsertValue::of_doc(std::u16string guid, Any options) {
  InsertValue iv;
  iv.kind = Kind::Doc;
  iv.guid = std::move(guid);
  iv.value = std::move(options);
  return iv;
}

namespace {

Content single_content(InsertValue& v) {
  switch (v.kind) {
    case InsertValue::Kind::Binary:
      return Content::binary(v.value.as_bytes());
    case InsertValue::Kind::Type:
      return Content::type(std::move(v.type));
    case InsertValue::Kind::Doc:
      return Content::doc(std::move(v.guid), std::move(v.value));
    case InsertValue::Kind::Any:
      break;
  }
  std::vector<Any> one;
  one.push_back(std::move(v.value));
  return Content::any(std::move(one));
}

std::vector<Branch*> insert_after(Transaction& txn, Branch* list, Item* left, std::vector<InsertValue> values) {
  Item* right = left ? left->right : list->start;
  std::vector<Branch*> types;
  std::vector<Any> run;
  auto pack = [&]() {
    if (run.empty()) return;
    left = insert_local_item(txn, list, left, right, nullptr, Content::any(std::move(run)));
    run.clear();
  };
  for (InsertValue& v : values) {
    if (v.kind == InsertValue::Kind::Any) {
      run.push_back(std::move(v.value));
      continue;
    }
    pack();
    left = insert_local_item(txn, list, left, right, nullptr, single_content(v));
    if (left->content.ref() == ContentRef::Type) types.push_back(left->content.type());
  }
  pack();
  return types;
}

}  // namespace

std::vector<Branch*> list_insert(Transaction& txn, Branch* list, uint64_t index, std::vector<InsertValue> values) {
  if (index > list->length) index = list->length;
  Item* left = item_ending_at(txn, list, index);
  return insert_after(txn, list, left, std::move(values));
}

std::vector<Branch*> list_push(Transaction& txn, Branch* list, std::vector<InsertValue> values) {
  return insert_after(txn, list, sequence_last(list), std::move(values));
}

uint64_t list_delete(Transaction& txn, Branch* list, uint64_t index, uint64_t length) {
  if (length == 0 || index >= list->length) return 0;
  uint64_t deleted = 0;
  Item* n;
  if (index == 0) {
    n = list->start;
  } else {
    n = item_ending_at(txn, list, index);
    n = n->right;
  }
  while (length > 0 && n) {
    if (!n->deleted() && n->countable()) {
      if (length < n->length) txn.doc->store.clean_start(txn, ID{n->client, n->clock + length});
      length -= n->length;
      deleted += n->length;
      delete_item(txn, n);
    }
    n = n->right;
  }
  return deleted;
}

Branch* map_set(Transaction& txn, Branch* map, std::u16string_view key, InsertValue value) {
  const std::u16string* k = txn.doc->intern(key);
  auto it = map->map.find(k);
  Item* left = it == map->map.end() ? nullptr : it->second;
  Item* item = insert_local_item(txn, map, left, nullptr, k, single_content(value));
  return item->content.ref() == ContentRef::Type ? item->content.type() : nullptr;
}

void map_delete(Transaction& txn, Branch* map, std::u16string_view key) {
  const std::u16string* k = txn.doc->intern(key);
  auto it = map->map.find(k);
  if (it != map->map.end()) delete_item(txn, it->second);
}

const Item* list_item_at(const Branch* list, uint64_t index, uint64_t* offset) {
  return list->index.find(index, offset);
}

}  // namespace conflux
