#include "http_request.h"

#include <openssl/evp.h>
#include <openssl/sha.h>

#include <algorithm>
#include <cctype>

namespace conflux::net {
namespace {

constexpr size_t kMaxHeaders = 100;

bool is_token_char(char c) {
  if (std::isalnum(uint8_t(c))) return true;
  switch (c) {
    case '!': case '#': case '$': case '%': case '&': case '\'': case '*': case '+':
    case '-': case '.': case '^': case '_': case '`': case '|': case '~':
      return true;
    default:
      return false;
  }
}

char lower(char c) { return char(std::tolower(uint8_t(c))); }

bool iequals(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) { return lower(x) == lower(y); });
}

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

HttpParseResult error_out(std::string* error, const char* why) {
  *error = why;
  return HttpParseResult::Error;
}

}  // namespace

const std::string* HttpRequest::header(std::string_view name) const {
  for (const auto& [n, v] : headers)
    if (n == name) return &v;
  return nullptr;
}

bool HttpRequest::header_has_token(std::string_view name, std::string_view token) const {
  for (const auto& [n, v] : headers) {
    if (n != name) continue;
    std::string_view rest = v;
    while (!rest.empty()) {
      size_t comma = rest.find(',');
      std::string_view item = trim(rest.substr(0, comma));
      if (iequals(item, token)) return true;
      if (comma == std::string_view::npos) break;
      rest.remove_prefix(comma + 1);
    }
  }
  return false;
}

std::optional<std::string> HttpRequest::query_param(std::string_view name) const {
  std::string_view rest = query;
  while (!rest.empty()) {
    size_t amp = rest.find('&');
    std::string_view pair = rest.substr(0, amp);
    size_t eq = pair.find('=');
    std::string_view key = pair.substr(0, eq);
    if (auto decoded = percent_decode(key, true); decoded && *decoded == name) {
      if (eq == std::string_view::npos) return std::string();
      return percent_decode(pair.substr(eq + 1), true);
    }
    if (amp == std::string_view::npos) break;
    rest.remove_prefix(amp + 1);
  }
  return std::nullopt;
}

std::optional<size_t> HttpRequest::content_length() const {
  std::optional<size_t> result;
  for (const auto& [n, v] : headers) {
    if (n != "content-length") continue;
    if (v.empty() || v.size() > 15 || !std::all_of(v.begin(), v.end(), [](char c) { return c >= '0' && c <= '9'; }))
      return std::nullopt;
    size_t value = std::stoull(v);
    if (result && *result != value) return std::nullopt;  // conflicting lengths: a smuggling attempt
    result = value;
  }
  return result.value_or(0);
}

std::optional<std::string> percent_decode(std::string_view s, bool plus_as_space) {
  std::string out;
  out.reserve(s.size());
  for (size_t i = 0; i < s.size(); ++i) {
    char c = s[i];
    if (c == '%') {
      if (i + 2 >= s.size()) return std::nullopt;
      int hi = hex_value(s[i + 1]), lo = hex_value(s[i + 2]);
      if (hi < 0 || lo < 0) return std::nullopt;
      out += char(hi * 16 + lo);
      i += 2;
    } else if (c == '+' && plus_as_space) {
      out += ' ';
    } else {
      out += c;
    }
  }
  return out;
}

HttpParseResult parse_http_request(std::string_view data, HttpRequest* out, size_t* consumed, std::string* error) {
  size_t end = data.find("\r\n\r\n");
  if (end == std::string_view::npos) {
    if (data.size() > kMaxHttpHeadBytes) return error_out(error, "request head too large");
    return HttpParseResult::Incomplete;
  }
  if (end + 4 > kMaxHttpHeadBytes) return error_out(error, "request head too large");
  std::string_view head = data.substr(0, end);
  *consumed = end + 4;

  size_t line_end = head.find("\r\n");
  std::string_view line = head.substr(0, line_end);
  std::string_view rest = line_end == std::string_view::npos ? std::string_view() : head.substr(line_end + 2);

  // Request line: METHOD SP target SP HTTP/1.x
  size_t sp1 = line.find(' ');
  if (sp1 == std::string_view::npos || sp1 == 0) return error_out(error, "malformed request line");
  size_t sp2 = line.find(' ', sp1 + 1);
  if (sp2 == std::string_view::npos) return error_out(error, "malformed request line: no HTTP version");
  std::string_view method = line.substr(0, sp1), target = line.substr(sp1 + 1, sp2 - sp1 - 1),
                   version = line.substr(sp2 + 1);
  for (char c : method)
    if (!(c >= 'A' && c <= 'Z')) return error_out(error, "malformed method");
  if (target.empty() || target[0] != '/') return error_out(error, "request target must start with '/'");
  for (char c : target)
    if (uint8_t(c) <= 0x20 || c == 0x7f) return error_out(error, "malformed request target");
  if (version == "HTTP/1.1") out->version_minor = 1;
  else if (version == "HTTP/1.0") out->version_minor = 0;
  else return error_out(error, "unsupported HTTP version");
  out->method = std::string(method);
  out->target = std::string(target);
  size_t q = target.find('?');
  auto path = percent_decode(target.substr(0, q), false);
  if (!path) return error_out(error, "malformed percent-escape in path");
  if (path->find('\0') != std::string::npos) return error_out(error, "NUL in path");
  out->path = std::move(*path);
  out->query = q == std::string_view::npos ? std::string() : std::string(target.substr(q + 1));

  out->headers.clear();
  while (!rest.empty()) {
    size_t e = rest.find("\r\n");
    std::string_view h = rest.substr(0, e);
    rest = e == std::string_view::npos ? std::string_view() : rest.substr(e + 2);
    if (out->headers.size() == kMaxHeaders) return error_out(error, "too many headers");
    size_t colon = h.find(':');
    if (colon == std::string_view::npos || colon == 0) return error_out(error, "malformed header line");
    std::string name;
    for (char c : h.substr(0, colon)) {
      if (!is_token_char(c)) return error_out(error, "malformed header name");
      name += lower(c);
    }
    std::string_view value = trim(h.substr(colon + 1));
    for (char c : value)
      if ((uint8_t(c) < 0x20 && c != '\t') || c == 0x7f) return error_out(error, "control character in header value");
    out->headers.emplace_back(std::move(name), std::string(value));
  }
  return HttpParseResult::Done;
}

std::string websocket_accept_key(std::string_view client_key) {
  std::string input(client_key);
  input += "258EAFA5-E914-47DA-95CA-C5AB0DC85B11";
  unsigned char digest[SHA_DIGEST_LENGTH];
  unsigned int len = 0;
  EVP_Digest(input.data(), input.size(), digest, &len, EVP_sha1(), nullptr);
  unsigned char encoded[4 * ((SHA_DIGEST_LENGTH + 2) / 3) + 1];
  int n = EVP_EncodeBlock(encoded, digest, int(len));
  return std::string(reinterpret_cast<char*>(encoded), size_t(n));
}

}  // namespace conflux::net
