// predsense/memory/policies/fifo.hpp - first in, first out: while over budget, evict the oldest
// unprotected entry. The baseline every other policy must beat on long streams.
#pragma once

#include <deque>
#include <string_view>

#include "predsense/memory/policies/consolidation_policy.hpp"
#include "predsense/memory/policies/policy_params.hpp"

namespace predsense {

class fifo {
 public:
  static constexpr std::string_view name = "fifo";
  [[nodiscard]] policy_params params() const { return {}; }

  void reset() { order_.clear(); }
  void on_admit(long_term_store& s, entry_id id) {
    if (!s.entry(id).is_protected) order_.push_back(id);
  }
  void consolidate(long_term_store& s) {
    while (s.over_budget()) {
      if (order_.empty()) detail::throw_budget_below_protected(s);
      s.erase(order_.front());
      order_.pop_front();
    }
  }

 private:
  std::deque<entry_id> order_;  // admission order of the unprotected entries still held
};

static_assert(consolidation_policy<fifo>);

}  // namespace predsense
