// The golden Yjs vectors and randomized sessions: same JSON, same bytes.
#include <catch2/catch.hpp>

#include <cstdio>
#include <filesystem>
#include <sstream>

#include "test_util.h"

using namespace conflux;
using namespace conflux::test;

namespace {

std::string vectors_dir() { return shared_dir() + "/reference/vectors/"; }

Any load_json(const std::string& path) {
  Any v;
  REQUIRE(Any::from_json(read_text(path), &v));
  return v;
}

void open_root(Doc& doc, const std::string& name, const std::string& kind) {
  if (kind == "text") REQUIRE(doc.get_text(name).valid());
  else if (kind == "array") REQUIRE(doc.get_array(name).valid());
  else if (kind == "map") REQUIRE(doc.get_map(name).valid());
  else REQUIRE(doc.get_xml_fragment(name).valid());
}

Any root_json(Doc& doc, const std::string& name, const std::string& kind) {
  if (kind == "text") return doc.get_text(name).to_json();
  if (kind == "array") return doc.get_array(name).to_json();
  if (kind == "map") return doc.get_map(name).to_json();
  return doc.get_xml_fragment(name).to_json();
}

}  // namespace

TEST_CASE("golden vectors: same JSON and bytes as Yjs", "[vectors]") {
  Any index = load_json(vectors_dir() + "index.json");
  const Any* cases = index.get("cases");
  REQUIRE(cases);
  REQUIRE(cases->as_array().size() > 50);
  for (const Any& c : cases->as_array()) {
    const std::string name = c.get("name")->as_string();
    DYNAMIC_SECTION(name) {
      const Any& receiver = *c.get("receiver");
      bool v2 = c.get("inputFormat")->as_string() == "v2";
      Doc doc(Doc::Options{.client_id = uint64_t(receiver.get("clientID")->as_number()),
                           .gc = receiver.get("gc")->as_bool()});
      const auto& roots = c.get("roots")->as_object();
      if (receiver.get("typedBeforeApply")->as_bool()) {
        for (const auto& [root, kind] : roots) open_root(doc, root, kind.as_string());
      }
      int inputs = int(c.get("inputs")->as_number());
      for (int i = 0; i < inputs; ++i) {
        std::string path = vectors_dir() + name + "/" + std::to_string(i) + (v2 ? ".v2.bin" : ".bin");
        std::vector<uint8_t> u = read_bytes(path);
        Status s = v2 ? doc.apply_update_v2(u) : doc.apply_update(u);
        INFO("input " << i);
        REQUIRE(s.ok());
      }
      for (const auto& [root, kind] : roots) open_root(doc, root, kind.as_string());

      CHECK(hex(doc.encode_state_vector()) == hex(read_bytes(vectors_dir() + name + ".sv.bin")));
      CHECK(hex(doc.encode_state_as_update()) == hex(read_bytes(vectors_dir() + name + ".update.bin")));
      CHECK(hex(doc.encode_state_as_update_v2()) == hex(read_bytes(vectors_dir() + name + ".update.v2.bin")));

      Any expected = load_json(vectors_dir() + name + ".json");
      for (const auto& [root, want] : expected.as_object()) {
        INFO("root " << root);
        std::string kind = want.get("type")->as_string();
        CHECK(canonical_json(root_json(doc, root, kind)) == canonical_json(*want.get("value")));
        if (kind == "text" && want.get("delta")) {
          CHECK(canonical_json(delta_json(doc.get_text(root).to_delta())) == canonical_json(*want.get("delta")));
        }
      }
    }
  }
}

TEST_CASE("randomized sessions: out-of-order delivery converges to Yjs's state", "[sessions]") {
  namespace fs = std::filesystem;
  std::string dir = shared_dir() + "/reference/sessions/";
  std::vector<std::string> sessions;
  for (const auto& e : fs::directory_iterator(dir)) {
    if (e.is_directory()) sessions.push_back(e.path().filename().string());
  }
  std::sort(sessions.begin(), sessions.end());
  REQUIRE(sessions.size() >= 10);
  for (const std::string& s : sessions) {
    DYNAMIC_SECTION(s) {
      std::string base = dir + s + "/";
      Any meta = load_json(base + "meta.json");
      const Any* gc = meta.get("gc");
      Doc doc(Doc::Options{.client_id = 999, .gc = gc ? gc->as_bool() : true});
      for (int i = 0;; ++i) {
        char file[16];
        std::snprintf(file, sizeof file, "%04d.bin", i);
        if (!file_exists(base + file)) break;
        INFO("delivery " << file);
        REQUIRE(doc.apply_update(read_bytes(base + file)).ok());
      }
      std::vector<std::pair<std::string, std::string>> types;
      std::istringstream lines(read_text(base + "types.txt"));
      std::string line;
      while (std::getline(lines, line)) {
        auto eq = line.find('=');
        if (eq == std::string::npos) continue;
        types.emplace_back(line.substr(0, eq), line.substr(eq + 1));
      }
      for (const auto& [root, kind] : types) open_root(doc, root, kind);
      CHECK(hex(doc.encode_state_vector()) == hex(read_bytes(base + "expected.sv.bin")));
      CHECK(hex(doc.encode_state_as_update()) == hex(read_bytes(base + "expected.update.bin")));
      Any expected = load_json(base + "expected.json");
      for (const auto& [root, kind] : types) {
        INFO("root " << root);
        CHECK(canonical_json(root_json(doc, root, kind)) == canonical_json(*expected.get(root)));
      }
    }
  }
}
