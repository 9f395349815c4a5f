// A Redis stream entry id, "<milliseconds>-<sequence>", as a pair of numbers
// so that ids compare and step exactly (as strings, "9-0" > "10-0").
#pragma once

#include <charconv>
#include <compare>
#include <cstdint>
#include <limits>
#include <string>
#include <string_view>

namespace conflux::redis {

struct StreamId {
  uint64_t ms = 0;
  uint64_t seq = 0;

  static bool parse(std::string_view s, StreamId* out) {
    size_t dash = s.find('-');
    if (dash == std::string_view::npos) return false;
    StreamId id;
    auto number = [](std::string_view part, uint64_t* v) {
      auto [end, ec] = std::from_chars(part.data(), part.data() + part.size(), *v);
      return ec == std::errc() && end == part.data() + part.size() && !part.empty();
    };
    if (!number(s.substr(0, dash), &id.ms) || !number(s.substr(dash + 1), &id.seq)) return false;
    *out = id;
    return true;
  }

  std::string str() const { return std::to_string(ms) + "-" + std::to_string(seq); }

  // The smallest id after this one.
  StreamId next() const {
    if (seq == std::numeric_limits<uint64_t>::max()) return {ms + 1, 0};
    return {ms, seq + 1};
  }

  friend auto operator<=>(const StreamId&, const StreamId&) = default;
};

}  // namespace conflux::redis
