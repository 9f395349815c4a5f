// Conflux documents: a Yjs-compatible CRDT document and its shared types.
//
//   conflux::Doc doc({.client_id = 1});
//   auto text = doc.get_text("text");
//   doc.on_update([](const std::vector<uint8_t>& u) { send(u); });
//   text.insert(0, "Hello");                       // one transaction, one update
//   doc.transact([&](conflux::Transaction& t) {    // several changes, one update
//     text.insert(t, 5, " world", conflux::Attrs{{"bold", true}});
//   });
//   conflux::Status s = other.apply_update(bytes);  // bytes from any Yjs peer
//
// Positions are UTF-16 code units, as in Yjs (see utf16_index() for UTF-8).
// Handles (Text, Array, ...) are cheap views that stay valid while the Doc lives.
#pragma once

#include <cstdint>
#include <functional>
#include <type_traits>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "conflux/any.h"

namespace conflux {

class DocImpl;
class Transaction;
struct Branch;

// The outcome of applying or decoding input: ok, or a message saying why not.
class Status {
 public:
  Status() = default;
  static Status error(std::string message) { return Status(std::move(message)); }
  bool ok() const { return !failed_; }
  explicit operator bool() const { return ok(); }
  const std::string& message() const { return message_; }

 private:
  explicit Status(std::string m) : failed_(true), message_(std::move(m)) {}
  bool failed_ = false;
  std::string message_;
};

using Bytes = std::vector<uint8_t>;
// Formatting attributes, in order (a JavaScript object).
using Attrs = Any::Object;

class Text;
class Array;
class Map;
class XmlFragment;
class XmlElement;
class XmlText;
class TypeHandle;

enum class TypeKind : uint8_t { Array = 0, Map = 1, Text = 2, XmlElement = 3, XmlFragment = 4, XmlHook = 5, XmlText = 6 };

// A value read from an Array or a Map: a JSON-like value, bytes, a nested
// shared type, or a subdocument (by guid).
class Value {
 public:
  enum class Kind : uint8_t { Any, Type, Doc };
  Kind kind() const { return kind_; }
  const Any& any() const { return any_; }  // Kind::Any (bytes are Any bytes)
  TypeKind type_kind() const;               // Kind::Type
  Text as_text() const;
  Array as_array() const;
  Map as_map() const;
  XmlElement as_xml_element() const;
  XmlText as_xml_text() const;
  TypeHandle as_type() const;  // any nested type (Kind::Type), whatever its kind
  const std::string& doc_guid() const { return guid_; }  // Kind::Doc
  // toJSON of the value (types rendered as Yjs does).
  Any to_json() const;

 private:
  friend struct ValueAccess;
  Kind kind_ = Kind::Any;
  Any any_;
  Branch* type_ = nullptr;
  std::string guid_;
};

// One delta op (Quill style): insert text / an embed / a type, retain, or delete.
struct Delta {
  enum class Kind : uint8_t { Insert, Retain, Delete } kind = Kind::Insert;
  std::string text;                  // Insert of text (UTF-8)
  std::optional<Any> embed;          // Insert of an embed
  std::optional<TypeKind> type;      // Insert of a new type (apply) / an embedded type (read)
  std::optional<Any> type_json;      // read: the embedded type's toJSON()
  uint64_t count = 0;                // Retain / Delete (UTF-16 units)
  Attrs attributes;
};

// Change events, delivered at the end of each transaction that changed the type.
struct TextEvent {
  std::vector<Delta> delta;  // inserts, deletes and retains of this transaction
  bool local = true;
};
struct ArrayChange {
  enum class Kind : uint8_t { Insert, Retain, Delete } kind;
  uint64_t count = 0;          // Retain / Delete
  std::vector<Value> inserted;  // Insert
};
struct ArrayEvent {
  std::vector<ArrayChange> delta;
  bool local = true;
};
struct MapEvent {
  enum class Action : uint8_t { Add, Update, Delete };
  std::vector<std::pair<std::string, Action>> keys;
  bool local = true;
};

// Detaches an observer when destroyed (or on reset()).
class Subscription {
 public:
  Subscription() = default;
  explicit Subscription(std::function<void()> cancel) : cancel_(std::move(cancel)) {}
  Subscription(Subscription&& o) noexcept : cancel_(std::move(o.cancel_)) { o.cancel_ = nullptr; }
  Subscription& operator=(Subscription&& o) noexcept {
    reset();
    cancel_ = std::move(o.cancel_);
    o.cancel_ = nullptr;
    return *this;
  }
  ~Subscription() { reset(); }
  void reset() {
    if (cancel_) cancel_();
    cancel_ = nullptr;
  }

 private:
  std::function<void()> cancel_;
};

class Doc {
 public:
  struct Options {
    std::optional<uint64_t> client_id;  // random 32-bit id when absent
    bool gc = true;                     // collect deleted content
  };
  Doc();
  explicit Doc(Options options);
  ~Doc();
  Doc(Doc&&) noexcept;
  Doc& operator=(Doc&&) noexcept;

  uint64_t client_id() const;

  // Root types. Opening a root gives it its kind; opening it as another kind
  // than before returns an invalid handle (valid() == false).
  Text get_text(std::string_view name);
  Array get_array(std::string_view name);
  Map get_map(std::string_view name);
  XmlFragment get_xml_fragment(std::string_view name);
  std::vector<std::string> root_names() const;

  // Runs `f` as one transaction; `origin` is passed to observers.
  void transact(const std::function<void(Transaction&)>& f, const void* origin = nullptr);

  // Applies an update from any peer. Malformed input is refused whole and the
  // document stays as it was; so is an update whose clocks pass 2^32 - 1,
  // the most one client of a document can reach here (Yjs allows 2^53).
  Status apply_update(const uint8_t* data, size_t size, const void* origin = nullptr);
  Status apply_update(const Bytes& update, const void* origin = nullptr) {
    return apply_update(update.data(), update.size(), origin);
  }
  Status apply_update_v2(const uint8_t* data, size_t size, const void* origin = nullptr);
  Status apply_update_v2(const Bytes& update, const void* origin = nullptr) {
    return apply_update_v2(update.data(), update.size(), origin);
  }

  // The state as an update (v1 / v2), everything the target state vector lacks.
  Bytes encode_state_as_update(const Bytes& target_state_vector = {}) const;
  Bytes encode_state_as_update_v2(const Bytes& target_state_vector = {}) const;
  Bytes encode_state_vector() const;
  // Yjs's JSON of all roots; untyped roots as their content suggests.
  Any to_json() const;
  // Whether updates wait for missing dependencies.
  bool has_pending() const;

  // Called with the update of every transaction that changed something.
  Subscription on_update(std::function<void(const Bytes& update, const Transaction& txn)> f);
  Subscription on_update_v2(std::function<void(const Bytes& update, const Transaction& txn)> f);

  DocImpl* impl() const { return impl_.get(); }

 private:
  std::unique_ptr<DocImpl> impl_;
};

// Shared base of all type handles.
class TypeHandle {
 public:
  TypeHandle() = default;
  explicit TypeHandle(Branch* b) : b_(b) {}
  bool valid() const { return b_ != nullptr; }
  Branch* branch() const { return b_; }
  // Yjs's toJSON().
  Any to_json() const;

 protected:
  // Runs f(Transaction&) in the current transaction of the document, or in a
  // new one. Calls f without wrapping it in a std::function (this is the path
  // of every single-call edit, such as one keystroke).
  template <class F>
  void run(F&& f) const {
    run_with([](void* fn, Transaction& t) { (*static_cast<std::remove_reference_t<F>*>(fn))(t); },
             const_cast<void*>(static_cast<const void*>(&f)));
  }
  void run_with(void (*call)(void*, Transaction&), void* fn) const;
  Branch* b_ = nullptr;
};

class Text : public TypeHandle {
 public:
  using TypeHandle::TypeHandle;
  uint64_t length() const;  // UTF-16 units
  std::string to_string() const;
  std::vector<Delta> to_delta() const;

  void insert(Transaction& t, uint64_t index, std::string_view text, const Attrs* attrs = nullptr);
  void insert(uint64_t index, std::string_view text, const Attrs* attrs = nullptr);
  void insert(Transaction& t, uint64_t index, std::string_view text, const Attrs& attrs) { insert(t, index, text, &attrs); }
  void insert(uint64_t index, std::string_view text, const Attrs& attrs) { insert(index, text, &attrs); }
  void insert_embed(Transaction& t, uint64_t index, Any embed, const Attrs& attrs = {});
  void insert_embed(uint64_t index, Any embed, const Attrs& attrs = {});
  void remove(Transaction& t, uint64_t index, uint64_t length);
  void remove(uint64_t index, uint64_t length);
  void format(Transaction& t, uint64_t index, uint64_t length, const Attrs& attrs);
  void format(uint64_t index, uint64_t length, const Attrs& attrs);
  void apply_delta(Transaction& t, const std::vector<Delta>& delta);
  void apply_delta(const std::vector<Delta>& delta);

  // Position helpers: UTF-16 index of a UTF-8 byte offset / code point offset.
  uint64_t utf16_index_of_utf8(uint64_t byte_offset) const;
  uint64_t utf16_index_of_code_point(uint64_t code_point) const;

  Subscription observe(std::function<void(const TextEvent&)> f) const;
};

class XmlText : public Text {
 public:
  using Text::Text;
};

class Array : public TypeHandle {
 public:
  using TypeHandle::TypeHandle;
  uint64_t length() const;
  Value get(uint64_t index) const;  // index < length()
  std::vector<Value> slice(uint64_t start, uint64_t end) const;

  // Values must be JSON-like or bytes (undefined and bigints are refused: false).
  bool insert(Transaction& t, uint64_t index, std::vector<Any> values);
  bool insert(uint64_t index, std::vector<Any> values);
  bool push(Transaction& t, std::vector<Any> values);
  bool push(std::vector<Any> values);
  Text insert_text(Transaction& t, uint64_t index);
  Array insert_array(Transaction& t, uint64_t index);
  Map insert_map(Transaction& t, uint64_t index);
  // Returns false when the range is out of bounds (nothing is deleted then).
  bool remove(Transaction& t, uint64_t index, uint64_t length);
  bool remove(uint64_t index, uint64_t length);

  Subscription observe(std::function<void(const ArrayEvent&)> f) const;
};

class Map : public TypeHandle {
 public:
  using TypeHandle::TypeHandle;
  uint64_t size() const;
  std::optional<Value> get(std::string_view key) const;
  bool has(std::string_view key) const;
  std::vector<std::string> keys() const;

  void set(Transaction& t, std::string_view key, Any value);
  void set(std::string_view key, Any value);
  Text set_text(Transaction& t, std::string_view key);
  Array set_array(Transaction& t, std::string_view key);
  Map set_map(Transaction& t, std::string_view key);
  void remove(Transaction& t, std::string_view key);
  void remove(std::string_view key);

  Subscription observe(std::function<void(const MapEvent&)> f) const;
};

class XmlFragment : public TypeHandle {
 public:
  using TypeHandle::TypeHandle;
  uint64_t length() const;
  std::string to_string() const;
  XmlElement insert_element(Transaction& t, uint64_t index, std::string_view node_name);
  XmlText insert_text(Transaction& t, uint64_t index);
  bool remove(Transaction& t, uint64_t index, uint64_t length);
  Value get(uint64_t index) const;
};

class XmlElement : public XmlFragment {
 public:
  using XmlFragment::XmlFragment;
  std::string node_name() const;
  void set_attribute(Transaction& t, std::string_view key, Any value);
  std::optional<Any> get_attribute(std::string_view key) const;
  void remove_attribute(Transaction& t, std::string_view key);
  Attrs attributes() const;
};

}  // namespace conflux
