// predsense/surprise/gaussian_nll.hpp - diagonal-Gaussian negative log-likelihood of the actual
// frame under the prediction, with a running per-dimension residual model.
//
// The residual r = actual - pred is modelled per dimension d as N(mu_d, var_d), where mu_d and
// var_d are the running mean and unbiased variance (Welford, merged one frame at a time with
// Chan's formula) of all residual tokens seen *before* this frame. The score is the mean over
// the T x D elements of 0.5 * (log(2 pi var_d) + (r - mu_d)^2 / var_d), in nats per element.
// Until a dimension has two samples its variance is `prior_var`; variances are floored at
// `min_var` so a dimension that never moved cannot make the score infinite.
// Stateful: call it once per frame, in stream order; reset() forgets the history. A frame whose
// score comes out non-finite (allow_non_finite) is not folded into the statistics.
#pragma once

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <numbers>
#include <string>
#include <vector>

#include "predsense/core/error.hpp"
#include "predsense/core/frame_view.hpp"
#include "predsense/core/non_finite_policy.hpp"

namespace predsense {

template <non_finite_policy NonFinite = reject_non_finite>
class gaussian_nll {
 public:
  gaussian_nll() : gaussian_nll(1.0) {}
  explicit gaussian_nll(double prior_var, double min_var = 1e-6) : prior_var_(prior_var), min_var_(min_var) {
    if (!(prior_var > 0.0) || !std::isfinite(prior_var))
      throw invalid_argument_error("gaussian_nll: prior_var must be finite and > 0, got " + std::to_string(prior_var));
    if (!(min_var > 0.0) || !std::isfinite(min_var))
      throw invalid_argument_error("gaussian_nll: min_var must be finite and > 0, got " + std::to_string(min_var));
  }

  template <frame_like A, frame_like B>
  double operator()(const A& pred, const B& actual) {
    const auto [p, a] = detail::metric_operands(pred, actual);
    if (mean_.empty()) {
      mean_.assign(p.dim, 0.0);
      m2_.assign(p.dim, 0.0);
    } else if (mean_.size() != p.dim) {
      throw shape_error("gaussian_nll: frame dim " + std::to_string(p.dim) + " differs from the dim " +
                        std::to_string(mean_.size()) + " of earlier frames (call reset() to start a new stream)");
    }
    const std::size_t D = p.dim, T = p.tokens;
    double nll = 0.0;
    for (std::size_t d = 0; d < D; ++d) {
      const double var = std::max(count_ >= 2 ? m2_[d] / double(count_ - 1) : prior_var_, min_var_);
      double sq = 0.0;
      for (std::size_t t = 0; t < T; ++t) {
        const double r = double(a.data[t * D + d]) - double(p.data[t * D + d]) - mean_[d];
        sq += r * r;
      }
      nll += 0.5 * (double(T) * std::log(2.0 * std::numbers::pi * var) + sq / var);
    }
    nll /= double(T * D);
    nll = detail::check_result<NonFinite>(nll, p, "prediction", a, "actual");
    if (std::isfinite(nll)) update(p, a);
    return nll;
  }

  void reset() {
    mean_.clear();
    m2_.clear();
    count_ = 0;
  }
  [[nodiscard]] std::size_t samples() const noexcept { return count_; }
  [[nodiscard]] double mean(std::size_t d) const { return mean_.at(d); }
  [[nodiscard]] double variance(std::size_t d) const {
    return count_ >= 2 ? m2_.at(d) / double(count_ - 1) : prior_var_;
  }

 private:
  // Chan et al.'s pairwise merge of this frame's T residuals into the running moments.
  void update(const frame_view& p, const frame_view& a) {
    const std::size_t D = p.dim, T = p.tokens;
    const double n_a = double(count_), n_b = double(T), n = n_a + n_b;
    for (std::size_t d = 0; d < D; ++d) {
      double mb = 0.0;
      for (std::size_t t = 0; t < T; ++t) mb += double(a.data[t * D + d]) - double(p.data[t * D + d]);
      mb /= n_b;
      double m2b = 0.0;
      for (std::size_t t = 0; t < T; ++t) {
        const double r = double(a.data[t * D + d]) - double(p.data[t * D + d]) - mb;
        m2b += r * r;
      }
      const double delta = mb - mean_[d];
      mean_[d] += delta * n_b / n;
      m2_[d] += m2b + delta * delta * n_a * n_b / n;
    }
    count_ += T;
  }

  double prior_var_, min_var_;
  std::vector<double> mean_, m2_;
  std::size_t count_ = 0;

 public:
  // State (io/state_file.hpp): prior_var and min_var, then the residual moments per dim.
  static constexpr const char* state_kind = "gaussian_nll";
  template <class A>
  void visit_state(A& a) {
    a.param("prior_var", prior_var_);
    a.param("min_var", min_var_);
    a.validated([&] { *this = gaussian_nll(prior_var_, min_var_); });
    a.field("mean", mean_);
    a.field("m2", m2_);
    a.field("count", count_);
    a.require(mean_.size() == m2_.size(), "m2", "not as long as mean");
  }
};

}  // namespace predsense
