// Item contents: what one struct of the document holds.
//
// The numbering is Yjs's content ref (the low five bits of the info byte).
// GC and Skip are not contents of an Item but share the numbering, so a struct
// can be described by one Content value whatever it is.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <variant>
#include <vector>

#include "conflux/any.h"

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

// One struct's payload. Rare kinds are boxed to keep items small.
class Content {
 public:
  Content() = default;  // GC
  static Content gc(uint64_t len) { Content c; c.ref_ = ContentRef::GC; c.data_ = len; return c; }
  static Content skip(uint64_t len) { Content c; c.ref_ = ContentRef::Skip; c.data_ = len; return c; }
  static Content deleted(uint64_t len) { Content c; c.ref_ = ContentRef::Deleted; c.data_ = len; return c; }
  // A Deleted content's length changed (a deleted run grew or shrank).
  void set_deleted_length(uint64_t n) { len() = n; }
  static Content string(std::u16string s);
  // Makes this String content holding `s`, in place.
  void assign_string(std::u16string&& s) {
    ref_ = ContentRef::String;
    data_.emplace<std::u16string>(std::move(s));
  }
  static Content any(std::vector<Any> values);
  static Content json(std::vector<Any> values);
  static Content binary(Any::Bytes bytes);
  static Content embed(Any value);
  static Content format(std::u16string key, AttrValue value);
  static Content type(BranchPtr type);
  static Content doc(std::u16string guid, Any options);

  Content(Content&&) = default;
  Content& operator=(Content&&) = default;
  Content(const Content&) = delete;
  Content& operator=(const Content&) = delete;

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

  std::u16string& str() { return std::get<std::u16string>(data_); }
  const std::u16string& str() const { return std::get<std::u16string>(data_); }
  std::vector<Any>& values() { return std::get<std::vector<Any>>(data_); }
  const std::vector<Any>& values() const { return std::get<std::vector<Any>>(data_); }
  const Any::Bytes& bytes() const { return *std::get<std::unique_ptr<Any::Bytes>>(data_); }
  const Any& embed_value() const { return *std::get<std::unique_ptr<Any>>(data_); }
  const ContentFormat& format() const { return *std::get<std::unique_ptr<ContentFormat>>(data_); }
  const ContentDoc& doc() const { return *std::get<std::unique_ptr<ContentDoc>>(data_); }
  Branch* type() const { return std::get<BranchPtr>(data_).get(); }
  BranchPtr& type_ptr() { return std::get<BranchPtr>(data_); }

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
    std::u16string s = dec.read_string();
    if (!dec.ok() || s.empty()) return false;
    out->assign_string(std::move(s));
    return true;
  }

 private:
  uint64_t& len() { return std::get<uint64_t>(data_); }
  uint64_t len() const { return std::get<uint64_t>(data_); }

  // The length of GC, Skip and Deleted contents lives in the variant too: an
  // item holds one Content, and a separate field would cost every item 8 bytes.
  // The variant's tail padding (after its index byte) holds ref_, and the
  // Content's own holds the item's flags: 40 bytes rather than 48, 16 per item.
  [[no_unique_address]] std::variant<uint64_t, std::u16string, std::vector<Any>, std::unique_ptr<Any::Bytes>,
                                     std::unique_ptr<Any>, std::unique_ptr<ContentFormat>, BranchPtr,
                                     std::unique_ptr<ContentDoc>>
      data_;
  ContentRef ref_ = ContentRef::GC;
};

}  // namespace conflux
