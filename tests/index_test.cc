// The engine's position and block indexes against plain vectors: random
// inserts, removals and length changes, checked after every step.
#include <algorithm>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include <catch2/catch.hpp>

#include "block_list.h"
#include "item.h"
#include "seq_index.h"

namespace conflux {
namespace {

// Links order[i] and its neighbours as the engine's list would be: the
// index walks left from an item it does not hold.
void relink(std::vector<Item*>& order, size_t i) {
  size_t from = i == 0 ? 0 : i - 1;
  size_t to = std::min(order.size(), i + 2);
  for (size_t k = from; k < to; ++k) {
    order[k]->left = k == 0 ? nullptr : order[k - 1];
    order[k]->right = k + 1 == order.size() ? nullptr : order[k + 1];
  }
}

TEST_CASE("SeqIndex finds positions and items like a linear scan", "[index]") {
  std::mt19937_64 rng(7);
  std::vector<std::unique_ptr<Item>> pool;
  std::vector<Item*> order;  // the model: items in list order
  SeqIndex index;
  auto make_item = [&] {
    pool.push_back(std::make_unique<Item>());
    Item* item = pool.back().get();
    item->length = 1 + rng() % 5;
    item->flags = rng() % 4 == 0 ? Item::kDeleted : Item::kCountable;
    return item;
  };
  for (int step = 0; step < 20000; ++step) {
    int op = int(rng() % 10);
    if (order.empty() || op < 6) {
      size_t at = rng() % (order.size() + 1);
      Item* item = make_item();
      order.insert(order.begin() + ptrdiff_t(at), item);
      relink(order, at);
      index.insert_after(item->left, item);
    } else if (op < 8) {
      size_t at = rng() % order.size();
      index.remove(order[at]);
      order.erase(order.begin() + ptrdiff_t(at));
      if (!order.empty()) relink(order, std::min(at, order.size() - 1));
    } else {
      Item* item = order[rng() % order.size()];
      item->flags = Item::kDeleted;  // deletion is for good
      index.update(item);
    }
    if (step % 97 != 0 && step < 19990) continue;
    // Full comparison now and then (it is quadratic).
    size_t visible = 0;
    for (Item* item : order) visible += item->visible_length() > 0;
    REQUIRE(index.size() == visible);
    uint64_t pos = 0;
    for (Item* item : order) {
      REQUIRE((item->index_leaf != nullptr) == (item->visible_length() > 0));
      REQUIRE(index.position_of(item) == pos);
      for (uint64_t k = 0; k < item->visible_length(); ++k) {
        uint64_t offset = 99;
        REQUIRE(index.find(pos + k, &offset) == item);
        REQUIRE(offset == k);
      }
      pos += item->visible_length();
    }
    REQUIRE(index.total() == pos);
    uint64_t offset;
    REQUIRE(index.find(pos, &offset) == nullptr);
  }
  index.clear();
  for (Item* item : order) REQUIRE(item->index_leaf == nullptr);
}

TEST_CASE("SeqIndex answers finds between length changes near and far like a linear scan", "[index]") {
  // find() remembers its last leaf, and a length change inside that leaf
  // keeps it: a change, then a find, at every step.
  std::mt19937_64 rng(23);
  std::vector<std::unique_ptr<Item>> pool;
  std::vector<Item*> order;
  SeqIndex index;
  for (int i = 0; i < 400; ++i) {
    pool.push_back(std::make_unique<Item>());
    Item* item = pool.back().get();
    item->length = 1 + rng() % 4;
    item->flags = Item::kCountable;
    index.insert_after(order.empty() ? nullptr : order.back(), item);
    order.push_back(item);
    relink(order, order.size() - 1);
  }
  size_t near = 0;
  for (int step = 0; step < 20000; ++step) {
    // Mostly next to the last change, as typing and backspacing are.
    size_t at = rng() % 4 == 0 ? rng() % order.size() : std::min(order.size() - 1, near + rng() % 3);
    near = at;
    Item* item = order[at];
    int op = int(rng() % 3);
    if (op == 0) {
      item->length += 1 + rng() % 3;
    } else if (op == 1 && item->length > 1) {
      item->length -= 1;
    } else if (item->visible_length() > 0) {
      // Deleted for good; a fresh item after it keeps the count up.
      item->flags = Item::kDeleted;
      index.update(item);
      pool.push_back(std::make_unique<Item>());
      Item* fresh = pool.back().get();
      fresh->length = 1 + rng() % 4;
      fresh->flags = Item::kCountable;
      order.insert(order.begin() + ptrdiff_t(at) + 1, fresh);
      relink(order, at + 1);
      index.insert_after(item, fresh);
      item = fresh;
    }
    index.update(item);
    uint64_t total = 0;
    for (Item* it : order) total += it->visible_length();
    REQUIRE(index.total() == total);
    if (total == 0) continue;
    for (int probe = 0; probe < 3; ++probe) {
      uint64_t pos = probe == 2 ? index.position_of(item) : rng() % total;
      uint64_t rest = pos;
      Item* want = nullptr;
      for (Item* it : order) {
        if (rest < it->visible_length()) {
          want = it;
          break;
        }
        rest -= it->visible_length();
      }
      uint64_t offset = 99;
      INFO("step " << step << " pos " << pos);
      REQUIRE(index.find(pos, &offset) == want);
      if (want) REQUIRE(offset == rest);  // a deleted last item's position is the end
    }
  }
}

// The first difference between `index` and the items in list order `order`
// (positions, the items at each one's first and last unit, the total), or ""
// when there is none. One REQUIRE per check keeps a full check cheap.
std::string mismatch(const SeqIndex& index, const std::vector<Item*>& order) {
  size_t visible = 0;
  for (Item* item : order) visible += item->visible_length() > 0;
  if (index.size() != visible) return "size " + std::to_string(index.size()) + ", not " + std::to_string(visible);
  uint64_t pos = 0;
  for (size_t i = 0; i < order.size(); ++i) {
    Item* item = order[i];
    std::string at = " of item " + std::to_string(i) + " at " + std::to_string(pos);
    if (!item->index_leaf != (item->visible_length() == 0)) return "indexed when it should not be, or not" + at;
    if (index.position_of(item) != pos) return "position " + std::to_string(index.position_of(item)) + at;
    uint64_t len = item->visible_length();
    for (uint64_t k : {uint64_t{0}, len - 1}) {
      uint64_t offset = 99;
      if (len > 0 && (index.find(pos + k, &offset) != item || offset != k)) {
        return "find at offset " + std::to_string(k) + at;
      }
    }
    pos += len;
  }
  if (index.total() != pos) return "total " + std::to_string(index.total()) + ", not " + std::to_string(pos);
  uint64_t offset;
  if (index.find(pos, &offset) != nullptr) return "an item past the end";
  return "";
}

struct ItemPool {
  std::vector<std::unique_ptr<Item>> items;
  Item* make(uint64_t length, uint8_t flags = Item::kCountable) {
    items.push_back(std::make_unique<Item>());
    items.back()->length = length;
    items.back()->flags = flags;
    return items.back().get();
  }
};

// The bytes of one leaf, and how many items it holds, as the index shows them.
struct LeafShape {
  size_t bytes = 0;
  size_t capacity = 0;
};

LeafShape leaf_shape() {
  ItemPool pool;
  SeqIndex index;
  Item* last = nullptr;
  LeafShape shape;
  for (;;) {
    Item* item = pool.make(1);
    index.insert_after(last, item);
    last = item;
    if (shape.bytes == 0) shape.bytes = index.node_bytes();
    if (index.node_bytes() != shape.bytes) break;  // the root leaf split
    shape.capacity = index.size();
  }
  index.clear();
  return shape;
}

TEST_CASE("SeqIndex stays a linear list through inserts removals cuts merges and length changes", "[index]") {
  std::mt19937_64 rng(31);
  ItemPool pool;
  std::vector<Item*> order;
  SeqIndex index;
  auto random_flags = [&] { return uint8_t(rng() % 4 == 0 ? Item::kDeleted : Item::kCountable); };
  size_t cursor = 0;
  bool growing = true;
  size_t most = 0;
  for (int step = 0; step < 12000; ++step) {
    // The size swings between a few items and several tree levels' worth, so
    // leaves and inner nodes split, even out, join and disappear.
    if (order.size() >= 700) growing = false;
    if (order.size() <= 10) growing = true;
    most = std::max(most, order.size());
    // Mostly next to the last edit, as typing is, sometimes anywhere.
    if (order.empty() || rng() % 5 == 0) cursor = order.empty() ? 0 : rng() % order.size();
    cursor = std::min(cursor + rng() % 2, order.empty() ? 0 : order.size() - 1);
    int op = int(rng() % 12);
    INFO("step " << step << " op " << op << " size " << order.size());
    if (order.empty() || op < (growing ? 5 : 2)) {
      size_t at = rng() % 8 == 0 ? 0 : std::min(cursor + 1, order.size());
      Item* item = pool.make(1 + rng() % 6, random_flags());
      order.insert(order.begin() + ptrdiff_t(at), item);
      relink(order, at);
      index.insert_after(item->left, item);
    } else if (op < (growing ? 6 : 7)) {
      index.remove(order[cursor]);
      order.erase(order.begin() + ptrdiff_t(cursor));
      if (!order.empty()) relink(order, std::min(cursor, order.size() - 1));
    } else if (op == 7) {
      // Cut an item in two.
      Item* left = order[cursor];
      if (left->length < 2) continue;
      Item* right = pool.make(0, left->flags);
      uint64_t keep = 1 + rng() % (left->length - 1);
      right->length = left->length - keep;
      left->length = keep;
      order.insert(order.begin() + ptrdiff_t(cursor) + 1, right);
      relink(order, cursor + 1);
      if (left->index_leaf) index.insert_split(left, right);  // as the engine calls it
    } else if (op == 8) {
      // Merge an item with its right neighbour of the same kind.
      if (cursor + 1 >= order.size() || order[cursor]->flags != order[cursor + 1]->flags) continue;
      Item* left = order[cursor];
      Item* right = order[cursor + 1];
      left->length += right->length;
      if (right->index_leaf) index.merge_into(left, right);  // as the engine calls it
      order.erase(order.begin() + ptrdiff_t(cursor) + 1);
      relink(order, cursor);
    } else if (op == 9) {
      Item* item = order[cursor];
      if (rng() % 2) item->flags = Item::kDeleted;  // deletion is for good
      else item->length = 1 + rng() % 6;
      index.update(item);
    } else {
      // Typing into a visible item.
      Item* item = order[cursor];
      if (item->visible_length() == 0) continue;
      for (int keys = int(rng() % 4); keys >= 0; --keys) {
        item->length += 1;
        index.grow(item, 1);
      }
    }
    REQUIRE(mismatch(index, order) == "");
  }
  REQUIRE(most >= 700);
  index.clear();
  for (Item* item : order) REQUIRE(item->index_leaf == nullptr);
}

TEST_CASE("SeqIndex build packs its leaves full", "[index]") {
  LeafShape leaf = leaf_shape();
  REQUIRE(leaf.capacity >= 4);
  // A whole number of full leaves under a few inner nodes (a tenth of the
  // bytes); with leaves filled to three quarters it would take a third more.
  const size_t leaves = 200;
  ItemPool pool;
  std::vector<Item*> order;
  // Every fourth item deleted, which the index leaves out.
  for (size_t i = 0; i < leaves * leaf.capacity * 4 / 3; ++i) {
    Item* item = pool.make(1 + i % 3, i % 4 == 0 ? Item::kDeleted : Item::kCountable);
    if (!order.empty()) {
      order.back()->right = item;
      item->left = order.back();
    }
    order.push_back(item);
  }
  SeqIndex index;
  index.build(order.front());
  REQUIRE(mismatch(index, order) == "");
  INFO("node bytes " << index.node_bytes() << ", a leaf's " << leaf.bytes);
  REQUIRE(index.node_bytes() >= leaves * leaf.bytes);
  REQUIRE(index.node_bytes() < leaves * leaf.bytes * 5 / 4);
  // Edits after a load: full leaves split or hand items on.
  std::mt19937_64 rng(5);
  for (int step = 0; step < 500; ++step) {
    size_t at = rng() % (order.size() + 1);
    Item* item = pool.make(1 + rng() % 3);
    order.insert(order.begin() + ptrdiff_t(at), item);
    relink(order, at);
    index.insert_after(item->left, item);
    if (step % 50 == 0) REQUIRE(mismatch(index, order) == "");
  }
  REQUIRE(mismatch(index, order) == "");
}

TEST_CASE("SeqIndex leaves filled by typing forward or backward stay nearly full", "[index]") {
  LeafShape leaf = leaf_shape();
  const size_t leaves = 100;
  for (bool backward : {false, true}) {
    INFO((backward ? "backward" : "forward"));
    ItemPool pool;
    std::vector<Item*> order;
    SeqIndex index;
    // Always after the same item: each new one goes before the last (typing
    // backward, which fills the leaves' right neighbours), or at the end.
    Item* first = pool.make(1);
    index.insert_after(nullptr, first);
    order.push_back(first);
    for (size_t i = 1; i < leaves * leaf.capacity; ++i) {
      Item* item = pool.make(1);
      if (backward) {
        index.insert_after(first, item);
        order.insert(order.begin() + 1, item);
      } else {
        index.insert_after(order.back(), item);
        order.push_back(item);
      }
    }
    REQUIRE(mismatch(index, order) == "");
    // Splitting alone would leave every leaf half full (twice the leaves).
    INFO("node bytes " << index.node_bytes() << ", a leaf's " << leaf.bytes);
    REQUIRE(index.node_bytes() < leaves * leaf.bytes * 4 / 3);
  }
}

TEST_CASE("SeqIndex leaves emptied by removals join their neighbours", "[index]") {
  LeafShape leaf = leaf_shape();
  const size_t leaves = 100;
  ItemPool pool;
  std::vector<Item*> order;
  SeqIndex index;
  for (size_t i = 0; i < leaves * leaf.capacity; ++i) {
    Item* item = pool.make(2);
    index.insert_after(order.empty() ? nullptr : order.back(), item);
    order.push_back(item);
  }
  size_t full = index.node_bytes();
  // Three of every four items go, spread evenly: no leaf empties, but each
  // is left with a quarter of its items.
  std::vector<Item*> kept;
  for (size_t i = 0; i < order.size(); ++i) {
    if (i % 4 == 0) {
      kept.push_back(order[i]);
    } else {
      index.remove(order[i]);
    }
  }
  order = kept;
  REQUIRE(mismatch(index, order) == "");
  INFO("node bytes " << index.node_bytes() << " from " << full);
  REQUIRE(index.node_bytes() < full / 2);
  // Merges of neighbours (removals inside one leaf) shrink leaves too.
  while (order.size() > 1) {
    Item* left = order[order.size() - 2];
    left->length += order.back()->length;
    index.merge_into(left, order.back());
    order.pop_back();
    if (order.size() % 37 == 0) REQUIRE(mismatch(index, order) == "");
  }
  REQUIRE(mismatch(index, order) == "");
  REQUIRE(index.node_bytes() == leaf.bytes);
  index.remove(order.back());
  order.clear();
  REQUIRE(mismatch(index, order) == "");
  REQUIRE(index.node_bytes() == leaf.bytes);
}

TEST_CASE("BlockList behaves as a vector under clustered and scattered edits", "[index]") {
  std::mt19937_64 rng(11);
  std::vector<std::unique_ptr<Item>> pool;
  std::vector<Item*> model;
  BlockList list;
  size_t cursor = 0;
  int multi_chunk_checks = 0;
  for (int step = 0; step < 50000; ++step) {
    pool.push_back(std::make_unique<Item>());
    Item* item = pool.back().get();
    int op = int(rng() % 10);
    // Mostly near the last edit (as documents edit), sometimes anywhere.
    if (rng() % 8 == 0 || cursor > model.size()) cursor = rng() % (model.size() + 1);
    else cursor = std::min(model.size(), cursor + rng() % 3);
    if (op < 3) {
      list.push_back(item);
      model.push_back(item);
    } else if (op < 8 || model.empty()) {
      list.insert(cursor, item);
      model.insert(model.begin() + ptrdiff_t(cursor), item);
    } else {
      size_t first = std::min(cursor, model.size() - 1);
      // Now and then, once the list spans chunks, a long range across them.
      bool long_range = model.size() > 3000 && rng() % 50 == 0;
      size_t last = std::min(model.size(), first + 1 + (long_range ? rng() % 2000 : rng() % 3));
      list.erase(first, last);
      model.erase(model.begin() + ptrdiff_t(first), model.begin() + ptrdiff_t(last));
    }
    REQUIRE(list.size() == model.size());
    if (step % 101 == 0) {
      for (size_t i = 0; i < model.size(); ++i) REQUIRE(list[i] == model[i]);
      // Chunks: none empty or over size, each starting where the last ended.
      size_t at = 0;
      for (size_t c = 0; c < list.chunk_count(); ++c) {
        REQUIRE(list.chunk_start(c) == at);
        REQUIRE_FALSE(list.chunk(c).empty());
        REQUIRE(list.chunk(c).size() <= BlockList::kChunkSize);
        at += list.chunk(c).size();
      }
      REQUIRE(at == model.size());
      if (model.size() > 3000) ++multi_chunk_checks;
    }
    if (!model.empty()) {
      REQUIRE(list.front() == model.front());
      REQUIRE(list.back() == model.back());
    }
  }
  CHECK(multi_chunk_checks > 50);  // the list did span many chunks
}

}  // namespace
}  // namespace conflux
