// predsense/memory/policies/relative_surprise.hpp - a stream's surprise measured against its own recent
// past: the robust z-score (s - median) / (1.4826 * MAD) over a trailing window of the last `window`
// values.
//
// Why: an absolute threshold (Cambrian-S's 0.1) is a number on one encoder's scale; the same event
// scores 0.05 under one encoder and 0.5 under another, and a quiet room and a busy street differ
// tenfold under the same one. The robust z-score is unchanged by any affine map a*s + b (a > 0)
// of the surprise, so thresholds on it hold for any encoder's latents (Rousseeuw & Croux 1993 for
// the MAD's 1.4826 consistency factor).
// When the trailing MAD is 0 (a constant stretch), the mean absolute deviation is used; when that
// is 0 too, z is 0 for a value equal to the median and +-1e6 otherwise (infinitely surprising, but
// finite so sums and averages of z stay finite). With no history yet z is 0.
// Cost: O(window) per update (a partial sort of a copy); windows are a few hundred values.
#pragma once

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <utility>
#include <vector>

#include "predsense/core/error.hpp"

namespace predsense {

class trailing_robust_z {
 public:
  static constexpr double mad_to_sigma = 1.4826;
  static constexpr double degenerate_z = 1e6;

  explicit trailing_robust_z(std::size_t window = 120) : window_(window) {
    if (window == 0) throw invalid_argument_error("predsense: trailing_robust_z: window must be >= 1");
  }

  [[nodiscard]] std::size_t window() const noexcept { return window_; }
  [[nodiscard]] std::size_t size() const noexcept { return n_; }

  // z of `s` against the values pushed so far (the trailing window), without pushing it.
  [[nodiscard]] double z(double s) const {
    if (n_ == 0) return 0.0;
    const auto [med, scale] = location_scale();
    return standardize(s, med, scale);
  }
  // The trailing window's median and robust scale (1.4826 * MAD, or the mean absolute deviation
  // when the MAD is 0; 0 for a constant window).
  [[nodiscard]] std::pair<double, double> location_scale() const {
    if (n_ == 0) return {0.0, 0.0};
    tmp_.assign(buf_.begin(), buf_.begin() + static_cast<std::ptrdiff_t>(n_));
    const double med = median(tmp_);
    double mean_abs = 0.0;
    for (auto& v : tmp_) {
      v = std::abs(v - med);
      mean_abs += v;
    }
    const double mad = mad_to_sigma * median(tmp_);
    return {med, mad > 0.0 ? mad : mean_abs / static_cast<double>(n_)};
  }
  static double standardize(double s, double med, double scale) noexcept {
    if (scale > 0.0) return (s - med) / scale;
    return s > med ? degenerate_z : (s < med ? -degenerate_z : 0.0);
  }
  void push(double s) {
    if (buf_.size() < window_) {
      buf_.push_back(s);
      ++n_;
      return;
    }
    buf_[head_] = s;
    head_ = (head_ + 1) % window_;
  }
  void clear() noexcept {
    buf_.clear();
    n_ = head_ = 0;
  }

  // Checkpoint state (io/state_file.hpp's archive): the ring as stored, its head and fill, so a
  // restored window gives the same medians and the same sums in the same order (bit for bit).
  static constexpr const char* state_kind = "trailing_robust_z";
  template <class A>
  void visit_state(A& a) {
    a.param("window", window_);
    a.field("values", buf_);
    a.field("head", head_);
    a.field("count", n_);
    bool finite = true;
    for (double v : buf_) finite = finite && std::isfinite(v);
    a.require(finite, "values", "a trailing value is not finite");
    a.require(n_ == buf_.size() && n_ <= window_ && (head_ == 0 || (n_ == window_ && head_ < window_)), "head",
              "the ring's head and count do not fit its values and window");
  }

  // Median of v (reordered), the mean of the two middle values for an even count.
  static double median(std::vector<double>& v) {
    const std::size_t h = v.size() / 2;
    std::nth_element(v.begin(), v.begin() + static_cast<std::ptrdiff_t>(h), v.end());
    const double hi = v[h];
    if (v.size() % 2) return hi;
    return (*std::max_element(v.begin(), v.begin() + static_cast<std::ptrdiff_t>(h)) + hi) / 2.0;
  }

 private:
  std::size_t window_;
  std::vector<double> buf_;  // ring of the last window_ values (order does not matter)
  std::size_t n_ = 0, head_ = 0;
  mutable std::vector<double> tmp_;
};

}  // namespace predsense
