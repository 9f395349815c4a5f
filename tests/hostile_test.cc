// Hostile input is refused with an error and changes nothing.
#include <catch2/catch.hpp>

#include <optional>
#include <string_view>

#include "doc_impl.h"
#include "lib0.h"
#include "test_util.h"

using namespace conflux;
using namespace conflux::test;

namespace {

std::vector<uint8_t> sample_update() {
  Doc d(Doc::Options{.client_id = 5});
  d.transact([&](Transaction& t) {
    d.get_text("t").insert(t, 0, "hello 😀", Attrs{{"bold", true}});
    d.get_map("m").set(t, "k", Any::object({{"a", Any(Any::Array{1, "x"})}}));
    d.get_array("a").push(t, {1, 2.5, "s", nullptr});
  });
  d.get_text("t").remove(1, 2);
  return d.encode_state_as_update();
}

}  // namespace

TEST_CASE("every truncation of an update is refused and leaves the document as it was", "[hostile]") {
  std::vector<uint8_t> full = sample_update();
  Doc base(Doc::Options{.client_id = 9});
  base.get_text("t").insert(0, "base");
  std::vector<uint8_t> before = base.encode_state_as_update();
  for (size_t n = 0; n < full.size(); ++n) {
    std::vector<uint8_t> cut(full.begin(), full.begin() + n);
    Status s = base.apply_update(cut);
    if (!s.ok()) {
      INFO("prefix " << n);
      CHECK(!s.message().empty());
      CHECK(base.encode_state_as_update() == before);
    } else {
      // A prefix that happens to parse must still be a consistent state.
      base = Doc(Doc::Options{.client_id = 9});
      base.get_text("t").insert(0, "base");
    }
  }
  CHECK(base.apply_update(full).ok());
}

TEST_CASE("absurd numbers, lengths past the end and deep nesting are refused", "[hostile]") {
  Doc d(Doc::Options{.client_id = 1});
  // One section, 2^40 structs claimed.
  CHECK_FALSE(d.apply_update(std::vector<uint8_t>{0x01, 0x80, 0x80, 0x80, 0x80, 0x80, 0x20, 0x01, 0x00}).ok());
  // A client id beyond 2^53.
  CHECK_FALSE(d.apply_update(std::vector<uint8_t>{0x01, 0x01, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x7f}).ok());
  // A string whose length runs past the end.
  CHECK_FALSE(d.apply_update(std::vector<uint8_t>{0x01, 0x01, 0x01, 0x00, 0x04, 0x01, 0x01, 0x74, 0x7f, 0x61}).ok());
  // A GC struct whose clock range overflows 2^53.
  CHECK_FALSE(d.apply_update(std::vector<uint8_t>{0x01, 0x01, 0x01, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x0f,
                                                  0x00, 0xff, 0xff, 0xff, 0xff, 0x0f, 0x00})
                  .ok());
  // An origin pointing to the item's own future.
  CHECK_FALSE(d.apply_update(std::vector<uint8_t>{0x01, 0x01, 0x01, 0x00, 0x84, 0x01, 0x05, 0x01, 0x61, 0x00}).ok());
  // Any values nested 10,000 deep.
  std::vector<uint8_t> deep{0x01, 0x01, 0x01, 0x00, 0x08, 0x01, 0x01, 0x61, 0x01};
  for (int i = 0; i < 10000; ++i) {
    deep.push_back(0x75);
    deep.push_back(0x01);
  }
  deep.push_back(0x7e);
  deep.push_back(0x00);
  CHECK_FALSE(d.apply_update(deep).ok());
  // A v2 update with malformed columns.
  CHECK_FALSE(d.apply_update_v2(std::vector<uint8_t>{0x00, 0x05, 0x01}).ok());
  CHECK(d.encode_state_as_update() == std::vector<uint8_t>{0x00, 0x00});
  CHECK_FALSE(d.has_pending());
}

TEST_CASE("applying the same update twice changes nothing", "[hostile]") {
  std::vector<uint8_t> u = sample_update();
  Doc d(Doc::Options{.client_id = 3});
  REQUIRE(d.apply_update(u).ok());
  std::vector<uint8_t> once = d.encode_state_as_update();
  REQUIRE(d.apply_update(u).ok());
  CHECK(d.encode_state_as_update() == once);
  CHECK(once == u);
}

namespace {

// A v1 update holding one struct of `client` at `clock`: a GC struct of
// `gc_length` units, or (gc_length 0) the one-unit string "a" in the root
// text "t", after `origin_clock` of client 7 when that is given.
std::vector<uint8_t> single_struct_update(uint64_t client, uint64_t clock, uint64_t gc_length,
                                          std::optional<uint64_t> origin_clock = std::nullopt) {
  lib0::Writer w;
  w.write_var_uint(1);  // one client section
  w.write_var_uint(1);  // one struct
  w.write_var_uint(client);
  w.write_var_uint(clock);
  if (gc_length) {
    w.write_u8(0x00);
    w.write_var_uint(gc_length);
  } else if (origin_clock) {
    w.write_u8(0x84);  // string content, an origin
    w.write_var_uint(7);
    w.write_var_uint(*origin_clock);
    w.write_var_string(std::string_view("a"));
  } else {
    w.write_u8(0x04);
    w.write_var_uint(1);  // the parent is a root type named by key
    w.write_var_string(std::string_view("t"));
    w.write_var_string(std::string_view("a"));
  }
  w.write_var_uint(0);  // no delete set
  return w.take();
}

}  // namespace

TEST_CASE("clocks past 2^32 - 1 are refused, the last one is kept", "[hostile]") {
  constexpr uint64_t kLast = 0xffffffffu;  // the highest clock a document holds
  Doc d(Doc::Options{.client_id = 1});
  Status s = d.apply_update(single_struct_update(9, 0, kLast + 1));
  CHECK_FALSE(s.ok());
  CHECK_THAT(s.message(), Catch::Contains("2^32"));
  CHECK_FALSE(d.apply_update(single_struct_update(9, kLast, 0)).ok());
  CHECK_FALSE(d.apply_update(single_struct_update(9, 3, 0, kLast + 1)).ok());
  CHECK(d.encode_state_as_update() == std::vector<uint8_t>{0x00, 0x00});
  CHECK_FALSE(d.has_pending());

  // Up to the limit everything is taken: a struct ending at 2^32 - 1, and
  // text whose last character sits at the last clock, after an origin next
  // to it.
  REQUIRE(d.apply_update(single_struct_update(9, 0, kLast)).ok());
  REQUIRE(d.apply_update(single_struct_update(7, 0, kLast - 2)).ok());
  REQUIRE(d.apply_update(single_struct_update(7, kLast - 2, 0)).ok());
  REQUIRE(d.apply_update(single_struct_update(7, kLast - 1, 0, kLast - 2)).ok());
  CHECK_FALSE(d.has_pending());
  CHECK(d.impl()->store.state(9) == kLast);
  CHECK(d.impl()->store.state(7) == kLast);
  CHECK(d.get_text("t").to_string() == "aa");
}

TEST_CASE("a local client whose clock would pass 2^32 - 1 goes on under a fresh id", "[hostile]") {
  constexpr uint64_t kLast = 0xffffffffu;
  constexpr uint64_t kClient = 42;
  Doc d(Doc::Options{.client_id = 5});
  // A client with 2^32 - 4 clocks of history. (Meeting its own id in an
  // update would move a document to a fresh id already, so it takes the id
  // over directly.)
  REQUIRE(d.apply_update(single_struct_update(kClient, 0, kLast - 3)).ok());
  d.impl()->client_id = kClient;
  Text t = d.get_text("t");
  t.insert(0, "abc");  // ends exactly at the limit: still our id
  CHECK(d.client_id() == kClient);
  CHECK(d.impl()->store.state(kClient) == kLast);
  t.insert(3, "d");
  CHECK(d.client_id() != kClient);
  CHECK(d.impl()->store.state(d.client_id()) == 1);
  t.insert(4, "e");  // typing goes on in the fresh client's run
  CHECK(t.to_string() == "abcde");

  Doc copy(Doc::Options{.client_id = 3});
  REQUIRE(copy.apply_update(d.encode_state_as_update()).ok());
  CHECK(copy.get_text("t").to_string() == "abcde");
  CHECK(copy.encode_state_as_update() == d.encode_state_as_update());
}
