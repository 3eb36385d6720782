// predsense/segmentation/offline/costs/change_point_cost.hpp - what an offline change-point method needs of a cost.
//
// A segment cost C(s, t) scores the rows x[s..t) (0-based, half-open, 0 <= s < t <= size()) of a
// series as one homogeneous segment; lower is better. Costs are twice a negative log-likelihood
// (up to a constant), so that SIC/BIC, MBIC, AIC and Hannan-Quinn penalties (penalty.hpp) are on
// the right scale. Multivariate series cost the sum of their per-dimension costs.
// PELT's pruning is exact when C(s, u) + C(u, t) <= C(s, t) for every s < u < t (a split can only
// fit better). That holds for normal_mean_cost and empirical_distribution_cost; for
// normal_meanvar_cost it fails where its 1e-11 variance floor binds (see pelt.hpp).
//
// A cost may declare its own minimum segment length, `min_size()` (a segment shorter than that has
// no finite or meaningful cost, e.g. one row for a variance); the search methods then use
// max(their min_size, the cost's) (preconditions.hpp). Without it the minimum is 1.
//
// The costs in predsense: normal_mean_cost (change in mean, known variance), normal_meanvar_cost
// (change in mean and variance), empirical_distribution_cost (nonparametric, robust to outliers
// and heavy tails), normal_linear_trend_cost (change in a linear trend: piecewise linear
// regression), normal_ar1_cost (change in mean, AR(1) coefficient and innovation variance).
#pragma once

#include <concepts>
#include <cstddef>

namespace predsense {

template <class C>
concept change_point_cost = requires(const C& c, std::size_t s, std::size_t t) {
  { c(s, t) } -> std::convertible_to<double>;                          // cost of rows [s, t)
  { c.size() } -> std::convertible_to<std::size_t>;                    // number of rows n
  { c.parameters_per_segment() } -> std::convertible_to<std::size_t>;  // p, for the penalties
};

// Optional: a cost that declares its minimum segment length.
template <class C>
concept sized_change_point_cost = change_point_cost<C> && requires(const C& c) {
  { c.min_size() } -> std::convertible_to<std::size_t>;
};

// Optional: a cost that evaluates C(s0 + i, t) for i < r, many segments ending at one t, in one call
// (SIMD over the starts). PELT uses it for each run of consecutive candidates when present.
template <class C>
concept batched_change_point_cost = change_point_cost<C> &&
    requires(const C& c, std::size_t s0, std::size_t r, std::size_t t, double* out) {
  c.costs_to_range(s0, r, t, out);
};

}  // namespace predsense
