// The `conflux serve` program end to end, with real y-websocket clients and
// raw `ws` sockets on node (tests/interop/server_e2e.mjs).
#include <catch2/catch.hpp>

#include "test_util.h"

namespace {
void run_scenario(const std::string& name) { conflux::test::run_e2e_scenario("server_e2e.mjs", name); }
}  // namespace

TEST_CASE("server e2e: y-websocket clients edit Text, Map and XML concurrently and converge, a late joiner gets all",
          "[server][e2e]") {
  run_scenario("converge");
}
TEST_CASE("server e2e: awareness is shared and removed within a second of a socket closing", "[server][e2e]") {
  run_scenario("awareness");
}
TEST_CASE("server e2e: a plain-text chat line reaches the others as JSON naming its sender", "[server][e2e]") {
  run_scenario("chat");
}
TEST_CASE("server e2e: tokens refused (none, bad signature, expired, alg none, other room, confusion), read-only",
          "[server][e2e]") {
  run_scenario("auth");
}
TEST_CASE("server e2e: malformed update, truncated frame, oversized and unmasked messages hurt no one else",
          "[server][e2e]") {
  run_scenario("hostile");
}
TEST_CASE("server e2e: /dashboard counts a scripted session exactly, idle rooms unload", "[server][e2e]") {
  run_scenario("dashboard");
}
TEST_CASE("server e2e: SIGTERM closes clients with 1001 and exits cleanly", "[server][e2e]") {
  run_scenario("shutdown");
}
TEST_CASE("server e2e: a host embeds the server with its own authenticator and sees changes", "[server][e2e]") {
  run_scenario("embedded");
}
TEST_CASE("server e2e: a client that stops reading is dropped with 1013 and counted, others carry on", "[server][e2e]") {
  run_scenario("slow");
}
TEST_CASE("server e2e: a peer that does not answer pings is dropped, others stay", "[server][e2e]") {
  run_scenario("liveness");
}
