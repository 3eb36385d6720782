// predsense/surprise/ema_normalizer.hpp - z-score against exponentially weighted statistics.
//
// Tracks an EMA mean m and variance v with weight alpha (West's incremental form:
// d = x - m; m += alpha d; v = (1 - alpha)(v + alpha d^2)). Each value is scored against the
// statistics before it: z = (x - m) / sqrt(v + eps). Unlike the Welford z-score it forgets, so it
// follows a stream whose baseline surprise drifts. The first value returns 0 and seeds m.
#pragma once

#include <cmath>
#include <cstddef>
#include <string>

#include "predsense/core/error.hpp"

namespace predsense {

class ema_normalizer {
 public:
  ema_normalizer() : ema_normalizer(0.05) {}
  explicit ema_normalizer(double alpha, double eps = 1e-12) : alpha_(alpha), eps_(eps) {
    if (!(alpha > 0.0 && alpha <= 1.0))
      throw invalid_argument_error("ema_normalizer: alpha must be in (0, 1], got " + std::to_string(alpha));
    if (!(eps > 0.0)) throw invalid_argument_error("ema_normalizer: eps must be > 0, got " + std::to_string(eps));
  }

  double operator()(double x) {
    if (!std::isfinite(x))
      throw non_finite_error("ema_normalizer: non-finite surprise " + std::to_string(x) + " at step " +
                             std::to_string(n_));
    if (n_++ == 0) {
      m_ = x;
      return 0.0;
    }
    const double d = x - m_;
    const double z = d / std::sqrt(v_ + eps_);
    m_ += alpha_ * d;
    v_ = (1.0 - alpha_) * (v_ + alpha_ * d * d);
    return z;
  }

  void reset() noexcept { n_ = 0, m_ = 0.0, v_ = 0.0; }
  [[nodiscard]] double mean() const noexcept { return m_; }
  [[nodiscard]] double variance() const noexcept { return v_; }

 private:
  double alpha_, eps_;
  std::size_t n_ = 0;
  double m_ = 0.0, v_ = 0.0;

 public:
  // State (io/state_file.hpp): alpha and eps, then the count, EMA mean and variance.
  static constexpr const char* state_kind = "ema_normalizer";
  template <class A>
  void visit_state(A& a) {
    a.param("alpha", alpha_);
    a.param("eps", eps_);
    a.validated([&] { *this = ema_normalizer(alpha_, eps_); });
    a.field("n", n_);
    a.field("mean", m_);
    a.field("var", v_);
  }
};

}  // namespace predsense
