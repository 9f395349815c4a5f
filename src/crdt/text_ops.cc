#include "text_ops.h"

#include <algorithm>
#include <cmath>
#include <unordered_set>

#include "block.h"
#include "local_ops.h"
#include "utf.h"

namespace conflux {

namespace {

bool equal_attrs(const AttrValue& a, const AttrValue& b) { return equal_attrs(a.get(), b.get()); }

const AttrValue& null_value() {
  static const AttrValue null = std::make_shared<const Any>(nullptr);
  return null;
}

// `value ?? null`
AttrValue or_null(AttrValue v) { return v == nullptr || v->is_undefined() ? null_value() : v; }

// The value of a key, or nullptr (undefined).
AttrValue attr_get(const AttrMap& m, const std::u16string& key) {
  for (const auto& [k, v] : m) {
    if (k == key) return v;
  }
  return nullptr;
}
void attr_set(AttrMap& m, const std::u16string& key, AttrValue v) {
  for (auto& [k, val] : m) {
    if (k == key) {
      val = v;
      return;
    }
  }
  m.emplace_back(key, v);
}
void attr_erase(AttrMap& m, const std::u16string& key) {
  m.erase(std::remove_if(m.begin(), m.end(), [&](const auto& e) { return e.first == key; }), m.end());
}

bool is_object_like(const Any* v) { return v && (v->is_object() || v->is_array() || v->is_bytes()); }

void update_current_attributes(AttrMap& attrs, const ContentFormat& f) {
  if (f.value->is_null()) attr_erase(attrs, f.key);
  else attr_set(attrs, f.key, f.value);
}

struct TextPos {
  Item* left = nullptr;
  Item* right = nullptr;
  uint64_t index = 0;
  AttrMap attrs;

  void forward() {
    if (right->content.ref() == ContentRef::Format) {
      if (!right->deleted()) update_current_attributes(attrs, right->content.format());
    } else if (!right->deleted()) {
      index += right->length;
    }
    left = right;
    right = right->right;
  }
};

void find_next_position(Transaction& txn, TextPos& pos, uint64_t count) {
  while (pos.right && count > 0) {
    Item* r = pos.right;
    if (r->content.ref() == ContentRef::Format) {
      if (!r->deleted()) update_current_attributes(pos.attrs, r->content.format());
    } else if (!r->deleted()) {
      if (count < r->length) txn.doc->store.clean_start(txn, ID{r->client, r->clock + count});
      pos.index += r->length;
      count -= r->length;
    }
    pos.left = r;
    pos.right = r->right;
  }
}

// Yjs walks from the start for formatted texts (to know the attributes) and
// jumps with its search markers otherwise; the index plays the markers' role.
TextPos find_position(Transaction& txn, Branch* text, uint64_t index, bool may_jump) {
  TextPos pos;
  if (may_jump && !text->has_formatting && index > 0) {
    pos.left = item_ending_at(txn, text, std::min(index, text->length));
    pos.right = pos.left ? pos.left->right : text->start;
    pos.index = std::min(index, text->length);
    return pos;
  }
  pos.right = text->start;
  find_next_position(txn, pos, index);
  return pos;
}

Item* insert_here(Transaction& txn, Branch* text, TextPos& pos, Content content) {
  uint64_t length = content.length();
  Item* item = insert_local_item(txn, text, pos.left, pos.right, nullptr, std::move(content));
  if (item == pos.left) {  // the text grew the run on the left (see insert_local_item)
    pos.index += length;
    return item;
  }
  pos.right = item;
  pos.forward();
  return item;
}

void minimize_attribute_changes(TextPos& pos, const AttrMap& attributes) {
  while (pos.right) {
    Item* r = pos.right;
    bool skip = r->deleted() || (r->content.ref() == ContentRef::Format &&
                                 equal_attrs(or_null(attr_get(attributes, r->content.format().key)),
                                             r->content.format().value));
    if (!skip) break;
    pos.forward();
  }
}

// Inserts a marker for every attribute that changes here; returns the
// negations (the values to restore after the inserted content).
AttrMap insert_attributes(Transaction& txn, Branch* text, TextPos& pos, const AttrMap& attributes) {
  AttrMap negated;
  for (const auto& [key, val] : attributes) {
    AttrValue current = or_null(attr_get(pos.attrs, key));
    if (!equal_attrs(current, val)) {
      attr_set(negated, key, current);
      insert_here(txn, text, pos, Content::format(key, val));
    }
  }
  return negated;
}

void insert_negated_attributes(Transaction& txn, Branch* text, TextPos& pos, AttrMap& negated) {
  while (pos.right) {
    Item* r = pos.right;
    if (r->deleted()) {
      pos.forward();
      continue;
    }
    if (r->content.ref() != ContentRef::Format) break;
    const ContentFormat& f = r->content.format();
    if (!equal_attrs(attr_get(negated, f.key), f.value)) break;
    attr_erase(negated, f.key);
    pos.forward();
  }
  for (const auto& [key, val] : negated) insert_here(txn, text, pos, Content::format(key, val));
}

// Deletes redundant markers between `start` and the next visible content.
void cleanup_formatting_gap(Transaction& txn, Item* start, Item* curr, AttrMap start_attrs, AttrMap& curr_attrs) {
  Item* end = start;
  std::vector<std::pair<std::u16string, const ContentFormat*>> end_formats;
  while (end && (!end->countable() || end->deleted())) {
    if (!end->deleted() && end->content.ref() == ContentRef::Format) {
      const ContentFormat& cf = end->content.format();
      bool found = false;
      for (auto& [k, v] : end_formats) {
        if (k == cf.key) {
          v = &cf;
          found = true;
        }
      }
      if (!found) end_formats.emplace_back(cf.key, &cf);
    }
    end = end->right;
  }
  bool reached_curr = false;
  while (start != end) {
    if (curr == start) reached_curr = true;
    if (!start->deleted() && start->content.ref() == ContentRef::Format) {
      const ContentFormat& cf = start->content.format();
      AttrValue start_value = or_null(attr_get(start_attrs, cf.key));
      const ContentFormat* last_of_key = nullptr;
      for (auto& [k, v] : end_formats) {
        if (k == cf.key) last_of_key = v;
      }
      if (last_of_key != &cf || js_strict_equal(start_value.get(), cf.value.get())) {
        delete_item(txn, start);
        if (!reached_curr && js_strict_equal(or_null(attr_get(curr_attrs, cf.key)).get(), cf.value.get()) &&
            !js_strict_equal(start_value.get(), cf.value.get())) {
          if (start_value->is_null()) attr_erase(curr_attrs, cf.key);
          else attr_set(curr_attrs, cf.key, start_value);
        }
      }
      if (!reached_curr && !start->deleted()) update_current_attributes(curr_attrs, cf);
    }
    start = start->right;
  }
}

void cleanup_contextless_gap(Transaction& txn, Item* item) {
  while (item && item->right && (item->right->deleted() || !item->right->countable())) item = item->right;
  std::vector<std::u16string> seen;
  while (item && (item->deleted() || !item->countable())) {
    if (!item->deleted() && item->content.ref() == ContentRef::Format) {
      const std::u16string& key = item->content.format().key;
      if (std::find(seen.begin(), seen.end(), key) != seen.end()) delete_item(txn, item);
      else seen.push_back(key);
    }
    item = item->left;
  }
}

// Only the gap before the first visible content is cleaned, as in Yjs 13.6.
void cleanup_text_formatting(Transaction& txn, Branch* text) {
  Item* start = text->start;
  Item* end = text->start;
  AttrMap start_attrs;
  AttrMap curr_attrs;
  while (end) {
    if (!end->deleted()) {
      if (end->content.ref() == ContentRef::Format) {
        update_current_attributes(curr_attrs, end->content.format());
      } else {
        cleanup_formatting_gap(txn, start, end, start_attrs, curr_attrs);
        start_attrs = curr_attrs;
        start = end;
      }
    }
    end = end->right;
  }
}

Content chunk_content(TextChunk& chunk) {
  switch (chunk.kind) {
    case TextChunk::Kind::String:
      return Content::string(std::move(chunk.str));
    case TextChunk::Kind::Embed:
      return Content::embed(std::move(chunk.embed));
    case TextChunk::Kind::Type:
      return Content::type(std::move(chunk.type));
  }
  return Content();
}

Branch* insert_text(Transaction& txn, Branch* text, TextPos& pos, TextChunk chunk, AttrMap attributes) {
  for (const auto& [key, val] : pos.attrs) {
    if (!attr_get(attributes, key)) attributes.emplace_back(key, null_value());
  }
  minimize_attribute_changes(pos, attributes);
  AttrMap negated = insert_attributes(txn, text, pos, attributes);
  Item* item = insert_here(txn, text, pos, chunk_content(chunk));
  insert_negated_attributes(txn, text, pos, negated);
  return item->content.ref() == ContentRef::Type ? item->content.type() : nullptr;
}

bool text_has_formatting(const Item* item) { return item->parent && item->parent->has_formatting; }

void delete_text(Transaction& txn, TextPos& pos, uint64_t length) {
  AttrMap start_attrs = pos.attrs;
  Item* start = pos.right;
  while (length > 0 && pos.right) {
    Item* r = pos.right;
    if (!r->deleted()) {
      ContentRef ref = r->content.ref();
      if (ref == ContentRef::Type || ref == ContentRef::Embed || ref == ContentRef::String) {
        if (length < r->length) txn.doc->store.clean_start(txn, ID{r->client, r->clock + length});
        length -= r->length;
        delete_item(txn, r);
      }
    }
    pos.forward();
  }
  // Without a single format item in the text there is nothing to clean up.
  if (start && text_has_formatting(start)) cleanup_formatting_gap(txn, start, pos.right, start_attrs, pos.attrs);
}

void format_text(Transaction& txn, Branch* text, TextPos& pos, uint64_t length, const AttrMap& attributes) {
  minimize_attribute_changes(pos, attributes);
  AttrMap negated = insert_attributes(txn, text, pos, attributes);
  while (pos.right && (length > 0 || (!negated.empty() && (pos.right->deleted() ||
                                                           pos.right->content.ref() == ContentRef::Format)))) {
    Item* r = pos.right;
    if (!r->deleted()) {
      if (r->content.ref() == ContentRef::Format) {
        const ContentFormat& f = r->content.format();
        AttrValue attr = attr_get(attributes, f.key);
        if (attr) {
          if (equal_attrs(attr, f.value)) {
            attr_erase(negated, f.key);
          } else {
            if (length == 0) break;
            attr_set(negated, f.key, f.value);
          }
          delete_item(txn, r);
        } else {
          attr_set(pos.attrs, f.key, f.value);
        }
      } else {
        if (length < r->length) txn.doc->store.clean_start(txn, ID{r->client, r->clock + length});
        length -= std::min<uint64_t>(length, r->length);
      }
    }
    pos.forward();
  }
  if (length > 0) {
    // Yjs pads a format past the end with newlines.
    insert_here(txn, text, pos, Content::string(std::u16string(length, u'\n')));
  }
  insert_negated_attributes(txn, text, pos, negated);
}

}  // namespace

bool equal_attrs(const Any* a, const Any* b) {
  if (js_strict_equal(a, b)) return true;
  if (!is_object_like(a) || !is_object_like(b)) return false;
  if (a->is_object() && b->is_object()) {
    const auto& x = a->as_object();
    const auto& y = b->as_object();
    if (x.size() != y.size()) return false;
    for (const auto& [k, v] : x) {
      const Any* w = b->get(k);
      if (!w || !js_strict_equal(&v, w)) return false;
    }
    return true;
  }
  if (a->is_array() && b->is_array()) {
    const auto& x = a->as_array();
    const auto& y = b->as_array();
    if (x.size() != y.size()) return false;
    for (size_t i = 0; i < x.size(); ++i) {
      if (!js_strict_equal(&x[i], &y[i])) return false;
    }
    return true;
  }
  return false;
}


bool js_strict_equal(const Any* a, const Any* b) {
  if (a == b) return true;
  bool au = a == nullptr || a->is_undefined();
  bool bu = b == nullptr || b->is_undefined();
  if (au || bu) return au && bu;
  if (a->kind() != b->kind()) return false;
  switch (a->kind()) {
    case Any::Kind::Null:
      return true;
    case Any::Kind::Bool:
      return a->as_bool() == b->as_bool();
    case Any::Kind::Number:
      return a->as_number() == b->as_number();  // NaN != NaN, 0 == -0, as in JS
    case Any::Kind::BigInt:
      return a->as_bigint() == b->as_bigint();
    case Any::Kind::String:
      return a->as_string() == b->as_string();
    default:
      return false;  // distinct objects
  }
}

namespace {

// The unit before `index` when the last local insert ended there (see
// Branch::typing_item), or null.
Item* typed_before(const Branch* text, uint64_t index) {
  bool hit = index > 0 && index == text->typing_end && text->typing_version == text->index.version();
  return hit ? text->typing_item : nullptr;
}

// The item holding visible unit `index` and the unit's offset in it, when
// the text's last local edit left that item known (see Branch::typing_item
// and Branch::deleting_item), else from the index.
Item* item_at(const Branch* text, uint64_t index, uint64_t* off) {
  const uint64_t version = text->index.version();
  if (text->deleting_version == version && index >= text->deleting_start &&
      index - text->deleting_start < text->deleting_item->length) {
    *off = index - text->deleting_start;
    return text->deleting_item;
  }
  if (text->typing_version == version && index < text->typing_end &&
      text->typing_end - index <= text->typing_item->length) {
    *off = text->typing_item->length - (text->typing_end - index);
    return text->typing_item;
  }
  return text->index.find(index, off);
}

// A local insert ended at `end` with `item` (`grew`: by growing it in place).
void remember_typing(Branch* text, Item* item, uint64_t end, bool grew) {
  text->typing_grows = grew;
  text->typing_item = item;
  text->typing_end = end;
  text->typing_version = text->index.version();
}

}  // namespace

Branch* text_insert(Transaction& txn, Branch* text, uint64_t index, TextChunk chunk, const AttrMap* attributes) {
  if (chunk.kind == TextChunk::Kind::String && chunk.str.empty()) return nullptr;
  if (chunk.kind == TextChunk::Kind::String && !text->has_formatting && (!attributes || attributes->empty())) {
    // Typing into a text without formatting: no attributes to compare or
    // restore, so of the attribute steps only one has an effect: like Yjs,
    // the new text goes after the deleted items at that position.
    TextPos pos;
    if (Item* typed = typed_before(text, index)) {
      pos.left = typed;
      pos.right = pos.left->right;
    } else {
      pos = find_position(txn, text, index, true);
    }
    while (pos.right && pos.right->deleted()) {
      pos.left = pos.right;
      pos.right = pos.right->right;
    }
    uint64_t length = chunk.str.size();
    Item* item = pos.left;
    bool grew = extend_own_text_run(txn, text, pos.left, pos.right, chunk.str);
    if (!grew) {
      item = insert_new_local_item(txn, text, pos.left, pos.right, nullptr, Content::string(std::move(chunk.str)));
    }
    if (!item->deleted()) remember_typing(text, item, index + length, grew);
    return nullptr;
  }
  TextPos pos = find_position(txn, text, index, attributes == nullptr);
  AttrMap attrs = attributes ? *attributes : pos.attrs;
  return insert_text(txn, text, pos, std::move(chunk), std::move(attrs));
}

namespace {

// The item holding visible units [index, index + length) of a text without
// formatting, with the offset of `index` in it; null when no one item does.
Item* item_holding(const Branch* text, uint64_t index, uint64_t length, uint64_t* off) {
  if (text->has_formatting || index + length > text->length) return nullptr;
  Item* item = item_at(text, index, off);
  return item && *off + length <= item->length ? item : nullptr;
}

// Same right origin (both absent or equal).
bool same_right_origin(const Item* a, const Item* b) {
  if (a->has_right_origin() != b->has_right_origin()) return false;
  return !a->has_right_origin() || a->right_origin() == b->right_origin();
}

// `run` is a collected deleted run that a deleted piece cut off `item` may
// merge with: same client, same right origin, not kept. (Adjacency and the
// origins are the caller's to check, as they depend on the side.)
bool absorbs_deleted_piece(const Item* run, const Item* item) {
  return run->deleted() && run->content.ref() == ContentRef::Deleted && !run->keep() &&
         run->client == item->client && same_right_origin(run, item);
}

// Backspacing (or deleting forward) next to text deleted before: Yjs cuts
// the characters off the item, collects them and, when the transaction ends,
// merges them into the deleted run beside them, which leaves the item shorter
// and the run longer. Here the boundary between the two moves instead, which
// leaves the same structs without making and merging an item. This needs
// the run to be the item's neighbour in both clock and list order, with the
// origins a cut piece would have, and no observer that would see the items
// before the merge. Returns false (nothing changed) when it does not apply.
// `txn` is null for an edit made without a transaction (see
// text_delete_direct): then *deleted gets where the deleted units start.
bool delete_into_deleted_neighbour(DocImpl& doc, Transaction* txn, Branch* text, Item* item, uint64_t off,
                                   uint64_t length, ID* deleted = nullptr) {
  if (!doc.gc || !text->observers.empty() || !doc.after_transaction_observers.empty()) return false;
  if (item->content.ref() != ContentRef::String || item->keep()) return false;
  const TextBuffer& str = item->content.str_buffer();
  const uint64_t client = item->client;
  if (off > 0 && off + length == item->length) {
    // The tail goes to the run on the right, which starts where it ends.
    Item* run = item->right;
    if (!run || !absorbs_deleted_piece(run, item) || run->clock != item->clock + item->length) return false;
    if (!run->has_origin() || !(run->origin() == item->last_id())) return false;
    if (utf::is_high_surrogate(str[off - 1])) return false;  // the cut would rewrite the pair
    item->content.str_buffer().truncate(off);
    item->length = off;
    run->clock -= length;
    run->length += length;
    run->set_origin(item->last_id());
    run->content.set_deleted_length(run->length);
    if (txn) txn->delete_set.add(client, run->clock, length);
    if (deleted) *deleted = run->id();
  } else if (off == 0 && length < item->length) {
    // The head goes to the run on the left, which ends where it starts.
    Item* run = item->left;
    if (!run || !absorbs_deleted_piece(run, item) || run->clock + run->length != item->clock) return false;
    if (!item->has_origin() || !(item->origin() == run->last_id())) return false;
    if (utf::is_high_surrogate(str[length - 1])) return false;
    if (txn) txn->delete_set.add(client, item->clock, length);
    if (deleted) *deleted = item->id();
    item->content.str_buffer().erase_prefix(length);
    item->clock += length;
    item->length -= length;
    run->length += length;
    run->content.set_deleted_length(run->length);
    item->set_origin(run->last_id());
  } else {
    return false;
  }
  text->length -= length;
  if (item->index_leaf) text->index.update(item);
  if (txn) {
    ++txn->settled_delete_ranges;
    ++txn->collected_delete_ranges;
    add_changed_type(*txn, text, nullptr);
  }
  return true;
}

// A delete inside one item of a text without formatting (a backspace, a word
// selected and deleted): one index lookup and one block lookup, where the
// general walk looks the item up again for each cut. The item is cut at the
// end first, so the tail's characters are copied once; the order of the cuts
// cannot show, since a cut rewrites only a surrogate pair it halves and text
// never holds a lone surrogate (it arrives as UTF-8, cuts replace halves).
// The items, the delete set and the merges come out as the general path
// leaves them.
bool delete_inside_item(Transaction& txn, Branch* text, uint64_t index, uint64_t length) {
  uint64_t off = 0;
  Item* item = item_holding(text, index, length, &off);
  if (!item) return false;
  if (delete_into_deleted_neighbour(*txn.doc, &txn, text, item, off, length)) return true;
  if (off > 0 || length < item->length) {
    BlockList& blocks = *txn.doc->store.blocks(item->client);
    size_t i = size_t(find_block_index(blocks, item->clock));
    if (off + length < item->length) blocks.insert(i + 1, split_item(txn, item, off + length));
    if (off > 0) {
      item = split_item(txn, item, off);
      blocks.insert(i + 1, item);
    }
  }
  delete_item(txn, item);
  return true;
}

// A delete inside one item outside any transaction (see text_delete_direct),
// when delete_into_deleted_neighbour does not apply: the cuts, the delete and
// the collection, then the merges the transaction's end would try for them,
// in its order (the deleted range first, then the cut-off parts, last first).
// Plain text only, whose collection leaves nothing behind. *deleted gets
// where the deleted units start.
bool cut_out_deleted_piece(DocImpl& doc, Branch* text, Item* item, uint64_t off, uint64_t length, ID* deleted) {
  if (item->content.ref() != ContentRef::String) return false;
  BlockList& blocks = *doc.store.blocks(item->client);
  size_t i = size_t(find_block_index(blocks, item->clock));
  const uint64_t clock = item->clock;
  bool tail_cut = off + length < item->length;
  if (tail_cut) blocks.insert(i + 1, split_item_unrecorded(doc.store, item, off + length));
  if (off > 0) {
    item = split_item_unrecorded(doc.store, item, off);
    blocks.insert(i + 1, item);
  }
  item->flags |= Item::kDeleted;
  text->length -= length;
  if (item->index_leaf) text->index.update(item);
  if (doc.gc && !item->keep()) item->content = Content::deleted(length);
  *deleted = item->id();
  // A deleted struct joins only a deleted neighbour in the list: with live
  // ones on both sides (a cut in the middle of text) there is none to try.
  bool live_neighbours = (!item->left || !item->left->deleted()) && (!item->right || !item->right->deleted());
  if (!live_neighbours) merge_deleted_range(doc.store, blocks, ClockRange{clock + off, length});
  if (off > 0) merge_split_struct(doc.store, blocks, clock + off);
  if (tail_cut) merge_split_struct(doc.store, blocks, clock + off + length);
  return true;
}

// An edit that makes its own cuts, collection and merges (see the callers)
// leaves a transaction's end nothing to do but to tell the update listeners.
// When nothing else could see the transaction (no observer of the text or of
// transactions, and none open), the edit skips it.
bool only_updates_watch(const Branch* text) {
  const DocImpl& doc = *text->doc;
  return doc.txn == nullptr && doc.cleanups.empty() && text->observers.empty() &&
         doc.after_transaction_observers.empty();
}

}  // namespace

namespace {

// The next keystroke of typing, outside any transaction: the last local
// insert into this text ended at `index` by growing our run, and the index's
// version says nothing in the text has changed since, so the run's neighbours
// and origins still allow it to grow. Only our clock may have moved (edits
// of other types). This is the most frequent edit of all: it checks and
// touches as little as it can.
bool continue_typing(Branch* text, uint64_t index, std::string_view utf8) {
  if (index != text->typing_end || !text->typing_grows || text->typing_version != text->index.version()) {
    return false;
  }
  Item* run = text->typing_item;
  DocImpl& doc = *text->doc;
  const uint64_t state = doc.store.state(doc.client_id);
  if (run->client != doc.client_id || run->clock + run->length != state || utf8.size() > kMaxClock - state) {
    return false;
  }
  const uint64_t units = utf::append_text(utf8, &run->content.str_buffer());
  run->length += units;
  text->length += units;
  text->index.grow(run, units);
  doc.store.grow_last(doc.client_id, state + units);
  text->typing_end = index + units;
  text->typing_version = text->index.version();
  doc.emit_direct_update(run, state, nullptr, 0);
  return true;
}

// Typing at the end of our own last run otherwise (the first keystroke after
// moving there): the run grows (see extend_own_text_run_direct) when it may.
bool grow_typed_run_direct(Branch* text, uint64_t index, std::string_view utf8) {
  // The item ending at the index, if one does (else the insert would cut one).
  uint64_t off = 0;
  Item* left = item_at(text, index - 1, &off);
  if (!left || off + 1 != left->length) return false;
  // Deleted items to the right would come first (see text_insert).
  if (left->right && left->right->deleted()) return false;
  uint64_t before = 0, units = 0;
  if (!extend_own_text_run_direct(*text->doc, text, left, left->right, utf8, &before, &units)) return false;
  remember_typing(text, left, index + units, true);
  text->doc->emit_direct_update(left, before, nullptr, 0);
  return true;
}

// Any other insert into plain text outside any transaction: a new item after
// the unit before `index` (its item cut there if it goes on) and past the
// deleted items that follow, as text_insert places it. A local item between
// neighbours needs no conflict scan, and a new String item no content hook,
// so what is left of a transaction is its end's merges. The new item cannot
// join the struct before it in our clock order: that struct would have to be
// its live left neighbour ending at our clock, which grow_typed_run_direct
// grows instead. The cut-off part gets the merge attempts Yjs makes for it.
void insert_text_item_direct(DocImpl& doc, Branch* text, uint64_t index, std::string_view utf8) {
  Item* left = nullptr;
  bool cut = false;
  ID cut_at;
  if (index > 0) {
    uint64_t off = 0;
    left = item_at(text, index - 1, &off);
    if (off + 1 < left->length) {
      BlockList& blocks = *doc.store.blocks(left->client);
      size_t i = size_t(find_block_index(blocks, left->clock));
      Item* rest = split_item_unrecorded(doc.store, left, off + 1);
      blocks.insert(i + 1, rest);
      cut = true;
      cut_at = rest->id();
    }
  }
  Item* right = left ? left->right : text->start;
  while (right && right->deleted()) {
    left = right;
    right = right->right;
  }
  const uint64_t before = doc.local_clock(utf8.size());  // UTF-8 bytes bound the units
  Item* item = doc.store.new_item();
  item->set_id(ID{doc.client_id, before});
  item->content.assign_string(utf::to_text_buffer(utf8));
  item->length = item->content.str().size();
  item->flags |= Item::kCountable;
  item->parent = text;
  item->left = left;
  item->right = right;
  if (left) {
    ID origin = left->last_id();
    item->set_origin(&origin);
    left->right = item;
  } else {
    text->start = item;
  }
  if (right) {
    item->set_right_origin(right->id());
    right->left = item;
  }
  text->length += item->length;
  text->index.insert_after(left, item);
  doc.store.add(item);
  remember_typing(text, item, index + item->length, false);
  if (cut) merge_split_struct(doc.store, *doc.store.blocks(cut_at.client), cut_at.clock);
  doc.emit_direct_update(item, before, nullptr, 0);
}

}  // namespace

bool text_insert_direct(Branch* text, uint64_t index, std::string_view utf8) {
  if (utf8.empty() || text->has_formatting || !text->doc || !only_updates_watch(text)) return false;
  if (continue_typing(text, index, utf8)) return true;
  if (text->item && text->item->deleted()) return false;  // what is inserted there is deleted at once
  index = std::min(index, text->length);
  if (index > 0 && grow_typed_run_direct(text, index, utf8)) return true;
  insert_text_item_direct(*text->doc, text, index, utf8);
  return true;
}

bool text_delete_direct(Branch* text, uint64_t index, uint64_t length) {
  if (length == 0 || !text->doc || !only_updates_watch(text)) return false;
  uint64_t off = 0;
  Item* item = item_holding(text, index, length, &off);
  if (!item) return false;
  DocImpl& doc = *text->doc;
  ID deleted;
  if (delete_into_deleted_neighbour(doc, nullptr, text, item, off, length, &deleted)) {
    // The item lost its tail or its head: either way it still starts there.
    text->deleting_item = item;
    text->deleting_start = index - off;
    text->deleting_version = text->index.version();
  } else if (!cut_out_deleted_piece(doc, text, item, off, length, &deleted)) {
    return false;
  }
  doc.emit_direct_update(nullptr, 0, &deleted, length);
  return true;
}

void text_delete(Transaction& txn, Branch* text, uint64_t index, uint64_t length) {
  if (length == 0) return;
  if (delete_inside_item(txn, text, index, length)) return;
  TextPos pos = find_position(txn, text, index, true);
  delete_text(txn, pos, length);
}

void text_format(Transaction& txn, Branch* text, uint64_t index, uint64_t length, const AttrMap& attributes) {
  if (length == 0) return;
  TextPos pos = find_position(txn, text, index, false);
  if (!pos.right) return;
  format_text(txn, text, pos, length, attributes);
}

std::vector<DeltaOp> text_to_delta(const Branch* text) {
  std::vector<DeltaOp> ops;
  AttrMap current;
  std::u16string str;
  auto pack = [&]() {
    if (str.empty()) return;
    DeltaOp op;
    op.str = std::move(str);
    op.attributes = current;
    ops.push_back(std::move(op));
    str.clear();
  };
  for (const Item* n = text->start; n; n = n->right) {
    if (n->deleted()) continue;
    switch (n->content.ref()) {
      case ContentRef::String:
        n->content.str().append_to(&str);
        break;
      case ContentRef::Embed:
      case ContentRef::Type: {
        pack();
        DeltaOp op;
        if (n->content.ref() == ContentRef::Embed) op.embed = &n->content.embed_value();
        else op.type = n->content.type();
        op.attributes = current;
        ops.push_back(std::move(op));
        break;
      }
      case ContentRef::Format:
        pack();
        update_current_attributes(current, n->content.format());
        break;
      default:
        break;
    }
  }
  pack();
  return ops;
}

std::u16string text_to_string(const Branch* text) {
  std::u16string s;
  s.reserve(text->length);  // visible units: the string's length, or more with embeds
  for (const Item* n = text->start; n; n = n->right) {
    if (!n->deleted() && n->content.ref() == ContentRef::String) n->content.str().append_to(&s);
  }
  return s;
}

std::string text_to_utf8(const Branch* text) {
  std::string s;
  utf::Utf8Appender out(&s, text->length + 4);  // exact for ASCII, with room for the last piece's slack
  for (const Item* n = text->start; n; n = n->right) {
    if (!n->deleted() && n->content.ref() == ContentRef::String) out.append(n->content.str());
  }
  out.finish();
  return s;
}

void text_apply_delta(Transaction& txn, Branch* text, const std::vector<DeltaOp>& ops,
                      std::vector<BranchPtr>* owned_types) {
  TextPos pos;
  pos.right = text->start;
  size_t next_type = 0;
  for (const DeltaOp& op : ops) {
    switch (op.kind) {
      case DeltaOp::Kind::Insert: {
        TextChunk chunk;
        if (op.type) {
          chunk.kind = TextChunk::Kind::Type;
          if (!owned_types || next_type >= owned_types->size()) continue;
          chunk.type = std::move((*owned_types)[next_type++]);
        } else if (op.embed) {
          chunk.kind = TextChunk::Kind::Embed;
          chunk.embed = *op.embed;
        } else {
          if (op.str.empty()) continue;
          chunk.str = op.str;
        }
        insert_text(txn, text, pos, std::move(chunk), op.attributes);
        break;
      }
      case DeltaOp::Kind::Retain:
        format_text(txn, text, pos, op.count, op.attributes);
        break;
      case DeltaOp::Kind::Delete:
        delete_text(txn, pos, op.count);
        break;
    }
  }
}

void cleanup_text_after_remote_transaction(Transaction& txn) {
  DocImpl& doc = *txn.doc;
  std::vector<Branch*> full;
  auto add_full = [&](Branch* b) {
    if (std::find(full.begin(), full.end(), b) == full.end()) full.push_back(b);
  };
  for (const auto& [client, before] : txn.before_state) {
    BlockList* blocks = doc.store.blocks(client);
    // Yjs splits at the transaction's start clock here (the merge pass joins it back).
    int64_t i = doc.store.clean_start_index(txn, *blocks, before);
    for (size_t k = size_t(i); k < blocks->size(); ++k) {
      Item* b = (*blocks)[k];
      if (!b->deleted() && b->content.ref() == ContentRef::Format && !b->is_gc()) add_full(b->parent);
    }
  }
  doc.transact([&](Transaction& t) {
    for (const auto& [client, ranges] : txn.delete_set.clients()) {
      for (const ClockRange& r : ranges) {
        BlockList* blocks = doc.store.blocks(client);
        if (!blocks) continue;
        // Splits belong to the remote transaction, whose merge pass follows.
        int64_t i = doc.store.clean_start_index(txn, *blocks, r.clock);
        if (i < 0) continue;
        for (size_t k = size_t(i); k < blocks->size(); ++k) {
          Item* b = (*blocks)[k];
          if (b->clock >= r.end()) break;
          if (r.end() < b->clock + b->length) doc.store.clean_start_index(txn, *blocks, r.end());
          if (b->is_gc() || !b->parent->has_formatting) continue;
          if (std::find(full.begin(), full.end(), b->parent) != full.end()) continue;
          if (b->content.ref() == ContentRef::Format) add_full(b->parent);
          else cleanup_contextless_gap(t, b);
        }
      }
    }
    for (Branch* text : full) cleanup_text_formatting(t, text);
  });
}

}  // namespace conflux
