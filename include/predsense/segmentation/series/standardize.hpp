// predsense/segmentation/series/standardize.hpp - z-score the columns of a row-major n x dims series.
//
// TCPDBench scales every series before running a method (R's scale(): centre by the mean, divide
// by the unbiased standard deviation), so that one prior fits every series. A constant column (or
// a single row) is only centred: dividing by a zero deviation would turn it into NaN. Missing
// values (NaN) are left missing and take no part in the mean and deviation (R's na.rm = TRUE).
// A column whose magnitudes exceed 1e150 is first divided by its largest one, so finite values up
// to DBL_MAX give a finite result (x^2 would overflow otherwise). Errors: shape_error if the data do not form rows
// of dims; non_finite_error for an infinite value.
#pragma once

#include <cmath>
#include <cstddef>
#include <span>
#include <string>

#include "predsense/core/error.hpp"

namespace predsense {

inline void standardize_columns(std::span<double> x, std::size_t dims) {
  if (dims == 0 || x.size() % dims != 0)
    throw shape_error("predsense: standardize_columns: " + std::to_string(x.size()) +
                      " values do not form rows of dims = " + std::to_string(dims));
  const std::size_t n = x.size() / dims;
  if (n == 0) return;
  for (std::size_t d = 0; d < dims; ++d) {
    double big = 0.0;
    std::size_t k = 0;
    for (std::size_t i = 0; i < n; ++i) {
      const double v = x[i * dims + d];
      if (std::isinf(v))
        throw non_finite_error("predsense: standardize_columns: value at row " + std::to_string(i) + ", column " +
                               std::to_string(d) + " is infinite");
      if (!std::isnan(v)) big = std::max(big, std::abs(v)), ++k;
    }
    if (k == 0) continue;
    // Huge values: work in units of the largest magnitude so that squares cannot overflow (only
    // then, so that ordinary series are standardised exactly as R does, to the last bit).
    const double scale = big > 1e150 ? big : 1.0;
    double mean = 0.0;
    for (std::size_t i = 0; i < n; ++i)
      if (!std::isnan(x[i * dims + d])) mean += x[i * dims + d] / scale;
    mean /= static_cast<double>(k);
    double ss = 0.0;
    for (std::size_t i = 0; i < n; ++i) {
      if (std::isnan(x[i * dims + d])) continue;
      const double e = x[i * dims + d] / scale - mean;
      ss += e * e;
    }
    const double sd = k > 1 ? std::sqrt(ss / static_cast<double>(k - 1)) : 0.0;
    const double inv = sd > 0.0 ? 1.0 / sd : 1.0;
    for (std::size_t i = 0; i < n; ++i) x[i * dims + d] = (x[i * dims + d] / scale - mean) * inv;
  }
}

}  // namespace predsense
