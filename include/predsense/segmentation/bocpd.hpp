// predsense/segmentation/bocpd.hpp - Bayesian online change point detection (Adams & MacKay 2007).
//
// Model: a change happens before each observation with constant hazard H = 1/lambda; within a
// segment each dimension is Normal with unknown mean and variance under an independent
// Normal-Inverse-Gamma prior (mu0, kappa0, alpha0, beta0), so the posterior predictive of a value
// is a Student-t with 2 alpha degrees of freedom, location mu and scale^2 = beta (kappa+1)/(alpha
// kappa). Dimensions are independent: the predictive of a vector is the product over dimensions.
// These are the choices of the `ocp` R package that TCPDBench runs as "bocpd".
//
// Run lengths are kept as the start time of the current segment (oldest first), so a step appends
// one entry and pruning drops from the front without shifting arrays. Convention: after x_t the
// entry with start s means "x_s..x_t form the current segment", so s is a change point when s > 0.
// The recursion is in log space; the run lengths with the smallest total posterior tail mass (the
// oldest starts) are pruned while their cumulative mass stays below `prune_mass` (ocp's truncRlim).
//
// Two outputs:
//   - the filtering posterior over the current segment's start (start_probability), from which a
//     lagged change probability is read (bocpd_segmenter, in bocpd_segmenter.hpp);
//   - the MAP segmentation: a Viterbi recursion alongside the sum-product one (the max over all
//     paths of the joint probability of segmentation and data), traced back at the end. That is
//     what TCPDBench reports (ocp's maxCPs).
#pragma once

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <numbers>
#include <span>
#include <string>
#include <vector>

#include "predsense/core/error.hpp"

namespace predsense {

struct bocpd_params {
  double lambda = 100.0;  // expected segment length: hazard 1/lambda
  double mu0 = 0.0;       // prior mean
  double kappa0 = 1.0;    // prior pseudo-count of the mean
  double alpha0 = 1.0;    // Inverse-Gamma shape of the variance
  double beta0 = 1.0;     // Inverse-Gamma rate of the variance
  double prune_mass = 1e-4;      // oldest run lengths with cumulative posterior mass below this go
  std::size_t max_run_length = 0;  // hard cap on the number of run lengths kept (0: none)
  bool track_map = true;           // keep the Viterbi state (one index per step) for map_changepoints

  void validate() const {
    auto positive = [](double v, const char* name) {
      if (!(v > 0.0) || !std::isfinite(v))
        throw invalid_argument_error(std::string("predsense: bocpd: ") + name +
                                     " must be finite and > 0, got " + std::to_string(v));
    };
    if (!(lambda > 1.0) || !std::isfinite(lambda))
      throw invalid_argument_error("predsense: bocpd: lambda must be finite and > 1, got " +
                                   std::to_string(lambda));
    if (!std::isfinite(mu0))
      throw invalid_argument_error("predsense: bocpd: mu0 must be finite, got " + std::to_string(mu0));
    positive(kappa0, "kappa0 (k)");
    positive(alpha0, "alpha0 (a)");
    positive(beta0, "beta0 (b)");
    if (!(prune_mass >= 0.0 && prune_mass < 1.0))
      throw invalid_argument_error("predsense: bocpd: prune_mass must be in [0, 1), got " +
                                   std::to_string(prune_mass));
  }
};

class bocpd {
 public:
  explicit bocpd(const bocpd_params& p = {}, std::size_t dims = 1) : p_(p), dims_(dims) {
    p_.validate();
    if (dims == 0) throw invalid_argument_error("predsense: bocpd: dims must be >= 1");
    log_h_ = -std::log(p_.lambda);
    log_1mh_ = std::log1p(-1.0 / p_.lambda);
    x_.resize(dims_);
    prior_mu_.assign(dims_, p_.mu0);
    prior_beta_.assign(dims_, p_.beta0);
  }

  // Consumes one observation (dims() values). Returns the surprise -log p(x_t | x_0..x_{t-1}).
  double update(std::span<const double> x) {
    if (x.size() != dims_)
      throw shape_error("predsense: bocpd: observation has " + std::to_string(x.size()) +
                        " values, expected dims = " + std::to_string(dims_));
    for (std::size_t d = 0; d < dims_; ++d) {
      if (!std::isfinite(x[d]))
        throw non_finite_error("predsense: bocpd: non-finite value " + std::to_string(x[d]) +
                               " at step " + std::to_string(t_) + ", dim " + std::to_string(d));
      x_[d] = x[d];
    }
    return step();
  }
  double update(double x) { return update(std::span<const double>(&x, 1)); }

  [[nodiscard]] std::size_t steps() const noexcept { return t_; }
  [[nodiscard]] std::size_t dims() const noexcept { return dims_; }
  [[nodiscard]] std::size_t size() const noexcept { return start_.size() - head_; }
  [[nodiscard]] const bocpd_params& params() const noexcept { return p_; }

  // Posterior probability (given everything seen so far) that the current segment started at s.
  [[nodiscard]] double start_probability(std::size_t s) const {
    // starts are increasing from head_: binary search
    const auto b = start_.begin() + static_cast<std::ptrdiff_t>(head_);
    const auto it = std::lower_bound(b, start_.end(), s);
    if (it == start_.end() || *it != s) return 0.0;
    return std::exp(logp_[static_cast<std::size_t>(it - start_.begin())]);
  }
  // Start of the most probable current segment.
  [[nodiscard]] std::size_t map_start() const {
    std::size_t best = head_;
    for (std::size_t i = head_; i < start_.size(); ++i)
      if (logp_[i] > logp_[best]) best = i;
    return start_.empty() ? 0 : start_[best];
  }
  // Visits (start, posterior probability) of every live run length, oldest first.
  template <class F>
  void for_each_run(F&& f) const {
    for (std::size_t i = head_; i < start_.size(); ++i) f(start_[i], std::exp(logp_[i]));
  }

  // MAP segmentation of everything seen so far: the starts (> 0) of its segments, ascending.
  [[nodiscard]] std::vector<std::size_t> map_changepoints() const {
    if (!p_.track_map)
      throw invalid_argument_error("predsense: bocpd: map_changepoints needs track_map = true");
    std::vector<std::size_t> cps;
    if (t_ == 0) return cps;
    std::size_t t = t_ - 1;
    for (;;) {
      const std::size_t s = best_start_[t];
      if (s == 0) break;
      cps.push_back(s);
      t = s - 1;
    }
    std::reverse(cps.begin(), cps.end());
    return cps;
  }

 private:
  // Per-count constants of the Student-t log density (count n = observations already in the run):
  //   log t(x) = c(n) + alpha log beta - (alpha + 1/2) log(beta + q(n) (x - mu)^2)
  // with c(n) = lgamma(alpha + 1/2) - lgamma(alpha) - log(pi)/2 - log(2 (kappa+1)/kappa)/2 and
  // q(n) = kappa / (2 (kappa + 1)); kappa and alpha depend on n only, so they are tabulated.
  void ensure_tables(std::size_t n) {
    while (c_.size() <= n) {
      const double m = static_cast<double>(c_.size());
      const double kappa = p_.kappa0 + m;
      const double alpha = p_.alpha0 + 0.5 * m;
      c_.push_back(std::lgamma(alpha + 0.5) - std::lgamma(alpha) - 0.5 * std::log(std::numbers::pi) -
                   0.5 * std::log(2.0 * (kappa + 1.0) / kappa));
      q_.push_back(kappa / (2.0 * (kappa + 1.0)));
      a_.push_back(alpha);
      inv_k1_.push_back(1.0 / (kappa + 1.0));
    }
  }

  // log predictive of x_ for a run with count n and stats mu[0..D), beta[0..D).
  double log_pred(std::size_t n, const double* mu, const double* beta) const {
    double lp = 0.0;
    for (std::size_t d = 0; d < dims_; ++d) {
      const double dx = x_[d] - mu[d];
      lp += c_[n] + a_[n] * std::log(beta[d]) - (a_[n] + 0.5) * std::log(beta[d] + q_[n] * dx * dx);
    }
    return lp;
  }

  // Normal-Inverse-Gamma update with one observation (count n before it).
  void absorb(std::size_t n, double* mu, double* beta) const {
    const double kappa = p_.kappa0 + static_cast<double>(n);
    for (std::size_t d = 0; d < dims_; ++d) {
      const double dx = x_[d] - mu[d];
      beta[d] += kappa * dx * dx * 0.5 * inv_k1_[n];
      mu[d] += dx * inv_k1_[n];
    }
  }

  double step() {
    const std::size_t t = t_;
    ensure_tables(t + 1);
    const double lp0 = log_pred(0, prior_mu_.data(), prior_beta_.data());

    double evidence;
    if (size() == 0) {
      // The first observation always starts a segment.
      evidence = lp0;
      push_entry(t, prior_mu_.data(), prior_beta_.data(), 0.0, 0.0);
      if (p_.track_map) best_start_.push_back(t);
    } else {
      const std::size_t m = size();
      lp_.resize(m);
      // growth terms and their log-sum-exp; the change term is H p0(x) (the posterior sums to 1)
      double cp = log_h_ + lp0;
      double mx = cp;
      for (std::size_t i = 0; i < m; ++i) {
        const std::size_t k = head_ + i;
        const std::size_t n = t - start_[k];
        lp_[i] = log_pred(n, &mu_[k * dims_], &beta_[k * dims_]);
        logp_[k] += log_1mh_ + lp_[i];
        mx = std::max(mx, logp_[k]);
      }
      double sum = std::exp(cp - mx);
      for (std::size_t k = head_; k < start_.size(); ++k) sum += std::exp(logp_[k] - mx);
      evidence = mx + std::log(sum);
      for (std::size_t k = head_; k < start_.size(); ++k) logp_[k] -= evidence;

      // Viterbi: the change term continues the best path so far, growth extends each path.
      double vit_cp = 0.0;
      if (p_.track_map) {
        vit_cp = vit_[best_vit_] + log_h_ + lp0;
        for (std::size_t i = 0; i < m; ++i) vit_[head_ + i] += log_1mh_ + lp_[i];
      }
      for (std::size_t i = 0; i < m; ++i) {
        const std::size_t k = head_ + i;
        absorb(t - start_[k], &mu_[k * dims_], &beta_[k * dims_]);
      }
      push_entry(t, prior_mu_.data(), prior_beta_.data(), cp - evidence, vit_cp);
      prune();
      if (p_.track_map) {
        std::size_t best = head_;
        double vmax = vit_[head_];
        for (std::size_t k = head_ + 1; k < start_.size(); ++k)
          if (vit_[k] > vmax) {
            vmax = vit_[k];
            best = k;
          }
        // Only differences matter; re-centring keeps the values bounded on endless streams.
        for (std::size_t k = head_; k < start_.size(); ++k) vit_[k] -= vmax;
        best_vit_ = best;
        best_start_.push_back(start_[best]);
      }
    }
    if (p_.track_map && size() == 1) best_vit_ = head_;
    ++t_;
    return -evidence;
  }

  // Appends the run that starts at s (stats = prior, then absorbs x_).
  void push_entry(std::size_t s, const double* mu0, const double* beta0, double logp, double vit) {
    start_.push_back(s);
    const std::size_t k = start_.size() - 1;
    mu_.insert(mu_.end(), mu0, mu0 + dims_);
    beta_.insert(beta_.end(), beta0, beta0 + dims_);
    absorb(0, &mu_[k * dims_], &beta_[k * dims_]);
    logp_.push_back(logp);
    vit_.push_back(vit);
  }

  void prune() {
    // Oldest starts first: drop while the cumulative mass stays below prune_mass.
    double dropped = 0.0;
    std::size_t h = head_;
    const std::size_t last = start_.size() - 1;  // never drop the newest run
    while (h < last) {
      const double pm = std::exp(logp_[h]);
      if (dropped + pm >= p_.prune_mass) break;
      dropped += pm;
      ++h;
    }
    if (p_.max_run_length > 0)
      while (start_.size() - h > p_.max_run_length) dropped += std::exp(logp_[h++]);
    if (h != head_) {
      head_ = h;
      const double renorm = -std::log1p(-std::min(dropped, 0.5));
      for (std::size_t k = head_; k < start_.size(); ++k) logp_[k] += renorm;
      if (best_vit_ < head_) best_vit_ = head_;  // re-chosen by the caller right after
    }
    // Compact once the dead prefix dominates, so memory stays proportional to the live runs.
    if (head_ > 64 && head_ * 2 > start_.size()) {
      const auto h2 = static_cast<std::ptrdiff_t>(head_);
      const auto hd = static_cast<std::ptrdiff_t>(head_ * dims_);
      start_.erase(start_.begin(), start_.begin() + h2);
      logp_.erase(logp_.begin(), logp_.begin() + h2);
      vit_.erase(vit_.begin(), vit_.begin() + h2);
      mu_.erase(mu_.begin(), mu_.begin() + hd);
      beta_.erase(beta_.begin(), beta_.begin() + hd);
      best_vit_ -= std::min(best_vit_, head_);
      head_ = 0;
    }
  }

  bocpd_params p_;
  std::size_t dims_;
  double log_h_ = 0.0, log_1mh_ = 0.0;
  std::size_t t_ = 0;
  std::size_t head_ = 0;
  std::size_t best_vit_ = 0;
  std::vector<double> x_, prior_mu_, prior_beta_;
  std::vector<std::size_t> start_;
  std::vector<double> mu_, beta_, logp_, vit_, lp_;
  std::vector<double> c_, q_, a_, inv_k1_;
  std::vector<std::size_t> best_start_;
};

// Offline MAP segmentation of a whole row-major n x dims series (TCPDBench's bocpd output,
// without the leading 0).
inline std::vector<std::size_t> bocpd_map_segmentation(std::span<const double> x, std::size_t dims,
                                                       const bocpd_params& p = {}) {
  if (dims == 0 || x.size() % dims != 0)
    throw shape_error("predsense: bocpd_map_segmentation: " + std::to_string(x.size()) +
                      " values do not form rows of dims = " + std::to_string(dims));
  if (x.empty()) throw empty_error("predsense: bocpd_map_segmentation: empty series");
  bocpd_params q = p;
  q.track_map = true;
  bocpd b(q, dims);
  for (std::size_t i = 0; i < x.size(); i += dims) b.update(x.subspan(i, dims));
  return b.map_changepoints();
}

// Surprise -log p(x_t | x_<t) of every row of a row-major n x dims series.
inline std::vector<double> bocpd_surprise(std::span<const double> x, std::size_t dims,
                                          const bocpd_params& p = {}) {
  if (dims == 0 || x.size() % dims != 0)
    throw shape_error("predsense: bocpd_surprise: " + std::to_string(x.size()) +
                      " values do not form rows of dims = " + std::to_string(dims));
  bocpd_params q = p;
  q.track_map = false;
  bocpd b(q, dims);
  std::vector<double> out;
  out.reserve(x.size() / dims);
  for (std::size_t i = 0; i < x.size(); i += dims) out.push_back(b.update(x.subspan(i, dims)));
  return out;
}

}  // namespace predsense
