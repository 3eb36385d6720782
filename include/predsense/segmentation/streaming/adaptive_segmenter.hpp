// predsense/segmentation/streaming/adaptive_segmenter.hpp - EM-LLM's surprise threshold: a boundary at step
// i when s_i > mean(W) + gamma * std(W), W = the `window` surprises before i (unbiased std,
// strict >), with events shorter than `min_block` merged forward and longer than `max_block` split.
//
// Streaming, decision delay 0. Merging forward = a candidate closer than min_block to the current
// event's start is dropped (the short event continues into the next); splitting = a boundary is
// forced once the event reaches max_block steps (0 disables). The window statistics are updated
// incrementally (Welford add/remove) and recomputed exactly every `window` steps so rounding cannot
// drift on endless streams, and exactly whenever a decision is within rounding of the threshold;
// O(1) amortised per step. Relative by construction: replacing s by a * s + b (a > 0) moves the
// threshold with it, so the boundaries do not depend on the encoder's scale. The value at t = 0
// (frame 0's conventional surprise) is ignored: it opens the first event and enters no statistic.
// No boundary fires by the rule before `min_history` (10, at most `window`) surprises were seen: a
// mean and std of a handful of values are noise.
#pragma once

#include <algorithm>
#include <concepts>
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

struct adaptive_segmenter_params {
  std::size_t window = 128;      // trailing surprises the threshold is computed from
  double gamma = 1.0;            // threshold = mean + gamma * std
  std::size_t min_block = 8;     // shortest event (candidates earlier than this are merged forward)
  std::size_t max_block = 128;   // longest event before a forced split (0: never split)
  std::size_t min_history = 10;  // surprises seen before the first boundary by the rule (capped at window)

  void validate() const {
    if (window < 2)
      throw invalid_argument_error("predsense: adaptive_segmenter: window must be >= 2, got " + std::to_string(window));
    if (!std::isfinite(gamma)) throw invalid_argument_error("predsense: adaptive_segmenter: gamma must be finite");
    if (max_block != 0 && max_block < min_block)
      throw invalid_argument_error("predsense: adaptive_segmenter: max_block (" + std::to_string(max_block) +
                                   ") < min_block (" + std::to_string(min_block) + ")");
  }
};

class adaptive_segmenter {
 public:
  // Storage grows with the surprises seen, up to `window` of them: a large window costs nothing
  // until the stream is that long (memory: 8 bytes per surprise held, amortised growth).
  adaptive_segmenter() : adaptive_segmenter(adaptive_segmenter_params{}) {}
  template <std::same_as<adaptive_segmenter_params> Params = adaptive_segmenter_params>
  explicit adaptive_segmenter(const Params& p) : p_(p) {
    p_.validate();
  }

  std::optional<boundary> push(double surprise, std::size_t t) {
    if (!std::isfinite(surprise))
      throw non_finite_error("predsense: adaptive_segmenter: non-finite surprise " + std::to_string(surprise) +
                             " at step " + std::to_string(t));
    if (t == 0) {  // frame 0 has no prediction: it opens the first event and enters no statistic
      started_ = true;
      event_start_ = 0;
      return std::nullopt;
    }
    if (!started_) {
      started_ = true;
      event_start_ = t;
    }
    std::optional<boundary> out;
    const std::size_t len = t - event_start_;  // length of the current event before t
    if (count_ >= std::max<std::size_t>(2, std::min(p_.min_history, p_.window))) {
      double thr = threshold();
      // Incremental statistics carry rounding; near the threshold the decision is re-taken on
      // exactly recomputed ones, so e.g. a constant window never fires on the same constant.
      if (std::fabs(surprise - thr) <= 1e-9 * (1.0 + std::fabs(thr))) {
        recompute();
        thr = threshold();
      }
      if (surprise > thr && len >= p_.min_block) out = boundary{t, surprise, t};
    }
    if (!out && p_.max_block != 0 && len >= p_.max_block) out = boundary{t, surprise, t};
    if (out) event_start_ = t;
    add(surprise);
    return out;
  }

  std::vector<boundary> segment(std::span<const double> s) { return segment_series(*this, s); }

  // No look-ahead: nothing is pending at the end of a stream.
  std::vector<boundary> flush() { return {}; }
  void reset() {
    ring_.clear();  // capacity kept
    count_ = head_ = since_exact_ = 0;
    mean_ = m2_ = 0.0;
    started_ = false;
  }
  [[nodiscard]] static constexpr std::size_t decision_delay() noexcept { return 0; }
  // Current threshold (NaN until two surprises have been seen).
  [[nodiscard]] double threshold() const {
    if (count_ < 2) return std::nan("");
    const double var = m2_ / static_cast<double>(count_ - 1);
    return mean_ + p_.gamma * std::sqrt(var > 0.0 ? var : 0.0);
  }

 private:
  void add(double x) {
    if (count_ == p_.window) {  // remove the oldest, Welford in reverse
      const double y = ring_[head_];
      --count_;
      const double d = y - mean_;
      mean_ -= d / static_cast<double>(count_);
      m2_ -= d * (y - mean_);
    }
    if (ring_.size() < p_.window)
      ring_.push_back(x);  // filling: ring_.size() == count_ and head_ == count_ (mod window once full)
    else
      ring_[head_] = x;
    head_ = (head_ + 1) % p_.window;
    ++count_;
    const double d = x - mean_;
    mean_ += d / static_cast<double>(count_);
    m2_ += d * (x - mean_);
    if (++since_exact_ >= p_.window) recompute();
  }
  // The i-th most recent surprise held (i < count_); no sum can wrap, even for window near SIZE_MAX.
  [[nodiscard]] double back(std::size_t i) const {
    const std::size_t k = i + 1;
    return ring_[head_ >= k ? head_ - k : head_ + (p_.window - k)];
  }
  void recompute() {
    since_exact_ = 0;
    double m = 0.0;
    for (std::size_t i = 0; i < count_; ++i) m += back(i);
    m /= static_cast<double>(count_);
    double ss = 0.0;
    for (std::size_t i = 0; i < count_; ++i) {
      const double e = back(i) - m;
      ss += e * e;
    }
    mean_ = m;
    m2_ = ss;
  }

  adaptive_segmenter_params p_;
  std::vector<double> ring_;
  std::size_t count_ = 0, head_ = 0, since_exact_ = 0;
  double mean_ = 0.0, m2_ = 0.0;
  bool started_ = false;
  std::size_t event_start_ = 0;

 public:
  // State (io/state_file.hpp): the parameters, then the ring of trailing surprises with its
  // running mean / M2 and the open event's start.
  static constexpr const char* state_kind = "adaptive_segmenter";
  template <class A>
  void visit_state(A& a) {
    a.param("window", p_.window);
    a.param("gamma", p_.gamma);
    a.param("min_block", p_.min_block);
    a.param("max_block", p_.max_block);
    a.param("min_history", p_.min_history);
    a.validated([&] { *this = adaptive_segmenter(p_); });
    a.field("ring", ring_);
    a.field("count", count_);
    a.field("head", head_);
    a.field("since_exact", since_exact_);
    a.field("mean", mean_);
    a.field("m2", m2_);
    a.field("started", started_);
    a.field("event_start", event_start_);
    // back(i) indexes ring_ from head_: the ring fills in order, then wraps
    a.require(ring_.size() <= p_.window && count_ == ring_.size() && head_ < p_.window &&
                  (ring_.size() == p_.window || head_ == ring_.size()),
              "ring", "count, head and ring length disagree");
    a.require(since_exact_ < p_.window, "since_exact", "not below the window");
  }
};

}  // namespace predsense
