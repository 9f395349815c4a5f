// HTTP/1.1 request heads as the server reads them.
#include <catch2/catch.hpp>

#include "http_request.h"

using namespace conflux::net;

namespace {
const std::string kUpgrade =
    "GET /ws/my%20room?token=a%2Bb&x=1&flag HTTP/1.1\r\n"
    "Host: localhost:1234\r\n"
    "Upgrade: websocket\r\n"
    "Connection: keep-alive, Upgrade\r\n"
    "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
    "Sec-WebSocket-Version: 13\r\n"
    "Origin: http://example.com\r\n"
    "\r\n";

HttpParseResult parse(const std::string& s, HttpRequest* r, std::string* error = nullptr) {
  size_t consumed = 0;
  std::string e;
  auto res = parse_http_request(s, r, &consumed, error ? error : &e);
  return res;
}
}  // namespace

TEST_CASE("a browser's upgrade request parses at every split", "[net][http]") {
  for (size_t cut = 0; cut < kUpgrade.size(); ++cut) {
    HttpRequest r;
    size_t consumed = 0;
    std::string error;
    REQUIRE(parse_http_request(std::string_view(kUpgrade).substr(0, cut), &r, &consumed, &error) ==
            HttpParseResult::Incomplete);
  }
  HttpRequest r;
  size_t consumed = 0;
  std::string error;
  std::string with_body = kUpgrade + "\x81\x80";  // a frame right behind the head
  REQUIRE(parse_http_request(with_body, &r, &consumed, &error) == HttpParseResult::Done);
  CHECK(consumed == kUpgrade.size());
  CHECK(r.method == "GET");
  CHECK(r.path == "/ws/my room");
  CHECK(r.query == "token=a%2Bb&x=1&flag");
  CHECK(r.query_param("token") == "a+b");
  CHECK(r.query_param("x") == "1");
  CHECK(r.query_param("flag") == "");
  CHECK_FALSE(r.query_param("missing"));
  CHECK(r.header_has_token("connection", "upgrade"));
  CHECK(r.header_has_token("upgrade", "WebSocket"));
  CHECK_FALSE(r.header_has_token("connection", "close"));
  REQUIRE(r.header("sec-websocket-version"));
  CHECK(*r.header("sec-websocket-version") == "13");
  CHECK(r.content_length() == size_t(0));
}

TEST_CASE("malformed request heads are refused with a reason", "[net][http]") {
  auto error_of = [](const std::string& s) {
    HttpRequest r;
    std::string e;
    return parse(s, &r, &e) == HttpParseResult::Error ? e : std::string("accepted");
  };
  CHECK(error_of("get / HTTP/1.1\r\n\r\n") == "malformed method");
  CHECK(error_of("GET /\r\n\r\n") == "malformed request line: no HTTP version");
  CHECK(error_of("GET / HTTP/2.0\r\n\r\n") == "unsupported HTTP version");
  CHECK(error_of("GET http://x/ HTTP/1.1\r\n\r\n") == "request target must start with '/'");
  CHECK(error_of("GET / HTTP/1.1\r\nNoColon\r\n\r\n") == "malformed header line");
  CHECK(error_of("GET / HTTP/1.1\r\nHost : x\r\n\r\n") == "malformed header name");
  CHECK(error_of("GET / HTTP/1.1\r\nA: b\r\n folded: c\r\n\r\n") == "malformed header name");
  CHECK(error_of("GET /%zz HTTP/1.1\r\n\r\n") == "malformed percent-escape in path");
  CHECK(error_of("GET /a%00b HTTP/1.1\r\n\r\n") == "NUL in path");
  CHECK(error_of("GET / HTTP/1.1\r\nX: a\x01" "b\r\n\r\n") == "control character in header value");
  std::string many = "GET / HTTP/1.1\r\n";
  for (int i = 0; i < 101; ++i) many += "X-" + std::to_string(i) + ": v\r\n";
  CHECK(error_of(many + "\r\n") == "too many headers");
  CHECK(error_of("GET / HTTP/1.1\r\nX: " + std::string(kMaxHttpHeadBytes, 'a')) == "request head too large");
  CHECK(error_of("GET / HTTP/1.0\r\n\r\n") == "accepted");
}

TEST_CASE("Content-Length is strict", "[net][http]") {
  auto length = [](const std::string& headers) {
    HttpRequest r;
    REQUIRE(parse("POST /login HTTP/1.1\r\n" + headers + "\r\n", &r) == HttpParseResult::Done);
    return r.content_length();
  };
  CHECK(length("") == size_t(0));
  CHECK(length("Content-Length: 42\r\n") == size_t(42));
  CHECK_FALSE(length("Content-Length: -1\r\n"));
  CHECK_FALSE(length("Content-Length: 1e3\r\n"));
  CHECK_FALSE(length("Content-Length: 99999999999999999999\r\n"));
  CHECK_FALSE(length("Content-Length: 5\r\nContent-Length: 6\r\n"));
  CHECK(length("Content-Length: 5\r\nContent-Length: 5\r\n") == size_t(5));
}

TEST_CASE("percent decoding", "[net][http]") {
  CHECK(percent_decode("a%20b+c", false) == "a b+c");
  CHECK(percent_decode("a%20b+c", true) == "a b c");
  CHECK_FALSE(percent_decode("%2", false));
  CHECK_FALSE(percent_decode("%g0", false));
}

TEST_CASE("the Sec-WebSocket-Accept key of RFC 6455's example", "[net][http]") {
  CHECK(websocket_accept_key("dGhlIHNhbXBsZSBub25jZQ==") == "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=");
}
