// predsense/synthetic/vsc_count.hpp - the whole VSC counting chain on a vsc_world: surprise ->
// segmentation -> per-segment counts -> every aggregator, per class.
//
// surprise(t) = token_cosine_distance(frame t-1, frame t) (the "copy last frame" predictor, the
// Cambrian-S ablation baseline), 1 for the first frame; a boundary wherever surprise > threshold
// (threshold_segmenter, the Cambrian-S VSC rule; the last segment ends at the last frame). Each
// segment's detections of the asked class become instances through merge_within_segment, with the
// same-frame cannot-link (a stand-in for asking the model "how many X in this clip?"), and the same segment answers go
// to the sum, max, streaming and de-duplicating aggregators, so they differ only in aggregation.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "predsense/counting/dedup_aggregator.hpp"
#include "predsense/counting/max_aggregator.hpp"
#include "predsense/counting/segment_answer.hpp"
#include "predsense/counting/streaming_aggregator.hpp"
#include "predsense/counting/sum_aggregator.hpp"
#include "predsense/counting/within_segment_merge.hpp"
#include "predsense/synthetic/vsc_world.hpp"
#include "predsense/segmentation/streaming/threshold_segmenter.hpp"
#include "predsense/surprise/token_cosine_distance.hpp"

namespace predsense {

struct vsc_count_params {
  double surprise_threshold = 0.5;  // boundary when surprise > this
  within_segment_params within{0.55, 2, 0.95};
  double match_threshold = 0.65;  // dedup / streaming cosine threshold
  double bridge_threshold = 0.8;  // dedup bridging
};

inline constexpr const char* vsc_aggregator_names[] = {"sum", "max", "streaming", "dedup_mnn", "dedup_assign"};
inline constexpr std::size_t vsc_aggregators = 5;

struct vsc_count_point {
  std::size_t t = 0;  // frames [0, t) seen
  std::size_t truth = 0;
  std::size_t pred[vsc_aggregators] = {};
};

struct vsc_class_result {
  std::uint32_t label = 0;
  std::size_t truth = 0;
  std::size_t pred[vsc_aggregators] = {};
  std::vector<vsc_count_point> trace;  // after every segment
};

struct vsc_count_result {
  std::vector<double> surprise;
  std::vector<std::size_t> segment_starts;  // ascending, first is 0
  std::vector<vsc_class_result> classes;
};

// Surprise and segment starts only (shared by all classes).
inline void vsc_segment(const vsc_world& w, double threshold, vsc_count_result& out) {
  const token_cosine_distance<> metric;
  out.surprise.assign(w.size(), 1.0);
  for (std::size_t t = 1; t < w.size(); ++t) out.surprise[t] = metric(w.frame(t - 1), w.frame(t));
  threshold_segmenter seg(threshold);
  out.segment_starts.assign(1, 0);
  for (const auto& b : seg.segment(out.surprise))
    if (b.t > 0) out.segment_starts.push_back(b.t);
}

inline vsc_count_result vsc_count(const vsc_world& w, const vsc_count_params& p = {}, bool trace = false) {
  vsc_count_result out;
  vsc_segment(w, p.surprise_threshold, out);
  const std::size_t E = w.embed_dim(), n_seg = out.segment_starts.size();
  std::vector<float> buf;
  std::vector<std::size_t> frames;
  for (std::uint32_t label = 0; label < w.params().classes; ++label) {
    sum_aggregator sum;
    max_aggregator mx;
    streaming_aggregator st(streaming_params{p.match_threshold});
    dedup_aggregator dm(
        dedup_params{p.match_threshold, instance_matching::mutual_nearest, true, 0.9, true, p.bridge_threshold});
    dedup_aggregator da(
        dedup_params{p.match_threshold, instance_matching::greedy_assignment, true, 0.9, true, p.bridge_threshold});
    vsc_class_result r;
    r.label = label;
    for (std::size_t s = 0; s < n_seg; ++s) {
      const std::size_t b = out.segment_starts[s], e = s + 1 < n_seg ? out.segment_starts[s + 1] : w.size();
      const auto [lo, hi] = w.detections_in(b, e);
      buf.clear();
      frames.clear();
      for (std::size_t i = lo; i < hi; ++i)
        if (w.detections()[i].label == label) {
          const auto v = w.embedding(i);
          buf.insert(buf.end(), v.begin(), v.end());
          frames.push_back(w.detections()[i].frame);
        }
      const segment_instances inst = merge_within_segment(buf, E, p.within, frames);
      const segment_answer a = inst.answer(b, e);
      sum.add(a);
      mx.add(a);
      st.add(a);
      dm.add(a);
      da.add(a);
      if (trace) {
        vsc_count_point pt{
            e, w.true_count_until(label, e), {sum.count(), mx.count(), st.count(), dm.count(), da.count()}};
        r.trace.push_back(pt);
      }
    }
    r.truth = w.true_count(label);
    const std::size_t fin[vsc_aggregators] = {sum.count(), mx.count(), st.count(), dm.count(), da.count()};
    for (std::size_t k = 0; k < vsc_aggregators; ++k) r.pred[k] = fin[k];
    out.classes.push_back(std::move(r));
  }
  return out;
}

}  // namespace predsense
