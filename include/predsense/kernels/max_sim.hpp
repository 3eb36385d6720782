// predsense/kernels/max_sim.hpp - token-level late interaction (ColBERT's MaxSim): for each query
// token, its best cosine over a document's tokens; the weighted mean of those maxima.
//
//   score(Q, E) = sum_i w_i * max_j cos(q_i, e_j) / sum_i w_i
//
// Source: Khattab & Zaharia, "ColBERT" (SIGIR 2020), section 3.3 (there with unit-normalised
// embeddings, so the dot product is the cosine). Here the caller passes each token's inverse L2
// norm (inverse_norms() below; 0 for a zero token, whose cosine is then 0 like cosine.hpp's
// clamped denominator), so stored latents need not be normalised.
// Shapes: q is m x d, e is n x d, row-major floats; q_inv / e_inv have m / n entries; w has m
// entries or is null (all 1). m, n >= 1. Result in [-1, 1].
// The SIMD path blocks four query tokens against one document token, so each document token is
// loaded once per four dot products; scalar::max_sim is its twin (one accumulator, left to right).
#pragma once

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <limits>

#include "predsense/kernels/dot.hpp"
#include "predsense/kernels/simd.hpp"
#include "predsense/kernels/squared_norm.hpp"

namespace predsense::kernels {

// out[i] = 1 / |x_i| for the n rows of x (n x d), 0 for a zero (or subnormal-norm) row.
inline void inverse_norms(const float* x, std::size_t n, std::size_t d, float* out) noexcept {
  for (std::size_t i = 0; i < n; ++i) {
    const double s = squared_norm(x + i * d, d);
    out[i] = s > 1e-30 ? static_cast<float>(1.0 / std::sqrt(s)) : 0.0f;
  }
}

// Query tokens handled per pass (their running maxima live on the stack).
inline constexpr std::size_t max_sim_chunk = 64;

namespace scalar {
// best[i] = max_j cos(q_i, e_j) for the m query tokens.
inline void max_sim_each(const float* q, std::size_t m, const float* q_inv, const float* e, std::size_t n,
                         const float* e_inv, std::size_t d, float* best) noexcept {
  for (std::size_t i = 0; i < m; ++i) {
    float b = -std::numeric_limits<float>::infinity();
    for (std::size_t j = 0; j < n; ++j) b = std::max(b, scalar::dot(q + i * d, e + j * d, d) * e_inv[j]);
    best[i] = b * q_inv[i];
  }
}
inline double max_sim(const float* q, std::size_t m, const float* q_inv, const float* e, std::size_t n,
                      const float* e_inv, std::size_t d, const float* w = nullptr) noexcept {
  double num = 0.0, den = 0.0;
  for (std::size_t i = 0; i < m; ++i) {
    float best = -std::numeric_limits<float>::infinity();
    for (std::size_t j = 0; j < n; ++j) best = std::max(best, scalar::dot(q + i * d, e + j * d, d) * e_inv[j]);
    const double wi = w ? static_cast<double>(w[i]) : 1.0;
    num += wi * static_cast<double>(best) * static_cast<double>(q_inv[i]);
    den += wi;
  }
  return den > 0.0 ? num / den : 0.0;
}
}  // namespace scalar

// best[i] = max_j cos(q_i, e_j) for the m query tokens (the per-token maxima max_sim averages).
inline void max_sim_each(const float* q, std::size_t m, const float* q_inv, const float* e, std::size_t n,
                         const float* e_inv, std::size_t d, float* best) noexcept {
#if PREDSENSE_SIMD
  namespace s = predsense::detail::simd;
  std::fill(best, best + m, -std::numeric_limits<float>::infinity());
  const std::size_t dv = d - d % s::width;
  std::size_t i = 0;
  PREDSENSE_SIMD_DIAGNOSTICS_BEGIN
  for (; i + 4 <= m; i += 4) {
    const float* q0 = q + i * d;
    const float* q1 = q0 + d;
    const float* q2 = q1 + d;
    const float* q3 = q2 + d;
    for (std::size_t j = 0; j < n; ++j) {
      const float* ej = e + j * d;
      s::batch a0(0.0f), a1(0.0f), a2(0.0f), a3(0.0f);
      for (std::size_t k = 0; k < dv; k += s::width) {
        const s::batch ev = s::load(ej + k);
        a0 = s::fma(s::load(q0 + k), ev, a0);
        a1 = s::fma(s::load(q1 + k), ev, a1);
        a2 = s::fma(s::load(q2 + k), ev, a2);
        a3 = s::fma(s::load(q3 + k), ev, a3);
      }
      float r0 = s::sum(a0), r1 = s::sum(a1), r2 = s::sum(a2), r3 = s::sum(a3);
      for (std::size_t k = dv; k < d; ++k) {
        r0 += q0[k] * ej[k];
        r1 += q1[k] * ej[k];
        r2 += q2[k] * ej[k];
        r3 += q3[k] * ej[k];
      }
      const float ie = e_inv[j];
      best[i] = std::max(best[i], r0 * ie);
      best[i + 1] = std::max(best[i + 1], r1 * ie);
      best[i + 2] = std::max(best[i + 2], r2 * ie);
      best[i + 3] = std::max(best[i + 3], r3 * ie);
    }
  }
  PREDSENSE_SIMD_DIAGNOSTICS_END
  const float* qr = q + i * d;
  for (float* b = best + i; b != best + m; ++b, qr += d)
    for (std::size_t j = 0; j < n; ++j) *b = std::max(*b, dot(qr, e + j * d, d) * e_inv[j]);
  for (float* b = best; b != best + m; ++b) *b *= q_inv[b - best];
#else
  scalar::max_sim_each(q, m, q_inv, e, n, e_inv, d, best);
#endif
}

inline double max_sim(const float* q, std::size_t m, const float* q_inv, const float* e, std::size_t n,
                      const float* e_inv, std::size_t d, const float* w = nullptr) noexcept {
  float best[max_sim_chunk];
  double num = 0.0, den = 0.0;
  for (std::size_t c0 = 0; c0 < m; c0 += max_sim_chunk) {
    const std::size_t cm = std::min(max_sim_chunk, m - c0);
    max_sim_each(q + c0 * d, cm, q_inv + c0, e, n, e_inv, d, best);
    for (std::size_t t = 0; t < cm; ++t) {
      const double wi = w ? static_cast<double>(w[c0 + t]) : 1.0;
      num += wi * static_cast<double>(best[t]);
      den += wi;
    }
  }
  return den > 0.0 ? num / den : 0.0;
}

}  // namespace predsense::kernels
