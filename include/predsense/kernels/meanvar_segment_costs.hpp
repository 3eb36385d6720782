// predsense/kernels/meanvar_segment_costs.hpp - Normal mean-and-variance costs of the segments
// [s0 + i, t), i < r, of a univariate series, from its prefix sums: PELT's hot loop.
//
//   out[i] = m (log(2 pi) + 1 + log(max(var, floor))),  m = t - s0 - i,
//   var = (B - A^2 / m) / m (computed as (B - A^2 r) r, r = 1 / m),  A = s1[t] - s1[s0 + i],
//   B = s2[t] - s2[s0 + i]
// (s1, s2: prefix sums of x and x^2, length n + 1). Contiguous starts, so plain SIMD loads; xsimd's
// log for batch<double>. The scalar twin is the same formula with a division and std::log
// (agreement to a few ulp, tested). Requires s0 + r <= t <= n.
#pragma once

#include <algorithm>
#include <cmath>
#include <cstddef>

#include "predsense/kernels/simd.hpp"

namespace predsense::kernels {

namespace scalar {
inline void meanvar_segment_costs(const double* s1, const double* s2, std::size_t s0, std::size_t r, std::size_t t,
                                  double floor, double* out) noexcept {
  constexpr double c = 2.8378770664093453;  // log(2 pi) + 1
  const double at = s1[t], bt = s2[t];
  for (std::size_t i = 0; i < r; ++i) {
    const double m = static_cast<double>(t - s0 - i);
    const double a = at - s1[s0 + i], b = bt - s2[s0 + i], inv = 1.0 / m;
    out[i] = m * (c + std::log(std::max((b - a * a * inv) * inv, floor)));
  }
}
}  // namespace scalar

PREDSENSE_SIMD_DIAGNOSTICS_BEGIN
// The reciprocals come from a table instead of a division: recip[j] = 1 / (n - j), so that 1 / m
// for m = t - s0 - i is recip[n - t + s0 + i], ascending in i (contiguous loads).
inline void meanvar_segment_costs(const double* s1, const double* s2, std::size_t s0, std::size_t r, std::size_t t,
                                  double floor, const double* recip, std::size_t n, double* out) noexcept {
#if PREDSENSE_SIMD
  namespace s = detail::simd;
  constexpr std::size_t W = s::dwidth;
  constexpr double c = 2.8378770664093453;
  const s::dbatch at(s1[t]), bt(s2[t]), fl(floor), cc(c);
  alignas(64) double lane[W];
  for (std::size_t j = 0; j < W; ++j) lane[j] = static_cast<double>(j);
  const s::dbatch iota = s::dbatch::load_aligned(lane);
  const double* rc = recip + (n - t + s0);
  std::size_t i = 0;
  for (; i + W <= r; i += W) {
    const s::dbatch m = s::dbatch(static_cast<double>(t - s0 - i)) - iota;
    const s::dbatch a = at - s::dload(s1 + s0 + i), b = bt - s::dload(s2 + s0 + i);
    const s::dbatch inv = s::dload(rc + i);
    const s::dbatch var = xsimd::max((b - a * a * inv) * inv, fl);
    s::dstore(out + i, m * (cc + s::log(var)));
  }
  if (i < r) scalar::meanvar_segment_costs(s1, s2, s0 + i, r - i, t, floor, out + i);
#else
  (void)recip, (void)n;
  scalar::meanvar_segment_costs(s1, s2, s0, r, t, floor, out);
#endif
}
PREDSENSE_SIMD_DIAGNOSTICS_END

}  // namespace predsense::kernels
