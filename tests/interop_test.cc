// Live interop with real Yjs (npm): interop/live_sessions.mjs runs randomized
// multi-peer sessions where Yjs peers and Conflux peers (conflux-interop-peer)
// edit concurrently and exchange updates out of order, and checks that every
// Conflux peer produces exactly the bytes Yjs produces for the same history.
#include <sys/wait.h>

#include <array>
#include <cstdio>
#include <cstdlib>
#include <string>

#include <catch2/catch.hpp>

namespace {

struct CommandResult {
  int exit_code = -1;
  std::string output;
};

CommandResult run_command(const std::string& command) {
  CommandResult result;
  FILE* pipe = popen((command + " 2>&1").c_str(), "r");
  if (!pipe) return result;
  std::array<char, 4096> buf;
  size_t n;
  while ((n = fread(buf.data(), 1, buf.size(), pipe)) > 0) result.output.append(buf.data(), n);
  int status = pclose(pipe);
  result.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  return result;
}

std::string last_line(const std::string& text) {
  size_t end = text.find_last_not_of('\n');
  if (end == std::string::npos) return "";
  size_t start = text.rfind('\n', end);
  return text.substr(start == std::string::npos ? 0 : start + 1, end - (start == std::string::npos ? 0 : start + 1) + 1);
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
