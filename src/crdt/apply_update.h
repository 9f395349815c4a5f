// Applying a remote update to a document: decoding, integration in Yjs's
// order, pending structs and delete ranges kept until their dependencies arrive.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "doc_impl.h"
#include "update_codec.h"

namespace conflux {

// Validates the whole update, then integrates it in one remote transaction.
// On malformed input returns false, sets `error`, and changes nothing.
bool apply_update(DocImpl& doc, const uint8_t* data, size_t n, UpdateFormat fmt, const void* origin,
                  std::string* error);

}  // namespace conflux
