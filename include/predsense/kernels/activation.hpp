// predsense/kernels/activation.hpp - activations of the learned predictors, fused with their bias / gate.
//
// bias_gelu_rows: z = gelu(z + bias) with the exact erf GELU (PyTorch's default, approximate='none'),
// the LFP head's first layer epilogue; silu_mul: g = silu(g) * u (Qwen2's gated MLP). SIMD through
// xsimd's erf / exp; the scalar tails are the twins (std::erf / std::exp).
#pragma once

#include <cmath>
#include <cstddef>

#include "predsense/kernels/simd.hpp"

namespace predsense::kernels {

PREDSENSE_SIMD_DIAGNOSTICS_BEGIN
inline constexpr float inv_sqrt2 = 0.70710678118654752440f;

// z[i] = gelu(z[i] + bias[i % n]) over a rows x n block (exact erf GELU).
inline void bias_gelu_rows(float* z, const float* bias, std::size_t rows, std::size_t n) noexcept {
  for (std::size_t r = 0; r < rows; ++r) {
    float* p = z + r * n;
    std::size_t i = 0;
#if PREDSENSE_SIMD
    namespace s = detail::simd;
    using b = s::batch;
    const b half(0.5f), one(1.0f), k(inv_sqrt2);
    for (; i + s::width <= n; i += s::width) {
      const b x = s::load(p + i) + s::load(bias + i);
      s::store(p + i, half * x * (one + xsimd::erf(x * k)));
    }
#endif
    for (; i < n; ++i) {
      const float x = p[i] + bias[i];
      p[i] = 0.5f * x * (1.0f + std::erf(x * inv_sqrt2));
    }
  }
}

// x * sigmoid(x) * u
inline void silu_mul(float* g, const float* u, std::size_t n) noexcept {
  std::size_t i = 0;
#if PREDSENSE_SIMD
  namespace s = detail::simd;
  const s::batch one(1.0f);
  for (; i + s::width <= n; i += s::width) {
    const auto x = s::load(g + i);
    s::store(g + i, x / (one + xsimd::exp(-x)) * s::load(u + i));
  }
#endif
  for (; i < n; ++i) g[i] = g[i] / (1.0f + std::exp(-g[i])) * u[i];
}
PREDSENSE_SIMD_DIAGNOSTICS_END

}  // namespace predsense::kernels
