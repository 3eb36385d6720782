// predsense/segmentation/streaming/threshold_segmenter.hpp - a boundary wherever surprise exceeds a
// threshold: by default a threshold relative to the stream itself, optionally a fixed one
// (Cambrian-S VSC: "a boundary is declared when surprise > threshold").
//
// Default rule: a boundary at t when the modified z-score of s_t against the previous `window`
// values (robust_zscore_normalizer: (s_t - median) / (1.4826 MAD); none before min(10, window) values
// were seen) exceeds `z_threshold` = 3.5, the
// outlier cut-off of Iglewicz & Hoaglin (1993, ch. 3). Replacing s by a * s + b (a > 0) leaves the
// boundaries unchanged, so the rule holds for any encoder's surprise. With `threshold` set (the
// two-argument constructor): s_t > threshold in the surprise's own units, the Cambrian-S rule, in
// place of the z rule. Strict > either way: a value equal to the threshold is not a boundary.
// Step 0 is the frame without a prediction (its surprise is 1 by convention, pipeline/stream.hpp):
// its value is ignored - never a boundary, never in the window.
// Streaming, decision delay 0. `min_gap` suppresses a boundary closer than that many steps to the
// previous one (1 = none suppressed), so a long surprising stretch does not fire on every step.
// Errors: invalid_argument_error for a NaN threshold, min_gap 0 or a window < 3; under the z rule
// a NaN/infinite value raises non_finite_error (absolute threshold: NaN never fires).
#pragma once

#include <algorithm>
#include <cmath>
#include <concepts>
#include <cstddef>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "predsense/core/boundary.hpp"
#include "predsense/core/error.hpp"
#include "predsense/segmentation/streaming/segment_series.hpp"
#include "predsense/surprise/robust_zscore_normalizer.hpp"

namespace predsense {

struct threshold_segmenter_params {
  double z_threshold = 3.5;         // robust z a boundary must exceed (the default rule)
  std::optional<double> threshold;  // absolute threshold in surprise units: replaces the z rule
  std::size_t window = 50;          // z rule: trailing values of the median / MAD
  std::size_t min_gap = 1;          // minimum steps between reported boundaries

  void validate() const {
    if (std::isnan(z_threshold) || (threshold && std::isnan(*threshold)))
      throw invalid_argument_error("predsense: threshold_segmenter: threshold is NaN");
    if (min_gap == 0) throw invalid_argument_error("predsense: threshold_segmenter: min_gap must be >= 1");
    if (window < 3)
      throw invalid_argument_error("predsense: threshold_segmenter: window must be >= 3, got " +
                                   std::to_string(window));
  }
};

class threshold_segmenter {
 public:
  threshold_segmenter() : threshold_segmenter(threshold_segmenter_params{}) {}
  explicit threshold_segmenter(const threshold_segmenter_params& p)
      : p_((p.validate(), p)), z_(robust_zscore_params{p.window, std::min<std::size_t>(10, p.window), 1e6}) {}
  // The Cambrian-S rule: a fixed threshold in the surprise's own units. (A template, so that
  // threshold_segmenter({}) is the default z rule, not an absolute threshold of 0.)
  template <std::floating_point T>
  explicit threshold_segmenter(T threshold, std::size_t min_gap = 1)
      : threshold_segmenter(threshold_segmenter_params{3.5, static_cast<double>(threshold), 50, min_gap}) {}

  std::optional<boundary> push(double surprise, std::size_t t) {
    if (t == 0) return std::nullopt;  // no prediction at frame 0
    if (p_.threshold ? !(surprise > *p_.threshold) : !(z_(surprise) > p_.z_threshold)) return std::nullopt;
    if (has_last_ && t - last_ < p_.min_gap) return std::nullopt;
    has_last_ = true;
    last_ = t;
    return boundary{t, surprise, t};
  }

  // Whole series (t = 0, 1, ...); same result as pushing every value.
  std::vector<boundary> segment(std::span<const double> s) { return segment_series(*this, s); }

  // No look-ahead: nothing is pending at the end of a stream.
  std::vector<boundary> flush() { return {}; }
  void reset() {
    has_last_ = false;
    z_.reset();
  }
  [[nodiscard]] static constexpr std::size_t decision_delay() noexcept { return 0; }
  [[nodiscard]] const threshold_segmenter_params& params() const noexcept { return p_; }

 private:
  threshold_segmenter_params p_;
  robust_zscore_normalizer z_;
  // (a bool + index rather than std::optional: GCC 12 warns maybe-uninitialized on the latter)
  bool has_last_ = false;
  std::size_t last_ = 0;

 public:
  // State (io/state_file.hpp): the rule's parameters, then the z-score window and the last boundary.
  static constexpr const char* state_kind = "threshold_segmenter";
  template <class A>
  void visit_state(A& a) {
    bool absolute = p_.threshold.has_value();
    double threshold = p_.threshold.value_or(0.0);
    a.param("z_threshold", p_.z_threshold);
    a.param("absolute", absolute);
    a.param("threshold", threshold);
    a.param("window", p_.window);
    a.param("min_gap", p_.min_gap);
    a.validated([&] {
      p_.threshold = absolute ? std::optional<double>(threshold) : std::nullopt;
      *this = threshold_segmenter(p_);
    });
    a.nested("z", z_);
    a.field("has_last", has_last_);
    a.field("last", last_);
  }
};

}  // namespace predsense
