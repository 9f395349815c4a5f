// Branch: the state of one shared type (Text, Array, Map, XML...): a sequence
// of items (linked list from `start`) and a map of keys, each key pointing to the
// rightmost item of its own little list.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <unordered_map>
#include <vector>

#include "item.h"
#include "seq_index.h"

namespace conflux {

class DocImpl;
class Transaction;

// Yjs's typeRef numbers; Unset is a root that no one has opened as a kind yet.
enum class TypeRef : uint8_t {
  Array = 0,
  Map = 1,
  Text = 2,
  XmlElement = 3,
  XmlFragment = 4,
  XmlHook = 5,
  XmlText = 6,
  Unset = 255,
};

inline bool is_text_like(TypeRef r) { return r == TypeRef::Text || r == TypeRef::XmlText; }

struct BranchEvent;

struct Branch {
  explicit Branch(TypeRef r) : ref(r) {}
  Branch(TypeRef r, std::u16string n) : ref(r), name(std::move(n)) {}

  TypeRef ref;
  std::u16string name;  // XmlElement node name, XmlHook hook name
  DocImpl* doc = nullptr;
  Item* item = nullptr;                        // the item holding this type; null for roots
  const std::u16string* root_name = nullptr;  // for roots
  Item* start = nullptr;
  std::unordered_map<const std::u16string*, Item*> map;
  std::vector<const std::u16string*> map_keys;  // in the order keys first appeared
  uint64_t length = 0;                          // visible length of the sequence
  // Set once a format item was integrated into this instance (drives Yjs's
  // rich-text cleanup after remote changes).
  bool has_formatting = false;
  SeqIndex index;
  // Where the last local insert into this text ended: `typing_item` holds the
  // unit before position `typing_end`, as long as the index is still at
  // `typing_version`. The next keystroke usually lands there, and then needs
  // no position lookup.
  Item* typing_item = nullptr;
  uint64_t typing_end = 0;
  uint64_t typing_version = ~uint64_t{0};
  // `typing_item` grew in place that last time, so its neighbours allow it
  // to grow again (see own_run_end) for as long as the version holds.
  bool typing_grows = false;
  // The same for deletes: `deleting_item` starts at position `deleting_start`
  // while the index is at `deleting_version`. Backspacing and deleting forward
  // land in it again.
  Item* deleting_item = nullptr;
  uint64_t deleting_start = 0;
  uint64_t deleting_version = ~uint64_t{0};

  using Observer = std::function<void(Transaction&, const BranchEvent&)>;
  std::vector<std::pair<uint64_t, Observer>> observers;

  bool deleted() const;
  // Current value item of a key, or null (deleted values count as absent).
  Item* map_get(const std::u16string* key) const {
    auto it = map.find(key);
    return it == map.end() || it->second->deleted() ? nullptr : it->second;
  }
  void map_set(const std::u16string* key, Item* item) {
    auto [it, inserted] = map.emplace(key, item);
    if (inserted) map_keys.push_back(key);
    else it->second = item;
  }
};

}  // namespace conflux
