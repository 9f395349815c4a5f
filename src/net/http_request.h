// HTTP/1.1 request heads: just enough for the WebSocket upgrade and a few
// GET/POST endpoints. Strict: anything malformed is an error, never a guess.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace conflux::net {

// A request head larger than this is refused (431).
inline constexpr size_t kMaxHttpHeadBytes = 16 * 1024;

struct HttpRequest {
  std::string method;  // "GET", "POST", ...
  std::string target;  // as sent: "/room-1?token=abc"
  std::string path;    // target before '?', percent-decoded: "/room-1"
  std::string query;   // target after '?', raw: "token=abc"
  int version_minor = 1;  // HTTP/1.<minor>; only 1.0 and 1.1 are accepted
  std::vector<std::pair<std::string, std::string>> headers;  // names lowercased, values trimmed

  // The first header with this (lowercase) name, or nullptr.
  const std::string* header(std::string_view lowercase_name) const;
  // Whether a comma-separated header (Connection, Upgrade) lists `token`, case-insensitively.
  bool header_has_token(std::string_view lowercase_name, std::string_view token) const;
  // A query parameter, percent-decoded ('+' is a space); nullopt when absent.
  std::optional<std::string> query_param(std::string_view name) const;
  // Content-Length (0 when absent); nullopt when present but invalid.
  std::optional<size_t> content_length() const;
};

enum class HttpParseResult { Incomplete, Done, Error };

// Parses the request head at the start of `data` (request line, headers, blank
// line). On Done, *consumed is the head's length; the body, if any, follows.
// On Error, *error says why. Incomplete with more than kMaxHttpHeadBytes is an Error.
HttpParseResult parse_http_request(std::string_view data, HttpRequest* out, size_t* consumed,
                                   std::string* error);

// Percent-decodes; nullopt on a malformed escape. With plus_as_space, '+' becomes ' '.
std::optional<std::string> percent_decode(std::string_view s, bool plus_as_space);

// The Sec-WebSocket-Accept value for a client's Sec-WebSocket-Key (RFC 6455 4.2.2).
std::string websocket_accept_key(std::string_view client_key);

}  // namespace conflux::net
