// predsense/segmentation/offline/costs/normal_meanvar_cost.hpp - segment cost for a change in mean and variance
// (Normal).
//
// For the rows [s, t) of a row-major n x dims series, m = t - s, and per dimension the maximum-
// likelihood variance sigma2_d = (sum x^2 - (sum x)^2 / m) / m,
//   C(s, t) = sum over d of  m (log(2 pi) + log(max(sigma2_d, 1e-11)) + 1),
// twice the negative Normal log-likelihood at the segment's MLE (R changepoint's cpt.meanvar,
// test.stat = "Normal", including its 1e-11 floor on the variance, which makes a constant
// segment very cheap, and breaks the split inequality PELT's exact pruning relies on: standardise
// the series). A one-row segment has zero variance, so the cost declares min_size() == 2 and the
// search methods never use shorter segments (preconditions.hpp; R's cpt.meanvar also requires
// minseglen >= 2). O(1) per segment from prefix sums about the column means (prefix_moments.hpp:
// no dependence on an offset). p = 2 dims parameters per segment. costs_to_range() evaluates the segments [s0 + i, t)
// at once (PELT's candidates), SIMD for a univariate series (kernels/meanvar_segment_costs.hpp).
//
// Input: finite values (apply missing_values.hpp first). Errors: shape_error, empty_error,
// non_finite_error as normal_mean_cost.
#pragma once

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <numbers>
#include <span>
#include <utility>
#include <vector>

#include "predsense/core/error.hpp"
#include "predsense/kernels/meanvar_segment_costs.hpp"
#include "predsense/segmentation/offline/costs/prefix_moments.hpp"
#include "predsense/segmentation/offline/preconditions.hpp"

namespace predsense {

class normal_meanvar_cost {
 public:
  static constexpr double variance_floor = 1e-11;

  normal_meanvar_cost(std::span<const double> x, std::size_t dims = 1)
      : n_(detail::checked_rows(x, dims, "normal_meanvar_cost")), dims_(dims) {
    detail::moment_prefix_sums p(x, n_, dims_);
    s1_ = std::move(p.s1), s2_ = std::move(p.s2);
    if (dims_ == 1) {
      recip_.assign(n_ + 1, 0.0);
      for (std::size_t j = 0; j < n_; ++j) recip_[j] = 1.0 / static_cast<double>(n_ - j);
    }
  }

  double operator()(std::size_t s, std::size_t t) const {
    const double m = static_cast<double>(t - s);
    double c = 0.0;
    for (std::size_t d = 0; d < dims_; ++d) {
      const double a = s1_[t * dims_ + d] - s1_[s * dims_ + d];
      const double b = s2_[t * dims_ + d] - s2_[s * dims_ + d];
      const double var = std::max((b - a * a / m) / m, variance_floor);
      c += m * (log_2pi_ + std::log(var) + 1.0);
    }
    return c;
  }
  // out[i] = C(s0 + i, t) for i < r (s0 + r <= t): many segments ending at t at once, as PELT asks.
  void costs_to_range(std::size_t s0, std::size_t r, std::size_t t, double* out) const {
    if (dims_ == 1) {
      kernels::meanvar_segment_costs(s1_.data(), s2_.data(), s0, r, t, variance_floor, recip_.data(), n_, out);
      return;
    }
    for (std::size_t i = 0; i < r; ++i) out[i] = (*this)(s0 + i, t);
  }
  std::size_t size() const { return n_; }
  std::size_t dims() const { return dims_; }
  std::size_t parameters_per_segment() const { return 2 * dims_; }
  static constexpr std::size_t min_size() { return 2; }

 private:
  static constexpr double log_2pi_ = 1.8378770664093453;  // log(2 pi)
  std::size_t n_, dims_;
  std::vector<double> s1_, s2_;
  std::vector<double> recip_;  // recip_[j] = 1 / (n - j): reciprocal lengths, ascending in the start
};

}  // namespace predsense
