// predsense/memory/policies/uniform_stride.hpp - keep frames evenly spread over the whole stream, ignoring
// surprise: the "sample every k-th frame" baseline, with k growing as the stream does.
//
// A frame's level is the number of trailing zero bits of its index (frame 0 ranks above all).
// Evicting the lowest level first (oldest first within a level) keeps every multiple of 2^k plus
// the most recent multiples of 2^(k-1): a stride that doubles as the stream grows, density within
// 2x of uniform everywhere, O(log n) per edit.
#pragma once

#include <bit>
#include <cstdint>
#include <string_view>

#include "predsense/memory/policies/consolidation_policy.hpp"
#include "predsense/memory/storage/indexed_heap.hpp"
#include "predsense/memory/policies/policy_params.hpp"

namespace predsense {

class uniform_stride {
 public:
  static constexpr std::string_view name = "uniform_stride";
  [[nodiscard]] policy_params params() const { return {}; }

  void reset() { heap_.clear(); }
  void on_admit(long_term_store& s, entry_id id) {
    const auto& e = s.entry(id);
    if (e.is_protected) return;
    const int level = e.frame == 0 ? 64 : std::countr_zero(e.frame);
    heap_.set(id, {static_cast<double>(level), e.seq});
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

static_assert(consolidation_policy<uniform_stride>);

}  // namespace predsense
