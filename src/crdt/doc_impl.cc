#include "doc_impl.h"

#include <algorithm>
#include <random>

#include "block.h"
#include "events.h"
#include "text_ops.h"
#include "update_encode.h"

namespace conflux {

Transaction::Transaction(DocImpl* d, bool is_local, const void* o) : doc(d), local(is_local), origin(o) {}

void Transaction::reset(bool is_local, const void* o) {
  local = is_local;
  origin = o;
  before_state.clear();
  delete_set.clear();
  merge_structs.clear();
  merges_listed.reset();
  for (size_t i = 0; i < changed_count; ++i) changed[i].second.clear();
  changed_count = 0;
  if (!changed_index.empty()) changed_index.clear();  // an empty clear still wipes the buckets
  need_formatting_cleanup = false;
  settled_delete_ranges = 0;
  collected_delete_ranges = 0;
  settled_growth = 0;
}

uint64_t Transaction::state_before(uint64_t client) const {
  auto it = before_state.find(client);
  return it != before_state.end() ? it->second : doc->store.state(client);
}

void Transaction::forget_changed_type(Branch* type) {
  if (!changed_index.empty()) {
    auto it = changed_index.find(type);
    if (it == changed_index.end()) return;
    changed[it->second].first = nullptr;
    changed_index.erase(it);
    return;
  }
  for (size_t i = 0; i < changed_count; ++i) {
    if (changed[i].first == type) changed[i].first = nullptr;
  }
}

void Transaction::add_changed_type(Branch* type, const std::u16string* parent_sub) {
  constexpr size_t kLinearLimit = 8;
  size_t at = changed_count;
  if (changed_count <= kLinearLimit) {
    for (size_t i = 0; i < changed_count; ++i) {
      if (changed[i].first == type) {
        at = i;
        break;
      }
    }
  } else {
    if (changed_index.empty()) {
      for (size_t i = 0; i < changed_count; ++i) changed_index.emplace(changed[i].first, i);
    }
    auto [it, inserted] = changed_index.emplace(type, changed_count);
    at = it->second;
  }
  if (at == changed_count) {
    // A new entry, in a left-over slot (its key list already empty) if any.
    if (changed_count == changed.size()) changed.emplace_back(type, std::vector<const std::u16string*>{});
    else changed[changed_count].first = type;
    ++changed_count;
  }
  auto& subs = changed[at].second;
  if (std::find(subs.begin(), subs.end(), parent_sub) == subs.end()) subs.push_back(parent_sub);
}

bool Branch::deleted() const { return item != nullptr && item->deleted(); }

DocImpl::DocImpl(uint64_t id, bool gc_enabled) : client_id(id), gc(gc_enabled) {}

DocImpl::~DocImpl() = default;

const std::u16string* DocImpl::intern(std::u16string_view key) {
  return &*interned_.emplace(key).first;
}

Branch* DocImpl::get_or_create_root(std::u16string_view name) {
  const std::u16string* key = intern(name);
  auto it = root_by_name.find(key);
  if (it != root_by_name.end()) return it->second;
  BranchPtr b(new Branch(TypeRef::Unset));
  b->doc = this;
  b->root_name = key;
  Branch* raw = b.get();
  roots.emplace_back(key, std::move(b));
  root_by_name.emplace(key, raw);
  return raw;
}

bool DocImpl::type_root(Branch* root, TypeRef ref) {
  if (root->ref == ref) return true;
  if (root->ref != TypeRef::Unset) return false;
  root->ref = ref;
  // Yjs builds a fresh typed instance here; what the placeholder learned about
  // formatting does not carry over.
  root->has_formatting = false;
  return true;
}

void DocImpl::renew_client_id() {
  static thread_local std::mt19937_64 rng{std::random_device{}()};
  client_id = rng() & 0xffffffffu;
}

void DocImpl::transact_with(void (*call)(void*, Transaction&), void* fn, const void* origin, bool local) {
  bool initial = false;
  if (txn == nullptr) {
    initial = true;
    if (spare_transaction) {
      spare_transaction->reset(local, origin);
      cleanups.push_back(std::move(spare_transaction));
    } else {
      cleanups.push_back(std::make_unique<Transaction>(this, local, origin));
    }
    txn = cleanups.back().get();
    store.watch_state_changes(&txn->before_state);
  }
  call(fn, *txn);
  if (initial) {
    bool finish = txn == cleanups.front().get();
    txn = nullptr;
    if (finish) cleanup_transactions(0);
  }
}

namespace {

// Calls the update listeners of one format with the update `encode` writes
// into the document's reused buffer (false: nothing to tell).
template <class Encode>
void tell_update_listeners(DocImpl& doc, UpdateFormat fmt, Transaction& t, Encode&& encode) {
  auto& observers = fmt == UpdateFormat::V1 ? doc.update_observers_v1 : doc.update_observers_v2;
  if (observers.empty()) return;
  std::vector<uint8_t> update = std::move(doc.update_buffer);
  if (encode(&update)) {
    for (auto& [id, obs] : observers) obs(update, t);
  }
  // A large update's memory is not kept for the small ones that follow.
  if (update.capacity() <= DocImpl::kKeptUpdateBuffer) doc.update_buffer = std::move(update);
}

}  // namespace

void DocImpl::emit_update_of_direct_edit(const Item* grown, uint64_t before, const ID* deleted,
                                         uint64_t deleted_len) {
  if (spare_transaction) {
    spare_transaction->reset(true, nullptr);
    cleanups.push_back(std::move(spare_transaction));
  } else {
    cleanups.push_back(std::make_unique<Transaction>(this, true, nullptr));
  }
  // Listed as the transaction being cleaned up, so that transactions the
  // listeners start wait for it to end, as they would during a cleanup.
  Transaction& t = *cleanups.back();
  tell_update_listeners(*this, UpdateFormat::V1, t, [&](std::vector<uint8_t>* out) {
    encode_direct_update_v1(grown, before, deleted, deleted_len, out);
    return true;
  });
  if (!update_observers_v2.empty()) {
    // The general encoder reads the edit from the transaction.
    if (grown) t.before_state[client_id] = before;
    if (deleted) t.delete_set.add(deleted->client, deleted->clock, deleted_len);
    tell_update_listeners(*this, UpdateFormat::V2, t, [&](std::vector<uint8_t>* out) {
      return encode_transaction_update(t, UpdateFormat::V2, out);
    });
  }
  if (cleanups.size() > 1) {
    cleanup_transactions(1);  // those the listeners started; keeps the last as the spare
  } else {
    spare_transaction = std::move(cleanups.back());
    cleanups.clear();
  }
}

void DocImpl::cleanup_transactions(size_t i) {
  while (i < cleanups.size()) {
    Transaction& t = *cleanups[i];
    size_t delete_ranges = t.delete_set.range_count();
    bool deletes_settled = t.settled_delete_ranges == delete_ranges;
    bool deletes_collected = t.collected_delete_ranges == delete_ranges;
    t.delete_set.sort_and_merge();

    // Observers see the transaction before anything is collected or merged.
    call_observers(t);
    for (auto& [id, obs] : after_transaction_observers) obs(t);
    if (t.need_formatting_cleanup) cleanup_text_after_remote_transaction(t);

    // Collect deleted content, then merge what can be merged again.
    if (gc && !deletes_collected) {
      for (auto& [client, ranges] : t.delete_set.clients()) {
        BlockList* blocks = store.blocks(client);
        if (!blocks) continue;
        for (size_t di = ranges.size(); di-- > 0;) {
          const ClockRange& r = ranges[di];
          int64_t si = find_block_index(*blocks, r.clock);
          if (si < 0) continue;
          for (size_t k = size_t(si); k < blocks->size(); ++k) {
            Item* b = (*blocks)[k];
            if (b->clock >= r.end()) break;
            if (!b->is_gc() && b->deleted() && !b->keep()) gc_item(*this, b, false);
          }
        }
      }
    }
    for (auto& [client, ranges] : t.delete_set.clients()) {
      BlockList* blocks = store.blocks(client);
      if (!blocks || blocks->empty() || t.merges_listed == client || deletes_settled) continue;
      for (size_t di = ranges.size(); di-- > 0;) merge_deleted_range(store, *blocks, ranges[di]);
    }
    for (const auto& [client, before] : t.before_state) {
      if (t.merges_listed == client) continue;
      if (client == client_id && t.settled_growth > 0 && store.state(client) - before == t.settled_growth) continue;
      BlockList* blocks = store.blocks(client);
      int64_t first = std::max<int64_t>(find_block_index(*blocks, before), 1);
      for (int64_t si = int64_t(blocks->size()) - 1; si >= first;) {
        si -= 1 + int64_t(try_merge_with_lefts(store, *blocks, size_t(si)));
      }
    }
    for (size_t k = t.merge_structs.size(); k-- > 0;) {
      ID id = t.merge_structs[k];
      merge_split_struct(store, *store.blocks(id.client), id.clock);
    }

    // Someone else wrote with our client id: take a fresh one.
    if (!t.local && t.before_state.find(client_id) != t.before_state.end()) renew_client_id();

    for (UpdateFormat fmt : {UpdateFormat::V1, UpdateFormat::V2}) {
      tell_update_listeners(*this, fmt, t, [&](std::vector<uint8_t>* out) {
        return encode_transaction_update(t, fmt, out);
      });
    }
    store.unwatch_state_changes(&t.before_state);
    ++i;
  }
  spare_transaction = std::move(cleanups.back());
  cleanups.clear();
}

}  // namespace conflux
