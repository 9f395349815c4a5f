// ID: the identity of one operation, a (client, clock) pair.
#pragma once

#include <cstdint>

namespace conflux {

struct ID {
  uint64_t client = 0;
  uint64_t clock = 0;
  bool operator==(const ID&) const = default;
  // Not on temporaries: an accessor's copy (item->id() = x) would be lost.
  ID& operator=(const ID&) & = default;
};

}  // namespace conflux
