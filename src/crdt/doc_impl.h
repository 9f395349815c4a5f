// DocImpl and Transaction: the engine's document state and its unit of change.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "branch.h"
#include "id_set.h"
#include "struct_store.h"

namespace conflux {

class DocImpl;

class Transaction {
 public:
  Transaction(DocImpl* d, bool is_local, const void* o);
  // Makes a finished transaction a new one, keeping its containers' memory:
  // a document runs a transaction per keystroke.
  void reset(bool is_local, const void* o);

  DocImpl* doc;
  bool local;
  const void* origin;
  // The clients whose state this transaction changed, each with its state
  // before (recorded by the store on the first change); every other client's
  // state is what it was when the transaction started.
  StateVector before_state;
  DeleteSet delete_set;
  // IDs of items split in this transaction; they are re-merged at its end.
  std::vector<ID> merge_structs;
  // A load listed in merge_structs every struct of this client that may merge
  // with its left neighbour: the merge passes over ranges skip the client.
  std::optional<uint64_t> merges_listed;
  // Changed types, each with the keys that changed (nullptr = the sequence):
  // the first `changed_count` entries. The ones after are left over from
  // earlier transactions, kept with their memory (one runs per keystroke).
  std::vector<std::pair<Branch*, std::vector<const std::u16string*>>> changed;
  size_t changed_count = 0;
  std::unordered_map<Branch*, size_t> changed_index;  // used once `changed_count` is large
  bool need_formatting_cleanup = false;
  // Local edits made in place leave what collecting and merging at the end
  // would (see delete_into_deleted_neighbour and grew_own_run): the delete
  // set ranges they added, and the clocks our client grew by. Structs that
  // arrive deleted are collected already, but may still merge. When such
  // ranges and growth are all the transaction has, the cleanup skips the
  // passes they need not.
  size_t settled_delete_ranges = 0;    // need neither collecting nor merging
  size_t collected_delete_ranges = 0;  // need no collecting (includes the settled ones)
  uint64_t settled_growth = 0;

  void add_changed_type(Branch* type, const std::u16string* parent_sub);
  // A deleted type's entry becomes a tombstone, skipped when observers run.
  void forget_changed_type(Branch* type);
  // The client's state when this transaction started.
  uint64_t state_before(uint64_t client) const;
  // Existed before this transaction started (and so is not "added" by it).
  bool existed_before(ID id) const { return id.clock < state_before(id.client); }
};

struct PendingStructs {
  std::vector<uint8_t> update_v2;
  StateVector missing;  // client -> smallest clock waited for
};

using UpdateObserver = std::function<void(const std::vector<uint8_t>& update, Transaction& txn)>;

class DocImpl {
 public:
  explicit DocImpl(uint64_t client_id, bool gc = true);
  ~DocImpl();

  uint64_t client_id;
  bool gc;
  StructStore store;
  // Roots in creation order, and by name.
  std::vector<std::pair<const std::u16string*, BranchPtr>> roots;
  std::unordered_map<const std::u16string*, Branch*> root_by_name;

  Transaction* txn = nullptr;
  std::vector<std::unique_ptr<Transaction>> cleanups;
  std::unique_ptr<Transaction> spare_transaction;  // reused by the next transact()
  std::vector<uint8_t> update_buffer;              // reused by the next update event
  static constexpr size_t kKeptUpdateBuffer = 64 * 1024;

  std::optional<PendingStructs> pending_structs;
  std::optional<std::vector<uint8_t>> pending_ds;  // a v2 update holding only a delete set

  std::vector<std::pair<uint64_t, UpdateObserver>> update_observers_v1;
  std::vector<std::pair<uint64_t, UpdateObserver>> update_observers_v2;
  std::vector<std::pair<uint64_t, std::function<void(Transaction&)>>> after_transaction_observers;
  uint64_t next_observer_id = 1;

  // Branches whose items were collected; kept so handles never dangle.
  std::vector<BranchPtr> dead_branches;

  // Interns a key (map key, root name): equal strings give the same pointer.
  const std::u16string* intern(std::u16string_view key);
  // The root of that name, created untyped if new.
  Branch* get_or_create_root(std::u16string_view name);
  // Gives an untyped root its kind (no-op if it already has one). Returns false
  // when the root already has a different kind.
  bool type_root(Branch* root, TypeRef ref);

  // Runs `f` inside a transaction (joins the current one if any).
  void transact(const std::function<void(Transaction&)>& f, const void* origin = nullptr, bool local = true) {
    transact_with([](void* fn, Transaction& t) { (*static_cast<const std::function<void(Transaction&)>*>(fn))(t); },
                  const_cast<void*>(static_cast<const void*>(&f)), origin, local);
  }
  // The same, for a callable given as a function and its context.
  void transact_with(void (*call)(void*, Transaction&), void* fn, const void* origin, bool local);

  // Picks a fresh random client id (after seeing our own id from a remote peer).
  void renew_client_id();
  // The clock at which `units` more local units start: the client's state,
  // under a fresh client id when the current one would pass the 32-bit clocks
  // items keep. A fresh id is what Yjs uses too when one can no longer be
  // continued (it meets its own id from another peer).
  // Throws std::length_error for more than kMaxClock units, which no client
  // could take.
  uint64_t local_clock(uint64_t units) {
    if (units > kMaxClock) throw std::length_error("conflux: one insert holds at most 2^32 - 1 units");
    uint64_t state = store.state(client_id);
    while (units > kMaxClock - state) {
      renew_client_id();
      state = store.state(client_id);
    }
    return state;
  }

  // An edit made without a transaction, which only update listeners could
  // see (see text_insert_direct): tells them its update as the end of a
  // transaction would. `grown`, when not null: our last struct (grown, or
  // made by the edit), whose units from clock `before` on the edit added;
  // `deleted`, when not null: the `deleted_len` units from there that the
  // edit deleted.
  void emit_direct_update(const Item* grown, uint64_t before, const ID* deleted, uint64_t deleted_len) {
    // Inline: most documents that edit this way have no listener at all.
    if (!update_observers_v1.empty() || !update_observers_v2.empty()) {
      emit_update_of_direct_edit(grown, before, deleted, deleted_len);
    }
  }

 private:
  void emit_update_of_direct_edit(const Item* grown, uint64_t before, const ID* deleted, uint64_t deleted_len);
  std::unordered_set<std::u16string> interned_;
  void cleanup_transactions(size_t i);
};

}  // namespace conflux
