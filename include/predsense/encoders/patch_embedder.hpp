// predsense/encoders/patch_embedder.hpp - a weight-free stand-in for a vision encoder: one RGB frame
// -> a grid x grid set of patch tokens of `dim` floats, from colour and gradient statistics.
//
//   patch_embedder emb({.grid = 8, .dim = 256, .seed = 1});
//   frame_buffer tokens;
//   emb.embed(rgb, width, height, tokens);   // rgb: height x width x 3 bytes (rgb24, row-major)
//
// The frame is cut into grid x grid patches (patch edges at floor(i * size / grid), so any size
// >= grid works). Per patch, 16 statistics, each shifted/scaled by fixed constants so that on
// natural images they are roughly zero-mean and of unit order (cosine similarity then responds to
// what changed rather than to a shared positive offset):
//    0- 2  mean R, G, B                      2 * mean - 1
//    3- 5  std R, G, B                       4 * std - 0.5
//    6     mean gradient magnitude of luma   4 * mean|grad| - 0.5
//    7-10  magnitude-weighted histogram of unsigned gradient orientation, 4 bins of 45 degrees
//          centred on 0/45/90/135 degrees    8 * (sum of |grad| in bin) / pixels - 0.25
//   11-14  luma mean of each 2x2 sub-block minus the patch's luma mean (layout)   4 * difference
//   15     luma std                          4 * std - 0.5
// Luma is Rec. 601 (0.299 R + 0.587 G + 0.114 B) on [0, 1]; gradients are central differences
// (one-sided at the image border) over the whole frame.
// Cost: one pass over the frame (~0.1 ms for 128x128 on one core): each row's gradients are computed
// once (kernels/gradient_orientation.hpp: SIMD, orientation bins by comparison instead of atan2),
// and each patch sums its pixels in raster order in double, so the statistics are bit-identical to
// the patch-by-patch atan2 definition kept in tests/test_patch_embedder.cpp.
// The 16 statistics go through a fixed random projection to `dim` dimensions: entries +-1/4
// (Achlioptas' Rademacher projection, scaled by 1/sqrt(16)), drawn from splitmix64(seed), so the
// projection - and every embedding - is bit-identical across compilers and standard libraries
// (std::normal_distribution is not). A random projection preserves angles approximately (J-L), so
// token cosine distances track the statistics' cosine distances while the tokens have the
// dimensionality a real encoder's would. Deterministic; no state between frames; no weights.
//
// It is a baseline for hard shot cuts, not a semantic encoder: for those, export real features
// (SigLIP, DINOv2) and feed them to the pipeline instead (docs/video.md).
#pragma once

#include <concepts>
#include <algorithm>
#include <array>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "predsense/core/error.hpp"
#include "predsense/core/frame_buffer.hpp"
#include "predsense/kernels/gradient_orientation.hpp"
#include "predsense/kernels/random.hpp"

namespace predsense {

struct patch_embedder_params {
  std::size_t grid = 8;    // grid x grid patch tokens (8 x 8 = 64, SigLIP's token count in Cambrian-S)
  std::size_t dim = 256;   // dimensions of each token after the projection
  std::uint64_t seed = 1;  // seed of the fixed random projection
};

class patch_embedder {
 public:
  static constexpr std::size_t feature_count = 16;

  patch_embedder() : patch_embedder(patch_embedder_params{}) {}
  template <std::same_as<patch_embedder_params> Params = patch_embedder_params>
  explicit patch_embedder(const Params& cfg) : cfg_(cfg) {
    if (cfg_.grid == 0 || cfg_.dim == 0)
      throw invalid_argument_error("predsense: patch_embedder: grid and dim must be >= 1, got grid " +
                                   std::to_string(cfg_.grid) + ", dim " + std::to_string(cfg_.dim));
    proj_.resize(feature_count * cfg_.dim);
    kernels::splitmix64_stream next{cfg_.seed};
    const float scale = 1.0f / std::sqrt(static_cast<float>(feature_count));
    for (std::size_t i = 0; i < proj_.size(); i += 64) {
      const std::uint64_t bits = next();
      for (std::size_t b = 0; b < 64 && i + b < proj_.size(); ++b) proj_[i + b] = ((bits >> b) & 1u) ? scale : -scale;
    }
  }

  [[nodiscard]] const patch_embedder_params& params() const noexcept { return cfg_; }
  [[nodiscard]] std::size_t tokens() const noexcept { return cfg_.grid * cfg_.grid; }
  [[nodiscard]] std::size_t dim() const noexcept { return cfg_.dim; }
  // The projection matrix, feature_count x dim, row-major.
  [[nodiscard]] std::span<const float> projection() const noexcept { return proj_; }

  // The raw statistics (tokens() x feature_count, row-major; patches in row-major grid order).
  void features(std::span<const std::uint8_t> rgb, std::size_t width, std::size_t height,
                std::vector<float>& out) const {
    check(rgb, width, height);
    const std::size_t g = cfg_.grid, w = width, h = height;
    luma_.resize(w * h);
    for (std::size_t i = 0; i < w * h; ++i) luma_[i] = luma_of(rgb[3 * i], rgb[3 * i + 1], rgb[3 * i + 2]);
    out.assign(g * g * feature_count, 0.0f);
    // One band of patches (grid row py) at a time, raster order inside it: each image row's
    // gradients are computed once for the whole row, and every patch still accumulates its pixels
    // in raster order with the same double arithmetic as patch-by-patch code would, so the
    // statistics are bit-identical to that definition (tests/test_patch_embedder.cpp keeps it).
    acc_.assign(g, {});
    mag_.resize(5 * w);  // |grad| of the row, then its 4 orientation bins (kernels/gradient_orientation.hpp)
    for (std::size_t py = 0; py < g; ++py) {
      const std::size_t y0 = py * h / g, y1 = (py + 1) * h / g, ym = (y0 + y1) / 2;
      std::fill(acc_.begin(), acc_.end(), patch_sums{});
      for (std::size_t y = y0; y < y1; ++y) {
        const float* l = luma_.data() + y * w;
        kernels::gradient_orientation_row(luma_.data() + (y > 0 ? y - 1 : y) * w, l,
                                          luma_.data() + (y + 1 < h ? y + 1 : y) * w, w, y > 0 && y + 1 < h ? 2.0 : 1.0,
                                          mag_.data(), mag_.data() + w);
        const double* mag = mag_.data();
        const double* h0 = mag + w;
        const double* h1 = h0 + w;
        const double* h2 = h1 + w;
        const double* h3 = h2 + w;
        const std::uint8_t* p = rgb.data() + 3 * (y * w);
        const std::size_t qy = y >= ym ? 2u : 0u;
        for (std::size_t px = 0; px < g; ++px) {
          const std::size_t x0 = px * w / g, x1 = (px + 1) * w / g, xm = (x0 + x1) / 2;
          patch_sums a = acc_[px];                        // a local copy: the sums stay in registers
          for (std::size_t half = 0; half < 2; ++half) {  // left and right 2x2 sub-block of the layout
            double sub = a.sub[qy + half];
            for (std::size_t x = half ? xm : x0, xe = half ? x1 : xm; x < xe; ++x) {
              for (std::size_t c = 0; c < 3; ++c) {
                const double v = unit_byte[p[3 * x + c]];  // a table: no product to fuse into the sums
                a.sum[c] += v;
                a.sq[c] = std::fma(v, v, a.sq[c]);
              }
              const double yl = l[x];
              a.ysum += yl;
              a.ysq = std::fma(yl, yl, a.ysq);
              sub += yl;
              a.gsum += mag[x];
              // three of the four bins get +0.0, which leaves a sum unchanged
              a.hist[0] += h0[x];
              a.hist[1] += h1[x];
              a.hist[2] += h2[x];
              a.hist[3] += h3[x];
            }
            a.sub[qy + half] = sub;
          }
          acc_[px] = a;
        }
      }
      for (std::size_t px = 0; px < g; ++px) {
        const std::size_t x0 = px * w / g, x1 = (px + 1) * w / g, xm = (x0 + x1) / 2;
        const std::array<std::size_t, 4> sub_n{(ym - y0) * (xm - x0), (ym - y0) * (x1 - xm), (y1 - ym) * (xm - x0),
                                               (y1 - ym) * (x1 - xm)};
        finish(acc_[px], (y1 - y0) * (x1 - x0), sub_n, out.data() + (py * g + px) * feature_count);
      }
    }
  }

  // tokens() x dim() tokens into `out` (resized): out = features (tokens x 16) x projection (16 x dim).
  void embed(std::span<const std::uint8_t> rgb, std::size_t width, std::size_t height, frame_buffer& out) const {
    features(rgb, width, height, feats_);
    out.resize(tokens(), cfg_.dim);
    for (std::size_t t = 0; t < tokens(); ++t) {
      float* o = out.row(t);
      std::fill(o, o + cfg_.dim, 0.0f);
      const float* f = feats_.data() + t * feature_count;
      for (std::size_t k = 0; k < feature_count; ++k) {
        const float fk = f[k];
        const float* p = proj_.data() + k * cfg_.dim;
        for (std::size_t d = 0; d < cfg_.dim; ++d) o[d] += fk * p[d];
      }
    }
  }

 private:
  void check(std::span<const std::uint8_t> rgb, std::size_t width, std::size_t height) const {
    if (width < cfg_.grid || height < cfg_.grid || width < 2 || height < 2)
      throw invalid_argument_error("predsense: patch_embedder: a " + std::to_string(width) + "x" +
                                   std::to_string(height) + " image is too small for a " + std::to_string(cfg_.grid) +
                                   "x" + std::to_string(cfg_.grid) + " grid");
    if (rgb.size() != width * height * 3)
      throw shape_error("predsense: patch_embedder: " + std::to_string(rgb.size()) + " bytes are not a " +
                        std::to_string(width) + "x" + std::to_string(height) + " rgb24 image (needs " +
                        std::to_string(width * height * 3) + ")");
  }

  // Rec. 601 luma on [0, 1] in float. Every product that meets an addition here and below is an
  // explicit fma, so the result does not depend on whether the compiler contracts a * b + c at the
  // place the embedder is inlined (the tool, the Python module and the tests must agree bit for bit).
  static float luma_of(std::uint8_t r, std::uint8_t g, std::uint8_t b) noexcept {
    // the order GCC's contraction of 0.299 r + 0.587 g + 0.114 b chose before it was made explicit
    return std::fma(0.114f, static_cast<float>(b), std::fma(0.299f, static_cast<float>(r), 0.587f * g)) *
           (1.0f / 255.0f);
  }

  // b * (1 / 255.0) for every byte b, rounded once as the multiplication would be.
  static constexpr std::array<double, 256> unit_byte = [] {
    std::array<double, 256> t{};
    for (std::size_t b = 0; b < 256; ++b) t[b] = static_cast<double>(b) * (1.0 / 255.0);
    return t;
  }();

  // Running sums of one patch (double, as the definition accumulates them).
  struct patch_sums {
    std::array<double, 3> sum{}, sq{};
    std::array<double, 4> hist{}, sub{};
    double gsum = 0.0, ysum = 0.0, ysq = 0.0;
  };

  // The 16 statistics of a patch of n pixels from its sums (sub_n: pixels per 2x2 sub-block).
  static void finish(const patch_sums& a, std::size_t pixels, const std::array<std::size_t, 4>& sub_n, float* f) {
    const double n = static_cast<double>(pixels);
    const double ymean = a.ysum / n;
    for (std::size_t c = 0; c < 3; ++c) {
      const double m = a.sum[c] / n;
      f[c] = static_cast<float>(2.0 * m - 1.0);
      f[3 + c] = static_cast<float>(4.0 * std::sqrt(std::max(0.0, std::fma(-m, m, a.sq[c] / n))) - 0.5);
    }
    f[6] = static_cast<float>(4.0 * a.gsum / n - 0.5);
    for (std::size_t b = 0; b < 4; ++b) f[7 + b] = static_cast<float>(8.0 * a.hist[b] / n - 0.25);
    for (std::size_t q = 0; q < 4; ++q)
      f[11 + q] = static_cast<float>(sub_n[q] > 0 ? 4.0 * (a.sub[q] / static_cast<double>(sub_n[q]) - ymean) : 0.0);
    f[15] = static_cast<float>(4.0 * std::sqrt(std::max(0.0, std::fma(-ymean, ymean, a.ysq / n))) - 0.5);
  }

  patch_embedder_params cfg_;
  std::vector<float> proj_;
  // scratch (one embedder per thread)
  mutable std::vector<float> luma_, feats_;
  mutable std::vector<double> mag_;
  mutable std::vector<patch_sums> acc_;
};

}  // namespace predsense
