// predsense/segmentation/offline/costs/empirical_distribution_cost.hpp - nonparametric segment cost, robust to
// outliers and heavy tails (a change anywhere in the distribution, not only its mean).
//
// Source: Haynes, Fearnhead & Eckley (2017), "A computationally efficient nonparametric approach
// for changepoint detection", Statistics and Computing 27:1293-1305, Sec. 3 (ED-PELT; after the
// nonparametric likelihood of Zou, Yin, Feng & Wang 2014). The segment's empirical CDF is compared
// at K fixed quantiles of the whole series, weighted towards the tails:
//   q_k = the p_k-quantile of the (observed) series, p_k = 1 / (1 + (2n - 1)^(1 - (2k - 1)/K)),
//   k = 1..K, K = ceil(4 log n) unless given (their recommendation), the p-quantile being the
//   sorted value at index floor((n - 1) p) (as R changepoint.np);
// for the rows [s, t), m = t - s, F_k = (#{x < q_k} + #{x = q_k} / 2) / m, and
//   C(s, t) = (2 log(2n - 1) / K) * sum over k of m * H(F_k),   H(F) = -F log F - (1 - F) log(1 - F),
// summed over dimensions. Only ranks enter, so one wild value moves a cost by at most that of one
// point: that is the robustness. O(K dims) per segment from prefix counts ((n + 1) K dims 32-bit
// counters of memory). p = dims parameters per segment (as R changepoint.np's cpt.np). One
// difference from changepoint.np: predsense's MBIC adds its log(length) segment term to every cost
// (penalty.hpp), where changepoint.np's ED cost takes MBIC's 3 log n per change only.
//
// Input: finite values (apply missing_values.hpp first). Errors: as normal_mean_cost;
// invalid_argument_error for K > 4096.
#pragma once

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "predsense/core/error.hpp"
#include "predsense/segmentation/offline/preconditions.hpp"

namespace predsense {

class empirical_distribution_cost {
 public:
  empirical_distribution_cost(std::span<const double> x, std::size_t dims = 1, std::size_t quantiles = 0)
      : n_(detail::checked_rows(x, dims, "empirical_distribution_cost")), dims_(dims) {
    if (quantiles > 4096)
      throw invalid_argument_error("predsense: empirical_distribution_cost: quantiles must be <= 4096, got " +
                                   std::to_string(quantiles));
    const double nd = static_cast<double>(n_);
    k_ = quantiles != 0 ? quantiles
                        : static_cast<std::size_t>(std::max(1.0, std::ceil(4.0 * std::log(std::max(nd, 2.0)))));
    scale_ = 2.0 * std::log(std::max(2.0 * nd - 1.0, 1.0 + 1e-12)) / static_cast<double>(k_);
    if (n_ == 1) scale_ = 1.0;  // log(1) = 0 would make every cost 0; one row has no change anyway
    // twice the count: 2 #{x < q} + #{x = q}, so that the half weight of ties stays an integer.
    counts_.assign((n_ + 1) * k_ * dims_, 0);
    std::vector<double> col(n_), q(k_);
    for (std::size_t d = 0; d < dims_; ++d) {
      for (std::size_t i = 0; i < n_; ++i) col[i] = x[i * dims_ + d];
      std::sort(col.begin(), col.end());
      for (std::size_t k = 0; k < k_; ++k) {
        const double e = 1.0 - (2.0 * static_cast<double>(k + 1) - 1.0) / static_cast<double>(k_);
        const double p = 1.0 / (1.0 + std::pow(2.0 * nd - 1.0, e));
        const auto idx = std::min(n_ - 1, static_cast<std::size_t>(std::floor(p * (nd - 1.0))));
        q[k] = col[idx];
      }
      for (std::size_t i = 0; i < n_; ++i) {
        const double v = x[i * dims_ + d];
        const std::uint32_t* prev = &counts_[(i * dims_ + d) * k_];
        std::uint32_t* cur = &counts_[((i + 1) * dims_ + d) * k_];
        for (std::size_t k = 0; k < k_; ++k) cur[k] = prev[k] + (v < q[k] ? 2u : (v == q[k] ? 1u : 0u));
      }
    }
  }

  double operator()(std::size_t s, std::size_t t) const {
    const double m = static_cast<double>(t - s);
    const double inv = 0.5 / m;
    double h = 0.0;
    for (std::size_t d = 0; d < dims_; ++d) {
      const std::uint32_t* a = &counts_[(s * dims_ + d) * k_];
      const std::uint32_t* b = &counts_[(t * dims_ + d) * k_];
      for (std::size_t k = 0; k < k_; ++k) {
        const double f = static_cast<double>(b[k] - a[k]) * inv;
        if (f > 0.0 && f < 1.0) h -= f * std::log(f) + (1.0 - f) * std::log1p(-f);
      }
    }
    return scale_ * m * h;
  }
  std::size_t size() const { return n_; }
  std::size_t dims() const { return dims_; }
  std::size_t quantiles() const { return k_; }
  std::size_t parameters_per_segment() const { return dims_; }

 private:
  std::size_t n_, dims_, k_ = 1;
  double scale_ = 1.0;
  std::vector<std::uint32_t> counts_;  // (n + 1) x dims x K
};

}  // namespace predsense
