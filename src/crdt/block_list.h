// BlockList: one client's structs in clock order.
//
// Lookups are binary searches by clock, so the structs sit in one array. Edits
// split and merge structs in the middle of that array, and they cluster: a run
// of deletes or a burst of typing touches neighbouring clocks. The array
// therefore keeps a gap (unused slots) where the last edit happened, so the
// next edit nearby moves only the slots between the two, not the whole tail.
// Appends go to the end and never move the gap.
#pragma once

#include <algorithm>
#include <cstddef>
#include <vector>

namespace conflux {

struct Item;

class BlockList {
 public:
  size_t size() const { return slots_.size() - gap_len(); }
  bool empty() const { return size() == 0; }

  Item* operator[](size_t i) const { return slots_[i < gap_start_ ? i : i + gap_len()]; }
  Item*& operator[](size_t i) { return slots_[i < gap_start_ ? i : i + gap_len()]; }
  Item* front() const { return (*this)[0]; }
  Item* back() const { return (*this)[size() - 1]; }

  void push_back(Item* item) { slots_.push_back(item); }

  // Where the last clock lookup landed (see find_block_index): a guess only,
  // edits move elements under it.
  size_t lookup_hint() const { return lookup_hint_; }
  void set_lookup_hint(size_t i) const { lookup_hint_ = i; }

  // Inserts `item` so that it becomes element `i`.
  void insert(size_t i, Item* item) {
    if (i == size()) return push_back(item);
    move_gap(i);
    if (gap_len() == 0) {
      // Open a new gap here, sized to the list so that opening it is rare.
      size_t len = std::max<size_t>(16, slots_.size() / 32);
      slots_.insert(slots_.begin() + ptrdiff_t(i), len, nullptr);
      gap_start_ = i;
      gap_end_ = i + len;
    }
    slots_[gap_start_++] = item;
  }

  // Removes elements [first, last).
  void erase(size_t first, size_t last) {
    if (first == last) return;
    move_gap(last);
    gap_start_ = first;
  }

 private:
  size_t gap_len() const { return gap_end_ - gap_start_; }

  // Moves the gap so that it starts before element `i`.
  void move_gap(size_t i) {
    if (gap_len() == 0) {
      gap_start_ = gap_end_ = i;
      return;
    }
    if (i < gap_start_) {
      size_t n = gap_start_ - i;
      std::move_backward(slots_.begin() + ptrdiff_t(i), slots_.begin() + ptrdiff_t(gap_start_),
                         slots_.begin() + ptrdiff_t(gap_end_));
      gap_start_ -= n;
      gap_end_ -= n;
    } else if (i > gap_start_) {
      size_t n = i - gap_start_;
      std::move(slots_.begin() + ptrdiff_t(gap_end_), slots_.begin() + ptrdiff_t(gap_end_ + n),
                slots_.begin() + ptrdiff_t(gap_start_));
      gap_start_ += n;
      gap_end_ += n;
    }
  }

  std::vector<Item*> slots_;
  // Slots [gap_start_, gap_end_) are unused.
  size_t gap_start_ = 0;
  size_t gap_end_ = 0;
  mutable size_t lookup_hint_ = 0;
};

}  // namespace conflux
