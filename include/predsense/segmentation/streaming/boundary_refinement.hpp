// predsense/segmentation/streaming/boundary_refinement.hpp - move event boundaries to the best cut of a
// similarity graph of the frame latents (EM-LLM's refinement step).
//
// Frames are nodes; edge weights are cosine similarities of their feature rows, clipped at 0 so
// the graph has non-negative weights (modularity and conductance are defined for those) and
// including self-loops (A_ii = 1 for a non-zero row). Boundaries are visited in order; boundary k
// may move anywhere in [p + min_size, e - min_size] where p is the already-refined previous
// boundary (0 for the first) and e the next original boundary (n for the last), and goes to the
// split of the local subgraph on [p, e) into [p, b) and [b, e) that
//   - maximises modularity Q = (1/4m) sum_c sum_{i,j in c} (A_ij - k_i k_j / 2m), or
//   - minimises conductance cut(S, S') / min(vol S, vol S').
// Each boundary costs O(L^2 D) for a local span of L frames of D dims (2-D prefix sums make every
// candidate split O(1)). Offline: it needs the frames up to the next boundary.
#pragma once

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <limits>
#include <span>
#include <string>
#include <vector>

#include "predsense/core/error.hpp"
#include "predsense/core/frame_view.hpp"

namespace predsense {

enum class refinement_metric { modularity, conductance };

struct refinement_params {
  refinement_metric metric = refinement_metric::modularity;
  std::size_t min_size = 1;  // shortest event a refined boundary may leave on either side
};

namespace detail {

// (L+1) x (L+1) prefix sums of the clipped cosine similarity of rows [p, e).
inline std::vector<double> similarity_prefix(const frame_view& f, std::size_t p, std::size_t e) {
  const std::size_t L = e - p, D = f.dim;
  std::vector<double> inv(L, 0.0);
  for (std::size_t i = 0; i < L; ++i) {
    double s = 0.0;
    const float* r = f.row(p + i);
    for (std::size_t d = 0; d < D; ++d) s += static_cast<double>(r[d]) * r[d];
    inv[i] = s > 0.0 ? 1.0 / std::sqrt(s) : 0.0;
  }
  std::vector<double> A(L * L, 0.0);
  for (std::size_t i = 0; i < L; ++i)
    for (std::size_t j = i; j < L; ++j) {
      const float* a = f.row(p + i);
      const float* b = f.row(p + j);
      double s = 0.0;
      for (std::size_t d = 0; d < D; ++d) s += static_cast<double>(a[d]) * b[d];
      const double c = std::max(0.0, s * inv[i] * inv[j]);
      A[i * L + j] = A[j * L + i] = c;
    }
  std::vector<double> P((L + 1) * (L + 1), 0.0);
  for (std::size_t i = 0; i < L; ++i)
    for (std::size_t j = 0; j < L; ++j)
      P[(i + 1) * (L + 1) + j + 1] =
          A[i * L + j] + P[i * (L + 1) + j + 1] + P[(i + 1) * (L + 1) + j] - P[i * (L + 1) + j];
  return P;
}

}  // namespace detail

// Score of splitting the local span [0, L) at b (higher is better for both metrics: conductance
// is returned negated). P are the prefix sums from detail::similarity_prefix.
inline double split_score(const std::vector<double>& P, std::size_t L, std::size_t b, refinement_metric metric) {
  auto S = [&](std::size_t i, std::size_t j) { return P[i * (L + 1) + j]; };
  const double total = S(L, L);  // = 2m
  if (!(total > 0.0)) return 0.0;
  const double w1 = S(b, b);
  const double vol1 = S(b, L);
  const double vol2 = total - vol1;
  const double w2 = total - 2.0 * vol1 + w1;
  const double cut = vol1 - w1;
  if (metric == refinement_metric::modularity)
    return (w1 - vol1 * vol1 / total + w2 - vol2 * vol2 / total) / (2.0 * total);
  const double denom = std::min(vol1, vol2);
  return denom > 0.0 ? -cut / denom : -std::numeric_limits<double>::infinity();
}

// Refined boundaries (ascending) for frames given as the rows of `features` (n frames x D dims).
inline std::vector<std::size_t> refine_boundaries(const frame_view& features, std::span<const std::size_t> boundaries,
                                                  const refinement_params& params = {}) {
  const std::size_t n = features.tokens;
  if (params.min_size == 0) throw invalid_argument_error("predsense: refine_boundaries: min_size must be >= 1");
  std::vector<std::size_t> b(boundaries.begin(), boundaries.end());
  if (!std::is_sorted(b.begin(), b.end()) || std::adjacent_find(b.begin(), b.end()) != b.end())
    throw invalid_argument_error("predsense: refine_boundaries: boundaries must be strictly increasing");
  for (std::size_t x : b)
    if (x == 0 || x >= n)
      throw invalid_argument_error("predsense: refine_boundaries: boundary " + std::to_string(x) + " outside (0, " +
                                   std::to_string(n) + ")");
  std::size_t prev = 0;
  for (std::size_t k = 0; k < b.size(); ++k) {
    const std::size_t e = k + 1 < b.size() ? b[k + 1] : n;
    const std::size_t lo = prev + params.min_size;
    if (e < params.min_size || lo > e - params.min_size) {  // no room to move: keep it
      prev = b[k];
      continue;
    }
    const std::size_t hi = e - params.min_size;
    const std::size_t L = e - prev;
    const auto P = detail::similarity_prefix(features, prev, e);
    std::size_t best = b[k];
    double best_score = -std::numeric_limits<double>::infinity();
    for (std::size_t c = lo; c <= hi; ++c) {
      const double s = split_score(P, L, c - prev, params.metric);
      if (s > best_score) {  // strict: ties keep the earliest split
        best_score = s;
        best = c;
      }
    }
    b[k] = best;
    prev = best;
  }
  return b;
}

}  // namespace predsense
