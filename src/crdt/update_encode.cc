#include "update_encode.h"

#include <algorithm>

#include "update_utils.h"

namespace conflux {

namespace {
constexpr uint8_t kInfoOrigin = 0x80;
constexpr uint8_t kInfoRightOrigin = 0x40;
constexpr uint8_t kInfoParentSub = 0x20;
}  // namespace

void write_item(UpdateEncoder& enc, const Item& item, uint64_t offset) {
  if (item.is_gc()) {
    enc.write_info(uint8_t(ContentRef::GC));
    enc.write_len(item.length - offset);
    return;
  }
  bool has_origin = offset > 0 || item.has_origin();
  ID origin = offset > 0 ? ID{item.client, item.clock + offset - 1} : item.origin();
  uint8_t info = uint8_t(item.content.ref()) | (has_origin ? kInfoOrigin : 0) |
                 (item.has_right_origin() ? kInfoRightOrigin : 0) | (item.parent_sub() ? kInfoParentSub : 0);
  enc.write_info(info);
  if (has_origin) enc.write_left_id(origin);
  if (item.has_right_origin()) enc.write_right_id(item.right_origin());
  if (!has_origin && !item.has_right_origin()) {
    const Branch* parent = item.parent;
    if (parent->item == nullptr) {
      enc.write_parent_info(true);
      enc.write_string(*parent->root_name);
    } else {
      enc.write_parent_info(false);
      enc.write_left_id(parent->item->id());
    }
    if (item.parent_sub()) enc.write_string(*item.parent_sub());
  }
  item.content.write(enc, offset);
}

namespace {

// One client's section: its structs from clock `from` on, the first one cut there.
void write_client_structs(UpdateEncoder& enc, const StructStore& store, uint64_t client, uint64_t from) {
  const BlockList& blocks = *store.blocks(client);
  uint64_t clock = std::max<uint64_t>(from, blocks.front()->clock);
  size_t start = size_t(find_block_index(blocks, clock));
  enc.rest().write_var_uint(blocks.size() - start);
  enc.write_client(client);
  enc.rest().write_var_uint(clock);
  write_item(enc, *blocks[start], clock - blocks[start]->clock);
  for (size_t i = start + 1; i < blocks.size(); ++i) write_item(enc, *blocks[i], 0);
}

}  // namespace

void write_structs(UpdateEncoder& enc, const StructStore& store, const StateVector& target) {
  // client, start clock; kept between calls (one per transaction) to save
  // an allocation per update.
  thread_local std::vector<std::pair<uint64_t, uint64_t>> sections;
  sections.clear();
  for (const auto& [client, blocks] : store.clients()) {
    if (blocks.empty()) continue;
    uint64_t state = blocks.back()->clock + blocks.back()->length;
    auto it = target.find(client);
    uint64_t from = it == target.end() ? 0 : it->second;
    if (state > from) sections.emplace_back(client, from);
  }
  std::sort(sections.begin(), sections.end(), [](const auto& a, const auto& b) { return a.first > b.first; });
  enc.rest().write_var_uint(sections.size());
  for (const auto& [client, from] : sections) write_client_structs(enc, store, client, from);
}

void write_structs_since(UpdateEncoder& enc, const StructStore& store, const StateVector& changed) {
  // The changed clients are few (usually one), and in the order Yjs writes
  // them once reversed: StateVector is sorted by client, Yjs writes descending.
  enc.rest().write_var_uint(changed.size());
  for (auto it = changed.end(); it != changed.begin();) {
    --it;
    write_client_structs(enc, store, it->first, it->second);
  }
}

DeleteSet delete_set_from_store(const StructStore& store) {
  DeleteSet ds;
  for (const auto& [client, blocks] : store.clients()) {
    for (size_t i = 0; i < blocks.size(); ++i) {
      if (!blocks[i]->deleted()) continue;
      uint64_t clock = blocks[i]->clock;
      uint64_t len = blocks[i]->length;
      while (i + 1 < blocks.size() && blocks[i + 1]->deleted()) len += blocks[++i]->length;
      ds.ranges_of(client).push_back(ClockRange{clock, len});
    }
  }
  return ds;
}

std::vector<uint8_t> encode_state_as_update(const DocImpl& doc, const StateVector& target, UpdateFormat fmt) {
  auto enc = make_encoder(fmt);
  write_structs(*enc, doc.store, target);
  delete_set_from_store(doc.store).write(*enc);
  std::vector<uint8_t> plain = enc->finish();
  if (!doc.pending_ds && !doc.pending_structs) return plain;

  // Pending data is kept as v2 updates; Yjs merges it into the answer.
  std::vector<std::vector<uint8_t>> parts;
  parts.push_back(std::move(plain));
  auto add_v2 = [&](const std::vector<uint8_t>& v2) {
    if (fmt == UpdateFormat::V2) {
      parts.push_back(v2);
    } else {
      std::vector<uint8_t> v1;
      if (convert_update(v2, UpdateFormat::V2, UpdateFormat::V1, &v1)) parts.push_back(std::move(v1));
    }
  };
  if (doc.pending_ds) add_v2(*doc.pending_ds);
  if (doc.pending_structs) {
    std::vector<uint8_t> diff;
    if (diff_update(doc.pending_structs->update_v2, encode_state_vector(target), UpdateFormat::V2, &diff)) add_v2(diff);
  }
  if (parts.size() == 1) return std::move(parts[0]);
  std::vector<uint8_t> merged;
  if (!merge_updates(parts, fmt, &merged)) return std::move(parts[0]);
  return merged;
}

void encode_direct_update_v1(const Item* grown, uint64_t from, const ID* deleted, uint64_t deleted_len,
                             std::vector<uint8_t>* out) {
  EncoderV1 enc(std::move(*out));
  lib0::Writer& w = enc.rest();
  if (grown) {
    // As write_structs_since for one client whose one struct changed.
    w.write_var_uint(1);
    w.write_var_uint(1);
    enc.write_client(grown->client);
    w.write_var_uint(from);
    write_item(enc, *grown, from - grown->clock);
  } else {
    w.write_var_uint(0);
  }
  if (deleted) {
    // As DeleteSet::write for one range.
    w.write_var_uint(1);
    w.write_repeated_var_uint(deleted->client);
    w.write_var_uint(1);
    w.write_var_uint(deleted->clock);
    w.write_var_uint(deleted_len);
  } else {
    w.write_var_uint(0);
  }
  *out = enc.finish();
}

bool encode_transaction_update(Transaction& txn, UpdateFormat fmt, std::vector<uint8_t>* out) {
  if (txn.delete_set.empty() && txn.before_state.empty()) return false;
  auto write = [&](UpdateEncoder& enc) {
    write_structs_since(enc, txn.doc->store, txn.before_state);
    txn.delete_set.write(enc);
    *out = enc.finish();
  };
  if (fmt == UpdateFormat::V1) {
    // A transaction per keystroke: no encoder on the heap.
    EncoderV1 enc(std::move(*out));
    write(enc);
  } else {
    write(*make_encoder_v2());
  }
  return true;
}

}  // namespace conflux
