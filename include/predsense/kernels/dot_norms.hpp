// predsense/kernels/dot_norms.hpp - a.b, |a|^2 and |b|^2 in one pass over both vectors.
//
// Cosine similarity needs all three; fusing them reads each vector once instead of three times,
// which is what makes the token-mean cosine surprise memory-bound rather than load-bound.
#pragma once

#include <cstddef>

#include "predsense/kernels/simd.hpp"

namespace predsense::kernels {

struct dot_norms_result {
  float dot = 0.0f;
  float norm2_a = 0.0f;
  float norm2_b = 0.0f;
};

namespace scalar {
inline dot_norms_result dot_norms(const float* a, const float* b, std::size_t n) noexcept {
  dot_norms_result r;
  for (std::size_t i = 0; i < n; ++i) {
    r.dot += a[i] * b[i];
    r.norm2_a += a[i] * a[i];
    r.norm2_b += b[i] * b[i];
  }
  return r;
}
}  // namespace scalar

inline dot_norms_result dot_norms(const float* a, const float* b, std::size_t n) noexcept {
#if PREDSENSE_SIMD
  namespace s = detail::simd;
  constexpr std::size_t W = s::width;
  // Two lanes of three accumulators: six independent FMA chains.
  s::batch d0(0.0f), d1(0.0f), a0(0.0f), a1(0.0f), b0(0.0f), b1(0.0f);
  std::size_t i = 0;
  for (; i + 2 * W <= n; i += 2 * W) {
    const auto x0 = s::load(a + i), y0 = s::load(b + i);
    const auto x1 = s::load(a + i + W), y1 = s::load(b + i + W);
    d0 = s::fma(x0, y0, d0);
    a0 = s::fma(x0, x0, a0);
    b0 = s::fma(y0, y0, b0);
    d1 = s::fma(x1, y1, d1);
    a1 = s::fma(x1, x1, a1);
    b1 = s::fma(y1, y1, b1);
  }
  for (; i + W <= n; i += W) {
    const auto x = s::load(a + i), y = s::load(b + i);
    d0 = s::fma(x, y, d0);
    a0 = s::fma(x, x, a0);
    b0 = s::fma(y, y, b0);
  }
  dot_norms_result r{s::sum(d0 + d1), s::sum(a0 + a1), s::sum(b0 + b1)};
  for (; i < n; ++i) {
    r.dot += a[i] * b[i];
    r.norm2_a += a[i] * a[i];
    r.norm2_b += b[i] * b[i];
  }
  return r;
#else
  return scalar::dot_norms(a, b, n);
#endif
}

}  // namespace predsense::kernels
