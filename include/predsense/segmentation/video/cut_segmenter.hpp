// predsense/segmentation/video/cut_segmenter.hpp - hard cuts in a surprise stream: one-frame spikes that
// are local peaks AND outliers against their recent past.
//
// Input: one surprise value per step (e.g. 1 - mean token cosine of prediction vs frame), steps
// consecutive from any start index. Output: a boundary at step t (the first frame of the new shot)
// when the surprise s_t is
//   1. a local peak (peak_segmenter, look-ahead `lookahead`: decided `lookahead` steps later) whose
//      prominence (height above the higher of the lowest values in the `max(10, lookahead)` steps
//      before and the `lookahead` after) is >= `prominence`;
//   2. an outlier against the previous `window` values: s_t > median + gamma * 1.4826 * MAD (the
//      event-segmentation rule "s_t > mean + gamma * std of a trailing window" of EM-LLM, Fountas
//      et al. 2024, sec. 3.1, with the median and the median absolute deviation in place of mean and
//      std: with mean/std each cut inflates the spread for `window` frames and hides the next cut);
//   3. at least `floor`;
//   and at least `min_gap` steps after the previous reported boundary (applied to accepted
//   boundaries only, so a rejected ripple never suppresses the cut after it).
// Why the conjunction: motion raises surprise for many frames and in ripples; the peak rule alone
// fires on ripples, the outlier rule alone on the first frames of any sudden motion.
// Cost: O(window) per step (nth_element on a copy of the window).
// Errors: invalid_argument_error for window < 3, non-finite or negative settings, or
// non-consecutive steps; non_finite_error for a NaN surprise.
#pragma once

#include <concepts>
#include <algorithm>
#include <cmath>
#include <cstddef>
#include <deque>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "predsense/core/boundary.hpp"
#include "predsense/core/error.hpp"
#include "predsense/segmentation/streaming/peak_segmenter.hpp"
#include "predsense/segmentation/streaming/segment_series.hpp"

namespace predsense {

struct cut_segmenter_params {
  std::size_t window = 50;    // outlier rule: previous surprises considered
  double gamma = 6.0;         // outlier rule: median + gamma * 1.4826 * MAD
  double prominence = 0.12;   // peak rule: minimum prominence
  double floor = 0.02;        // minimum surprise of a boundary
  std::size_t lookahead = 2;  // peak rule: right context = decision delay (steps)
  std::size_t min_gap = 1;    // minimum steps between reported boundaries

  void validate() const {
    if (window < 3) throw invalid_argument_error("predsense: cut_segmenter: window must be >= 3");
    if (!(gamma >= 0.0) || !std::isfinite(gamma))
      throw invalid_argument_error("predsense: cut_segmenter: gamma must be finite and >= 0");
    if (!(prominence >= 0.0) || !std::isfinite(prominence))
      throw invalid_argument_error("predsense: cut_segmenter: prominence must be finite and >= 0");
    if (!std::isfinite(floor)) throw invalid_argument_error("predsense: cut_segmenter: floor must be finite");
    if (min_gap == 0) throw invalid_argument_error("predsense: cut_segmenter: min_gap must be >= 1");
  }
};

class cut_segmenter {
 public:
  cut_segmenter() : cut_segmenter(cut_segmenter_params{}) {}
  template <std::same_as<cut_segmenter_params> Params = cut_segmenter_params>
  explicit cut_segmenter(const Params& p)
      : p_((p.validate(), p)),
        peak_(peak_segmenter_params{p.floor, p.prominence, 1, p.lookahead, std::max<std::size_t>(10, p.lookahead)}) {}

  // Push the surprise of step t; returns the boundary decided at this step, if any.
  std::optional<boundary> push(double s, std::size_t t) {
    if (std::isnan(s)) throw non_finite_error("predsense: cut_segmenter: NaN surprise at step " + std::to_string(t));
    if (is_outlier(s)) outliers_.push_back(t);
    past_.push_back(s);
    if (past_.size() > p_.window) past_.pop_front();
    while (!outliers_.empty() && outliers_.front() + p_.lookahead + 1 < t) outliers_.pop_front();
    if (auto b = peak_.push(s, t)) return accept(*b, t);
    return std::nullopt;
  }
  // Decide the last `lookahead` steps with the look-ahead that remains.
  std::vector<boundary> flush() {
    std::vector<boundary> out;
    for (const auto& b : peak_.flush())
      if (auto a = accept(b, b.decided_at)) out.push_back(*a);
    return out;
  }
  // Whole series (t = 0, 1, ...); same result as pushing every value and flushing.
  std::vector<boundary> segment(std::span<const double> s) { return segment_series(*this, s); }
  // Forget the stream (parameters kept).
  void reset() { *this = cut_segmenter(p_); }
  const cut_segmenter_params& params() const noexcept { return p_; }

 private:
  bool is_outlier(double s) {
    if (past_.size() < 3) return false;
    scratch_.assign(past_.begin(), past_.end());
    const auto mid = scratch_.begin() + static_cast<std::ptrdiff_t>(scratch_.size() / 2);
    std::nth_element(scratch_.begin(), mid, scratch_.end());
    const double med = *mid;
    for (auto& v : scratch_) v = std::fabs(v - med);
    std::nth_element(scratch_.begin(), mid, scratch_.end());
    return s > med + p_.gamma * 1.4826 * *mid;
  }
  std::optional<boundary> accept(boundary b, std::size_t) {
    if (std::find(outliers_.begin(), outliers_.end(), b.t) == outliers_.end()) return std::nullopt;
    if (has_last_ && b.t - last_ < p_.min_gap) return std::nullopt;
    has_last_ = true;
    last_ = b.t;
    return b;
  }
  cut_segmenter_params p_;
  peak_segmenter peak_;
  std::deque<double> past_;
  std::vector<double> scratch_;
  std::deque<std::size_t> outliers_;
  bool has_last_ = false;
  std::size_t last_ = 0;
};

}  // namespace predsense
