#include "conflux/any.h"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstring>

#include "utf.h"

namespace conflux {

bool is_array_index_key(std::string_view key) {
  if (key.empty() || key.size() > 10) return false;
  if (key.size() > 1 && key[0] == '0') return false;
  uint64_t v = 0;
  for (char c : key) {
    if (c < '0' || c > '9') return false;
    v = v * 10 + uint64_t(c - '0');
  }
  return v < 4294967295ull;
}

Any Any::object(Object entries) {
  Object dedup;
  dedup.reserve(entries.size());
  for (auto& [k, v] : entries) {
    bool found = false;
    for (auto& e : dedup) {
      if (e.first == k) {
        e.second = std::move(v);
        found = true;
        break;
      }
    }
    if (!found) dedup.emplace_back(std::move(k), std::move(v));
  }
  // JavaScript puts array-index keys first, in numeric order.
  Object ordered;
  ordered.reserve(dedup.size());
  std::vector<std::pair<uint64_t, size_t>> idx;
  std::vector<bool> is_index(dedup.size(), false);
  for (size_t i = 0; i < dedup.size(); ++i) {
    if (is_array_index_key(dedup[i].first)) {
      idx.emplace_back(std::stoull(dedup[i].first), i);
      is_index[i] = true;
    }
  }
  std::sort(idx.begin(), idx.end());
  for (auto& [n, i] : idx) ordered.push_back(std::move(dedup[i]));
  for (size_t i = 0; i < dedup.size(); ++i) {
    if (!is_index[i]) ordered.push_back(std::move(dedup[i]));
  }
  Any a;
  a.v_ = std::move(ordered);
  return a;
}

const Any* Any::get(std::string_view key) const {
  if (!is_object()) return nullptr;
  for (const auto& [k, v] : as_object()) {
    if (k == key) return &v;
  }
  return nullptr;
}

bool Any::operator==(const Any& o) const {
  if (kind() != o.kind()) return false;
  if (kind() == Kind::Number) {
    double a = as_number(), b = o.as_number();
    return std::memcmp(&a, &b, sizeof a) == 0 || (a == b && std::signbit(a) == std::signbit(b));
  }
  return v_ == o.v_;
}

namespace {

// ECMAScript Number::toString.
void append_number(std::string& out, double d) {
  if (std::isnan(d) || std::isinf(d)) {
    out += "null";
    return;
  }
  if (d == 0) {
    out += "0";
    return;
  }
  if (d < 0) {
    out.push_back('-');
    d = -d;
  }
  char buf[64];
  auto r = std::to_chars(buf, buf + sizeof buf, d, std::chars_format::scientific);
  std::string sci(buf, r.ptr);
  size_t e = sci.find('e');
  std::string digits;
  for (size_t i = 0; i < e; ++i) {
    if (sci[i] != '.') digits.push_back(sci[i]);
  }
  int exp = std::stoi(sci.substr(e + 1));
  int k = int(digits.size());
  int n = exp + 1;
  if (k <= n && n <= 21) {
    out += digits;
    out.append(size_t(n - k), '0');
  } else if (0 < n && n <= 21) {
    out += digits.substr(0, size_t(n));
    out.push_back('.');
    out += digits.substr(size_t(n));
  } else if (-6 < n && n <= 0) {
    out += "0.";
    out.append(size_t(-n), '0');
    out += digits;
  } else {
    out.push_back(digits[0]);
    if (k > 1) {
      out.push_back('.');
      out += digits.substr(1);
    }
    out.push_back('e');
    out.push_back(n - 1 >= 0 ? '+' : '-');
    out += std::to_string(std::abs(n - 1));
  }
}

void append_string(std::string& out, const std::string& s) {
  static const char* hex = "0123456789abcdef";
  out.push_back('"');
  for (unsigned char c : s) {
    switch (c) {
      case '"': out += "\\\""; break;
      case '\\': out += "\\\\"; break;
      case '\b': out += "\\b"; break;
      case '\f': out += "\\f"; break;
      case '\n': out += "\\n"; break;
      case '\r': out += "\\r"; break;
      case '\t': out += "\\t"; break;
      default:
        if (c < 0x20) {
          out += "\\u00";
          out.push_back(hex[c >> 4]);
          out.push_back(hex[c & 15]);
        } else {
          out.push_back(char(c));
        }
    }
  }
  out.push_back('"');
}

// Returns false when the value is omitted (undefined in an object).
bool append_json(std::string& out, const Any& v, bool in_array) {
  switch (v.kind()) {
    case Any::Kind::Undefined:
      out += in_array ? "null" : "undefined";
      return true;
    case Any::Kind::Null:
      out += "null";
      return true;
    case Any::Kind::Bool:
      out += v.as_bool() ? "true" : "false";
      return true;
    case Any::Kind::Number:
      append_number(out, v.as_number());
      return true;
    case Any::Kind::BigInt:
      out += "{\"$bigint\":\"" + std::to_string(v.as_bigint()) + "\"}";
      return true;
    case Any::Kind::String:
      append_string(out, v.as_string());
      return true;
    case Any::Kind::Bytes: {
      out.push_back('{');
      const auto& b = v.as_bytes();
      for (size_t i = 0; i < b.size(); ++i) {
        if (i) out.push_back(',');
        out += '"';
        out += std::to_string(i);
        out += "\":";
        out += std::to_string(b[i]);
      }
      out.push_back('}');
      return true;
    }
    case Any::Kind::Array: {
      out.push_back('[');
      bool first = true;
      for (const Any& e : v.as_array()) {
        if (!first) out.push_back(',');
        first = false;
        append_json(out, e, true);
      }
      out.push_back(']');
      return true;
    }
    case Any::Kind::Object: {
      out.push_back('{');
      bool first = true;
      for (const auto& [k, e] : v.as_object()) {
        if (e.is_undefined()) continue;
        if (!first) out.push_back(',');
        first = false;
        append_string(out, k);
        out.push_back(':');
        append_json(out, e, false);
      }
      out.push_back('}');
      return true;
    }
  }
  return true;
}

struct Parser {
  std::string_view s;
  size_t i = 0;
  void ws() {
    while (i < s.size() && (s[i] == ' ' || s[i] == '\t' || s[i] == '\n' || s[i] == '\r')) ++i;
  }
  bool lit(std::string_view w) {
    if (s.substr(i, w.size()) != w) return false;
    i += w.size();
    return true;
  }
  bool hex4(uint32_t* v) {
    if (i + 4 > s.size()) return false;
    *v = 0;
    for (int k = 0; k < 4; ++k) {
      char c = s[i++];
      *v <<= 4;
      if (c >= '0' && c <= '9') *v |= uint32_t(c - '0');
      else if (c >= 'a' && c <= 'f') *v |= uint32_t(c - 'a' + 10);
      else if (c >= 'A' && c <= 'F') *v |= uint32_t(c - 'A' + 10);
      else return false;
    }
    return true;
  }
  bool string(std::string* out) {
    if (i >= s.size() || s[i] != '"') return false;
    ++i;
    std::u16string pending;  // escapes decode to UTF-16 so pairs join
    auto flush = [&]() {
      if (!pending.empty()) {
        *out += utf::to_utf8(pending);
        pending.clear();
      }
    };
    while (i < s.size()) {
      char c = s[i];
      if (c == '"') {
        ++i;
        flush();
        return true;
      }
      if (static_cast<unsigned char>(c) < 0x20) return false;
      if (c == '\\') {
        if (++i >= s.size()) return false;
        char e = s[i++];
        switch (e) {
          case '"': pending.push_back(u'"'); break;
          case '\\': pending.push_back(u'\\'); break;
          case '/': pending.push_back(u'/'); break;
          case 'b': pending.push_back(u'\b'); break;
          case 'f': pending.push_back(u'\f'); break;
          case 'n': pending.push_back(u'\n'); break;
          case 'r': pending.push_back(u'\r'); break;
          case 't': pending.push_back(u'\t'); break;
          case 'u': {
            uint32_t v;
            if (!hex4(&v)) return false;
            pending.push_back(char16_t(v));
            break;
          }
          default:
            return false;
        }
      } else {
        flush();
        out->push_back(c);
        ++i;
      }
    }
    return false;
  }
  bool number(double* out) {
    size_t start = i;
    if (i < s.size() && s[i] == '-') ++i;
    if (i >= s.size()) return false;
    if (s[i] == '0') {
      ++i;
    } else if (s[i] >= '1' && s[i] <= '9') {
      while (i < s.size() && s[i] >= '0' && s[i] <= '9') ++i;
    } else {
      return false;
    }
    if (i < s.size() && s[i] == '.') {
      ++i;
      size_t d = i;
      while (i < s.size() && s[i] >= '0' && s[i] <= '9') ++i;
      if (i == d) return false;
    }
    if (i < s.size() && (s[i] == 'e' || s[i] == 'E')) {
      ++i;
      if (i < s.size() && (s[i] == '+' || s[i] == '-')) ++i;
      size_t d = i;
      while (i < s.size() && s[i] >= '0' && s[i] <= '9') ++i;
      if (i == d) return false;
    }
    auto r = std::from_chars(s.data() + start, s.data() + i, *out);
    if (r.ec == std::errc::result_out_of_range) {
      *out = s[start] == '-' ? -HUGE_VAL : HUGE_VAL;
      return true;
    }
    return r.ec == std::errc();
  }
  bool value(Any* out, int depth) {
    if (depth > 256) return false;
    ws();
    if (i >= s.size()) return false;
    char c = s[i];
    if (c == '{') {
      ++i;
      Any::Object entries;
      ws();
      if (i < s.size() && s[i] == '}') {
        ++i;
        *out = Any::object({});
        return true;
      }
      while (true) {
        ws();
        std::string key;
        if (!string(&key)) return false;
        ws();
        if (i >= s.size() || s[i] != ':') return false;
        ++i;
        Any v;
        if (!value(&v, depth + 1)) return false;
        entries.emplace_back(std::move(key), std::move(v));
        ws();
        if (i < s.size() && s[i] == ',') {
          ++i;
          continue;
        }
        if (i < s.size() && s[i] == '}') {
          ++i;
          break;
        }
        return false;
      }
      *out = Any::object(std::move(entries));
      return true;
    }
    if (c == '[') {
      ++i;
      Any::Array items;
      ws();
      if (i < s.size() && s[i] == ']') {
        ++i;
        *out = Any(std::move(items));
        return true;
      }
      while (true) {
        Any v;
        if (!value(&v, depth + 1)) return false;
        items.push_back(std::move(v));
        ws();
        if (i < s.size() && s[i] == ',') {
          ++i;
          continue;
        }
        if (i < s.size() && s[i] == ']') {
          ++i;
          break;
        }
        return false;
      }
      *out = Any(std::move(items));
      return true;
    }
    if (c == '"') {
      std::string str;
      if (!string(&str)) return false;
      *out = Any(std::move(str));
      return true;
    }
    if (lit("true")) { *out = Any(true); return true; }
    if (lit("false")) { *out = Any(false); return true; }
    if (lit("null")) { *out = Any(nullptr); return true; }
    double d;
    if (!number(&d)) return false;
    *out = Any(d);
    return true;
  }
};

}  // namespace

std::string Any::to_json() const {
  std::string out;
  append_json(out, *this, false);
  return out;
}

bool Any::from_json(std::string_view text, Any* out) {
  if (!utf::valid_utf8(text)) return false;
  Parser p{text};
  Any v;
  if (!p.value(&v, 0)) return false;
  p.ws();
  if (p.i != text.size()) return false;
  *out = std::move(v);
  return true;
}

}  // namespace conflux
