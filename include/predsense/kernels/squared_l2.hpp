// predsense/kernels/squared_l2.hpp - squared Euclidean distance |a - b|^2.
#pragma once

#include <cstddef>

#include "predsense/kernels/reduce.hpp"

namespace predsense::kernels {

struct squared_l2_op {
  using value = float;
#if PREDSENSE_SIMD
  using acc = detail::simd::batch;
  static acc zero() noexcept { return acc(0.0f); }
  static void step(acc& c, const acc& x, const acc& y) noexcept {
    const acc e = x - y;
    c = detail::simd::fma(e, e, c);
  }
  static acc add(const acc& x, const acc& y) noexcept { return x + y; }
  static value lanes(const acc& c) noexcept { return detail::simd::sum(c); }
#endif
  static void step(value& r, float x, float y) noexcept {
    const float d = x - y;
    r += d * d;
  }
};

namespace scalar {
inline float squared_l2(const float* a, const float* b, std::size_t n) noexcept {
  return scalar_reduce<squared_l2_op>(a, b, n);
}
}  // namespace scalar

inline float squared_l2(const float* a, const float* b, std::size_t n) noexcept {
  return reduce<4, squared_l2_op>(a, b, n);
}

}  // namespace predsense::kernels
