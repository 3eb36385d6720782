// predsense/kernels/area_downsample.hpp - box-filter (area) downsampling of an interleaved 8-bit
// image to a small float thumbnail in [0, 1].
//
// area_downsample(src, w, h, c, out_w, out_h, dst):
//   src  w x h x c bytes, row-major, channels interleaved (e.g. rgb24 as ffmpeg writes it)
//   dst  out_w x out_h x c floats, same layout; dst[(y * out_w + x) * c + k] is the mean of
//        src[.., k] / 255 over the source rectangle [x * w / out_w, (x + 1) * w / out_w) x
//        [y * h / out_h, (y + 1) * h / out_h) (integer bounds, every source pixel used once when
//        out_w divides w; otherwise the cells differ by at most one pixel in size).
// Errors: shape_error if src.size() != w * h * c, any size is 0, or out_w > w or out_h > h.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "predsense/core/error.hpp"

namespace predsense {

inline void area_downsample(std::span<const std::uint8_t> src, std::size_t w, std::size_t h, std::size_t c,
                            std::size_t out_w, std::size_t out_h, std::vector<float>& dst) {
  if (w == 0 || h == 0 || c == 0 || out_w == 0 || out_h == 0)
    throw shape_error("predsense: area_downsample: sizes must be positive");
  if (src.size() != w * h * c)
    throw shape_error("predsense: area_downsample: source has " + std::to_string(src.size()) + " bytes, expected " +
                      std::to_string(w) + "x" + std::to_string(h) + "x" + std::to_string(c));
  if (out_w > w || out_h > h)
    throw shape_error("predsense: area_downsample: output " + std::to_string(out_w) + "x" + std::to_string(out_h) +
                      " is larger than the source " + std::to_string(w) + "x" + std::to_string(h));
  dst.assign(out_w * out_h * c, 0.0f);
  // Columns first: the band's rows are summed element by element (a contiguous loop the compiler
  // vectorises), then each cell sums its columns. Integer sums, so the order does not matter.
  std::vector<std::uint32_t> col(w * c);
  for (std::size_t oy = 0; oy < out_h; ++oy) {
    const std::size_t y0 = oy * h / out_h, y1 = (oy + 1) * h / out_h;
    std::fill(col.begin(), col.end(), 0u);
    for (std::size_t y = y0; y < y1; ++y) {
      const std::uint8_t* row = src.data() + y * w * c;
      for (std::size_t i = 0; i < w * c; ++i) col[i] += row[i];
    }
    for (std::size_t ox = 0; ox < out_w; ++ox) {
      const std::size_t x0 = ox * w / out_w, x1 = (ox + 1) * w / out_w;
      const float norm = 1.0f / (255.0f * static_cast<float>((x1 - x0) * (y1 - y0)));
      for (std::size_t k = 0; k < c; ++k) {
        std::uint32_t a = 0;
        for (std::size_t x = x0; x < x1; ++x) a += col[x * c + k];
        dst[(oy * out_w + ox) * c + k] = static_cast<float>(a) * norm;
      }
    }
  }
}

}  // namespace predsense
