// Renders shared types the way Yjs's toJSON() / toString() do.
#pragma once

#include <string>

#include "conflux/any.h"
#include "doc_impl.h"

namespace conflux {

// Yjs's toJSON of a type. Untyped roots are rendered as `as` (or, when `as` is
// Unset, as the kind their content suggests).
Any type_to_json(const Branch* type, TypeRef as = TypeRef::Unset);
// The kind an untyped root's content suggests.
TypeRef infer_type(const Branch* type);
// Yjs's toString of XML types and texts.
std::u16string type_to_string(const Branch* type, TypeRef as = TypeRef::Unset);
// JavaScript String(value).
std::string js_to_string(const Any& v);

}  // namespace conflux
