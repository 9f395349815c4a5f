#include "app_messages.h"

#include <ctime>

#include "base64.h"

namespace conflux::protocol {

Status parse_text_message(std::string_view text, TextRequest* out) {
  Any msg;
  const Any* type = nullptr;
  if (!text.empty() && text.front() == '{' && Any::from_json(text, &msg)) type = msg.get("type");
  if (!type) {
    out->kind = TextRequest::Kind::Chat;
    out->text = std::string(text);
    return Status();
  }
  if (!type->is_string()) return Status::error("\"type\" must be a string");
  const std::string& t = type->as_string();
  if (t == "chat") {
    const Any* body = msg.get("text");
    if (!body || !body->is_string()) return Status::error("chat: \"text\" must be a string");
    out->kind = TextRequest::Kind::Chat;
    out->text = body->as_string();
  } else if (t == "awareness") {
    const Any* state = msg.get("state");
    if (!state || state->is_undefined()) return Status::error("awareness: \"state\" is missing");
    out->kind = TextRequest::Kind::Awareness;
    out->state_json = state->to_json();
  } else if (t == "update") {
    const Any* body = msg.get("update");
    if (!body || !body->is_string()) return Status::error("update: \"update\" must be a base64 string");
    auto bytes = base64_decode(body->as_string());
    if (!bytes) return Status::error("update: \"update\" is not valid base64");
    out->kind = TextRequest::Kind::Update;
    out->update = std::move(*bytes);
  } else if (t == "sync") {
    out->kind = TextRequest::Kind::Sync;
  } else {
    return Status::error("unknown message type \"" + t + "\"");
  }
  return Status();
}

std::string iso8601_utc(int64_t ms) {
  std::time_t secs = std::time_t(ms / 1000);
  std::tm tm{};
  gmtime_r(&secs, &tm);
  char buf[64];
  std::snprintf(buf, sizeof buf, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", tm.tm_year + 1900, tm.tm_mon + 1,
                tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, int(ms % 1000));
  return buf;
}

namespace {
Any sender_any(const Sender& s) { return Any::object({{"user", s.user}, {"sid", s.session_id}}); }
}  // namespace

std::string chat_json(std::string_view room, const Sender& from, std::string_view text, int64_t time_ms) {
  return Any::object({{"type", "chat"},
                      {"room", room},
                      {"user", from.user},
                      {"sid", from.session_id},
                      {"text", text},
                      {"time", iso8601_utc(time_ms)}})
      .to_json();
}

std::string error_json(std::string_view message) {
  return Any::object({{"type", "error"}, {"message", message}}).to_json();
}

std::string sync_json(const Bytes& update, const Any& doc_json) {
  return Any::object({{"type", "sync"}, {"update", base64_encode(update)}, {"doc", doc_json}}).to_json();
}

std::string update_json(const Bytes& update) {
  return Any::object({{"type", "update"}, {"update", base64_encode(update)}}).to_json();
}

std::string awareness_json(const AwarenessChange& change, const Awareness& awareness) {
  auto ids = [](const std::vector<uint64_t>& v) {
    Any::Array a;
    for (uint64_t id : v) a.emplace_back(double(id));
    return Any(std::move(a));
  };
  Any::Object states;
  for (const auto* list : {&change.added, &change.updated}) {
    for (uint64_t id : *list) {
      Any state;
      const std::string* json = awareness.state(id);
      if (json && Any::from_json(*json, &state)) states.emplace_back(std::to_string(id), std::move(state));
    }
  }
  return Any::object({{"type", "awareness"},
                      {"added", ids(change.added)},
                      {"updated", ids(change.updated)},
                      {"removed", ids(change.removed)},
                      {"states", Any::object(std::move(states))}})
      .to_json();
}

std::string welcome_json(std::string_view room, const Sender& you, uint64_t client_id,
                         const std::vector<Sender>& members) {
  Any::Array list;
  for (const Sender& m : members) list.push_back(sender_any(m));
  return Any::object({{"type", "welcome"},
                      {"room", room},
                      {"user", you.user},
                      {"sid", you.session_id},
                      {"client", double(client_id)},
                      {"members", Any(std::move(list))}})
      .to_json();
}

std::string member_json(std::string_view type, const Sender& who) {
  return Any::object({{"type", type}, {"user", who.user}, {"sid", who.session_id}}).to_json();
}

}  // namespace conflux::protocol
