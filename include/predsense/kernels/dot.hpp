// predsense/kernels/dot.hpp - inner product of two float vectors.
#pragma once

#include <cstddef>

#include "predsense/kernels/simd.hpp"

namespace predsense::kernels {

namespace scalar {
// The reference twin: one accumulator, left to right.
inline float dot(const float* a, const float* b, std::size_t n) noexcept {
  float s = 0.0f;
  for (std::size_t i = 0; i < n; ++i) s += a[i] * b[i];
  return s;
}
}  // namespace scalar

inline float dot(const float* a, const float* b, std::size_t n) noexcept {
#if PREDSENSE_SIMD
  namespace s = detail::simd;
  constexpr std::size_t W = s::width;
  // Four independent accumulators hide the FMA latency.
  s::batch c0(0.0f), c1(0.0f), c2(0.0f), c3(0.0f);
  std::size_t i = 0;
  for (; i + 4 * W <= n; i += 4 * W) {
    c0 = s::fma(s::load(a + i), s::load(b + i), c0);
    c1 = s::fma(s::load(a + i + W), s::load(b + i + W), c1);
    c2 = s::fma(s::load(a + i + 2 * W), s::load(b + i + 2 * W), c2);
    c3 = s::fma(s::load(a + i + 3 * W), s::load(b + i + 3 * W), c3);
  }
  for (; i + W <= n; i += W) c0 = s::fma(s::load(a + i), s::load(b + i), c0);
  float r = s::sum((c0 + c1) + (c2 + c3));
  for (; i < n; ++i) r += a[i] * b[i];
  return r;
#else
  return scalar::dot(a, b, n);
#endif
}

}  // namespace predsense::kernels
