// Replaying the editing traces gives their endContent, and the very bytes Yjs
// makes for the same replay (for B4 as recorded; for the others from real Yjs
// run live).
#include <catch2/catch.hpp>

#include <openssl/sha.h>

#include "test_util.h"
#include "trace.h"

using namespace conflux;
using namespace conflux::test;

namespace {

std::string gunzip(const std::string& path) {
  std::string out;
  REQUIRE(bench::read_gzip(path, &out));
  return out;
}

std::string sha256_hex(const std::vector<uint8_t>& b) {
  unsigned char d[SHA256_DIGEST_LENGTH];
  SHA256(b.data(), b.size(), d);
  return hex(std::vector<uint8_t>(d, d + sizeof d));
}

// Replays with code-point positions converted to UTF-16 (the traces here
// stay in the BMP, which the test checks).
std::vector<uint8_t> replay(const std::string& name, uint64_t client) {
  std::string raw = gunzip(shared_dir() + "/traces/" + name);
  for (unsigned char c : raw) REQUIRE(c < 0xF0);
  Any trace;
  REQUIRE(Any::from_json(raw, &trace));
  Doc doc(Doc::Options{.client_id = client});
  Text text = doc.get_text("text");
  for (const Any& t : trace.get("txns")->as_array()) {
    for (const Any& p : t.get("patches")->as_array()) {
      const auto& a = p.as_array();
      uint64_t pos = uint64_t(a[0].as_number()), del = uint64_t(a[1].as_number());
      if (del) text.remove(pos, del);
      if (!a[2].as_string().empty()) text.insert(pos, a[2].as_string());
    }
  }
  CHECK(text.to_string() == trace.get("endContent")->as_string());
  return doc.encode_state_as_update();
}

}  // namespace

TEST_CASE("B4 trace replay makes Yjs's exact state bytes", "[traces]") {
  std::vector<uint8_t> update = replay("automerge-paper.json.gz", 2654435761u);
  CHECK(update.size() == 311038);
  CHECK(sha256_hex(update) == "0c90fe11c6a3fc981d83c36654d586f8f933d031033bfa846baf5522493723b0");
  // A fresh document loading it sees the same text and re-encodes the same bytes.
  Doc loaded(Doc::Options{.client_id = 7});
  REQUIRE(loaded.apply_update(update).ok());
  CHECK(loaded.encode_state_as_update() == update);
}

TEST_CASE("other traces replay to their endContent", "[traces]") {
  replay("rustcode.json.gz", 1);
  replay("sveltecomponent.json.gz", 1);
}

TEST_CASE("other traces make the bytes real Yjs makes for the same replay", "[traces][interop]") {
  for (std::string name : {"rustcode.json.gz", "sveltecomponent.json.gz"}) {
    std::vector<uint8_t> update = replay(name, 2654435761u);
    std::string command = std::string("node ") + CONFLUX_INTEROP_DIR "/replay_trace.cjs " + shared_dir() + "/traces/" +
                          name + " 2654435761";
    CommandResult yjs = run_command(command);
    INFO(command << "\n" << yjs.output);
    REQUIRE(yjs.exit_code == 0);
    CHECK(yjs.output == sha256_hex(update) + " " + std::to_string(update.size()) + "\n");
  }
}
