// Helpers shared by the local operations of every type.
#pragma once

#include <string_view>

#include "doc_impl.h"

namespace conflux {

// Creates an item of our own client between `left` and `right` (origin and
// right origin taken from them) and integrates it. Text typed right after our
// own latest text grows that item instead: then `left` itself is returned.
Item* insert_local_item(Transaction& txn, Branch* parent, Item* left, Item* right,
                        const std::u16string* parent_sub, Content content);

// The same, always making a new item (the caller tried growing `left`).
Item* insert_new_local_item(Transaction& txn, Branch* parent, Item* left, Item* right,
                            const std::u16string* parent_sub, Content content);

// The same growth for text typed between `left` and `right` when it applies,
// without making a Content first; false (nothing done) otherwise.
bool extend_own_text_run(Transaction& txn, Branch* parent, Item* left, Item* right, std::u16string_view text);
// The same outside any transaction (see text_insert_direct), from UTF-8;
// *state_before gets our client's state before it, *units the UTF-16 units
// added.
bool extend_own_text_run_direct(DocImpl& doc, Branch* parent, Item* left, Item* right, std::string_view utf8,
                                uint64_t* state_before, uint64_t* units);

// The last item of the parent's sequence, deleted or not.
Item* sequence_last(const Branch* parent);

// Splits (if needed) so that an item ends exactly after visible unit `index-1`
// and returns it; null for index 0. `index` must be <= parent->length.
Item* item_ending_at(Transaction& txn, Branch* parent, uint64_t index);

}  // namespace conflux
