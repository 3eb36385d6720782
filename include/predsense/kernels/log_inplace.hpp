// predsense/kernels/log_inplace.hpp - natural logarithm of every element of a double array, in place.
//
// The batched change-point costs (normal_meanvar_cost) take one logarithm per candidate segment;
// this is their hot loop. SIMD through xsimd's log (batch<double>, within about 1 ulp of std::log);
// the scalar twin is std::log. Inputs must be > 0 (callers floor them); n may be 0.
#pragma once

#include <cmath>
#include <cstddef>

#include "predsense/kernels/simd.hpp"

namespace predsense::kernels {

namespace scalar {
inline void log_inplace(double* x, std::size_t n) noexcept {
  for (std::size_t i = 0; i < n; ++i) x[i] = std::log(x[i]);
}
}  // namespace scalar

PREDSENSE_SIMD_DIAGNOSTICS_BEGIN
inline void log_inplace(double* x, std::size_t n) noexcept {
#if PREDSENSE_SIMD
  namespace s = detail::simd;
  constexpr std::size_t W = s::dwidth;
  std::size_t i = 0;
  for (; i + W <= n; i += W) s::dstore(x + i, s::log(s::dload(x + i)));
  for (; i < n; ++i) x[i] = std::log(x[i]);
#else
  scalar::log_inplace(x, n);
#endif
}
PREDSENSE_SIMD_DIAGNOSTICS_END

}  // namespace predsense::kernels
