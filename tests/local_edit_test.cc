// Local text edits take shortcuts when nobody watches the items (typing grows
// our last run in place, a delete next to deleted text moves the boundary
// into that run), and skip the transaction when nobody could see one at all
// (then they also cut, make and merge items themselves).
// An observer on the text turns the shortcuts off, so a document with one is
// the reference: the others must send the same updates and hold the same
// state, byte for byte.
#include <catch2/catch.hpp>

#include <cstdint>
#include <string>
#include <vector>

#include "conflux/doc.h"

using namespace conflux;

namespace {

// A small deterministic generator (xorshift), so a failure replays.
struct Rng {
  uint64_t s;
  uint64_t next() {
    s ^= s << 13;
    s ^= s >> 7;
    s ^= s << 17;
    return s;
  }
  uint64_t below(uint64_t n) { return next() % n; }
};

struct Editor {
  Doc doc;
  Text text;
  std::vector<Bytes> updates;
  std::vector<Bytes> updates_v2;
  Subscription on_update;
  Subscription on_update_v2;
  Subscription observer;

  enum Watch { kObserved, kListened, kUnwatched };
  Editor(uint64_t client, Watch watch) : doc(Doc::Options{.client_id = client}), text(doc.get_text("t")) {
    if (watch != kUnwatched) {
      on_update = doc.on_update([this](const Bytes& u, const Transaction&) { updates.push_back(u); });
      on_update_v2 = doc.on_update_v2([this](const Bytes& u, const Transaction&) { updates_v2.push_back(u); });
    }
    if (watch == kObserved) observer = text.observe([](const TextEvent&) {});
  }
};

// Text typed and partly deleted by another client (2), as an update: local
// edits then cut that client's items and land next to its deleted runs.
Bytes typed_by_another_client() {
  Doc doc(Doc::Options{.client_id = 2});
  Text text = doc.get_text("t");
  text.insert(0, "the quick brown fox jumps over the lazy dog");
  text.remove(4, 6);
  text.insert(10, "cat and the ");
  text.remove(0, 1);
  text.remove(20, 3);
  return doc.encode_state_as_update();
}

}  // namespace

TEST_CASE("typing, backspacing and deleting forward send the updates and leave the state of the general path",
          "[text][local]") {
  // Pieces of text: ASCII, two-byte UTF-8 and a surrogate pair, so that a
  // one-unit delete sometimes halves a pair (Yjs turns both halves into U+FFFD).
  const std::vector<std::string> pieces = {"a", "bc", "d", "\xC3\xA9", "\xF0\x9F\x98\x80", "xyz"};
  for (uint64_t seed : {1u, 2u, 3u, 4u, 5u, 6u, 7u, 8u}) {
    Editor fast(7, Editor::kListened), unwatched(7, Editor::kUnwatched), reference(7, Editor::kObserved);
    if (seed % 2 == 0) {
      // Half the sessions start from another client's text.
      const Bytes start = typed_by_another_client();
      for (Editor* e : {&fast, &unwatched, &reference}) REQUIRE(e->doc.apply_update(start).ok());
    }
    Rng rng{seed * 0x9E3779B97F4A7C15ull};
    uint64_t cursor = 0;
    for (int step = 0; step < 3000; ++step) {
      uint64_t len = fast.text.length();
      uint64_t r = rng.below(100);
      if (r < 5) {
        cursor = rng.below(len + 1);  // the user clicks elsewhere
      } else if (r < 55) {
        const std::string& s = pieces[rng.below(pieces.size())];
        fast.text.insert(cursor, s);
        unwatched.text.insert(cursor, s);
        reference.text.insert(cursor, s);
        cursor += fast.text.length() - len;
      } else if (r < 85) {
        if (cursor == 0) continue;  // backspace
        uint64_t n = rng.below(8) == 0 ? std::min<uint64_t>(cursor, 1 + rng.below(3)) : 1;
        fast.text.remove(cursor - n, n);
        unwatched.text.remove(cursor - n, n);
        reference.text.remove(cursor - n, n);
        cursor -= n;
      } else {
        if (cursor >= len) continue;  // delete forward
        uint64_t n = std::min<uint64_t>(len - cursor, 1 + rng.below(2));
        fast.text.remove(cursor, n);
        unwatched.text.remove(cursor, n);
        reference.text.remove(cursor, n);
      }
      cursor = std::min<uint64_t>(cursor, fast.text.length());
      if (step % 500 == 499) {
        INFO("seed " << seed << ", step " << step);
        REQUIRE(unwatched.doc.encode_state_as_update() == reference.doc.encode_state_as_update());
      }
    }
    INFO("seed " << seed);
    REQUIRE(fast.text.to_string() == reference.text.to_string());
    REQUIRE(fast.updates.size() == reference.updates.size());
    for (size_t i = 0; i < fast.updates.size(); ++i) {
      INFO("update " << i);
      REQUIRE(fast.updates[i] == reference.updates[i]);
    }
    REQUIRE(fast.updates_v2 == reference.updates_v2);
    CHECK(fast.doc.encode_state_as_update() == reference.doc.encode_state_as_update());
    CHECK(fast.doc.encode_state_as_update_v2() == reference.doc.encode_state_as_update_v2());
    CHECK(unwatched.text.to_string() == reference.text.to_string());
    CHECK(unwatched.doc.encode_state_as_update() == reference.doc.encode_state_as_update());
  }
}

TEST_CASE("a delete next to deleted text merges with it exactly as Yjs's cleanup does", "[text][local]") {
  Editor fast(3, Editor::kListened), unwatched(3, Editor::kUnwatched), reference(3, Editor::kObserved);
  auto both = [&](auto&& edit) {
    edit(fast.text);
    edit(unwatched.text);
    edit(reference.text);
  };
  both([](Text& t) { t.insert(0, "hello world"); });
  both([](Text& t) { t.remove(10, 1); });  // "hello worl": a cut, the tail deleted
  both([](Text& t) { t.remove(9, 1); });   // backspace into the deleted run on the right
  both([](Text& t) { t.remove(8, 1); });
  both([](Text& t) { t.insert(8, "ld"); });  // retyped after the run: a new item
  both([](Text& t) { t.remove(5, 1); });     // " " cut out of the middle
  both([](Text& t) { t.remove(5, 1); });     // delete forward: the head of "wo" joins the run on its left
  both([](Text& t) { t.remove(5, 1); });
  CHECK(fast.text.to_string() == "hellold");
  CHECK(fast.text.to_string() == reference.text.to_string());
  REQUIRE(fast.updates == reference.updates);
  CHECK(fast.doc.encode_state_as_update() == reference.doc.encode_state_as_update());
  CHECK(unwatched.doc.encode_state_as_update() == reference.doc.encode_state_as_update());
  // Another peer sees the same document from either.
  Doc peer;
  REQUIRE(peer.apply_update(fast.doc.encode_state_as_update()).ok());
  CHECK(peer.get_text("t").to_string() == "hellold");
}

TEST_CASE("an edit made without a transaction is seen by what starts watching afterwards", "[text][local]") {
  Doc doc(Doc::Options{.client_id = 5});
  Text text = doc.get_text("t");
  text.insert(0, "abc");
  text.insert(3, "def");  // grows the run with no transaction
  text.remove(5, 1);      // cuts: a transaction
  text.remove(4, 1);      // into the deleted run: none
  CHECK(text.to_string() == "abcd");
  // A listener attached now sees the next edits as updates, and a peer that
  // takes the state and those updates ends where we do.
  Doc peer;
  REQUIRE(peer.apply_update(doc.encode_state_as_update()).ok());
  std::vector<Bytes> updates;
  Subscription sub = doc.on_update([&](const Bytes& u, const Transaction&) { updates.push_back(u); });
  text.insert(4, "xy");
  text.remove(2, 1);
  REQUIRE(updates.size() == 2);
  for (const Bytes& u : updates) REQUIRE(peer.apply_update(u).ok());
  CHECK(peer.get_text("t").to_string() == "abdxy");
  CHECK(peer.encode_state_as_update() == doc.encode_state_as_update());
  // Inside an explicit transaction every edit goes through it: one update.
  updates.clear();
  doc.transact([&](Transaction& t) {
    text.insert(t, 5, "z");
    text.remove(t, 0, 1);
  });
  CHECK(updates.size() == 1);
}

TEST_CASE("typing into two texts in turn makes a new item each time the other moved our clock", "[text][local]") {
  Doc fast(Doc::Options{.client_id = 9}), reference(Doc::Options{.client_id = 9});
  Text a = fast.get_text("a"), b = fast.get_text("b");
  Text ra = reference.get_text("a"), rb = reference.get_text("b");
  Subscription watch_a = ra.observe([](const TextEvent&) {});
  Subscription watch_b = rb.observe([](const TextEvent&) {});
  for (int round = 0; round < 20; ++round) {
    for (int k = 0; k < 3; ++k) {
      a.insert(a.length(), "x");
      ra.insert(ra.length(), "x");
    }
    b.insert(b.length(), "y");
    rb.insert(rb.length(), "y");
  }
  CHECK(a.to_string() == std::string(60, 'x'));
  CHECK(fast.encode_state_as_update() == reference.encode_state_as_update());
}

TEST_CASE("a listener that edits in answer to an update is told of its edit after everyone has the first",
          "[text][local]") {
  // The text observer of the reference makes every edit a full transaction.
  auto session = [](bool observed) {
    Doc doc(Doc::Options{.client_id = 4});
    Text text = doc.get_text("t");
    Text log = doc.get_text("log");
    Subscription watch;
    if (observed) watch = text.observe([](const TextEvent&) {});
    std::vector<Bytes> seen;
    bool answer_next = false;
    Subscription answer = doc.on_update([&](const Bytes&, const Transaction&) {
      if (!answer_next) return;
      answer_next = false;
      log.insert(log.length(), "!");  // starts a transaction inside the listener
    });
    Subscription record = doc.on_update([&](const Bytes& u, const Transaction&) { seen.push_back(u); });
    text.insert(0, "ab");
    answer_next = true;
    text.insert(2, "cd");  // grows the run: no transaction unless observed
    text.remove(3, 1);     // a cut
    answer_next = true;
    text.remove(2, 1);  // into the deleted run
    text.insert(2, "e");
    Doc peer;
    for (const Bytes& u : seen) REQUIRE(peer.apply_update(u).ok());
    CHECK(peer.encode_state_as_update() == doc.encode_state_as_update());
    CHECK(log.to_string() == "!!");
    return seen;
  };
  std::vector<Bytes> direct = session(false);
  std::vector<Bytes> reference = session(true);
  CHECK(direct.size() == 7);
  CHECK(direct == reference);
}
