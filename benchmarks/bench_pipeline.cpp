// The default streaming pipeline per frame at the Cambrian-S shape (64 x 1152 SigLIP tokens):
// copy-last predictor -> token-mean cosine surprise -> adaptive segmenter -> Cambrian-S memory
// (window 32, budget 8192, drop_merge). Target: >= 2,000 frames/s on one core.
#include <benchmark/benchmark.h>

#include <vector>

#include "predsense/synthetic/synthetic_stream.hpp"
#include "predsense/memory/memory_store.hpp"
#include "predsense/pipeline/stream.hpp"
#include "predsense/predictors/copy_last.hpp"
#include "predsense/segmentation/streaming/adaptive_segmenter.hpp"
#include "predsense/surprise/token_cosine_distance.hpp"

namespace {

using default_stream =
    predsense::stream<predsense::copy_last, predsense::token_cosine_distance<>, predsense::adaptive_segmenter,
                      predsense::memory_store<predsense::pool_when_unsurprising, predsense::drop_merge>>;

// 256 distinct frames (75 MB, beyond the caches) with scene changes, cycled.
const predsense::synthetic_stream& source() {
  static const predsense::synthetic_stream s([] {
    predsense::synthetic_stream_params c;
    c.frames = 256;
    c.tokens = 64;
    c.dim = 1152;
    c.mean_scene_length = 30;
    c.seed = 42;
    return c;
  }());
  return s;
}

void pipeline_64x1152(benchmark::State& state) {
  const auto& src = source();
  default_stream s({}, {}, predsense::adaptive_segmenter(predsense::adaptive_segmenter_params{}),
                   predsense::make_cambrian_memory(0.1, predsense::memory_params{32, 8192}));
  // Warm up past the window so every timed frame also moves one frame into long-term memory.
  std::size_t t = 0;
  for (; t < 64; ++t) s.step(src.frame(t % src.size()));
  std::size_t boundaries = 0;
  for (auto _ : state) {
    const auto r = s.step(src.frame(t++ % src.size()));
    boundaries += r.boundary.has_value();
    benchmark::DoNotOptimize(r.surprise);
  }
  state.counters["frames_per_s"] = benchmark::Counter(double(state.iterations()), benchmark::Counter::kIsRate);
  state.counters["boundaries"] = double(boundaries);
  state.SetBytesProcessed(std::int64_t(state.iterations()) * 64 * 1152 * 4);
}
BENCHMARK(pipeline_64x1152)->Name("peer/pipeline_64x1152")->Unit(benchmark::kMicrosecond)->MinTime(1.0);

// The C++ twin of Python's `predsense.Stream().run(frames)` (its defaults: copy_last, token cosine,
// adaptive_segmenter{}, memory_store<> with window 32, budget 8192): one fresh stream per iteration
// over `frames` frames of synthetic_stream(frames, tokens, dim, seed 1), the same latents that
// `predsense.synthetic_stream(frames, tokens, dim)` returns. Counter us_per_frame; compared with the
// Python paths in benchmarks/python_overhead.py (which runs this benchmark by its name).
void python_twin_stream(benchmark::State& state) {
  predsense::synthetic_stream_params c;
  c.frames = std::size_t(state.range(0));
  c.tokens = std::size_t(state.range(1));
  c.dim = std::size_t(state.range(2));
  const predsense::synthetic_stream src(c);
  using twin = predsense::stream<predsense::copy_last, predsense::token_cosine_distance<>,
                                 predsense::adaptive_segmenter, predsense::memory_store<>>;
  std::size_t boundaries = 0;
  for (auto _ : state) {
    twin s({}, {}, predsense::adaptive_segmenter(predsense::adaptive_segmenter_params{}),
           predsense::memory_store<>(predsense::memory_params{32, 8192}));
    for (std::size_t t = 0; t < src.size(); ++t) {
      const auto r = s.step(src.frame(t));
      boundaries += r.boundary.has_value();
      benchmark::DoNotOptimize(r.surprise);
    }
  }
  const double frames = double(state.iterations()) * double(c.frames);
  state.counters["us_per_frame"] =
      benchmark::Counter(frames * 1e-6, benchmark::Counter::kIsRate | benchmark::Counter::kInvert);
  state.counters["boundaries"] = double(boundaries) / double(state.iterations());
}
BENCHMARK(python_twin_stream)
    ->Name("python_twin/stream")
    ->Args({2000, 16, 64})
    ->Args({300, 64, 1152})
    ->Unit(benchmark::kMillisecond)
    ->MinTime(0.5);

}  // namespace

BENCHMARK_MAIN();
