// tools/predictor_eval.hpp - how well each predictor's surprise marks scene changes (AUROC), shared
// by tools/predsense-predictor-eval.cpp (the docs/predictors.md table) and
// tests/test_predictors_quality.cpp.
//
// Streams:
//   "drift": eval/synthetic_stream (static scenes that drift slowly, per-frame noise), noisier
//            than its default so the baselines are not already perfect;
//   "pan":   every scene's tokens rotate steadily (a camera turning at a constant rate: the same
//            rotation all stream long, ~1.5 rad per frame per plane), plus noise; a scene change
//            redraws the layout. The fast pan makes copy-last almost as surprised inside a scene
//            as at a cut; a predictor that learns the motion is not.
// AUROC: positives are the frames that start a scene, negatives every other frame after frame 0;
// Mann-Whitney U with ties counted half.
#pragma once

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <numbers>
#include <random>
#include <vector>

#include "predsense/core/frame_buffer.hpp"
#include "predsense/synthetic/synthetic_stream.hpp"
#include "predsense/surprise/token_cosine_distance.hpp"

namespace predsense::tools {

struct labelled_stream {
  std::vector<frame_buffer> frames;
  std::vector<std::size_t> boundaries;  // frame indices that start a new scene (0 excluded)
};

inline labelled_stream drift_stream(std::size_t frames, std::size_t tokens, std::size_t dim, std::uint64_t seed) {
  synthetic_stream_params c;
  c.frames = frames;
  c.tokens = tokens;
  c.dim = dim;
  c.mean_scene_length = 20;
  c.drift = 0.15;
  c.noise = 3.0;
  c.seed = seed;
  synthetic_stream s(c);
  labelled_stream out;
  for (std::size_t t = 0; t < s.size(); ++t) out.frames.push_back(s.frame(t));
  out.boundaries = s.boundaries();
  return out;
}

inline labelled_stream pan_stream(std::size_t frames, std::size_t tokens, std::size_t dim, std::uint64_t seed) {
  std::mt19937_64 g(seed);
  std::normal_distribution<float> n01(0.0f, 1.0f);
  std::uniform_real_distribution<float> u01(0.0f, 1.0f);
  // the rotation generator: dim/2 planes (random orthogonal pairs would be more general; axis
  // pairs keep it exact and cheap), each with its own base frequency
  std::vector<float> freq(dim / 2);
  for (auto& f : freq) f = 0.5f + u01(g);
  const float inv = 1.0f / std::sqrt(float(dim));
  labelled_stream out;
  std::vector<float> x(tokens * dim);
  const float speed = 1.5f;  // radians per frame, times the plane's frequency
  std::size_t next_change = 0;
  for (std::size_t t = 0; t < frames; ++t) {
    if (t == next_change) {
      for (auto& v : x) v = n01(g) * inv;
      if (t > 0) out.boundaries.push_back(t);
      next_change = t + 10 + static_cast<std::size_t>(g() % 21);
    } else {
      for (std::size_t k = 0; k < tokens; ++k)
        for (std::size_t p = 0; p + 1 < dim; p += 2) {
          const float a = speed * freq[p / 2], c = std::cos(a), s = std::sin(a);
          float& x0 = x[k * dim + p];
          float& x1 = x[k * dim + p + 1];
          const float y0 = c * x0 - s * x1, y1 = s * x0 + c * x1;
          x0 = y0;
          x1 = y1;
        }
    }
    frame_buffer f(tokens, dim);
    for (std::size_t i = 0; i < x.size(); ++i) f.data()[i] = x[i] + 1.0f * inv * n01(g);
    out.frames.push_back(std::move(f));
  }
  return out;
}

// Surprise per frame (frame 0 gets 1, the Cambrian-S convention).
template <class Predictor>
std::vector<double> surprises(Predictor& p, const labelled_stream& s) {
  token_cosine_distance<> metric;
  std::vector<double> out;
  frame_buffer guess;
  for (std::size_t t = 0; t < s.frames.size(); ++t) {
    if (t == 0) {
      out.push_back(1.0);
    } else {
      p.predict(guess);
      out.push_back(metric(guess, s.frames[t]));
    }
    p.observe(s.frames[t]);
  }
  return out;
}

inline double auroc(const std::vector<double>& score, const std::vector<std::size_t>& positives) {
  std::vector<char> pos(score.size(), 0);
  for (auto b : positives) pos.at(b) = 1;
  std::vector<double> ps, ns;
  for (std::size_t t = 1; t < score.size(); ++t) (pos[t] ? ps : ns).push_back(score[t]);
  if (ps.empty() || ns.empty()) return 0.5;
  std::sort(ns.begin(), ns.end());
  double u = 0.0;
  for (double p : ps) {
    const auto lo = std::lower_bound(ns.begin(), ns.end(), p), hi = std::upper_bound(ns.begin(), ns.end(), p);
    u += double(lo - ns.begin()) + 0.5 * double(hi - lo);
  }
  return u / (double(ps.size()) * double(ns.size()));
}

}  // namespace predsense::tools
