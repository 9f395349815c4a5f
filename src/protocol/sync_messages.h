// y-protocols messages as y-websocket speaks them: one binary WebSocket frame
// is one message, and its first varUint says which kind.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "conflux/doc.h"

namespace conflux::protocol {

enum class MessageType : uint8_t { Sync = 0, Awareness = 1, Auth = 2, QueryAwareness = 3 };
enum class SyncStep : uint8_t { Step1 = 0, Step2 = 1, Update = 2 };

// A decoded message. `payload` holds the state vector (Step1), the v1 update
// (Step2, Update) or the awareness update (Awareness).
struct Message {
  MessageType type = MessageType::Sync;
  SyncStep sync = SyncStep::Step1;  // Sync only
  Bytes payload;
  std::string reason;  // Auth: permission denied
};

// Decodes one message. Unknown outer or sync types, truncated input and a
// malformed state vector are errors; bytes after a complete message are ignored, as y-protocols does.
Status decode_message(const uint8_t* data, size_t size, Message* out);

Bytes encode_sync_step1(const Bytes& state_vector);
Bytes encode_sync_step2(const Bytes& update);
Bytes encode_sync_update(const Bytes& update);
Bytes encode_awareness(const Bytes& awareness_update);
Bytes encode_permission_denied(std::string_view reason);
Bytes encode_query_awareness();

}  // namespace conflux::protocol
