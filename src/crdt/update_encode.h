// Writing the document (or one transaction) as an update.
#pragma once

#include <cstdint>
#include <vector>

#include "doc_impl.h"
#include "update_codec.h"

namespace conflux {

// Writes one stored struct from `offset` ticks on, as Yjs's Item.write does.
void write_item(UpdateEncoder& enc, const Item& item, uint64_t offset);

// Writes the structs of every client the store has beyond `target` (clients
// missing in `target` from clock 0), clients descending.
void write_structs(UpdateEncoder& enc, const StructStore& store, const StateVector& target);
// Writes the structs of the clients in `changed` from the clock given there
// (the clients a transaction changed, with their states before it).
void write_structs_since(UpdateEncoder& enc, const StructStore& store, const StateVector& changed);

// The delete set described by the store (runs of deleted structs).
DeleteSet delete_set_from_store(const StructStore& store);

// Yjs's encodeStateAsUpdate(doc, targetStateVector), pending data included.
std::vector<uint8_t> encode_state_as_update(const DocImpl& doc, const StateVector& target, UpdateFormat fmt);

// The update a transaction produced; false when it changed nothing.
// `*out`'s memory is reused for v1.
bool encode_transaction_update(Transaction& txn, UpdateFormat fmt, std::vector<uint8_t>* out);

// The v1 update of an edit made without a transaction (see
// DocImpl::emit_direct_update): `grown`, the last struct of its client,
// from clock `from` on; and/or the `deleted_len` units from `deleted`. The
// bytes encode_transaction_update writes for the transaction it skipped,
// without walking the store for them. `*out`'s memory is reused.
void encode_direct_update_v1(const Item* grown, uint64_t from, const ID* deleted, uint64_t deleted_len,
                             std::vector<uint8_t>* out);

}  // namespace conflux
