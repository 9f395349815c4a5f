// Rich-text operations on a Text / XmlText branch, emitting the same structs
// as Yjs's Y.Text: formatting markers, negations, the gap clean-ups.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "conflux/any.h"
#include "doc_impl.h"

namespace conflux {

// Attribute maps in insertion order. Values are shared with the format items
// they come from, because Yjs compares attribute values with JavaScript's
// `===`, where two distinct objects are never equal (see ContentFormat).
using AttrMap = std::vector<std::pair<std::u16string, AttrValue>>;

// What one text insert carries.
struct TextChunk {
  enum class Kind : uint8_t { String, Embed, Type } kind = Kind::String;
  std::u16string str;
  Any embed;
  BranchPtr type;
};

// Inserts at a UTF-16 index. `attributes` null: take the formatting at that
// position (Y.Text.insert without attributes). Returns the type's branch for
// Kind::Type chunks.
Branch* text_insert(Transaction& txn, Branch* text, uint64_t index, TextChunk chunk, const AttrMap* attributes);
void text_delete(Transaction& txn, Branch* text, uint64_t index, uint64_t length);
// The same edits of text without formatting, made without a transaction
// when only update listeners could see one: they get the same update, and
// the edit leaves the items the transaction would have left. False, with
// nothing changed, when that does not apply: then make the edit in a
// transaction.
bool text_insert_direct(Branch* text, uint64_t index, std::string_view utf8);
bool text_delete_direct(Branch* text, uint64_t index, uint64_t length);
void text_format(Transaction& txn, Branch* text, uint64_t index, uint64_t length, const AttrMap& attributes);

// One op of a delta: an insert (string, embed or type) with attributes; or a
// retain/delete when used as input to apply.
struct DeltaOp {
  enum class Kind : uint8_t { Insert, Retain, Delete } kind = Kind::Insert;
  std::u16string str;       // string insert
  const Any* embed = nullptr;  // embed insert (points into the document / caller)
  Branch* type = nullptr;   // type insert
  uint64_t count = 0;       // retain / delete
  AttrMap attributes;
};

std::vector<DeltaOp> text_to_delta(const Branch* text);
std::u16string text_to_string(const Branch* text);
// The same as UTF-8, without the UTF-16 string in between.
std::string text_to_utf8(const Branch* text);

// Applies a delta (Y.Text.applyDelta). Inserted types must be given as
// `owned_types` in op order (their branches are moved into the document).
void text_apply_delta(Transaction& txn, Branch* text, const std::vector<DeltaOp>& ops,
                      std::vector<BranchPtr>* owned_types);

// Yjs's clean-up of duplicate formatting after a remote transaction.
void cleanup_text_after_remote_transaction(Transaction& txn);

// JavaScript `===` on two attribute values (nullptr = undefined).
bool js_strict_equal(const Any* a, const Any* b);
// Yjs's equalAttrs: `===`, or a shallow comparison of two objects/arrays.
bool equal_attrs(const Any* a, const Any* b);

}  // namespace conflux
