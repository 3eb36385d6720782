// predsense/memory/policies/similarity_merge.hpp - LongVU-style temporal redundancy removal: while over
// budget, merge the two neighbouring entries whose pooled keys are most alike (cosine), as long
// as that similarity reaches the threshold (LongVU drops frames at >= 0.83 DINOv2 similarity);
// when no neighbouring pair is that alike, evict the oldest entry instead.
//
// Surprise plays no part: this is the "redundancy, not novelty" baseline. A max-heap over
// neighbouring pairs (keyed on the left entry) makes every merge or eviction O(log n) plus the two
// O(D) cosines of the pairs that changed.
#pragma once

#include <cstdint>
#include <string_view>
#include <utility>

#include "predsense/kernels/cosine.hpp"
#include "predsense/memory/policies/consolidation_policy.hpp"
#include "predsense/memory/storage/indexed_heap.hpp"
#include "predsense/memory/policies/policy_params.hpp"

namespace predsense {

class similarity_merge {
 public:
  static constexpr std::string_view name = "similarity_merge";
  double threshold = 0.83;
  [[nodiscard]] policy_params params() const { return {{"threshold", threshold}}; }

  similarity_merge() = default;
  explicit similarity_merge(double cosine_threshold) : threshold(cosine_threshold) {}

  void reset() { pairs_.clear(); }
  void on_admit(long_term_store& s, entry_id id) { refresh(s, s.prev(id)); }

  void consolidate(long_term_store& s) {
    while (s.over_budget()) {
      if (!pairs_.empty() && -pairs_.top_key().first >= threshold) {
        const entry_id a = pairs_.top();
        pairs_.erase(s.merge_next(a));
        refresh(s, a);
        refresh(s, s.prev(a));
        continue;
      }
      entry_id old = s.head();
      while (old != no_entry && s.entry(old).is_protected) old = s.next(old);
      if (old == no_entry) detail::throw_budget_below_protected(s);
      const entry_id p = s.prev(old);
      pairs_.erase(old);
      s.erase(old);
      refresh(s, p);
    }
  }

 private:
  detail::indexed_heap<> pairs_;  // left entry -> (-cosine(left, next), left's order)

  void refresh(const long_term_store& s, entry_id left) {
    if (left == no_entry) return;
    const entry_id right = s.next(left);
    if (!s.mergeable(left, right)) {
      pairs_.erase(left);
      return;
    }
    const double c = kernels::cosine(s.key(left), s.key(right), s.dim());
    pairs_.set(left, {-c, s.entry(left).seq});
  }
};

static_assert(consolidation_policy<similarity_merge>);

}  // namespace predsense
