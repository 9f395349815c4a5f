// Applying a remote update to a document: decoding, integration in Yjs's
// order, pending structs and delete ranges kept until their dependencies arrive.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "doc_impl.h"
#include "update_codec.h"

namespace conflux {

// Loading a stored document: applies an update of one client's structs from
// clock 0 to an empty document (no structs, nothing pending), with the same
// result and events as apply_update, in a fraction of the time. Returns false,
// changing nothing, when the document or the update is not of that kind or the
// update is malformed.
bool load_update(DocImpl& doc, const uint8_t* data, size_t n, UpdateFormat fmt, const void* origin);

// Validates the whole update, then integrates it in one remote transaction.
// On malformed input returns false, sets `error`, and changes nothing.
bool apply_update(DocImpl& doc, const uint8_t* data, size_t n, UpdateFormat fmt, const void* origin,
                  std::string* error);

}  // namespace conflux
