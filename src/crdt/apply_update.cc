#include "apply_update.h"

#include <algorithm>
#include <bit>
#include <optional>

#include "block.h"
#include "struct_ref.h"
#include "update_utils.h"

namespace conflux {

namespace {

// Yjs's getMissing: the client whose structs this one still waits for, or
// nothing; when nothing is missing, resolves neighbours and parent.
std::optional<uint64_t> missing_dependency(Transaction& txn, StructRef& r) {
  if (!r.is_item()) return std::nullopt;
  StructStore& store = txn.doc->store;
  const uint64_t self = r.id.client;
  if (r.has_origin && r.origin.client != self && r.origin.clock >= store.state(r.origin.client))
    return r.origin.client;
  if (r.has_right_origin && r.right_origin.client != self && r.right_origin.clock >= store.state(r.right_origin.client))
    return r.right_origin.client;
  if (r.parent_kind == StructRef::ParentKind::Id && r.parent_id.client != self &&
      r.parent_id.clock >= store.state(r.parent_id.client))
    return r.parent_id.client;

  if (r.has_origin) {
    r.left = store.clean_end(txn, r.origin);
    r.origin = r.left->last_id();
  }
  if (r.has_right_origin) {
    r.right = store.clean_start(txn, r.right_origin);
    r.right_origin = r.right->id();
  }
  if ((r.left && r.left->is_gc()) || (r.right && r.right->is_gc())) {
    r.parent_lost = true;
  } else if (r.parent_kind == StructRef::ParentKind::None) {
    if (r.left) {
      r.parent = r.left->parent;
      r.has_parent_sub = r.left->parent_sub() != nullptr;
      if (r.has_parent_sub) r.parent_sub = *r.left->parent_sub();
    } else if (r.right) {
      r.parent = r.right->parent;
      r.has_parent_sub = r.right->parent_sub() != nullptr;
      if (r.has_parent_sub) r.parent_sub = *r.right->parent_sub();
    }
    if (!r.parent) r.parent_lost = true;
  } else if (r.parent_kind == StructRef::ParentKind::Id) {
    Item* p = store.find(r.parent_id);
    if (!p || p->is_gc() || p->content.ref() != ContentRef::Type) {
      r.parent_lost = true;
    } else {
      r.parent = p->content.type();
    }
  } else {
    r.parent = txn.doc->get_or_create_root(r.parent_name);
  }
  return std::nullopt;
}

void integrate_ref(Transaction& txn, StructRef& r, uint64_t offset) {
  StructStore& store = txn.doc->store;
  if (r.is_gc() || r.parent_lost) {
    store.add(new_gc(store, ID{r.id.client, r.id.clock + offset}, r.length - offset));
    return;
  }
  Item* item = store.new_item();
  item->set_id(r.id);
  item->length = r.length;
  if (offset > 0) {
    item->clock += offset;
    item->length -= offset;
    r.left = store.clean_end(txn, ID{r.id.client, item->clock - 1});
    r.has_origin = true;
    r.origin = r.left->last_id();
    Content tail = r.content.split(offset);
    r.content = std::move(tail);
  }
  item->left = r.left;
  item->right = r.right;
  item->set_origin(r.has_origin ? &r.origin : nullptr);
  item->set_right_origin(r.has_right_origin ? &r.right_origin : nullptr);
  item->parent = r.parent;
  item->set_parent_sub(r.has_parent_sub ? txn.doc->intern(r.parent_sub) : nullptr);
  item->content = std::move(r.content);
  item->flags |= item->content.countable() ? Item::kCountable : 0;
  integrate_item(txn, item);
}

struct ClientRefs {
  std::vector<StructRef> refs;
  size_t i = 0;
};

// Yjs's integrateStructs: integrates what it can, depth-first through
// cross-client dependencies; returns what has to wait.
std::optional<PendingStructs> integrate_structs(Transaction& txn, ClientStructRefs& input) {
  std::map<uint64_t, ClientRefs> targets;
  for (auto& [client, refs] : input) targets[client].refs = std::move(refs);
  std::vector<uint64_t> order;  // ascending; taken from the back
  for (auto& [client, t] : targets) order.push_back(client);
  if (order.empty()) return std::nullopt;

  StructStore& store = txn.doc->store;
  std::map<uint64_t, std::vector<StructRef*>> rest;  // client -> refs that wait
  StateVector missing;
  auto note_missing = [&](uint64_t client, uint64_t clock) {
    auto it = missing.find(client);
    if (it == missing.end() || it->second > clock) missing[client] = clock;
  };
  auto next_target = [&]() -> ClientRefs* {
    while (!order.empty()) {
      ClientRefs& t = targets[order.back()];
      if (t.i < t.refs.size()) return &t;
      order.pop_back();
    }
    return nullptr;
  };
  std::vector<StructRef*> stack;
  auto stack_to_rest = [&]() {
    for (StructRef* r : stack) {
      uint64_t client = r->id.client;
      auto it = targets.find(client);
      if (it != targets.end() && !it->second.refs.empty()) {
        ClientRefs& t = it->second;
        t.i--;
        auto& dst = rest[client];
        dst.clear();
        for (size_t k = t.i; k < t.refs.size(); ++k) dst.push_back(&t.refs[k]);
        // The refs stay owned by `targets`; this client is done.
        t.i = t.refs.size();
      } else {
        rest[client] = {r};
      }
      order.erase(std::remove(order.begin(), order.end(), client), order.end());
    }
    stack.clear();
  };

  ClientRefs* cur = next_target();
  if (!cur) return std::nullopt;
  StructRef* head = &cur->refs[cur->i++];
  StateVector local_state;
  while (true) {
    if (!head->is_skip()) {
      uint64_t client = head->id.client;
      auto ls = local_state.find(client);
      if (ls == local_state.end()) {
        local_state[client] = store.state(client);
        ls = local_state.find(client);
      }
      uint64_t local = ls->second;
      if (local < head->id.clock) {
        stack.push_back(head);
        note_missing(client, head->id.clock - 1);
        stack_to_rest();
      } else if (auto dep = missing_dependency(txn, *head)) {
        stack.push_back(head);
        auto it = targets.find(*dep);
        if (it == targets.end() || it->second.i == it->second.refs.size()) {
          note_missing(*dep, store.state(*dep));
          stack_to_rest();
        } else {
          head = &it->second.refs[it->second.i++];
          continue;
        }
      } else {
        uint64_t offset = local - head->id.clock;
        if (offset < head->length) {
          integrate_ref(txn, *head, offset);
          local_state[client] = head->id.clock + head->length;
        }
      }
    }
    if (!stack.empty()) {
      head = stack.back();
      stack.pop_back();
    } else if (cur && cur->i < cur->refs.size()) {
      head = &cur->refs[cur->i++];
    } else {
      cur = next_target();
      if (!cur) break;
      head = &cur->refs[cur->i++];
    }
  }
  if (rest.empty()) return std::nullopt;

  // Pending structs are kept as a v2 update, as Yjs keeps them.
  auto enc = make_encoder_v2();
  enc->rest().write_var_uint(rest.size());
  for (auto it = rest.rbegin(); it != rest.rend(); ++it) {
    const auto& refs = it->second;
    enc->rest().write_var_uint(refs.size());
    enc->write_client(it->first);
    enc->rest().write_var_uint(refs.front()->id.clock);
    for (const StructRef* r : refs) write_struct_ref(*enc, *r, 0);
  }
  enc->rest().write_var_uint(0);  // no delete set
  return PendingStructs{enc->finish(), std::move(missing)};
}

// Applies a delete set; returns the ranges we do not have yet as a v2 update.
std::optional<std::vector<uint8_t>> apply_delete_set(Transaction& txn, const DeleteSet& ds) {
  StructStore& store = txn.doc->store;
  DeleteSet unapplied;
  // In the order the update lists them, as Yjs applies them.
  for (const auto& [client, ranges] : ds.clients()) {
    uint64_t state = store.state(client);
    BlockList* blocks = store.blocks(client);
    for (const ClockRange& r : ranges) {
      uint64_t clock = r.clock, end = r.end();
      if (clock < state) {
        if (state < end) unapplied.add(client, state, end - state);
        int64_t idx = find_block_index(*blocks, clock);
        Item* b = (*blocks)[size_t(idx)];
        if (!b->deleted() && b->clock < clock) {
          blocks->insert(size_t(idx) + 1, split_item(txn, b, clock - b->clock));
          ++idx;
        }
        while (size_t(idx) < blocks->size()) {
          b = (*blocks)[size_t(idx++)];
          if (b->clock >= end) break;
          if (!b->deleted()) {
            if (end < b->clock + b->length) {
              blocks->insert(size_t(idx), split_item(txn, b, end - b->clock));
            }
            delete_item(txn, b);
          }
        }
      } else {
        unapplied.add(client, clock, end - clock);
      }
    }
  }
  if (unapplied.empty()) return std::nullopt;
  unapplied.sort_and_merge();
  auto enc = make_encoder_v2();
  enc->rest().write_var_uint(0);
  unapplied.write(*enc);
  return enc->finish();
}

// Loading into an empty document (load_update).
//
// The structs of one client section from clock 0 integrate in order with no
// dependency to wait for, so they are decoded straight into items (no
// StructRef staging), and the position indexes, which would otherwise take
// one tree insert per item, are built once from the finished lists. The load
// gives up (changing nothing) on another client's reference, a Skip, or any
// malformed input; the general path then decodes again and reports errors.

// The parent named by a struct without origins (the others copy theirs).
struct LoadParent {
  size_t item;  // index in LoadedUpdate::items
  StructRef::ParentKind kind;
  std::u16string name;  // ParentKind::Root
  ID id;                // ParentKind::Id
  bool has_sub = false;
  std::u16string sub;
};

struct LoadedUpdate {
  StructStore& store;  // of the document loading it, which makes the items
  std::vector<Item*> items;  // in clock order; GC structs already final
  std::optional<ItemSlab> slab;  // the memory of most items, until the store takes it
  // For each item with an origin, the index of the item that the origin ends,
  // or kMidItem when it falls inside one (which will be split), or for the rest.
  static constexpr uint32_t kMidItem = UINT32_MAX;
  std::vector<uint32_t> lefts;
  std::vector<LoadParent> parents;
  DeleteSet ds;
  size_t stored = 0;  // items[0, stored) belong to the store

  explicit LoadedUpdate(StructStore& s) : store(s) {}
  LoadedUpdate(const LoadedUpdate&) = delete;
  LoadedUpdate& operator=(const LoadedUpdate&) = delete;
  ~LoadedUpdate() {
    for (size_t i = stored; i < items.size(); ++i) {
      // Items in a slab the store never took go with it.
      if (slab && slab->owns(items[i])) items[i]->~Item();
      else store.free_item(items[i]);
    }
  }
};

// Sets lefts[item] to the index of the item ending at each origin clock (all
// below ends.back()), or leaves kMidItem.
void resolve_far_origins(const std::vector<uint64_t>& ends, const std::vector<std::pair<uint32_t, uint64_t>>& far,
                         std::vector<uint32_t>* lefts) {
  // When the clocks are dense enough (a few words per item), a bitmap with a
  // bit at each item's last clock answers in constant time: the item is the
  // rank of its bit.
  uint64_t words = ends.back() / 64 + 1;
  if (words <= 4 * uint64_t(ends.size()) + 64) {
    std::vector<uint64_t> bits(words);
    for (uint64_t end : ends) bits[(end - 1) / 64] |= uint64_t(1) << ((end - 1) % 64);
    std::vector<uint32_t> before(words);  // set bits in the words before
    uint32_t count = 0;
    for (uint64_t w = 0; w < words; ++w) {
      before[w] = count;
      count += uint32_t(std::popcount(bits[w]));
    }
    for (auto [item, clock] : far) {
      uint64_t word = bits[clock / 64];
      unsigned bit = unsigned(clock % 64);
      if ((word >> bit) & 1) {
        uint64_t upto = word & ((uint64_t(2) << bit) - 1);  // bits 0..bit (all of them at 63)
        (*lefts)[item] = before[clock / 64] + uint32_t(std::popcount(upto)) - 1;
      }
    }
    return;
  }
  // Sparse clocks (large deleted runs): branch-free binary searches over
  // `ends`, a batch of them in step: each probe waits for memory (the
  // comparisons of a random search would also mispredict), so a batch keeps
  // loads in flight.
  constexpr size_t kBatch = 16;
  for (size_t first = 0; first < far.size(); first += kBatch) {
    size_t m = std::min(kBatch, far.size() - first);
    const std::pair<uint32_t, uint64_t>* q = far.data() + first;
    const uint64_t* base[kBatch];
    for (size_t k = 0; k < m; ++k) base[k] = ends.data();
    for (size_t len = ends.size(); len > 1;) {
      size_t half = len / 2;
      for (size_t k = 0; k < m; ++k) base[k] = base[k][half - 1] <= q[k].second ? base[k] + half : base[k];
      len -= half;
    }
    for (size_t k = 0; k < m; ++k) {
      const uint64_t* at = base[k] + (*base[k] <= q[k].second);  // the first end > the clock
      if (*at == q[k].second + 1) (*lefts)[q[k].first] = uint32_t(at - ends.data());
    }
  }
}

// Decodes the update into `out` when it has the shape above; false otherwise.
// A template so that the v1 decoder's reads inline.
template <class Decoder>
bool decode_structs_for_load(Decoder& dec, LoadedUpdate* out) {
  if (!dec.ok()) return false;
  lib0::Reader& rest = dec.rest();
  if (rest.read_var_uint() != 1) return false;
  uint64_t count = rest.read_var_uint();
  uint64_t client = dec.read_client();
  uint64_t clock = rest.read_var_uint();
  if (!dec.ok() || clock != 0 || count == 0) return false;
  // Each struct takes a byte of the rest stream in v1; v2 compresses, so
  // the reservation is only a guess there.
  out->items.reserve(std::min<uint64_t>(count, rest.remaining() + 1));
  out->slab.emplace(out->items.capacity());
  out->lefts.reserve(out->items.capacity());
  // The clock after each item: origins are searched here, in one small
  // array, rather than in the store, whose search reads an item per probe.
  std::vector<uint64_t> ends;
  ends.reserve(out->items.capacity());
  auto own = [&](ID id) { return id.client == client && id.clock < clock; };
  // Origins other than the previous struct's end, searched once all ends are known.
  std::vector<std::pair<uint32_t, uint64_t>> far;  // (item, origin clock)
  for (uint64_t i = 0; i < count; ++i) {
    if (out->items.size() >= LoadedUpdate::kMidItem) return false;
    uint8_t info = dec.read_info();
    uint8_t ref = info & 0x1f;
    if (!dec.ok() || ref >= uint8_t(ContentRef::Skip)) return false;
    if (ref == uint8_t(ContentRef::GC)) {
      uint64_t len = dec.read_len();
      if (!dec.ok() || len == 0 || len > kMaxClock - clock) return false;
      out->items.push_back(new_gc(out->store, ID{client, clock}, len));
      out->lefts.push_back(LoadedUpdate::kMidItem);
    } else {
      Item* item = out->slab->make();
      if (!item) item = out->store.new_item();
      out->items.push_back(item);
      item->set_id(ID{client, clock});
      if (info & 0x80) {
        ID o = dec.read_left_id();
        if (!own(o)) return false;
        item->set_origin(&o);
        if (ends.back() == o.clock + 1) {  // most often
          out->lefts.push_back(uint32_t(ends.size() - 1));
        } else {
          far.emplace_back(uint32_t(out->lefts.size()), o.clock);
          out->lefts.push_back(LoadedUpdate::kMidItem);
        }
      } else {
        out->lefts.push_back(LoadedUpdate::kMidItem);
      }
      if (info & 0x40) {
        ID o = dec.read_right_id();
        if (!own(o)) return false;
        item->set_right_origin(&o);
      }
      if (!(info & 0xc0)) {
        LoadParent& p = out->parents.emplace_back();
        p.item = out->items.size() - 1;
        if (dec.read_parent_info()) {
          p.kind = StructRef::ParentKind::Root;
          p.name = dec.read_string();
        } else {
          p.kind = StructRef::ParentKind::Id;
          p.id = dec.read_left_id();
          if (!own(p.id)) return false;
        }
        if (info & 0x20) {
          p.has_sub = true;
          p.sub = dec.read_string();
        }
      }
      if (!dec.ok()) return false;
      // Most structs of a text are strings: read without the virtual call.
      bool read = ref == uint8_t(ContentRef::String) ? Content::read_string(dec, &item->content)
                                                      : Content::read(dec, ContentRef(ref), &item->content);
      if (!read) return false;
      uint64_t len = item->content.length();
      if (len > kMaxClock - clock) return false;
      item->length = uint32_t(len);
    }
    uint64_t len = out->items.back()->length;
    if (!dec.ok() || len == 0) return false;
    clock += len;
    ends.push_back(clock);
  }
  if (!DeleteSet::read(dec, &out->ds) || !dec.ok()) return false;
  resolve_far_origins(ends, far, &out->lefts);
  return true;
}

bool decode_for_load(const uint8_t* data, size_t n, UpdateFormat fmt, LoadedUpdate* out) {
  if (fmt == UpdateFormat::V1) {
    DecoderV1 dec(data, n);
    return decode_structs_for_load(dec, out);
  }
  return decode_structs_for_load(*make_decoder_v2(data, n), out);
}

// Builds the position indexes that loading left out, once the lists are final.
struct DeferredIndexes {
  std::vector<Branch*> branches;
  bool active = true;

  void note(Branch* b) {
    if (branches.empty() || branches.back() != b) {
      if (std::find(branches.begin(), branches.end(), b) == branches.end()) branches.push_back(b);
    }
  }
  // From here on items are integrated (and indexed) one by one.
  void build() {
    if (!active) return;
    active = false;
    for (Branch* b : branches) b->index.build(b->start);
  }
};

// integrate_item for a sequence item whose neighbours are already adjacent
// (what loading meets almost always): links it without the YATA scan and
// leaves it out of the position index, which DeferredIndexes builds later.
void link_loaded_item(Transaction& txn, Item* item, Branch*& last_changed) {
  Branch* parent = item->parent;
  Item* left = item->left;
  Item* right;
  if (left) {
    right = left->right;
    left->right = item;
  } else {
    right = parent->start;
    parent->start = item;
  }
  item->right = right;
  if (right) right->left = item;
  if (item->visible_length() > 0) parent->length += item->length;
  txn.doc->store.add(item);
  run_content_hooks(txn, item);
  // Every item of an empty document is new, so whether a type counts as
  // changed does not vary from one of its items to the next.
  if (parent != last_changed) {
    add_changed_type(txn, parent, nullptr);
    last_changed = parent;
  }
  if (parent->item && parent->item->deleted()) delete_item(txn, item);
}

// What the load's delete set does to each item (walked in clock order).
class DeleteFates {
 public:
  enum Fate : uint8_t { kKept, kDeleted, kUnknown };

  DeleteFates(const DeleteSet& ds, uint64_t client) {
    const std::vector<ClockRange>* r = ds.find(client);
    if (!r) return;
    ranges_ = r;
    // Yjs writes them sorted; other orders are left unpredicted.
    for (size_t k = 1; k < r->size() && sorted_; ++k) sorted_ = (*r)[k - 1].end() <= (*r)[k].clock;
  }

  Fate of(const Item* item) {
    if (item->deleted()) return kDeleted;
    if (!ranges_) return kKept;
    if (!sorted_) return kUnknown;
    uint64_t clock = item->clock, end = clock + item->length;
    while (next_ < ranges_->size() && (*ranges_)[next_].end() <= clock) ++next_;
    if (next_ == ranges_->size() || (*ranges_)[next_].clock >= end) return kKept;
    const ClockRange& r = (*ranges_)[next_];
    // Partly deleted: it will be split.
    return r.clock <= clock && r.end() >= end ? kDeleted : kUnknown;
  }

 private:
  const std::vector<ClockRange>* ranges_ = nullptr;
  bool sorted_ = true;
  size_t next_ = 0;
};

// The integration of a LoadedUpdate, as integrate_structs and integrate_ref
// would do it for the same structs.
void integrate_loaded(Transaction& txn, LoadedUpdate& u, DeferredIndexes& deferred) {
  DocImpl& doc = *txn.doc;
  StructStore& store = doc.store;
  store.keep_slab(std::move(*u.slab));
  u.slab.reset();
  for (const LoadParent& p : u.parents) {
    if (p.kind == StructRef::ParentKind::Root) doc.get_or_create_root(p.name);
  }
  auto parent = u.parents.begin();
  Branch* last_changed = nullptr;
  // While no struct has been split, the store holds u.items[0, i) (lost items
  // replaced there too), and an origin ending a struct needs no store lookup.
  bool unsplit = true;
  auto origin_item = [&](size_t i, ID origin) -> Item* {
    if (unsplit && u.lefts[i] != LoadedUpdate::kMidItem) return u.items[u.lefts[i]];
    unsplit = false;
    return store.clean_end(txn, origin);
  };
  bool has_types = false;
  auto integrate_at = [&](size_t i) {
    Item* item = u.items[i];
    u.stored = i + 1;  // the store owns it from here on
    if (item->is_gc()) {
      store.add(item);
      return;
    }
    Item* left = item->has_origin() ? origin_item(i, item->origin()) : nullptr;
    Item* right = nullptr;
    if (item->has_right_origin()) {
      // Usually the item right of the origin, which then needs no lookup.
      Item* next = left ? left->right : nullptr;
      if (next && next->id() == item->right_origin()) {
        right = next;
      } else {
        right = store.clean_start(txn, item->right_origin());
        unsplit = false;  // it may have split
      }
    }
    if (left) item->set_origin(left->last_id());
    if (right) item->set_right_origin(right->id());
    bool lost = (left && left->is_gc()) || (right && right->is_gc());
    const LoadParent* named = parent != u.parents.end() && parent->item == i ? &*parent++ : nullptr;
    if (!lost) {
      if (!named) {
        Item* from = left ? left : right;
        item->parent = from->parent;
        item->set_parent_sub(from->parent_sub());
        lost = item->parent == nullptr;
      } else if (named->kind == StructRef::ParentKind::Id) {
        Item* p = store.find(named->id);
        lost = !p || p->is_gc() || p->content.ref() != ContentRef::Type;
        if (!lost) item->parent = p->content.type();
      } else {
        item->parent = doc.get_or_create_root(named->name);
      }
      if (named && named->has_sub) item->set_parent_sub(doc.intern(named->sub));
    }
    if (lost) {
      ID id = item->id();
      uint64_t length = item->length;
      store.free_item(item);
      u.items[i] = new_gc(store, id, length);
      store.add(u.items[i]);
      return;
    }
    item->left = left;
    item->right = right;
    if (item->content.countable()) item->flags |= Item::kCountable;
    has_types |= item->content.ref() == ContentRef::Type;
    Branch* b = item->parent;
    bool adjacent = left ? left->right == right : right ? right->left == nullptr : b->start == nullptr;
    if (deferred.active && adjacent && !item->parent_sub()) {
      deferred.note(b);
      link_loaded_item(txn, item, last_changed);
      return;
    }
    // Map entries stay out of the position indexes; sequence items need them
    // complete before integrate_item inserts into them.
    if (!item->parent_sub()) deferred.build();
    integrate_item(txn, item);
    last_changed = nullptr;
  };

  // The transaction's cleanup would try to merge every struct with its left
  // neighbour, reading all items once more. Most pairs are ruled out here,
  // while at hand, by what does not change before that merge: origins; which
  // structs are GC (types aside: their collected children turn into GC
  // structs); which items the delete set deletes, and the content of items
  // it keeps (later deletions are other transactions', which merge around
  // them). The rest are listed for the cleanup (merge_structs).
  uint64_t client = u.items[0]->client;
  DeleteFates fates(u.ds, client);
  auto list_if_mergeable = [&](const Item* l, DeleteFates::Fate lf, const Item* r, DeleteFates::Fate rf) {
    bool may;
    if (l->is_gc() || r->is_gc()) {
      may = l->is_gc() && r->is_gc();
    } else {
      may = r->has_origin() && r->origin() == l->last_id() && r->has_right_origin() == l->has_right_origin() &&
            (!r->has_right_origin() || r->right_origin() == l->right_origin());
      if (lf != DeleteFates::kUnknown && rf != DeleteFates::kUnknown) {
        may = may && lf == rf &&
              (lf == DeleteFates::kDeleted || (l->content.ref() == r->content.ref() && l->content.mergeable()));
      }
    }
    if (may) txn.merge_structs.push_back(r->id());
  };
  // Origins point anywhere back in the document: their items are fetched
  // ahead, while earlier ones integrate.
  constexpr size_t kAhead = 8;
  DeleteFates::Fate prev_fate = DeleteFates::kUnknown;
  for (size_t i = 0; i < u.items.size(); ++i) {
    if (i + kAhead < u.items.size() && u.lefts[i + kAhead] != LoadedUpdate::kMidItem) {
      const char* ahead = reinterpret_cast<const char*>(u.items[u.lefts[i + kAhead]]);
      __builtin_prefetch(ahead);
      __builtin_prefetch(ahead + 64);
    }
    integrate_at(i);
    DeleteFates::Fate fate = fates.of(u.items[i]);
    if (i > 0) list_if_mergeable(u.items[i - 1], prev_fate, u.items[i], fate);
    prev_fate = fate;
  }
  // Splits (which list themselves) leave u.items behind the store. Observers
  // writing as the loaded client would append structs the list misses.
  if (unsplit && !has_types && client != doc.client_id) txn.merges_listed = client;
}

// The whole load: integration, delete set, indexes.
void apply_loaded(Transaction& txn, LoadedUpdate& u) {
  DeferredIndexes deferred;
  integrate_loaded(txn, u, deferred);
  txn.doc->pending_ds = apply_delete_set(txn, u.ds);
  // After the deletions, which then did not have to update the indexes.
  deferred.build();
}

struct DecodedUpdate {
  ClientStructRefs structs;
  DeleteSet ds;
};

bool decode_update(const uint8_t* data, size_t n, UpdateFormat fmt, DecodedUpdate* out, std::string* error) {
  auto dec = make_decoder(fmt, data, n);
  const char* why = nullptr;
  if (!dec->ok()) {
    if (error) *error = dec->error() ? dec->error() : "malformed update";
    return false;
  }
  if (!read_struct_refs(*dec, nullptr, &out->structs, &why)) {
    if (error) *error = why ? why : "malformed update";
    return false;
  }
  // A document's items keep 32-bit clocks (see Item); the update utilities,
  // which only rewrite bytes, take any clock Yjs can.
  for (const auto& [client, refs] : out->structs) {
    for (const StructRef& r : refs) {
      if (r.id.clock + r.length > kMaxClock || (r.has_origin && r.origin.clock > kMaxClock) ||
          (r.has_right_origin && r.right_origin.clock > kMaxClock)) {
        if (error) *error = "clock beyond 2^32 - 1, the most a document holds";
        return false;
      }
    }
  }
  if (!DeleteSet::read(*dec, &out->ds) || !dec->ok()) {
    if (error) *error = dec->error() ? dec->error() : "malformed delete set";
    return false;
  }
  return true;
}

void apply_decoded(Transaction& txn, DecodedUpdate& u);

void apply_pending_retry(Transaction& txn, std::vector<uint8_t> update_v2) {
  DecodedUpdate u;
  if (decode_update(update_v2.data(), update_v2.size(), UpdateFormat::V2, &u, nullptr)) apply_decoded(txn, u);
}

void apply_decoded(Transaction& txn, DecodedUpdate& u) {
  DocImpl& doc = *txn.doc;
  // Roots named by the update exist from now on, as when Yjs reads it.
  for (auto& [client, refs] : u.structs) {
    for (const StructRef& r : refs) {
      if (r.parent_kind == StructRef::ParentKind::Root) doc.get_or_create_root(r.parent_name);
    }
  }
  std::optional<PendingStructs> rest = integrate_structs(txn, u.structs);
  bool retry = false;
  if (doc.pending_structs) {
    PendingStructs& pending = *doc.pending_structs;
    for (const auto& [client, clock] : pending.missing) {
      if (clock < doc.store.state(client)) {
        retry = true;
        break;
      }
    }
    if (rest) {
      for (const auto& [client, clock] : rest->missing) {
        auto it = pending.missing.find(client);
        if (it == pending.missing.end() || it->second > clock) pending.missing[client] = clock;
      }
      std::vector<uint8_t> merged;
      if (merge_updates({pending.update_v2, rest->update_v2}, UpdateFormat::V2, &merged))
        pending.update_v2 = std::move(merged);
    }
  } else {
    doc.pending_structs = std::move(rest);
  }

  std::optional<std::vector<uint8_t>> ds_rest = apply_delete_set(txn, u.ds);
  if (doc.pending_ds) {
    DecodedUpdate pds;
    std::optional<std::vector<uint8_t>> ds_rest2;
    if (decode_update(doc.pending_ds->data(), doc.pending_ds->size(), UpdateFormat::V2, &pds, nullptr))
      ds_rest2 = apply_delete_set(txn, pds.ds);
    if (ds_rest && ds_rest2) {
      std::vector<uint8_t> merged;
      if (merge_updates({*ds_rest, *ds_rest2}, UpdateFormat::V2, &merged)) doc.pending_ds = std::move(merged);
    } else {
      doc.pending_ds = ds_rest ? std::move(ds_rest) : std::move(ds_rest2);
    }
  } else {
    doc.pending_ds = std::move(ds_rest);
  }

  if (retry) {
    std::vector<uint8_t> update = std::move(doc.pending_structs->update_v2);
    doc.pending_structs.reset();
    apply_pending_retry(txn, std::move(update));
  }
}

}  // namespace

bool load_update(DocImpl& doc, const uint8_t* data, size_t n, UpdateFormat fmt, const void* origin) {
  if (!doc.store.clients().empty() || doc.pending_structs || doc.pending_ds) return false;
  LoadedUpdate loaded(doc.store);
  if (!decode_for_load(data, n, fmt, &loaded)) return false;
  doc.transact(
      [&](Transaction& txn) {
        txn.local = false;
        apply_loaded(txn, loaded);
      },
      origin, false);
  return true;
}

bool apply_update(DocImpl& doc, const uint8_t* data, size_t n, UpdateFormat fmt, const void* origin,
                  std::string* error) {
  if (load_update(doc, data, n, fmt, origin)) return true;
  DecodedUpdate u;
  if (!decode_update(data, n, fmt, &u, error)) return false;
  doc.transact(
      [&](Transaction& txn) {
        txn.local = false;
        apply_decoded(txn, u);
      },
      origin, false);
  return true;
}

}  // namespace conflux
