#include "status_pages.h"

#include <cstdio>
#include <ctime>

#include "conflux/any.h"

namespace conflux::net {
namespace {
Any num(uint64_t v) { return Any(double(v)); }

// An ISO 8601 time in UTC, or null for 0.
Any time_or_null(int64_t unix_ms) {
  if (unix_ms == 0) return Any::null();
  std::time_t t = std::time_t(unix_ms / 1000);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[64];  // room for any int the compiler cannot rule out
  std::snprintf(buf, sizeof buf, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday,
                tm.tm_hour, tm.tm_min, tm.tm_sec, int(unix_ms % 1000));
  return Any(std::string(buf));
}

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
                                 {"refused_messages", num(r.refused_messages)},
                                 {"log_entries", num(r.log_entries)},
                                 {"log_bytes", num(r.log_bytes)},
                                 {"snapshot_bytes", num(r.snapshot_bytes)},
                                 {"last_compaction", time_or_null(r.last_compaction_unix_ms)}}));
  }
  const StorageFigures& st = s.storage;
  Any storage = Any::object({{"backend", st.backend.empty() ? Any::null() : Any(st.backend)},
                             {"commits", num(st.commits)},
                             {"updates_written", num(st.updates_written)},
                             {"compactions", num(st.compactions)},
                             {"failures", num(st.failures)},
                             {"queued", num(st.queued)},
                             {"last_write_ms", Any(double(st.last_write_us) / 1000)},
                             {"max_write_ms", Any(double(st.max_write_us) / 1000)},
                             {"mean_write_ms", Any(st.commits + st.compactions
                                                       ? double(st.total_write_us) / 1000 / double(st.commits + st.compactions)
                                                       : 0.0)},
                             {"last_error", st.last_error.empty() ? Any::null() : Any(st.last_error)}});
  Any relay = Any::null();
  if (s.relay) {
    const RelayFigures& r = *s.relay;
    relay = Any::object({{"endpoint", r.endpoint},
                         {"connected", Any(r.connected)},
                         {"published", num(r.published)},
                         {"received", num(r.received)},
                         {"queued", num(r.queued)},
                         {"reconnects", num(r.reconnects)},
                         {"compactions", num(r.compactions)},
                         {"last_error", r.last_error.empty() ? Any::null() : Any(r.last_error)}});
  }
  Any totals = Any::object({{"rooms", num(s.rooms.size())},
                            {"clients", num(total_clients(s))},
                            {"updates_applied", num(s.updates_applied)},
                            {"awareness_events", num(s.awareness_events)},
                            {"chat_messages", num(s.chat_messages)},
                            {"dropped_slow", num(s.dropped_slow)},
                            {"refused_messages", num(s.refused_messages)},
                            {"rooms_failed", num(s.rooms_failed)},
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
  return Any::object({{"rooms", Any(std::move(rooms))}, {"totals", totals}, {"storage", storage}, {"relay", relay}})
             .to_json() +
         "\n";
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
  metric("conflux_rooms_failed_total", "counter", "Rooms closed because their storage failed (a load or a write).",
         s.rooms_failed);
  const StorageFigures& st = s.storage;
  metric("conflux_storage_commits_total", "counter", "Group commits of updates to the store.", st.commits);
  metric("conflux_storage_updates_written_total", "counter", "Updates committed to the store.", st.updates_written);
  metric("conflux_storage_compactions_total", "counter", "Room logs compacted into a snapshot.", st.compactions);
  metric("conflux_storage_failures_total", "counter", "Store writes that failed.", st.failures);
  metric("conflux_storage_queued", "gauge", "Store writes waiting.", st.queued);
  metric("conflux_storage_write_microseconds_total", "counter", "Time spent in store writes.", st.total_write_us);
  metric("conflux_storage_write_max_microseconds", "gauge", "Longest store write.", st.max_write_us);
  if (s.relay) {
    const RelayFigures& r = *s.relay;
    metric("conflux_relay_connected", "gauge", "1 when the link to the relay is up.", r.connected ? 1 : 0);
    metric("conflux_relay_published_total", "counter", "Messages sent to other nodes.", r.published);
    metric("conflux_relay_received_total", "counter", "Messages from other nodes.", r.received);
    metric("conflux_relay_queued", "gauge", "Messages waiting for the relay link.", r.queued);
    metric("conflux_relay_reconnects_total", "counter", "Times the relay link came back.", r.reconnects);
  }
  auto room_gauge = [&](const char* name, const char* help, uint64_t RoomStats::*field) {
    out += std::string("# HELP ") + name + " " + help + "\n# TYPE " + name + " gauge\n";
    for (const RoomStats& r : s.rooms)
      out += std::string(name) + "{room=\"" + label(r.room) + "\"} " + std::to_string(r.*field) + "\n";
  };
  room_gauge("conflux_room_clients", "Clients connected to a room.", &RoomStats::clients);
  room_gauge("conflux_room_document_bytes", "Size of a room's document as one update.", &RoomStats::document_bytes);
  room_gauge("conflux_room_log_entries", "Updates in a room's log after its snapshot.", &RoomStats::log_entries);
  room_gauge("conflux_room_snapshot_bytes", "Size of a room's stored snapshot.", &RoomStats::snapshot_bytes);
  return out;
}

}  // namespace conflux::net
