// benchmarks/bench_video.cpp - the per-frame pieces predsense-video runs besides ffmpeg, on one
// 128x128 rgb24 frame (its working size): the patch embedder (8 x 8 tokens x 256 dims), its
// statistics alone, one row of gradient orientations, and the detector's 32x32 thumbnail.
//
//   build/bin/bench_video --benchmark_repetitions=5 --benchmark_report_aggregates_only=true
//
// The frame is a smooth colour pattern with noise (every gradient orientation occurs). CPU time
// per frame is what docs/video.md quotes; the tool's whole speed is benchmarks/video_speed.py.
#include <benchmark/benchmark.h>

#include <cstdint>
#include <vector>

#include "predsense/core/frame_buffer.hpp"
#include "predsense/encoders/patch_embedder.hpp"
#include "predsense/kernels/area_downsample.hpp"
#include "predsense/kernels/gradient_orientation.hpp"
#include "predsense/kernels/random.hpp"

namespace {

constexpr std::size_t W = 128, H = 128;

std::vector<std::uint8_t> frame() {
  std::vector<std::uint8_t> img(W * H * 3);
  predsense::kernels::splitmix64_stream next{7};
  for (std::size_t y = 0; y < H; ++y)
    for (std::size_t x = 0; x < W; ++x)
      for (std::size_t c = 0; c < 3; ++c)
        img[(y * W + x) * 3 + c] = static_cast<std::uint8_t>((x * 3 + y * 5 + c * 40 + next() % 24) & 255);
  return img;
}

void BM_patch_embedder_embed(benchmark::State& st) {
  const auto img = frame();
  const predsense::patch_embedder e;
  predsense::frame_buffer out;
  for (auto _ : st) {
    e.embed(img, W, H, out);
    benchmark::DoNotOptimize(out.data());
  }
}
BENCHMARK(BM_patch_embedder_embed);

void BM_patch_embedder_features(benchmark::State& st) {
  const auto img = frame();
  const predsense::patch_embedder e;
  std::vector<float> f;
  for (auto _ : st) {
    e.features(img, W, H, f);
    benchmark::DoNotOptimize(f.data());
  }
}
BENCHMARK(BM_patch_embedder_features);

void BM_gradient_orientation_row(benchmark::State& st) {
  std::vector<float> rows(3 * W);
  predsense::kernels::splitmix64_stream next{3};
  for (auto& v : rows) v = static_cast<float>(next() % 256) / 255.0f;
  std::vector<double> mag(W), bins(4 * W);
  for (auto _ : st) {
    if (st.range(0))
      predsense::kernels::gradient_orientation_row(rows.data(), rows.data() + W, rows.data() + 2 * W, W, 2.0,
                                                   mag.data(), bins.data());
    else
      predsense::kernels::gradient_orientation_row_scalar(rows.data(), rows.data() + W, rows.data() + 2 * W, W, 2.0,
                                                          mag.data(), bins.data());
    benchmark::DoNotOptimize(bins.data());
  }
}
BENCHMARK(BM_gradient_orientation_row)->Arg(1)->Arg(0)->ArgName("simd");

void BM_area_downsample_thumbnail(benchmark::State& st) {
  const auto img = frame();
  std::vector<float> thumb;
  for (auto _ : st) {
    predsense::area_downsample(img, W, H, 3, 32, 32, thumb);
    benchmark::DoNotOptimize(thumb.data());
  }
}
BENCHMARK(BM_area_downsample_thumbnail);

}  // namespace

BENCHMARK_MAIN();
