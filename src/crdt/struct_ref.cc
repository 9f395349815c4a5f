#include "struct_ref.h"

#include "doc_impl.h"
#include "lib0.h"
#include "update_codec.h"

namespace conflux {

namespace {
constexpr uint8_t kInfoOrigin = 0x80;
constexpr uint8_t kInfoRightOrigin = 0x40;
constexpr uint8_t kInfoParentSub = 0x20;
constexpr uint8_t kInfoRefMask = 0x1f;
// Bounds what a hostile update can make us allocate: a struct takes at least
// one byte somewhere, except in v2 where column runs can repeat; allow generous
// run-length compression but nothing unbounded.
constexpr uint64_t kStructsPerInputByte = 64;
}  // namespace

StructRef StructRef::slice(uint64_t offset) const {
  StructRef r;
  r.id = ID{id.client, id.clock + offset};
  r.length = length - offset;
  if (is_item()) {
    r.content = content.clone();
    Content right = r.content.split(offset);
    r.content = std::move(right);
    r.has_origin = true;
    r.origin = ID{id.client, id.clock + offset - 1};
    r.has_right_origin = has_right_origin;
    r.right_origin = right_origin;
    r.parent_kind = parent_kind;
    r.parent_name = parent_name;
    r.parent_id = parent_id;
    r.has_parent_sub = has_parent_sub;
    r.parent_sub = parent_sub;
  } else {
    r.content = is_gc() ? Content::gc(r.length) : Content::skip(r.length);
  }
  return r;
}

bool read_struct_ref(UpdateDecoder& dec, DocImpl* doc, ID id, StructRef* out, const char** error) {
  auto fail = [&](const char* why) {
    *error = dec.ok() ? why : dec.error();
    return false;
  };
  lib0::Reader& rest = dec.rest();
  const uint64_t client = id.client;
  const uint64_t clock = id.clock;
  uint8_t info = dec.read_info();
  if (!dec.ok()) return fail("truncated struct");
  StructRef& r = *out;
  r.id = id;
  uint8_t ref = info & kInfoRefMask;
  if (ref == uint8_t(ContentRef::GC)) {
    r.length = dec.read_len();
    r.content = Content::gc(r.length);
  } else if (ref == uint8_t(ContentRef::Skip)) {
    r.length = rest.read_var_uint();
    r.content = Content::skip(r.length);
  } else if (ref > uint8_t(ContentRef::Skip)) {
    return fail("unknown content type");
  } else {
    bool copies_parent = (info & (kInfoOrigin | kInfoRightOrigin)) != 0;
    if (info & kInfoOrigin) {
      r.has_origin = true;
      r.origin = dec.read_left_id();
    }
    if (info & kInfoRightOrigin) {
      r.has_right_origin = true;
      r.right_origin = dec.read_right_id();
    }
    if (!copies_parent) {
      if (dec.read_parent_info()) {
        r.parent_kind = StructRef::ParentKind::Root;
        r.parent_name = dec.read_string();
        if (dec.ok() && doc) doc->get_or_create_root(r.parent_name);
      } else {
        r.parent_kind = StructRef::ParentKind::Id;
        r.parent_id = dec.read_left_id();
      }
      if (info & kInfoParentSub) {
        r.has_parent_sub = true;
        r.parent_sub = dec.read_string();
      }
    }
    if (!dec.ok()) return fail("truncated struct");
    if (!Content::read(dec, ContentRef(ref), &r.content)) return fail("malformed content");
    r.length = r.content.length();
    // A reference to the same client must point to the past.
    if (r.has_origin && r.origin.client == client && r.origin.clock >= clock)
      return fail("origin points to the future");
    if (r.has_right_origin && r.right_origin.client == client && r.right_origin.clock >= clock)
      return fail("right origin points to the future");
    if (r.parent_kind == StructRef::ParentKind::Id && r.parent_id.client == client && r.parent_id.clock >= clock)
      return fail("parent points to the future");
  }
  if (!dec.ok()) return fail("truncated struct");
  if (r.length == 0) return fail("struct of length zero");
  if (clock > lib0::kMaxSafeInteger || r.length > lib0::kMaxSafeInteger - clock) return fail("clock out of range");
  return true;
}

bool read_struct_refs(UpdateDecoder& dec, DocImpl* doc, ClientStructRefs* out, const char** error) {
  lib0::Reader& rest = dec.rest();
  auto fail = [&](const char* why) {
    *error = dec.ok() ? why : dec.error();
    return false;
  };
  uint64_t sections = rest.read_var_uint();
  if (!dec.ok()) return fail("truncated update");
  // Allowance of structs for the whole update.
  uint64_t budget = (rest.remaining() + 16) * kStructsPerInputByte;
  if (sections > rest.remaining()) return fail("client section count exceeds the update size");
  for (uint64_t s = 0; s < sections; ++s) {
    uint64_t count = rest.read_var_uint();
    uint64_t client = dec.read_client();
    uint64_t clock = rest.read_var_uint();
    if (!dec.ok()) return fail("truncated client section");
    if (count > budget) return fail("struct count exceeds the update size");
    budget -= count;
    std::vector<StructRef> refs;
    // Every struct takes at least one byte of the rest stream in v1, so this
    // is the exact count there without trusting the header (StructRefs are
    // large: growing the vector would move every one of them).
    refs.reserve(std::min<uint64_t>(count, rest.remaining() + 1));
    for (uint64_t i = 0; i < count; ++i) {
      StructRef& r = refs.emplace_back();
      if (!read_struct_ref(dec, doc, ID{client, clock}, &r, error)) return false;
      clock += r.length;
    }
    // Like Yjs, a repeated client section replaces the earlier one.
    (*out)[client] = std::move(refs);
  }
  return true;
}

void write_struct_ref(UpdateEncoder& enc, const StructRef& r, uint64_t offset) {
  if (r.is_gc()) {
    enc.write_info(uint8_t(ContentRef::GC));
    enc.write_len(r.length - offset);
    return;
  }
  if (r.is_skip()) {
    enc.write_info(uint8_t(ContentRef::Skip));
    enc.rest().write_var_uint(r.length - offset);
    return;
  }
  bool has_origin = offset > 0 || r.has_origin;
  ID origin = offset > 0 ? ID{r.id.client, r.id.clock + offset - 1} : r.origin;
  uint8_t info = uint8_t(r.content.ref()) | (has_origin ? kInfoOrigin : 0) |
                 (r.has_right_origin ? kInfoRightOrigin : 0) | (r.has_parent_sub ? kInfoParentSub : 0);
  enc.write_info(info);
  if (has_origin) enc.write_left_id(origin);
  if (r.has_right_origin) enc.write_right_id(r.right_origin);
  if (!has_origin && !r.has_right_origin) {
    if (r.parent_kind == StructRef::ParentKind::Root) {
      enc.write_parent_info(true);
      enc.write_string(r.parent_name);
    } else {
      enc.write_parent_info(false);
      enc.write_left_id(r.parent_id);
    }
    if (r.has_parent_sub) enc.write_string(r.parent_sub);
  }
  r.content.write(enc, offset);
}

}  // namespace conflux
