#include "events.h"

namespace conflux {

void call_observers(Transaction& txn) {
  // Observers that change the document do so in new transactions, so this
  // transaction's list of changed types stays as it is.
  for (size_t i = 0; i < txn.changed_count; ++i) {
    auto& [type, subs] = txn.changed[i];
    if (type == nullptr || type->deleted()) continue;
    if (!txn.local && is_text_like(type->ref) && type->has_formatting) txn.need_formatting_cleanup = true;
    if (type->observers.empty()) continue;
    BranchEvent ev{type, &txn, &subs};
    auto observers = type->observers;
    for (auto& [id, obs] : observers) obs(txn, ev);
  }
}

}  // namespace conflux
