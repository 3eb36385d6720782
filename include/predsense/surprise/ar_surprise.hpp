// predsense/surprise/ar_surprise.hpp - surprise of any series from an online autoregressive
// predictor: the standardized one-step residual.
//
// Per dimension, an AR(order) model with intercept is fitted online by recursive least squares
// with forgetting factor `forgetting` (old data weigh forgetting^age, so the model tracks slow
// drift); the residual of x_t against the prediction made from x_<t is divided by a running
// residual scale (same forgetting; equal weights during warm-up). The surprise of a step is the
// root mean square of the standardized residuals over dimensions; it is 0 for the first `order`
// steps, before a prediction exists. Any segmenter can consume it.
#pragma once

#include <concepts>
#include <algorithm>
#include <cmath>
#include <cstddef>
#include <span>
#include <string>
#include <vector>

#include "predsense/core/error.hpp"

namespace predsense {

struct ar_surprise_params {
  std::size_t order = 2;
  double forgetting = 0.99;
  double init_variance = 1e3;  // RLS prior covariance scale (weak prior on the coefficients)

  void validate() const {
    if (order == 0 || order > 64)
      throw invalid_argument_error("predsense: ar_surprise: order must be in [1, 64], got " + std::to_string(order));
    if (!(forgetting > 0.0 && forgetting <= 1.0))
      throw invalid_argument_error("predsense: ar_surprise: forgetting must be in (0, 1], got " +
                                   std::to_string(forgetting));
    if (!(init_variance > 0.0) || !std::isfinite(init_variance))
      throw invalid_argument_error("predsense: ar_surprise: init_variance must be finite and > 0");
  }
};

class ar_surprise {
 public:
  ar_surprise() : ar_surprise(ar_surprise_params{}) {}
  template <std::same_as<ar_surprise_params> Params = ar_surprise_params>
  explicit ar_surprise(const Params& p, std::size_t dims = 1) : p_(p), dims_(dims) {
    p_.validate();
    if (dims == 0) throw invalid_argument_error("predsense: ar_surprise: dims must be >= 1");
    const std::size_t m = p_.order + 1;
    w_.assign(dims_ * m, 0.0);
    P_.assign(dims_ * m * m, 0.0);
    for (std::size_t d = 0; d < dims_; ++d)
      for (std::size_t i = 0; i < m; ++i) P_[d * m * m + i * m + i] = p_.init_variance;
    hist_.assign(dims_ * p_.order, 0.0);
    var_.assign(dims_, 0.0);
    phi_.assign(m, 0.0);
    pphi_.assign(m, 0.0);
  }

  // Consumes x_t (dims() values) and returns its surprise.
  double update(std::span<const double> x) {
    if (x.size() != dims_)
      throw shape_error("predsense: ar_surprise: observation has " + std::to_string(x.size()) + " values, expected " +
                        std::to_string(dims_));
    const std::size_t m = p_.order + 1;
    double acc = 0.0;
    const bool ready = seen_ >= p_.order;
    for (std::size_t d = 0; d < dims_; ++d) {
      if (!std::isfinite(x[d]))
        throw non_finite_error("predsense: ar_surprise: non-finite value at step " + std::to_string(seen_) + ", dim " +
                               std::to_string(d));
      if (ready) {
        double* w = &w_[d * m];
        double* P = &P_[d * m * m];
        phi_[0] = 1.0;
        for (std::size_t k = 0; k < p_.order; ++k) phi_[k + 1] = hist_[d * p_.order + k];
        double pred = 0.0;
        for (std::size_t i = 0; i < m; ++i) pred += w[i] * phi_[i];
        const double e = x[d] - pred;
        // standardize by the scale known before this step
        const double sd = std::sqrt(var_[d]);
        if (fitted_ > 0 && sd > 1e-12) acc += (e / sd) * (e / sd);
        // RLS update
        double denom = p_.forgetting;
        for (std::size_t i = 0; i < m; ++i) {
          double s = 0.0;
          for (std::size_t j = 0; j < m; ++j) s += P[i * m + j] * phi_[j];
          pphi_[i] = s;
          denom += phi_[i] * s;
        }
        for (std::size_t i = 0; i < m; ++i) w[i] += pphi_[i] / denom * e;
        for (std::size_t i = 0; i < m; ++i)
          for (std::size_t j = 0; j < m; ++j)
            P[i * m + j] = (P[i * m + j] - pphi_[i] * pphi_[j] / denom) / p_.forgetting;
        const double rate = std::max(1.0 / static_cast<double>(fitted_ + 1), 1.0 - p_.forgetting);
        var_[d] += (e * e - var_[d]) * rate;
      }
      // shift the history: newest first
      double* h = &hist_[d * p_.order];
      for (std::size_t k = p_.order - 1; k > 0; --k) h[k] = h[k - 1];
      h[0] = x[d];
    }
    if (ready) ++fitted_;
    ++seen_;
    return std::sqrt(acc / static_cast<double>(dims_));
  }
  double update(double x) { return update(std::span<const double>(&x, 1)); }

 private:
  ar_surprise_params p_;
  std::size_t dims_;
  std::size_t seen_ = 0, fitted_ = 0;
  std::vector<double> w_, P_, hist_, var_, phi_, pphi_;
};

// Surprise of every row of a row-major n x dims series.
inline std::vector<double> ar_surprise_series(std::span<const double> x, std::size_t dims,
                                              const ar_surprise_params& p = {}) {
  if (dims == 0 || x.size() % dims != 0)
    throw shape_error("predsense: ar_surprise_series: " + std::to_string(x.size()) +
                      " values do not form rows of dims = " + std::to_string(dims));
  ar_surprise a(p, dims);
  std::vector<double> out;
  out.reserve(x.size() / dims);
  for (std::size_t i = 0; i < x.size(); i += dims) out.push_back(a.update(x.subspan(i, dims)));
  return out;
}

}  // namespace predsense
