// benchmarks/bench_counting.cpp - VSI-SUPER Count on the synthetic VSC world.
//
// peer/vsc_120min: the whole counting chain on a 120-minute tour (7,200 frames of 8 x 32 latents
// at 1 fps, ~20k detections, 4 classes; world seed 1, built once outside the timing): surprise
// (token cosine distance to the previous frame) -> boundaries (surprise > 0.5) -> per class and
// segment merge_within_segment -> sum, max, streaming and two de-duplicating aggregators. One
// iteration = the whole stream. No peer: the reference (Cambrian-S) sums per-segment model
// answers and has no matching step to compare with.
// counting/aggregate/<minutes>/<repeat>: the aggregators alone on precomputed segment answers, to
// show how matching scales: O(N K dim) for N descriptors and K distinct instances.
#include <benchmark/benchmark.h>

#include <cstdint>
#include <memory>
#include <utility>
#include <vector>

#include "predsense/counting/dedup_aggregator.hpp"
#include "predsense/counting/max_aggregator.hpp"
#include "predsense/counting/streaming_aggregator.hpp"
#include "predsense/counting/sum_aggregator.hpp"
#include "predsense/synthetic/vsc_count.hpp"
#include "predsense/counting/within_segment_merge.hpp"
#include "predsense/synthetic/vsc_world.hpp"

namespace {

const predsense::vsc_world& world(double minutes, std::size_t repeat) {
  static std::vector<std::pair<std::pair<double, std::size_t>, std::unique_ptr<predsense::vsc_world>>> cache;
  for (auto& [k, w] : cache)
    if (k.first == minutes && k.second == repeat) return *w;
  predsense::vsc_world_params c;
  c.minutes = minutes;
  c.repeat = repeat;
  c.seed = 1;
  cache.emplace_back(std::pair{minutes, repeat}, std::make_unique<predsense::vsc_world>(c));
  return *cache.back().second;
}

void peer_vsc_120min(benchmark::State& state) {
  const auto& w = world(120, 1);
  std::size_t segments = 0, predicted = 0;
  for (auto _ : state) {
    const auto r = predsense::vsc_count(w);
    segments = r.segment_starts.size();
    predicted = r.classes[0].pred[3];
    benchmark::DoNotOptimize(predicted);
  }
  state.counters["frames"] = double(w.size());
  state.counters["detections"] = double(w.detections().size());
  state.counters["segments"] = double(segments);
  state.counters["dedup_count_class0"] = double(predicted);
  state.counters["true_count_class0"] = double(w.true_count(0));
  state.SetLabel("surprise+segmentation+within-merge+5 aggregators x 4 classes");
}
// No UseRealTime()/MinTime(): both append to the name, and run_bench.py keys peers.json by it.
BENCHMARK(peer_vsc_120min)->Name("peer/vsc_120min")->Unit(benchmark::kMillisecond);

// Segment answers of every class, precomputed (descriptors stay owned here).
struct answers {
  std::vector<std::vector<predsense::segment_instances>> per_class;  // [class][segment]
  std::vector<std::size_t> starts;
  std::size_t frames = 0, descriptors = 0;
};

const answers& precomputed(double minutes, std::size_t repeat) {
  static std::vector<std::pair<std::pair<double, std::size_t>, std::unique_ptr<answers>>> cache;
  for (auto& [k, a] : cache)
    if (k.first == minutes && k.second == repeat) return *a;
  const auto& w = world(minutes, repeat);
  auto a = std::make_unique<answers>();
  predsense::vsc_count_result r;
  predsense::vsc_segment(w, 0.5, r);
  a->starts = r.segment_starts;
  a->frames = w.size();
  const predsense::vsc_count_params p;
  for (std::uint32_t c = 0; c < w.params().classes; ++c) {
    a->per_class.emplace_back();
    for (std::size_t s = 0; s < a->starts.size(); ++s) {
      const std::size_t b = a->starts[s], e = s + 1 < a->starts.size() ? a->starts[s + 1] : w.size();
      std::vector<float> buf;
      std::vector<std::size_t> fr;
      const auto [lo, hi] = w.detections_in(b, e);
      for (std::size_t i = lo; i < hi; ++i)
        if (w.detections()[i].label == c) {
          const auto v = w.embedding(i);
          buf.insert(buf.end(), v.begin(), v.end());
          fr.push_back(w.detections()[i].frame);
        }
      a->per_class.back().push_back(predsense::merge_within_segment(buf, w.embed_dim(), p.within, fr));
      a->descriptors += a->per_class.back().back().count();
    }
  }
  cache.emplace_back(std::pair{minutes, repeat}, std::move(a));
  return *cache.back().second;
}

template <class Make>
void aggregate(benchmark::State& state, Make make) {
  const double minutes = double(state.range(0));
  const auto repeat = std::size_t(state.range(1));
  const auto& a = precomputed(minutes, repeat);
  std::size_t total = 0;
  for (auto _ : state) {
    total = 0;
    for (const auto& segs : a.per_class) {
      auto agg = make();
      for (std::size_t s = 0; s < segs.size(); ++s) {
        const std::size_t b = a.starts[s], e = s + 1 < a.starts.size() ? a.starts[s + 1] : a.frames;
        agg.add(segs[s].answer(b, e));
      }
      total += agg.count();
    }
    benchmark::DoNotOptimize(total);
  }
  state.counters["descriptors"] = double(a.descriptors);
  state.counters["distinct"] = double(total);
  state.counters["ns_per_descriptor"] = benchmark::Counter(
      double(a.descriptors) * 1e-9, benchmark::Counter::kIsIterationInvariantRate | benchmark::Counter::kInvert);
}

void agg_args(benchmark::internal::Benchmark* b) {
  for (int m : {10, 30, 60, 120}) b->Args({m, 1});
  b->Args({120, 5});
  b->Unit(benchmark::kMicrosecond)->UseRealTime();
}

void counting_sum(benchmark::State& s) {
  aggregate(s, [] { return predsense::sum_aggregator{}; });
}
void counting_streaming(benchmark::State& s) {
  aggregate(s, [] { return predsense::streaming_aggregator(predsense::streaming_params{0.65}); });
}
void counting_dedup_mnn(benchmark::State& s) {
  aggregate(s, [] { return predsense::dedup_aggregator(predsense::dedup_params{0.65}); });
}
void counting_dedup_assign(benchmark::State& s) {
  aggregate(s, [] {
    return predsense::dedup_aggregator(predsense::dedup_params{0.65, predsense::instance_matching::greedy_assignment});
  });
}
BENCHMARK(counting_sum)->Name("counting/aggregate/sum")->Apply(agg_args);
BENCHMARK(counting_streaming)->Name("counting/aggregate/streaming")->Apply(agg_args);
BENCHMARK(counting_dedup_mnn)->Name("counting/aggregate/dedup_mnn")->Apply(agg_args);
BENCHMARK(counting_dedup_assign)->Name("counting/aggregate/dedup_assign")->Apply(agg_args);

}  // namespace

BENCHMARK_MAIN();
