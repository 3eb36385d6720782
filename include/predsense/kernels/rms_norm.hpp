// predsense/kernels/rms_norm.hpp - RMSNorm over the rows of a matrix (Qwen2 / LLaMA normalisation).
//
// out[r, :] = w * x[r, :] / sqrt(mean(x[r, :]^2) + eps); the sum of squares in double.
#pragma once

#include <cmath>
#include <cstddef>

#include "predsense/kernels/simd.hpp"

namespace predsense::kernels {

PREDSENSE_SIMD_DIAGNOSTICS_BEGIN
// out[t] = w * x[t] / sqrt(mean(x[t]^2) + eps)
inline void rms_norm_rows(const float* x, const float* w, std::size_t rows, std::size_t n, double eps,
                          float* out) noexcept {
  for (std::size_t r = 0; r < rows; ++r) {
    const float* xr = x + r * n;
    float* o = out + r * n;
    double ss = 0.0;
    for (std::size_t i = 0; i < n; ++i) ss += double(xr[i]) * xr[i];
    const float inv = static_cast<float>(1.0 / std::sqrt(ss / double(n) + eps));
    for (std::size_t i = 0; i < n; ++i) o[i] = w[i] * (xr[i] * inv);
  }
}
PREDSENSE_SIMD_DIAGNOSTICS_END

}  // namespace predsense::kernels
