// A Conflux peer driven over stdin/stdout by live_sessions.mjs, which runs it
// beside real Yjs peers. One command per line, one reply per command:
//
//   apply HEX | apply2 HEX   apply a v1 / v2 update      -> "ok" | "err MESSAGE"
//   txn [OP, ...]            run the ops (JSON, see applyOp in live_sessions.mjs)
//                            in one transaction -> "update HEX" if it changed
//                            anything, then "ok"
//   state                    -> "state HEX_V1 HEX_V2 HEX_SV PENDING(0|1)"
//   json                     -> "json {root: root.toJSON(), ...}" (roots t, a, m, x)
//   quit
//
// The JS side chooses the random ops and runs the same ops on a Yjs twin of
// this peer, so every update and state this peer makes can be compared to the
// bytes Yjs makes for the same history.
#include <conflux/doc.h>

#include <cstdio>
#include <iostream>
#include <string>
#include <vector>

namespace {

using conflux::Any;
using conflux::Bytes;

std::string to_hex(const Bytes& b) {
  static const char* digits = "0123456789abcdef";
  std::string s;
  s.reserve(b.size() * 2);
  for (uint8_t c : b) {
    s.push_back(digits[c >> 4]);
    s.push_back(digits[c & 15]);
  }
  return s;
}

bool from_hex(std::string_view s, Bytes* out) {
  if (s.size() % 2) return false;
  auto nibble = [](char c) -> int {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    return -1;
  };
  out->clear();
  for (size_t i = 0; i < s.size(); i += 2) {
    int hi = nibble(s[i]), lo = nibble(s[i + 1]);
    if (hi < 0 || lo < 0) return false;
    out->push_back(static_cast<uint8_t>(hi * 16 + lo));
  }
  return true;
}

const Any* field(const Any& op, std::string_view key) {
  for (const auto& [k, v] : op.as_object())
    if (k == key) return &v;
  return nullptr;
}

// Values travel as JSON; bytes as {"$bytes": "HEX"}.
Any decode_value(const Any& v) {
  if (v.is_array()) {
    Any::Array out;
    for (const auto& x : v.as_array()) out.push_back(decode_value(x));
    return Any(std::move(out));
  }
  if (v.is_object()) {
    if (v.as_object().size() == 1 && v.as_object()[0].first == "$bytes") {
      Bytes b;
      from_hex(v.as_object()[0].second.as_string(), &b);
      return Any(std::move(b));
    }
    Any::Object out;
    for (const auto& [k, x] : v.as_object()) out.emplace_back(k, decode_value(x));
    return Any::object(std::move(out));
  }
  return v;
}

conflux::Attrs attrs_of(const Any& op) {
  conflux::Attrs attrs;
  if (const Any* a = field(op, "attrs")) {
    for (const auto& [k, v] : a->as_object()) attrs.emplace_back(k, decode_value(v));
  }
  return attrs;
}

uint64_t num(const Any& op, std::string_view key) { return static_cast<uint64_t>(field(op, key)->as_number()); }
const std::string& str(const Any& op, std::string_view key) { return field(op, key)->as_string(); }

// Follows a path (root name, then array/XML indexes and map keys) to a type.
conflux::Branch* resolve(conflux::Doc& doc, const Any& path) {
  const auto& steps = path.as_array();
  const std::string& name = steps[0].as_string();
  conflux::TypeKind kind = conflux::TypeKind::XmlFragment;
  conflux::Branch* b = nullptr;
  if (name == "t") b = doc.get_text("t").branch(), kind = conflux::TypeKind::Text;
  if (name == "a") b = doc.get_array("a").branch(), kind = conflux::TypeKind::Array;
  if (name == "m") b = doc.get_map("m").branch(), kind = conflux::TypeKind::Map;
  if (name == "x") b = doc.get_xml_fragment("x").branch();
  for (size_t i = 1; i < steps.size(); i++) {
    conflux::Value v;
    if (steps[i].is_string()) {
      v = *conflux::Map(b).get(steps[i].as_string());
    } else if (kind == conflux::TypeKind::Array) {
      v = conflux::Array(b).get(static_cast<uint64_t>(steps[i].as_number()));
    } else {
      v = conflux::XmlFragment(b).get(static_cast<uint64_t>(steps[i].as_number()));
    }
    b = v.as_type().branch();
    kind = v.type_kind();
  }
  return b;
}

// Runs one op described by the JS side (see applyOp in live_sessions.mjs).
void run_op(conflux::Doc& doc, conflux::Transaction& t, const Any& op) {
  conflux::Branch* b = resolve(doc, *field(op, "p"));
  const std::string& o = str(op, "o");
  if (o == "ins") {
    // No "attrs" means the text takes the formatting where it lands.
    conflux::Attrs attrs = attrs_of(op);
    conflux::Text(b).insert(t, num(op, "i"), str(op, "s"), field(op, "attrs") ? &attrs : nullptr);
  } else if (o == "del") {
    conflux::Text(b).remove(t, num(op, "i"), num(op, "n"));
  } else if (o == "fmt") {
    conflux::Text(b).format(t, num(op, "i"), num(op, "n"), attrs_of(op));
  } else if (o == "embed") {
    conflux::Text(b).insert_embed(t, num(op, "i"), decode_value(*field(op, "e")), attrs_of(op));
  } else if (o == "ains") {
    std::vector<Any> values;
    for (const auto& v : field(op, "v")->as_array()) values.push_back(decode_value(v));
    conflux::Array(b).insert(t, num(op, "i"), std::move(values));
  } else if (o == "adel") {
    conflux::Array(b).remove(t, num(op, "i"), num(op, "n"));
  } else if (o == "anew") {
    const std::string& kind = str(op, "kind");
    conflux::Array a(b);
    if (kind == "text") a.insert_text(t, num(op, "i"));
    if (kind == "map") a.insert_map(t, num(op, "i"));
    if (kind == "array") a.insert_array(t, num(op, "i"));
  } else if (o == "set") {
    conflux::Map(b).set(t, str(op, "k"), decode_value(*field(op, "v")));
  } else if (o == "mdel") {
    conflux::Map(b).remove(t, str(op, "k"));
  } else if (o == "mnew") {
    const std::string& kind = str(op, "kind");
    conflux::Map m(b);
    if (kind == "text") m.set_text(t, str(op, "k"));
    if (kind == "map") m.set_map(t, str(op, "k"));
    if (kind == "array") m.set_array(t, str(op, "k"));
  } else if (o == "xel") {
    conflux::XmlFragment(b).insert_element(t, num(op, "i"), str(op, "name"));
  } else if (o == "xtext") {
    conflux::XmlFragment(b).insert_text(t, num(op, "i"));
  } else if (o == "xdel") {
    conflux::XmlFragment(b).remove(t, num(op, "i"), num(op, "n"));
  } else if (o == "xattr") {
    conflux::XmlElement(b).set_attribute(t, str(op, "k"), decode_value(*field(op, "v")));
  } else if (o == "xrmattr") {
    conflux::XmlElement(b).remove_attribute(t, str(op, "k"));
  }
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) {
    std::fprintf(stderr, "usage: conflux-interop-peer CLIENT_ID [gc|nogc]\n");
    return 2;
  }
  conflux::Doc::Options options;
  options.client_id = std::stoull(argv[1]);
  options.gc = !(argc > 2 && std::string(argv[2]) == "nogc");
  conflux::Doc doc(options);
  // Open the roots with their kinds before anything arrives, as the Yjs peers do.
  doc.get_text("t");
  doc.get_array("a");
  doc.get_map("m");
  doc.get_xml_fragment("x");

  std::vector<Bytes> produced;
  auto sub = doc.on_update([&](const Bytes& update, const conflux::Transaction&) { produced.push_back(update); });

  std::string line;
  while (std::getline(std::cin, line)) {
    std::string_view cmd(line);
    std::string_view arg;
    if (auto sp = cmd.find(' '); sp != std::string_view::npos) {
      arg = cmd.substr(sp + 1);
      cmd = cmd.substr(0, sp);
    }
    if (cmd == "apply" || cmd == "apply2") {
      Bytes update;
      if (!from_hex(arg, &update)) {
        std::cout << "err bad hex" << std::endl;
        continue;
      }
      auto status = cmd == "apply" ? doc.apply_update(update) : doc.apply_update_v2(update);
      produced.clear();  // remote changes are not re-broadcast
      if (status.ok()) {
        std::cout << "ok" << std::endl;
      } else {
        std::cout << "err " << status.message() << std::endl;
      }
    } else if (cmd == "txn") {
      Any ops;
      if (!Any::from_json(arg, &ops) || !ops.is_array()) {
        std::cout << "err bad ops" << std::endl;
        continue;
      }
      doc.transact([&](conflux::Transaction& t) {
        for (const auto& op : ops.as_array()) run_op(doc, t, op);
      });
      for (const auto& u : produced) std::cout << "update " << to_hex(u) << "\n";
      produced.clear();
      std::cout << "ok" << std::endl;
    } else if (cmd == "state") {
      std::cout << "state " << to_hex(doc.encode_state_as_update()) << " " << to_hex(doc.encode_state_as_update_v2())
                << " " << to_hex(doc.encode_state_vector()) << " " << (doc.has_pending() ? 1 : 0) << std::endl;
    } else if (cmd == "json") {
      std::cout << "json " << doc.to_json().to_json() << std::endl;
    } else if (cmd == "quit") {
      break;
    } else {
      std::cout << "err unknown command" << std::endl;
    }
  }
  return 0;
}
