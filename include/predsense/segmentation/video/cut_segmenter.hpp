// predsense/segmentation/video/cut_segmenter.hpp - hard cuts in a surprise stream: one-frame spikes that
// are local peaks AND outliers against their recent past.
//
// Input: one surprise value per step (e.g. 1 - mean token cosine of prediction vs frame), steps
// consecutive from any start index. Output: a boundary at step t (the first frame of the new shot)
// when the surprise s_t is
//   1. an outlier against the previous `window` values: s_t > median + gamma * sigma, sigma =
//      1.4826 * MAD of that window (the event-segmentation rule "s_t > mean + gamma * std of a
//      trailing window" of EM-LLM, Fountas et al. 2024, sec. 3.1, with the median and the median
//      absolute deviation in place of mean and std: with mean/std each cut inflates the spread for
//      `window` frames and hides the next cut), sigma at least the upper-tail spread (Q90 -
//      median) / 1.2816 of the previous `long_window` values (kernels/median_mad.hpp): the MAD of
//      a static shot is tiny, and the first camera motion after it would be an outlier otherwise;
//      no step with fewer than `min_history` values before it is an outlier;
//   2. a local peak (peak_segmenter, look-ahead `lookahead`: decided `lookahead` steps later) whose
//      prominence (height above the higher of the lowest values in the `max(10, lookahead)` steps
//      before and the `lookahead` after) is >= `prominence` * sigma (the same sigma as in 1), and
//      >= `absolute_prominence` in the surprise's own units (default 0: off);
//   3. at least `floor` in the surprise's own units (default -infinity: off);
//   and at least `min_gap` steps after the previous reported boundary (applied to accepted
//   boundaries only, so a rejected ripple never suppresses the cut after it).
// Why the conjunction: motion raises surprise for many frames and in ripples; the peak rule alone
// fires on ripples, the outlier rule alone on the first frames of any sudden motion.
// Scale: the default rules 1 and 2 are relative to the stream itself, so replacing s by a * s + b
// (a > 0) leaves the boundaries unchanged - the same defaults hold for any encoder's surprise. The
// absolute options (absolute_prominence, floor: 0.12 and 0.02 were the defaults on predsense's
// patch embedder) stay available for a known scale. A window whose MAD is 0 (a perfectly constant
// stretch) makes any rise an outlier. The value at t = 0 (frame 0's conventional surprise) is
// ignored: never a boundary, never in the window.
// Cost: O(window) per step (kernels/median_mad.hpp).
// Errors: invalid_argument_error for window < 3, non-finite or negative settings (floor may be
// -infinity), or non-consecutive steps; non_finite_error for a NaN surprise.
#pragma once

#include <concepts>
#include <algorithm>
#include <cmath>
#include <cstddef>
#include <deque>
#include <limits>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "predsense/core/boundary.hpp"
#include "predsense/core/error.hpp"
#include "predsense/kernels/median_mad.hpp"
#include "predsense/segmentation/streaming/peak_segmenter.hpp"
#include "predsense/segmentation/streaming/segment_series.hpp"

namespace predsense {

struct cut_segmenter_params {
  std::size_t window = 50;         // outlier rule: previous surprises considered
  std::size_t long_window = 500;   // sigma >= the upper-tail spread of this many previous values (0: off)
  std::size_t min_history = 10;    // values needed before a step can be an outlier
  double gamma = 6.0;              // outlier rule: median + gamma * sigma (sigma = 1.4826 * MAD)
  double prominence = 6.0;         // peak rule: minimum prominence, in sigma
  double absolute_prominence = 0;  // peak rule: minimum prominence in surprise units (0: off)
  double floor = -std::numeric_limits<double>::infinity();  // minimum surprise of a boundary (off)
  std::size_t lookahead = 2;                                // peak rule: right context = decision delay (steps)
  std::size_t min_gap = 1;                                  // minimum steps between reported boundaries

  void validate() const {
    if (window < 3) throw invalid_argument_error("predsense: cut_segmenter: window must be >= 3");
    if (min_history < 3 || min_history > window)
      throw invalid_argument_error("predsense: cut_segmenter: min_history must be in [3, window]");
    if (!(gamma >= 0.0) || !std::isfinite(gamma))
      throw invalid_argument_error("predsense: cut_segmenter: gamma must be finite and >= 0");
    if (!(prominence >= 0.0) || !std::isfinite(prominence))
      throw invalid_argument_error("predsense: cut_segmenter: prominence must be finite and >= 0");
    if (!(absolute_prominence >= 0.0) || !std::isfinite(absolute_prominence))
      throw invalid_argument_error("predsense: cut_segmenter: absolute_prominence must be finite and >= 0");
    if (std::isnan(floor) || floor == std::numeric_limits<double>::infinity())
      throw invalid_argument_error("predsense: cut_segmenter: floor must be finite or -infinity");
    if (min_gap == 0) throw invalid_argument_error("predsense: cut_segmenter: min_gap must be >= 1");
  }
};

class cut_segmenter {
 public:
  cut_segmenter() : cut_segmenter(cut_segmenter_params{}) {}
  template <std::same_as<cut_segmenter_params> Params = cut_segmenter_params>
  explicit cut_segmenter(const Params& p)
      : p_((p.validate(), p)),
        peak_(peak_segmenter_params{p.floor, p.absolute_prominence, 1, p.lookahead,
                                    std::max<std::size_t>(10, p.lookahead)}) {}

  // Push the surprise of step t; returns the boundary decided at this step, if any.
  std::optional<boundary> push(double s, std::size_t t) {
    if (std::isnan(s)) throw non_finite_error("predsense: cut_segmenter: NaN surprise at step " + std::to_string(t));
    if (t == 0) return std::nullopt;  // frame 0: no prediction
    recent_.push_back(s);
    if (recent_.size() > context()) recent_.pop_front();
    if (past_.size() >= p_.min_history) {
      const auto cs = kernels::robust_scale(past_, scratch_);
      double sigma = cs.spread;
      if (p_.long_window > 0) sigma = std::max(sigma, kernels::upper_tail_scale(long_, scratch_).spread);
      if (s > cs.median + p_.gamma * sigma) outliers_.push_back({t, sigma});
    }
    past_.push_back(s);
    if (past_.size() > p_.window) past_.pop_front();
    if (p_.long_window > 0) {
      long_.push_back(s);
      if (long_.size() > p_.long_window) long_.pop_front();
    }
    while (!outliers_.empty() && outliers_.front().t + p_.lookahead + 1 < t) outliers_.pop_front();
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
  struct outlier {
    std::size_t t;
    double sigma;  // the outlier rule's sigma when t arrived
  };
  // values kept for the relative prominence: the peak's left context, itself and its look-ahead
  std::size_t context() const { return std::max<std::size_t>(10, p_.lookahead) + p_.lookahead + 1; }

  std::optional<boundary> accept(boundary b, std::size_t now) {
    const auto it = std::find_if(outliers_.begin(), outliers_.end(), [&](const outlier& o) { return o.t == b.t; });
    if (it == outliers_.end()) return std::nullopt;
    if (prominence(b.t, now) < p_.prominence * it->sigma) return std::nullopt;
    if (has_last_ && b.t - last_ < p_.min_gap) return std::nullopt;
    has_last_ = true;
    last_ = b.t;
    return b;
  }
  // The peak segmenter's prominence of the value at step c, seen at step `now` (recent_ ends at now).
  double prominence(std::size_t c, std::size_t now) const {
    const std::size_t n = recent_.size();
    const std::size_t first = now + 1 - n;  // step of recent_[0]
    const double v = recent_[c - first];
    double right = v;
    for (std::size_t u = c + 1; u <= std::min(now, c + p_.lookahead); ++u) right = std::min(right, recent_[u - first]);
    double left = v;
    const std::size_t lw = std::max<std::size_t>(10, p_.lookahead);
    for (std::size_t u = c > first + lw ? c - lw : first; u < c; ++u) left = std::min(left, recent_[u - first]);
    return v - std::max(left, right);
  }

  cut_segmenter_params p_;
  peak_segmenter peak_;
  std::deque<double> past_, recent_, long_;
  std::vector<double> scratch_;
  std::deque<outlier> outliers_;
  bool has_last_ = false;
  std::size_t last_ = 0;

 public:
  // State (io/state_file.hpp): the parameters, the peak picker's state, the trailing windows
  // (outlier rule, long-scale spread, peak context), the pending outliers and the last cut.
  static constexpr const char* state_kind = "cut_segmenter";
  template <class A>
  void visit_state(A& a) {
    a.param("window", p_.window);
    a.param("long_window", p_.long_window);
    a.param("min_history", p_.min_history);
    a.param("gamma", p_.gamma);
    a.param("prominence", p_.prominence);
    a.param("absolute_prominence", p_.absolute_prominence);
    a.param("floor", p_.floor);
    a.param("lookahead", p_.lookahead);
    a.param("min_gap", p_.min_gap);
    a.validated([&] { *this = cut_segmenter(p_); });
    a.nested("peak", peak_);
    a.field("past", past_);
    a.field("recent", recent_);
    a.field("long", long_);
    a.each("outliers", outliers_, [](auto& ar, outlier& o) {
      ar.field("t", o.t);
      ar.field("sigma", o.sigma);
    });
    a.field("has_last", has_last_);
    a.field("last", last_);
    a.require(past_.size() <= p_.window && long_.size() <= p_.long_window, "past", "longer than its window");
    // the peak picker and recent_ hold the same steps (both from step 1, same cap)
    a.require(recent_.size() == peak_.buffered() && recent_.size() <= context(), "recent",
              "does not match the peak picker's buffer");
    for (const auto& o : outliers_)
      a.require(peak_.buffered() > 0 && o.t < peak_.next_step(), "outliers", "an outlier after the last step");
  }
};

}  // namespace predsense
