// predsense/segmentation/offline/binary_segmentation.hpp - binary segmentation with at most Q change points
// (Scott & Knott 1974; Sen & Srivastava 1975; as R changepoint's method = "BinSeg").
//
// Greedy: start from one segment [0, n); at each step, over every current segment [a, b) and every
// split a < j < b that leaves both sides at least `min_size` rows long, take the split with the
// largest gain
//   G = C(a, b) + L(b - a) - C(a, j) - L(j - a) - C(j, b) - L(b - j)
// (C the cost, L the penalty's segment-length term; ties: the earliest j). Stop after Q changes or
// as soon as the best gain is below the penalty beta per change. The returned change points are
// sorted. Each step re-scans only the two segments the last split made: O(n) cost evaluations per
// step, O(n) memory. Approximate: it may miss what PELT's exact optimum finds (e.g. a short segment
// in the middle of a long one).
//
// Change points are the first row of each new segment (0-based). Errors: invalid_argument_error
// for min_size == 0; empty_error for n < min_size. min_size is max(the given one, the cost's own)
// (preconditions.hpp).
#pragma once

#include <algorithm>
#include <cstddef>
#include <limits>
#include <string>
#include <vector>

#include "predsense/core/error.hpp"
#include "predsense/segmentation/offline/costs/change_point_cost.hpp"
#include "predsense/segmentation/offline/costs/penalty.hpp"
#include "predsense/segmentation/offline/preconditions.hpp"

namespace predsense {

struct binary_segmentation_params {
  predsense::penalty penalty{};  // default: MBIC
  std::size_t max_changes = 5;   // Q
  std::size_t min_size = 1;      // minimum segment length (rows); the cost's own minimum if larger
};

template <change_point_cost Cost>
std::vector<std::size_t> binary_segmentation(const Cost& cost, const binary_segmentation_params& p = {}) {
  const std::size_t n = cost.size(), m = detail::effective_min_size(cost, p.min_size, "binary_segmentation");
  if (n < 2 * m) return {};  // no room for a change
  const double beta = p.penalty.per_change(n, cost.parameters_per_segment());
  constexpr double ninf = -std::numeric_limits<double>::infinity();
  struct segment {
    std::size_t a, b, split;
    double gain;
  };
  auto best_split = [&](std::size_t a, std::size_t b) {
    segment s{a, b, 0, ninf};
    if (b - a < 2 * m) return s;
    const double whole = cost(a, b) + p.penalty.segment_term(b - a);
    for (std::size_t j = a + m; j + m <= b; ++j) {
      const double g = whole - cost(a, j) - p.penalty.segment_term(j - a) - cost(j, b) - p.penalty.segment_term(b - j);
      if (g > s.gain) s.gain = g, s.split = j;
    }
    return s;
  };
  std::vector<segment> segs{best_split(0, n)};
  std::vector<std::size_t> cps;
  while (cps.size() < p.max_changes) {
    auto it = std::max_element(segs.begin(), segs.end(), [](const segment& x, const segment& y) {
      return x.gain < y.gain || (x.gain == y.gain && x.split > y.split);
    });
    if (it == segs.end() || it->gain == ninf || it->gain < beta) break;
    const segment s = *it;
    cps.push_back(s.split);
    *it = best_split(s.a, s.split);
    segs.push_back(best_split(s.split, s.b));
  }
  std::sort(cps.begin(), cps.end());
  return cps;
}

}  // namespace predsense
