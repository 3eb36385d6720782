// predsense/kernels/median_mad.hpp - the median and the scaled median absolute deviation of a small
// window of doubles: the robust centre and spread every relative decision rule in predsense uses.
//
// robust_scale(values, scratch) returns {median, 1.4826 * MAD}, MAD = median |v - median| (Hampel
// 1974; 1.4826 = 1 / Phi^-1(3/4) makes it estimate the standard deviation of Normal data). The
// median of an even count is the upper middle value (nth_element at n / 2), so both are order
// statistics of the input: for a > 0, values a * v + b give {a * median + b, a * spread} up to
// rounding - the property that makes the segmenters' rules invariant to the signal's scale and
// offset. `scratch` is reused between calls (no allocation once it has grown); `values` is not
// modified. O(n) expected (two nth_element passes). An empty window gives {0, 0}; NaN inputs are
// not supported (callers reject them first).
// upper_tail_scale(values, scratch) returns {median, (Q90 - median) / 1.2816}: the spread of the
// upper tail (Q90 the order statistic at floor(0.9 (n - 1)); 1.2816 = Phi^-1(0.9), so again a
// standard deviation for Normal data). Over a long window of surprise it measures how high the
// stream's ordinary busy stretches (camera motion, action) go, which the MAD of a quiet stretch does
// not: the segmenters take the larger of the two, so the first motion after a static shot is not
// an outlier. Equivariant like robust_scale.
#pragma once

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <iterator>
#include <vector>

namespace predsense::kernels {

struct centre_spread {
  double median = 0.0;
  double spread = 0.0;  // 1.4826 * MAD: a standard deviation for Normal data
};

inline constexpr double mad_to_sigma = 1.4826;

// Any forward range of doubles (std::deque, std::vector, std::span).
template <class Range>
centre_spread robust_scale(const Range& values, std::vector<double>& scratch) {
  scratch.assign(std::begin(values), std::end(values));
  if (scratch.empty()) return {};
  const auto mid = scratch.begin() + static_cast<std::ptrdiff_t>(scratch.size() / 2);
  std::nth_element(scratch.begin(), mid, scratch.end());
  const double med = *mid;
  for (auto& v : scratch) v = std::fabs(v - med);
  std::nth_element(scratch.begin(), mid, scratch.end());
  return {med, mad_to_sigma * *mid};
}

inline constexpr double q90_to_sigma = 1.0 / 1.2815515655446004;

template <class Range>
centre_spread upper_tail_scale(const Range& values, std::vector<double>& scratch) {
  scratch.assign(std::begin(values), std::end(values));
  if (scratch.empty()) return {};
  const auto mid = scratch.begin() + static_cast<std::ptrdiff_t>(scratch.size() / 2);
  std::nth_element(scratch.begin(), mid, scratch.end());
  const double med = *mid;
  // Q90 lies in the upper half, which nth_element left after mid
  const auto q = std::max(mid, scratch.begin() + static_cast<std::ptrdiff_t>((9 * (scratch.size() - 1)) / 10));
  std::nth_element(mid, q, scratch.end());
  return {med, q90_to_sigma * (*q - med)};
}

}  // namespace predsense::kernels
