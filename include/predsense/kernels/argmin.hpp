// predsense/kernels/argmin.hpp - first index of the minimum of a double array, and its maximum.
//
// PELT takes the best candidate (ties: the earliest) and, from the maximum, knows whether any
// candidate can be pruned at all. NaN inputs are not supported (the costs never produce them).
// The SIMD version reduces min and max over batches, then finds the first index equal to the min;
// the scalar twin is the plain loop. n must be >= 1.
#pragma once

#include <cstddef>

#include "predsense/kernels/simd.hpp"

namespace predsense::kernels {

struct argmin_result {
  std::size_t index;
  double min;
  double max;
};

namespace scalar {
inline argmin_result argmin(const double* v, std::size_t n) noexcept {
  argmin_result r{0, v[0], v[0]};
  for (std::size_t i = 1; i < n; ++i) {
    if (v[i] < r.min) r.min = v[i], r.index = i;
    if (v[i] > r.max) r.max = v[i];
  }
  return r;
}
}  // namespace scalar

PREDSENSE_SIMD_DIAGNOSTICS_BEGIN
inline argmin_result argmin(const double* v, std::size_t n) noexcept {
#if PREDSENSE_SIMD
  namespace s = detail::simd;
  constexpr std::size_t W = s::dwidth;
  if (n < 2 * W) return scalar::argmin(v, n);
  s::dbatch lo = s::dload(v), hi = lo;
  std::size_t i = W;
  for (; i + W <= n; i += W) {
    const s::dbatch x = s::dload(v + i);
    lo = xsimd::min(lo, x);
    hi = xsimd::max(hi, x);
  }
  alignas(64) double l[W], h[W];
  lo.store_aligned(l);
  hi.store_aligned(h);
  double mn = l[0], mx = h[0];
  for (std::size_t j = 1; j < W; ++j) mn = l[j] < mn ? l[j] : mn, mx = h[j] > mx ? h[j] : mx;
  for (; i < n; ++i) mn = v[i] < mn ? v[i] : mn, mx = v[i] > mx ? v[i] : mx;
  std::size_t k = 0;
  while (v[k] != mn) ++k;
  return {k, mn, mx};
#else
  return scalar::argmin(v, n);
#endif
}
PREDSENSE_SIMD_DIAGNOSTICS_END

}  // namespace predsense::kernels
