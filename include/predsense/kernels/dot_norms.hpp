// predsense/kernels/dot_norms.hpp - a.b, |a|^2 and |b|^2 in one pass over both vectors.
//
// Cosine similarity needs all three; fusing them reads each vector once instead of three times,
// which is what makes the token-mean cosine surprise memory-bound rather than load-bound.
#pragma once

#include <cstddef>

#include "predsense/kernels/reduce.hpp"

namespace predsense::kernels {

struct dot_norms_result {
  float dot = 0.0f;
  float norm2_a = 0.0f;
  float norm2_b = 0.0f;
};

struct dot_norms_op {
  using value = dot_norms_result;
#if PREDSENSE_SIMD
  struct acc {
    detail::simd::batch d, a, b;
  };
  static acc zero() noexcept {
    return {detail::simd::batch(0.0f), detail::simd::batch(0.0f), detail::simd::batch(0.0f)};
  }
  static void step(acc& c, const detail::simd::batch& x, const detail::simd::batch& y) noexcept {
    c.d = detail::simd::fma(x, y, c.d);
    c.a = detail::simd::fma(x, x, c.a);
    c.b = detail::simd::fma(y, y, c.b);
  }
  static acc add(const acc& x, const acc& y) noexcept { return {x.d + y.d, x.a + y.a, x.b + y.b}; }
  static value lanes(const acc& c) noexcept {
    return {detail::simd::sum(c.d), detail::simd::sum(c.a), detail::simd::sum(c.b)};
  }
#endif
  static void step(value& r, float x, float y) noexcept {
    r.dot += x * y;
    r.norm2_a += x * x;
    r.norm2_b += y * y;
  }
};

namespace scalar {
inline dot_norms_result dot_norms(const float* a, const float* b, std::size_t n) noexcept {
  return scalar_reduce<dot_norms_op>(a, b, n);
}
}  // namespace scalar

// Two unrolled states of three accumulators: six independent FMA chains.
inline dot_norms_result dot_norms(const float* a, const float* b, std::size_t n) noexcept {
  return reduce<2, dot_norms_op>(a, b, n);
}

}  // namespace predsense::kernels
