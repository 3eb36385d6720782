// benchmarks/bench_kernels.cpp - every kernel in include/predsense/kernels/ and its scalar twin at
// realistic latent shapes, cache-resident and DRAM-resident, plus the streaming-read roofline.
//
// Shapes (T tokens x D dims): 64x1152 (SigLIP, pooled), 729x1152 (SigLIP 27x27), 196x768 (ViT-B 14x14).
// Per-vector kernels (dot, squared_norm, dot_norms, cosine, squared_l2) run over all T rows of a
// frame per iteration; frame kernels (token_cosine_distance, avg_pool_2x2, gemv) take one frame.
//
// Regimes:
//   cache  the same frame (pair) every iteration, so it stays in L1/L2/L3 after the first pass.
//   dram   a fresh frame (pair) every iteration, cycling through a pool of distinct frames that
//          totals max(1 GiB, 4 x the L3 size sysconf reports) - override with the environment
//          variable PREDSENSE_BENCH_POOL_MIB. Two-operand kernels read "predicted" frames from
//          the first half of the pool and "actual" frames from the second half: two streams.
// Bytes/s is bytes *read* per iteration (SetBytesProcessed); the counter `bytes` repeats that
// per-call figure so benchmarks/run_bench.py can put it in peers.json.
//
// Roofline: peer/stream_read is a plain SIMD sum (8 independent accumulators) over the whole pool,
// single thread. roofline/stream_read_2streams reads the two pool halves side by side, the access
// pattern of the two-operand DRAM kernels.
//
// Benchmarks named peer/<case> feed the peers table (build/bench/peers.json); their label says
// whether they go through the public metric type (predsense::token_cosine_distance, when its
// header exists) or straight through the kernel.
//
// The pool is advised MADV_HUGEPAGE, as NumPy does for its large arrays (the peers in
// compare_peers.py), so the DRAM comparison sees the same TLB behaviour on both sides.
#include <benchmark/benchmark.h>
#include <sys/mman.h>
#include <unistd.h>

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <memory>
#include <new>
#include <string>
#include <vector>

#include "predsense/kernels/average_into.hpp"
#include "predsense/kernels/avg_pool_2x2.hpp"
#include "predsense/kernels/cosine.hpp"
#include "predsense/kernels/dot.hpp"
#include "predsense/kernels/dot_norms.hpp"
#include "predsense/kernels/gemv.hpp"
#include "predsense/kernels/simd.hpp"
#include "predsense/kernels/squared_l2.hpp"
#include "predsense/kernels/squared_norm.hpp"
#include "predsense/kernels/token_cosine_distance.hpp"

#if __has_include("predsense/surprise/token_cosine_distance.hpp")
#include "predsense/core/frame_view.hpp"
#include "predsense/surprise/token_cosine_distance.hpp"
#include "predsense/kernels/random.hpp"
#define PREDSENSE_BENCH_HAS_METRIC 1
#else
#define PREDSENSE_BENCH_HAS_METRIC 0
#endif

namespace {

namespace k = predsense::kernels;
namespace ks = predsense::kernels::scalar;

struct shape {
  std::size_t t, d;    // T x D
  std::size_t gh, gw;  // the token grid for avg_pool_2x2 (gh * gw == t)
  [[nodiscard]] std::size_t floats() const { return t * d; }
  [[nodiscard]] std::string name() const { return std::to_string(t) + "x" + std::to_string(d); }
};
const shape kShapes[] = {{64, 1152, 8, 8}, {729, 1152, 27, 27}, {196, 768, 14, 14}};

// ---- buffers -------------------------------------------------------------------------------------

struct free_deleter {
  void operator()(float* p) const noexcept { std::free(p); }
};
using buffer = std::unique_ptr<float[], free_deleter>;

// Deterministic values in [-1, 1) (splitmix64), fast enough to fill gigabytes. Element i is
// float(z_i >> 40) * 2^-23 - 1 with z_i = mix(seed + (i + 1) * golden): exact in float, so
// compare_peers.py rebuilds bit-identical arrays (cache pair: seeds 1 and 2; pool: 0x5eed).
void fill(float* p, std::size_t n, std::uint64_t seed) {
  // draw i is splitmix64(seed + i * increment), as compare_peers.py computes it
  predsense::kernels::splitmix64_stream next{seed};
  for (std::size_t i = 0; i < n; ++i) p[i] = static_cast<float>(next() >> 40) * (2.0f / 16777216.0f) - 1.0f;
}

buffer make_buffer(std::size_t floats, std::uint64_t seed, bool huge) {
  constexpr std::size_t align = 2u << 20;  // 2 MiB: hugepage- and cache-line-aligned
  const std::size_t bytes = (floats * sizeof(float) + align - 1) / align * align;
  auto* p = static_cast<float*>(std::aligned_alloc(align, bytes));
  if (p == nullptr) throw std::bad_alloc();
  if (huge) (void)::madvise(p, bytes, MADV_HUGEPAGE);
  fill(p, floats, seed);
  return buffer(p);
}

std::size_t pool_bytes() {
  if (const char* e = std::getenv("PREDSENSE_BENCH_POOL_MIB")) return std::strtoull(e, nullptr, 10) << 20;
  const long l3 = ::sysconf(_SC_LEVEL3_CACHE_SIZE);
  const std::size_t four_l3 = l3 > 0 ? 4 * static_cast<std::size_t>(l3) : 0;
  return std::max<std::size_t>(std::size_t{1} << 30, four_l3);
}

// One pool for every DRAM benchmark and the roofline, filled once on first use.
struct pool_t {
  std::size_t floats = pool_bytes() / sizeof(float);
  buffer data = make_buffer(floats, 0x5eed, true);
};
pool_t& pool() {
  static pool_t p;
  return p;
}

// Cache-resident operands: a pair of frames of one shape.
struct cache_pair {
  buffer a, b;
  explicit cache_pair(std::size_t floats) : a(make_buffer(floats, 1, false)), b(make_buffer(floats, 2, false)) {}
};

// Where iteration i reads its operands.
struct frames {
  const float* a0;     // first "predicted" frame
  const float* b0;     // first "actual" frame
  std::size_t count;   // distinct frames per operand (1 when cache-resident)
  std::size_t stride;  // floats between consecutive frames
  [[nodiscard]] const float* a(std::size_t i) const { return a0 + (i % count) * stride; }
  [[nodiscard]] const float* b(std::size_t i) const { return b0 + (i % count) * stride; }
};

enum class regime { cache, dram };
enum class operands { one, two };

// Two-operand DRAM layout: a from the first half of the pool, b from the second half.
// One-operand DRAM layout: every frame of the pool in turn.
frames frames_for(regime r, operands o, const shape& s, std::unique_ptr<cache_pair>& keep) {
  const std::size_t n = s.floats();
  if (r == regime::cache) {
    keep = std::make_unique<cache_pair>(n);
    return {keep->a.get(), keep->b.get(), 1, n};
  }
  auto& p = pool();
  if (o == operands::two) {
    const std::size_t half = p.floats / 2;
    return {p.data.get(), p.data.get() + half, half / n, n};
  }
  return {p.data.get(), p.data.get(), p.floats / n, n};
}

// ---- registration --------------------------------------------------------------------------------

const char* regime_name(regime r) { return r == regime::cache ? "cache" : "dram"; }

// body(frames, iteration) -> a value to keep alive; bytes = bytes read per iteration.
// label != nullptr marks a peer case: it also reports the value for frame pair 0 as the counter
// `surprise`, which compare_peers.py reproduces on bit-identical arrays.
template <class Body>
void add(const std::string& name, regime r, operands o, const shape& s, std::size_t bytes, Body body,
         const char* label = nullptr) {
  // The frame cursor survives across repetitions, so a DRAM repetition never restarts on frames
  // the previous one left in cache.
  auto cursor = std::make_shared<std::size_t>(0);
  benchmark::RegisterBenchmark(name.c_str(), [=](benchmark::State& st) {
    std::unique_ptr<cache_pair> keep;
    const frames f = frames_for(r, o, s, keep);
    if (label) st.counters["surprise"] = static_cast<double>(body(f, 0));
    std::size_t i = *cursor;
    for (auto _ : st) {
      auto v = body(f, i++);
      benchmark::DoNotOptimize(v);
    }
    *cursor = i;
    st.SetBytesProcessed(static_cast<std::int64_t>(st.iterations()) * static_cast<std::int64_t>(bytes));
    st.counters["bytes"] = static_cast<double>(bytes);
    if (label) st.SetLabel(label);
  });
}

template <class Fn>
auto rows2(Fn fn, std::size_t t, std::size_t d) {
  return [=](const frames& f, std::size_t i) {
    const float* a = f.a(i);
    const float* b = f.b(i);
    double acc = 0.0;
    for (std::size_t r = 0; r < t; ++r) acc += static_cast<double>(fn(a + r * d, b + r * d, d));
    return acc;
  };
}

template <class Fn>
auto rows2_dn(Fn fn, std::size_t t, std::size_t d) {
  return [=](const frames& f, std::size_t i) {
    const float* a = f.a(i);
    const float* b = f.b(i);
    double acc = 0.0;
    for (std::size_t r = 0; r < t; ++r) {
      const k::dot_norms_result x = fn(a + r * d, b + r * d, d);
      acc += static_cast<double>(x.dot) + static_cast<double>(x.norm2_a) + static_cast<double>(x.norm2_b);
    }
    return acc;
  };
}

template <class Fn>
auto rows1(Fn fn, std::size_t t, std::size_t d) {
  return [=](const frames& f, std::size_t i) {
    const float* a = f.a(i);
    double acc = 0.0;
    for (std::size_t r = 0; r < t; ++r) acc += static_cast<double>(fn(a + r * d, d));
    return acc;
  };
}

// The kernel entry points as plain function objects (the SIMD ones and their scalar twins).
#define PREDSENSE_BENCH_FN(ns, fn) [](auto&&... xs) { return ns::fn(xs...); }

void register_kernels() {
  for (const shape& s : kShapes) {
    const std::size_t t = s.t, d = s.d, n = s.floats();
    const std::size_t one = n * sizeof(float), two = 2 * one;
    for (regime r : {regime::cache, regime::dram}) {
      // average_into averages the frame into one cache-resident accumulator (the memory's merge
      // of a leaving frame into the newest long-term entry), shared by the SIMD and scalar rows.
      auto acc = std::make_shared<std::vector<float>>(n, 0.0f);
      for (int simd = 1; simd >= 0; --simd) {
        const std::string tail = std::string(simd ? "/simd/" : "/scalar/") + s.name() + "/" + regime_name(r);
        auto name = [&](const char* kernel) { return std::string("kernel/") + kernel + tail; };
        if (simd) {
          add(name("dot"), r, operands::two, s, two, rows2(PREDSENSE_BENCH_FN(k, dot), t, d));
          add(name("squared_norm"), r, operands::one, s, one, rows1(PREDSENSE_BENCH_FN(k, squared_norm), t, d));
          add(name("dot_norms"), r, operands::two, s, two, rows2_dn(PREDSENSE_BENCH_FN(k, dot_norms), t, d));
          add(name("cosine"), r, operands::two, s, two, rows2(PREDSENSE_BENCH_FN(k, cosine), t, d));
          add(name("squared_l2"), r, operands::two, s, two, rows2(PREDSENSE_BENCH_FN(k, squared_l2), t, d));
          add(name("token_cosine_distance"), r, operands::two, s, two,
              [=](const frames& f, std::size_t i) { return k::token_cosine_distance(f.a(i), f.b(i), t, d); });
        } else {
          add(name("dot"), r, operands::two, s, two, rows2(PREDSENSE_BENCH_FN(ks, dot), t, d));
          add(name("squared_norm"), r, operands::one, s, one, rows1(PREDSENSE_BENCH_FN(ks, squared_norm), t, d));
          add(name("dot_norms"), r, operands::two, s, two, rows2_dn(PREDSENSE_BENCH_FN(ks, dot_norms), t, d));
          add(name("cosine"), r, operands::two, s, two, rows2(PREDSENSE_BENCH_FN(ks, cosine), t, d));
          add(name("squared_l2"), r, operands::two, s, two, rows2(PREDSENSE_BENCH_FN(ks, squared_l2), t, d));
          add(name("token_cosine_distance"), r, operands::two, s, two,
              [=](const frames& f, std::size_t i) { return ks::token_cosine_distance(f.a(i), f.b(i), t, d); });
        }
        // avg_pool_2x2 of the gh x gw token grid; the (small) output stays cache-resident.
        {
          const std::size_t out_n = k::pooled_extent(s.gh) * k::pooled_extent(s.gw) * d;
          auto out = std::make_shared<std::vector<float>>(out_n);
          const std::size_t gh = s.gh, gw = s.gw;
          add(name("avg_pool_2x2"), r, operands::one, s, one, [=](const frames& f, std::size_t i) {
            if (simd)
              k::avg_pool_2x2(f.a(i), gh, gw, d, out->data());
            else
              ks::avg_pool_2x2(f.a(i), gh, gw, d, out->data());
            benchmark::ClobberMemory();
            return (*out)[0];
          });
        }
        add(name("average_into"), r, operands::one, s, one, [=](const frames& f, std::size_t i) {
          if (simd)
            k::average_into(acc->data(), f.a(i), n);
          else
            ks::average_into(acc->data(), f.a(i), n);
          benchmark::ClobberMemory();
          return (*acc)[0];
        });
        // gemv: the frame as a T x D matrix times a cache-resident D-vector.
        {
          auto x = std::make_shared<std::vector<float>>(d, 0.5f);
          auto y = std::make_shared<std::vector<float>>(t);
          add(name("gemv"), r, operands::one, s, one + d * sizeof(float), [=](const frames& f, std::size_t i) {
            if (simd)
              k::gemv(f.a(i), t, d, x->data(), y->data());
            else
              ks::gemv(f.a(i), t, d, x->data(), y->data());
            benchmark::ClobberMemory();
            return (*y)[0];
          });
        }
      }
    }
  }
}

#if PREDSENSE_BENCH_HAS_METRIC
constexpr const char* kPeerLabel = "metric predsense::token_cosine_distance";
double surprise(const float* a, const float* b, std::size_t t, std::size_t d) {
  return predsense::token_cosine_distance{}(predsense::frame_view(a, t, d), predsense::frame_view(b, t, d));
}
#else
constexpr const char* kPeerLabel = "kernel predsense::kernels::token_cosine_distance";
double surprise(const float* a, const float* b, std::size_t t, std::size_t d) {
  return k::token_cosine_distance(a, b, t, d);
}
#endif

void register_peers() {
  struct peer_case {
    const char* name;
    shape s;
    regime r;
  };
  const peer_case cases[] = {{"peer/token_cosine_64x1152_cache", kShapes[0], regime::cache},
                             {"peer/token_cosine_64x1152_dram", kShapes[0], regime::dram},
                             {"peer/token_cosine_729x1152_cache", kShapes[1], regime::cache},
                             {"peer/token_cosine_196x768_cache", kShapes[2], regime::cache}};
  for (const auto& c : cases) {
    const std::size_t t = c.s.t, d = c.s.d;
    add(
        c.name, c.r, operands::two, c.s, 2 * c.s.floats() * sizeof(float),
        [=](const frames& f, std::size_t i) { return surprise(f.a(i), f.b(i), t, d); }, kPeerLabel);
  }
#if PREDSENSE_BENCH_HAS_METRIC
  // The metric type at every shape and regime, beside the kernel rows above.
  for (const shape& s : kShapes)
    for (regime r : {regime::cache, regime::dram}) {
      const std::size_t t = s.t, d = s.d;
      add("metric/token_cosine_distance/" + s.name() + "/" + regime_name(r), r, operands::two, s,
          2 * s.floats() * sizeof(float),
          [=](const frames& f, std::size_t i) { return surprise(f.a(i), f.b(i), t, d); });
    }
#endif
}

// ---- roofline ------------------------------------------------------------------------------------

#if PREDSENSE_SIMD
namespace simd = predsense::detail::simd;

// A plain SIMD sum over [p, p + n): 8 independent accumulators, no prefetch hints.
float stream_sum(const float* p, std::size_t n) {
  constexpr std::size_t W = simd::width;
  simd::batch c0(0.0f), c1(0.0f), c2(0.0f), c3(0.0f), c4(0.0f), c5(0.0f), c6(0.0f), c7(0.0f);
  std::size_t i = 0;
  for (; i + 8 * W <= n; i += 8 * W) {
    c0 += simd::load(p + i);
    c1 += simd::load(p + i + W);
    c2 += simd::load(p + i + 2 * W);
    c3 += simd::load(p + i + 3 * W);
    c4 += simd::load(p + i + 4 * W);
    c5 += simd::load(p + i + 5 * W);
    c6 += simd::load(p + i + 6 * W);
    c7 += simd::load(p + i + 7 * W);
  }
  float r = simd::sum(((c0 + c1) + (c2 + c3)) + ((c4 + c5) + (c6 + c7)));
  for (; i < n; ++i) r += p[i];
  return r;
}

// Two streams side by side (a[i] + b[i]), the pattern of the two-operand kernels.
float stream_sum2(const float* a, const float* b, std::size_t n) {
  constexpr std::size_t W = simd::width;
  simd::batch c0(0.0f), c1(0.0f), c2(0.0f), c3(0.0f);
  std::size_t i = 0;
  for (; i + 2 * W <= n; i += 2 * W) {
    c0 += simd::load(a + i);
    c1 += simd::load(b + i);
    c2 += simd::load(a + i + W);
    c3 += simd::load(b + i + W);
  }
  float r = simd::sum((c0 + c1) + (c2 + c3));
  for (; i < n; ++i) r += a[i] + b[i];
  return r;
}
#else
float stream_sum(const float* p, std::size_t n) {
  float s = 0.0f;
  for (std::size_t i = 0; i < n; ++i) s += p[i];
  return s;
}
float stream_sum2(const float* a, const float* b, std::size_t n) {
  float s = 0.0f;
  for (std::size_t i = 0; i < n; ++i) s += a[i] + b[i];
  return s;
}
#endif

void register_roofline() {
  benchmark::RegisterBenchmark("peer/stream_read", [](benchmark::State& st) {
    auto& p = pool();
    for (auto _ : st) benchmark::DoNotOptimize(stream_sum(p.data.get(), p.floats));
    const auto bytes = static_cast<std::int64_t>(p.floats * sizeof(float));
    st.SetBytesProcessed(static_cast<std::int64_t>(st.iterations()) * bytes);
    st.counters["bytes"] = static_cast<double>(bytes);
    st.SetLabel("single-thread SIMD sum over " + std::to_string(bytes >> 20) + " MiB");
  });
  benchmark::RegisterBenchmark("roofline/stream_read_2streams", [](benchmark::State& st) {
    auto& p = pool();
    const std::size_t half = p.floats / 2;
    for (auto _ : st) benchmark::DoNotOptimize(stream_sum2(p.data.get(), p.data.get() + half, half));
    const auto bytes = static_cast<std::int64_t>(2 * half * sizeof(float));
    st.SetBytesProcessed(static_cast<std::int64_t>(st.iterations()) * bytes);
    st.counters["bytes"] = static_cast<double>(bytes);
  });
}

}  // namespace

int main(int argc, char** argv) {
  register_roofline();
  register_peers();
  register_kernels();
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
  benchmark::AddCustomContext("predsense_simd_width", std::to_string(predsense::detail::simd::width));
  benchmark::AddCustomContext("predsense_pool_bytes", std::to_string(pool_bytes()));
  benchmark::AddCustomContext("predsense_peer_impl", kPeerLabel);
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
