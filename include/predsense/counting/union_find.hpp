// predsense/counting/union_find.hpp - disjoint sets with path halving and union by size.
//
// The de-duplicating counters use it so that "a is b" and "b is c" make a, b and c one instance
// (transitivity) whatever order the matches arrive in. Near-constant amortised time per operation.
#pragma once

#include <cstddef>
#include <numeric>
#include <utility>
#include <vector>

namespace predsense {

class union_find {
 public:
  union_find() = default;
  explicit union_find(std::size_t n) { grow(n); }

  // Adds singleton sets until there are n elements; returns the previous size.
  std::size_t grow(std::size_t n) {
    const std::size_t old = parent_.size();
    if (n <= old) return old;
    parent_.resize(n);
    std::iota(parent_.begin() + static_cast<std::ptrdiff_t>(old), parent_.end(), old);
    size_.resize(n, 1);
    sets_ += n - old;
    return old;
  }
  // Adds one singleton set and returns its element.
  std::size_t add() { return grow(parent_.size() + 1); }

  [[nodiscard]] std::size_t find(std::size_t x) {
    while (parent_[x] != x) {
      parent_[x] = parent_[parent_[x]];  // path halving
      x = parent_[x];
    }
    return x;
  }
  // Joins the sets of a and b; returns the surviving root (the larger set's).
  std::size_t unite(std::size_t a, std::size_t b) {
    a = find(a);
    b = find(b);
    if (a == b) return a;
    if (size_[a] < size_[b]) std::swap(a, b);
    parent_[b] = a;
    size_[a] += size_[b];
    --sets_;
    return a;
  }
  [[nodiscard]] bool same(std::size_t a, std::size_t b) { return find(a) == find(b); }
  [[nodiscard]] std::size_t set_size(std::size_t x) { return size_[find(x)]; }
  [[nodiscard]] std::size_t size() const noexcept { return parent_.size(); }
  [[nodiscard]] std::size_t sets() const noexcept { return sets_; }
  // State (io/state_file.hpp's archive): parents and set sizes as stored (path halving makes the
  // parents history-dependent, so they are kept, not rebuilt), checked to form a forest.
  static constexpr const char* state_kind = "union_find";
  template <class A>
  void visit_state(A& a) {
    a.field("parent", parent_);
    a.field("size", size_);
    a.field("sets", sets_);
    if constexpr (A::loading) {
      bool ok = size_.size() == parent_.size();
      std::size_t roots = 0;
      for (std::size_t i = 0; ok && i < parent_.size(); ++i) {
        ok = parent_[i] < parent_.size() && size_[i] >= 1 && size_[i] <= parent_.size();
        roots += parent_[i] == i;
      }
      a.require(ok && roots == sets_, "parent", "not a forest over its elements (parents, sizes, set count)");
      // no cycles: every walk reaches a root within n steps
      for (std::size_t i = 0; ok && i < parent_.size(); ++i) {
        std::size_t x = i, steps = 0;
        while (parent_[x] != x && steps++ <= parent_.size()) x = parent_[x];
        ok = parent_[x] == x;
      }
      a.require(ok, "parent", "a cycle among the parents");
    }
  }
  void clear() {
    parent_.clear();
    size_.clear();
    sets_ = 0;
  }

 private:
  std::vector<std::size_t> parent_, size_;
  std::size_t sets_ = 0;
};

}  // namespace predsense
