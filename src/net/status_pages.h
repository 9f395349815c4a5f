// The bodies of GET /dashboard (JSON) and GET /metrics (Prometheus text).
#pragma once

#include <cstdint>
#include <string>

#include "conflux/room.h"

namespace conflux::net {

struct TransportCounters {
  uint64_t connections_total = 0, connections_open = 0, websocket_open = 0, auth_refused = 0,
           http_requests = 0, protocol_errors = 0;
  double uptime_seconds = 0;
};

std::string dashboard_json(const ManagerStats& rooms, const TransportCounters& transport);
std::string metrics_text(const ManagerStats& rooms, const TransportCounters& transport);

}  // namespace conflux::net
