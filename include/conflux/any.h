// Any: a JSON-like value as Yjs stores it (lib0 "any" encoding).
//
// It models the JavaScript values Yjs can put into a document: undefined, null,
// booleans, numbers (IEEE doubles, -0 and NaN included), bigints, strings,
// byte arrays, arrays and objects. Objects keep JavaScript property order
// (integer-like keys first in ascending order, then insertion order), because
// that order decides the encoded bytes.
//
//   conflux::Any v = conflux::Any::object({{"name", "Ada"}, {"age", 36}});
//   v.get("name")->as_string();   // "Ada"
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <variant>
#include <vector>

namespace conflux {

class Any {
 public:
  enum class Kind : uint8_t { Undefined, Null, Bool, Number, BigInt, String, Bytes, Array, Object };

  using Array = std::vector<Any>;
  using Object = std::vector<std::pair<std::string, Any>>;
  using Bytes = std::vector<uint8_t>;

  struct BigInt {
    int64_t value = 0;
    bool operator==(const BigInt&) const = default;
  };

  Any() = default;  // undefined
  Any(std::nullptr_t) : v_(Null{}) {}
  Any(bool b) : v_(b) {}
  Any(int v) : v_(static_cast<double>(v)) {}
  Any(int64_t v) : v_(static_cast<double>(v)) {}
  Any(uint32_t v) : v_(static_cast<double>(v)) {}
  Any(double v) : v_(v) {}
  Any(BigInt v) : v_(v) {}
  Any(const char* s) : v_(std::string(s)) {}
  Any(std::string s) : v_(std::move(s)) {}
  Any(std::string_view s) : v_(std::string(s)) {}
  Any(Bytes b) : v_(std::move(b)) {}
  Any(Array a) : v_(std::move(a)) {}

  static Any undefined() { return Any(); }
  static Any null() { return Any(nullptr); }
  // Builds an object; keys are put in JavaScript property order and a repeated
  // key keeps its first position and takes its last value (as JS assignment does).
  static Any object(Object entries);

  Kind kind() const { return static_cast<Kind>(v_.index()); }
  bool is_undefined() const { return kind() == Kind::Undefined; }
  bool is_null() const { return kind() == Kind::Null; }
  bool is_bool() const { return kind() == Kind::Bool; }
  bool is_number() const { return kind() == Kind::Number; }
  bool is_bigint() const { return kind() == Kind::BigInt; }
  bool is_string() const { return kind() == Kind::String; }
  bool is_bytes() const { return kind() == Kind::Bytes; }
  bool is_array() const { return kind() == Kind::Array; }
  bool is_object() const { return kind() == Kind::Object; }

  bool as_bool() const { return std::get<bool>(v_); }
  double as_number() const { return std::get<double>(v_); }
  int64_t as_bigint() const { return std::get<BigInt>(v_).value; }
  const std::string& as_string() const { return std::get<std::string>(v_); }
  const Bytes& as_bytes() const { return std::get<Bytes>(v_); }
  const Array& as_array() const { return std::get<Array>(v_); }
  Array& as_array() { return std::get<Array>(v_); }
  const Object& as_object() const { return std::get<Object>(v_); }

  // Object lookup; nullptr when this is not an object or the key is absent.
  const Any* get(std::string_view key) const;

  // JSON.stringify of this value, byte for byte as JavaScript prints it.
  // Values JSON cannot hold follow JavaScript: undefined at top level gives
  // "undefined" (the text Yjs stores for it), NaN/Infinity give null, bytes
  // print as an object of their indexes, bigints as {"$bigint":"<decimal>"}.
  std::string to_json() const;
  // Parses JSON text (JSON.parse semantics). Returns false on malformed input.
  static bool from_json(std::string_view text, Any* out);

  bool operator==(const Any& other) const;
  bool operator!=(const Any& other) const { return !(*this == other); }

 private:
  struct Null {
    bool operator==(const Null&) const = default;
  };
  std::variant<std::monostate, Null, bool, double, BigInt, std::string, Bytes, Array, Object> v_;
};

// True when `key` is a canonical array index ("0", "17"; not "01", not >= 2^32-1),
// the keys JavaScript orders first in an object.
bool is_array_index_key(std::string_view key);

}  // namespace conflux
