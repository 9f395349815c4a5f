// Durable rooms and cluster mode end to end, with real y-websocket clients
// (tests/interop/storage_e2e.mjs). The cluster scenarios start their own
// redis-server on a free loopback port.
#include <catch2/catch.hpp>

#include "test_util.h"

namespace {
void run_scenario(const std::string& name) { conflux::test::run_e2e_scenario("storage_e2e.mjs", name); }
}  // namespace

TEST_CASE("storage e2e: kill -9 mid-stream, restart: every update another client had received is there",
          "[store][e2e]") {
  run_scenario("crash");
}
TEST_CASE("storage e2e: a room exported as a Yjs update and imported into another is served", "[store][e2e]") {
  run_scenario("exportimport");
}
TEST_CASE("cluster e2e: clients on three nodes converge, a late node catches up, a killed node loses nothing",
          "[redis][e2e]") {
  run_scenario("cluster");
}
TEST_CASE("cluster e2e: Redis stopped and restarted, the nodes serve their clients meanwhile and reconcile",
          "[redis][e2e]") {
  run_scenario("outage");
}
