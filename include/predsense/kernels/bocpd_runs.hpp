// predsense/kernels/bocpd_runs.hpp - BOCPD's per-step loops over the live run lengths (one dimension).
//
// bocpd_grow_batches: for every run i (whole SIMD batches only), the Student-t log predictive of x
// under the run's Normal-Inverse-Gamma posterior, in the form
//   lp_i = c_i + a_i log(beta_i) - (a_i + 1/2) log z_i,   z_i = beta_i + q_i (x - mu_i)^2,
// added with log(1 - H) to the run's log posterior and Viterbi score; then the posterior update
// beta_i = z_i, log beta_i = log z_i, mu_i += (x - mu_i) ik_i. Returns the largest new log posterior
// (at least `mx`) and how many runs it processed (a multiple of the batch width; the caller's
// scalar twin, bocpd::grow_scalar, does the rest and is what the tests compare against).
// exp_shift_sum_batches: sum of exp(lp_i - mx) over whole batches, and how many it took.
// Without SIMD both process nothing. Source of the model: Adams & MacKay (2007); see bocpd.hpp.
#pragma once

#include <algorithm>
#include <cstddef>

#include "predsense/kernels/simd.hpp"

namespace predsense::kernels {

struct batch_reduction {
  double value;      // max (grow) or sum (exp_shift_sum)
  std::size_t done;  // elements processed
};

PREDSENSE_SIMD_DIAGNOSTICS_BEGIN
inline batch_reduction bocpd_grow_batches(std::size_t m, double x, double log_1mh, const double* c, const double* q,
                                          const double* a, const double* ik, double* mu, double* beta, double* logbeta,
                                          double* logp, double* vit, double mx) noexcept {
#if PREDSENSE_SIMD
  namespace s = detail::simd;
  using B = s::dbatch;
  constexpr std::size_t W = s::dwidth;
  const B xb(x), l1mh(log_1mh), half(0.5);
  B vmx(mx);
  std::size_t i = 0;
  for (; i + W <= m; i += W) {
    const B mui = s::dload(mu + i);
    const B dx = xb - mui;
    const B ai = s::dload(a + i);
    const B z = xsimd::fma(s::dload(q + i) * dx, dx, s::dload(beta + i));
    const B lz = s::log(z);
    const B lpi = s::dload(c + i) + ai * s::dload(logbeta + i) - (ai + half) * lz;
    const B g = s::dload(logp + i) + l1mh + lpi;
    s::dstore(logp + i, g);
    s::dstore(vit + i, s::dload(vit + i) + l1mh + lpi);
    s::dstore(beta + i, z);
    s::dstore(logbeta + i, lz);
    s::dstore(mu + i, xsimd::fma(dx, s::dload(ik + i), mui));
    vmx = xsimd::max(vmx, g);
  }
  alignas(64) double tmp[W];
  vmx.store_aligned(tmp);
  for (std::size_t w = 0; w < W; ++w) mx = std::max(mx, tmp[w]);
  return {mx, i};
#else
  (void)m, (void)x, (void)log_1mh, (void)c, (void)q, (void)a, (void)ik, (void)mu, (void)beta, (void)logbeta, (void)logp,
      (void)vit;
  return {mx, 0};
#endif
}

inline batch_reduction exp_shift_sum_batches(const double* lp, std::size_t m, double mx) noexcept {
#if PREDSENSE_SIMD
  namespace s = detail::simd;
  using B = s::dbatch;
  constexpr std::size_t W = s::dwidth;
  const B bm(mx);
  B acc(0.0);
  std::size_t i = 0;
  for (; i + W <= m; i += W) acc += xsimd::exp(s::dload(lp + i) - bm);
  return {xsimd::hadd(acc), i};
#else
  (void)lp, (void)m, (void)mx;
  return {0.0, 0};
#endif
}
PREDSENSE_SIMD_DIAGNOSTICS_END

}  // namespace predsense::kernels
