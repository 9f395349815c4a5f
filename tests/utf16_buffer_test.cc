// Utf16Buffer, the text of String contents: inline while short, then a block
// allocated to fit or, when appended to, grown geometrically.
#include <catch2/catch.hpp>

#include <string>
#include <utility>

#include "content.h"
#include "item.h"
#include "utf.h"
#include "utf16_buffer.h"

using namespace conflux;

namespace {
std::u16string units_of(size_t n, char16_t first = u'a') {
  std::u16string s;
  for (size_t i = 0; i < n; ++i) s.push_back(char16_t(first + i % 26));
  return s;
}
}  // namespace

TEST_CASE("Utf16Buffer starts empty and inline", "[utf16_buffer]") {
  Utf16Buffer b;
  CHECK(b.empty());
  CHECK(b.size() == 0);
  CHECK(b.view().empty());
  CHECK(b.capacity() == Utf16Buffer::kInlineCapacity);
}

TEST_CASE("Utf16Buffer push_back keeps every unit across inline, the first block and growth", "[utf16_buffer]") {
  Utf16Buffer b;
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

TEST_CASE("Utf16Buffer built from a view holds it, allocated to fit", "[utf16_buffer]") {
  for (size_t n : {0, 1, 3, 4, 8, 9, 100, 1001}) {
    const std::u16string s = units_of(n);
    Utf16Buffer b(s);
    CHECK(b.view() == s);
    CHECK(b.capacity() < std::max<size_t>(n, Utf16Buffer::kInlineCapacity) + 8);
  }
}

TEST_CASE("append_utf16 into a buffer matches to_utf16 for ASCII, accents and surrogate pairs", "[utf16_buffer]") {
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
  Utf16Buffer b;
  std::u16string want;
  for (const char* p : pieces) {
    const std::u16string units = utf::to_utf16(p);
    CHECK(utf::append_utf16(p, &b) == units.size());
    want += units;
    REQUIRE(b.view() == want);
  }
  CHECK(b.view().find(u"\xD83D\xDE00") != std::u16string_view::npos);
}

TEST_CASE("Utf16Buffer erase_prefix drops the first units, inline and in a block", "[utf16_buffer]") {
  Utf16Buffer small(u"abc");
  small.erase_prefix(2);
  CHECK(small.view() == u"c");
  small.erase_prefix(0);
  CHECK(small.view() == u"c");
  small.erase_prefix(1);
  CHECK(small.empty());

  const std::u16string s = units_of(40);
  Utf16Buffer big(s);
  big.erase_prefix(15);
  CHECK(big.view() == s.substr(15));
  big.push_back(u'!');
  CHECK(big.view() == s.substr(15) + u"!");
}

TEST_CASE("Utf16Buffer truncate keeps the head and appends after it", "[utf16_buffer]") {
  const std::u16string s = units_of(30);
  Utf16Buffer b(s);
  b.truncate(10);
  CHECK(b.view() == s.substr(0, 10));
  b.append(u"XY");
  CHECK(b.view() == s.substr(0, 10) + u"XY");
  b.truncate(0);
  CHECK(b.empty());
  b.append(u"again");
  CHECK(b.view() == u"again");
}

TEST_CASE("Utf16Buffer split_off cuts anywhere and gives back the left part's room", "[utf16_buffer]") {
  const std::u16string s = units_of(100);
  for (size_t at : {0, 1, 3, 4, 50, 99, 100}) {
    Utf16Buffer b;
    for (char16_t c : s) b.push_back(c);  // grown, with room to spare
    Utf16Buffer tail = b.split_off(at);
    CHECK(b.view() == s.substr(0, at));
    CHECK(tail.view() == s.substr(at));
    CHECK(b.capacity() < std::max<size_t>(at, Utf16Buffer::kInlineCapacity) + 8);
    CHECK(tail.capacity() < std::max<size_t>(100 - at, Utf16Buffer::kInlineCapacity) + 8);
    b.append(u"+");
    tail.append(u"-");
    CHECK(b.view() == s.substr(0, at) + u"+");
    CHECK(tail.view() == s.substr(at) + u"-");
  }
}

TEST_CASE("Utf16Buffer moves leave the source empty and usable", "[utf16_buffer]") {
  for (size_t n : {2, 50}) {
    const std::u16string s = units_of(n);
    Utf16Buffer a(s);
    Utf16Buffer b(std::move(a));
    CHECK(b.view() == s);
    CHECK(a.empty());  // NOLINT(bugprone-use-after-move): the moved-from state is specified
    a.append(u"reuse");
    CHECK(a.view() == u"reuse");

    Utf16Buffer c(u"replaced, its block freed");
    c = std::move(b);
    CHECK(c.view() == s);
    CHECK(b.empty());  // NOLINT(bugprone-use-after-move)
  }
}

TEST_CASE("valid_utf8_to_utf16 into a buffer fits non-ASCII text and refuses invalid input", "[utf16_buffer]") {
  Utf16Buffer b(u"old contents, replaced");
  REQUIRE(utf::valid_utf8_to_utf16("\xE4\xB8\xAD\xE6\x96\x87\xE4\xB8\xAD\xE6\x96\x87\xE4\xB8\xAD", &b));
  CHECK(b.view() == u"\x4E2D\x6587\x4E2D\x6587\x4E2D");
  CHECK(b.capacity() == 8);  // five units, not fifteen bytes' worth
  CHECK_FALSE(utf::valid_utf8_to_utf16("ab\xC3", &b));
  CHECK(utf::to_utf16_buffer("\xF0\x9F\x98\x80").view() == u"\xD83D\xDE00");
}

TEST_CASE("String contents: 16 bytes, moves leave an empty GC, cuts through a pair give U+FFFD", "[utf16_buffer]") {
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
