// predsense/kernels/softmax.hpp - the pieces of a numerically stable (online) softmax.
//
// max_of: the row maximum; exp_shift_sum: p = exp(p - m) and its sum. softmax_exp is the batch
// exponential for arguments <= 0 after the max shift: Cephes expf's range reduction and degree-5
// polynomial (relative error ~1e-7, as xsimd::exp) without xsimd::exp's special-case handling,
// about 2x faster, which matters because the softmax exponentials are a sixth of the attention's
// time. The scalar tails use std::exp.
#pragma once

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <cstdint>

#include "predsense/kernels/simd.hpp"

namespace predsense::kernels {

PREDSENSE_SIMD_DIAGNOSTICS_BEGIN
#if PREDSENSE_SIMD
// x is clamped to [-87, 88] so that 2^n stays a normal float.
inline detail::simd::batch softmax_exp(detail::simd::batch x) noexcept {
  using b = detail::simd::batch;
  using bi = xsimd::batch<std::int32_t>;
  x = xsimd::min(xsimd::max(x, b(-87.0f)), b(88.0f));
  const b fx = xsimd::nearbyint(x * b(1.44269504088896341f));
  b r = xsimd::fnma(fx, b(0.693359375f), x);
  r = xsimd::fnma(fx, b(-2.12194440e-4f), r);
  b p(1.9875691500e-4f);
  p = xsimd::fma(p, r, b(1.3981999507e-3f));
  p = xsimd::fma(p, r, b(8.3334519073e-3f));
  p = xsimd::fma(p, r, b(4.1665795894e-2f));
  p = xsimd::fma(p, r, b(1.6666665459e-1f));
  p = xsimd::fma(p, r, b(5.0000001201e-1f));
  const b y = xsimd::fma(p * r, r, r + b(1.0f));
  const bi n = xsimd::to_int(fx) + bi(127);
  return y * xsimd::bitwise_cast<b>(n << 23);
}
#endif

inline float max_of(const float* p, std::size_t n, float init) noexcept {
  std::size_t i = 0;
  float m = init;
#if PREDSENSE_SIMD
  namespace s = detail::simd;
  if (n >= s::width) {
    s::batch a = s::load(p), b2(init);
    for (i = s::width; i + s::width <= n; i += s::width) a = xsimd::max(a, s::load(p + i));
    a = xsimd::max(a, b2);
    alignas(64) float lanes[s::width];
    a.store_aligned(lanes);
    for (std::size_t k = 0; k < s::width; ++k) m = std::max(m, lanes[k]);
  }
#endif
  for (; i < n; ++i) m = std::max(m, p[i]);
  return m;
}

// p[i] = exp(p[i] - m); returns the sum.
inline float exp_shift_sum(float* p, std::size_t n, float m) noexcept {
  std::size_t i = 0;
  float sum = 0.0f;
#if PREDSENSE_SIMD
  namespace s = detail::simd;
  s::batch acc(0.0f);
  const s::batch mb(m);
  for (; i + s::width <= n; i += s::width) {
    const auto e = softmax_exp(s::load(p + i) - mb);
    s::store(p + i, e);
    acc += e;
  }
  sum = s::sum(acc);
#endif
  for (; i < n; ++i) {
    p[i] = std::exp(p[i] - m);
    sum += p[i];
  }
  return sum;
}
PREDSENSE_SIMD_DIAGNOSTICS_END

}  // namespace predsense::kernels
