#include "to_json.h"

#include <algorithm>
#include <cmath>

#include "text_ops.h"
#include "utf.h"

namespace conflux {

namespace {

// The value of element `i` of an item's content, as toJSON sees it.
Any content_json(const Item* item, size_t i) {
  const Content& c = item->content;
  switch (c.ref()) {
    case ContentRef::Any:
    case ContentRef::JSON:
      return c.values()[i];
    case ContentRef::String:
      return Any(utf::to_utf8(std::u16string(1, c.str()[i])));
    case ContentRef::Binary:
      return Any(c.bytes());
    case ContentRef::Embed:
      return c.embed_value();
    case ContentRef::Type:
      return type_to_json(c.type());
    case ContentRef::Doc:
      return Any::object({});  // an unloaded subdocument has no roots
    default:
      return Any();
  }
}

std::string js_number(double d) {
  return Any(d).to_json() == "null" ? (std::isnan(d) ? "NaN" : (d > 0 ? "Infinity" : "-Infinity"))
                                    : Any(d).to_json();
}

std::u16string js_string16(const Any& v) { return utf::to_utf16(js_to_string(v)); }

std::u16string lower(std::u16string s) {
  for (char16_t& c : s) {
    if (c >= u'A' && c <= u'Z') c = char16_t(c - u'A' + u'a');
  }
  return s;
}

std::u16string xml_children_string(const Branch* b) {
  std::u16string out;
  for (const Item* n = b->start; n; n = n->right) {
    if (n->deleted() || !n->countable()) continue;
    if (n->content.ref() == ContentRef::Type) {
      out += type_to_string(n->content.type());
    } else {
      for (size_t i = 0; i < n->length; ++i) out += js_string16(content_json(n, i));
    }
  }
  return out;
}

// Keys `for (key in value)` would visit.
std::vector<std::pair<std::u16string, std::u16string>> for_in_entries(const Any& v) {
  std::vector<std::pair<std::u16string, std::u16string>> out;
  if (v.is_object()) {
    for (const auto& [k, val] : v.as_object()) out.emplace_back(utf::to_utf16(k), js_string16(val));
  } else if (v.is_string()) {
    std::u16string s = utf::to_utf16(v.as_string());
    for (size_t i = 0; i < s.size(); ++i) out.emplace_back(utf::to_utf16(std::to_string(i)), s.substr(i, 1));
  } else if (v.is_array()) {
    const auto& a = v.as_array();
    for (size_t i = 0; i < a.size(); ++i) out.emplace_back(utf::to_utf16(std::to_string(i)), js_string16(a[i]));
  } else if (v.is_bytes()) {
    const auto& a = v.as_bytes();
    for (size_t i = 0; i < a.size(); ++i) out.emplace_back(utf::to_utf16(std::to_string(i)), utf::to_utf16(std::to_string(a[i])));
  }
  return out;
}

std::u16string xml_text_string(const Branch* b) {
  std::u16string out;
  for (const DeltaOp& op : text_to_delta(b)) {
    std::vector<std::pair<std::u16string, std::vector<std::pair<std::u16string, std::u16string>>>> nodes;
    for (const auto& [name, value] : op.attributes) {
      auto attrs = for_in_entries(*value);
      std::sort(attrs.begin(), attrs.end(), [](const auto& a, const auto& b) { return a.first < b.first; });
      nodes.emplace_back(name, std::move(attrs));
    }
    std::sort(nodes.begin(), nodes.end(), [](const auto& a, const auto& b) { return a.first < b.first; });
    for (const auto& [name, attrs] : nodes) {
      out += u"<" + name;
      for (const auto& [k, v] : attrs) out += u" " + k + u"=\"" + v + u"\"";
      out += u">";
    }
    if (op.type) out += type_to_string(op.type);
    else if (op.embed) out += js_string16(*op.embed);
    else out += op.str;
    for (auto it = nodes.rbegin(); it != nodes.rend(); ++it) out += u"</" + it->first + u">";
  }
  return out;
}

}  // namespace

std::string js_to_string(const Any& v) {
  switch (v.kind()) {
    case Any::Kind::Undefined:
      return "undefined";
    case Any::Kind::Null:
      return "null";
    case Any::Kind::Bool:
      return v.as_bool() ? "true" : "false";
    case Any::Kind::Number:
      return js_number(v.as_number());
    case Any::Kind::BigInt:
      return std::to_string(v.as_bigint());
    case Any::Kind::String:
      return v.as_string();
    case Any::Kind::Array: {
      std::string s;
      const auto& a = v.as_array();
      for (size_t i = 0; i < a.size(); ++i) {
        if (i) s += ",";
        if (!a[i].is_null() && !a[i].is_undefined()) s += js_to_string(a[i]);
      }
      return s;
    }
    case Any::Kind::Bytes: {
      std::string s;
      const auto& a = v.as_bytes();
      for (size_t i = 0; i < a.size(); ++i) {
        if (i) s += ",";
        s += std::to_string(a[i]);
      }
      return s;
    }
    case Any::Kind::Object:
      return "[object Object]";
  }
  return "";
}

TypeRef infer_type(const Branch* b) {
  if (b->ref != TypeRef::Unset) return b->ref;
  bool has_seq = false;
  for (const Item* n = b->start; n; n = n->right) {
    has_seq = true;
    if (n->deleted()) continue;
    switch (n->content.ref()) {
      case ContentRef::String:
      case ContentRef::Format:
      case ContentRef::Embed:
        return TypeRef::Text;
      case ContentRef::Type: {
        TypeRef r = n->content.type()->ref;
        if (r == TypeRef::XmlElement || r == TypeRef::XmlText || r == TypeRef::XmlHook) return TypeRef::XmlFragment;
        break;
      }
      default:
        break;
    }
  }
  if (!has_seq && !b->map.empty()) return TypeRef::Map;
  return TypeRef::Array;
}

Any type_to_json(const Branch* b, TypeRef as) {
  TypeRef ref = b->ref != TypeRef::Unset ? b->ref : (as != TypeRef::Unset ? as : infer_type(b));
  switch (ref) {
    case TypeRef::Text:
      return Any(text_to_utf8(b));
    case TypeRef::Array: {
      Any::Array out;
      for (const Item* n = b->start; n; n = n->right) {
        if (n->deleted() || !n->countable()) continue;
        for (size_t i = 0; i < n->length; ++i) out.push_back(content_json(n, i));
      }
      return Any(std::move(out));
    }
    case TypeRef::Map:
    case TypeRef::XmlHook: {
      Any::Object out;
      for (const std::u16string* key : b->map_keys) {
        const Item* item = b->map.at(key);
        if (item->deleted()) continue;
        Any v = content_json(item, item->length - 1);
        if (v.is_undefined()) continue;  // JSON.stringify drops undefined members
        out.emplace_back(utf::to_utf8(*key), std::move(v));
      }
      return Any::object(std::move(out));
    }
    case TypeRef::XmlElement:
    case TypeRef::XmlFragment:
    case TypeRef::XmlText:
      return Any(utf::to_utf8(type_to_string(b, ref)));
    case TypeRef::Unset:
      break;
  }
  return Any();
}

std::u16string type_to_string(const Branch* b, TypeRef as) {
  TypeRef ref = b->ref != TypeRef::Unset ? b->ref : (as != TypeRef::Unset ? as : infer_type(b));
  switch (ref) {
    case TypeRef::XmlFragment:
      return xml_children_string(b);
    case TypeRef::XmlElement: {
      std::vector<std::pair<std::u16string, std::u16string>> attrs;
      for (const std::u16string* key : b->map_keys) {
        const Item* item = b->map.at(key);
        if (item->deleted()) continue;
        const Item* it = item;
        std::u16string value;
        if (it->content.ref() == ContentRef::Type) value = type_to_string(it->content.type());
        else value = js_string16(content_json(it, it->length - 1));
        attrs.emplace_back(*key, std::move(value));
      }
      std::sort(attrs.begin(), attrs.end(), [](const auto& a, const auto& b) { return a.first < b.first; });
      std::u16string name = lower(b->name);
      // Appended piece by piece: `literal + string` trips GCC 12's -Wrestrict.
      std::u16string out = u"<";
      out += name;
      for (const auto& [k, v] : attrs) {
        out += u" ";
        out += k;
        out += u"=\"";
        out += v;
        out += u"\"";
      }
      out += u">";
      out += xml_children_string(b);
      out += u"</";
      out += name;
      out += u">";
      return out;
    }
    case TypeRef::XmlText:
      return xml_text_string(b);
    case TypeRef::Text:
      return text_to_string(b);
    case TypeRef::Map:
    case TypeRef::XmlHook:
      return u"[object Object]";
    case TypeRef::Array:
      return utf::to_utf16(js_to_string(type_to_json(b, ref)));
    case TypeRef::Unset:
      break;
  }
  return u"";
}

}  // namespace conflux
