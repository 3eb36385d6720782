// predsense/segmentation/offline/costs/normal_linear_trend_cost.hpp - segment cost for a change in a
// linear trend (piecewise linear regression on time, Normal noise).
//
// Source: least-squares regression with structural changes, Bai & Perron (1998), "Estimating and
// testing linear models with multiple structural changes", Econometrica 66:47-78, with the time
// index as regressor; the same model as ruptures' CostLinear with the design (1, t) and R
// changepoint's cpt.reg with a (1, t) design matrix. For the rows [s, t) of a row-major n x dims
// series, m = t - s, local time u = 0..m-1, and per dimension d the residual sum of squares of the
// least-squares line through (u, x_{s+u,d}),
//   RSS_d = S_xx - S_ux^2 / S_uu,  S_xx = sum (x - xbar)^2,  S_ux = sum (u - ubar)(x - xbar),
//   S_uu = m (m^2 - 1) / 12  (RSS_d = S_xx for m = 1),
// the cost is, by `variance`:
//   known      C(s, t) = sum_d RSS_d / sigma2                      (twice the negative log-
//              likelihood with known variance, up to a constant; p = 2 dims: intercept and
//              slope; min_size() = 2 as ruptures' CostLinear)
//   estimated  C(s, t) = sum_d m (log(2 pi) + log(max(RSS_d / m, 1e-11)) + 1)   (the variance at its
//              maximum-likelihood value, floored as normal_meanvar_cost; p = 3 dims; min_size() = 3,
//              since two rows lie on a line exactly)
// A segment whose series is a straight line costs nothing more for being long: a trend is not a
// change, where normal_mean_cost would cut a trending series into steps. O(1) per segment from
// prefix sums of x, x^2 and i x about the column means (prefix_moments.hpp). Both forms satisfy
// the split inequality (a line on each half fits at least as well as one line on both; for the
// estimated form by concavity of log), so PELT is exact.
//
// Input: finite values (apply missing_values.hpp first). Errors: shape_error, empty_error,
// non_finite_error as normal_mean_cost; invalid_argument_error for sigma2 <= 0 or not finite.
#pragma once

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <span>
#include <string>
#include <vector>

#include "predsense/core/error.hpp"
#include "predsense/segmentation/offline/costs/prefix_moments.hpp"
#include "predsense/segmentation/offline/preconditions.hpp"

namespace predsense {

enum class noise_variance { known, estimated };

class normal_linear_trend_cost {
 public:
  static constexpr double variance_floor = 1e-11;

  normal_linear_trend_cost(std::span<const double> x, std::size_t dims = 1,
                           noise_variance variance = noise_variance::known, double sigma2 = 1.0)
      : n_(detail::checked_rows(x, dims, "normal_linear_trend_cost")), dims_(dims), variance_(variance) {
    if (!(sigma2 > 0.0) || !std::isfinite(sigma2))
      throw invalid_argument_error("predsense: normal_linear_trend_cost: sigma2 must be finite and > 0, got " +
                                   std::to_string(sigma2));
    inv_sigma2_ = 1.0 / sigma2;
    const auto c = detail::column_shifts(x, n_, dims_);
    s1_.assign((n_ + 1) * dims_, 0.0), s2_ = s1_, sx_ = s1_;
    for (std::size_t i = 0; i < n_; ++i)
      for (std::size_t d = 0; d < dims_; ++d) {
        const double v = x[i * dims_ + d] - c[d];
        const std::size_t k = (i + 1) * dims_ + d, j = i * dims_ + d;
        s1_[k] = s1_[j] + v;
        s2_[k] = s2_[j] + v * v;
        sx_[k] = sx_[j] + static_cast<double>(i) * v;
      }
  }

  // The residual sum of squares of dimension d on [s, t).
  double rss(std::size_t s, std::size_t t, std::size_t d) const {
    const double m = static_cast<double>(t - s);
    const double a = s1_[t * dims_ + d] - s1_[s * dims_ + d];
    const double b = s2_[t * dims_ + d] - s2_[s * dims_ + d];
    const double sxx = b - a * a / m;
    if (t - s < 2) return std::max(sxx, 0.0);
    // sum over the segment of (i - s) x, then centred: S_ux = sum u x - ubar sum x.
    const double sux = sx_[t * dims_ + d] - sx_[s * dims_ + d] - static_cast<double>(s) * a;
    const double sux_c = sux - 0.5 * (m - 1.0) * a;
    const double suu = m * (m * m - 1.0) / 12.0;
    return std::max(sxx - sux_c * sux_c / suu, 0.0);
  }

  double operator()(std::size_t s, std::size_t t) const {
    const double m = static_cast<double>(t - s);
    double c = 0.0;
    for (std::size_t d = 0; d < dims_; ++d) {
      const double r = rss(s, t, d);
      c += variance_ == noise_variance::known ? r * inv_sigma2_
                                              : m * (log_2pi_ + std::log(std::max(r / m, variance_floor)) + 1.0);
    }
    return c;
  }
  std::size_t size() const { return n_; }
  std::size_t dims() const { return dims_; }
  std::size_t parameters_per_segment() const { return (variance_ == noise_variance::known ? 2 : 3) * dims_; }
  std::size_t min_size() const { return variance_ == noise_variance::known ? 2 : 3; }

 private:
  static constexpr double log_2pi_ = 1.8378770664093453;  // log(2 pi)
  std::size_t n_, dims_;
  noise_variance variance_;
  double inv_sigma2_ = 1.0;
  std::vector<double> s1_, s2_, sx_;  // (n + 1) x dims prefix sums of x, x^2 and i x (x shifted)
};

}  // namespace predsense
