// predsense/counting/sum_aggregator.hpp - the Cambrian-S VSC aggregator: sum of segment counts.
//
// Right when every object is seen in exactly one segment. A revisit, an over-segmented room or a
// replayed video (VSC-Repeat) counts the same objects again, so the answer grows with them.
#pragma once

#include <cstddef>

#include "predsense/counting/segment_answer.hpp"

namespace predsense {

class sum_aggregator {
 public:
  void add(const segment_answer& s) {
    detail::validate_segment(s, "sum_aggregator", false);
    detail::validate_order(s, end_, segments_ > 0, "sum_aggregator");
    total_ += s.count;
    end_ = s.end;
    ++segments_;
  }
  [[nodiscard]] std::size_t count() const noexcept { return total_; }
  [[nodiscard]] std::size_t segments() const noexcept { return segments_; }
  void reset() noexcept { *this = sum_aggregator{}; }

 private:
  std::size_t total_ = 0, end_ = 0, segments_ = 0;

 public:
  // State (io/state_file.hpp): the running count, the last segment's end, the segments added.
  static constexpr const char* state_kind = "sum_aggregator";
  template <class A>
  void visit_state(A& a) {
    a.field("total", total_);
    a.field("end", end_);
    a.field("segments", segments_);
  }
};

}  // namespace predsense
