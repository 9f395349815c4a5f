// Item contents: what one struct of the document holds.
//
// The numbering is Yjs's content ref (the low five bits of the info byte).
// GC and Skip are not contents of an Item but share the numbering, so a struct
// can be described by one Content value whatever it is.
#pragma once

#include <cstdint>
#include <memory>
#include <new>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "conflux/any.h"
#include "text_buffer.h"

namespace conflux {

class UpdateEncoder;
class UpdateDecoder;
struct Branch;

enum class ContentRef : uint8_t {
  GC = 0,
  Deleted = 1,
  JSON = 2,
  Binary = 3,
  String = 4,
  Embed = 5,
  Format = 6,
  Type = 7,
  Any = 8,
  Doc = 9,
  Skip = 10,
};

struct BranchDeleter {
  void operator()(Branch* b) const;
};
using BranchPtr = std::unique_ptr<Branch, BranchDeleter>;

// A formatting attribute. The value is shared because Yjs compares attribute
// values with `===`: a format that restores an earlier value holds that very
// object, and only then is it `===` to it.
using AttrValue = std::shared_ptr<const Any>;
struct ContentFormat {
  std::u16string key;
  AttrValue value;
};
struct ContentDoc {
  std::u16string guid;
  Any options;
};

// One struct's payload: eight bytes, read by the ref. A document holds one
// per item, so only what every kind needs is inline: the length of GC, Skip
// and Deleted contents, a String's buffer (one pointer); the rare kinds are
// boxed. The Content's tail padding holds the item's flags.
class Content {
 public:
  Content() = default;  // GC
  static Content gc(uint64_t len) { return Content(ContentRef::GC, len); }
  static Content skip(uint64_t len) { return Content(ContentRef::Skip, len); }
  static Content deleted(uint64_t len) { return Content(ContentRef::Deleted, len); }
  // A Deleted content's length changed (a deleted run grew or shrank).
  void set_deleted_length(uint64_t n) { payload_.len = n; }
  static Content string(std::u16string_view s) {
    Content c;
    c.assign_string(TextBuffer(s));
    return c;
  }
  static Content string(TextBuffer s) {
    Content c;
    c.assign_string(std::move(s));
    return c;
  }
  // Makes this String content holding `s`, in place.
  void assign_string(TextBuffer&& s) {
    reset();
    new (&payload_.text) TextBuffer(std::move(s));
    ref_ = ContentRef::String;
  }
  static Content any(std::vector<Any> values);
  static Content json(std::vector<Any> values);
  static Content binary(Any::Bytes bytes);
  static Content embed(Any value);
  static Content format(std::u16string key, AttrValue value);
  static Content type(BranchPtr type);
  static Content doc(std::u16string guid, Any options);

  // A moved-from content is an empty GC.
  Content(Content&& o) noexcept { take(o); }
  Content& operator=(Content&& o) noexcept {
    if (this != &o) {
      reset();
      take(o);
    }
    return *this;
  }
  Content(const Content&) = delete;
  Content& operator=(const Content&) = delete;
  ~Content() { reset(); }

  ContentRef ref() const { return ref_; }
  // Clock ticks this content covers.
  uint64_t length() const;
  // Counts towards positions (indexes) of the parent sequence.
  bool countable() const {
    return ref_ != ContentRef::Deleted && ref_ != ContentRef::Format && ref_ != ContentRef::GC &&
           ref_ != ContentRef::Skip;
  }
  bool mergeable() const {
    return ref_ == ContentRef::Deleted || ref_ == ContentRef::JSON || ref_ == ContentRef::String ||
           ref_ == ContentRef::Any || ref_ == ContentRef::GC || ref_ == ContentRef::Skip;
  }

  TextView str() const { return payload_.text.view(); }
  // The String's own buffer, to edit in place.
  TextBuffer& str_buffer() { return payload_.text; }
  std::vector<Any>& values() { return *static_cast<std::vector<Any>*>(payload_.box); }
  const std::vector<Any>& values() const { return *static_cast<const std::vector<Any>*>(payload_.box); }
  const Any::Bytes& bytes() const { return *static_cast<const Any::Bytes*>(payload_.box); }
  const Any& embed_value() const { return *static_cast<const Any*>(payload_.box); }
  const ContentFormat& format() const { return *static_cast<const ContentFormat*>(payload_.box); }
  const ContentDoc& doc() const { return *static_cast<const ContentDoc*>(payload_.box); }
  Branch* type() const { return static_cast<Branch*>(payload_.box); }
  // Takes the branch of a Type content, which keeps none.
  BranchPtr release_type() { return BranchPtr(static_cast<Branch*>(std::exchange(payload_.box, nullptr))); }

  // Cuts this content at `offset` clock ticks and returns the right part.
  // Strings follow Yjs: a cut that separates a surrogate pair turns both
  // halves into U+FFFD.
  Content split(uint64_t offset);
  // Appends `right` (same ref, mergeable) to this content.
  void append(Content&& right);
  // A deep copy (types are not copyable: a Type content copies as an empty
  // branch of the same kind; only the update utilities use this).
  Content clone() const;

  // Writes the content of a struct starting `offset` ticks in.
  void write(UpdateEncoder& enc, uint64_t offset) const;
  // Reads the content for `ref`; `type_factory` makes a branch for ContentType.
  // Returns false on malformed input (the decoder is failed too).
  static bool read(UpdateDecoder& dec, ContentRef ref, Content* out);
  // read() for String content; a template so that a caller holding the
  // concrete decoder (loading) reads it without a virtual call.
  template <class Decoder>
  static bool read_string(Decoder& dec, Content* out) {
    TextBuffer s = dec.read_text();
    if (!dec.ok() || s.empty()) return false;
    out->assign_string(std::move(s));
    return true;
  }

 private:
  Content(ContentRef ref, uint64_t len) : ref_(ref) { payload_.len = len; }
  // Frees what the content owns: a String or boxed content becomes an empty
  // GC; GC, Skip and Deleted own nothing and stay as they are.
  void reset() {
    if (ref_ == ContentRef::GC || ref_ == ContentRef::Deleted || ref_ == ContentRef::Skip) return;
    if (ref_ == ContentRef::String) payload_.text.~TextBuffer();
    else free_box();
    ref_ = ContentRef::GC;
    payload_.len = 0;
  }
  void free_box();
  // Moves `o` (whose memory this does not hold) in, leaving it an empty GC.
  void take(Content& o) noexcept {
    ref_ = o.ref_;
    if (ref_ == ContentRef::String) {
      new (&payload_.text) TextBuffer(std::move(o.payload_.text));
      o.payload_.text.~TextBuffer();
    } else if (ref_ == ContentRef::GC || ref_ == ContentRef::Deleted || ref_ == ContentRef::Skip) {
      payload_.len = o.payload_.len;
    } else {
      payload_.box = o.payload_.box;
    }
    o.ref_ = ContentRef::GC;
    o.payload_.len = 0;
  }

  union Payload {
    Payload() : len(0) {}
    ~Payload() {}
    uint64_t len;      // GC, Skip, Deleted
    TextBuffer text;  // String
    // The others: a std::vector<Any> (JSON, Any), Any::Bytes (Binary), Any
    // (Embed), ContentFormat, Branch (Type) or ContentDoc.
    void* box;
  } payload_;
  ContentRef ref_ = ContentRef::GC;
};

}  // namespace conflux
