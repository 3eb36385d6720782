// predsense/memory/policies/drop_least_surprising.hpp - Cambrian-S "drop": while over budget, evict the
// least surprising entry (oldest first among equal scores, like the reference's argmin).
//
// O(log n) per admission and per eviction through an indexed min-heap on (surprise, order).
#pragma once

#include <string_view>

#include "predsense/memory/policies/consolidation_policy.hpp"
#include "predsense/memory/storage/indexed_heap.hpp"
#include "predsense/memory/policies/policy_params.hpp"

namespace predsense {

class drop_least_surprising {
 public:
  static constexpr std::string_view name = "drop";
  [[nodiscard]] policy_params params() const { return {}; }

  void reset() { heap_.clear(); }
  void on_admit(long_term_store& s, entry_id id) {
    if (!s.entry(id).is_protected) heap_.set(id, detail::surprise_key(s, id));
  }
  void consolidate(long_term_store& s) {
    while (s.over_budget()) {
      if (heap_.empty()) detail::throw_budget_below_protected(s);
      s.erase(heap_.pop());
    }
  }

 private:
  detail::indexed_heap<> heap_;
};

static_assert(consolidation_policy<drop_least_surprising>);

}  // namespace predsense
