// bench_predictors: the latent predictors' per-frame cost.
//
// peer/lfp_head_1536, peer/lfp_head_3584: LFP head forward on 64 tokens, h = 1536 / 3584 (Qwen2
//   1.5B / 7B hidden sizes), d = 1152 (SigLIP); peer: the same torch module
//   (benchmarks/peers/predictors.py). Counter "gflops" = achieved GFLOP/s.
// peer/backbone_step: mini Qwen2 decoder (d = 512, 8 layers, 8 heads / 2 KV heads, SwiGLU 1408)
//   streaming step of one 64-token frame after 256 cached frames (16384 cached positions).
// Also: each predictor's observe+predict per 64 x 1152 frame, and the LFP training step.
//
// OpenBLAS picks its kernels from OPENBLAS_CORETYPE at load time; the peers run without it
// (compare_peers.py removes OPENBLAS_CORETYPE/OPENBLAS_L2_SIZE), so this binary re-executes itself
// once without them too, so both sides use the kernel OpenBLAS chooses for the real CPU
// (PREDSENSE_BENCH_KEEP_OPENBLAS_ENV=1 keeps them).
#include <benchmark/benchmark.h>

#include <cstdlib>
#include <cstring>
#include <random>
#include <string>
#include <vector>

#include <unistd.h>

#include "predsense/predictors/copy_last.hpp"
#include "predsense/predictors/ema_predictor.hpp"
#include "predsense/predictors/lfp_head.hpp"
#include "predsense/predictors/lfp_trainer.hpp"
#include "predsense/predictors/rls_predictor.hpp"
#if __has_include("predsense/predictors/mini_transformer.hpp")
#include "predsense/predictors/mini_transformer.hpp"
#define PREDSENSE_BENCH_BACKBONE 1
#endif

extern char** environ;

namespace {

using namespace predsense;

std::vector<float> randn(std::size_t n, std::uint64_t seed, float scale = 1.0f) {
  std::mt19937_64 g(seed);
  std::normal_distribution<float> d(0.0f, scale);
  std::vector<float> v(n);
  for (auto& x : v) x = d(g);
  return v;
}

void lfp_forward(benchmark::State& state, std::size_t h, std::size_t d) {
  constexpr std::size_t T = 64;
  lfp_head head(h, d);
  head.init_uniform(1);
  const auto x = randn(T * h, 2);
  std::vector<float> y(T * d);
  for (auto _ : state) {
    head.forward(x.data(), T, y.data());
    benchmark::DoNotOptimize(y.data());
    benchmark::ClobberMemory();
  }
  state.counters["gflops"] = benchmark::Counter(head.flops(T) * 1e-9, benchmark::Counter::kIsIterationInvariantRate);
  state.counters["flops"] = head.flops(T);
  state.SetLabel(kernels::gemm_backend_name());
}
void peer_lfp_head_1536(benchmark::State& s) { lfp_forward(s, 1536, 1152); }
void peer_lfp_head_3584(benchmark::State& s) { lfp_forward(s, 3584, 1152); }
BENCHMARK(peer_lfp_head_1536)->Name("peer/lfp_head_1536")->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK(peer_lfp_head_3584)->Name("peer/lfp_head_3584")->Unit(benchmark::kMillisecond)->UseRealTime();

void lfp_train_step(benchmark::State& state) {
  constexpr std::size_t T = 64, h = 1152, d = 1152;
  lfp_head head(h, d);
  head.init_uniform(1);
  const auto x = randn(T * h, 2), y = randn(T * d, 3);
  lfp_trainer tr;
  for (auto _ : state) benchmark::DoNotOptimize(tr.step(head, x.data(), T, y.data()).total);
  state.counters["gflops"] =
      benchmark::Counter(3.0 * head.flops(T) * 1e-9, benchmark::Counter::kIsIterationInvariantRate);
}
BENCHMARK(lfp_train_step)->Name("lfp/train_step_adam_1152")->Unit(benchmark::kMillisecond)->UseRealTime();

template <class P>
void predictor_frame(benchmark::State& state, P p) {
  constexpr std::size_t T = 64, D = 1152;
  const auto a = randn(T * D, 4), b = randn(T * D, 5);
  frame_view fa(a.data(), T, D), fb(b.data(), T, D);
  frame_buffer out;
  p.observe(fa);
  bool flip = false;
  for (auto _ : state) {
    p.observe(flip ? fa : fb);
    p.predict(out);
    flip = !flip;
    benchmark::DoNotOptimize(out.data());
  }
}
void copy_last_frame(benchmark::State& s) { predictor_frame(s, copy_last{}); }
void ema_frame(benchmark::State& s) { predictor_frame(s, ema_predictor{0.5}); }
void rls_pooled_frame(benchmark::State& s) { predictor_frame(s, rls_predictor{rls_params{rls_mode::pooled}}); }
void rls_token_frame(benchmark::State& s) { predictor_frame(s, rls_predictor{}); }
BENCHMARK(copy_last_frame)->Name("predictor/copy_last_64x1152")->Unit(benchmark::kMicrosecond);
BENCHMARK(ema_frame)->Name("predictor/ema_64x1152")->Unit(benchmark::kMicrosecond);
BENCHMARK(rls_pooled_frame)->Name("predictor/rls_pooled_64x1152")->Unit(benchmark::kMillisecond);
BENCHMARK(rls_token_frame)->Name("predictor/rls_per_token_64x1152")->Unit(benchmark::kMillisecond);

#ifdef PREDSENSE_BENCH_BACKBONE
void peer_backbone_step(benchmark::State& state) {
  mini_transformer_params c;
  c.hidden = 512;
  c.layers = 8;
  c.heads = 8;
  c.kv_heads = 2;
  c.intermediate = 1408;
  c.input_dim = 0;  // frame tokens are already hidden-sized
  constexpr std::size_t T = 64, cached = 256;
  mini_transformer m(c);
  m.init_random(1);
  m.reserve((cached + 2) * T);
  const auto x = randn(T * c.hidden, 2);
  std::vector<float> h(T * c.hidden);
  for (std::size_t f = 0; f < cached; ++f) m.step(x.data(), T, h.data());
  for (auto _ : state) {
    m.step(x.data(), T, h.data());
    state.PauseTiming();
    m.truncate(cached * T);  // every timed step sees exactly 256 cached frames
    state.ResumeTiming();
    benchmark::DoNotOptimize(h.data());
  }
  state.counters["flops"] = m.step_flops(T, cached * T);
  state.counters["gflops"] =
      benchmark::Counter(m.step_flops(T, cached * T) * 1e-9, benchmark::Counter::kIsIterationInvariantRate);
}
BENCHMARK(peer_backbone_step)->Name("peer/backbone_step")->Unit(benchmark::kMillisecond)->UseRealTime();
#endif

// Re-executes without OPENBLAS_CORETYPE / OPENBLAS_L2_SIZE (see the header comment).
void match_peer_openblas_env(char** argv) {
  const char* keep = std::getenv("PREDSENSE_BENCH_KEEP_OPENBLAS_ENV");
  if (keep && std::strcmp(keep, "1") == 0) return;
  if (!std::getenv("OPENBLAS_CORETYPE") && !std::getenv("OPENBLAS_L2_SIZE")) return;
  unsetenv("OPENBLAS_CORETYPE");
  unsetenv("OPENBLAS_L2_SIZE");
  execv("/proc/self/exe", argv);  // on failure carry on with the environment as it is
}

}  // namespace

int main(int argc, char** argv) {
  match_peer_openblas_env(argv);
  benchmark::AddCustomContext("predsense_gemm_backend", predsense::kernels::gemm_backend_name());
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
