// predsense/kernels/cosine.hpp - cosine similarity of two float vectors.
//
// Zero vectors: like torch.nn.functional.cosine_similarity, the denominator is clamped to
// eps = 1e-8, so a zero vector has similarity 0 with anything instead of NaN.
#pragma once

#include <algorithm>
#include <cmath>
#include <cstddef>

#include "predsense/kernels/dot_norms.hpp"

namespace predsense::kernels {

inline constexpr double cosine_eps = 1e-8;

// The cosine from a fused dot/norms triple (shared by the SIMD path and its scalar twin).
inline double cosine_from(const dot_norms_result& r) noexcept {
  const double denom = std::sqrt(static_cast<double>(r.norm2_a) * static_cast<double>(r.norm2_b));
  return static_cast<double>(r.dot) / std::max(denom, cosine_eps);
}

namespace scalar {
inline double cosine(const float* a, const float* b, std::size_t n) noexcept {
  return cosine_from(scalar::dot_norms(a, b, n));
}
}  // namespace scalar

inline double cosine(const float* a, const float* b, std::size_t n) noexcept { return cosine_from(dot_norms(a, b, n)); }

}  // namespace predsense::kernels
