// predsense-memory-recall: a VSR-like needle-recall experiment (the "Recall" half of VSI-SUPER)
// for every consolidation policy.
//
// Stream (1 fps, 64 tokens = 8 x 8 grid of dim D): a tour of "rooms"; each room has its own random
// unit direction per token (its layout), held for 2-6 minutes, with per-frame noise. Four needle
// frames, one at a uniformly random time in each quarter of the stream, show an unusual object: a
// 4 x 4 block of tokens replaced by the object's direction (plus noise). Surprise is the
// Cambrian-S one with the copy-last predictor (the paper's ablation baseline, adjacent-frame similarity):
// 1 - mean_t cos(previous[t], current[t]); ordinary frames score ~0.02, needles ~0.25, room
// changes ~1. Every policy sees the same frames and surprises through a memory_store (window 32,
// budget 8192 tokens, 2x2 pooling below the threshold, default 0.1), is flushed at the end (as the
// reference does before answering) and asked with the object's latent: retrieve top-4 by cosine.
// "kept": the four needle frames are all still in memory, in four different entries. "recalled":
// the four retrieved entries each contain one needle, i.e. retrieval returns the four sightings
// in their temporal order.
//
//   predsense-memory-recall [--minutes 10,30,60,120,240] [--seeds 10] [--dim 64] [-o out.json]
//                           [--timeline-minutes 240]   (per-policy kept frames of seed 0)
// Option ranges (exit 2 outside them, tools/support/cli.hpp): --minutes 1..1440 each, --seeds
// 1..1000, --dim 1..4096, --budget 64..2^24, --window 0..4096, --threshold finite in [-1e6, 1e6].
#include <algorithm>
#include <array>
#include <cmath>
#include <cstdint>
#include <string>
#include <tuple>
#include <vector>

#include "predsense/kernels/token_cosine_distance.hpp"
#include "predsense/memory/policies/drop_least_surprising.hpp"
#include "predsense/memory/policies/drop_merge.hpp"
#include "predsense/memory/policies/fifo.hpp"
#include "predsense/memory/memory_store.hpp"
#include "predsense/memory/retrieval.hpp"
#include "predsense/memory/policies/similarity_merge.hpp"
#include "predsense/memory/policies/sinks_recent.hpp"
#include "predsense/memory/policies/surprise_reservoir.hpp"
#include "predsense/memory/policies/uniform_stride.hpp"
#include "predsense/kernels/random.hpp"
#include "support/cli.hpp"

namespace {

using namespace predsense;
using predsense::tools::json;

constexpr std::size_t kTokens = 64, kSide = 8;

struct rng64 {
  std::uint64_t s;
  // splitmix64 with the state advanced before each draw (kernels/random.hpp)
  std::uint64_t next() {
    s += kernels::splitmix64_increment;
    return kernels::splitmix64(s - kernels::splitmix64_increment);
  }
  double uniform() { return kernels::unit_interval(next()); }
  float sym() { return static_cast<float>(2.0 * uniform() - 1.0); }
};

void random_unit(rng64& r, float* v, std::size_t d) {
  double n = 0;
  for (std::size_t i = 0; i < d; ++i) {
    v[i] = r.sym();
    n += static_cast<double>(v[i]) * v[i];
  }
  const auto inv = static_cast<float>(1.0 / std::sqrt(n));
  for (std::size_t i = 0; i < d; ++i) v[i] *= inv;
}

bool in_object_block(std::size_t t) {
  const std::size_t y = t / kSide, x = t % kSide;
  return y >= 2 && y < 6 && x >= 2 && x < 6;
}

struct needle_stream {
  std::size_t frames, dim;
  rng64 rng;
  std::vector<float> layout, object, cur, prev;
  std::array<std::size_t, 4> needles{};
  std::size_t scene_left = 0;
  float noise;

  needle_stream(std::size_t n, std::size_t d, std::uint64_t seed)
      : frames(n),
        dim(d),
        rng{seed * 0x632BE59BD9B4E019ull + 1},
        layout(kTokens * d),
        object(d),
        cur(kTokens * d),
        prev(kTokens * d),
        noise(static_cast<float>(0.15 * std::sqrt(3.0 / static_cast<double>(d)))) {
    random_unit(rng, object.data(), d);
    for (std::size_t q = 0; q < 4; ++q)
      needles[q] = q * n / 4 + 1 + static_cast<std::size_t>(rng.uniform() * static_cast<double>(n / 4 - 2));
  }
  bool is_needle(std::size_t t) const { return std::find(needles.begin(), needles.end(), t) != needles.end(); }

  // Writes frame t into `cur` (after moving the previous one to `prev`).
  void next(std::size_t t) {
    std::swap(cur, prev);
    if (scene_left == 0) {
      for (std::size_t k = 0; k < kTokens; ++k) random_unit(rng, layout.data() + k * dim, dim);
      scene_left = 120 + static_cast<std::size_t>(rng.uniform() * 240.0);  // 2-6 minutes
    }
    --scene_left;
    const bool needle = is_needle(t);
    for (std::size_t k = 0; k < kTokens; ++k) {
      const float* base = (needle && in_object_block(k)) ? object.data() : layout.data() + k * dim;
      float* o = cur.data() + k * dim;
      for (std::size_t i = 0; i < dim; ++i) o[i] = base[i] + noise * rng.sym();
    }
  }
  // The question's latent: the object's 16 tokens as a camera would see them.
  std::vector<float> query() {
    std::vector<float> q(16 * dim);
    for (std::size_t k = 0; k < 16; ++k)
      for (std::size_t i = 0; i < dim; ++i) q[k * dim + i] = object[i] + noise * rng.sym();
    return q;
  }
};

template <class Mem>
json evaluate(const Mem& mem, const needle_stream& s, std::vector<float> q, bool timeline) {
  std::array<int, 4> owner{-1, -1, -1, -1};
  int idx = 0;
  json kept_entries = json::array();
  mem.for_each([&](const memory_item& it) {
    if (!it.entry.is_protected) {
      int needles_here = 0;
      for (auto f : it.entry.merged)
        for (std::size_t n = 0; n < 4; ++n)
          if (f == s.needles[n]) {
            owner[n] = idx;
            ++needles_here;
          }
      if (timeline)
        kept_entries.push_back(
            {it.entry.merged.front(), it.entry.merged.back(), it.entry.merged.size(), it.entry.tokens, needles_here});
    }
    ++idx;
  });
  bool kept = true;
  for (std::size_t n = 0; n < 4; ++n) kept = kept && owner[n] >= 0 && (n == 0 || owner[n] != owner[n - 1]);
  const auto hits = retrieve(mem, frame_view(q.data(), 16, s.dim), {.k = 4});
  std::vector<std::uint64_t> order;
  for (const auto& h : hits) {
    int n_in = 0;
    std::uint64_t which = 0;
    for (auto f : h.entry->merged)
      if (s.is_needle(f)) {
        ++n_in;
        which = f;
      }
    if (n_in == 1) order.push_back(which);
  }
  const bool recalled = order.size() == 4 && std::equal(order.begin(), order.end(), s.needles.begin());
  json r = {{"kept", kept}, {"recalled", recalled}, {"retrieved_needles", order}};
  if (timeline) r["entries"] = kept_entries;
  return r;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"VSR-like needle recall for every predsense memory policy"};
  std::vector<std::size_t> minutes = {10, 30, 60, 120, 240};
  std::size_t seeds = 10, dim = 64, budget = 8192, window = 32, timeline_minutes = 0;
  double threshold = 0.1;
  std::string out_path;
  namespace t = predsense::tools;
  app.add_option("--minutes", minutes, "stream lengths in minutes (1 fps), comma-separated")
      ->delimiter(',')
      ->check(t::count_in(1, 1440));
  app.add_option("--seeds", seeds, "streams per length")->check(t::count_in(1, 1000));
  app.add_option("--dim", dim, "token dimension")->check(t::count_in(1, 4096));
  app.add_option("--budget", budget, "long-term token budget (>= 64, one frame)")->check(t::count_in(64, 1u << 24));
  app.add_option("--window", window, "sensory window (frames)")->check(t::count_in(0, 4096));
  app.add_option("--threshold", threshold, "surprise threshold (pooling and drop_merge)")->check(t::real_in(-1e6, 1e6));
  app.add_option("--timeline-minutes", timeline_minutes, "also dump seed 0's kept entries at this length")
      ->check(t::count_in(0, 1440));
  app.add_option("-o,--output", out_path, "JSON output (default stdout)");
  return t::run_tool("predsense-memory-recall", app, argc, argv, [&] {
    if (timeline_minutes != 0 && std::find(minutes.begin(), minutes.end(), timeline_minutes) == minutes.end())
      throw t::bad_input("--timeline-minutes " + std::to_string(timeline_minutes) + " is not one of --minutes");
    t::io_paths paths;
    paths.output(out_path, "-o");
    paths.check();

    const memory_params cfg{window, budget};
    const pool_when_unsurprising pool{threshold, 2, pool_edge::floor};
    const std::array<const char*, 7> names = {
        "drop_merge", "drop", "similarity_merge", "surprise_reservoir", "sinks_recent", "uniform_stride", "fifo"};
    json results = json::object();
    json timeline;
    for (auto m : minutes) {
      const std::size_t n = m * 60;
      std::array<int, 7> kept{}, recalled{};
      for (std::size_t seed = 0; seed < seeds; ++seed) {
        auto stores = std::make_tuple(
            memory_store<pool_when_unsurprising, drop_merge>(cfg, pool, drop_merge{threshold}),
            memory_store<pool_when_unsurprising, drop_least_surprising>(cfg, pool),
            memory_store<pool_when_unsurprising, similarity_merge>(cfg, pool),
            memory_store<pool_when_unsurprising, surprise_reservoir>(cfg, pool, surprise_reservoir{seed}),
            memory_store<pool_when_unsurprising, sinks_recent>(cfg, pool),
            memory_store<pool_when_unsurprising, uniform_stride>(cfg, pool),
            memory_store<pool_when_unsurprising, fifo>(cfg, pool));
        needle_stream s(n, dim, seed * 1000 + m);
        std::vector<double> surprise(n);
        for (std::size_t t = 0; t < n; ++t) {
          s.next(t);
          surprise[t] = t == 0 ? 1.0 : kernels::token_cosine_distance(s.prev.data(), s.cur.data(), kTokens, dim);
          const frame_view f(s.cur.data(), kTokens, dim);
          std::apply([&](auto&... mem) { (mem.push(f, surprise[t], {kSide, kSide}), ...); }, stores);
        }
        std::apply([&](auto&... mem) { (mem.flush(), ...); }, stores);
        const bool want_timeline = seed == 0 && m == timeline_minutes;
        const auto q = s.query();
        std::size_t i = 0;
        json per;
        std::apply(
            [&](auto&... mem) {
              ((per[names[i]] = evaluate(mem, s, q, want_timeline), kept[i] += per[names[i]]["kept"].get<bool>(),
                recalled[i] += per[names[i]]["recalled"].get<bool>(), ++i),
               ...);
            },
            stores);
        if (want_timeline) {
          timeline = {{"minutes", m}, {"needles", s.needles}, {"surprise", surprise}, {"policies", per}};
        }
      }
      for (std::size_t i = 0; i < names.size(); ++i)
        results[names[i]][std::to_string(m)] = {
            {"kept", static_cast<double>(kept[i]) / static_cast<double>(seeds)},
            {"recalled", static_cast<double>(recalled[i]) / static_cast<double>(seeds)}};
    }
    json out = {{"config",
                 {{"budget", budget},
                  {"window", window},
                  {"threshold", threshold},
                  {"dim", dim},
                  {"seeds", seeds},
                  {"minutes", minutes}}},
                {"results", results}};
    if (!timeline.is_null()) out["timeline"] = timeline;
    t::emit(out_path, out.dump() + "\n", "-o");
  });
}
