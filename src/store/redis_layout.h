// How the Redis relay lays rooms out in Redis: key names and stream fields.
//
// A room's keys share the "{room}" hash tag, so they sit in one cluster slot
// and one MULTI can touch them all. Room ids go in as they are: any byte
// string makes a valid key.
#pragma once

#include <string>
#include <string_view>

namespace conflux::redis {

inline std::string room_key(const std::string& room, std::string_view what) {
  std::string key = "conflux:room:{";
  key += room;
  key += "}:";
  key += what;
  return key;
}

// The shared log: a stream of every update any node published.
inline std::string log_key(const std::string& room) { return room_key(room, "log"); }
// The compacted state, and the id of the last log entry it covers.
inline std::string snapshot_key(const std::string& room) { return room_key(room, "snap"); }
inline std::string snapshot_id_key(const std::string& room) { return room_key(room, "snap-id"); }
// Awareness and chat: a capped stream, never part of the log.
inline std::string ephemeral_key(const std::string& room) { return room_key(room, "eph"); }
// Held (with an expiry) by the one node compacting the room.
inline std::string compact_lock_key(const std::string& room) { return room_key(room, "lock"); }

// A random value set when Redis holds the relay's data: if it changes or goes
// missing across a reconnect, Redis lost data.
inline constexpr std::string_view kEpochKey = "conflux:epoch";

// Fields of a stream entry: the publishing node's id, the kind, the payload.
inline constexpr std::string_view kNodeField = "n";
inline constexpr std::string_view kKindField = "k";
inline constexpr std::string_view kPayloadField = "p";
// Kinds.
inline constexpr std::string_view kUpdateKind = "u";
inline constexpr std::string_view kAwarenessKind = "a";
inline constexpr std::string_view kChatKind = "c";

}  // namespace conflux::redis
