#include "update_utils.h"

#include <algorithm>
#include <optional>

#include "id_set.h"
#include "struct_ref.h"

namespace conflux {

namespace {

// Yields the structs of an update in the order they are written.
class StructReader {
 public:
  StructReader(UpdateDecoder& dec, bool skip_skips) : dec_(dec), skip_skips_(skip_skips) {
    sections_ = dec_.rest().read_var_uint();
    if (sections_ > dec_.rest().remaining()) failed_ = true;
    next();
  }
  std::optional<StructRef>& curr() { return curr_; }
  bool failed() const { return failed_ || !dec_.ok(); }
  void next() {
    do {
      curr_.reset();
      if (failed_) return;
      while (left_in_section_ == 0) {
        if (sections_ == 0) return;
        --sections_;
        left_in_section_ = dec_.rest().read_var_uint();
        client_ = dec_.read_client();
        clock_ = dec_.rest().read_var_uint();
        if (!dec_.ok()) {
          failed_ = true;
          return;
        }
      }
      StructRef r;
      const char* err = nullptr;
      if (!read_struct_ref(dec_, nullptr, ID{client_, clock_}, &r, &err)) {
        failed_ = true;
        return;
      }
      clock_ += r.length;
      --left_in_section_;
      curr_ = std::move(r);
    } while (skip_skips_ && curr_ && curr_->is_skip());
  }

 private:
  UpdateDecoder& dec_;
  bool skip_skips_;
  uint64_t sections_ = 0, left_in_section_ = 0, client_ = 0, clock_ = 0;
  bool failed_ = false;
  std::optional<StructRef> curr_;
};

// Buffers each client section so its struct count can precede it.
class SectionWriter {
 public:
  explicit SectionWriter(UpdateEncoder& enc) : enc_(enc) {}
  void write(const StructRef& r, uint64_t offset) {
    if (written_ > 0 && client_ != r.id.client) flush();
    if (written_ == 0) {
      client_ = r.id.client;
      enc_.write_client(r.id.client);
      enc_.rest().write_var_uint(r.id.clock + offset);
    }
    write_struct_ref(enc_, r, offset);
    ++written_;
  }
  void finish() {
    flush();
    enc_.rest().write_var_uint(sections_.size());
    for (auto& [n, bytes] : sections_) {
      enc_.rest().write_var_uint(n);
      enc_.rest().write_raw(bytes);
    }
  }

 private:
  void flush() {
    if (written_ == 0) return;
    sections_.emplace_back(written_, enc_.rest().take());
    written_ = 0;
  }
  UpdateEncoder& enc_;
  uint64_t client_ = 0;
  uint64_t written_ = 0;
  std::vector<std::pair<uint64_t, std::vector<uint8_t>>> sections_;
};

bool try_join(StructRef& a, const StructRef& b) {
  if (a.content.ref() != b.content.ref()) return false;
  if (!a.is_gc() && !a.is_skip()) return false;  // decoded items never join
  a.length += b.length;
  a.content = a.is_gc() ? Content::gc(a.length) : Content::skip(a.length);
  return true;
}

}  // namespace

bool merge_updates(const std::vector<std::vector<uint8_t>>& updates, UpdateFormat fmt, std::vector<uint8_t>* out,
                   const char** error) {
  if (updates.size() == 1) {
    *out = updates[0];
    return true;
  }
  std::vector<std::unique_ptr<UpdateDecoder>> decs;
  std::vector<std::unique_ptr<StructReader>> readers;
  for (const auto& u : updates) {
    decs.push_back(make_decoder(fmt, u.data(), u.size()));
    readers.push_back(std::make_unique<StructReader>(*decs.back(), true));
  }
  auto enc = make_encoder(fmt);
  SectionWriter writer(*enc);
  std::optional<StructRef> cur;  // the struct waiting to be written
  std::vector<StructReader*> active;
  for (auto& r : readers) active.push_back(r.get());
  while (true) {
    for (StructReader* r : active) {
      if (r->failed()) {
        if (error) *error = "malformed update";
        return false;
      }
    }
    std::erase_if(active, [](StructReader* r) { return !r->curr(); });
    std::stable_sort(active.begin(), active.end(), [](StructReader* a, StructReader* b) {
      const StructRef& x = *a->curr();
      const StructRef& y = *b->curr();
      if (x.id.client != y.id.client) return x.id.client > y.id.client;
      if (x.id.clock != y.id.clock) return x.id.clock < y.id.clock;
      return !x.is_skip() && y.is_skip();
    });
    if (active.empty()) break;
    StructReader* r = active[0];
    uint64_t first_client = r->curr()->id.client;
    if (cur) {
      bool iterated = false;
      while (r->curr() && r->curr()->id.clock + r->curr()->length <= cur->id.clock + cur->length &&
             r->curr()->id.client >= cur->id.client) {
        r->next();
        iterated = true;
      }
      if (!r->curr() || r->curr()->id.client != first_client ||
          (iterated && r->curr()->id.clock > cur->id.clock + cur->length)) {
        continue;
      }
      StructRef next = std::move(*r->curr());
      if (first_client != cur->id.client) {
        writer.write(*cur, 0);
        cur = std::move(next);
        r->next();
      } else if (cur->id.clock + cur->length < next.id.clock) {
        if (cur->is_skip()) {
          cur->length = next.id.clock + next.length - cur->id.clock;
          cur->content = Content::skip(cur->length);
          *r->curr() = std::move(next);
        } else {
          writer.write(*cur, 0);
          uint64_t gap = next.id.clock - cur->id.clock - cur->length;
          StructRef skip;
          skip.id = ID{first_client, cur->id.clock + cur->length};
          skip.length = gap;
          skip.content = Content::skip(gap);
          cur = std::move(skip);
          *r->curr() = std::move(next);
        }
      } else {
        uint64_t diff = cur->id.clock + cur->length - next.id.clock;
        if (diff > 0) {
          if (cur->is_skip()) {
            cur->length -= diff;
            cur->content = Content::skip(cur->length);
          } else {
            next = next.slice(diff);
          }
        }
        if (!try_join(*cur, next)) {
          writer.write(*cur, 0);
          cur = std::move(next);
          r->next();
        } else {
          r->next();
        }
      }
    } else {
      cur = std::move(*r->curr());
      r->next();
    }
    while (r->curr() && r->curr()->id.client == first_client &&
           r->curr()->id.clock == cur->id.clock + cur->length && !r->curr()->is_skip()) {
      writer.write(*cur, 0);
      cur = std::move(*r->curr());
      r->next();
    }
  }
  if (cur) writer.write(*cur, 0);
  writer.finish();
  DeleteSet ds;
  for (auto& d : decs) {
    if (!DeleteSet::read(*d, &ds)) {
      if (error) *error = "malformed delete set";
      return false;
    }
  }
  ds.sort_and_merge();
  ds.write(*enc);
  *out = enc->finish();
  return true;
}

bool diff_update(const std::vector<uint8_t>& update, const std::vector<uint8_t>& sv_bytes, UpdateFormat fmt,
                 std::vector<uint8_t>* out, const char** error) {
  StateVector sv;
  if (!decode_state_vector(sv_bytes.data(), sv_bytes.size(), &sv)) {
    if (error) *error = "malformed state vector";
    return false;
  }
  auto dec = make_decoder(fmt, update.data(), update.size());
  StructReader reader(*dec, false);
  auto enc = make_encoder(fmt);
  SectionWriter writer(*enc);
  while (reader.curr()) {
    StructRef& c = *reader.curr();
    uint64_t client = c.id.client;
    auto it = sv.find(client);
    uint64_t sv_clock = it == sv.end() ? 0 : it->second;
    if (c.is_skip()) {
      reader.next();
      continue;
    }
    if (c.id.clock + c.length > sv_clock) {
      writer.write(c, sv_clock > c.id.clock ? sv_clock - c.id.clock : 0);
      reader.next();
      while (reader.curr() && reader.curr()->id.client == client) {
        writer.write(*reader.curr(), 0);
        reader.next();
      }
    } else {
      while (reader.curr() && reader.curr()->id.client == client &&
             reader.curr()->id.clock + reader.curr()->length <= sv_clock) {
        reader.next();
      }
    }
  }
  if (reader.failed()) {
    if (error) *error = "malformed update";
    return false;
  }
  writer.finish();
  DeleteSet ds;
  if (!DeleteSet::read(*dec, &ds)) {
    if (error) *error = "malformed delete set";
    return false;
  }
  ds.write(*enc);
  *out = enc->finish();
  return true;
}

bool convert_update(const std::vector<uint8_t>& update, UpdateFormat from, UpdateFormat to, std::vector<uint8_t>* out,
                    const char** error) {
  auto dec = make_decoder(from, update.data(), update.size());
  StructReader reader(*dec, false);
  auto enc = make_encoder(to);
  SectionWriter writer(*enc);
  while (reader.curr()) {
    writer.write(*reader.curr(), 0);
    reader.next();
  }
  if (reader.failed()) {
    if (error) *error = "malformed update";
    return false;
  }
  writer.finish();
  DeleteSet ds;
  if (!DeleteSet::read(*dec, &ds)) {
    if (error) *error = "malformed delete set";
    return false;
  }
  ds.write(*enc);
  *out = enc->finish();
  return true;
}

}  // namespace conflux
