#include "status_pages.h"

#include "conflux/any.h"

namespace conflux::net {
namespace {
Any num(uint64_t v) { return Any(double(v)); }

uint64_t total_clients(const ManagerStats& s) {
  uint64_t n = 0;
  for (const RoomStats& r : s.rooms) n += r.clients;
  return n;
}

// Prometheus label values escape backslash, quote and newline.
std::string label(const std::string& v) {
  std::string out;
  for (char c : v) {
    if (c == '\\' || c == '"') out += '\\', out += c;
    else if (c == '\n') out += "\\n";
    else out += c;
  }
  return out;
}
}  // namespace

std::string dashboard_json(const ManagerStats& s, const TransportCounters& t) {
  Any::Array rooms;
  for (const RoomStats& r : s.rooms) {
    rooms.push_back(Any::object({{"room", r.room},
                                 {"clients", num(r.clients)},
                                 {"updates_applied", num(r.updates_applied)},
                                 {"awareness_events", num(r.awareness_events)},
                                 {"chat_messages", num(r.chat_messages)},
                                 {"document_bytes", num(r.document_bytes)},
                                 {"dropped_slow", num(r.dropped_slow)},
                                 {"awareness_states", num(r.awareness_states)},
                                 {"refused_messages", num(r.refused_messages)}}));
  }
  Any totals = Any::object({{"rooms", num(s.rooms.size())},
                            {"clients", num(total_clients(s))},
                            {"updates_applied", num(s.updates_applied)},
                            {"awareness_events", num(s.awareness_events)},
                            {"chat_messages", num(s.chat_messages)},
                            {"dropped_slow", num(s.dropped_slow)},
                            {"refused_messages", num(s.refused_messages)},
                            {"rooms_loaded", num(s.rooms_loaded)},
                            {"rooms_unloaded", num(s.rooms_unloaded)},
                            {"sessions_joined", num(s.sessions_joined)},
                            {"connections_total", num(t.connections_total)},
                            {"connections_open", num(t.connections_open)},
                            {"websockets_open", num(t.websocket_open)},
                            {"auth_refused", num(t.auth_refused)},
                            {"http_requests", num(t.http_requests)},
                            {"protocol_errors", num(t.protocol_errors)},
                            {"uptime_seconds", Any(double(int64_t(t.uptime_seconds)))}});
  return Any::object({{"rooms", Any(std::move(rooms))}, {"totals", totals}}).to_json() + "\n";
}

std::string metrics_text(const ManagerStats& s, const TransportCounters& t) {
  std::string out;
  auto metric = [&](const char* name, const char* type, const char* help, uint64_t value) {
    out += std::string("# HELP ") + name + " " + help + "\n# TYPE " + name + " " + type + "\n" + name + " " +
           std::to_string(value) + "\n";
  };
  metric("conflux_rooms", "gauge", "Rooms loaded.", s.rooms.size());
  metric("conflux_clients", "gauge", "Clients connected to rooms.", total_clients(s));
  metric("conflux_connections_total", "counter", "TCP connections accepted.", t.connections_total);
  metric("conflux_connections_open", "gauge", "TCP connections open.", t.connections_open);
  metric("conflux_http_requests_total", "counter", "HTTP requests parsed.", t.http_requests);
  metric("conflux_auth_refused_total", "counter", "Upgrades refused by the authenticator.", t.auth_refused);
  metric("conflux_protocol_errors_total", "counter", "WebSocket connections failed for a protocol error.",
         t.protocol_errors);
  metric("conflux_updates_applied_total", "counter", "Client messages that changed a document.", s.updates_applied);
  metric("conflux_awareness_events_total", "counter", "Awareness changes broadcast.", s.awareness_events);
  metric("conflux_chat_messages_total", "counter", "Chat messages.", s.chat_messages);
  metric("conflux_dropped_slow_total", "counter", "Clients disconnected for not keeping up.", s.dropped_slow);
  metric("conflux_refused_messages_total", "counter", "Malformed or forbidden messages refused.", s.refused_messages);
  metric("conflux_rooms_unloaded_total", "counter", "Rooms unloaded after being idle.", s.rooms_unloaded);
  out += "# HELP conflux_room_clients Clients connected to a room.\n# TYPE conflux_room_clients gauge\n";
  for (const RoomStats& r : s.rooms)
    out += "conflux_room_clients{room=\"" + label(r.room) + "\"} " + std::to_string(r.clients) + "\n";
  out += "# HELP conflux_room_document_bytes Size of a room's document as one update.\n"
         "# TYPE conflux_room_document_bytes gauge\n";
  for (const RoomStats& r : s.rooms)
    out += "conflux_room_document_bytes{room=\"" + label(r.room) + "\"} " + std::to_string(r.document_bytes) + "\n";
  return out;
}

}  // namespace conflux::net
