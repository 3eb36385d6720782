// Retrieval over a long memory (memory/retrieval.hpp): token-mean cosine, late interaction
// (ColBERT MaxSim) over every entry, and coarse to fine (token-mean shortlist of 10%, then late
// interaction); and the max_sim kernel against its scalar twin. peer/retrieval_late_3600 is timed
// against a NumPy and a PyTorch transcription in benchmarks/peers/retrieval.py (same shapes).
//
// Memory: 3600 entries (an hour at 1 fps, every frame kept) of 64 tokens x 256 dims; query: a crop
// of 16 tokens; k = 4.
#include <benchmark/benchmark.h>

#include <cstdint>
#include <vector>

#include "predsense/kernels/max_sim.hpp"
#include "predsense/kernels/random.hpp"
#include "predsense/memory/memory_store.hpp"
#include "predsense/memory/policies/fifo.hpp"
#include "predsense/memory/retrieval.hpp"

namespace {

constexpr std::size_t kEntries = 3600, kTokens = 64, kDim = 256, kQuery = 16;

float value(std::uint64_t i) {
  return static_cast<float>(predsense::kernels::unit_interval(predsense::kernels::splitmix64(i)) - 0.5);
}

const predsense::memory_store<predsense::no_compression, predsense::fifo>& memory() {
  static const auto mem = [] {
    predsense::memory_store<predsense::no_compression, predsense::fifo> m({0, kEntries * kTokens});
    std::vector<float> f(kTokens * kDim);
    for (std::size_t e = 0; e < kEntries; ++e) {
      for (std::size_t i = 0; i < f.size(); ++i) f[i] = value(e * f.size() + i);
      m.push(predsense::frame_view(f.data(), kTokens, kDim), 0.5);
    }
    return m;
  }();
  return mem;
}

std::vector<float> query() {
  std::vector<float> q(kQuery * kDim);
  for (std::size_t i = 0; i < q.size(); ++i) q[i] = value(0xABCDEF + i);
  return q;
}

void run(benchmark::State& st, predsense::retrieval_params p) {
  const auto& mem = memory();
  const auto q = query();
  for (auto _ : st) {
    auto r = predsense::retrieve(mem, predsense::frame_view(q.data(), kQuery, kDim), p);
    benchmark::DoNotOptimize(r.data());
  }
}

void peer_retrieval_late_3600(benchmark::State& st) {
  run(st, {.k = 4, .scoring = predsense::retrieval_scoring::late_interaction});
}
BENCHMARK(peer_retrieval_late_3600)->Name("peer/retrieval_late_3600")->Unit(benchmark::kMillisecond);
BENCHMARK_CAPTURE(run, token_mean, predsense::retrieval_params{.k = 4})
    ->Name("retrieval_3600/token_mean")
    ->Unit(benchmark::kMillisecond);
BENCHMARK_CAPTURE(run, coarse_to_fine,
                  predsense::retrieval_params{
                      .k = 4, .scoring = predsense::retrieval_scoring::late_interaction, .shortlist = kEntries / 10})
    ->Name("retrieval_3600/coarse_to_fine_10pct")
    ->Unit(benchmark::kMillisecond);

template <bool Simd>
void max_sim_kernel(benchmark::State& st) {
  std::vector<float> e(kTokens * kDim), q = query(), ei(kTokens), qi(kQuery);
  for (std::size_t i = 0; i < e.size(); ++i) e[i] = value(7 * i);
  predsense::kernels::inverse_norms(e.data(), kTokens, kDim, ei.data());
  predsense::kernels::inverse_norms(q.data(), kQuery, kDim, qi.data());
  for (auto _ : st) {
    const double s =
        Simd ? predsense::kernels::max_sim(q.data(), kQuery, qi.data(), e.data(), kTokens, ei.data(), kDim)
             : predsense::kernels::scalar::max_sim(q.data(), kQuery, qi.data(), e.data(), kTokens, ei.data(), kDim);
    benchmark::DoNotOptimize(s);
  }
  st.SetBytesProcessed(static_cast<std::int64_t>(st.iterations() * (e.size() + q.size()) * sizeof(float)));
}
BENCHMARK(max_sim_kernel<true>)->Name("max_sim_16x64x256/simd");
BENCHMARK(max_sim_kernel<false>)->Name("max_sim_16x64x256/scalar");

}  // namespace

BENCHMARK_MAIN();
