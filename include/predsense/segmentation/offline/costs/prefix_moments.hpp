// predsense/segmentation/offline/costs/prefix_moments.hpp - running sums of a series about a shift,
// which the Normal costs read segment moments from in O(1).
//
// Every column d is first shifted by c_d = x_0d + mean_i(x_id - x_0d) (the column mean, computed
// so that the differences x_id - x_0d are exact when the values are close, Sterbenz), then
// prefix sums of the shifted values and their squares are formed: s1, s2, (n + 1) x dims, row 0
// zero. Why: the costs are differences of running sums such as sum x^2 - (sum x)^2 / m; with an
// offset of 1e6 (mean-and-variance cost) or 1e8 (mean cost) those sums lose every significant
// digit of the spread and give spurious changes. The costs are invariant to a shift
// of a column, so the result is the same up to rounding of the input itself, for offsets up to
// 1e12 and beyond.
#pragma once

#include <cstddef>
#include <span>
#include <vector>

namespace predsense::detail {

// c_d for each column of a row-major n x dims series (n >= 1, finite).
inline std::vector<double> column_shifts(std::span<const double> x, std::size_t n, std::size_t dims) {
  std::vector<double> c(dims, 0.0);
  for (std::size_t d = 0; d < dims; ++d) {
    const double x0 = x[d];
    double s = 0.0;
    for (std::size_t i = 0; i < n; ++i) s += x[i * dims + d] - x0;
    c[d] = x0 + s / static_cast<double>(n);
  }
  return c;
}

// Prefix sums of the shifted x and x^2 per column: (n + 1) x dims each, row 0 zero.
struct moment_prefix_sums {
  std::vector<double> s1, s2;
  moment_prefix_sums(std::span<const double> x, std::size_t n, std::size_t dims)
      : s1((n + 1) * dims, 0.0), s2((n + 1) * dims, 0.0) {
    const auto c = column_shifts(x, n, dims);
    for (std::size_t i = 0; i < n; ++i)
      for (std::size_t d = 0; d < dims; ++d) {
        const double v = x[i * dims + d] - c[d];
        s1[(i + 1) * dims + d] = s1[i * dims + d] + v;
        s2[(i + 1) * dims + d] = s2[i * dims + d] + v * v;
      }
  }
};

}  // namespace predsense::detail
