// predsense/kernels/gemv.hpp - y = A x for a row-major rows x cols matrix A.
#pragma once

#include <cstddef>

#include "predsense/kernels/dot.hpp"
#include "predsense/kernels/simd.hpp"

namespace predsense::kernels {

namespace scalar {
inline void gemv(const float* a, std::size_t rows, std::size_t cols, const float* x, float* y) noexcept {
  for (std::size_t r = 0; r < rows; ++r) {
    float s = 0.0f;
    for (std::size_t c = 0; c < cols; ++c) s += a[r * cols + c] * x[c];
    y[r] = s;
  }
}
}  // namespace scalar

inline void gemv(const float* a, std::size_t rows, std::size_t cols, const float* x, float* y) noexcept {
#if PREDSENSE_SIMD
  namespace s = detail::simd;
  constexpr std::size_t W = s::width;
  std::size_t r = 0;
  // Four rows at a time share each load of x: 5 loads per 4 FMAs instead of 8.
  for (; r + 4 <= rows; r += 4) {
    const float* a0 = a + r * cols;
    const float* a1 = a0 + cols;
    const float* a2 = a1 + cols;
    const float* a3 = a2 + cols;
    s::batch c0(0.0f), c1(0.0f), c2(0.0f), c3(0.0f);
    std::size_t c = 0;
    for (; c + W <= cols; c += W) {
      const auto xv = s::load(x + c);
      c0 = s::fma(s::load(a0 + c), xv, c0);
      c1 = s::fma(s::load(a1 + c), xv, c1);
      c2 = s::fma(s::load(a2 + c), xv, c2);
      c3 = s::fma(s::load(a3 + c), xv, c3);
    }
    float y0 = s::sum(c0), y1 = s::sum(c1), y2 = s::sum(c2), y3 = s::sum(c3);
    for (; c < cols; ++c) {
      y0 += a0[c] * x[c];
      y1 += a1[c] * x[c];
      y2 += a2[c] * x[c];
      y3 += a3[c] * x[c];
    }
    y[r] = y0;
    y[r + 1] = y1;
    y[r + 2] = y2;
    y[r + 3] = y3;
  }
  for (; r < rows; ++r) y[r] = dot(a + r * cols, x, cols);
#else
  scalar::gemv(a, rows, cols, x, y);
#endif
}

}  // namespace predsense::kernels
