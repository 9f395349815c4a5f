// Loading a stored document into an empty one (load_update): Yjs's state
// updates load through it and re-encode to the very same bytes, and the loaded
// document edits, positions and reports events like one built by hand.
#include <catch2/catch.hpp>

#include "apply_update.h"
#include "struct_ref.h"
#include "test_util.h"
#include "trace.h"
#include "update_encode.h"

using namespace conflux;
using namespace conflux::test;

namespace {

std::string vectors_dir() { return shared_dir() + "/reference/vectors/"; }

std::vector<uint8_t> state_of(const DocImpl& doc, UpdateFormat fmt) { return encode_state_as_update(doc, {}, fmt); }

// One client's structs from clock 0 that name no other client: what
// load_update takes (read here with the general decoder).
bool is_single_client_load(const std::vector<uint8_t>& update, UpdateFormat fmt) {
  auto dec = make_decoder(fmt, update.data(), update.size());
  ClientStructRefs refs;
  const char* why = nullptr;
  REQUIRE(read_struct_refs(*dec, nullptr, &refs, &why));
  if (refs.size() != 1) return false;
  const auto& [client, structs] = *refs.begin();
  if (structs.empty() || structs.front().id.clock != 0) return false;
  for (const StructRef& r : structs) {
    if (r.is_skip()) return false;
    if ((r.has_origin && r.origin.client != client) || (r.has_right_origin && r.right_origin.client != client) ||
        (r.parent_kind == StructRef::ParentKind::Id && r.parent_id.client != client))
      return false;
  }
  return true;
}

const bench::Trace& trace_named(const std::string& name) { return bench::trace(name); }

Doc replay(const bench::Trace& tr) {
  Doc doc(Doc::Options{.client_id = 2654435761u});
  Text text = doc.get_text("text");
  for (const bench::Patch& p : tr.patches) {
    if (p.del) text.remove(p.pos, p.del);
    if (!p.ins.empty()) text.insert(p.pos, p.ins);
  }
  return doc;
}

}  // namespace

TEST_CASE("Yjs's state updates load into an empty document and re-encode byte for byte", "[load][vectors]") {
  Any index;
  REQUIRE(Any::from_json(read_text(vectors_dir() + "index.json"), &index));
  size_t loaded = 0;
  for (const Any& c : index.get("cases")->as_array()) {
    const std::string name = c.get("name")->as_string();
    bool gc = c.get("receiver")->get("gc")->as_bool();
    std::vector<uint8_t> v1 = read_bytes(vectors_dir() + name + ".update.bin");
    std::vector<uint8_t> v2 = read_bytes(vectors_dir() + name + ".update.v2.bin");
    for (UpdateFormat fmt : {UpdateFormat::V1, UpdateFormat::V2}) {
      INFO(name << (fmt == UpdateFormat::V1 ? " v1" : " v2"));
      const std::vector<uint8_t>& input = fmt == UpdateFormat::V1 ? v1 : v2;
      DocImpl doc(1, gc);
      bool took = load_update(doc, input.data(), input.size(), fmt, nullptr);
      CHECK(took == is_single_client_load(input, fmt));
      if (!took) continue;
      ++loaded;
      CHECK(hex(state_of(doc, UpdateFormat::V1)) == hex(v1));
      CHECK(hex(state_of(doc, UpdateFormat::V2)) == hex(v2));
      CHECK(!doc.pending_structs);
      CHECK(!doc.pending_ds);
    }
  }
  CHECK(loaded > 50);
}

TEST_CASE("load_update declines what is not a load and changes nothing", "[load]") {
  std::vector<uint8_t> v1 = read_bytes(vectors_dir() + "text-insert-middle.update.bin");
  REQUIRE(!v1.empty());
  DocImpl doc(1);
  REQUIRE(load_update(doc, v1.data(), v1.size(), UpdateFormat::V1, nullptr));
  std::vector<uint8_t> state = state_of(doc, UpdateFormat::V1);
  // A second load into the now non-empty document.
  CHECK(!load_update(doc, v1.data(), v1.size(), UpdateFormat::V1, nullptr));
  CHECK(state_of(doc, UpdateFormat::V1) == state);
  // Every truncation is refused without touching the document.
  for (size_t n = 0; n + 1 < v1.size(); ++n) {
    DocImpl fresh(1);
    INFO("truncated to " << n);
    bool took = load_update(fresh, v1.data(), n, UpdateFormat::V1, nullptr);
    CHECK(!took);
    CHECK(fresh.store.clients().empty());
    CHECK(fresh.roots.empty());
  }
}

TEST_CASE("a loaded trace document equals its source, edits and reports its load like it", "[load][traces]") {
  for (std::string name : {"automerge-paper.json.gz", "rustcode.json.gz", "sveltecomponent.json.gz"}) {
    INFO(name);
    const bench::Trace& tr = trace_named(name);
    REQUIRE(!tr.patches.empty());
    Doc source = replay(tr);
    std::vector<uint8_t> v1 = source.encode_state_as_update();
    std::vector<uint8_t> v2 = source.encode_state_as_update_v2();

    for (UpdateFormat fmt : {UpdateFormat::V1, UpdateFormat::V2}) {
      DocImpl impl(7);
      const std::vector<uint8_t>& input = fmt == UpdateFormat::V1 ? v1 : v2;
      REQUIRE(load_update(impl, input.data(), input.size(), fmt, nullptr));
      CHECK(state_of(impl, UpdateFormat::V1) == v1);
      CHECK(state_of(impl, UpdateFormat::V2) == v2);
    }

    Doc loaded(Doc::Options{.client_id = 7});
    Text text = loaded.get_text("text");
    std::vector<Delta> event;
    Subscription sub = text.observe([&](const TextEvent& e) { event = e.delta; });
    REQUIRE(loaded.apply_update(v1).ok());
    CHECK(text.to_string() == tr.end_content);
    CHECK(canonical_json(delta_json(event)) == canonical_json(delta_json(text.to_delta())));

    // Edits by position go through the index built at load time.
    Text original = source.get_text("text");
    uint64_t seed = 12345;
    for (int step = 0; step < 300; ++step) {
      seed = seed * 6364136223846793005u + 1442695040888963407u;
      uint64_t len = text.length();
      uint64_t pos = (seed >> 33) % (len + 1);
      if (step % 3 == 0 && pos < len) {
        uint64_t del = std::min<uint64_t>(len - pos, 1 + (seed >> 20) % 7);
        text.remove(pos, del);
        original.remove(pos, del);
      } else {
        text.insert(pos, "xy");
        original.insert(pos, "xy");
      }
    }
    CHECK(text.length() == original.length());
    CHECK(text.to_string() == original.to_string());
  }
}
