// predsense/kernels/token_cosine_distance.hpp - the Cambrian-S surprise between two T x D frames:
//   1 - (1/T) sum_t cos(a[t, :], b[t, :])
// Each token goes through one fused dot/norms pass; the mean is accumulated in double so a long
// token axis does not lose the small differences that surprise is made of.
#pragma once

#include <cstddef>

#include "predsense/kernels/cosine.hpp"
#include "predsense/kernels/dot_norms.hpp"

namespace predsense::kernels {

namespace scalar {
inline double token_cosine_distance(const float* a, const float* b, std::size_t tokens, std::size_t dim) noexcept {
  double s = 0.0;
  for (std::size_t t = 0; t < tokens; ++t) s += scalar::cosine(a + t * dim, b + t * dim, dim);
  return 1.0 - s / static_cast<double>(tokens);
}
}  // namespace scalar

inline double token_cosine_distance(const float* a, const float* b, std::size_t tokens, std::size_t dim) noexcept {
  double s = 0.0;
  for (std::size_t t = 0; t < tokens; ++t) s += cosine_from(dot_norms(a + t * dim, b + t * dim, dim));
  return 1.0 - s / static_cast<double>(tokens);
}

}  // namespace predsense::kernels
