// Change events: what a transaction did to each shared type.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "doc_impl.h"

namespace conflux {

struct BranchEvent {
  Branch* target = nullptr;
  Transaction* txn = nullptr;
  // Keys whose value changed; nullptr stands for the sequence.
  const std::vector<const std::u16string*>* subs = nullptr;

  // An item was added by this transaction.
  bool adds(const Item* item) const { return !txn->existed_before(item->id()); }
  // An item was deleted by this transaction.
  bool deletes(const Item* item) const { return txn->delete_set.contains(item->id()); }
};

// Runs the observers of every changed type, and flags the Yjs rich-text
// clean-up for remote changes of formatted texts.
void call_observers(Transaction& txn);

}  // namespace conflux
