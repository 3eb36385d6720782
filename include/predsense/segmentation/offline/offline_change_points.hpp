// predsense/segmentation/offline/offline_change_points.hpp - one call for the offline change-point methods,
// chosen at run time (PELT, binary segmentation, AMOC x six costs x six penalties), with missing
// values handled by a policy. The tools and the Python binding use this; C++ code that knows its
// cost at compile time can call pelt / binary_segmentation / amoc with a cost type directly.
//
// Input: a row-major n x dims series of doubles; NaN is a missing value (missing_values.hpp).
// The series is used as given: standardise it first (standardize.hpp) when the cost assumes unit
// variance (normal_mean). Output: change points in the original index (first row of each new
// segment, 0-based, increasing, never 0 or n).
//
// The minimum segment length is max(min_size, the cost's own: 2 for meanvar, 2 for linear, 3 for
// linearvar, 4 for ar1) (preconditions.hpp).
//
// Errors: shape_error (data not rows of dims); empty_error (an empty series, no observed row, or
// fewer observed rows than the minimum segment length); non_finite_error (Inf, or NaN under missing_policy::error);
// invalid_argument_error (min_size 0, bad penalty value, unknown names in the parse_* helpers).
#pragma once

#include <algorithm>
#include <cstddef>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "predsense/core/error.hpp"
#include "predsense/segmentation/offline/amoc.hpp"
#include "predsense/segmentation/offline/binary_segmentation.hpp"
#include "predsense/segmentation/offline/costs/empirical_distribution_cost.hpp"
#include "predsense/segmentation/series/missing_values.hpp"
#include "predsense/segmentation/offline/costs/normal_ar1_cost.hpp"
#include "predsense/segmentation/offline/costs/normal_linear_trend_cost.hpp"
#include "predsense/segmentation/offline/costs/normal_mean_cost.hpp"
#include "predsense/segmentation/offline/costs/normal_meanvar_cost.hpp"
#include "predsense/segmentation/offline/pelt.hpp"
#include "predsense/segmentation/offline/costs/penalty.hpp"

namespace predsense {

enum class offline_method { pelt, binseg, amoc };
enum class cost_kind { normal_mean, normal_meanvar, empirical_distribution, linear_trend, linear_trend_var, ar1 };

inline offline_method parse_offline_method(std::string_view s) {
  if (s == "pelt") return offline_method::pelt;
  if (s == "binseg") return offline_method::binseg;
  if (s == "amoc") return offline_method::amoc;
  throw invalid_argument_error("predsense: unknown offline method '" + std::string(s) +
                               "' (known: pelt, binseg, amoc)");
}

inline cost_kind parse_cost_kind(std::string_view s) {
  if (s == "mean" || s == "normal_mean") return cost_kind::normal_mean;
  if (s == "meanvar" || s == "normal_meanvar") return cost_kind::normal_meanvar;
  if (s == "ed" || s == "empirical_distribution") return cost_kind::empirical_distribution;
  if (s == "linear" || s == "normal_linear_trend") return cost_kind::linear_trend;
  if (s == "linearvar" || s == "normal_linear_trend_var") return cost_kind::linear_trend_var;
  if (s == "ar1" || s == "normal_ar1") return cost_kind::ar1;
  throw invalid_argument_error("predsense: unknown cost '" + std::string(s) +
                               "' (known: mean, meanvar, ed, linear, linearvar, ar1)");
}

// The cost's own minimum segment length (its min_size(), preconditions.hpp).
inline std::size_t cost_min_size(cost_kind k) {
  switch (k) {
    case cost_kind::normal_mean:
    case cost_kind::empirical_distribution:
      return 1;
    case cost_kind::normal_meanvar:
      return normal_meanvar_cost::min_size();
    case cost_kind::linear_trend:
      return 2;
    case cost_kind::linear_trend_var:
      return 3;
    case cost_kind::ar1:
      return normal_ar1_cost::min_size();
  }
  return 1;
}

struct offline_params {
  offline_method method = offline_method::pelt;
  cost_kind cost = cost_kind::normal_mean;
  predsense::penalty penalty{};  // default MBIC
  std::size_t min_size = 1;      // minimum segment length, in observed rows
  std::size_t max_changes = 5;   // Q, binary segmentation only
  std::size_t quantiles = 0;     // K of the empirical_distribution cost (0: ceil(4 log n))
  missing_policy missing = missing_policy::skip;
  // R changepoint's variants where it departs from the stated objective under MBIC: AMOC's test
  // (amoc.hpp) and PELT's pruning (pelt.hpp). Binary segmentation has none.
  bool r_compatible = false;
};

namespace detail {
template <class Cost>
std::vector<std::size_t> run_offline(const Cost& c, const offline_params& p) {
  switch (p.method) {
    case offline_method::pelt:
      return pelt(c, pelt_params{p.penalty, p.min_size, p.r_compatible});
    case offline_method::binseg:
      return binary_segmentation(c, binary_segmentation_params{p.penalty, p.max_changes, p.min_size});
    case offline_method::amoc:
      return amoc(c, amoc_params{p.penalty, p.min_size, p.r_compatible});
  }
  return {};
}
}  // namespace detail

inline std::vector<std::size_t> offline_change_points(std::span<const double> x, std::size_t dims,
                                                      const offline_params& p = {}) {
  if (p.min_size == 0) throw invalid_argument_error("predsense: offline_change_points: min_size must be >= 1");
  const observed_series obs = apply_missing_policy(x, dims, p.missing, "predsense: offline_change_points");
  const std::size_t m = std::max(p.min_size, cost_min_size(p.cost));
  if (obs.rows() < m)
    throw empty_error("predsense: offline_change_points: " + std::to_string(obs.rows()) + " observed rows (of " +
                      std::to_string(obs.original_rows) + ") are fewer than min_size = " + std::to_string(m) +
                      (m > p.min_size ? " (the cost's own minimum)" : ""));
  std::vector<std::size_t> cps;
  switch (p.cost) {
    case cost_kind::normal_mean:
      cps = detail::run_offline(normal_mean_cost(obs.x, dims), p);
      break;
    case cost_kind::normal_meanvar:
      cps = detail::run_offline(normal_meanvar_cost(obs.x, dims), p);
      break;
    case cost_kind::empirical_distribution:
      cps = detail::run_offline(empirical_distribution_cost(obs.x, dims, p.quantiles), p);
      break;
    case cost_kind::linear_trend:
      cps = detail::run_offline(normal_linear_trend_cost(obs.x, dims, noise_variance::known), p);
      break;
    case cost_kind::linear_trend_var:
      cps = detail::run_offline(normal_linear_trend_cost(obs.x, dims, noise_variance::estimated), p);
      break;
    case cost_kind::ar1:
      cps = detail::run_offline(normal_ar1_cost(obs.x, dims), p);
      break;
  }
  return obs.to_original(cps);
}

}  // namespace predsense
