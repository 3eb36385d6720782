// predsense/surprise/robust_zscore_normalizer.hpp - online robust standardisation of a surprise
// stream: each value against the median and MAD of the values before it in a trailing window.
//
// z_t = (x_t - median(W)) / (1.4826 * MAD(W)), W = the last `window` values before t (the value is
// scored before it joins W, so a spike is measured against the past, not itself). Returns 0 until
// `min_count` values have been seen. A window whose MAD is 0 (a constant stretch) gives z = 0 for
// x equal to the median and +-max_abs_z otherwise; |z| is capped at max_abs_z (a unitless cap, so
// downstream likelihoods stay finite). For a > 0 the values a * x + b give the same z (up to
// rounding): the scale and offset of the encoder that made the surprise drop out. Robust where the
// Welford z-score (zscore_normalizer.hpp) is not: one cut (a huge value) moves the median and MAD
// of the window by at most one rank, so it does not hide the next one.
// Source: the modified z-score of Iglewicz & Hoaglin (1993), "How to Detect and Handle Outliers",
// ch. 3 (there 0.6745 (x - median) / MAD; 1 / 0.6745 = 1.4826), over a trailing window.
// Cost: O(window) per value (kernels/median_mad.hpp). Errors: invalid_argument_error for window <
// 3, min_count < 2 or > window, max_abs_z not > 0; non_finite_error for a NaN or infinite value.
#pragma once

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <deque>
#include <string>
#include <vector>

#include "predsense/core/error.hpp"
#include "predsense/kernels/median_mad.hpp"

namespace predsense {

struct robust_zscore_params {
  std::size_t window = 50;    // trailing values the median and MAD are taken over
  std::size_t min_count = 3;  // values seen before the first non-zero z
  double max_abs_z = 1e6;     // cap on |z| (unitless)

  void validate() const {
    if (window < 3)
      throw invalid_argument_error("predsense: robust_zscore_normalizer: window must be >= 3, got " +
                                   std::to_string(window));
    if (min_count < 2 || min_count > window)
      throw invalid_argument_error("predsense: robust_zscore_normalizer: min_count must be in [2, window], got " +
                                   std::to_string(min_count));
    if (!(max_abs_z > 0.0)) throw invalid_argument_error("predsense: robust_zscore_normalizer: max_abs_z must be > 0");
  }
};

class robust_zscore_normalizer {
 public:
  robust_zscore_normalizer() = default;
  explicit robust_zscore_normalizer(const robust_zscore_params& p) : p_((p.validate(), p)) {}

  // The z of x against the window so far; x then joins the window.
  double operator()(double x) {
    const double z = score(x);
    add(x);
    return z;
  }
  // The z of x against the window, without adding it.
  [[nodiscard]] double score(double x) {
    if (!std::isfinite(x))
      throw non_finite_error("predsense: robust_zscore_normalizer: non-finite value " + std::to_string(x) +
                             " at step " + std::to_string(n_));
    if (past_.size() < p_.min_count) return 0.0;
    const auto cs = kernels::robust_scale(past_, scratch_);
    const double d = x - cs.median;
    if (d == 0.0) return 0.0;
    const double z = cs.spread > 0.0 ? d / cs.spread : (d > 0.0 ? p_.max_abs_z : -p_.max_abs_z);
    return std::clamp(z, -p_.max_abs_z, p_.max_abs_z);
  }
  // Add x to the window without scoring it.
  void add(double x) {
    past_.push_back(x);
    if (past_.size() > p_.window) past_.pop_front();
    ++n_;
  }

  void reset() noexcept {
    past_.clear();
    n_ = 0;
  }
  [[nodiscard]] std::size_t count() const noexcept { return n_; }
  [[nodiscard]] const robust_zscore_params& params() const noexcept { return p_; }

 private:
  robust_zscore_params p_{};
  std::deque<double> past_;
  std::vector<double> scratch_;
  std::size_t n_ = 0;

 public:
  // State (io/state_file.hpp): the parameters, then the trailing window and the count.
  static constexpr const char* state_kind = "robust_zscore_normalizer";
  template <class A>
  void visit_state(A& a) {
    a.param("window", p_.window);
    a.param("min_count", p_.min_count);
    a.param("max_abs_z", p_.max_abs_z);
    a.validated([&] { *this = robust_zscore_normalizer(p_); });
    a.field("past", past_);
    a.field("n", n_);
    a.require(past_.size() <= p_.window && past_.size() <= n_, "past", "longer than the window or the count");
  }
};

}  // namespace predsense
