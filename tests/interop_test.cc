// Live interop with real Yjs (npm): interop/live_sessions.mjs runs randomized
// multi-peer sessions where Yjs peers and Conflux peers (conflux-interop-peer)
// edit concurrently and exchange updates out of order, and checks that every
// Conflux peer produces exactly the bytes Yjs produces for the same history.
#include <cstdlib>
#include <string>

#include <catch2/catch.hpp>

#include "test_util.h"

namespace {

using conflux::test::CommandResult;
using conflux::test::run_command;

std::string last_line(const std::string& text) {
  std::string trimmed = text.substr(0, text.find_last_not_of('\n') + 1);
  return trimmed.substr(trimmed.rfind('\n') + 1);  // npos + 1 == 0: the whole text
}

}  // namespace

TEST_CASE("live sessions with real Yjs peers converge byte for byte", "[interop]") {
  // CONFLUX_LIVE_SESSIONS=N runs more (or fewer) sessions than the default.
  const char* count = std::getenv("CONFLUX_LIVE_SESSIONS");
  std::string command = std::string("node ") + CONFLUX_INTEROP_DIR "/live_sessions.mjs --peer " CONFLUX_BIN_DIR
                        "/conflux-interop-peer --seed 1 --sessions " + (count ? count : "150");
  CommandResult result = run_command(command);
  INFO(command);
  INFO(result.output.substr(result.output.size() > 6000 ? result.output.size() - 6000 : 0));
  REQUIRE(result.exit_code == 0);
  CHECK(last_line(result.output).find("every Conflux peer byte-identical to its Yjs twin") != std::string::npos);
}
