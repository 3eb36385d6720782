// predsense/synthetic/synthetic_stream.hpp - a generated latent stream with known scene changes.
//
// Stands in for a video's frame latents when no encoder is at hand: each scene has its own
// random T x D "layout" (one unit direction per token); within a scene the frames drift slowly
// (a random walk of relative size `drift`) and carry per-frame noise (`noise`). At a scene change
// the layout is redrawn, so an honest predictor is surprised there and not elsewhere.
// Deterministic by seed (std::mt19937_64 + Box-Muller, so it is identical across standard
// libraries, unlike std::normal_distribution).
#pragma once

#include <cmath>
#include <cstddef>
#include <cstdint>
#include <numbers>
#include <random>
#include <string>
#include <vector>

#include "predsense/core/checked_size.hpp"
#include "predsense/core/error.hpp"
#include "predsense/core/frame_buffer.hpp"
#include "predsense/kernels/random.hpp"

namespace predsense {

struct synthetic_stream_params {
  std::size_t frames = 120;
  std::size_t tokens = 16;
  std::size_t dim = 64;
  std::size_t mean_scene_length = 30;  // scene lengths are uniform in [mean/2, 3 mean/2]
  double drift = 0.05;                 // per-frame random-walk step, relative to the unit layout
  double noise = 0.10;                 // per-frame i.i.d. noise, relative to the unit layout
  std::uint64_t seed = 1;
};

class synthetic_stream {
 public:
  // Largest stream generated (frames x tokens x dim values): 2^28 float32 = 1 GiB.
  static constexpr std::size_t max_values = std::size_t(1) << 28;

  explicit synthetic_stream(const synthetic_stream_params& c) : c_(c), rng_(c.seed) {
    if (c.frames == 0 || c.tokens == 0 || c.dim == 0)
      throw invalid_argument_error("synthetic_stream: frames, tokens and dim must be > 0 (got " +
                                   std::to_string(c.frames) + ", " + std::to_string(c.tokens) + ", " +
                                   std::to_string(c.dim) + ")");
    // every frame is generated and kept: frames x tokens x dim checked (no wrap) against a maximum
    // of 2^28 values (1 GiB of float32) before anything is allocated
    if (checked_product({c.frames, c.tokens, c.dim}, "synthetic_stream frames x tokens x dim") > max_values)
      throw invalid_argument_error("synthetic_stream: frames x tokens x dim = " + std::to_string(c.frames) + " x " +
                                   std::to_string(c.tokens) + " x " + std::to_string(c.dim) +
                                   " is over the maximum of 2^28 values");
    if (!std::isfinite(c.drift) || c.drift < 0.0 || !std::isfinite(c.noise) || c.noise < 0.0)
      throw invalid_argument_error("synthetic_stream: drift and noise must be finite and >= 0, got drift " +
                                   std::to_string(c.drift) + ", noise " + std::to_string(c.noise));
    if (c.mean_scene_length < 2)
      throw invalid_argument_error("synthetic_stream: mean_scene_length must be >= 2, got " +
                                   std::to_string(c.mean_scene_length));
    layout_.resize(c.tokens, c.dim);
    generate();
  }

  [[nodiscard]] std::size_t size() const noexcept { return frames_.size(); }
  [[nodiscard]] const frame_buffer& frame(std::size_t t) const { return frames_.at(t); }
  // Frame indices where a new scene starts (frame 0 excluded).
  [[nodiscard]] const std::vector<std::size_t>& boundaries() const noexcept { return boundaries_; }
  [[nodiscard]] const synthetic_stream_params& params() const noexcept { return c_; }

 private:
  double gauss() {
    const double u1 = kernels::unit_interval(rng_(), true);  // (0, 1], then [0, 1)
    return kernels::gaussian_box_muller(u1, kernels::unit_interval(rng_()));
  }

  void new_layout() {
    const double inv = 1.0 / std::sqrt(double(c_.dim));  // unit-norm tokens in expectation
    for (auto& x : layout_.span()) x = float(gauss() * inv);
  }

  void generate() {
    const std::size_t lo = c_.mean_scene_length / 2, span = c_.mean_scene_length + 1;
    std::size_t next_change = 0;
    const double inv = 1.0 / std::sqrt(double(c_.dim));
    frames_.reserve(c_.frames);
    for (std::size_t t = 0; t < c_.frames; ++t) {
      if (t == next_change) {
        new_layout();
        if (t > 0) boundaries_.push_back(t);
        next_change = t + lo + std::size_t(rng_() % span);
      } else {
        for (auto& x : layout_.span()) x += float(c_.drift * inv * gauss());
      }
      frame_buffer f(c_.tokens, c_.dim);
      const auto src = layout_.span();
      auto dst = f.span();
      for (std::size_t i = 0; i < dst.size(); ++i) dst[i] = src[i] + float(c_.noise * inv * gauss());
      frames_.push_back(std::move(f));
    }
  }

  synthetic_stream_params c_;
  std::mt19937_64 rng_;
  frame_buffer layout_;
  std::vector<frame_buffer> frames_;
  std::vector<std::size_t> boundaries_;
};

}  // namespace predsense
