// predsense/segmentation/offline/costs/normal_ar1_cost.hpp - segment cost for a change in an AR(1)
// process: its mean, autoregressive coefficient and innovation variance (Normal innovations).
//
// Source: piecewise autoregressive models, Davis, Lee & Rodriguez-Yam (2006), "Structural break
// estimation for nonstationary time series models", JASA 101:223-239 (there with an MDL
// penalty), here with the conditional Gaussian likelihood (each row given the one before; Box &
// Jenkins' conditional least squares). Why: serially correlated noise (a random walk-like drift,
// a slow oscillation) looks to an independent-noise cost like many changes in mean; a segment of
// an AR(1) process is one segment here. For the rows [s, t) of a row-major n x dims series, the
// rows i in [max(s, 1), t) (k of them; row 0 has no predecessor) are regressed on their
// predecessor, x_id = c_d + phi_d x_{i-1,d} + e_id, by least squares with segment-specific c_d and
// phi_d, the predecessor of a segment's first row being the last row of the previous segment
// (so every partition scores the same n - 1 rows). With y = x_id, z = x_{i-1,d} over those rows,
//   RSS_d = S_yy - S_yz^2 / S_zz   (S_yy, S_zz, S_yz centred sums; RSS_d = S_yy when S_zz = 0),
//   C(s, t) = sum_d k (log(2 pi) + log(max(RSS_d / k, 1e-11)) + 1),
// twice the negative conditional log-likelihood at the maximum-likelihood c, phi and innovation
// variance. p = 3 dims parameters per segment (c, phi, variance); min_size() = 4 (three regression
// rows fit a line through (z, y) exactly, and a segment at row 0 has one fewer). The split
// inequality holds (each half's regression fits its rows at least as well; concavity of log), so
// PELT is exact. O(1) per segment from prefix sums about the column means (prefix_moments.hpp).
//
// Input: finite values (apply missing_values.hpp first). Errors: shape_error, empty_error,
// non_finite_error as normal_mean_cost.
#pragma once

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <span>
#include <vector>

#include "predsense/core/error.hpp"
#include "predsense/segmentation/offline/costs/prefix_moments.hpp"
#include "predsense/segmentation/offline/preconditions.hpp"

namespace predsense {

class normal_ar1_cost {
 public:
  static constexpr double variance_floor = 1e-11;

  normal_ar1_cost(std::span<const double> x, std::size_t dims = 1)
      : n_(detail::checked_rows(x, dims, "normal_ar1_cost")), dims_(dims) {
    const auto c = detail::column_shifts(x, n_, dims_);
    s1_.assign((n_ + 1) * dims_, 0.0), s2_ = s1_, lag_ = s1_;
    for (std::size_t i = 0; i < n_; ++i)
      for (std::size_t d = 0; d < dims_; ++d) {
        const double v = x[i * dims_ + d] - c[d];
        const std::size_t k = (i + 1) * dims_ + d, j = i * dims_ + d;
        s1_[k] = s1_[j] + v;
        s2_[k] = s2_[j] + v * v;
        lag_[k] = lag_[j] + (i > 0 ? v * (x[(i - 1) * dims_ + d] - c[d]) : 0.0);
      }
  }

  // The residual sum of squares of dimension d on [s, t) and the number of regression rows.
  double rss(std::size_t s, std::size_t t, std::size_t d) const {
    const std::size_t a = std::max<std::size_t>(s, 1);
    if (t <= a) return 0.0;
    const double k = static_cast<double>(t - a);
    auto sum = [&](const std::vector<double>& p, std::size_t lo, std::size_t hi) {
      return p[hi * dims_ + d] - p[lo * dims_ + d];
    };
    const double sy = sum(s1_, a, t), syy = sum(s2_, a, t);
    const double sz = sum(s1_, a - 1, t - 1), szz = sum(s2_, a - 1, t - 1);
    const double syz = sum(lag_, a, t);
    const double cyy = syy - sy * sy / k, czz = szz - sz * sz / k, cyz = syz - sy * sz / k;
    // A constant predecessor (czz ~ 0 relative to its scale) leaves phi unidentified: the mean alone.
    if (!(czz > 1e-12 * std::max(szz, 1e-300))) return std::max(cyy, 0.0);
    return std::max(cyy - cyz * cyz / czz, 0.0);
  }
  std::size_t rows(std::size_t s, std::size_t t) const { return t - std::max<std::size_t>(s, 1); }

  double operator()(std::size_t s, std::size_t t) const {
    const std::size_t kk = t > std::max<std::size_t>(s, 1) ? rows(s, t) : 0;
    if (kk == 0) return 0.0;
    const double k = static_cast<double>(kk);
    double c = 0.0;
    for (std::size_t d = 0; d < dims_; ++d)
      c += k * (log_2pi_ + std::log(std::max(rss(s, t, d) / k, variance_floor)) + 1.0);
    return c;
  }
  std::size_t size() const { return n_; }
  std::size_t dims() const { return dims_; }
  std::size_t parameters_per_segment() const { return 3 * dims_; }
  static constexpr std::size_t min_size() { return 4; }

 private:
  static constexpr double log_2pi_ = 1.8378770664093453;  // log(2 pi)
  std::size_t n_, dims_;
  std::vector<double> s1_, s2_, lag_;  // (n + 1) x dims prefix sums of x, x^2, x_i x_{i-1} (x shifted)
};

}  // namespace predsense
