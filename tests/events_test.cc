// Change events: the deltas of text events (as Yjs's YTextEvent.delta gives
// them, recorded from yjs 13.6.33 for the same edits), array and map events,
// on the editing document and on a remote one.
#include <algorithm>
#include <string>
#include <vector>

#include <catch2/catch.hpp>

#include "conflux/doc.h"

namespace conflux {
namespace {

std::string delta_json(const std::vector<Delta>& delta) {
  Any::Array ops;
  for (const Delta& d : delta) {
    Any::Object op;
    switch (d.kind) {
      case Delta::Kind::Insert:
        op.emplace_back("insert", d.embed ? *d.embed : d.type_json ? *d.type_json : Any(d.text));
        break;
      case Delta::Kind::Retain:
        op.emplace_back("retain", Any(static_cast<double>(d.count)));
        break;
      case Delta::Kind::Delete:
        op.emplace_back("delete", Any(static_cast<double>(d.count)));
        break;
    }
    if (!d.attributes.empty()) {
      Any::Object attrs(d.attributes.begin(), d.attributes.end());
      op.emplace_back("attributes", Any::object(std::move(attrs)));
    }
    ops.push_back(Any::object(std::move(op)));
  }
  return Any(std::move(ops)).to_json();
}

TEST_CASE("text events carry Yjs's deltas, locally and remotely", "[events]") {
  Doc local_doc(Doc::Options{.client_id = 1});
  Doc remote_doc(Doc::Options{.client_id = 2});
  Text text = local_doc.get_text("t");
  Text remote = remote_doc.get_text("t");
  std::vector<std::string> local_deltas, remote_deltas;
  std::vector<bool> remote_flags;
  auto s1 = text.observe([&](const TextEvent& e) { local_deltas.push_back(delta_json(e.delta)); });
  auto s2 = remote.observe([&](const TextEvent& e) {
    remote_deltas.push_back(delta_json(e.delta));
    remote_flags.push_back(e.local);
  });
  auto s3 = local_doc.on_update([&](const Bytes& u, const Transaction&) { REQUIRE(remote_doc.apply_update(u)); });

  text.insert(0, "hello world");
  text.format(1, 3, {{"bold", Any(true)}});
  text.format(2, 5, {{"bold", Any(nullptr)}, {"italic", Any(true)}});
  text.remove(0, 2);
  text.insert(0, "X", Attrs{{"italic", Any(true)}});
  text.insert_embed(3, Any::object({{"image", Any("a.png")}}));

  const std::vector<std::string> expected = {
      R"([{"insert":"hello world"}])",
      R"([{"retain":1},{"retain":3,"attributes":{"bold":true}}])",
      R"([{"retain":2},{"retain":5,"attributes":{"bold":null,"italic":true}},{"retain":4,"attributes":{"bold":null}}])",
      R"([{"delete":2},{"retain":9,"attributes":{"bold":null}}])",
      R"([{"insert":"X","attributes":{"italic":true}}])",
      R"([{"retain":3},{"insert":{"image":"a.png"}}])",
  };
  CHECK(local_deltas == expected);
  CHECK(remote_deltas == expected);
  for (bool flag : remote_flags) CHECK_FALSE(flag);
}

TEST_CASE("a delete that halves a surrogate pair leaves U+FFFD on both sides, as Yjs's string cut does", "[events]") {
  struct Case {
    const char* before;
    uint64_t index, length;
    const char* after;
  };
  const Case cases[] = {
      {"a\xF0\x9F\x98\x80" "b", 2, 1, "a\xEF\xBF\xBD" "b"},  // the low half
      {"a\xF0\x9F\x98\x80" "b", 1, 1, "a\xEF\xBF\xBD" "b"},  // the high half
      {"\xF0\x9F\x98\x80\xF0\x9F\x98\x80", 1, 2, "\xEF\xBF\xBD\xEF\xBF\xBD"},  // across two pairs
      {"hello world", 5, 6, "hello"},  // to the end of the item
      {"hello world", 0, 6, "world"},  // from its start
  };
  for (const Case& c : cases) {
    Doc doc;
    Doc remote;
    Subscription sub = doc.on_update([&](const Bytes& u, const Transaction&) { REQUIRE(remote.apply_update(u).ok()); });
    Text text = doc.get_text("t");
    text.insert(0, c.before);
    text.remove(c.index, c.length);
    CHECK(text.to_string() == c.after);
    CHECK(remote.get_text("t").to_string() == c.after);
    CHECK(remote.encode_state_as_update() == doc.encode_state_as_update());
  }
}

TEST_CASE("typing goes where the position is after remote edits, deletes and undone positions", "[events]") {
  Doc doc(Doc::Options{.client_id = 1});
  Doc other(Doc::Options{.client_id = 2});
  Text text = doc.get_text("t");
  Text theirs = other.get_text("t");
  auto sync = [&] {
    REQUIRE(other.apply_update(doc.encode_state_as_update()).ok());
    REQUIRE(doc.apply_update(other.encode_state_as_update()).ok());
  };
  text.insert(0, "ab");
  text.insert(2, "cd");  // continues the same run
  sync();
  theirs.insert(0, "XY");  // shifts every position of ours by two
  sync();
  text.insert(4, "!");  // the old end of our typing, now inside it
  CHECK(text.to_string() == "XYab!cd");
  text.insert(7, "e");
  text.remove(6, 2);  // a backspace over the end of the run
  text.insert(6, "f");
  CHECK(text.to_string() == "XYab!cf");
  theirs.remove(0, 1);
  sync();
  text.insert(6, "g");  // the typing end again, one unit to the left now
  CHECK(text.to_string() == "Yab!cfg");
  sync();
  CHECK(theirs.to_string() == "Yab!cfg");
  CHECK(other.encode_state_as_update() == doc.encode_state_as_update());
}

TEST_CASE("array and map events report what changed", "[events]") {
  Doc doc;
  Array array = doc.get_array("a");
  Map map = doc.get_map("m");
  std::vector<ArrayEvent> array_events;
  std::vector<MapEvent> map_events;
  auto s1 = array.observe([&](const ArrayEvent& e) { array_events.push_back(e); });
  auto s2 = map.observe([&](const MapEvent& e) { map_events.push_back(e); });

  array.push({Any(1), Any(2), Any(3)});
  array.remove(1, 1);
  map.set("k", Any("v"));
  doc.transact([&](Transaction& t) {
    map.set(t, "k", Any("w"));
    map.set(t, "j", Any(1));
  });
  map.remove("k");

  REQUIRE(array_events.size() == 2);
  REQUIRE(array_events[0].delta.size() == 1);
  CHECK(array_events[0].delta[0].kind == ArrayChange::Kind::Insert);
  REQUIRE(array_events[0].delta[0].inserted.size() == 3);
  CHECK(array_events[0].delta[0].inserted[2].any().as_number() == 3);
  REQUIRE(array_events[1].delta.size() == 2);
  CHECK(array_events[1].delta[0].kind == ArrayChange::Kind::Retain);
  CHECK(array_events[1].delta[0].count == 1);
  CHECK(array_events[1].delta[1].kind == ArrayChange::Kind::Delete);
  CHECK(array_events[1].delta[1].count == 1);

  using Action = MapEvent::Action;
  REQUIRE(map_events.size() == 3);
  CHECK(map_events[0].keys == std::vector<std::pair<std::string, Action>>{{"k", Action::Add}});
  auto keys = map_events[1].keys;
  std::sort(keys.begin(), keys.end());
  CHECK(keys == std::vector<std::pair<std::string, Action>>{{"j", Action::Add}, {"k", Action::Update}});
  CHECK(map_events[2].keys == std::vector<std::pair<std::string, Action>>{{"k", Action::Delete}});
}

}  // namespace
}  // namespace conflux
