// Hostile input is refused with an error and changes nothing.
#include <catch2/catch.hpp>

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
