// Segmentation throughput: BOCPD with pruning on a 1e6-step stream (the peers table compares it
// with a NumPy BOCPD vectorised over run lengths, benchmarks/peers/bocpd.py), and the adaptive
// (EM-LLM) segmenter. Items per second = steps per second.
#include <benchmark/benchmark.h>

#include <cstdint>
#include <vector>

#include "predsense/segmentation/streaming/adaptive_segmenter.hpp"
#include "predsense/segmentation/streaming/bocpd.hpp"
#include "predsense/segmentation/offline/costs/normal_meanvar_cost.hpp"
#include "predsense/segmentation/streaming/peak_segmenter.hpp"
#include "predsense/segmentation/offline/pelt.hpp"
#include "predsense/kernels/random.hpp"

namespace {

// Piecewise-constant mean with unit noise; segment lengths 100..1000, means in [-3, 3]. The same
// generator (64-bit LCG, sum of 12 uniforms) is used by benchmarks/peers/bocpd.py.
std::vector<double> make_stream(std::size_t n) {
  std::uint64_t s = 42;
  auto uniform = [&] {
    s = s * 6364136223846793005ULL + 1442695040888963407ULL;
    return static_cast<double>(s >> 11) / 9007199254740992.0;
  };
  std::vector<double> x;
  x.reserve(n);
  while (x.size() < n) {
    const auto len = static_cast<std::size_t>(100 + 900 * uniform());
    const double mean = -3.0 + 6.0 * uniform();
    for (std::size_t i = 0; i < len && x.size() < n; ++i) {
      double a = 0.0;
      for (int k = 0; k < 12; ++k) a += uniform();
      x.push_back(mean + a - 6.0);
    }
  }
  return x;
}

const std::vector<double>& stream_1e6() {
  static const std::vector<double> x = make_stream(1'000'000);
  return x;
}

// One iteration = the whole 1e6-step stream (TCPDBench settings: lambda 100, a = b = k = 1,
// prune below 1e-4), filtering only, as the NumPy peer does.
void peer_bocpd_1e6(benchmark::State& state) {
  const auto& x = stream_1e6();
  std::size_t live = 0;
  for (auto _ : state) {
    predsense::bocpd_params p;
    p.track_map = false;
    predsense::bocpd b(p);
    double acc = 0.0;
    for (double v : x) acc += b.update(v);
    live = b.size();
    benchmark::DoNotOptimize(acc);
  }
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations() * x.size()));
  state.counters["live_runs_at_end"] = static_cast<double>(live);
}
BENCHMARK(peer_bocpd_1e6)->Name("peer/bocpd_1e6")->Unit(benchmark::kSecond)->Iterations(2);

// Same with the Viterbi (MAP segmentation) recursion kept alongside.
void bocpd_map_1e6(benchmark::State& state) {
  const auto& x = stream_1e6();
  std::size_t ncp = 0;
  for (auto _ : state) {
    predsense::bocpd b;
    for (double v : x) b.update(v);
    ncp = b.map_changepoints().size();
  }
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations() * x.size()));
  state.counters["changepoints"] = static_cast<double>(ncp);
}
BENCHMARK(bocpd_map_1e6)->Name("bocpd_map_1e6")->Unit(benchmark::kSecond)->Iterations(1);

void adaptive_1e6(benchmark::State& state) {
  const auto& x = stream_1e6();
  predsense::adaptive_segmenter_params p;
  p.window = static_cast<std::size_t>(state.range(0));
  std::size_t n = 0;
  for (auto _ : state) {
    predsense::adaptive_segmenter seg(p);
    n = 0;
    for (std::size_t t = 0; t < x.size(); ++t) n += seg.push(x[t], t).has_value();
  }
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations() * x.size()));
  state.counters["boundaries"] = static_cast<double>(n);
}
BENCHMARK(adaptive_1e6)->Name("adaptive_1e6")->Arg(128)->Arg(4096)->Unit(benchmark::kMillisecond)->Iterations(3);

void peaks_1e6(benchmark::State& state) {
  const auto& x = stream_1e6();
  predsense::peak_segmenter_params p;
  p.lookahead = 5;
  p.min_separation = 5;
  for (auto _ : state) {
    predsense::peak_segmenter seg(p);
    std::size_t n = 0;
    for (std::size_t t = 0; t < x.size(); ++t) n += seg.push(x[t], t).has_value();
    benchmark::DoNotOptimize(n);
  }
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations() * x.size()));
}
BENCHMARK(peaks_1e6)->Name("peaks_1e6")->Unit(benchmark::kMillisecond)->Iterations(3);

// PELT's stream: piecewise stationary, a change in mean and variance every 500-1500 steps (about
// n / 1000 changes), noise = sum of four uniforms - 2 scaled by the segment's sd. Every number
// comes from splitmix64 of its index, so benchmarks/peers/pelt.py builds the same series with
// vectorised NumPy.
double unit(std::uint64_t x) { return predsense::kernels::unit_interval(predsense::kernels::splitmix64(x)); }

std::vector<double> make_meanvar_stream(std::size_t n) {
  std::vector<double> x(n);
  std::size_t i = 0;
  for (std::uint64_t seg = 0; i < n; ++seg) {
    const auto len = static_cast<std::size_t>(500 + 1000 * unit(0x5e9000000000ULL + 3 * seg));
    const double mean = -3.0 + 6.0 * unit(0x5e9000000000ULL + 3 * seg + 1);
    const double sd = 0.5 + 1.5 * unit(0x5e9000000000ULL + 3 * seg + 2);
    for (std::size_t k = 0; k < len && i < n; ++k, ++i) {
      double a = 0.0;
      for (std::uint64_t r = 0; r < 4; ++r) a += unit(4 * static_cast<std::uint64_t>(i) + r);
      x[i] = mean + sd * (a - 2.0);
    }
  }
  return x;
}

// One iteration = PELT (Normal mean-and-variance cost, MBIC, minimum segment length 2, exact
// pruning) over the whole series, prefix sums included; benchmarks/peers/pelt.py is the same
// algorithm in NumPy (vectorised over the candidate set).
template <std::size_t N>
void peer_pelt(benchmark::State& state) {
  const auto x = make_meanvar_stream(N);
  std::size_t changes = 0;
  for (auto _ : state) {
    const predsense::normal_meanvar_cost cost(x);
    const auto cps = predsense::pelt(cost, predsense::pelt_params{predsense::penalty{}, 2});
    changes = cps.size();
    benchmark::DoNotOptimize(changes);
  }
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations() * x.size()));
  state.counters["changes"] = static_cast<double>(changes);
}
BENCHMARK(peer_pelt<10'000>)->Name("peer/pelt_1e4")->Unit(benchmark::kMillisecond)->MinTime(0.5);
BENCHMARK(peer_pelt<100'000>)->Name("peer/pelt_1e5")->Unit(benchmark::kMillisecond)->MinTime(0.5);
BENCHMARK(peer_pelt<1'000'000>)->Name("peer/pelt_1e6")->Unit(benchmark::kSecond)->Iterations(1);

}  // namespace

BENCHMARK_MAIN();
