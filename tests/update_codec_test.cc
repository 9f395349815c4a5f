// Field encoders/decoders of update formats v1 and v2 (update_codec.h).
#include <catch2/catch.hpp>

#include <cstdint>
#include <ostream>
#include <string>
#include <vector>

#include "test_util.h"
#include "update_codec.h"

using namespace conflux;
using Bytes = std::vector<uint8_t>;

namespace conflux {
inline std::ostream& operator<<(std::ostream& os, const ID& id) { return os << "(" << id.client << "," << id.clock << ")"; }
}  // namespace conflux

namespace {

// The nine columns and the rest stream of a v2 update.
struct V2Parts {
  uint64_t flag = 0;
  Bytes cols[9];
  Bytes rest;
};
enum Col { kKeyClock, kClient, kLeftClock, kRightClock, kInfo, kString, kParentInfo, kTypeRef, kLen };

V2Parts split_v2(const Bytes& b) {
  V2Parts parts;
  lib0::Reader r(b);
  parts.flag = r.read_var_uint();
  for (Bytes& c : parts.cols) c = r.read_var_bytes();
  REQUIRE(r.ok());
  const uint8_t* p = r.read_raw(r.remaining());
  parts.rest.assign(p, p + (b.size() - (p - b.data())));
  return parts;
}

Bytes join_v2(const V2Parts& parts) {
  lib0::Writer w;
  w.write_var_uint(parts.flag);
  for (const Bytes& c : parts.cols) w.write_var_bytes(c);
  w.write_raw(parts.rest);
  return w.take();
}

// An update with only `col` (and the mandatory string column) set.
Bytes v2_with_column(Col col, const Bytes& bytes, const Bytes& rest = {}) {
  V2Parts parts;
  parts.cols[kString] = {0x00};
  parts.cols[col] = bytes;
  parts.rest = rest;
  return join_v2(parts);
}

Bytes vector_file(const std::string& name) {
  Bytes b = test::read_bytes(test::shared_dir() + "/reference/vectors/" + name);
  REQUIRE(!b.empty());
  return b;
}

// The field sequence of vector text-insert-middle ("ac", then "b" at index 1).
void write_text_insert_middle(UpdateEncoder& e) {
  e.rest().write_var_uint(1);  // one client section
  e.rest().write_var_uint(3);  // three structs
  e.write_client(1);
  e.rest().write_var_uint(0);  // first clock
  // (1,0) "a" in root "t"
  e.write_info(0x04);
  e.write_parent_info(true);
  e.write_string(u"t");
  e.write_string(u"a");
  // (1,1) "c", origin (1,0)
  e.write_info(0x84);
  e.write_left_id(ID{1, 0});
  e.write_string(u"c");
  // (1,2) "b", origin (1,0), rightOrigin (1,1)
  e.write_info(0xc4);
  e.write_left_id(ID{1, 0});
  e.write_right_id(ID{1, 1});
  e.write_string(u"b");
  // empty delete set
  e.rest().write_var_uint(0);
}

// Reads the same sequence back and checks every field.
void read_text_insert_middle(UpdateDecoder& d) {
  REQUIRE(d.ok());
  CHECK(d.rest().read_var_uint() == 1);
  CHECK(d.rest().read_var_uint() == 3);
  CHECK(d.read_client() == 1);
  CHECK(d.rest().read_var_uint() == 0);
  CHECK(d.read_info() == 0x04);
  CHECK(d.read_parent_info());
  CHECK(d.read_string() == u"t");
  CHECK(d.read_string() == u"a");
  CHECK(d.read_info() == 0x84);
  CHECK(d.read_left_id() == ID{1, 0});
  CHECK(d.read_string() == u"c");
  CHECK(d.read_info() == 0xc4);
  CHECK(d.read_left_id() == ID{1, 0});
  CHECK(d.read_right_id() == ID{1, 1});
  CHECK(d.read_string() == u"b");
  CHECK(d.rest().read_var_uint() == 0);
  CHECK(d.ok());
  CHECK(d.rest().at_end());
}

// Runs the reads of text-insert-middle without checking values; true if all succeeded.
bool drive_text_insert_middle(UpdateDecoder& d) {
  d.rest().read_var_uint();
  d.rest().read_var_uint();
  d.read_client();
  d.rest().read_var_uint();
  d.read_info();
  d.read_parent_info();
  d.read_string();
  d.read_string();
  d.read_info();
  d.read_left_id();
  d.read_string();
  d.read_info();
  d.read_left_id();
  d.read_right_id();
  d.read_string();
  d.rest().read_var_uint();
  return d.ok();
}

}  // namespace

TEST_CASE("lib0 Writer: varints, strings and raw bytes survive growth, a reused buffer starts empty", "[update_codec]") {
  // Every varint size a reader accepts (up to 2^53 - 1, 8 bytes), past the
  // writer's first 64 bytes.
  std::vector<uint64_t> values;
  for (int bits = 0; bits <= 53; ++bits) values.push_back((uint64_t{1} << bits) - 1);
  lib0::Writer w;
  for (uint64_t v : values) w.write_var_uint(v);
  // Repeated values (client ids) come from a memo of the last one's bytes.
  for (uint64_t v : values) {
    w.write_repeated_var_uint(v);
    w.write_repeated_var_uint(v);
  }
  w.write_var_string(std::u16string_view(u"h\u00e9llo"));
  // A String content's text, one byte a unit: ASCII, and with units from
  // 0x80 that take two UTF-8 bytes.
  w.write_var_string(TextView::of_latin1("plain"));
  w.write_var_string(TextView::of_latin1("caf\xe9 \xff"));
  std::vector<uint8_t> big(300, 7);
  w.write_var_bytes(big);
  w.write_f64(0.5);
  size_t written = w.size();
  Bytes out = w.take();
  CHECK(out.size() == written);
  CHECK(w.empty());
  lib0::Reader r(out);
  for (uint64_t v : values) CHECK(r.read_var_uint() == v);
  for (uint64_t v : values) {
    CHECK(r.read_var_uint() == v);
    CHECK(r.read_var_uint() == v);
  }
  CHECK(r.read_var_string() == "h\xc3\xa9llo");
  CHECK(r.read_var_string() == "plain");
  CHECK(r.read_var_string() == "caf\xc3\xa9 \xc3\xbf");
  CHECK(r.read_var_bytes() == big);
  CHECK(r.read_f64() == 0.5);
  CHECK(r.ok());
  CHECK(r.remaining() == 0);

  // A writer handed an old buffer writes from its start.
  lib0::Writer again(std::move(out));
  again.write_u8(42);
  CHECK(again.take() == Bytes{42});
}

TEST_CASE("lib0 Reader: repeated varints read from the memo equal plain reads, near values and the tail included", "[update_codec]") {
  // Each value twice (the second from the memo), then a neighbour sharing
  // all bytes but the last, or the first, with it.
  std::vector<uint64_t> values;
  for (int bits = 0; bits <= 53; ++bits) {
    uint64_t v = (uint64_t{1} << bits) - 1;
    values.insert(values.end(), {v, v, v ^ (uint64_t{1} << (bits / 7 * 7)), v ^ 1});
  }
  values.push_back(2654435761u);  // the last ones sit in the final 8 bytes
  values.push_back(2654435761u);
  lib0::Writer w;
  for (uint64_t v : values) w.write_var_uint(v);
  Bytes bytes = w.take();
  lib0::Reader r(bytes);
  for (uint64_t v : values) CHECK(r.read_repeated_var_uint() == v);
  CHECK(r.ok());
  CHECK(r.remaining() == 0);
  CHECK(r.read_repeated_var_uint() == 0);
  CHECK_FALSE(r.ok());

  // A truncated repeat fails rather than matching the memo's prefix.
  Bytes cut = {0x81, 0x80, 0x01, 0x81, 0x80};
  lib0::Reader t(cut);
  CHECK(t.read_repeated_var_uint() == 16385);
  CHECK(t.read_repeated_var_uint() == 0);
  CHECK_FALSE(t.ok());
}

TEST_CASE("v1 codec reproduces text-insert-middle byte for byte", "[update_codec][v1]") {
  auto e = make_encoder_v1();
  write_text_insert_middle(*e);
  Bytes out = e->finish();
  CHECK(test::hex(out) == test::hex(vector_file("text-insert-middle.update.bin")));

  auto d = make_decoder_v1(out.data(), out.size());
  read_text_insert_middle(*d);
}

TEST_CASE("v2 codec reproduces text-insert-middle byte for byte", "[update_codec][v2]") {
  auto e = make_encoder_v2();
  write_text_insert_middle(*e);
  Bytes out = e->finish();
  Bytes expected = vector_file("text-insert-middle.update.v2.bin");
  CHECK(test::hex(out) == test::hex(expected));

  auto d = make_decoder_v2(expected.data(), expected.size());
  read_text_insert_middle(*d);
}

TEST_CASE("v2 decoder fails on every truncation of text-insert-middle", "[update_codec][v2]") {
  Bytes full = vector_file("text-insert-middle.update.v2.bin");
  {
    auto d = make_decoder_v2(full.data(), full.size());
    CHECK(drive_text_insert_middle(*d));
  }
  for (size_t n = 0; n < full.size(); ++n) {
    Bytes cut(full.begin(), full.begin() + n);
    auto d = make_decoder_v2(cut.data(), cut.size());
    INFO("prefix length " << n);
    CHECK_FALSE(drive_text_insert_middle(*d));
    CHECK(d->error() != nullptr);
  }
}

TEST_CASE("v1 decoder fails on every truncation of text-insert-middle", "[update_codec][v1]") {
  Bytes full = vector_file("text-insert-middle.update.bin");
  for (size_t n = 0; n < full.size(); ++n) {
    Bytes cut(full.begin(), full.begin() + n);
    auto d = make_decoder_v1(cut.data(), cut.size());
    INFO("prefix length " << n);
    CHECK_FALSE(drive_text_insert_middle(*d));
  }
}

TEST_CASE("empty v2 update is 13 bytes", "[update_codec][v2]") {
  auto e = make_encoder_v2();
  e->rest().write_var_uint(0);  // no struct sections
  e->rest().write_var_uint(0);  // empty delete set
  Bytes out = e->finish();
  CHECK(out == Bytes{0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00});

  auto d = make_decoder_v2(out.data(), out.size());
  REQUIRE(d->ok());
  CHECK(d->rest().read_var_uint() == 0);
  CHECK(d->rest().read_var_uint() == 0);
  CHECK(d->rest().at_end());
  CHECK(d->ok());
}

TEST_CASE("UintOptRle column: runs, zero runs, single values", "[update_codec][v2]") {
  struct Case {
    std::vector<uint64_t> values;
    Bytes column;
  };
  std::vector<Case> cases = {
      {{}, {}},
      {{5}, {0x05}},
      {{0}, {0x00}},
      {{0, 0}, {0x40, 0x00}},              // -0 marks a run: 40, count-2 = 0
      {{0, 0, 0, 0, 0}, {0x40, 0x03}},
      {{1, 1, 1, 1}, {0x41, 0x02}},        // as in the reference example
      {{7, 7, 3}, {0x47, 0x00, 0x03}},
      {{3, 7, 7}, {0x03, 0x47, 0x00}},     // the last run is flushed at the end
      {{1, 2, 3}, {0x01, 0x02, 0x03}},
      {{64}, {0x80, 0x01}},
      {{64, 64}, {0xc0, 0x01, 0x00}},
      {{4294967295ull, 4294967295ull, 4294967295ull}, {0xff, 0xff, 0xff, 0xff, 0x1f, 0x01}},
  };
  for (const Case& c : cases) {
    INFO("values " << c.values.size() << " first column byte " << (c.column.empty() ? -1 : int(c.column[0])));
    // Same codec in the client, typeRef and len columns.
    auto e = make_encoder_v2();
    for (uint64_t v : c.values) {
      e->write_client(v);
      e->write_type_ref(v);
      e->write_len(v);
    }
    Bytes out = e->finish();
    V2Parts parts = split_v2(out);
    CHECK(parts.cols[kClient] == c.column);
    CHECK(parts.cols[kTypeRef] == c.column);
    CHECK(parts.cols[kLen] == c.column);

    auto d = make_decoder_v2(out.data(), out.size());
    REQUIRE(d->ok());
    for (uint64_t v : c.values) {
      CHECK(d->read_client() == v);
      CHECK(d->read_type_ref() == v);
      CHECK(d->read_len() == v);
    }
    CHECK(d->ok());
    // One read too many fails cleanly.
    d->read_len();
    CHECK_FALSE(d->ok());
  }
}

TEST_CASE("UintOptRle reader: huge run counts and truncated counts", "[update_codec][v2]") {
  // 9 repeated 2^53-1 + 2 times: reading does not allocate or loop.
  Bytes col = {0x49, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x0f};
  Bytes u = v2_with_column(kLen, col);
  auto d = make_decoder_v2(u.data(), u.size());
  REQUIRE(d->ok());
  for (int i = 0; i < 1000; ++i) REQUIRE(d->read_len() == 9);
  CHECK(d->ok());

  // Run marker without its count.
  Bytes u2 = v2_with_column(kClient, {0x47});
  auto d2 = make_decoder_v2(u2.data(), u2.size());
  REQUIRE(d2->ok());
  d2->read_client();
  CHECK_FALSE(d2->ok());

  // Truncated varInt.
  Bytes u3 = v2_with_column(kTypeRef, {0x80});
  auto d3 = make_decoder_v2(u3.data(), u3.size());
  REQUIRE(d3->ok());
  d3->read_type_ref();
  CHECK_FALSE(d3->ok());
}

TEST_CASE("IntDiffOptRle column: runs, negative diffs, zero runs", "[update_codec][v2]") {
  struct Case {
    std::vector<uint64_t> values;
    Bytes column;
  };
  std::vector<Case> cases = {
      {{}, {}},
      {{0}, {0x00}},                            // d=0, single
      {{0, 0}, {0x01, 0x00}},                   // d=0 twice (reference leftClock example)
      {{1}, {0x02}},                            // reference rightClock example
      {{0, 0, 0, 0, 0}, {0x01, 0x03}},
      {{5, 4}, {0x0a, 0x42}},                   // d=5; d=-1 single: varInt(-2)
      {{5, 4, 3}, {0x0a, 0x41, 0x00}},          // d=-1 twice: varInt(-1), count-2=0
      {{10, 11, 12, 13}, {0x14, 0x03, 0x01}},   // d=10; d=1 ×3
      {{0, 1, 2, 3, 4}, {0x00, 0x03, 0x02}},    // d=0 from the start value 0, then d=1 ×4
      {{3, 3, 3}, {0x06, 0x01, 0x00}},          // d=3, then d=0 twice
      {{100, 0}, {0x88, 0x03, 0xc8, 0x03}},     // d=100 → varInt(200); d=-100 → varInt(-200)
      {{0, 1, 2}, {0x00, 0x03, 0x00}},
      {{0, 0, 5, 5}, {0x01, 0x00, 0x0a, 0x00}},
      {{1ull << 40, 0, 1ull << 40}, {}},        // large jumps: checked by round trip only
  };
  for (const Case& c : cases) {
    INFO("values " << c.values.size());
    auto e = make_encoder_v2();
    for (uint64_t v : c.values) {
      e->write_left_id(ID{1, v});
      e->write_right_id(ID{2, v});
    }
    Bytes out = e->finish();
    V2Parts parts = split_v2(out);
    if (!c.values.empty() && c.column.empty()) {
      // round trip only
    } else {
      CHECK(test::hex(parts.cols[kLeftClock]) == test::hex(c.column));
      CHECK(test::hex(parts.cols[kRightClock]) == test::hex(c.column));
    }

    auto d = make_decoder_v2(out.data(), out.size());
    REQUIRE(d->ok());
    for (uint64_t v : c.values) {
      CHECK(d->read_left_id() == ID{1, v});
      CHECK(d->read_right_id() == ID{2, v});
    }
    CHECK(d->ok());
  }
}

TEST_CASE("IntDiffOptRle reader failures", "[update_codec][v2]") {
  SECTION("past the end") {
    Bytes u = v2_with_column(kLeftClock, {0x02});
    // the client column also needs values for read_left_id
    V2Parts parts = split_v2(u);
    parts.cols[kClient] = {0x41, 0x00};  // client 1, twice
    u = join_v2(parts);
    auto d = make_decoder_v2(u.data(), u.size());
    REQUIRE(d->ok());
    CHECK(d->read_left_id() == ID{1, 1});
    CHECK(d->ok());
    d->read_left_id();
    CHECK_FALSE(d->ok());
  }
  SECTION("negative value") {
    V2Parts parts;
    parts.cols[kString] = {0x00};
    parts.cols[kClient] = {0x01};
    parts.cols[kRightClock] = {0x42};  // d = -1 from 0
    Bytes u = join_v2(parts);
    auto d = make_decoder_v2(u.data(), u.size());
    REQUIRE(d->ok());
    d->read_right_id();
    CHECK_FALSE(d->ok());
  }
  SECTION("count missing") {
    V2Parts parts;
    parts.cols[kString] = {0x00};
    parts.cols[kKeyClock] = {0x01};  // run flag, no count
    Bytes u = join_v2(parts);
    auto d = make_decoder_v2(u.data(), u.size());
    REQUIRE(d->ok());
    d->read_key();
    CHECK_FALSE(d->ok());
  }
}

TEST_CASE("Rle byte column: runs, last run without count, repeat forever", "[update_codec][v2]") {
  struct Case {
    std::vector<uint8_t> values;
    Bytes column;
  };
  std::vector<Case> cases = {
      {{}, {}},
      {{0x04}, {0x04}},
      {{1, 1, 1}, {0x01}},
      {{1, 1, 1, 2}, {0x01, 0x02, 0x02}},
      {{0x04, 0x84, 0xc4}, {0x04, 0x00, 0x84, 0x00, 0xc4}},
      {{0, 0, 1, 1, 0}, {0x00, 0x01, 0x01, 0x01, 0x00}},
  };
  for (const Case& c : cases) {
    INFO("values " << c.values.size());
    auto e = make_encoder_v2();
    for (uint8_t v : c.values) {
      e->write_info(v);
      e->write_parent_info(v & 1);
    }
    Bytes out = e->finish();
    V2Parts parts = split_v2(out);
    CHECK(test::hex(parts.cols[kInfo]) == test::hex(c.column));

    auto d = make_decoder_v2(out.data(), out.size());
    REQUIRE(d->ok());
    for (uint8_t v : c.values) {
      CHECK(d->read_info() == v);
      CHECK(d->read_parent_info() == bool(v & 1));
    }
    if (!c.values.empty()) {
      // The last value repeats forever.
      for (int i = 0; i < 5; ++i) {
        CHECK(d->read_info() == c.values.back());
        CHECK(d->read_parent_info() == bool(c.values.back() & 1));
      }
      CHECK(d->ok());
    } else {
      // Nothing to repeat: reading an empty column fails.
      d->read_info();
      CHECK_FALSE(d->ok());
    }
  }
  SECTION("count truncated") {
    Bytes u = v2_with_column(kInfo, {0x04, 0x80});
    auto d = make_decoder_v2(u.data(), u.size());
    REQUIRE(d->ok());
    d->read_info();
    CHECK_FALSE(d->ok());
  }
}

TEST_CASE("string column: concatenation and UTF-16 lengths", "[update_codec][v2]") {
  auto e = make_encoder_v2();
  e->write_string(u"ab");
  e->write_string(u"");
  e->write_string(u"c");
  e->write_string(u"\u00e9\U0001F600");  // 1 + 2 UTF-16 units
  Bytes out = e->finish();
  V2Parts parts = split_v2(out);
  CHECK(test::hex(parts.cols[kString]) == "09616263c3a9f09f9880" "02" "00" "01" "03");

  auto d = make_decoder_v2(out.data(), out.size());
  REQUIRE(d->ok());
  CHECK(d->read_string() == u"ab");
  CHECK(d->read_string() == u"");
  CHECK(d->read_string() == u"c");
  CHECK(d->read_string() == u"\u00e9\U0001F600");
  CHECK(d->ok());
  d->read_string();
  CHECK_FALSE(d->ok());
}

TEST_CASE("string column: split surrogate halves join in v2, become U+FFFD in v1", "[update_codec][v2][v1]") {
  std::u16string high(1, char16_t(0xD83D)), low(1, char16_t(0xDE00));
  {
    auto e = make_encoder_v2();
    e->write_string(high);
    e->write_string(low);
    Bytes out = e->finish();
    V2Parts parts = split_v2(out);
    CHECK(test::hex(parts.cols[kString]) == "04f09f9880" "4100");
    auto d = make_decoder_v2(out.data(), out.size());
    CHECK(d->read_string() == high);
    CHECK(d->read_string() == low);
    CHECK(d->ok());
  }
  {
    auto e = make_encoder_v1();
    e->write_string(high);
    e->write_string(low);
    Bytes out = e->finish();
    CHECK(test::hex(out) == "03efbfbd03efbfbd");
    auto d = make_decoder_v1(out.data(), out.size());
    CHECK(d->read_string() == u"\uFFFD");
    CHECK(d->read_string() == u"\uFFFD");
    CHECK(d->ok());
  }
}

TEST_CASE("string column failures", "[update_codec][v2]") {
  SECTION("lengths exceed the text") {
    Bytes u = v2_with_column(kString, {0x01, 0x61, 0x02});  // "a", length 2
    auto d = make_decoder_v2(u.data(), u.size());
    REQUIRE(d->ok());
    d->read_string();
    CHECK_FALSE(d->ok());
  }
  SECTION("invalid UTF-8 fails at construction") {
    Bytes u = v2_with_column(kString, {0x01, 0xff, 0x01});
    auto d = make_decoder_v2(u.data(), u.size());
    CHECK_FALSE(d->ok());
    CHECK(d->error() != nullptr);
  }
  SECTION("zero-byte string column fails at construction (as in yjs)") {
    Bytes u = v2_with_column(kString, {});
    auto d = make_decoder_v2(u.data(), u.size());
    CHECK_FALSE(d->ok());
  }
  SECTION("text length beyond the column") {
    Bytes u = v2_with_column(kString, {0x05, 0x61});
    auto d = make_decoder_v2(u.data(), u.size());
    CHECK_FALSE(d->ok());
  }
}

TEST_CASE("v2 keys: fresh numbers when writing, reuse when reading", "[update_codec][v2]") {
  auto e = make_encoder_v2();
  e->write_key(u"bold");
  e->write_key(u"bold");
  e->write_key(u"italic");
  Bytes out = e->finish();
  V2Parts parts = split_v2(out);
  // keyClock 0,1,2: d=0 single, then d=1 twice.
  CHECK(test::hex(parts.cols[kKeyClock]) == "000300");
  CHECK(test::hex(parts.cols[kString]) == "0e626f6c64626f6c646974616c6963" "440006");
  {
    auto d = make_decoder_v2(out.data(), out.size());
    CHECK(d->read_key() == u"bold");
    CHECK(d->read_key() == u"bold");
    CHECK(d->read_key() == u"italic");
    CHECK(d->ok());
  }
  // A hand-made update that reuses key 0: keyClock 0, 0, 1.
  parts.cols[kKeyClock] = {0x01, 0x00, 0x02};
  lib0::Writer s;
  s.write_var_string(std::string_view("bolditalic"));
  s.write_raw(Bytes{0x04, 0x06});
  parts.cols[kString] = s.take();
  Bytes reuse = join_v2(parts);
  auto d = make_decoder_v2(reuse.data(), reuse.size());
  CHECK(d->read_key() == u"bold");
  CHECK(d->read_key() == u"bold");
  CHECK(d->read_key() == u"italic");
  CHECK(d->ok());
  d->read_key();  // keyClock column exhausted
  CHECK_FALSE(d->ok());
}

TEST_CASE("v2 delete set uses clock and length deltas", "[update_codec][v2]") {
  auto e = make_encoder_v2();
  e->rest().write_var_uint(0);  // no structs
  e->rest().write_var_uint(2);  // two clients
  e->rest().write_var_uint(7);
  e->rest().write_var_uint(2);
  e->reset_ds_cur_val();
  e->write_ds_clock(5);
  e->write_ds_len(2);
  e->write_ds_clock(10);
  e->write_ds_len(1);
  e->rest().write_var_uint(3);
  e->rest().write_var_uint(1);
  e->reset_ds_cur_val();
  e->write_ds_clock(4);
  e->write_ds_len(300);
  Bytes out = e->finish();
  V2Parts parts = split_v2(out);
  CHECK(test::hex(parts.rest) == "0002" "0702" "0501" "0300" "0301" "04ab02");

  auto d = make_decoder_v2(out.data(), out.size());
  REQUIRE(d->ok());
  CHECK(d->rest().read_var_uint() == 0);
  CHECK(d->rest().read_var_uint() == 2);
  CHECK(d->rest().read_var_uint() == 7);
  CHECK(d->rest().read_var_uint() == 2);
  d->reset_ds_cur_val();
  CHECK(d->read_ds_clock() == 5);
  CHECK(d->read_ds_len() == 2);
  CHECK(d->read_ds_clock() == 10);
  CHECK(d->read_ds_len() == 1);
  CHECK(d->rest().read_var_uint() == 3);
  CHECK(d->rest().read_var_uint() == 1);
  d->reset_ds_cur_val();
  CHECK(d->read_ds_clock() == 4);
  CHECK(d->read_ds_len() == 300);
  CHECK(d->rest().at_end());
  CHECK(d->ok());
  d->read_ds_clock();
  CHECK_FALSE(d->ok());
}

TEST_CASE("v1 delete set is raw", "[update_codec][v1]") {
  auto e = make_encoder_v1();
  e->reset_ds_cur_val();
  e->write_ds_clock(5);
  e->write_ds_len(2);
  e->write_ds_clock(10);
  e->write_ds_len(1);
  Bytes out = e->finish();
  CHECK(test::hex(out) == "05020a01");
  auto d = make_decoder_v1(out.data(), out.size());
  d->reset_ds_cur_val();
  CHECK(d->read_ds_clock() == 5);
  CHECK(d->read_ds_len() == 2);
  CHECK(d->read_ds_clock() == 10);
  CHECK(d->read_ds_len() == 1);
  CHECK(d->ok());
}

TEST_CASE("v1 inline fields", "[update_codec][v1]") {
  Any obj = Any::object({{"b", 1}, {"1", "x"}});
  auto e = make_encoder_v1();
  e->write_client(300);
  e->write_info(0xa8);
  e->write_left_id(ID{2, 128});
  e->write_right_id(ID{3, 0});
  e->write_parent_info(false);
  e->write_type_ref(3);
  e->write_len(5);
  e->write_any(Any("hi"));
  e->write_buf({1, 2, 3});
  e->write_json(obj);
  e->write_json(Any());
  e->write_key(u"k\u00e9");
  Bytes out = e->finish();
  std::string expected = "ac02"              // client 300
                         "a8"                // info
                         "028001" "0300"     // left, right ids
                         "00" "03" "05"      // parent info, type ref, len
                         "77026869"          // any "hi"
                         "03010203"          // buf
                         "0f" "7b2231223a2278222c2262223a317d"  // {"1":"x","b":1}
                         "09" "756e646566696e6564"              // undefined
                         "036bc3a9";                            // key
  CHECK(test::hex(out) == expected);

  auto d = make_decoder_v1(out.data(), out.size());
  CHECK(d->read_client() == 300);
  CHECK(d->read_info() == 0xa8);
  CHECK(d->read_left_id() == ID{2, 128});
  CHECK(d->read_right_id() == ID{3, 0});
  CHECK_FALSE(d->read_parent_info());
  CHECK(d->read_type_ref() == 3);
  CHECK(d->read_len() == 5);
  CHECK(d->read_any() == Any("hi"));
  CHECK(d->read_buf() == Bytes{1, 2, 3});
  CHECK(d->read_json() == obj);
  CHECK(d->read_json().is_undefined());
  CHECK(d->read_key() == u"k\u00e9");
  CHECK(d->ok());
  CHECK(d->rest().at_end());
}

TEST_CASE("v1 read_json rejects malformed JSON", "[update_codec][v1]") {
  lib0::Writer w;
  w.write_var_string(std::string_view("{\"a\":"));
  Bytes b = w.take();
  auto d = make_decoder_v1(b.data(), b.size());
  d->read_json();
  CHECK_FALSE(d->ok());
  CHECK(d->error() != nullptr);
}

TEST_CASE("v2 any, json and buf go to the rest stream", "[update_codec][v2]") {
  Any embed = Any::object({{"image", "x.png"}});
  auto e = make_encoder_v2();
  e->write_any(Any(1.5));
  e->write_json(embed);
  e->write_json(Any(nullptr));
  e->write_buf({9, 8});
  Bytes out = e->finish();
  V2Parts parts = split_v2(out);
  lib0::Writer w;
  w.write_any(Any(1.5));
  w.write_any(embed);
  w.write_any(Any(nullptr));
  w.write_var_bytes(Bytes{9, 8});
  CHECK(parts.rest == w.take());

  auto d = make_decoder_v2(out.data(), out.size());
  CHECK(d->read_any() == Any(1.5));
  CHECK(d->read_json() == embed);
  CHECK(d->read_json().is_null());
  CHECK(d->read_buf() == Bytes{9, 8});
  CHECK(d->ok());
  CHECK(d->rest().at_end());
}

TEST_CASE("v2 header failures", "[update_codec][v2]") {
  SECTION("column length beyond the data") {
    Bytes u = {0x00, 0x05, 0x00};
    auto d = make_decoder_v2(u.data(), u.size());
    CHECK_FALSE(d->ok());
    // Reads on a failed decoder are harmless.
    d->read_client();
    d->read_info();
    d->read_string();
    d->read_key();
    d->read_left_id();
    d->rest().read_var_uint();
    CHECK_FALSE(d->ok());
  }
  SECTION("huge column length") {
    Bytes u = {0x00, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x0f};
    auto d = make_decoder_v2(u.data(), u.size());
    CHECK_FALSE(d->ok());
  }
  SECTION("missing columns") {
    Bytes u = {0x00, 0x00, 0x00, 0x00};
    auto d = make_decoder_v2(u.data(), u.size());
    CHECK_FALSE(d->ok());
  }
  SECTION("empty input") {
    auto d = make_decoder_v2(nullptr, 0);
    CHECK_FALSE(d->ok());
  }
  SECTION("non-zero feature flag is ignored") {
    V2Parts parts;
    parts.flag = 5;
    parts.cols[kString] = {0x00};
    parts.rest = {0x00, 0x00};
    Bytes u = join_v2(parts);
    auto d = make_decoder_v2(u.data(), u.size());
    CHECK(d->ok());
  }
}

TEST_CASE("v2 encoder round trips a mixed field sequence", "[update_codec][v2]") {
  auto e = make_encoder_v2();
  for (uint64_t i = 0; i < 50; ++i) {
    e->write_info(uint8_t(i % 3 == 0 ? 0x04 : 0x84));
    e->write_client(i / 10);
    e->write_left_id(ID{i % 4, 1000 - i * (i % 5)});
    e->write_right_id(ID{7, i * i});
    e->write_len(i % 2);
    e->write_type_ref(i % 7);
    e->write_parent_info(i % 4 == 0);
    e->write_string(std::u16string(size_t(i % 6), char16_t(u'a' + i % 26)));
    e->write_key(i % 2 ? u"x" : u"y");
  }
  Bytes out = e->finish();
  auto d = make_decoder_v2(out.data(), out.size());
  REQUIRE(d->ok());
  for (uint64_t i = 0; i < 50; ++i) {
    INFO("i = " << i);
    REQUIRE(d->read_info() == (i % 3 == 0 ? 0x04 : 0x84));
    REQUIRE(d->read_client() == i / 10);
    REQUIRE(d->read_left_id() == ID{i % 4, 1000 - i * (i % 5)});
    REQUIRE(d->read_right_id() == ID{7, i * i});
    REQUIRE(d->read_len() == i % 2);
    REQUIRE(d->read_type_ref() == i % 7);
    REQUIRE(d->read_parent_info() == (i % 4 == 0));
    REQUIRE(d->read_string() == std::u16string(size_t(i % 6), char16_t(u'a' + i % 26)));
    REQUIRE(d->read_key() == (i % 2 ? u"x" : u"y"));
  }
  CHECK(d->ok());
}
