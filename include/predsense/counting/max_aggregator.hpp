// predsense/counting/max_aggregator.hpp - the largest single-segment count.
//
// Immune to repeats and revisits (a replay cannot raise the maximum), but it undercounts whenever
// the objects are spread over several segments: a lower bound, not an estimate.
#pragma once

#include <algorithm>
#include <cstddef>

#include "predsense/counting/segment_answer.hpp"

namespace predsense {

class max_aggregator {
 public:
  void add(const segment_answer& s) {
    detail::validate_segment(s, "max_aggregator", false);
    detail::validate_order(s, end_, segments_ > 0, "max_aggregator");
    best_ = std::max(best_, s.count);
    end_ = s.end;
    ++segments_;
  }
  [[nodiscard]] std::size_t count() const noexcept { return best_; }
  [[nodiscard]] std::size_t segments() const noexcept { return segments_; }
  void reset() noexcept { *this = max_aggregator{}; }

 private:
  std::size_t best_ = 0, end_ = 0, segments_ = 0;
};

}  // namespace predsense
