// Update utilities that work on encoded updates alone (no document):
// merging, diffing against a state vector, converting between v1 and v2.
#pragma once

#include <cstdint>
#include <vector>

#include "update_codec.h"

namespace conflux {

// All return false (and leave *out untouched) on malformed input.
bool merge_updates(const std::vector<std::vector<uint8_t>>& updates, UpdateFormat fmt, std::vector<uint8_t>* out,
                   const char** error = nullptr);
bool diff_update(const std::vector<uint8_t>& update, const std::vector<uint8_t>& state_vector, UpdateFormat fmt,
                 std::vector<uint8_t>* out, const char** error = nullptr);
bool convert_update(const std::vector<uint8_t>& update, UpdateFormat from, UpdateFormat to, std::vector<uint8_t>* out,
                    const char** error = nullptr);

}  // namespace conflux
