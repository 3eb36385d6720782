// predsense/segmentation/pelt.hpp - PELT: optimal partitioning with pruning (Killick, Fearnhead &
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
// Change points are returned as the first row of each new segment (0-based, increasing, never 0
// or n). Errors: invalid_argument_error for min_size == 0; empty_error for n < min_size.
#pragma once

#include <cstddef>
#include <limits>
#include <string>
#include <vector>

#include "predsense/core/error.hpp"
#include "predsense/segmentation/change_point_cost.hpp"
#include "predsense/segmentation/penalty.hpp"

namespace predsense {

struct pelt_params {
  predsense::penalty penalty{};  // default: MBIC
  std::size_t min_size = 1;      // minimum segment length (rows)
  bool r_compatible_pruning = false;  // prune as R changepoint (inexact under MBIC), see above
};

template <change_point_cost Cost>
std::vector<std::size_t> pelt(const Cost& cost, const pelt_params& p = {}) {
  const std::size_t n = cost.size(), m = p.min_size;
  if (m == 0) throw invalid_argument_error("predsense: pelt: min_size must be >= 1");
  if (n < m)
    throw empty_error("predsense: pelt: " + std::to_string(n) + " rows are fewer than min_size = " +
                      std::to_string(m));
  const double beta = p.penalty.per_change(n, cost.parameters_per_segment());
  const double slack = p.r_compatible_pruning ? 0.0 : p.penalty.pruning_slack(n);
  constexpr double inf = std::numeric_limits<double>::infinity();
  std::vector<double> f(n + 1, inf);
  std::vector<std::size_t> last(n + 1, 0);
  f[0] = -beta;
  // A candidate s found dominated at time t (F(s) + C(s, t) + L > F(t) + slack) is dropped from
  // time t + min_size on: only from then on can t itself serve as the later change instead of s.
  constexpr std::size_t alive = std::numeric_limits<std::size_t>::max();
  std::vector<std::size_t> cand{0}, dead_from{alive}, keep, keep_dead;
  std::vector<double> val;
  for (std::size_t t = m; t <= n; ++t) {
    keep.clear(), keep_dead.clear();
    for (std::size_t i = 0; i < cand.size(); ++i)
      if (dead_from[i] > t) keep.push_back(cand[i]), keep_dead.push_back(dead_from[i]);
    cand.swap(keep), dead_from.swap(keep_dead);
    if (t >= 2 * m) cand.push_back(t - m), dead_from.push_back(alive);  // s = t - m becomes admissible
    val.resize(cand.size());
    double best = inf;
    std::size_t arg = 0;
    for (std::size_t i = 0; i < cand.size(); ++i) {
      const std::size_t s = cand[i];
      const double v = f[s] + cost(s, t) + p.penalty.segment_term(t - s);
      val[i] = v;
      if (v + beta < best) best = v + beta, arg = s;
    }
    f[t] = best;
    last[t] = arg;
    for (std::size_t i = 0; i < cand.size(); ++i)
      if (dead_from[i] == alive && val[i] > best + slack) dead_from[i] = t + m;
  }
  std::vector<std::size_t> cps;
  for (std::size_t t = last[n]; t > 0; t = last[t]) cps.push_back(t);
  return {cps.rbegin(), cps.rend()};
}

}  // namespace predsense
