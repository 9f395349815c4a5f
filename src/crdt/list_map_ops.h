// Local operations on sequences (Array, XmlFragment children) and maps (Map,
// attributes), emitting the same structs as Yjs.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "conflux/any.h"
#include "doc_impl.h"

namespace conflux {

// A value to insert. JSON-like values are grouped into one Any item per run;
// bytes, nested types and subdocuments each become an item of their own.
struct InsertValue {
  enum class Kind : uint8_t { Any, Binary, Type, Doc } kind = Kind::Any;
  Any value;        // Any; Binary (bytes); Doc (options object)
  BranchPtr type;   // Type
  std::u16string guid;  // Doc

  static InsertValue of(Any v);
  static InsertValue of_type(BranchPtr t);
  static InsertValue of_doc(std::u16string guid, Any options);
};

// Returns the branches of inserted types, in order. `index` <= length.
std::vector<Branch*> list_insert(Transaction& txn, Branch* list, uint64_t index, std::vector<InsertValue> values);
std::vector<Branch*> list_push(Transaction& txn, Branch* list, std::vector<InsertValue> values);
// Deletes min(length, available) elements; returns how many were deleted.
uint64_t list_delete(Transaction& txn, Branch* list, uint64_t index, uint64_t length);

Branch* map_set(Transaction& txn, Branch* map, std::u16string_view key, InsertValue value);
void map_delete(Transaction& txn, Branch* map, std::u16string_view key);

// The item and offset holding visible element `index` of a sequence.
const Item* list_item_at(const Branch* list, uint64_t index, uint64_t* offset);

}  // namespace conflux
