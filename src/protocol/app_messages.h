// Text-frame messages: JSON for people and simple tools (wscat, scripts).
//
// In: a JSON object with a "type" is a request,
//   {"type":"chat","text":"hi"}
//   {"type":"awareness","state":{...}}      (null leaves)
//   {"type":"update","update":"<base64 v1 update>"}
//   {"type":"sync"}                          (asks for the whole document)
// and any other text is a chat line.
// Out: JSON objects built by the functions below, each with a "type".
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "awareness.h"
#include "conflux/any.h"
#include "conflux/doc.h"

namespace conflux::protocol {

struct TextRequest {
  enum class Kind : uint8_t { Chat, Awareness, Update, Sync } kind = Kind::Chat;
  std::string text;        // Chat
  std::string state_json;  // Awareness: the state as JSON text ("null" leaves)
  Bytes update;            // Update
};

// Parses a text frame. A structured message that is malformed (unknown type,
// a missing or mistyped field, bad base64) is an error the sender should see.
Status parse_text_message(std::string_view text, TextRequest* out);

// Who sent something, as other members see it.
struct Sender {
  std::string user;
  std::string session_id;
};

// "2026-11-24T10:15:30.123Z" for milliseconds since the epoch.
std::string iso8601_utc(int64_t ms);

std::string chat_json(std::string_view room, const Sender& from, std::string_view text, int64_t time_ms);
std::string error_json(std::string_view message);
// The whole document: the v1 update (base64) and its JSON.
std::string sync_json(const Bytes& update, const Any& doc_json);
// A change to the document (v1 update, base64).
std::string update_json(const Bytes& update);
// Awareness changes with the current states of added and updated clients.
std::string awareness_json(const AwarenessChange& change, const Awareness& awareness);
// Sent once to a member that speaks JSON: who it is and who else is here.
std::string welcome_json(std::string_view room, const Sender& you, uint64_t client_id,
                         const std::vector<Sender>& members);
std::string member_json(std::string_view type, const Sender& who);  // "join" / "leave"

}  // namespace conflux::protocol
