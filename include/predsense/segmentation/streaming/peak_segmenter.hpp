// predsense/segmentation/streaming/peak_segmenter.hpp - boundaries at local maxima of a signal (surprise,
// change probability), with height threshold, prominence and minimum separation.
//
// Streaming with a fixed look-ahead L: the value pushed at step c is decided at step c + L
// (decision delay L). It is a peak when it is >= threshold, strictly greater than the next L
// values and >= the previous L (so a plateau reports its last sample), its prominence -- height
// above the higher of the minima on the left (over `window` values) and on the right (over L) --
// is >= `prominence`, and it is at least `min_separation` after the previous peak. flush() decides
// the last L values with the look-ahead that remains; segment() = push everything + flush().
// The default (no height threshold, prominence 0) reports every local maximum and is unchanged when
// the signal is replaced by a * v + b (a > 0); `threshold` and `prominence` are in the signal's units.
// `relative_prominence` r > 0 adds a scale-free test: prominence >= r * 1.4826 * MAD of the `window`
// values before the candidate (kernels/median_mad.hpp; none before 3 such values exist), so a * v + b
// still gives the same peaks.
// The value at t = 0 (frame 0's conventional surprise) is ignored: steps then start at 1.
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
#include "predsense/segmentation/streaming/segment_series.hpp"

namespace predsense {

struct peak_segmenter_params {
  double threshold = -std::numeric_limits<double>::infinity();  // minimum height
  double prominence = 0.0;                                      // minimum prominence
  std::size_t min_separation = 1;                               // minimum steps between reported peaks
  std::size_t lookahead = 3;                                    // L: right context and decision delay
  std::size_t window = 10;                                      // left context for the prominence
  double relative_prominence = 0.0;  // minimum prominence in robust sigmas of the left context (0: off)

  void validate() const {
    if (std::isnan(threshold)) throw invalid_argument_error("predsense: peak_segmenter: threshold is NaN");
    if (!(prominence >= 0.0) || !std::isfinite(prominence))
      throw invalid_argument_error("predsense: peak_segmenter: prominence must be finite and >= 0");
    if (min_separation == 0) throw invalid_argument_error("predsense: peak_segmenter: min_separation must be >= 1");
    if (!(relative_prominence >= 0.0) || !std::isfinite(relative_prominence))
      throw invalid_argument_error("predsense: peak_segmenter: relative_prominence must be finite and >= 0");
  }
};

class peak_segmenter {
 public:
  peak_segmenter() : peak_segmenter(peak_segmenter_params{}) {}
  template <std::same_as<peak_segmenter_params> Params = peak_segmenter_params>
  explicit peak_segmenter(const Params& p) : p_(p) {
    p_.validate();
  }

  // Steps must be consecutive (t, t+1, ...). Reports the peak decided at this step, if any.
  std::optional<boundary> push(double v, std::size_t t) {
    if (std::isnan(v)) throw non_finite_error("predsense: peak_segmenter: NaN at step " + std::to_string(t));
    if (t == 0) return std::nullopt;  // no prediction at frame 0
    if (!buf_.empty() && t != first_t_ + buf_.size())
      throw invalid_argument_error("predsense: peak_segmenter: step " + std::to_string(t) + " does not follow step " +
                                   std::to_string(first_t_ + buf_.size() - 1));
    if (buf_.empty()) first_t_ = t;
    buf_.push_back(v);
    std::optional<boundary> out;
    if (t >= first_t_ + p_.lookahead) out = decide(t - p_.lookahead, t);
    // keep the left context of the next candidate
    while (buf_.size() > std::max(p_.window, p_.lookahead) + p_.lookahead + 1) {
      buf_.pop_front();
      ++first_t_;
    }
    return out;
  }

  // Decides the candidates still waiting for their look-ahead (end of stream).
  std::vector<boundary> flush() {
    std::vector<boundary> out;
    if (buf_.empty()) return out;
    const std::size_t last = first_t_ + buf_.size() - 1;
    const std::size_t from = last >= first_t_ + p_.lookahead ? last - p_.lookahead + 1 : first_t_;
    for (std::size_t c = from; c <= last; ++c)
      if (auto b = decide(c, last)) out.push_back(*b);
    return out;
  }

  std::vector<boundary> segment(std::span<const double> s) { return segment_series(*this, s); }

  void reset() {
    buf_.clear();
    first_t_ = 0;
    has_last_ = false;
  }
  [[nodiscard]] std::size_t decision_delay() const noexcept { return p_.lookahead; }

 private:
  double at(std::size_t t) const { return buf_[t - first_t_]; }

  std::optional<boundary> decide(std::size_t c, std::size_t now) {
    const double v = at(c);
    if (v < p_.threshold) return std::nullopt;
    const std::size_t right_end = std::min(now, c + p_.lookahead);
    double right_min = v;
    for (std::size_t j = c + 1; j <= right_end; ++j) {
      if (at(j) >= v) return std::nullopt;
      right_min = std::min(right_min, at(j));
    }
    const std::size_t left_begin = c - std::min(c - first_t_, std::max(p_.window, p_.lookahead));
    double left_min = v;
    for (std::size_t j = left_begin; j < c; ++j) {
      if (c - j <= p_.lookahead && at(j) > v) return std::nullopt;
      left_min = std::min(left_min, at(j));
    }
    const double prominence = v - std::max(left_min, right_min);
    if (prominence < p_.prominence) return std::nullopt;
    if (p_.relative_prominence > 0.0) {
      const std::size_t from = c - std::min(c - first_t_, p_.window);
      left_.clear();
      for (std::size_t j = from; j < c; ++j) left_.push_back(at(j));
      // fewer than 3 values before it: no scale to judge by yet, so no relative peak
      if (left_.size() < 3 || prominence < p_.relative_prominence * kernels::robust_scale(left_, scratch_).spread)
        return std::nullopt;
    }
    if (has_last_ && c - last_peak_ < p_.min_separation) return std::nullopt;
    has_last_ = true;
    last_peak_ = c;
    return boundary{c, v, now};
  }

  peak_segmenter_params p_;
  std::deque<double> buf_;
  std::vector<double> left_, scratch_;  // relative_prominence: the left context and its scratch
  std::size_t first_t_ = 0;
  bool has_last_ = false;  // (not std::optional: GCC 12 warns maybe-uninitialized on it)
  std::size_t last_peak_ = 0;

 public:
  // State (io/state_file.hpp): the parameters, then the buffered values (left context and the
  // candidates waiting for their look-ahead), the step of the first one and the last peak.
  [[nodiscard]] const peak_segmenter_params& params() const noexcept { return p_; }
  // The step after the last buffered one (0 before any).
  [[nodiscard]] std::size_t next_step() const noexcept { return buf_.empty() ? 0 : first_t_ + buf_.size(); }
  [[nodiscard]] std::size_t buffered() const noexcept { return buf_.size(); }
  static constexpr const char* state_kind = "peak_segmenter";
  template <class A>
  void visit_state(A& a) {
    a.param("threshold", p_.threshold);
    a.param("prominence", p_.prominence);
    a.param("min_separation", p_.min_separation);
    a.param("lookahead", p_.lookahead);
    a.param("window", p_.window);
    a.param("relative_prominence", p_.relative_prominence);
    a.validated([&] { *this = peak_segmenter(p_); });
    a.field("buffer", buf_);
    a.field("first_t", first_t_);
    a.field("has_last", has_last_);
    a.field("last_peak", last_peak_);
    a.require(buf_.size() <= std::max(p_.window, p_.lookahead) + p_.lookahead + 1, "buffer",
              "longer than the context kept");
    a.require(first_t_ <= std::numeric_limits<std::size_t>::max() / 2, "first_t", "out of range");
    a.require(!has_last_ || last_peak_ < first_t_ + buf_.size() || buf_.empty(), "last_peak",
              "after the buffered steps");
  }
};

}  // namespace predsense
