#include "content.h"

#include "branch.h"
#include "update_codec.h"
#include "utf.h"

namespace conflux {

void BranchDeleter::operator()(Branch* b) const { delete b; }

Content Content::any(std::vector<Any> values) {
  Content c;
  c.ref_ = ContentRef::Any;
  c.payload_.box = new std::vector<Any>(std::move(values));
  return c;
}
Content Content::json(std::vector<Any> values) {
  Content c;
  c.ref_ = ContentRef::JSON;
  c.payload_.box = new std::vector<Any>(std::move(values));
  return c;
}
Content Content::binary(Any::Bytes bytes) {
  Content c;
  c.ref_ = ContentRef::Binary;
  c.payload_.box = new Any::Bytes(std::move(bytes));
  return c;
}
Content Content::embed(Any value) {
  Content c;
  c.ref_ = ContentRef::Embed;
  c.payload_.box = new Any(std::move(value));
  return c;
}
Content Content::format(std::u16string key, AttrValue value) {
  Content c;
  c.ref_ = ContentRef::Format;
  c.payload_.box = new ContentFormat{std::move(key), std::move(value)};
  return c;
}
Content Content::type(BranchPtr type) {
  Content c;
  c.ref_ = ContentRef::Type;
  c.payload_.box = type.release();
  return c;
}
Content Content::doc(std::u16string guid, Any options) {
  Content c;
  c.ref_ = ContentRef::Doc;
  c.payload_.box = new ContentDoc{std::move(guid), std::move(options)};
  return c;
}

void Content::free_box() {
  switch (ref_) {
    case ContentRef::JSON:
    case ContentRef::Any:
      delete &values();
      break;
    case ContentRef::Binary:
      delete &bytes();
      break;
    case ContentRef::Embed:
      delete &embed_value();
      break;
    case ContentRef::Format:
      delete &format();
      break;
    case ContentRef::Type:
      BranchDeleter()(type());
      break;
    case ContentRef::Doc:
      delete &doc();
      break;
    default:
      break;
  }
}

uint64_t Content::length() const {
  switch (ref_) {
    case ContentRef::GC:
    case ContentRef::Skip:
    case ContentRef::Deleted:
      return payload_.len;
    case ContentRef::String:
      return payload_.text.size();
    case ContentRef::JSON:
    case ContentRef::Any:
      return values().size();
    default:
      return 1;
  }
}

Content Content::split(uint64_t offset) {
  switch (ref_) {
    case ContentRef::GC:
    case ContentRef::Skip:
    case ContentRef::Deleted: {
      Content right(ref_, payload_.len - offset);
      payload_.len = offset;
      return right;
    }
    case ContentRef::String: {
      TextBuffer& s = payload_.text;
      TextBuffer tail = s.split_off(offset);
      if (!s.empty() && utf::is_high_surrogate(s[s.size() - 1])) {
        // Yjs never keeps half of a surrogate pair on either side of a cut.
        s.set_unit(s.size() - 1, u'\uFFFD');
        if (!tail.empty()) tail.set_unit(0, u'\uFFFD');
      }
      return Content::string(std::move(tail));
    }
    case ContentRef::JSON:
    case ContentRef::Any: {
      std::vector<Any>& v = values();
      std::vector<Any> tail(std::make_move_iterator(v.begin() + offset), std::make_move_iterator(v.end()));
      v.resize(offset);
      return ref_ == ContentRef::Any ? Content::any(std::move(tail)) : Content::json(std::move(tail));
    }
    default:
      // Single-tick contents are never split.
      return Content();
  }
}

void Content::append(Content&& right) {
  switch (ref_) {
    case ContentRef::GC:
    case ContentRef::Skip:
    case ContentRef::Deleted:
      payload_.len += right.payload_.len;
      break;
    case ContentRef::String:
      payload_.text.append(right.str());
      break;
    case ContentRef::JSON:
    case ContentRef::Any: {
      std::vector<Any>& v = values();
      std::vector<Any>& r = right.values();
      v.insert(v.end(), std::make_move_iterator(r.begin()), std::make_move_iterator(r.end()));
      break;
    }
    default:
      break;
  }
}

Content Content::clone() const {
  switch (ref_) {
    case ContentRef::GC:
    case ContentRef::Skip:
    case ContentRef::Deleted:
      return Content(ref_, payload_.len);
    case ContentRef::String:
      return Content::string(TextBuffer(str()));
    case ContentRef::JSON:
      return Content::json(values());
    case ContentRef::Any:
      return Content::any(values());
    case ContentRef::Binary:
      return Content::binary(bytes());
    case ContentRef::Embed:
      return Content::embed(embed_value());
    case ContentRef::Format:
      return Content::format(format().key, format().value);
    case ContentRef::Type: {
      const Branch* t = type();
      return Content::type(BranchPtr(new Branch(t->ref, t->name)));
    }
    case ContentRef::Doc:
      return Content::doc(doc().guid, doc().options);
  }
  return Content();
}

void Content::write(UpdateEncoder& enc, uint64_t offset) const {
  switch (ref_) {
    case ContentRef::GC:
    case ContentRef::Skip:
      break;  // written by the struct writer
    case ContentRef::Deleted:
      enc.write_len(payload_.len - offset);
      break;
    case ContentRef::JSON: {
      const auto& v = values();
      enc.write_len(v.size() - offset);
      for (size_t i = offset; i < v.size(); ++i) {
        std::string text = v[i].to_json();
        enc.write_string(utf::to_utf16(text));
      }
      break;
    }
    case ContentRef::Binary:
      enc.write_buf(bytes());
      break;
    case ContentRef::String:
      enc.write_text(str().substr(offset));
      break;
    case ContentRef::Embed:
      enc.write_json(embed_value());
      break;
    case ContentRef::Format:
      enc.write_key(format().key);
      enc.write_json(*format().value);
      break;
    case ContentRef::Type: {
      const Branch* t = type();
      enc.write_type_ref(uint64_t(t->ref));
      if (t->ref == TypeRef::XmlElement || t->ref == TypeRef::XmlHook) enc.write_key(t->name);
      break;
    }
    case ContentRef::Any: {
      const auto& v = values();
      enc.write_len(v.size() - offset);
      for (size_t i = offset; i < v.size(); ++i) enc.write_any(v[i]);
      break;
    }
    case ContentRef::Doc:
      enc.write_string(doc().guid);
      enc.write_any(doc().options);
      break;
  }
}

bool Content::read(UpdateDecoder& dec, ContentRef ref, Content* out) {
  switch (ref) {
    case ContentRef::Deleted: {
      uint64_t len = dec.read_len();
      if (!dec.ok() || len == 0) return false;
      *out = Content::deleted(len);
      return true;
    }
    case ContentRef::JSON: {
      uint64_t len = dec.read_len();
      if (!dec.ok() || len == 0) return false;
      std::vector<Any> values;
      for (uint64_t i = 0; i < len; ++i) {
        std::u16string text = dec.read_string();
        if (!dec.ok()) return false;
        Any v;
        if (text != u"undefined" && !Any::from_json(utf::to_utf8(text), &v)) return false;
        values.push_back(std::move(v));
      }
      *out = Content::json(std::move(values));
      return true;
    }
    case ContentRef::Binary:
      *out = Content::binary(dec.read_buf());
      return dec.ok();
    case ContentRef::String:
      return read_string(dec, out);
    case ContentRef::Embed:
      *out = Content::embed(dec.read_json());
      return dec.ok();
    case ContentRef::Format: {
      std::u16string key = dec.read_key();
      Any value = dec.read_json();
      *out = Content::format(std::move(key), std::make_shared<const Any>(std::move(value)));
      return dec.ok();
    }
    case ContentRef::Type: {
      uint64_t r = dec.read_type_ref();
      if (!dec.ok() || r > uint64_t(TypeRef::XmlText)) return false;
      TypeRef tr = TypeRef(r);
      std::u16string name;
      if (tr == TypeRef::XmlElement || tr == TypeRef::XmlHook) name = dec.read_key();
      if (!dec.ok()) return false;
      *out = Content::type(BranchPtr(new Branch(tr, std::move(name))));
      return true;
    }
    case ContentRef::Any: {
      uint64_t len = dec.read_len();
      if (!dec.ok() || len == 0 || len > dec.rest().remaining()) return false;
      std::vector<Any> values;
      values.reserve(len);
      for (uint64_t i = 0; i < len; ++i) {
        values.push_back(dec.read_any());
        if (!dec.ok()) return false;
      }
      *out = Content::any(std::move(values));
      return true;
    }
    case ContentRef::Doc: {
      std::u16string guid = dec.read_string();
      Any options = dec.read_any();
      *out = Content::doc(std::move(guid), std::move(options));
      return dec.ok();
    }
    default:
      return false;
  }
}

}  // namespace conflux
