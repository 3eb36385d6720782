// predsense/segmentation/offline/preconditions.hpp - the input checks every offline change-point
// method and cost shares, written once: a series is rows of dims finite values; a search method's
// minimum segment length is the larger of the caller's and the cost's own.
//
// checked_rows(x, dims, who): the number of rows n of a row-major n x dims series. Errors:
// shape_error when dims == 0 or x.size() is not a multiple of dims; empty_error for no rows (the
// one rule for an empty series, in every offline entry point); non_finite_error naming the row
// and column of a NaN/Inf (apply missing_values.hpp first).
//
// cost_min_size(cost): the cost's own minimum segment length, cost.min_size() when the cost
// declares one (change_point_cost.hpp), else 1. A one-row segment of the Normal mean-and-variance
// cost has zero variance and costs -infinity up to its floor, so that cost declares 2 (R
// changepoint's cpt.meanvar requires minseglen >= 2 likewise); ruptures does the same
// (min_size = max(min_size, cost.min_size)).
//
// effective_min_size(cost, requested, who): max(requested, cost_min_size(cost)), the minimum every
// search method uses. Errors: invalid_argument_error for requested == 0; empty_error when the
// series has fewer rows than that minimum.
#pragma once

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <span>
#include <string>

#include "predsense/core/error.hpp"

namespace predsense::detail {

inline std::size_t checked_rows(std::span<const double> x, std::size_t dims, const char* who) {
  if (dims == 0 || x.size() % dims != 0)
    throw shape_error(std::string("predsense: ") + who + ": " + std::to_string(x.size()) +
                      " values do not form rows of dims = " + std::to_string(dims));
  if (x.empty()) throw empty_error(std::string("predsense: ") + who + ": empty series");
  for (std::size_t i = 0; i < x.size(); ++i)
    if (!std::isfinite(x[i]))
      throw non_finite_error(std::string("predsense: ") + who + ": value at row " + std::to_string(i / dims) +
                             ", column " + std::to_string(i % dims) + " is not finite (apply a missing_policy first)");
  return x.size() / dims;
}

template <class Cost>
std::size_t cost_min_size(const Cost& cost) {
  if constexpr (requires { cost.min_size(); })
    return std::max<std::size_t>(1, cost.min_size());
  else
    return 1;
}

template <class Cost>
std::size_t effective_min_size(const Cost& cost, std::size_t requested, const char* who) {
  if (requested == 0) throw invalid_argument_error(std::string("predsense: ") + who + ": min_size must be >= 1");
  const std::size_t m = std::max(requested, cost_min_size(cost)), n = cost.size();
  if (n < m)
    throw empty_error(std::string("predsense: ") + who + ": " + std::to_string(n) + " rows are fewer than min_size = " +
                      std::to_string(m) + (m > requested ? " (the cost's own minimum)" : ""));
  return m;
}

}  // namespace predsense::detail
