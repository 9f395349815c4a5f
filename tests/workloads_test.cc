// The standard benchmarks B1–B3 replayed from ../shared/bench: every final
// document and the updates emitted must be byte for byte what yjs produced
// (the table in ../shared/bench/README.md).
#include <catch2/catch.hpp>
#include <openssl/sha.h>

#include <sstream>

#include "test_util.h"
#include "workloads.h"

using namespace conflux;

namespace {

struct Expected {
  uint64_t v1_bytes = 0, v2_bytes = 0, v1_updates = 0, v2_updates = 0;
  std::string v1_sha, v2_sha;
};

// Rows of the README's table: | bench | v1 bytes | `sha` | v2 bytes | `sha` | sum v1 | sum v2 |
std::map<std::string, Expected> expected_table() {
  std::map<std::string, Expected> out;
  std::istringstream in(test::read_text(test::shared_dir() + "/bench/README.md"));
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind("| B", 0) != 0) continue;
    std::vector<std::string> cells;
    std::string cell;
    std::istringstream row(line.substr(1));
    while (std::getline(row, cell, '|')) {
      cell.erase(0, cell.find_first_not_of(" `"));
      cell.erase(cell.find_last_not_of(" `") + 1);
      cells.push_back(cell);
    }
    if (cells.size() < 7) continue;
    out[cells[0]] = {std::stoull(cells[1]), std::stoull(cells[3]), std::stoull(cells[5]), std::stoull(cells[6]),
                     cells[2], cells[4]};
  }
  return out;
}

std::string sha256_hex(const Bytes& b) {
  unsigned char d[SHA256_DIGEST_LENGTH];
  SHA256(b.data(), b.size(), d);
  return test::hex(Bytes(d, d + sizeof d));
}

}  // namespace

TEST_CASE("B1-B3 replays make yjs's bytes", "[bench][workloads]") {
  REQUIRE(bench::workloads().ok);
  auto table = expected_table();
  REQUIRE(table.size() >= 19);
  int checked = 0;
  for (const std::string& name : bench::workload_names()) {
    INFO(name);
    REQUIRE(table.count(name));
    const Expected& e = table[name];
    bench::WorkloadRun run = bench::run_workload(name, true);
    CHECK(run.error == "");
    CHECK(run.state_v1.size() == e.v1_bytes);
    CHECK(sha256_hex(run.state_v1) == e.v1_sha);
    CHECK(run.state_v2.size() == e.v2_bytes);
    CHECK(sha256_hex(run.state_v2) == e.v2_sha);
    CHECK(run.update_bytes_v1 == e.v1_updates);
    CHECK(run.update_bytes_v2 == e.v2_updates);
    ++checked;
  }
  CHECK(checked == 19);
}
