// predsense/segmentation/offline/costs/normal_mean_cost.hpp - segment cost for a change in mean (Normal, known
// variance).
//
// For the rows [s, t) of a row-major n x dims series, m = t - s,
//   C(s, t) = sum over dimensions d of ( sum_i x_id^2 - (sum_i x_id)^2 / m ) / sigma2,
// the residual sum of squares about the segment mean: twice the negative Normal log-likelihood
// with known variance sigma2, up to a constant (R changepoint's cpt.mean, test.stat = "Normal",
// which assumes sigma2 = 1: standardise the series first, as TCPDBench does). O(1) per segment
// from prefix sums about the column means (prefix_moments.hpp: no dependence on an offset;
// computed once, O(n dims) memory). p = dims parameters per segment; minimum segment length 1.
//
// Input: finite values (apply missing_values.hpp first). Errors: shape_error if the data do not
// form rows of dims; empty_error for no rows; invalid_argument_error for sigma2 <= 0;
// non_finite_error for NaN/Inf.
#pragma once

#include <cmath>
#include <cstddef>
#include <span>
#include <string>
#include <utility>
#include <vector>

#include "predsense/core/error.hpp"
#include "predsense/segmentation/offline/costs/prefix_moments.hpp"
#include "predsense/segmentation/offline/preconditions.hpp"

namespace predsense {

class normal_mean_cost {
 public:
  normal_mean_cost(std::span<const double> x, std::size_t dims = 1, double sigma2 = 1.0)
      : n_(detail::checked_rows(x, dims, "normal_mean_cost")), dims_(dims) {
    if (!(sigma2 > 0.0) || !std::isfinite(sigma2))
      throw invalid_argument_error("predsense: normal_mean_cost: sigma2 must be finite and > 0, got " +
                                   std::to_string(sigma2));
    inv_sigma2_ = 1.0 / sigma2;
    detail::moment_prefix_sums p(x, n_, dims_);
    s1_ = std::move(p.s1), s2_ = std::move(p.s2);
  }

  double operator()(std::size_t s, std::size_t t) const {
    const double m = static_cast<double>(t - s);
    double c = 0.0;
    for (std::size_t d = 0; d < dims_; ++d) {
      const double a = s1_[t * dims_ + d] - s1_[s * dims_ + d];
      const double b = s2_[t * dims_ + d] - s2_[s * dims_ + d];
      c += b - a * a / m;
    }
    return c * inv_sigma2_;
  }
  // out[i] = C(s0 + i, t) for i < r (s0 + r <= t): many segments ending at t at once, as PELT asks.
  void costs_to_range(std::size_t s0, std::size_t r, std::size_t t, double* out) const {
    if (dims_ == 1) {  // a loop the compiler vectorises: contiguous loads, no logarithm
      const double at = s1_[t], bt = s2_[t];
      for (std::size_t i = 0; i < r; ++i) {
        const double a = at - s1_[s0 + i], m = static_cast<double>(t - s0 - i);
        out[i] = (bt - s2_[s0 + i] - a * a / m) * inv_sigma2_;
      }
      return;
    }
    for (std::size_t i = 0; i < r; ++i) out[i] = (*this)(s0 + i, t);
  }
  std::size_t size() const { return n_; }
  std::size_t dims() const { return dims_; }
  std::size_t parameters_per_segment() const { return dims_; }

 private:
  std::size_t n_, dims_;
  double inv_sigma2_ = 1.0;
  std::vector<double> s1_, s2_;  // (n + 1) x dims prefix sums of x and x^2
};

}  // namespace predsense
