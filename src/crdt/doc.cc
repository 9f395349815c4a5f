// The public API: thin handles over the engine's branches.
#include "conflux/doc.h"

#include <random>

#include "apply_update.h"
#include "block.h"
#include "doc_impl.h"
#include "events.h"
#include "list_map_ops.h"
#include "text_ops.h"
#include "to_json.h"
#include "update_encode.h"
#include "utf.h"

namespace conflux {

struct ValueAccess {
  static Value from_item(const Item* item, size_t i) {
    Value v;
    const Content& c = item->content;
    switch (c.ref()) {
      case ContentRef::Type:
        v.kind_ = Value::Kind::Type;
        v.type_ = c.type();
        break;
      case ContentRef::Doc:
        v.kind_ = Value::Kind::Doc;
        v.guid_ = utf::to_utf8(c.doc().guid);
        break;
      case ContentRef::Binary:
        v.any_ = Any(c.bytes());
        break;
      case ContentRef::Any:
      case ContentRef::JSON:
        v.any_ = c.values()[i];
        break;
      case ContentRef::Embed:
        v.any_ = c.embed_value();
        break;
      case ContentRef::String:
        v.any_ = Any(utf::to_utf8(std::u16string(1, c.str()[i])));
        break;
      default:
        break;
    }
    return v;
  }
};

namespace {

uint64_t random_client_id() {
  static thread_local std::mt19937_64 rng{std::random_device{}()};
  return rng() & 0xffffffffu;
}

std::u16string u16(std::string_view s) { return utf::to_utf16(s); }

AttrMap to_attr_map(const Attrs& attrs) {
  AttrMap m;
  for (const auto& [k, v] : attrs) m.emplace_back(u16(k), std::make_shared<const Any>(v));
  return m;
}

Attrs from_attr_map(const AttrMap& m) {
  Attrs a;
  for (const auto& [k, v] : m) a.emplace_back(utf::to_utf8(k), *v);
  return a;
}

bool insertable(const Any& v) { return !v.is_undefined() && !v.is_bigint(); }

}  // namespace

// ---- Value ----

TypeKind Value::type_kind() const { return TypeKind(uint8_t(type_->ref)); }
Text Value::as_text() const { return Text(kind_ == Kind::Type && is_text_like(type_->ref) ? type_ : nullptr); }
Array Value::as_array() const { return Array(kind_ == Kind::Type && type_->ref == TypeRef::Array ? type_ : nullptr); }
Map Value::as_map() const {
  return Map(kind_ == Kind::Type && (type_->ref == TypeRef::Map || type_->ref == TypeRef::XmlHook) ? type_ : nullptr);
}
XmlElement Value::as_xml_element() const {
  return XmlElement(kind_ == Kind::Type && type_->ref == TypeRef::XmlElement ? type_ : nullptr);
}
TypeHandle Value::as_type() const { return TypeHandle(kind_ == Kind::Type ? type_ : nullptr); }
XmlText Value::as_xml_text() const { return XmlText(kind_ == Kind::Type && type_->ref == TypeRef::XmlText ? type_ : nullptr); }
Any Value::to_json() const {
  switch (kind_) {
    case Kind::Type:
      return type_to_json(type_);
    case Kind::Doc:
      return Any::object({});
    case Kind::Any:
      break;
  }
  return any_;
}

// ---- Doc ----

Doc::Doc() : Doc(Options{}) {}
Doc::Doc(Options o) : impl_(std::make_unique<DocImpl>(o.client_id ? *o.client_id : random_client_id(), o.gc)) {}
Doc::~Doc() = default;
Doc::Doc(Doc&&) noexcept = default;
Doc& Doc::operator=(Doc&&) noexcept = default;

uint64_t Doc::client_id() const { return impl_->client_id; }

namespace {
Branch* open_root(DocImpl& d, std::string_view name, TypeRef ref) {
  Branch* b = d.get_or_create_root(u16(name));
  return d.type_root(b, ref) ? b : nullptr;
}
}  // namespace

Text Doc::get_text(std::string_view name) { return Text(open_root(*impl_, name, TypeRef::Text)); }
Array Doc::get_array(std::string_view name) { return Array(open_root(*impl_, name, TypeRef::Array)); }
Map Doc::get_map(std::string_view name) { return Map(open_root(*impl_, name, TypeRef::Map)); }
XmlFragment Doc::get_xml_fragment(std::string_view name) {
  return XmlFragment(open_root(*impl_, name, TypeRef::XmlFragment));
}

std::vector<std::string> Doc::root_names() const {
  std::vector<std::string> names;
  for (const auto& [name, b] : impl_->roots) names.push_back(utf::to_utf8(*name));
  return names;
}

void Doc::transact(const std::function<void(Transaction&)>& f, const void* origin) { impl_->transact(f, origin); }

Status Doc::apply_update(const uint8_t* data, size_t size, const void* origin) {
  std::string err;
  if (!conflux::apply_update(*impl_, data, size, UpdateFormat::V1, origin, &err)) return Status::error(err);
  return Status();
}

Status Doc::apply_update_v2(const uint8_t* data, size_t size, const void* origin) {
  std::string err;
  if (!conflux::apply_update(*impl_, data, size, UpdateFormat::V2, origin, &err)) return Status::error(err);
  return Status();
}

namespace {
StateVector target_sv(const Bytes& b) {
  StateVector sv;
  if (!b.empty()) decode_state_vector(b.data(), b.size(), &sv);
  return sv;
}
}  // namespace

Bytes Doc::encode_state_as_update(const Bytes& sv) const {
  return conflux::encode_state_as_update(*impl_, target_sv(sv), UpdateFormat::V1);
}
Bytes Doc::encode_state_as_update_v2(const Bytes& sv) const {
  return conflux::encode_state_as_update(*impl_, target_sv(sv), UpdateFormat::V2);
}
Bytes Doc::encode_state_vector() const { return conflux::encode_state_vector(impl_->store.state_vector()); }

Any Doc::to_json() const {
  Any::Object out;
  for (const auto& [name, b] : impl_->roots) out.emplace_back(utf::to_utf8(*name), type_to_json(b.get()));
  return Any::object(std::move(out));
}

bool Doc::has_pending() const { return impl_->pending_structs.has_value() || impl_->pending_ds.has_value(); }

namespace {
Subscription add_update_observer(DocImpl* d, std::vector<std::pair<uint64_t, UpdateObserver>>& list,
                                 std::function<void(const Bytes&, const Transaction&)> f) {
  uint64_t id = d->next_observer_id++;
  list.emplace_back(id, [f = std::move(f)](const std::vector<uint8_t>& u, Transaction& t) { f(u, t); });
  return Subscription([&list, id]() {
    std::erase_if(list, [id](const auto& e) { return e.first == id; });
  });
}
}  // namespace

Subscription Doc::on_update(std::function<void(const Bytes&, const Transaction&)> f) {
  return add_update_observer(impl_.get(), impl_->update_observers_v1, std::move(f));
}
Subscription Doc::on_update_v2(std::function<void(const Bytes&, const Transaction&)> f) {
  return add_update_observer(impl_.get(), impl_->update_observers_v2, std::move(f));
}

// ---- TypeHandle ----

Any TypeHandle::to_json() const { return b_ ? type_to_json(b_) : Any(); }

void TypeHandle::run_with(void (*call)(void*, Transaction&), void* fn) const {
  b_->doc->transact_with(call, fn, nullptr, true);
}

namespace {
Subscription add_branch_observer(Branch* b, Branch::Observer obs) {
  uint64_t id = b->doc->next_observer_id++;
  b->observers.emplace_back(id, std::move(obs));
  return Subscription([b, id]() {
    std::erase_if(b->observers, [id](const auto& e) { return e.first == id; });
  });
}
}  // namespace

// ---- Text ----

uint64_t Text::length() const { return b_->length; }
std::string Text::to_string() const { return text_to_utf8(b_); }

namespace {
std::vector<Delta> public_delta(const std::vector<DeltaOp>& ops) {
  std::vector<Delta> out;
  for (const DeltaOp& op : ops) {
    Delta d;
    d.kind = Delta::Kind(uint8_t(op.kind));
    d.count = op.count;
    if (op.type) {
      d.type = TypeKind(uint8_t(op.type->ref));
      d.type_json = type_to_json(op.type);
    } else if (op.embed) d.embed = *op.embed;
    else d.text = utf::to_utf8(op.str);
    d.attributes = from_attr_map(op.attributes);
    out.push_back(std::move(d));
  }
  return out;
}
}  // namespace

std::vector<Delta> Text::to_delta() const { return public_delta(text_to_delta(b_)); }

void Text::insert(Transaction& t, uint64_t index, std::string_view text, const Attrs* attrs) {
  TextChunk chunk;
  chunk.str = u16(text);
  if (attrs) {
    AttrMap m = to_attr_map(*attrs);
    text_insert(t, b_, std::min(index, b_->length), std::move(chunk), &m);
  } else {
    text_insert(t, b_, std::min(index, b_->length), std::move(chunk), nullptr);
  }
}
void Text::insert(uint64_t index, std::string_view text, const Attrs* attrs) {
  if ((!attrs || attrs->empty()) && text_insert_direct(b_, index, text)) return;
  run([&](Transaction& t) { insert(t, index, text, attrs); });
}
void Text::insert_embed(Transaction& t, uint64_t index, Any embed, const Attrs& attrs) {
  TextChunk chunk;
  chunk.kind = TextChunk::Kind::Embed;
  chunk.embed = std::move(embed);
  AttrMap m = to_attr_map(attrs);
  text_insert(t, b_, std::min(index, b_->length), std::move(chunk), &m);
}
void Text::insert_embed(uint64_t index, Any embed, const Attrs& attrs) {
  run([&](Transaction& t) { insert_embed(t, index, std::move(embed), attrs); });
}
void Text::remove(Transaction& t, uint64_t index, uint64_t length) { text_delete(t, b_, index, length); }
void Text::remove(uint64_t index, uint64_t length) {
  if (text_delete_direct(b_, index, length)) return;
  run([&](Transaction& t) { remove(t, index, length); });
}
void Text::format(Transaction& t, uint64_t index, uint64_t length, const Attrs& attrs) {
  text_format(t, b_, index, length, to_attr_map(attrs));
}
void Text::format(uint64_t index, uint64_t length, const Attrs& attrs) {
  run([&](Transaction& t) { format(t, index, length, attrs); });
}
void Text::apply_delta(Transaction& t, const std::vector<Delta>& delta) {
  std::vector<DeltaOp> ops;
  std::vector<BranchPtr> types;
  for (const Delta& d : delta) {
    DeltaOp op;
    op.kind = DeltaOp::Kind(uint8_t(d.kind));
    op.count = d.count;
    if (d.type) {
      types.emplace_back(new Branch(TypeRef(uint8_t(*d.type))));
      op.type = types.back().get();
    } else if (d.embed) {
      op.embed = &*d.embed;
    } else {
      op.str = u16(d.text);
    }
    op.attributes = to_attr_map(d.attributes);
    ops.push_back(std::move(op));
  }
  text_apply_delta(t, b_, ops, &types);
}
void Text::apply_delta(const std::vector<Delta>& delta) {
  run([&](Transaction& t) { apply_delta(t, delta); });
}

uint64_t Text::utf16_index_of_utf8(uint64_t byte_offset) const {
  return utf::utf16_offset_of_utf8_byte(text_to_string(b_), byte_offset);
}
uint64_t Text::utf16_index_of_code_point(uint64_t cp) const {
  return utf::utf16_offset_of_code_point(text_to_string(b_), cp);
}

namespace {
// Walks a sequence and reports what the transaction inserted, deleted and kept.
template <typename OnInsert, typename OnRetain, typename OnDelete>
void walk_sequence_changes(const BranchEvent& ev, OnInsert on_insert, OnRetain on_retain, OnDelete on_delete) {
  for (const Item* n = ev.target->start; n; n = n->right) {
    bool added = ev.adds(n);
    bool removed = ev.deletes(n);
    if (added && !removed) {
      if (!n->deleted()) on_insert(n);
    } else if (removed && !added) {
      if (n->countable() || n->content.ref() == ContentRef::Deleted) on_delete(n);
    } else if (!n->deleted()) {
      on_retain(n);
    }
  }
}
}  // namespace

namespace {

// The delta of a text change, as Yjs's YTextEvent computes it: inserts carry
// the attributes in effect, retains carry attribute changes (a new value, or
// null where an attribute was removed), deletes count UTF-16 units.
TextEvent text_event(const Transaction& txn, const BranchEvent& ev) {
  TextEvent out;
  out.local = txn.local;
  AttrMap current;              // attributes in effect at the walk's position
  AttrMap old;                  // values before this transaction
  std::vector<std::pair<std::u16string, AttrValue>> changes;  // for the pending retain
  enum class Action { None, Insert, Retain, Delete } action = Action::None;
  Delta pending;
  auto find = [](auto& m, const std::u16string& key) {
    return std::find_if(m.begin(), m.end(), [&](const auto& e) { return e.first == key; });
  };
  auto get = [&](const AttrMap& m, const std::u16string& key) -> AttrValue {
    auto it = find(m, key);
    return it == m.end() || !it->second ? nullptr : it->second;
  };
  static const AttrValue kNull = std::make_shared<const Any>(nullptr);
  auto or_null = [&](AttrValue v) { return v ? v : kNull; };
  auto flush = [&] {
    switch (action) {
      case Action::None:
        return;
      case Action::Insert:
        if (!pending.text.empty() || pending.embed || pending.type) {
          pending.kind = Delta::Kind::Insert;
          for (const auto& [k, v] : current) {
            if (!v->is_null()) pending.attributes.emplace_back(utf::to_utf8(k), *v);
          }
          out.delta.push_back(std::move(pending));
        }
        break;
      case Action::Retain:
        if (pending.count > 0) {
          pending.kind = Delta::Kind::Retain;
          for (const auto& [k, v] : changes) pending.attributes.emplace_back(utf::to_utf8(k), *v);
          out.delta.push_back(std::move(pending));
        }
        break;
      case Action::Delete:
        if (pending.count > 0) {
          pending.kind = Delta::Kind::Delete;
          out.delta.push_back(std::move(pending));
        }
        break;
    }
    pending = Delta();
    action = Action::None;
  };
  auto begin = [&](Action a) {
    if (action != a) {
      flush();
      action = a;
    }
  };
  for (const Item* n = ev.target->start; n; n = n->right) {
    bool added = ev.adds(n);
    bool removed = ev.deletes(n);
    switch (n->content.ref()) {
      case ContentRef::Type:
      case ContentRef::Embed:
      case ContentRef::String: {
        bool is_string = n->content.ref() == ContentRef::String;
        if (added) {
          if (removed) break;
          if (is_string) {
            begin(Action::Insert);
            pending.text += utf::to_utf8(n->content.str());
          } else {
            // Embeds and types are inserts of their own.
            flush();
            action = Action::Insert;
            if (n->content.ref() == ContentRef::Embed) {
              pending.embed = n->content.embed_value();
            } else {
              pending.type = TypeKind(uint8_t(n->content.type()->ref));
              pending.type_json = type_to_json(n->content.type());
            }
            flush();
          }
        } else if (removed) {
          begin(Action::Delete);
          pending.count += n->length;
        } else if (!n->deleted()) {
          begin(Action::Retain);
          pending.count += n->length;
        }
        break;
      }
      case ContentRef::Format: {
        const ContentFormat& cf = n->content.format();
        if (added) {
          if (!removed) {
            AttrValue cur = or_null(get(current, cf.key));
            if (!equal_attrs(cur.get(), cf.value.get())) {
              if (action == Action::Retain) flush();
              auto it = find(changes, cf.key);
              if (equal_attrs(cf.value.get(), or_null(get(old, cf.key)).get())) {
                if (it != changes.end()) changes.erase(it);
              } else if (it != changes.end()) {
                it->second = cf.value;
              } else {
                changes.emplace_back(cf.key, cf.value);
              }
            }
          }
        } else if (removed) {
          if (auto it = find(old, cf.key); it != old.end()) it->second = cf.value;
          else old.emplace_back(cf.key, cf.value);
          AttrValue cur = or_null(get(current, cf.key));
          if (!equal_attrs(cur.get(), cf.value.get())) {
            if (action == Action::Retain) flush();
            if (auto it = find(changes, cf.key); it != changes.end()) it->second = cur;
            else changes.emplace_back(cf.key, cur);
          }
        } else if (!n->deleted()) {
          if (auto it = find(old, cf.key); it != old.end()) it->second = cf.value;
          else old.emplace_back(cf.key, cf.value);
          auto it = find(changes, cf.key);
          if (it != changes.end() && !equal_attrs(it->second.get(), cf.value.get())) {
            if (action == Action::Retain) flush();
            it = find(changes, cf.key);
            if (cf.value->is_null()) changes.erase(it);
            else it->second = cf.value;
          }
        }
        if (!n->deleted()) {
          if (action == Action::Insert) flush();
          auto it = find(current, cf.key);
          if (cf.value->is_null()) {
            if (it != current.end()) current.erase(it);
          } else if (it != current.end()) {
            it->second = cf.value;
          } else {
            current.emplace_back(cf.key, cf.value);
          }
        }
        break;
      }
      default:
        break;
    }
  }
  flush();
  while (!out.delta.empty() && out.delta.back().kind == Delta::Kind::Retain && out.delta.back().attributes.empty()) {
    out.delta.pop_back();
  }
  return out;
}

}  // namespace

Subscription Text::observe(std::function<void(const TextEvent&)> f) const {
  return add_branch_observer(b_, [f = std::move(f)](Transaction& txn, const BranchEvent& ev) { f(text_event(txn, ev)); });
}

// ---- Array ----

uint64_t Array::length() const { return b_->length; }

Value Array::get(uint64_t index) const {
  uint64_t off = 0;
  const Item* item = list_item_at(b_, index, &off);
  return item ? ValueAccess::from_item(item, off) : Value();
}

std::vector<Value> Array::slice(uint64_t start, uint64_t end) const {
  std::vector<Value> out;
  end = std::min(end, b_->length);
  for (uint64_t i = start; i < end; ++i) out.push_back(get(i));
  return out;
}

bool Array::insert(Transaction& t, uint64_t index, std::vector<Any> values) {
  if (index > b_->length) return false;
  std::vector<InsertValue> iv;
  for (Any& v : values) {
    if (!insertable(v)) return false;
    iv.push_back(InsertValue::of(std::move(v)));
  }
  list_insert(t, b_, index, std::move(iv));
  return true;
}
bool Array::insert(uint64_t index, std::vector<Any> values) {
  bool ok = false;
  run([&](Transaction& t) { ok = insert(t, index, std::move(values)); });
  return ok;
}
bool Array::push(Transaction& t, std::vector<Any> values) {
  std::vector<InsertValue> iv;
  for (Any& v : values) {
    if (!insertable(v)) return false;
    iv.push_back(InsertValue::of(std::move(v)));
  }
  list_push(t, b_, std::move(iv));
  return true;
}
bool Array::push(std::vector<Any> values) {
  bool ok = false;
  run([&](Transaction& t) { ok = push(t, std::move(values)); });
  return ok;
}

namespace {
Branch* insert_new_type(Transaction& t, Branch* list, uint64_t index, TypeRef ref, std::u16string name = {}) {
  if (index > list->length) return nullptr;
  std::vector<InsertValue> iv;
  iv.push_back(InsertValue::of_type(BranchPtr(new Branch(ref, std::move(name)))));
  auto types = list_insert(t, list, index, std::move(iv));
  return types.empty() ? nullptr : types[0];
}
}  // namespace

Text Array::insert_text(Transaction& t, uint64_t index) { return Text(insert_new_type(t, b_, index, TypeRef::Text)); }
Array Array::insert_array(Transaction& t, uint64_t index) {
  return Array(insert_new_type(t, b_, index, TypeRef::Array));
}
Map Array::insert_map(Transaction& t, uint64_t index) { return Map(insert_new_type(t, b_, index, TypeRef::Map)); }

bool Array::remove(Transaction& t, uint64_t index, uint64_t length) {
  if (index + length > b_->length || index + length < index) return false;
  list_delete(t, b_, index, length);
  return true;
}
bool Array::remove(uint64_t index, uint64_t length) {
  bool ok = false;
  run([&](Transaction& t) { ok = remove(t, index, length); });
  return ok;
}

Subscription Array::observe(std::function<void(const ArrayEvent&)> f) const {
  return add_branch_observer(b_, [f = std::move(f)](Transaction& txn, const BranchEvent& ev) {
    ArrayEvent out;
    out.local = txn.local;
    auto last_is = [&](ArrayChange::Kind k) { return !out.delta.empty() && out.delta.back().kind == k; };
    walk_sequence_changes(
        ev,
        [&](const Item* n) {
          if (!last_is(ArrayChange::Kind::Insert)) out.delta.push_back(ArrayChange{ArrayChange::Kind::Insert, 0, {}});
          for (size_t i = 0; i < n->length; ++i) out.delta.back().inserted.push_back(ValueAccess::from_item(n, i));
        },
        [&](const Item* n) {
          if (!n->countable()) return;
          if (!last_is(ArrayChange::Kind::Retain)) out.delta.push_back(ArrayChange{ArrayChange::Kind::Retain, 0, {}});
          out.delta.back().count += n->length;
        },
        [&](const Item* n) {
          if (!n->countable()) return;
          if (!last_is(ArrayChange::Kind::Delete)) out.delta.push_back(ArrayChange{ArrayChange::Kind::Delete, 0, {}});
          out.delta.back().count += n->length;
        });
    while (last_is(ArrayChange::Kind::Retain)) out.delta.pop_back();
    f(out);
  });
}

// ---- Map ----

uint64_t Map::size() const {
  uint64_t n = 0;
  for (const auto& [k, item] : b_->map) n += item->deleted() ? 0 : 1;
  return n;
}

std::optional<Value> Map::get(std::string_view key) const {
  const std::u16string* k = b_->doc->intern(u16(key));
  const Item* item = b_->map_get(k);
  if (!item) return std::nullopt;
  return ValueAccess::from_item(item, item->length - 1);
}
bool Map::has(std::string_view key) const { return b_->map_get(b_->doc->intern(u16(key))) != nullptr; }
std::vector<std::string> Map::keys() const {
  std::vector<std::string> out;
  for (const std::u16string* k : b_->map_keys) {
    if (b_->map_get(k)) out.push_back(utf::to_utf8(*k));
  }
  return out;
}

void Map::set(Transaction& t, std::string_view key, Any value) { map_set(t, b_, u16(key), InsertValue::of(std::move(value))); }
void Map::set(std::string_view key, Any value) {
  run([&](Transaction& t) { set(t, key, std::move(value)); });
}
Text Map::set_text(Transaction& t, std::string_view key) {
  return Text(map_set(t, b_, u16(key), InsertValue::of_type(BranchPtr(new Branch(TypeRef::Text)))));
}
Array Map::set_array(Transaction& t, std::string_view key) {
  return Array(map_set(t, b_, u16(key), InsertValue::of_type(BranchPtr(new Branch(TypeRef::Array)))));
}
Map Map::set_map(Transaction& t, std::string_view key) {
  return Map(map_set(t, b_, u16(key), InsertValue::of_type(BranchPtr(new Branch(TypeRef::Map)))));
}
void Map::remove(Transaction& t, std::string_view key) { map_delete(t, b_, u16(key)); }
void Map::remove(std::string_view key) {
  run([&](Transaction& t) { remove(t, key); });
}

Subscription Map::observe(std::function<void(const MapEvent&)> f) const {
  return add_branch_observer(b_, [f = std::move(f)](Transaction& txn, const BranchEvent& ev) {
    MapEvent out;
    out.local = txn.local;
    for (const std::u16string* key : *ev.subs) {
      if (!key) continue;
      const Item* item = ev.target->map.at(key);
      MapEvent::Action action;
      if (ev.adds(item)) {
        // Was there a value before this transaction?
        const Item* prev = item->left;
        while (prev && ev.adds(prev)) prev = prev->left;
        bool existed = prev && (!prev->deleted() || ev.deletes(prev));
        if (item->deleted()) {
          if (!existed) continue;
          action = MapEvent::Action::Delete;
        } else {
          action = existed ? MapEvent::Action::Update : MapEvent::Action::Add;
        }
      } else if (ev.deletes(item)) {
        action = MapEvent::Action::Delete;
      } else {
        continue;
      }
      out.keys.emplace_back(utf::to_utf8(*key), action);
    }
    if (!out.keys.empty()) f(out);
  });
}

// ---- XML ----

uint64_t XmlFragment::length() const { return b_->length; }
std::string XmlFragment::to_string() const { return utf::to_utf8(type_to_string(b_, TypeRef::XmlFragment)); }
XmlElement XmlFragment::insert_element(Transaction& t, uint64_t index, std::string_view node_name) {
  return XmlElement(insert_new_type(t, b_, index, TypeRef::XmlElement, u16(node_name)));
}
XmlText XmlFragment::insert_text(Transaction& t, uint64_t index) {
  return XmlText(insert_new_type(t, b_, index, TypeRef::XmlText));
}
bool XmlFragment::remove(Transaction& t, uint64_t index, uint64_t length) {
  if (index + length > b_->length || index + length < index) return false;
  list_delete(t, b_, index, length);
  return true;
}
Value XmlFragment::get(uint64_t index) const {
  uint64_t off = 0;
  const Item* item = list_item_at(b_, index, &off);
  return item ? ValueAccess::from_item(item, off) : Value();
}

std::string XmlElement::node_name() const { return utf::to_utf8(b_->name); }
void XmlElement::set_attribute(Transaction& t, std::string_view key, Any value) {
  map_set(t, b_, u16(key), InsertValue::of(std::move(value)));
}
std::optional<Any> XmlElement::get_attribute(std::string_view key) const {
  const Item* item = b_->map_get(b_->doc->intern(u16(key)));
  if (!item) return std::nullopt;
  return ValueAccess::from_item(item, item->length - 1).to_json();
}
void XmlElement::remove_attribute(Transaction& t, std::string_view key) { map_delete(t, b_, u16(key)); }
Attrs XmlElement::attributes() const {
  Attrs out;
  for (const std::u16string* k : b_->map_keys) {
    const Item* item = b_->map_get(k);
    if (item) out.emplace_back(utf::to_utf8(*k), ValueAccess::from_item(item, item->length - 1).to_json());
  }
  return out;
}

}  // namespace conflux
