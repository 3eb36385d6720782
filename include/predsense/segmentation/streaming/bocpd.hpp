// predsense/segmentation/streaming/bocpd.hpp - Bayesian online change point detection (Adams & MacKay 2007).
//
// Model: a change happens before each observation with constant hazard H = 1/lambda; within a
// segment each dimension is Normal with unknown mean and variance under an independent
// Normal-Inverse-Gamma prior (mu0, kappa0, alpha0, beta0), so the posterior predictive of a value
// is a Student-t with 2 alpha degrees of freedom, location mu and scale^2 = beta (kappa+1)/(alpha
// kappa). Dimensions are independent: the predictive of a vector is the product over dimensions.
// These are the choices of the `ocp` R package that TCPDBench runs as "bocpd".
//
// Run lengths are kept oldest first, so a step appends one entry and pruning drops from the front
// without shifting arrays; live runs therefore always have consecutive start times. Convention: after x_t the
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

#include <concepts>
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
#include "predsense/kernels/bocpd_runs.hpp"

namespace predsense {

struct bocpd_params {
  double lambda = 100.0;           // expected segment length: hazard 1/lambda
  double mu0 = 0.0;                // prior mean
  double kappa0 = 1.0;             // prior pseudo-count of the mean
  double alpha0 = 1.0;             // Inverse-Gamma shape of the variance
  double beta0 = 1.0;              // Inverse-Gamma rate of the variance
  double prune_mass = 1e-4;        // oldest run lengths with cumulative posterior mass below this go
  std::size_t max_run_length = 0;  // hard cap on the number of run lengths kept (0: none)
  bool track_map = true;           // keep the Viterbi state (one index per step) for map_changepoints
  bool simd = true;                // vectorised loops when xsimd is available (false: scalar twin)

  void validate() const {
    auto positive = [](double v, const char* name) {
      if (!(v > 0.0) || !std::isfinite(v))
        throw invalid_argument_error(std::string("predsense: bocpd: ") + name + " must be finite and > 0, got " +
                                     std::to_string(v));
    };
    if (!(lambda > 1.0) || !std::isfinite(lambda))
      throw invalid_argument_error("predsense: bocpd: lambda must be finite and > 1, got " + std::to_string(lambda));
    if (!std::isfinite(mu0))
      throw invalid_argument_error("predsense: bocpd: mu0 must be finite, got " + std::to_string(mu0));
    positive(kappa0, "kappa0 (k)");
    positive(alpha0, "alpha0 (a)");
    positive(beta0, "beta0 (b)");
    if (!(prune_mass >= 0.0 && prune_mass < 1.0))
      throw invalid_argument_error("predsense: bocpd: prune_mass must be in [0, 1), got " + std::to_string(prune_mass));
  }
};

class bocpd {
 public:
  bocpd() : bocpd(bocpd_params{}) {}
  template <std::same_as<bocpd_params> Params = bocpd_params>
  explicit bocpd(const Params& p, std::size_t dims = 1) : p_(p), dims_(dims) {
    p_.validate();
    if (dims == 0) throw invalid_argument_error("predsense: bocpd: dims must be >= 1");
    log_h_ = -std::log(p_.lambda);
    log_1mh_ = std::log1p(-1.0 / p_.lambda);
    x_.resize(dims_);
    lz0_.resize(dims_);
  }

  // Consumes one observation (dims() values). Returns the surprise -log p(x_t | x_0..x_{t-1}).
  //
  // Missing values: a row holding a NaN is a missing step. It updates no likelihood and returns
  // NaN; steps() does not advance (every index of this class counts observed rows), but time does:
  // after g missing steps the next observation sees a change with the hazard of g + 1 steps,
  // 1 - (1 - H)^(g + 1), and every run carries (1 - H)^(g + 1), so run lengths keep growing through
  // the gap (with a constant hazard this is exactly the model with the gap's likelihood left out).
  // A change inside a gap is attributed to the first observed row after it. Infinity is an error.
  double update(std::span<const double> x) {
    if (x.size() != dims_)
      throw shape_error("predsense: bocpd: observation has " + std::to_string(x.size()) +
                        " values, expected dims = " + std::to_string(dims_));
    bool missing = false;
    for (std::size_t d = 0; d < dims_; ++d) {
      if (std::isinf(x[d]))
        throw non_finite_error("predsense: bocpd: infinite value " + std::to_string(x[d]) + " at observed step " +
                               std::to_string(t_) + ", dim " + std::to_string(d));
      missing = missing || std::isnan(x[d]);
    }
    if (missing) {
      ++gap_;
      ++missing_steps_;
      return std::numeric_limits<double>::quiet_NaN();
    }
    for (std::size_t d = 0; d < dims_; ++d) x_[d] = x[d];
    if (gap_ == 0) return step();
    const double log_h = log_h_, log_1mh = log_1mh_;
    log_1mh_ = static_cast<double>(gap_ + 1) * log_1mh;
    log_h_ = std::log(-std::expm1(log_1mh_));
    gap_ = 0;
    double r = 0.0;
    try {
      r = step();
    } catch (...) {
      log_h_ = log_h, log_1mh_ = log_1mh;
      throw;
    }
    log_h_ = log_h, log_1mh_ = log_1mh;
    return r;
  }
  // Missing steps seen so far (rows with a NaN).
  [[nodiscard]] std::size_t missing_steps() const noexcept { return missing_steps_; }
  double update(double x) { return update(std::span<const double>(&x, 1)); }

  [[nodiscard]] std::size_t steps() const noexcept { return t_; }
  [[nodiscard]] std::size_t dims() const noexcept { return dims_; }
  [[nodiscard]] std::size_t size() const noexcept { return logp_.size() - head_; }
  [[nodiscard]] const bocpd_params& params() const noexcept { return p_; }

  // Posterior probability (given everything seen so far) that the current segment started at s.
  [[nodiscard]] double start_probability(std::size_t s) const {
    if (size() == 0 || s < base_start_ || s - base_start_ >= size()) return 0.0;
    return std::exp(logp_[head_ + (s - base_start_)]);
  }
  // Start of the most probable current segment.
  [[nodiscard]] std::size_t map_start() const {
    std::size_t best = head_;
    for (std::size_t i = head_; i < logp_.size(); ++i)
      if (logp_[i] > logp_[best]) best = i;
    return base_start_ + (best - head_);
  }
  // Visits (start, posterior probability) of every live run length, oldest first.
  template <class F>
  void for_each_run(F&& f) const {
    for (std::size_t i = head_; i < logp_.size(); ++i) f(base_start_ + (i - head_), std::exp(logp_[i]));
  }

  // MAP segmentation of everything seen so far: the starts (> 0) of its segments, ascending.
  [[nodiscard]] std::vector<std::size_t> map_changepoints() const {
    if (!p_.track_map) throw invalid_argument_error("predsense: bocpd: map_changepoints needs track_map = true");
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
  // Student-t log density with count n (observations already in the run), in the form
  //   log t(x) = c(n) + alpha(n) log beta - (alpha(n) + 1/2) log z,  z = beta + q(n) (x - mu)^2,
  // c(n) = lgamma(alpha + 1/2) - lgamma(alpha) - log(pi)/2 - log(2 (kappa+1)/kappa)/2,
  // q(n) = kappa / (2 (kappa + 1)). The same z is the updated beta after absorbing x (the NIG
  // update adds exactly q (x - mu)^2), so log z is reused as the new log beta: one logarithm per
  // run length and dimension per step. The per-count constants are tabulated in *reverse* count
  // order, so that the live runs (whose counts decrease by one from oldest to newest) read them
  // as contiguous arrays alongside their own state, which is what lets the loop vectorise.
  void ensure_tables(std::size_t n_max) {
    if (n_max < cap_) return;
    std::size_t cap = std::max<std::size_t>(64, cap_);
    while (cap <= n_max) cap *= 2;
    rc_.assign(cap, 0.0);
    rq_.assign(cap, 0.0);
    ra_.assign(cap, 0.0);
    rk_.assign(cap, 0.0);
    for (std::size_t n = 0; n < cap; ++n) {
      const double m = static_cast<double>(n);
      const double kappa = p_.kappa0 + m;
      const double alpha = p_.alpha0 + 0.5 * m;
      const std::size_t j = cap - 1 - n;
      rc_[j] = std::lgamma(alpha + 0.5) - std::lgamma(alpha) - 0.5 * std::log(std::numbers::pi) -
               0.5 * std::log(2.0 * (kappa + 1.0) / kappa);
      rq_[j] = kappa / (2.0 * (kappa + 1.0));
      ra_[j] = alpha;
      rk_[j] = 1.0 / (kappa + 1.0);
    }
    cap_ = cap;
  }

  // Scalar reference for runs [from, to) (relative to head_) of the tables pointed at by *_n
  // (already offset so that index i is run head_ + i). Returns the max of the new log weights.
  double grow_scalar(std::size_t from, std::size_t to, const double* c, const double* q, const double* a,
                     const double* ik, double mx) {
    for (std::size_t i = from; i < to; ++i) {
      const std::size_t k = head_ + i;
      double lp = 0.0;
      for (std::size_t d = 0; d < dims_; ++d) {
        const std::size_t kd = k * dims_ + d;
        const double dx = x_[d] - mu_[kd];
        const double z = beta_[kd] + q[i] * dx * dx;
        const double lz = std::log(z);
        lp += c[i] + a[i] * logbeta_[kd] - (a[i] + 0.5) * lz;
        beta_[kd] = z;
        logbeta_[kd] = lz;
        mu_[kd] += dx * ik[i];
      }
      logp_[k] += log_1mh_ + lp;
      vit_[k] += log_1mh_ + lp;
      mx = std::max(mx, logp_[k]);
    }
    return mx;
  }

  double sum_exp_scalar(std::size_t from, std::size_t to, double mx) const {
    double s = 0.0;
    for (std::size_t i = from; i < to; ++i) s += std::exp(logp_[head_ + i] - mx);
    return s;
  }

  double step() {
    const std::size_t t = t_;
    // log predictive under the prior (count 0), and the log z that becomes the new run's log beta
    ensure_tables(t - std::min(t, base_start_) + 1);
    const double c0 = rc_[cap_ - 1], q0 = rq_[cap_ - 1], a0 = ra_[cap_ - 1];
    const double logbeta0 = std::log(p_.beta0);
    double lp0 = 0.0;
    for (std::size_t d = 0; d < dims_; ++d) {
      const double dx = x_[d] - p_.mu0;
      lz0_[d] = std::log(p_.beta0 + q0 * dx * dx);
      lp0 += c0 + a0 * logbeta0 - (a0 + 0.5) * lz0_[d];
    }

    double evidence;
    const std::size_t m = size();
    if (m == 0) {
      // The first observation always starts a segment.
      evidence = lp0;
      base_start_ = t;
      push_entry(0.0, 0.0);
      if (p_.track_map) best_start_.push_back(t);
      best_vit_ = head_;
    } else {
      // Tables for the live runs: run head_ + i has count t - base_start_ - i.
      const std::size_t j0 = cap_ - 1 - (t - base_start_);
      const double* c = &rc_[j0];
      const double* q = &rq_[j0];
      const double* a = &ra_[j0];
      const double* ik = &rk_[j0];
      const double cp = log_h_ + lp0;  // the change term is H p0(x): the posterior sums to 1
      const double vit_cp = p_.track_map ? vit_[best_vit_] + log_h_ + lp0 : 0.0;
      double mx = cp;
      std::size_t done = 0;
      if (dims_ == 1 && p_.simd) {
        const auto g = kernels::bocpd_grow_batches(m, x_[0], log_1mh_, c, q, a, ik, &mu_[head_], &beta_[head_],
                                                   &logbeta_[head_], &logp_[head_], &vit_[head_], mx);
        mx = g.value, done = g.done;
      }
      mx = grow_scalar(done, m, c, q, a, ik, mx);
      double sum = std::exp(cp - mx);
      done = 0;
      if (p_.simd) {
        const auto e = kernels::exp_shift_sum_batches(&logp_[head_], m, mx);
        sum += e.value, done = e.done;
      }
      sum += sum_exp_scalar(done, m, mx);
      evidence = mx + std::log(sum);
      for (std::size_t k = head_; k < logp_.size(); ++k) logp_[k] -= evidence;
      push_entry(cp - evidence, vit_cp);
      prune();
      if (p_.track_map) {
        std::size_t best = head_;
        double vmax = vit_[head_];
        for (std::size_t k = head_ + 1; k < vit_.size(); ++k)
          if (vit_[k] > vmax) {
            vmax = vit_[k];
            best = k;
          }
        // Only differences matter; re-centring keeps the values bounded on endless streams.
        for (std::size_t k = head_; k < vit_.size(); ++k) vit_[k] -= vmax;
        best_vit_ = best;
        best_start_.push_back(base_start_ + (best - head_));
      }
    }
    ++t_;
    return -evidence;
  }

  // Appends the run that starts at the current step: the prior updated with x_.
  void push_entry(double logp, double vit) {
    const double q0 = rq_[cap_ - 1], ik0 = rk_[cap_ - 1];
    for (std::size_t d = 0; d < dims_; ++d) {
      const double dx = x_[d] - p_.mu0;
      mu_.push_back(p_.mu0 + dx * ik0);
      beta_.push_back(p_.beta0 + q0 * dx * dx);
      logbeta_.push_back(lz0_[d]);
    }
    logp_.push_back(logp);
    vit_.push_back(vit);
  }

  void prune() {
    // Oldest starts first: drop while the cumulative mass stays below prune_mass.
    double dropped = 0.0;
    std::size_t h = head_;
    const std::size_t last = logp_.size() - 1;  // never drop the newest run
    while (h < last) {
      const double pm = std::exp(logp_[h]);
      if (dropped + pm >= p_.prune_mass) break;
      dropped += pm;
      ++h;
    }
    if (p_.max_run_length > 0)
      while (logp_.size() - h > p_.max_run_length) dropped += std::exp(logp_[h++]);
    if (h != head_) {
      base_start_ += h - head_;
      head_ = h;
      const double renorm = -std::log1p(-std::min(dropped, 0.5));
      for (std::size_t k = head_; k < logp_.size(); ++k) logp_[k] += renorm;
    }
    // Compact once the dead prefix dominates, so memory stays proportional to the live runs.
    if (head_ > 64 && head_ * 2 > logp_.size()) {
      const auto h2 = static_cast<std::ptrdiff_t>(head_);
      const auto hd = static_cast<std::ptrdiff_t>(head_ * dims_);
      logp_.erase(logp_.begin(), logp_.begin() + h2);
      vit_.erase(vit_.begin(), vit_.begin() + h2);
      mu_.erase(mu_.begin(), mu_.begin() + hd);
      beta_.erase(beta_.begin(), beta_.begin() + hd);
      logbeta_.erase(logbeta_.begin(), logbeta_.begin() + hd);
      head_ = 0;
    }
  }

  bocpd_params p_;
  std::size_t dims_;
  double log_h_ = 0.0, log_1mh_ = 0.0;
  std::size_t t_ = 0;
  std::size_t head_ = 0;        // first live run in the arrays
  std::size_t base_start_ = 0;  // start of that run; run head_ + i started at base_start_ + i
  std::size_t best_vit_ = 0;
  std::vector<double> x_, lz0_;
  std::vector<double> mu_, beta_, logbeta_, logp_, vit_;
  std::size_t cap_ = 0;
  std::vector<double> rc_, rq_, ra_, rk_;  // per-count constants, reverse count order
  std::vector<std::size_t> best_start_;
  std::size_t gap_ = 0, missing_steps_ = 0;  // pending missing steps before the next observation; total

 public:
  // State (io/state_file.hpp): the prior and pruning parameters, then the live run lengths'
  // posterior statistics and log weights, the Viterbi state and the step / gap counters. The
  // per-count tables are rebuilt on the next step (their values depend on the count only).
  static constexpr const char* state_kind = "bocpd";
  template <class A>
  void visit_state(A& a) {
    a.param("lambda", p_.lambda);
    a.param("mu0", p_.mu0);
    a.param("kappa0", p_.kappa0);
    a.param("alpha0", p_.alpha0);
    a.param("beta0", p_.beta0);
    a.param("prune_mass", p_.prune_mass);
    a.param("max_run_length", p_.max_run_length);
    a.param("track_map", p_.track_map);
    a.param("simd", p_.simd);
    a.param("dims", dims_);
    a.validated([&] { *this = bocpd(p_, dims_); });
    a.field("t", t_);
    a.field("head", head_);
    a.field("base_start", base_start_);
    a.field("best_vit", best_vit_);
    a.field("mu", mu_);
    a.field("beta", beta_);
    a.field("logbeta", logbeta_);
    a.field("logp", logp_);
    a.field("vit", vit_);
    a.field("best_start", best_start_);
    a.field("gap", gap_);
    a.field("missing_steps", missing_steps_);
    if constexpr (A::loading) {
      const std::size_t n = logp_.size();
      a.require(head_ <= n && vit_.size() == n, "logp", "run arrays of different lengths or head past them");
      a.require(mu_.size() / dims_ == n && mu_.size() % dims_ == 0 && beta_.size() == mu_.size() &&
                    logbeta_.size() == mu_.size(),
                "mu", "not runs x dims");
      // live runs start at consecutive steps ending at the last one
      a.require(base_start_ <= t_ && n - head_ == t_ - base_start_, "base_start", "live runs do not end at step t");
      a.require(!p_.track_map || t_ == 0 || (best_vit_ >= head_ && best_vit_ < n), "best_vit", "not a live run");
      a.require(best_start_.size() == (p_.track_map ? t_ : 0), "best_start", "not one entry per step");
      for (std::size_t i = 0; i < best_start_.size(); ++i)
        a.require(best_start_[i] <= i, "best_start", "a segment starting after its step");
      a.require(gap_ <= missing_steps_, "gap", "more pending than missing steps");
      cap_ = 0;  // tables rebuilt by the next step()
      rc_.clear(), rq_.clear(), ra_.clear(), rk_.clear();
    }
  }
};

namespace detail {
// Original row of every observed (NaN-free) row of a row-major series.
inline std::vector<std::size_t> observed_rows(std::span<const double> x, std::size_t dims) {
  std::vector<std::size_t> rows;
  for (std::size_t i = 0, r = 0; i < x.size(); i += dims, ++r) {
    bool ok = true;
    for (std::size_t d = 0; d < dims; ++d) ok = ok && !std::isnan(x[i + d]);
    if (ok) rows.push_back(r);
  }
  return rows;
}
}  // namespace detail

// Offline MAP segmentation of a whole row-major n x dims series (TCPDBench's bocpd output,
// without the leading 0). Rows with a NaN are missing (bocpd::update); change points are given in
// the original row index (the first observed row of each new segment). Errors: shape_error,
// empty_error (no rows, or no observed row), non_finite_error (Inf).
inline std::vector<std::size_t> bocpd_map_segmentation(std::span<const double> x, std::size_t dims,
                                                       const bocpd_params& p = {}) {
  if (dims == 0 || x.size() % dims != 0)
    throw shape_error("predsense: bocpd_map_segmentation: " + std::to_string(x.size()) +
                      " values do not form rows of dims = " + std::to_string(dims));
  if (x.empty()) throw empty_error("predsense: bocpd_map_segmentation: empty series");
  const auto rows = detail::observed_rows(x, dims);
  if (rows.empty()) throw empty_error("predsense: bocpd_map_segmentation: every row is missing (NaN)");
  bocpd_params q = p;
  q.track_map = true;
  bocpd b(q, dims);
  for (std::size_t i = 0; i < x.size(); i += dims) b.update(x.subspan(i, dims));
  auto cps = b.map_changepoints();
  for (auto& c : cps) c = rows[c];
  return cps;
}

// Surprise -log p(x_t | x_<t) of every row of a row-major n x dims series (NaN for a missing row).
inline std::vector<double> bocpd_surprise(std::span<const double> x, std::size_t dims, const bocpd_params& p = {}) {
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
