// predsense/segmentation/streaming/bocpd_segmenter.hpp - streaming event segmentation with BOCPD: peaks of
// the lagged change probability.
//
// After x_t, BOCPD's posterior says how likely each past step s is to be the start of the current
// segment. With a lag of `lag` steps, c(s) = P(segment started at s | x_0..x_{s+lag}) is a change
// probability that has seen enough of the new segment to be sure (lag 0 would only flag outliers).
// c is fed to a peak_segmenter, so a boundary at s is reported at step s + lag + lookahead: the
// decision delay is bounded by lag + peaks.lookahead. Step 0 always starts a segment and is never
// reported. flush() reads the remaining c(s) from the final posterior (shorter lag) at the end.
// Missing values: a row with a NaN is a missing step (bocpd::update: no likelihood update, the
// hazard still runs); lag and look-ahead count observed rows, and boundaries are reported at the
// original step of the first observed row of the new segment.
// Scale: with `standardize` (the default) each dimension is z-scored online before BOCPD sees it,
// against the mean and unbiased standard deviation of the values observed before it (Welford;
// 0 until 3 values were seen; a zero deviation gives 0 for a value equal to the mean and
// +-max_abs_z otherwise; |z| capped at `max_abs_z`), so the prior below is stated on a unit scale
// whatever the encoder: mu0 = 0, kappa0 = 1, alpha0 = 1, beta0 = 1 (TCPDBench's "default" BOCPD
// settings, which it applies to z-scored series) - and a * x + b (a > 0) gives the same boundaries.
// standardize = false feeds the raw values (for series already scaled, as predsense-tcpd does).
// With `skip_first` (the default) the value at step 0 - frame 0's conventional surprise, which
// has no prediction behind it - is ignored: the first segment starts at step 1's observation.
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
#include "predsense/segmentation/streaming/bocpd.hpp"
#include "predsense/segmentation/streaming/peak_segmenter.hpp"
#include "predsense/segmentation/streaming/segment_series.hpp"

namespace predsense {

struct bocpd_segmenter_params {
  bocpd_params model{};
  std::size_t lag = 5;
  peak_segmenter_params peaks{0.2, 0.0, 5, 5, 10};  // threshold, prominence, separation, lookahead, window
  bool standardize = true;                          // online z-score per dimension before the model (unit-scale prior)
  bool skip_first = true;                           // ignore the value at step 0 (frame 0 has no prediction)
  double max_abs_z = 1e3;                           // cap on a standardised value (unitless)
};

class bocpd_segmenter {
 public:
  bocpd_segmenter() : bocpd_segmenter(bocpd_segmenter_params{}) {}
  template <std::same_as<bocpd_segmenter_params> Params = bocpd_segmenter_params>
  explicit bocpd_segmenter(const Params& p, std::size_t dims = 1)
      : p_(p), model_(make_model(p.model), dims), peaks_(p.peaks), stats_(dims) {
    if (!(p.max_abs_z > 0.0)) throw invalid_argument_error("predsense: bocpd_segmenter: max_abs_z must be > 0");
  }

  // One observation per step; steps must be consecutive from 0. Univariate form first.
  std::optional<boundary> push(double x, std::size_t t) { return push(std::span<const double>(&x, 1), t); }
  std::optional<boundary> push(std::span<const double> x, std::size_t t) {
    if (t != next_)
      throw invalid_argument_error("predsense: bocpd_segmenter: step " + std::to_string(t) + " pushed, expected " +
                                   std::to_string(next_));
    if (x.size() != model_.dims())
      throw shape_error("predsense: bocpd_segmenter: step " + std::to_string(t) + " has " + std::to_string(x.size()) +
                        " values, expected dims = " + std::to_string(model_.dims()));
    if (t == 0 && p_.skip_first) {  // frame 0: no prediction, no observation
      ++next_;
      return std::nullopt;
    }
    const std::size_t before = model_.steps();
    model_.update(p_.standardize ? standardized(x) : x);
    ++next_;
    if (model_.steps() == before) return std::nullopt;  // a missing step
    original_.push_back(t);
    const std::size_t k = before;  // observed index of this row
    if (k < p_.lag) return std::nullopt;
    return feed(k - p_.lag, t);
  }

  // End of stream: decides the last lag + lookahead steps.
  std::vector<boundary> flush() {
    std::vector<boundary> out;
    const std::size_t n = model_.steps();
    const std::size_t from = n > p_.lag ? n - p_.lag : 0;
    for (std::size_t s = from; s < n; ++s)
      if (auto b = feed(s, next_ - 1)) out.push_back(*b);
    for (auto b : peaks_.flush()) {
      out.push_back(boundary(original_[b.t], b.score, next_ == 0 ? 0 : next_ - 1));  // in the original index
    }
    return out;
  }

  // Offline, univariate: push every value, then flush() (boundaries at original indices).
  std::vector<boundary> segment(std::span<const double> s) { return segment_series(*this, s); }

  // Starts a new stream (the model's posterior, the peak picker and the step count).
  void reset() {
    model_ = bocpd(make_model(p_.model), model_.dims());
    peaks_ = peak_segmenter(p_.peaks);
    next_ = 0;
    original_.clear();
    for (auto& s : stats_) s = {};
  }

  [[nodiscard]] std::size_t decision_delay() const noexcept { return p_.lag + p_.peaks.lookahead; }
  [[nodiscard]] const bocpd& model() const noexcept { return model_; }

 private:
  static bocpd_params make_model(bocpd_params m) {
    m.track_map = false;  // only the filtering posterior is read
    return m;
  }
  // Online z-score of each dimension against the observed values before it (NaN stays NaN).
  std::span<const double> standardized(std::span<const double> x) {
    z_.resize(x.size());
    for (std::size_t d = 0; d < x.size(); ++d) {
      auto& s = stats_[d];
      const double v = x[d];
      if (std::isnan(v)) {
        z_[d] = v;
        continue;
      }
      double z = 0.0;
      if (s.n >= 3) {
        const double sd = std::sqrt(s.m2 / static_cast<double>(s.n - 1));
        const double dev = v - s.mean;
        z = dev == 0.0 ? 0.0 : sd > 0.0 ? dev / sd : (dev > 0.0 ? p_.max_abs_z : -p_.max_abs_z);
        z = std::clamp(z, -p_.max_abs_z, p_.max_abs_z);
      }
      z_[d] = z;
      ++s.n;
      const double delta = v - s.mean;
      s.mean += delta / static_cast<double>(s.n);
      s.m2 += delta * (v - s.mean);
    }
    return z_;
  }
  // s: observed index; now: original step. The boundary is given at the original step.
  std::optional<boundary> feed(std::size_t s, std::size_t now) {
    const double c = s == 0 ? 0.0 : model_.start_probability(s);
    auto b = peaks_.push(c, s);
    if (b) b = boundary(original_[b->t], b->score, now);  // in the original index
    return b;
  }

  bocpd_segmenter_params p_;
  bocpd model_;
  peak_segmenter peaks_;
  std::size_t next_ = 0;               // next original step expected
  std::vector<std::size_t> original_;  // original step of each observed row
  struct welford {
    std::size_t n = 0;
    double mean = 0.0, m2 = 0.0;
  };
  std::vector<welford> stats_;  // per dimension, for `standardize`
  std::vector<double> z_;       // the standardised row

 public:
  // State (io/state_file.hpp): the parameters, the model's and the peak picker's state, the
  // step counter, the original step of each observed row and the per-dimension z-score moments.
  static constexpr const char* state_kind = "bocpd_segmenter";
  template <class A>
  void visit_state(A& a) {
    a.param("lag", p_.lag);
    a.param("standardize", p_.standardize);
    a.param("skip_first", p_.skip_first);
    a.param("max_abs_z", p_.max_abs_z);
    a.param("model_track_map", p_.model.track_map);
    a.validated([&] { a.require(p_.max_abs_z > 0.0, "max_abs_z", "must be > 0"); });
    a.nested("model", model_);
    a.nested("peaks", peaks_);
    const bool tm = p_.model.track_map;
    p_.model = model_.params(), p_.model.track_map = tm;
    p_.peaks = peaks_.params();
    a.field("next", next_);
    a.field("original", original_);
    a.each("stats", stats_, [](auto& ar, welford& w) {
      ar.field("n", w.n);
      ar.field("mean", w.mean);
      ar.field("m2", w.m2);
    });
    if constexpr (A::loading) {
      a.require(!model_.params().track_map, "model.track_map", "the segmenter's model keeps no Viterbi state");
      a.require(stats_.size() == model_.dims(), "stats", "not one entry per dimension");
      a.require(original_.size() == model_.steps(), "original", "not one step per observed row");
      for (std::size_t i = 0; i < original_.size(); ++i)
        a.require(original_[i] < next_ && (i == 0 || original_[i] > original_[i - 1]), "original",
                  "steps not increasing or not below next");
      a.require(peaks_.next_step() <= original_.size(), "peaks", "buffered past the observed rows");
    }
  }
};

// Offline: the boundaries of a whole row-major n x dims series (same as streaming + flush()).
inline std::vector<boundary> bocpd_segment(std::span<const double> x, std::size_t dims,
                                           const bocpd_segmenter_params& p = {}) {
  if (dims == 0 || x.size() % dims != 0)
    throw shape_error("predsense: bocpd_segment: " + std::to_string(x.size()) +
                      " values do not form rows of dims = " + std::to_string(dims));
  bocpd_segmenter seg(p, dims);
  std::vector<boundary> out;
  for (std::size_t i = 0, t = 0; i < x.size(); i += dims, ++t)
    if (auto b = seg.push(x.subspan(i, dims), t)) out.push_back(*b);
  for (const auto& b : seg.flush()) out.push_back(b);
  return out;
}

}  // namespace predsense
