// predsense/kernels/squared_norm.hpp - sum of squares of a float vector.
#pragma once

#include <cstddef>

#include "predsense/kernels/dot.hpp"

namespace predsense::kernels {

namespace scalar {
inline float squared_norm(const float* a, std::size_t n) noexcept {
  float s = 0.0f;
  for (std::size_t i = 0; i < n; ++i) s += a[i] * a[i];
  return s;
}
}  // namespace scalar

// Same loop as dot(a, a): one load stream instead of two.
inline float squared_norm(const float* a, std::size_t n) noexcept {
#if PREDSENSE_SIMD
  namespace s = detail::simd;
  constexpr std::size_t W = s::width;
  s::batch c0(0.0f), c1(0.0f), c2(0.0f), c3(0.0f);
  std::size_t i = 0;
  for (; i + 4 * W <= n; i += 4 * W) {
    const auto x0 = s::load(a + i), x1 = s::load(a + i + W), x2 = s::load(a + i + 2 * W),
               x3 = s::load(a + i + 3 * W);
    c0 = s::fma(x0, x0, c0);
    c1 = s::fma(x1, x1, c1);
    c2 = s::fma(x2, x2, c2);
    c3 = s::fma(x3, x3, c3);
  }
  for (; i + W <= n; i += W) {
    const auto x = s::load(a + i);
    c0 = s::fma(x, x, c0);
  }
  float r = s::sum((c0 + c1) + (c2 + c3));
  for (; i < n; ++i) r += a[i] * a[i];
  return r;
#else
  return scalar::squared_norm(a, n);
#endif
}

}  // namespace predsense::kernels
