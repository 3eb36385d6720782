// predsense/surprise/zscore_normalizer.hpp - running z-score of a surprise stream (Welford).
//
// z_t = (x_t - mean) / std, where mean and the unbiased std are over x_0..x_{t-1} (the value is
// scored before it joins the statistics, so a spike is measured against the past, not itself).
// Returns 0 until two values have been seen; std is floored at `min_std`.
#pragma once

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <string>

#include "predsense/core/error.hpp"

namespace predsense {

class zscore_normalizer {
 public:
  zscore_normalizer() : zscore_normalizer(1e-12) {}
  explicit zscore_normalizer(double min_std) : min_std_(min_std) {
    if (!(min_std > 0.0))
      throw invalid_argument_error("zscore_normalizer: min_std must be > 0, got " + std::to_string(min_std));
  }

  double operator()(double x) {
    if (!std::isfinite(x))
      throw non_finite_error("zscore_normalizer: non-finite surprise " + std::to_string(x) + " at step " +
                             std::to_string(n_));
    const double z = n_ >= 2 ? (x - mean_) / std::max(std::sqrt(m2_ / double(n_ - 1)), min_std_) : 0.0;
    ++n_;
    const double delta = x - mean_;
    mean_ += delta / double(n_);
    m2_ += delta * (x - mean_);
    return z;
  }

  void reset() noexcept { n_ = 0, mean_ = 0.0, m2_ = 0.0; }
  [[nodiscard]] std::size_t count() const noexcept { return n_; }
  [[nodiscard]] double mean() const noexcept { return mean_; }
  [[nodiscard]] double stddev() const noexcept { return n_ >= 2 ? std::sqrt(m2_ / double(n_ - 1)) : 0.0; }

 private:
  double min_std_;
  std::size_t n_ = 0;
  double mean_ = 0.0, m2_ = 0.0;

 public:
  // State (io/state_file.hpp): min_std, then the Welford count, mean and M2.
  static constexpr const char* state_kind = "zscore_normalizer";
  template <class A>
  void visit_state(A& a) {
    a.param("min_std", min_std_);
    a.validated([&] { *this = zscore_normalizer(min_std_); });
    a.field("n", n_);
    a.field("mean", mean_);
    a.field("m2", m2_);
  }
};

}  // namespace predsense
