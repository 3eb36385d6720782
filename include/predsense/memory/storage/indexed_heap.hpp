// predsense/memory/storage/indexed_heap.hpp - a binary min-heap over small integer ids whose keys can be
// changed or removed by id in O(log n).
//
// Why not std::priority_queue or std::set: eviction policies must remove arbitrary entries
// (merged away, evicted by a neighbour's rule) and re-key merged ones; a position table makes
// that O(log n) without the per-node allocations of a std::set.
#pragma once

#include <cstddef>
#include <cstdint>
#include <utility>
#include <vector>

#include "predsense/core/error.hpp"

namespace predsense::detail {

// Keys compare lexicographically (std::pair's operator<): (score, tie-break).
template <class Key = std::pair<double, std::uint64_t>>
class indexed_heap {
 public:
  static constexpr std::size_t npos = static_cast<std::size_t>(-1);

  [[nodiscard]] bool empty() const noexcept { return heap_.empty(); }
  [[nodiscard]] std::size_t size() const noexcept { return heap_.size(); }
  [[nodiscard]] bool contains(std::uint32_t id) const noexcept { return id < pos_.size() && pos_[id] != npos; }
  [[nodiscard]] std::uint32_t top() const noexcept { return heap_.front().second; }
  [[nodiscard]] const Key& top_key() const noexcept { return heap_.front().first; }
  [[nodiscard]] const Key& key(std::uint32_t id) const noexcept { return heap_[pos_[id]].first; }

  void clear() noexcept {
    heap_.clear();
    pos_.clear();
  }

  // Inserts id, or re-keys it if present.
  void set(std::uint32_t id, const Key& k) {
    if (id >= pos_.size()) pos_.resize(static_cast<std::size_t>(id) + 1, npos);
    if (pos_[id] == npos) {
      heap_.emplace_back(k, id);
      pos_[id] = heap_.size() - 1;
      up(heap_.size() - 1);
      return;
    }
    const std::size_t i = pos_[id];
    const bool smaller = k < heap_[i].first;
    heap_[i].first = k;
    if (smaller)
      up(i);
    else
      down(i);
  }

  void erase(std::uint32_t id) noexcept {
    if (!contains(id)) return;
    const std::size_t i = pos_[id];
    pos_[id] = npos;
    const std::size_t last = heap_.size() - 1;
    if (i != last) {
      heap_[i] = heap_[last];
      pos_[heap_[i].second] = i;
      heap_.pop_back();
      if (i > 0 && heap_[i].first < heap_[(i - 1) / 2].first)
        up(i);
      else
        down(i);
    } else {
      heap_.pop_back();
    }
  }

  std::uint32_t pop() noexcept {
    const std::uint32_t id = top();
    erase(id);
    return id;
  }

 private:
  std::vector<std::pair<Key, std::uint32_t>> heap_;
  std::vector<std::size_t> pos_;

  void place(std::size_t i) noexcept { pos_[heap_[i].second] = i; }
  void up(std::size_t i) noexcept {
    while (i > 0) {
      const std::size_t p = (i - 1) / 2;
      if (!(heap_[i].first < heap_[p].first)) break;
      std::swap(heap_[i], heap_[p]);
      place(i);
      place(p);
      i = p;
    }
  }
  void down(std::size_t i) noexcept {
    const std::size_t n = heap_.size();
    for (;;) {
      const std::size_t l = 2 * i + 1, r = l + 1;
      std::size_t m = i;
      if (l < n && heap_[l].first < heap_[m].first) m = l;
      if (r < n && heap_[r].first < heap_[m].first) m = r;
      if (m == i) break;
      std::swap(heap_[i], heap_[m]);
      place(i);
      place(m);
      i = m;
    }
  }
};

}  // namespace predsense::detail
