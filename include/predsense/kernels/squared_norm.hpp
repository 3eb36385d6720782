// predsense/kernels/squared_norm.hpp - sum of squares of a float vector.
#pragma once

#include <cstddef>

#include "predsense/kernels/reduce.hpp"

namespace predsense::kernels {

// One input read as both operands of the pair: x . x.
struct squared_norm_op {
  using value = float;
#if PREDSENSE_SIMD
  using acc = detail::simd::batch;
  static acc zero() noexcept { return acc(0.0f); }
  static void step(acc& c, const acc& x, const acc&) noexcept { c = detail::simd::fma(x, x, c); }
  static acc add(const acc& x, const acc& y) noexcept { return x + y; }
  static value lanes(const acc& c) noexcept { return detail::simd::sum(c); }
#endif
  static void step(value& r, float x, float) noexcept { r += x * x; }
};

namespace scalar {
inline float squared_norm(const float* a, std::size_t n) noexcept { return scalar_reduce<squared_norm_op>(a, a, n); }
}  // namespace scalar

inline float squared_norm(const float* a, std::size_t n) noexcept { return reduce<4, squared_norm_op>(a, a, n); }

}  // namespace predsense::kernels
