// predsense/kernels/dot.hpp - inner product of two float vectors.
#pragma once

#include <cstddef>

#include "predsense/kernels/reduce.hpp"

namespace predsense::kernels {

struct dot_op {
  using value = float;
#if PREDSENSE_SIMD
  using acc = detail::simd::batch;
  static acc zero() noexcept { return acc(0.0f); }
  static void step(acc& c, const acc& x, const acc& y) noexcept { c = detail::simd::fma(x, y, c); }
  static acc add(const acc& x, const acc& y) noexcept { return x + y; }
  static value lanes(const acc& c) noexcept { return detail::simd::sum(c); }
#endif
  static void step(value& r, float x, float y) noexcept { r += x * y; }
};

namespace scalar {
// The reference twin: one accumulator, left to right.
inline float dot(const float* a, const float* b, std::size_t n) noexcept { return scalar_reduce<dot_op>(a, b, n); }
}  // namespace scalar

// Four independent accumulators hide the FMA latency.
inline float dot(const float* a, const float* b, std::size_t n) noexcept { return reduce<4, dot_op>(a, b, n); }

}  // namespace predsense::kernels
