// predsense/memory/policies/compression_policy.hpp - what happens to a frame's tokens when it leaves the
// sensory window for long-term memory.
//
// A compression policy decides a target token grid from the frame's surprise and grid, and fills
// a buffer of that grid. Returning the input grid means "keep as is" (the frame is copied, and
// only if consolidation keeps it). Built in:
//   no_compression          - frames enter long-term memory at full resolution;
//   pool_when_unsurprising  - Cambrian-S: average-pool the grid r x r (default 2x2) when the
//                             frame's surprise is below the threshold.
#pragma once

#include <algorithm>
#include <concepts>
#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

#include "predsense/core/error.hpp"
#include "predsense/core/frame_view.hpp"
#include "predsense/kernels/avg_pool_2x2.hpp"
#include "predsense/memory/memory_entry.hpp"
#include "predsense/memory/policies/policy_params.hpp"

namespace predsense {

template <class C>
concept compression_policy = requires(const C c, double surprise, grid_shape g, frame_view in, float* out) {
  { c.target(surprise, g) } -> std::same_as<grid_shape>;
  c.compress(in, g, out);  // writes target(surprise, g).tokens() x in.dim floats to `out`
  { C::name } -> std::convertible_to<std::string_view>;
};

struct no_compression {
  static constexpr std::string_view name = "none";
  [[nodiscard]] policy_params params() const { return {}; }
  [[nodiscard]] grid_shape target(double, grid_shape g) const noexcept { return g; }
  void compress(frame_view, grid_shape, float*) const noexcept {}
};

// How an odd grid edge is pooled.
enum class pool_edge {
  floor,  // like torch avg_pool2d (the reference): the odd last row/column is discarded
  keep,   // the last output row/column averages the cells that exist, nothing is discarded
};

struct pool_when_unsurprising {
  static constexpr std::string_view name = "pool";
  double threshold = 0.0;  // reference default surprise_threshold; frames below it are pooled
  std::size_t ratio = 2;   // compression_downsample_ratio; 1 disables pooling
  pool_edge edge = pool_edge::floor;
  [[nodiscard]] policy_params params() const {
    return {{"threshold", threshold}, {"ratio", std::uint64_t{ratio}}, {"edge", static_cast<std::uint64_t>(edge)}};
  }

  [[nodiscard]] grid_shape target(double surprise, grid_shape g) const noexcept {
    if (ratio <= 1 || !(surprise < threshold)) return g;
    const grid_shape out = edge == pool_edge::floor
                               ? grid_shape{g.rows / ratio, g.cols / ratio}
                               : grid_shape{(g.rows + ratio - 1) / ratio, (g.cols + ratio - 1) / ratio};
    return out.tokens() == 0 ? g : out;  // a grid too small to pool stays as it is
  }

  void compress(frame_view in, grid_shape g, float* out) const {
    if (g.tokens() != in.tokens)
      throw shape_error("predsense: pool_when_unsurprising: grid " + std::to_string(g.rows) + "x" +
                        std::to_string(g.cols) + " does not match a frame of " + std::to_string(in.tokens) + " tokens");
    const std::size_t d = in.dim;
    if (ratio == 2) {
      if (edge == pool_edge::keep || (g.rows % 2 == 0 && g.cols % 2 == 0)) {
        kernels::avg_pool_2x2(in.data, g.rows, g.cols, d, out);
        return;
      }
      // floor with an odd edge: pool the even sub-grid (rows are contiguous, so crop row by row).
      const std::size_t rows = g.rows / 2 * 2, cols = g.cols / 2 * 2;
      std::vector<float> crop(rows * cols * d);
      for (std::size_t y = 0; y < rows; ++y)
        std::copy(in.data + y * g.cols * d, in.data + (y * g.cols + cols) * d, crop.data() + y * cols * d);
      kernels::avg_pool_2x2(crop.data(), rows, cols, d, out);
      return;
    }
    // General ratio: plain loops (the 2x2 case above is the hot one).
    const grid_shape og = edge == pool_edge::floor
                              ? grid_shape{g.rows / ratio, g.cols / ratio}
                              : grid_shape{(g.rows + ratio - 1) / ratio, (g.cols + ratio - 1) / ratio};
    for (std::size_t oy = 0; oy < og.rows; ++oy)
      for (std::size_t ox = 0; ox < og.cols; ++ox) {
        float* o = out + (oy * og.cols + ox) * d;
        std::fill(o, o + d, 0.0f);
        const std::size_t y1 = std::min(g.rows, (oy + 1) * ratio), x1 = std::min(g.cols, (ox + 1) * ratio);
        std::size_t cells = 0;
        for (std::size_t y = oy * ratio; y < y1; ++y)
          for (std::size_t x = ox * ratio; x < x1; ++x, ++cells) {
            const float* p = in.data + (y * g.cols + x) * d;
            for (std::size_t k = 0; k < d; ++k) o[k] += p[k];
          }
        const float inv = 1.0f / static_cast<float>(cells);
        for (std::size_t k = 0; k < d; ++k) o[k] *= inv;
      }
  }
};

static_assert(compression_policy<no_compression>);
static_assert(compression_policy<pool_when_unsurprising>);

}  // namespace predsense
