// The engine's position and block indexes against plain vectors: random
// inserts, removals and length changes, checked after every step.
#include <memory>
#include <random>
#include <vector>

#include <catch2/catch.hpp>

#include "block_list.h"
#include "item.h"
#include "seq_index.h"

namespace conflux {
namespace {

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
      index.insert_after(at == 0 ? nullptr : order[at - 1], item);
      order.insert(order.begin() + ptrdiff_t(at), item);
    } else if (op < 8) {
      size_t at = rng() % order.size();
      index.remove(order[at]);
      order.erase(order.begin() + ptrdiff_t(at));
    } else {
      Item* item = order[rng() % order.size()];
      item->flags = item->flags == Item::kDeleted ? Item::kCountable : Item::kDeleted;
      index.update(item);
    }
    if (step % 97 != 0 && step < 19990) continue;
    // Full comparison now and then (it is quadratic).
    REQUIRE(index.size() == order.size());
    uint64_t pos = 0;
    for (Item* item : order) {
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
    } else {
      item->flags = item->flags == Item::kDeleted ? Item::kCountable : Item::kDeleted;
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
