// predsense/pipeline/normalized_metric.hpp - the normalizer slot of a stream: a surprise metric
// whose value goes through a surprise normalizer before the segmenter and memory see it.
//
//   stream<rls_predictor, normalized_metric<token_cosine_distance<>, zscore_normalizer>, adaptive_segmenter> s;
//
// Why: a raw surprise is on the encoder's scale (cosine distances of SigLIP latents sit in another
// range than a CNN's); a running z-score or EMA-normalised value is on a scale of its own, so
// thresholds on it carry over between encoders. The normalizer is stateful and sees one value per
// step from frame 1 on (frame 0 has no prediction; the stream scores it `first_surprise`).
// An aggregate: normalized_metric<M, N>{} or {metric, normalizer} (e.g. {{}, zscore_normalizer(1e-6)}).
#pragma once

#include "predsense/core/concepts.hpp"
#include "predsense/core/frame_view.hpp"

namespace predsense {

template <surprise_metric Metric, surprise_normalizer Normalizer>
struct normalized_metric {
  Metric metric{};
  Normalizer normalizer{};

  template <frame_like A, frame_like B>
  double operator()(const A& pred, const B& actual) {
    return static_cast<double>(normalizer(static_cast<double>(metric(pred, actual))));
  }

  // State (io/state_file.hpp): the metric's, then the normalizer's.
  static constexpr const char* state_kind = "normalized_metric";
  template <class A>
  void visit_state(A& a) {
    a.nested("metric", metric);
    a.nested("normalizer", normalizer);
  }
};

}  // namespace predsense
