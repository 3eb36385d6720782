// predsense/segmentation/offline/pelt.hpp - PELT: optimal partitioning with pruning (Killick, Fearnhead &
// Eckley 2012, "Optimal detection of changepoints with a linear computational cost", JASA 107:1590).
//
// Finds the change points 0 < tau_1 < ... < tau_k < n minimising
//   sum over the k + 1 segments [tau_i, tau_{i+1}) of (C(tau_i, tau_{i+1}) + L(length)) + beta k
// exactly (tau_0 = 0, tau_{k+1} = n; C the cost, beta and L from the penalty), with every segment
// at least `min_size` rows long. Recursion (Jackson et al. 2005, optimal partitioning):
//   F(0) = -beta,  F(t) = min over admissible s of F(s) + C(s, t) + L(t - s) + beta,
// where s is admissible when s = 0 or s >= min_size, and t - s >= min_size. PELT's pruning drops s
// for good once F(s) + C(s, t) + L(t - s) > F(t) + slack, from time t + min_size on (before that,
// t cannot be a change yet, so s may still be needed); with a cost for which splitting never
// hurts (change_point_cost.hpp) slack = 0 keeps it exact, and MBIC's log-length term needs
// penalty::pruning_slack (log(n / 4)); `r_compatible_pruning` uses slack 0 under MBIC too, as R
// changepoint's PELT does, which can drop the optimum (on TCPD's us_population it does; the result
// then matches R's and TCPDBench's, not the optimum). Ties go to the earliest s. Expected O(n) cost evaluations
// when the number of changes grows with n, O(n^2) in the worst case; O(n) memory.
//
// Exactness needs the cost's split inequality (change_point_cost.hpp); normal_meanvar_cost breaks it
// where a segment's variance hits its 1e-11 floor (near-constant stretches of an unstandardised
// series), and there the pruning can lose the optimum: standardise first and use min_size >= 2.
//
// Change points are returned as the first row of each new segment (0-based, increasing, never 0
// or n); a series shorter than 2 min_size has none. Errors: invalid_argument_error for
// min_size == 0 or a penalty that cannot be computed (Hannan-Quinn on n < 3, a negative manual
// value); empty_error for n < min_size. min_size is max(the given one, the cost's own) (preconditions.hpp).
#pragma once

#include <algorithm>
#include <cstddef>
#include <limits>
#include <string>
#include <vector>

#include "predsense/core/error.hpp"
#include "predsense/kernels/argmin.hpp"
#include "predsense/segmentation/offline/costs/change_point_cost.hpp"
#include "predsense/segmentation/offline/costs/penalty.hpp"
#include "predsense/segmentation/offline/preconditions.hpp"

namespace predsense {

struct pelt_params {
  predsense::penalty penalty{};       // default: MBIC
  std::size_t min_size = 1;           // minimum segment length (rows); the cost's own minimum if larger
  bool r_compatible_pruning = false;  // prune as R changepoint (inexact under MBIC), see above
};

template <change_point_cost Cost>
std::vector<std::size_t> pelt(const Cost& cost, const pelt_params& p = {}) {
  const std::size_t n = cost.size(), m = detail::effective_min_size(cost, p.min_size, "pelt");
  if (n < 2 * m) return {};  // no room for a change: every method answers "none" here
  const double beta = p.penalty.per_change(n, cost.parameters_per_segment());
  const double slack = p.r_compatible_pruning ? 0.0 : p.penalty.pruning_slack(n);
  constexpr double inf = std::numeric_limits<double>::infinity();
  std::vector<double> f(n + 1, inf);
  std::vector<std::size_t> last(n + 1, 0);
  f[0] = -beta;
  // A candidate s found dominated at time t (F(s) + C(s, t) + L > F(t) + slack) is dropped from
  // time t + min_size on: only from then on can t itself serve as the later change instead of s.
  constexpr std::size_t alive = std::numeric_limits<std::size_t>::max();
  std::vector<std::size_t> cand{0}, dead_from{alive};
  std::vector<double> val;
  std::size_t next_drop = alive;  // smallest dead_from among the candidates
  // L(m) for every length (MBIC: log m), tabulated once in reverse: seg[n - m] = L(m), so that
  // L(t - s) is ascending in s (contiguous for a run of candidates).
  std::vector<double> seg(n + 1, 0.0);
  for (std::size_t len = 1; len <= n; ++len) seg[n - len] = p.penalty.segment_term(len);
  for (std::size_t t = m; t <= n; ++t) {
    if (next_drop <= t) {
      std::size_t j = 0;
      next_drop = alive;
      for (std::size_t i = 0; i < cand.size(); ++i)
        if (dead_from[i] > t) {
          cand[j] = cand[i], dead_from[j] = dead_from[i], ++j;
          next_drop = std::min(next_drop, dead_from[i]);
        }
      cand.resize(j), dead_from.resize(j);
    }
    if (t >= 2 * m) cand.push_back(t - m), dead_from.push_back(alive);  // s = t - m becomes admissible
    const std::size_t k = cand.size();
    val.resize(k);
    // Candidates come in runs of consecutive starts (everything since the last change survives),
    // so each run is one contiguous batch: C(s, t) + F(s) + L(t - s).
    for (std::size_t i0 = 0; i0 < k;) {
      std::size_t i1 = i0 + 1;
      if (cand[k - 1] - cand[i0] == k - 1 - i0) i1 = k;  // the common case: the rest is one run
      while (i1 < k && cand[i1] == cand[i1 - 1] + 1) ++i1;
      const std::size_t s0 = cand[i0], r = i1 - i0;
      double* v = val.data() + i0;
      if constexpr (batched_change_point_cost<Cost>) {
        cost.costs_to_range(s0, r, t, v);
      } else {
        for (std::size_t i = 0; i < r; ++i) v[i] = cost(s0 + i, t);
      }
      const double* fs = f.data() + s0;
      const double* ls = seg.data() + (n - t + s0);  // L(t - s0 - i) = ls[i]
      for (std::size_t i = 0; i < r; ++i) v[i] += fs[i] + ls[i];
      i0 = i1;
    }
    const auto am = kernels::argmin(val.data(), k);
    const double best = am.min + beta;
    f[t] = best;
    last[t] = cand[am.index];
    if (am.max > best + slack)
      for (std::size_t i = 0; i < k; ++i)
        if (dead_from[i] == alive && val[i] > best + slack) {
          dead_from[i] = t + m;
          next_drop = std::min(next_drop, t + m);
        }
  }
  std::vector<std::size_t> cps;
  for (std::size_t t = last[n]; t > 0; t = last[t]) cps.push_back(t);
  return {cps.rbegin(), cps.rend()};
}

}  // namespace predsense
