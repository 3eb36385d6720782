// predsense/kernels/gradient_orientation.hpp - per-pixel gradient magnitude and unsigned orientation
// bin of one row of a single-channel float image (the patch embedder's texture statistics).
//
// gradient_orientation_row(up, mid, down, w, dy_step, mag, bins):
//   up, mid, down  rows y-1, y, y+1 of the image, w >= 2 floats each (at the top / bottom border
//                  pass mid for the missing row and dy_step 1)
//   dy_step        2 for central differences across rows, 1 for one-sided ones (border rows)
//   mag            w doubles: |grad| = sqrt(gx^2 + gy^2), gx = (mid[x+1] - mid[x-1]) / 2 (one-sided
//                  / 1 at x = 0 and x = w-1), gy = (down[x] - up[x]) / dy_step; the differences are
//                  taken in float, the rest in double
//   bins           4 x w doubles, row-major: bins[b * w + x] = mag[x] if the gradient's unsigned
//                  orientation falls in bin b (4 bins of 45 degrees centred on 0, 45, 90, 135
//                  degrees), else +0.0; a zero gradient counts as bin 2 with magnitude 0
// The bin is found by comparing |gy| with tan(22.5 deg) |gx| (and |gx| with tan(22.5 deg) |gy|),
// not by atan2: it equals floor(atan2(gy, gx) mod pi / (pi / 4) + 0.5) mod 4 except for a ratio
// |gy| / |gx| within ~1e-15 of tan(22.5 deg) or its inverse, which differences of floats cannot form.
// Every operation is an IEEE one (subtract, multiply by 0.5, square, add, sqrt, compare), so the
// SIMD path and gradient_orientation_row_scalar (its twin) give bit-identical results.
#pragma once

#include <cmath>
#include <cstddef>

#include "predsense/kernels/simd.hpp"

namespace predsense::kernels {

namespace gradient_detail {
inline constexpr double tan_22_5_deg = 0.41421356237309504880;  // sqrt(2) - 1

inline void gradient_orientation_one(double gx, double gy, std::size_t x, std::size_t w, double* mag,
                                     double* bins) noexcept {
  const double m = std::sqrt(gx * gx + gy * gy);
  const double ax = std::fabs(gx), ay = std::fabs(gy);
  const std::size_t b = ay < tan_22_5_deg * ax ? 0 : ax <= tan_22_5_deg * ay ? 2 : (gx * gy > 0.0 ? 1 : 3);
  mag[x] = m;
  for (std::size_t k = 0; k < 4; ++k) bins[k * w + x] = k == b ? m : 0.0;
}
}  // namespace gradient_detail

// The scalar twin (and the border pixels of the SIMD path).
inline void gradient_orientation_row_scalar(const float* up, const float* mid, const float* down, std::size_t w,
                                            double dy_step, double* mag, double* bins) noexcept {
  const double inv_dy = dy_step == 2.0 ? 0.5 : 1.0;  // exact: dividing by 2 or 1
  for (std::size_t x = 0; x < w; ++x) {
    const std::size_t xl = x > 0 ? x - 1 : x, xr = x + 1 < w ? x + 1 : x;
    const double gx = static_cast<double>(mid[xr] - mid[xl]) * (xr - xl == 2 ? 0.5 : 1.0);
    const double gy = static_cast<double>(down[x] - up[x]) * inv_dy;
    gradient_detail::gradient_orientation_one(gx, gy, x, w, mag, bins);
  }
}

// GCC 12 also reports -Wuninitialized inside _mm512_sqrt_pd (its _mm512_undefined_pd operand) where
// this function is inlined: a false positive of the compiler's own header, silenced here.
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wuninitialized"
#endif
inline void gradient_orientation_row(const float* up, const float* mid, const float* down, std::size_t w,
                                     double dy_step, double* mag, double* bins) noexcept {
#if PREDSENSE_SIMD
  PREDSENSE_SIMD_DIAGNOSTICS_BEGIN
  namespace s = predsense::detail::simd;
  constexpr std::size_t W = s::dwidth;
  const double inv_dy = dy_step == 2.0 ? 0.5 : 1.0;
  const s::dbatch half(0.5), idy(inv_dy), t(gradient_detail::tan_22_5_deg), zero(0.0);
  std::size_t x = 1;
  // interior pixels x in [1, w-1): central differences; floats widened lane by lane (exact)
  double dxb[W], dyb[W];
  for (; x + W < w; x += W) {
    for (std::size_t j = 0; j < W; ++j) {
      dxb[j] = static_cast<double>(mid[x + j + 1] - mid[x + j - 1]);
      dyb[j] = static_cast<double>(down[x + j] - up[x + j]);
    }
    const s::dbatch gx = s::dload(dxb) * half, gy = s::dload(dyb) * idy;
    const s::dbatch m = xsimd::sqrt(gx * gx + gy * gy);
    const s::dbatch ax = xsimd::abs(gx), ay = xsimd::abs(gy);
    const auto b0 = ay < t * ax;
    const auto b2 = !b0 && (ax <= t * ay);
    const auto same = (gx * gy) > zero;
    const auto b1 = !b0 && !b2 && same;
    const auto b3 = !b0 && !b2 && !same;
    s::dstore(mag + x, m);
    s::dstore(bins + x, xsimd::select(b0, m, zero));
    s::dstore(bins + w + x, xsimd::select(b1, m, zero));
    s::dstore(bins + 2 * w + x, xsimd::select(b2, m, zero));
    s::dstore(bins + 3 * w + x, xsimd::select(b3, m, zero));
  }
  PREDSENSE_SIMD_DIAGNOSTICS_END
  for (; x + 1 < w; ++x)
    gradient_detail::gradient_orientation_one(static_cast<double>(mid[x + 1] - mid[x - 1]) * 0.5,
                                              static_cast<double>(down[x] - up[x]) * inv_dy, x, w, mag, bins);
  gradient_detail::gradient_orientation_one(static_cast<double>(mid[1] - mid[0]),
                                            static_cast<double>(down[0] - up[0]) * inv_dy, 0, w, mag, bins);
  gradient_detail::gradient_orientation_one(static_cast<double>(mid[w - 1] - mid[w - 2]),
                                            static_cast<double>(down[w - 1] - up[w - 1]) * inv_dy, w - 1, w, mag, bins);
#else
  gradient_orientation_row_scalar(up, mid, down, w, dy_step, mag, bins);
#endif
}
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic pop
#endif

}  // namespace predsense::kernels
