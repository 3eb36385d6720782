// predsense/segmentation/streaming/threshold_segmenter.hpp - a boundary wherever surprise exceeds a fixed
// threshold (Cambrian-S VSC: "a boundary is declared when surprise > threshold").
//
// Streaming, decision delay 0. `min_gap` suppresses a boundary closer than that many steps to the
// previous one (1 = none suppressed), so a long surprising stretch does not fire on every step.
#pragma once

#include <cmath>
#include <cstddef>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "predsense/core/boundary.hpp"
#include "predsense/core/error.hpp"
#include "predsense/segmentation/streaming/segment_series.hpp"

namespace predsense {

class threshold_segmenter {
 public:
  explicit threshold_segmenter(double threshold, std::size_t min_gap = 1) : threshold_(threshold), min_gap_(min_gap) {
    if (std::isnan(threshold)) throw invalid_argument_error("predsense: threshold_segmenter: threshold is NaN");
    if (min_gap == 0) throw invalid_argument_error("predsense: threshold_segmenter: min_gap must be >= 1");
  }

  // Strict >: a surprise equal to the threshold is not a boundary. NaN never fires.
  std::optional<boundary> push(double surprise, std::size_t t) {
    if (!(surprise > threshold_)) return std::nullopt;
    if (has_last_ && t - last_ < min_gap_) return std::nullopt;
    has_last_ = true;
    last_ = t;
    return boundary{t, surprise, t};
  }

  // Whole series (t = 0, 1, ...); same result as pushing every value.
  std::vector<boundary> segment(std::span<const double> s) { return segment_series(*this, s); }

  // No look-ahead: nothing is pending at the end of a stream.
  std::vector<boundary> flush() { return {}; }
  void reset() { has_last_ = false; }
  [[nodiscard]] static constexpr std::size_t decision_delay() noexcept { return 0; }

 private:
  double threshold_;
  std::size_t min_gap_;
  // (a bool + index rather than std::optional: GCC 12 warns maybe-uninitialized on the latter)
  bool has_last_ = false;
  std::size_t last_ = 0;
};

}  // namespace predsense
