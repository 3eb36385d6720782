// predsense/memory/policies/drop_merge.hpp - Cambrian-S "drop_merge": when over budget, first merge every
// pair of neighbouring entries whose surprise is >= threshold (tensors and scores averaged, runs
// collapse left to right), then evict the least surprising entry until within budget, merging the
// two entries that become neighbours if both are >= threshold.
//
// The reference rescans the whole list for mergeable pairs on every over-budget frame. Here the
// scan starts just before the first entry admitted since the previous consolidation: every older
// neighbouring pair was already checked and left unmergeable, and scores only change by merging,
// so the result is identical (tests/python/test_memory_replay.py checks this against a
// transcription of the reference) at amortised O(1) scanning plus O(log n) heap work per edit.
#pragma once

#include <string_view>

#include "predsense/memory/policies/consolidation_policy.hpp"
#include "predsense/memory/storage/indexed_heap.hpp"
#include "predsense/memory/policies/policy_params.hpp"

namespace predsense {

class drop_merge {
 public:
  static constexpr std::string_view name = "drop_merge";
  double threshold = 0.0;  // the reference's surprise_threshold (shared with compression)
  [[nodiscard]] policy_params params() const { return {{"threshold", threshold}}; }

  drop_merge() = default;
  explicit drop_merge(double surprise_threshold) : threshold(surprise_threshold) {}

  void reset() {
    heap_.clear();
    pending_ = no_entry;
  }
  void on_admit(long_term_store& s, entry_id id) {
    if (!s.entry(id).is_protected) heap_.set(id, detail::surprise_key(s, id));
    if (pending_ == no_entry) pending_ = id;
  }

  void consolidate(long_term_store& s) {
    if (!s.over_budget()) return;  // the reference returns before merging too
    if (pending_ != no_entry) {
      entry_id cur = s.prev(pending_) != no_entry ? s.prev(pending_) : pending_;
      pending_ = no_entry;
      while (cur != no_entry && s.next(cur) != no_entry) {
        if (both_surprising(s, cur, s.next(cur)))
          merge(s, cur);  // stay: try the next one too
        else
          cur = s.next(cur);
      }
    }
    while (s.over_budget()) {
      if (heap_.empty()) detail::throw_budget_below_protected(s);
      const entry_id victim = heap_.pop();
      const entry_id p = s.prev(victim), n = s.next(victim);
      s.erase(victim);
      if (p != no_entry && n != no_entry && both_surprising(s, p, n)) merge(s, p);
    }
  }

 private:
  detail::indexed_heap<> heap_;
  entry_id pending_ = no_entry;  // first entry admitted since the last merge pass

  [[nodiscard]] bool both_surprising(const long_term_store& s, entry_id a, entry_id b) const {
    return s.mergeable(a, b) && s.entry(a).surprise >= threshold && s.entry(b).surprise >= threshold;
  }
  void merge(long_term_store& s, entry_id a) {
    heap_.erase(s.merge_next(a));
    heap_.set(a, detail::surprise_key(s, a));
  }
};

static_assert(consolidation_policy<drop_merge>);

}  // namespace predsense
