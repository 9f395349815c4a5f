#include "conflux/auth.h"

namespace conflux {

bool Identity::may_enter(std::string_view room) const {
  if (room_scope.empty()) return true;
  if (room_scope.back() == '*') return room.starts_with(std::string_view(room_scope).substr(0, room_scope.size() - 1));
  return room == room_scope;
}

}  // namespace conflux
