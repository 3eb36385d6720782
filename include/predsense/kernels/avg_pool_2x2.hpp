// predsense/kernels/avg_pool_2x2.hpp - 2x2 average pooling of an H x W grid of D-dim tokens.
//
// Input: row-major H x W x D (token (y, x) at offset (y * W + x) * D). Output: ceil(H/2) x
// ceil(W/2) x D. Odd H or W: the last output row/column averages the cells that exist (2 or 1),
// so no token is dropped. torch's avg_pool2d(kernel 2, stride 2) floors instead and discards the
// odd edge; with even H and W the two agree exactly.
#pragma once

#include <cstddef>

#include "predsense/kernels/simd.hpp"

namespace predsense::kernels {

[[nodiscard]] constexpr std::size_t pooled_extent(std::size_t n) noexcept { return (n + 1) / 2; }

namespace scalar {
inline void avg_pool_2x2(const float* in, std::size_t h, std::size_t w, std::size_t d, float* out) noexcept {
  const std::size_t oh = pooled_extent(h), ow = pooled_extent(w);
  for (std::size_t oy = 0; oy < oh; ++oy)
    for (std::size_t ox = 0; ox < ow; ++ox) {
      const std::size_t y1 = (2 * oy + 1 < h) ? 2 * oy + 1 : 2 * oy;
      const std::size_t x1 = (2 * ox + 1 < w) ? 2 * ox + 1 : 2 * ox;
      const float cells = static_cast<float>((y1 - 2 * oy + 1) * (x1 - 2 * ox + 1));
      float* o = out + (oy * ow + ox) * d;
      for (std::size_t k = 0; k < d; ++k) {
        float s = 0.0f;
        for (std::size_t y = 2 * oy; y <= y1; ++y)
          for (std::size_t x = 2 * ox; x <= x1; ++x) s += in[(y * w + x) * d + k];
        o[k] = s / cells;
      }
    }
}
}  // namespace scalar

inline void avg_pool_2x2(const float* in, std::size_t h, std::size_t w, std::size_t d, float* out) noexcept {
#if PREDSENSE_SIMD
  namespace s = detail::simd;
  constexpr std::size_t W = s::width;
  const std::size_t oh = pooled_extent(h), ow = pooled_extent(w);
  for (std::size_t oy = 0; oy < oh; ++oy)
    for (std::size_t ox = 0; ox < ow; ++ox) {
      const std::size_t y1 = (2 * oy + 1 < h) ? 2 * oy + 1 : 2 * oy;
      const std::size_t x1 = (2 * ox + 1 < w) ? 2 * ox + 1 : 2 * ox;
      // Duplicate-free corners: for an odd edge, p01/p10/p11 fall back to cells already counted
      // and are weighted out by `cells` below.
      const float* p00 = in + ((2 * oy) * w + 2 * ox) * d;
      const float* p01 = in + ((2 * oy) * w + x1) * d;
      const float* p10 = in + (y1 * w + 2 * ox) * d;
      const float* p11 = in + (y1 * w + x1) * d;
      const bool has_x = x1 != 2 * ox, has_y = y1 != 2 * oy;
      const float cells = static_cast<float>((has_y ? 2 : 1) * (has_x ? 2 : 1));
      float* o = out + (oy * ow + ox) * d;
      std::size_t k = 0;
      if (has_x && has_y) {
        const s::batch q(0.25f);
        for (; k + W <= d; k += W)
          s::store(o + k, ((s::load(p00 + k) + s::load(p01 + k)) + (s::load(p10 + k) + s::load(p11 + k))) * q);
        for (; k < d; ++k) o[k] = ((p00[k] + p01[k]) + (p10[k] + p11[k])) * 0.25f;
      } else {
        // Edge cell: sum the 1 or 2 distinct cells and divide like the scalar twin.
        const float* second = has_x ? p01 : p10;
        const bool two = has_x || has_y;
        for (; k + W <= d; k += W) {
          auto v = s::load(p00 + k);
          if (two) v = v + s::load(second + k);
          s::store(o + k, v / s::batch(cells));
        }
        for (; k < d; ++k) o[k] = (two ? p00[k] + second[k] : p00[k]) / cells;
      }
    }
#else
  scalar::avg_pool_2x2(in, h, w, d, out);
#endif
}

}  // namespace predsense::kernels
