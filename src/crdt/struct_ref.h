// StructRef: a struct as read from an update, before (or without) integration.
//
// Updates name neighbours and parents by ID or root name; integration resolves
// them to items and branches. The update utilities (merge, diff, convert) work
// on StructRefs alone, without a document.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "content.h"
#include "id.h"

namespace conflux {

class UpdateEncoder;
class UpdateDecoder;
class DocImpl;
struct Item;
struct Branch;

struct StructRef {
  enum class ParentKind : uint8_t { None, Root, Id };

  ID id;
  uint64_t length = 0;
  Content content;  // GC and Skip refs carry GC / Skip content
  bool has_origin = false;
  bool has_right_origin = false;
  ID origin;
  ID right_origin;
  ParentKind parent_kind = ParentKind::None;
  std::u16string parent_name;  // ParentKind::Root
  ID parent_id;                // ParentKind::Id
  bool has_parent_sub = false;
  std::u16string parent_sub;

  // Filled in by integration.
  Item* left = nullptr;
  Item* right = nullptr;
  Branch* parent = nullptr;
  bool parent_lost = false;  // the parent was collected: integrate as GC

  bool is_gc() const { return content.ref() == ContentRef::GC; }
  bool is_skip() const { return content.ref() == ContentRef::Skip; }
  bool is_item() const { return !is_gc() && !is_skip(); }

  // The part from `offset` ticks on, as Yjs slices structs in the update
  // utilities (origin becomes the tick before, content is split).
  StructRef slice(uint64_t offset) const;
};

// Client -> that client's structs of one update, in clock order.
using ClientStructRefs = std::map<uint64_t, std::vector<StructRef>>;

// Reads one struct whose first tick is `id` (the section header was read).
bool read_struct_ref(UpdateDecoder& dec, DocImpl* doc, ID id, StructRef* out, const char** error);

// Reads the structs section. With a document, root names create (untyped)
// roots as Yjs does while reading. Refuses (returns false, `error` set) any
// malformed or inconsistent input; nothing in `doc` but root creation happens.
bool read_struct_refs(UpdateDecoder& dec, DocImpl* doc, ClientStructRefs* out, const char** error);

// Writes one struct from `offset` ticks on (info byte, origins, parent, content),
// exactly as Yjs's Item/GC/Skip writers do.
void write_struct_ref(UpdateEncoder& enc, const StructRef& ref, uint64_t offset);

}  // namespace conflux
