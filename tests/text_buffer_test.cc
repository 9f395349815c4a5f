// TextBuffer, the text of String contents: Latin-1 until a unit needs UTF-16,
// inline while short, then a block allocated to fit or, when appended to,
// grown geometrically.
#include <catch2/catch.hpp>

#include <random>
#include <string>
#include <utility>
#include <vector>

#include "content.h"
#include "conflux/doc.h"
#include "item.h"
#include "lib0.h"
#include "utf.h"
#include "text_buffer.h"

using namespace conflux;
using namespace std::string_view_literals;

namespace {
std::u16string units_of(size_t n, char16_t first = u'a') {
  std::u16string s;
  for (size_t i = 0; i < n; ++i) s.push_back(char16_t(first + i % 26));
  return s;
}
TextBuffer buffer_of(std::u16string_view s) { return TextBuffer(s); }
}  // namespace

TEST_CASE("TextBuffer starts empty and inline", "[text_buffer]") {
  TextBuffer b;
  CHECK(b.empty());
  CHECK(b.size() == 0);
  CHECK(b.view().empty());
  CHECK(b.capacity() == TextBuffer::kInlineLatin1);
}

TEST_CASE("TextBuffer push_back keeps every unit across inline, the first block and growth", "[text_buffer]") {
  TextBuffer b;
  std::u16string want;
  size_t reallocations = 0;
  size_t capacity = b.capacity();
  for (size_t i = 0; i < 5000; ++i) {
    const char16_t c = char16_t(0x20 + i * 7919 % 0xD000);
    b.push_back(c);
    want.push_back(c);
    REQUIRE(b.view() == want);
    REQUIRE(b.capacity() >= b.size());
    if (b.capacity() != capacity) {
      ++reallocations;
      capacity = b.capacity();
    }
  }
  // Geometric growth: a few dozen reallocations, not one per few units.
  CHECK(reallocations < 25);
}

TEST_CASE("TextBuffer built from a view holds it, allocated to fit", "[text_buffer]") {
  for (size_t n : {0, 1, 3, 4, 8, 9, 100, 1001}) {
    const std::u16string s = units_of(n);
    TextBuffer b = buffer_of(s);
    CHECK(b.view() == s);
    CHECK(b.capacity() < std::max<size_t>(n, TextBuffer::kInlineLatin1) + 16);
  }
}

TEST_CASE("append_text into a buffer matches to_utf16 for ASCII, accents and surrogate pairs", "[text_buffer]") {
  const char* pieces[] = {
      "a", "b", "c", "d",  // one keystroke at a time, past the inline units
      "\xC3\xA9",          // é
      "\xF0\x9F\x98\x80",  // 😀, a surrogate pair
      "xyz",
      "the quick brown fox jumps over",  // long enough for the wide ASCII path
      "\xE4\xB8\xAD\xE6\x96\x87 and \xF0\x9F\x8E\x89 mixed with ASCII text to pass sixteen bytes",
      "",
      "z",
  };
  TextBuffer b;
  std::u16string want;
  for (const char* p : pieces) {
    const std::u16string units = utf::to_utf16(p);
    CHECK(utf::append_text(p, &b) == units.size());
    want += units;
    REQUIRE(b.view() == want);
  }
  CHECK(b.view().to_u16string().find(u"\xD83D\xDE00") != std::u16string::npos);
}

TEST_CASE("TextBuffer erase_prefix drops the first units, inline and in a block", "[text_buffer]") {
  TextBuffer small(u"abc"sv);
  small.erase_prefix(2);
  CHECK(small.view() == u"c");
  small.erase_prefix(0);
  CHECK(small.view() == u"c");
  small.erase_prefix(1);
  CHECK(small.empty());

  const std::u16string s = units_of(40);
  TextBuffer big = buffer_of(s);
  big.erase_prefix(15);
  CHECK(big.view() == s.substr(15));
  big.push_back(u'!');
  CHECK(big.view() == s.substr(15) + u"!");
}

TEST_CASE("TextBuffer truncate keeps the head and appends after it", "[text_buffer]") {
  const std::u16string s = units_of(30);
  TextBuffer b = buffer_of(s);
  b.truncate(10);
  CHECK(b.view() == s.substr(0, 10));
  b.append(u"XY"sv);
  CHECK(b.view() == s.substr(0, 10) + u"XY");
  b.truncate(0);
  CHECK(b.empty());
  b.append(u"again"sv);
  CHECK(b.view() == u"again");
}

TEST_CASE("TextBuffer split_off cuts anywhere and gives back the left part's room", "[text_buffer]") {
  const std::u16string s = units_of(100);
  for (size_t at : {0, 1, 3, 4, 50, 99, 100}) {
    TextBuffer b;
    for (char16_t c : s) b.push_back(c);  // grown, with room to spare
    TextBuffer tail = b.split_off(at);
    CHECK(b.view() == s.substr(0, at));
    CHECK(tail.view() == s.substr(at));
    CHECK(b.capacity() < std::max<size_t>(at, TextBuffer::kInlineLatin1) + 16);
    CHECK(tail.capacity() < std::max<size_t>(100 - at, TextBuffer::kInlineLatin1) + 16);
    b.append(u"+"sv);
    tail.append(u"-"sv);
    CHECK(b.view() == s.substr(0, at) + u"+");
    CHECK(tail.view() == s.substr(at) + u"-");
  }
}

TEST_CASE("TextBuffer moves leave the source empty and usable", "[text_buffer]") {
  for (size_t n : {2, 50}) {
    const std::u16string s = units_of(n);
    TextBuffer a = buffer_of(s);
    TextBuffer b(std::move(a));
    CHECK(b.view() == s);
    CHECK(a.empty());  // NOLINT(bugprone-use-after-move): the moved-from state is specified
    a.append(u"reuse"sv);
    CHECK(a.view() == u"reuse");

    TextBuffer c(u"replaced, its block freed"sv);
    c = std::move(b);
    CHECK(c.view() == s);
    CHECK(b.empty());  // NOLINT(bugprone-use-after-move)
  }
}

TEST_CASE("valid_utf8_to_text fits non-ASCII text and refuses invalid input", "[text_buffer]") {
  TextBuffer b(u"old contents, replaced"sv);
  REQUIRE(utf::valid_utf8_to_text("\xE4\xB8\xAD\xE6\x96\x87\xE4\xB8\xAD\xE6\x96\x87\xE4\xB8\xAD", &b));
  CHECK(b.view() == u"\x4E2D\x6587\x4E2D\x6587\x4E2D");
  CHECK(b.capacity() == 8);  // five units, not fifteen bytes' worth
  CHECK_FALSE(utf::valid_utf8_to_text("ab\xC3", &b));
  CHECK_FALSE(utf::valid_utf8_to_text("\xC3\xA9\xC0\x80", &b));  // overlong, after a Latin-1 unit
  CHECK(utf::to_text_buffer("\xF0\x9F\x98\x80").view() == u"\xD83D\xDE00");
}

TEST_CASE("String contents: 16 bytes, moves leave an empty GC, cuts through a pair give U+FFFD", "[text_buffer]") {
  STATIC_REQUIRE(sizeof(Content) == 16);
  STATIC_REQUIRE(sizeof(Item) == 88);

  Content c = Content::string(std::u16string_view(u"ab\xD83D\xDE00" u"cd"));
  CHECK(c.length() == 6);
  Content moved(std::move(c));
  CHECK(c.ref() == ContentRef::GC);  // NOLINT(bugprone-use-after-move)
  CHECK(c.length() == 0);            // NOLINT(bugprone-use-after-move)
  CHECK(moved.str() == u"ab\xD83D\xDE00" u"cd");

  Content right = moved.split(3);
  CHECK(moved.str() == u"ab\xFFFD");
  CHECK(right.str() == u"\xFFFD" u"cd");
  moved.append(std::move(right));
  CHECK(moved.str() == u"ab\xFFFD\xFFFD" u"cd");

  Content other = Content::deleted(4);
  other = std::move(moved);
  CHECK(other.ref() == ContentRef::String);
  CHECK(other.clone().str() == u"ab\xFFFD\xFFFD" u"cd");
}

TEST_CASE("TextBuffer holds Latin-1 text one byte a unit and turns to UTF-16 at the first unit from 0x100",
          "[text_buffer]") {
  TextBuffer b;
  std::u16string want;
  auto push = [&](char16_t c) {
    b.push_back(c);
    want.push_back(c);
  };
  for (char16_t c : u"abc\xE9xy\xFF"sv) push(c);
  CHECK_FALSE(b.wide());
  CHECK(b.capacity() == TextBuffer::kInlineLatin1);  // seven units in place
  push(u'q');
  CHECK_FALSE(b.wide());
  CHECK(b.capacity() == 16);
  push(0x100);
  CHECK(b.wide());
  CHECK(b.view() == want);
  push(u'z');
  CHECK(b.view() == want);
  CHECK(b[0] == u'a');
  CHECK(b[6] == 0xFF);
  CHECK(b[8] == 0x100);

  TextBuffer small = buffer_of(u"a\x4E2D"sv);
  CHECK(small.wide());
  CHECK(small.capacity() == TextBuffer::kInlineUtf16);
  small.push_back(u'b');
  small.push_back(u'c');  // past three UTF-16 units: a block
  CHECK(small.view() == u"a\x4E2D" u"bc");
}

TEST_CASE("TextBuffer appends Latin-1 and UTF-16 text to either kind", "[text_buffer]") {
  TextBuffer narrow = buffer_of(u"abc"sv);
  narrow.append(u"d\xE9"sv);  // UTF-16 units that fit Latin-1 keep it Latin-1
  CHECK_FALSE(narrow.wide());
  narrow.append(u"\x4E2D\xD83D\xDE00"sv);
  CHECK(narrow.wide());
  CHECK(narrow.view() == u"abcd\xE9\x4E2D\xD83D\xDE00");

  TextBuffer wide = buffer_of(u"\x4E2D"sv);
  wide.append(TextView::of_latin1("xy\xE9"));
  CHECK(wide.view() == u"\x4E2Dxy\xE9");

  const TextBuffer latin1 = buffer_of(u"long enough to take a block \xE9"sv);
  CHECK_FALSE(latin1.wide());
  TextBuffer joined = buffer_of(u"\x4E2D"sv);
  joined.append(latin1.view());
  CHECK(joined.view() == u"\x4E2Dlong enough to take a block \xE9");
}

TEST_CASE("TextBuffer split_off gives Latin-1 parts when the wide units stay on the other side", "[text_buffer]") {
  const std::u16string s = units_of(20) + u"\x4E2D" + units_of(20);
  for (size_t at : {0, 5, 20, 21, 30, 41}) {
    TextBuffer b = buffer_of(s);
    REQUIRE(b.wide());
    TextBuffer tail = b.split_off(at);
    CHECK(b.view() == s.substr(0, at));
    CHECK(tail.view() == s.substr(at));
    CHECK(b.wide() == (at > 20));
    CHECK(tail.wide() == (at <= 20));
  }
  TextBuffer b = buffer_of(u"abc"sv);
  b.set_unit(1, u'\xE9');
  CHECK_FALSE(b.wide());
  b.set_unit(2, u'\xFFFD');
  CHECK(b.wide());
  CHECK(b.view() == u"a\xE9\xFFFD");
}

TEST_CASE("UTF-8 converts into Latin-1 until a unit needs UTF-16, as to_utf16 gives it", "[text_buffer]") {
  const std::vector<std::string> parts = {"a", "plain ASCII, more than sixteen bytes", "\xC3\xA9", "\xC2\x80",
                                          "\xC3\xBF", "\xC4\x80", "\xE4\xB8\xAD", "\xF0\x9F\x98\x80", "\xFF"};
  std::mt19937_64 next(5);
  for (int round = 0; round < 2000; ++round) {
    std::string in;
    for (size_t n = next() % 6; n > 0; --n) in += parts[next() % parts.size()];
    const std::u16string units = utf::to_utf16(in);
    INFO("round " << round << ": " << in);
    const TextBuffer b = utf::to_text_buffer(in);
    CHECK(b.view() == units);
    CHECK(b.wide() == !fits_latin1(units));
    TextBuffer typed = buffer_of(u"x"sv);
    CHECK(utf::append_text(in, &typed) == units.size());
    CHECK(typed.view() == u"x" + units);
    CHECK(utf::to_utf8(b.view()) == utf::to_utf8(units));
    TextBuffer valid;
    CHECK(utf::valid_utf8_to_text(in, &valid) == utf::valid_utf8(in));
    if (utf::valid_utf8(in)) CHECK(valid.view() == units);
  }
}

TEST_CASE("Utf8Appender joins Latin-1 and UTF-16 pieces as to_utf8 does the whole", "[text_buffer]") {
  std::string out;
  utf::Utf8Appender appender(&out, 2);
  const TextBuffer latin1 = buffer_of(u"a\xE9 long enough for a block"sv);
  appender.append(latin1.view());
  appender.append(u"\x4E2D\xD83D"sv);  // a high surrogate, then Latin-1: U+FFFD
  appender.append(latin1.view());
  appender.append(u"\xD83D"sv);
  appender.finish();
  CHECK(out == utf::to_utf8(u"a\xE9 long enough for a block\x4E2D\xFFFD" u"a\xE9 long enough for a block\xFFFD"));
}

TEST_CASE("String contents of either width merge, cut and encode as UTF-16 text", "[text_buffer]") {
  Content c = Content::string(u"ab"sv);
  c.append(Content::string(u"\x4E2D\x6587"sv));
  c.append(Content::string(u"cd\xE9"sv));
  CHECK(c.str() == u"ab\x4E2D\x6587" u"cd\xE9");
  Content right = c.split(4);
  CHECK(c.str() == u"ab\x4E2D\x6587");
  CHECK(right.str() == u"cd\xE9");
  CHECK_FALSE(right.str().wide());
  lib0::Writer narrow, wide;
  narrow.write_var_string(right.str());
  wide.write_var_string(u"cd\xE9"sv);
  CHECK(narrow.take() == wide.take());
}

namespace {
Bytes from_hex(std::string_view hex) {
  Bytes out;
  for (size_t i = 0; i + 1 < hex.size(); i += 2) out.push_back(uint8_t(std::stoi(std::string(hex.substr(i, 2)), nullptr, 16)));
  return out;
}
}  // namespace

// The expected updates are Yjs's (13.6) for the same edits.
TEST_CASE("text typed into an ASCII run that turns to UTF-16 encodes as Yjs's", "[text_buffer]") {
  for (bool observed : {false, true}) {
    Doc doc(Doc::Options{.client_id = 1});
    Text text = doc.get_text("t");
    Subscription observer;
    if (observed) observer = text.observe([](const TextEvent&) {});
    uint64_t at = 0;
    for (const char* ch : {"a", "b", "c", "\xE4\xB8\xAD", "d", "\xC3\xA9", "\xF0\x9F\x98\x80", "e"}) {
      const uint64_t before = text.length();
      text.insert(at, ch);
      at += text.length() - before;
    }
    text.remove(1, 1);
    text.insert(4, "\xC3\xBF\xC4\x80");
    INFO("observed " << observed);
    CHECK(text.to_string() == "ac\xE4\xB8\xAD" "d\xC3\xBF\xC4\x80\xC3\xA9\xF0\x9F\x98\x80" "e");
    CHECK(doc.encode_state_as_update() ==
          from_hex("01050100040101740161810100018401010563e4b8ad6484010407c3a9f09f988065c40104010504c3bfc4800101010101"));
    CHECK(doc.encode_state_as_update_v2() ==
          from_hex("00000241040400020600010a07040081008401c41812746163e4b8ad64c3a9f09f988065c3bfc480410003040201010001"
                   "010105000101010100"));
  }
}

TEST_CASE("Latin-1 and UTF-16 runs received one by one merge as in Yjs", "[text_buffer]") {
  Doc a(Doc::Options{.client_id = 2});
  Text ta = a.get_text("t");
  std::vector<Bytes> updates;
  Subscription on_update = a.on_update([&](const Bytes& u, const Transaction&) { updates.push_back(u); });
  ta.insert(0, "ab");
  ta.insert(2, "\xE4\xB8\xAD\xE6\x96\x87");
  ta.insert(4, "xy");
  ta.insert(6, "\xC3\xA9");
  Doc b(Doc::Options{.client_id = 3});
  for (const Bytes& u : updates) REQUIRE(b.apply_update(u).ok());
  Text tb = b.get_text("t");
  tb.insert(0, "Z\xC3\xA9");
  tb.insert(2, "\xE5\xAD\x97");
  CHECK(tb.to_string() == "Z\xC3\xA9\xE5\xAD\x97" "ab\xE4\xB8\xAD\xE6\x96\x87xy\xC3\xA9");
  CHECK(b.encode_state_as_update() ==
        from_hex("02010300440200065ac3a9e5ad97010200040101740c6162e4b8ade696877879c3a900"));
  CHECK(b.encode_state_as_update_v2() ==
        from_hex("0000030342000001000344000417135ac3a9e5ad97746162e4b8ade696877879c3a903010701010000020100010000"));
  Doc c;
  REQUIRE(c.apply_update_v2(b.encode_state_as_update_v2()).ok());
  CHECK(c.encode_state_as_update() == b.encode_state_as_update());
}
