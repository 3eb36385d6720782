// predsense/kernels/average_into.hpp - a = (a + b) / 2 element-wise: how the Cambrian-S memory
// merges two neighbouring entries' tensors (drop_merge, surprise-driven consolidation).
//
// Computed as (a[i] + b[i]) * 0.5f in single precision, the reference's `(x + y) / 2.0` on float32
// tensors (x * 0.5f and x / 2 round the same real number, so they agree). Element-wise, so the SIMD body is
// bit-identical to the scalar twin. `a` and `b` are n floats each; they may be the same array
// (a is then unchanged) but must not partly overlap.
#pragma once

#include <cstddef>

#include "predsense/kernels/simd.hpp"

namespace predsense::kernels {

namespace scalar {
inline void average_into(float* a, const float* b, std::size_t n) noexcept {
  for (std::size_t i = 0; i < n; ++i) a[i] = (a[i] + b[i]) * 0.5f;
}
}  // namespace scalar

inline void average_into(float* a, const float* b, std::size_t n) noexcept {
#if PREDSENSE_SIMD
  namespace s = detail::simd;
  const s::batch half(0.5f);
  std::size_t i = 0;
  for (; i + s::width <= n; i += s::width) s::store(a + i, (s::load(a + i) + s::load(b + i)) * half);
  for (; i < n; ++i) a[i] = (a[i] + b[i]) * 0.5f;
#else
  scalar::average_into(a, b, n);
#endif
}

}  // namespace predsense::kernels
