// predsense/kernels/token_sum.hpp - the sum (or mean) of a frame's token rows: the pooled vector
// behind pooled cosine surprise and the memory's retrieval keys.
//
// SIMD runs across the dim, tokens are added in order, so the result is bit-identical to the
// scalar twin (the same additions in the same order per element).
#pragma once

#include <algorithm>
#include <cstddef>

#include "predsense/kernels/simd.hpp"

namespace predsense::kernels {

namespace scalar {
inline void token_sum(const float* x, std::size_t tokens, std::size_t dim, float* out) noexcept {
  std::fill(out, out + dim, 0.0f);
  for (std::size_t t = 0; t < tokens; ++t)
    for (std::size_t k = 0; k < dim; ++k) out[k] += x[t * dim + k];
}
}  // namespace scalar

// out[k] = sum over t of x[t * dim + k].
inline void token_sum(const float* x, std::size_t tokens, std::size_t dim, float* out) noexcept {
#if PREDSENSE_SIMD
  namespace s = detail::simd;
  std::fill(out, out + dim, 0.0f);
  for (std::size_t t = 0; t < tokens; ++t) {
    const float* r = x + t * dim;
    std::size_t k = 0;
    for (; k + s::width <= dim; k += s::width) s::store(out + k, s::load(out + k) + s::load(r + k));
    for (; k < dim; ++k) out[k] += r[k];
  }
#else
  scalar::token_sum(x, tokens, dim, out);
#endif
}

// out = token_sum / tokens.
inline void token_mean(const float* x, std::size_t tokens, std::size_t dim, float* out) noexcept {
  token_sum(x, tokens, dim, out);
  const float inv = 1.0f / static_cast<float>(tokens);
  for (std::size_t k = 0; k < dim; ++k) out[k] *= inv;
}

// Double-precision mean (the RLS predictor's regressors): accumulated in double, token by token.
inline void token_mean(const float* x, std::size_t tokens, std::size_t dim, double* out) noexcept {
  std::fill(out, out + dim, 0.0);
  for (std::size_t t = 0; t < tokens; ++t)
    for (std::size_t k = 0; k < dim; ++k) out[k] += x[t * dim + k];
  for (std::size_t k = 0; k < dim; ++k) out[k] /= static_cast<double>(tokens);
}

}  // namespace predsense::kernels
