// Loading a stored document into an empty one (load_update): Yjs's state
// updates load through it and re-encode to the very same bytes, and the loaded
// document edits, positions and reports events like one built by hand.
#include <catch2/catch.hpp>

#include "apply_update.h"
#include "struct_ref.h"
#include "test_util.h"
#include "text_ops.h"
#include "trace.h"
#include "update_encode.h"
#include "update_utils.h"
#include "utf.h"

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

namespace {

// The general path's result for a one-client update: a struct of another
// client in the document first makes load_update decline it.
std::vector<uint8_t> general_state(const std::vector<uint8_t>& update, bool gc, std::string* text) {
  Doc other(Doc::Options{.client_id = 999});
  other.get_text("other").insert(0, "x");
  DocImpl doc(1, gc);
  std::vector<uint8_t> first = other.encode_state_as_update();
  REQUIRE(apply_update(doc, first.data(), first.size(), UpdateFormat::V1, nullptr, nullptr));
  REQUIRE(apply_update(doc, update.data(), update.size(), UpdateFormat::V1, nullptr, nullptr));
  *text = utf::to_utf8(text_to_string(doc.get_or_create_root(u"text")));
  StateVector without_other;
  without_other[999] = 1;
  return encode_state_as_update(doc, without_other, UpdateFormat::V1);
}

std::vector<uint8_t> loaded_state(const std::vector<uint8_t>& update, bool gc, std::string* text) {
  DocImpl doc(1, gc);
  REQUIRE(load_update(doc, update.data(), update.size(), UpdateFormat::V1, nullptr));
  *text = text_to_utf8(doc.get_or_create_root(u"text"));
  return state_of(doc, UpdateFormat::V1);
}

void check_load_is_general(const std::vector<uint8_t>& update, bool gc) {
  std::string general_text, loaded_text;
  std::vector<uint8_t> general = general_state(update, gc, &general_text);
  CHECK(hex(loaded_state(update, gc, &loaded_text)) == hex(general));
  CHECK(loaded_text == general_text);
}

void write_var_uint(std::vector<uint8_t>* out, uint64_t v) {
  while (v >= 0x80) {
    out->push_back(uint8_t(v | 0x80));
    v >>= 7;
  }
  out->push_back(uint8_t(v));
}

}  // namespace

TEST_CASE("a load merges and splits structs as the general path does", "[load]") {
  uint64_t seed = 7;
  auto next = [&](uint64_t n) {
    seed = seed * 6364136223846793005u + 1442695040888963407u;
    return (seed >> 33) % n;
  };
  for (int round = 0; round < 120; ++round) {
    bool gc = round % 2 == 0;
    Doc source(Doc::Options{.client_id = 5, .gc = gc});
    Text text = source.get_text("text");
    std::vector<std::vector<uint8_t>> deletions;  // each delete alone, as an update
    Subscription sub = source.on_update([&](const Bytes& u, const Transaction&) { deletions.push_back(u); });
    std::vector<uint8_t> before_deletes;
    // Some rounds begin with a long run deleted at once: clocks far sparser
    // than structs, which the load resolves origins for in another way.
    if (round % 5 == 4) {
      text.insert(0, std::string(100000, 'z'));
      text.remove(0, 100000);
    }
    for (int step = 0; step < 60; ++step) {
      uint64_t len = text.length();
      uint64_t pos = next(len + 1);
      if (step == 40) {
        before_deletes = source.encode_state_as_update();
        deletions.clear();
      }
      // Some rounds delete only after the early state, which then has no delete set.
      if (len > 0 && next(3) == 0 && (round % 3 != 0 || step >= 40)) {
        uint64_t at = next(len);
        text.remove(at, 1 + next(std::min<uint64_t>(4, len - at)));
      } else if (next(8) == 0 && len > 0) {
        text.format(pos == len ? 0 : pos, 1, Attrs{{"bold", Any(true)}});
      } else {
        // Typing: runs at one place merge.
        uint64_t n = 1 + next(3);
        for (uint64_t k = 0; k < n; ++k) text.insert(pos + k, std::string(1, char('a' + next(26))));
      }
    }
    INFO("round " << round);
    std::vector<std::vector<uint8_t>> inputs{source.encode_state_as_update()};
    // The early state with the later deletions: ranges that cut items.
    std::vector<uint8_t> merged;
    std::vector<std::vector<uint8_t>> parts{before_deletes};
    parts.insert(parts.end(), deletions.begin(), deletions.end());
    REQUIRE(merge_updates(parts, UpdateFormat::V1, &merged));
    inputs.push_back(merged);
    // The early state with random ranges that cut items: merged into its
    // delete set (sorted), or as its delete set when it has none, in any
    // order, overlapping, past the end.
    std::vector<std::pair<uint64_t, uint64_t>> ranges(1 + next(12));
    for (auto& [clock, len] : ranges) {
      clock = (round % 5 == 4 ? 100000 : 0) + next(120);
      len = 1 + next(5);
    }
    std::vector<uint8_t> ds;
    write_var_uint(&ds, 1);
    write_var_uint(&ds, 5);
    write_var_uint(&ds, ranges.size());
    for (auto [clock, len] : ranges) {
      write_var_uint(&ds, clock);
      write_var_uint(&ds, len);
    }
    std::vector<uint8_t> only_ds(1 + ds.size());  // no structs, then the delete set
    std::copy(ds.begin(), ds.end(), only_ds.begin() + 1);
    REQUIRE(merge_updates({before_deletes, only_ds}, UpdateFormat::V1, &merged));
    inputs.push_back(merged);
    if (before_deletes.back() == 0) {  // no delete set of its own
      std::vector<uint8_t> raw = before_deletes;
      raw.pop_back();
      raw.insert(raw.end(), ds.begin(), ds.end());
      inputs.push_back(raw);
    }
    for (const auto& input : inputs) check_load_is_general(input, gc);
  }
}

TEST_CASE("a load merges a deleted item with the deleted start of the next one", "[load]") {
  for (bool gc : {true, false}) {
    // "a" "b" "cd": deleting b split them; b and cd could merge but for
    // their deletion state.
    Doc source(Doc::Options{.client_id = 5, .gc = gc});
    Text text = source.get_text("text");
    text.insert(0, "abcd");
    text.remove(1, 1);
    std::vector<uint8_t> state = source.encode_state_as_update();
    // A delete set that takes c too, cutting "cd".
    std::vector<uint8_t> c_deleted{0, 1, 5, 1, 2, 1}, update;
    REQUIRE(merge_updates({state, c_deleted}, UpdateFormat::V1, &update));
    check_load_is_general(update, gc);
  }
}

TEST_CASE("a load merges items its delete set deletes when the ranges come in any order", "[load]") {
  // Client 5 writes "a", then "b" after it as a struct of its own (which a
  // document would have merged); the delete set takes b, then a.
  const std::vector<uint8_t> update{
      1, 2, 5, 0,                               // one client: two structs from clock 0
      0x04, 1, 4, 't', 'e', 'x', 't', 1, 'a',   // "a" in the root "text"
      0x84, 5, 0, 1, 'b',                       // "b" after 5:0
      1, 5, 2, 1, 1, 0, 1};                     // delete set: 5: [1, 2), [0, 1)
  for (bool gc : {true, false}) check_load_is_general(update, gc);
}

TEST_CASE("a loaded document's items outlive deleting all of it, typing on and being dropped", "[load]") {
  // Loaded items share one allocation: merging, collecting and splitting
  // them must destroy each once and free nothing else (ASan checks the rest).
  const bench::Trace& tr = trace_named("sveltecomponent.json.gz");
  Doc source = replay(tr);
  std::vector<uint8_t> v1 = source.encode_state_as_update();
  for (bool gc : {true, false}) {
    INFO("gc " << gc);
    Doc loaded(Doc::Options{.client_id = 7, .gc = gc});
    REQUIRE(loaded.apply_update(v1).ok());
    Text text = loaded.get_text("text");
    REQUIRE(text.to_string() == tr.end_content);
    text.remove(10, 100);       // splits loaded items at both ends
    text.insert(5, "abc");
    text.remove(0, text.length());
    CHECK(text.to_string().empty());
    text.insert(0, "fresh");
    CHECK(text.to_string() == "fresh");
    Doc copy;
    REQUIRE(copy.apply_update(loaded.encode_state_as_update()).ok());
    CHECK(copy.get_text("text").to_string() == "fresh");
  }
}
