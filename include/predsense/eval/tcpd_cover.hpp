// predsense/eval/tcpd_cover.hpp - the segmentation covering metric of TCPDBench.
//
// Change points split [0, n) into segments (a point c with 0 < c < n starts a segment; others
// are ignored). For one annotator with segments S and the predicted segments S':
//   C(S', S) = (1/n) sum_{A in S} |A| max_{A' in S'} |A ∩ A'| / |A ∪ A'|
// and the score is the mean of C over annotators. Segments are intervals, so the Jaccard index is
// computed from their ends; the accumulation order follows the reference so the published scores
// are reproduced exactly. Predictions are cleaned as for F1 (1 <= x <= n - 2).
#pragma once

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <span>
#include <utility>
#include <vector>

#include "predsense/core/error.hpp"
#include "predsense/eval/tcpd_f1.hpp"

namespace predsense {

namespace detail {

// [begin, end) intervals of the partition of [0, n) induced by the change points.
inline std::vector<std::pair<std::int64_t, std::int64_t>> tcpd_partition(std::span<const std::int64_t> cps,
                                                                         std::size_t n_obs) {
  const auto n = static_cast<std::int64_t>(n_obs);
  std::vector<std::int64_t> c;
  for (std::int64_t x : cps)
    if (x > 0 && x < n) c.push_back(x);
  std::sort(c.begin(), c.end());
  c.erase(std::unique(c.begin(), c.end()), c.end());
  std::vector<std::pair<std::int64_t, std::int64_t>> out;
  std::int64_t begin = 0;
  for (std::int64_t x : c) {
    out.emplace_back(begin, x);
    begin = x;
  }
  out.emplace_back(begin, n);
  return out;
}

inline double tcpd_cover_single(const std::vector<std::pair<std::int64_t, std::int64_t>>& truth,
                                const std::vector<std::pair<std::int64_t, std::int64_t>>& pred, std::size_t n_obs) {
  double C = 0.0;
  for (const auto& [a0, a1] : truth) {
    double best = 0.0;
    for (const auto& [b0, b1] : pred) {
      const std::int64_t inter = std::max<std::int64_t>(0, std::min(a1, b1) - std::max(a0, b0));
      const std::int64_t uni = (a1 - a0) + (b1 - b0) - inter;
      best = std::max(best, static_cast<double>(inter) / static_cast<double>(uni));
    }
    // The product is rounded on its own (a volatile store): fused into `C += len * best` as an FMA
    // (GCC's -ffp-contract=fast with -march=native, clang's default =on) it misses TCPDBench's
    // published scores by one ulp. A separate statement alone does not stop GCC from fusing.
    const volatile double term = static_cast<double>(a1 - a0) * best;
    C += term;
  }
  return C / static_cast<double>(n_obs);
}

}  // namespace detail

// Mean covering of the annotators' segmentations by the predicted one.
inline double tcpd_cover(std::span<const std::vector<std::int64_t>> annotations,
                         std::span<const std::int64_t> predictions, std::size_t n_obs) {
  detail::tcpd_check_inputs(annotations, n_obs, "tcpd_cover");
  // Same cleaning as for F1: the benchmark filters a method's output once, before both metrics.
  const auto cleaned = detail::tcpd_clean_predictions(predictions, n_obs);
  const auto pred = detail::tcpd_partition(cleaned, n_obs);
  double sum = 0.0;
  for (const auto& a : annotations) sum += detail::tcpd_cover_single(detail::tcpd_partition(a, n_obs), pred, n_obs);
  return sum / static_cast<double>(annotations.size());
}

}  // namespace predsense
