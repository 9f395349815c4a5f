// UTF-16 to UTF-8 in pieces (Text::to_string converts item by item).
#include <catch2/catch.hpp>

#include <string>
#include <utility>
#include <vector>

#include "utf.h"

using namespace conflux;

TEST_CASE("Utf8Appender gives what to_utf8 gives for the whole text, however it is cut", "[utf]") {
  CHECK(utf::to_utf8(u"a\xE9\x4E2D") == "a\xC3\xA9\xE4\xB8\xAD");
  CHECK(utf::to_utf8(std::u16string(1, char16_t(0xD83D))) == "\xEF\xBF\xBD");
  CHECK(utf::to_utf8(u"\xD83D\xDE00") == "\xF0\x9F\x98\x80");
  const char16_t units[] = {u'a', 0xE9, 0x4E2D, 0xD83D, 0xDE00};
  uint64_t seed = 99;
  auto next = [&] {
    seed = seed * 6364136223846793005u + 1442695040888963407u;
    return seed >> 33;
  };
  for (int round = 0; round < 2000; ++round) {
    std::vector<std::u16string> pieces(1 + next() % 5);
    std::u16string whole;
    for (auto& p : pieces) {
      size_t n = next() % 12;
      for (size_t k = 0; k < n; ++k) p += units[next() % 5];
      whole += p;
    }
    std::string out = "x";
    utf::Utf8Appender appender(&out, next() % 8);
    for (const auto& p : pieces) appender.append(p);
    appender.finish();
    INFO("round " << round);
    CHECK(out == std::string("x").append(utf::to_utf8(whole)));
  }
}

TEST_CASE("append_text appends what to_utf16 gives, short ASCII or not", "[utf]") {
  const std::vector<std::string> inputs = {"", "a", "ab", "abcd", "abcde", "\xC3\xA9", "a\xC3\xA9", "\xF0\x9F\x98\x80",
                                           "\xFF", "ab\xE4\xB8", "plain ASCII longer than a keystroke"};
  for (const std::string& in : inputs) {
    TextBuffer out(std::u16string_view(u"x"));
    size_t n = utf::append_text(in, &out);
    INFO(in);
    std::u16string expected = u"x";
    expected += utf::to_utf16(in);
    CHECK(out.view() == expected);
    CHECK(n == out.size() - 1);
  }
}

TEST_CASE("long mixed texts convert both ways, ASCII runs of every length between other characters", "[utf]") {
  // Other characters with their UTF-8, written out so that neither side of
  // the check comes from the converters under test.
  const std::pair<char16_t, const char*> others[] = {
      {0xE9, "\xC3\xA9"}, {0x4E2D, "\xE4\xB8\xAD"}, {0x7FF, "\xDF\xBF"}, {0x800, "\xE0\xA0\x80"}};
  uint64_t seed = 7;
  auto next = [&] {
    seed = seed * 6364136223846793005u + 1442695040888963407u;
    return seed >> 33;
  };
  for (int round = 0; round < 3000; ++round) {
    std::u16string text;
    std::string utf8;
    size_t pieces = 1 + next() % 6;
    for (size_t p = 0; p < pieces; ++p) {
      size_t ascii = next() % 40;  // runs shorter and longer than one vector
      for (size_t k = 0; k < ascii; ++k) {
        char c = char('a' + next() % 26);
        text += char16_t(c);
        utf8 += c;
      }
      switch (next() % 3) {
        case 0: {
          const auto& [unit, bytes] = others[next() % 4];
          text += unit;
          utf8 += bytes;
          break;
        }
        case 1:
          text += u"\xD83D\xDE00";
          utf8 += "\xF0\x9F\x98\x80";
          break;
        default:
          break;
      }
    }
    INFO("round " << round);
    REQUIRE(utf::to_utf8(text) == utf8);
    REQUIRE(utf::to_utf16(utf8) == text);
  }
}
