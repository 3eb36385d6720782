// predsense/kernels/squared_l2.hpp - squared Euclidean distance |a - b|^2.
#pragma once

#include <cstddef>

#include "predsense/kernels/simd.hpp"

namespace predsense::kernels {

namespace scalar {
inline float squared_l2(const float* a, const float* b, std::size_t n) noexcept {
  float s = 0.0f;
  for (std::size_t i = 0; i < n; ++i) {
    const float d = a[i] - b[i];
    s += d * d;
  }
  return s;
}
}  // namespace scalar

inline float squared_l2(const float* a, const float* b, std::size_t n) noexcept {
#if PREDSENSE_SIMD
  namespace s = detail::simd;
  constexpr std::size_t W = s::width;
  s::batch c0(0.0f), c1(0.0f), c2(0.0f), c3(0.0f);
  std::size_t i = 0;
  for (; i + 4 * W <= n; i += 4 * W) {
    const auto e0 = s::load(a + i) - s::load(b + i);
    const auto e1 = s::load(a + i + W) - s::load(b + i + W);
    const auto e2 = s::load(a + i + 2 * W) - s::load(b + i + 2 * W);
    const auto e3 = s::load(a + i + 3 * W) - s::load(b + i + 3 * W);
    c0 = s::fma(e0, e0, c0);
    c1 = s::fma(e1, e1, c1);
    c2 = s::fma(e2, e2, c2);
    c3 = s::fma(e3, e3, c3);
  }
  for (; i + W <= n; i += W) {
    const auto e = s::load(a + i) - s::load(b + i);
    c0 = s::fma(e, e, c0);
  }
  float r = s::sum((c0 + c1) + (c2 + c3));
  for (; i < n; ++i) {
    const float d = a[i] - b[i];
    r += d * d;
  }
  return r;
#else
  return scalar::squared_l2(a, b, n);
#endif
}

}  // namespace predsense::kernels
