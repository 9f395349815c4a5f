#include "events.h"

namespace conflux {

void call_observers(Transaction& txn) {
  // Observers may change the document (in new transactions); walk a snapshot.
  auto changed = txn.changed;
  for (auto& [type, subs] : changed) {
    if (type == nullptr || type->deleted()) continue;
    if (!txn.local && is_text_like(type->ref) && type->has_formatting) txn.need_formatting_cleanup = true;
    if (type->observers.empty()) continue;
    BranchEvent ev{type, &txn, &subs};
    auto observers = type->observers;
    for (auto& [id, obs] : observers) obs(txn, ev);
  }
}

}  // namespace conflux
