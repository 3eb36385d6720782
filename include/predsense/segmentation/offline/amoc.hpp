// predsense/segmentation/offline/amoc.hpp - AMOC: at most one change (Hinkley 1970; R changepoint's
// method = "AMOC").
//
// The likelihood-ratio test of "no change" against "one change at the best place": with the gain
//   G(j) = C(0, n) + L(n) - C(0, j) - L(j) - C(j, n) - L(n - j)
// over the splits min_size <= j <= n - min_size (C the cost, L the penalty's segment-length term;
// ties: the earliest j), report j* = argmax G when G(j*) >= beta, the penalty per change, else no
// change. This is PELT's objective restricted to at most one change, so with the same cost and
// penalty AMOC's answer is PELT's whenever PELT finds at most one change. (R changepoint's
// single.*.norm under MBIC chooses j* by the costs alone, then adds log(j*) and log(n - j* + 1) to
// it and leaves out the null model's L(n): a threshold about log n higher than this one;
// `r_compatible_mbic` reproduces that test.)
//
// Returns {} or {j*}, j* the first row of the second segment (0-based). Errors:
// invalid_argument_error for min_size == 0; empty_error for n < min_size. min_size is max(the given
// one, the cost's own) (preconditions.hpp).
#pragma once

#include <cmath>
#include <cstddef>
#include <limits>
#include <string>
#include <vector>

#include "predsense/core/error.hpp"
#include "predsense/segmentation/offline/costs/change_point_cost.hpp"
#include "predsense/segmentation/offline/costs/penalty.hpp"
#include "predsense/segmentation/offline/preconditions.hpp"

namespace predsense {

struct amoc_params {
  predsense::penalty penalty{};    // default: MBIC
  std::size_t min_size = 1;        // minimum segment length (rows); the cost's own minimum if larger
  bool r_compatible_mbic = false;  // R changepoint's AMOC form of the MBIC test (see above)
};

template <change_point_cost Cost>
std::vector<std::size_t> amoc(const Cost& cost, const amoc_params& p = {}) {
  const std::size_t n = cost.size(), m = detail::effective_min_size(cost, p.min_size, "amoc");
  if (n < 2 * m) return {};
  const double beta = p.penalty.per_change(n, cost.parameters_per_segment());
  const bool r_form = p.r_compatible_mbic && p.penalty.kind == penalty_kind::mbic;
  const double whole = cost(0, n) + (r_form ? 0.0 : p.penalty.segment_term(n));
  double best = -std::numeric_limits<double>::infinity();
  std::size_t arg = 0;
  for (std::size_t j = m; j + m <= n; ++j) {
    // R picks the split by the raw costs and adds the MBIC terms to the chosen split only.
    const double terms = r_form ? 0.0 : p.penalty.segment_term(j) + p.penalty.segment_term(n - j);
    const double g = whole - cost(0, j) - cost(j, n) - terms;
    if (g > best) best = g, arg = j;
  }
  if (r_form) best -= std::log(static_cast<double>(arg)) + std::log(static_cast<double>(n - arg + 1));
  if (best >= beta) return {arg};
  return {};
}

}  // namespace predsense
