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
//
// With --devset DIR (scripts/make_recall_devset.py writes DIR) the streams are real footage instead
// (tools/recall_devset.hpp): per policy, budget (--budgets) and length, over seeds --first-seed ..
// --first-seed + --seeds - 1: "kept" (all four needles in entries of their own), "recalled" (the
// top 4 of late-interaction retrieval, in time order, are the four needles in order) and the
// needles' mean rank under late interaction; keep-all, FIFO and uniform stride are baselines in the
// same run, and with every frame kept the needles in the top 4 under token-mean, late-interaction
// and coarse-to-fine retrieval. --encoder pixels uses raw pixel patches instead of the patch
// embedder. peak_preserving's parameters: --z-pool, --z-peak, --z-merge, --radius, --trailing,
// --transient-gain.
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
#include "predsense/memory/policies/peak_preserving.hpp"
#include "predsense/memory/policies/pool_relative.hpp"
#include "predsense/kernels/random.hpp"
#include "recall_devset.hpp"
#include "support/cli.hpp"

namespace {

using namespace predsense;
using predsense::tools::json;

constexpr std::size_t kTokens = 64, kSide = 8, grid_tokens = 64;

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
  const auto hits = retrieve(mem, frame_view(q.data(), 16, s.dim), {.k = 4, .order = retrieval_order::time});
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

// ---- real footage (--devset) ----------------------------------------------------------------------
struct devset_options {
  std::string dir, encoder = "patch";
  std::vector<std::size_t> minutes, budgets;
  std::size_t seeds = 6, first_seed = 0, window = 32, radius = peak_preserving{}.radius,
              trailing = peak_preserving{}.window, shortlist_pct = 10;
  std::vector<std::size_t> query_tokens{1, 2};
  double query_inner = 0.5, informative = 1.0;
  bool calibrate = false;
  double threshold = 0.1;
  // peak_preserving's library defaults (chosen on seeds 0-5; docs/memory.md reports other seeds)
  double z_pool = pool_relative{}.z, z_peak = peak_preserving{}.z_peak, z_merge = peak_preserving{}.z_merge,
         gain = peak_preserving{}.transient_gain;
};

struct needle_score {
  bool kept = false, recalled = false;
  std::array<std::size_t, 4> rank{};  // 1-based rank of each needle's entry (0: not kept)
  std::size_t entries = 0;
  int top4 = 0;                  // needles whose entry (holding that needle alone) is in the top 4
  json holders = json::array();  // per needle: [first frame, last frame, frames] of its entry, or null
};

template <class Mem>
needle_score score_memory(const Mem& mem, const recall_devset::stream& s, const frame_view& q,
                          const retrieval_params& how) {
  needle_score r;
  auto needle_of = [&](const memory_entry& e) {  // the needle this entry holds alone, or -1
    int which = -1, count = 0;
    for (auto f : e.merged)
      for (int n = 0; n < 4; ++n)
        if (f == s.needles[static_cast<std::size_t>(n)].frame) which = n, ++count;
    return count == 1 ? which : -1;
  };
  std::array<int, 4> owner{-1, -1, -1, -1};
  int idx = 0;
  std::array<json, 4> held;
  mem.for_each([&](const memory_item& it) {
    const int n = needle_of(it.entry);
    if (n >= 0) owner[static_cast<std::size_t>(n)] = idx;
    for (auto f : it.entry.merged)
      for (std::size_t k = 0; k < 4; ++k)
        if (f == s.needles[k].frame)
          held[k] = {it.entry.merged.front(), it.entry.merged.back(), it.entry.merged.size()};
    ++idx;
  });
  for (auto& h : held) r.holders.push_back(h);
  r.entries = static_cast<std::size_t>(idx);
  r.kept = std::all_of(owner.begin(), owner.end(), [](int o) { return o >= 0; });
  retrieval_params all = how;
  all.k = r.entries;
  const auto ranked = retrieve(mem, q, all);
  std::vector<std::pair<std::uint64_t, int>> top;  // (frame, needle) of the top 4
  for (std::size_t i = 0; i < ranked.size(); ++i) {
    const int n = needle_of(*ranked[i].entry);
    if (n >= 0) r.rank[static_cast<std::size_t>(n)] = i + 1;
    if (i < 4) {
      top.emplace_back(ranked[i].frame, n);
      r.top4 += n >= 0;
    }
  }
  std::sort(top.begin(), top.end());
  r.recalled = top.size() == 4;
  for (std::size_t i = 0; i < top.size(); ++i) r.recalled = r.recalled && top[i].second == static_cast<int>(i);
  return r;
}

json run_devset(const devset_options& o) {
  const auto src = recall_devset::load(o.dir);
  const bool pixels = o.encoder == "pixels";
  const patch_embedder emb({.grid = recall_devset::grid, .dim = 64, .seed = 1});
  const retrieval_params late{
      .scoring = retrieval_scoring::late_interaction, .informative = o.informative, .calibrate = o.calibrate};
  const std::array<const char*, 5> names = {"drop_merge", "drop", "fifo", "uniform_stride", "peak_preserving"};
  // results[policy][budget][minutes] -> sums over seeds
  struct acc {
    double kept = 0, recalled = 0, rank_sum = 0, rank_n = 0, top4 = 0;
    void add(const needle_score& x) {
      kept += x.kept, recalled += x.recalled, top4 += x.top4;
      for (auto k : x.rank)
        if (k) rank_sum += static_cast<double>(k), rank_n += 1;
    }
    json out(double seeds) const {
      return {{"kept", kept / seeds},
              {"recalled", recalled / seeds},
              {"mean_rank", rank_n ? rank_sum / rank_n : 0.0},
              {"top4", top4 / (4 * seeds)}};
    }
  };
  json results = json::object(), keep_all = json::object(), per_stream = json::array();
  for (auto m : o.minutes) {
    const std::size_t n = m * 60;
    std::vector<std::array<acc, 5>> per(o.budgets.size());
    acc all_tm, all_li, all_sl, all_keep;
    for (std::size_t seed = o.first_seed; seed < o.first_seed + o.seeds; ++seed) {
      recall_devset::stream s(src, n, seed * 1000 + m);
      using ref_t = memory_store<pool_when_unsurprising, drop_merge>;
      using drop_t = memory_store<pool_when_unsurprising, drop_least_surprising>;
      using fifo_t = memory_store<pool_when_unsurprising, fifo>;
      using uni_t = memory_store<pool_when_unsurprising, uniform_stride>;
      using mine_t = memory_store<pool_relative, peak_preserving>;
      std::vector<std::tuple<ref_t, drop_t, fifo_t, uni_t, mine_t>> stores;
      for (auto b : o.budgets) {
        const memory_params cfg{o.window, b};
        stores.emplace_back(make_cambrian_memory<drop_merge>(o.threshold, cfg),
                            make_cambrian_memory<drop_least_surprising>(o.threshold, cfg),
                            make_cambrian_memory<fifo>(o.threshold, cfg),
                            make_cambrian_memory<uniform_stride>(o.threshold, cfg),
                            mine_t(cfg, pool_relative(o.z_pool, o.trailing),
                                   peak_preserving(o.radius, o.trailing, o.z_peak, o.z_merge, o.gain)));
      }
      memory_store<no_compression, fifo> everything({o.window, (n + 1) * grid_tokens});
      std::vector<std::uint8_t> rgb;
      frame_buffer cur, prev;
      std::vector<double> needle_s, all_s;
      for (std::size_t t = 0; t < n; ++t) {
        s.render(t, rgb);
        if (pixels)
          recall_devset::pixel_patches(rgb.data(), recall_devset::frame_side, recall_devset::grid, cur);
        else
          emb.embed(rgb, recall_devset::frame_side, recall_devset::frame_side, cur);
        const double surprise =
            t == 0 ? 1.0 : kernels::token_cosine_distance(prev.data(), cur.data(), cur.tokens(), cur.dim());
        all_s.push_back(surprise);
        if (s.is_needle(t)) needle_s.push_back(surprise);
        const frame_view f = cur.view();
        const grid_shape g{recall_devset::grid, recall_devset::grid};
        for (auto& tup : stores) std::apply([&](auto&... mem) { (mem.push(f, surprise, g), ...); }, tup);
        everything.push(f, surprise, g);
        std::swap(cur, prev);
      }
      // the query: crops of the object at each of the --query-tokens scales, tokens concatenated
      std::vector<float> qrows;
      for (const std::size_t qt : o.query_tokens) {
        const std::size_t qside = 16 * qt;
        const auto qimg = s.query_image(qside, o.query_inner);
        frame_buffer part;
        if (pixels)
          recall_devset::pixel_patches(qimg.data(), qside, qt, part);
        else
          patch_embedder({.grid = qt, .dim = 64, .seed = 1}).embed(qimg, qside, qside, part);
        qrows.insert(qrows.end(), part.data(), part.data() + part.tokens() * part.dim());
      }
      const std::size_t qdim = pixels ? 48 : 64;
      frame_buffer q(qrows.size() / qdim, qdim);
      std::copy(qrows.begin(), qrows.end(), q.data());
      json needle_frames = json::array();
      for (const auto& p : s.needles) needle_frames.push_back(p.frame);
      json stream_row = {{"minutes", m}, {"seed", seed}, {"needles", needle_frames}, {"needle_surprise", needle_s}};
      for (std::size_t bi = 0; bi < o.budgets.size(); ++bi) {
        std::size_t i = 0;
        needle_score score;
        std::apply(
            [&](auto&... mem) {
              ((mem.flush(), score = score_memory(mem, s, q.view(), late), per[bi][i].add(score),
                stream_row["kept"][names[i]][std::to_string(o.budgets[bi])] = score.kept,
                stream_row["holders"][names[i]][std::to_string(o.budgets[bi])] = score.holders, ++i),
               ...);
            },
            stores[bi]);
      }
      everything.flush();
      all_keep.add(score_memory(everything, s, q.view(), late));
      all_li.add(score_memory(everything, s, q.view(), late));
      all_tm.add(score_memory(everything, s, q.view(), {}));
      retrieval_params sl = late;
      sl.shortlist = std::max<std::size_t>(4, everything.long_term().size() * o.shortlist_pct / 100);
      all_sl.add(score_memory(everything, s, q.view(), sl));
      per_stream.push_back(stream_row);
    }
    const auto seeds = static_cast<double>(o.seeds);
    for (std::size_t bi = 0; bi < o.budgets.size(); ++bi)
      for (std::size_t i = 0; i < names.size(); ++i)
        results[names[i]][std::to_string(o.budgets[bi])][std::to_string(m)] = per[bi][i].out(seeds);
    results["keep_all"]["all"][std::to_string(m)] = all_keep.out(seeds);
    keep_all[std::to_string(m)] = {{"token_mean", all_tm.out(seeds)},
                                   {"late_interaction", all_li.out(seeds)},
                                   {"coarse_to_fine", all_sl.out(seeds)}};
  }
  return {{"config",
           {{"devset", o.dir},
            {"encoder", o.encoder},
            {"minutes", o.minutes},
            {"budgets", o.budgets},
            {"seeds", o.seeds},
            {"first_seed", o.first_seed},
            {"window", o.window},
            {"threshold", o.threshold},
            {"peak_preserving",
             {{"z_pool", o.z_pool},
              {"z_peak", o.z_peak},
              {"z_merge", o.z_merge},
              {"radius", o.radius},
              {"trailing", o.trailing},
              {"transient_gain", o.gain}}},
            {"shortlist_percent", o.shortlist_pct},
            {"query",
             {{"tokens_per_side", o.query_tokens},
              {"inner", o.query_inner},
              {"informative", o.informative},
              {"calibrate", o.calibrate}}}}},
          {"results", results},
          {"retrieval_keep_all", keep_all},
          {"streams", per_stream}};
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
  devset_options dv;
  dv.budgets = {2048, 8192};
  app.add_option("--devset", dv.dir, "real-footage streams from this folder (scripts/make_recall_devset.py)");
  app.add_option("--encoder", dv.encoder, "--devset: patch (the patch embedder) or pixels (raw pixel patches)")
      ->check(CLI::IsMember({"patch", "pixels"}));
  app.add_option("--budgets", dv.budgets, "--devset: token budgets, comma-separated")
      ->delimiter(',')
      ->check(t::count_in(64, 1u << 24));
  app.add_option("--first-seed", dv.first_seed, "--devset: first seed")->check(t::count_in(0, 1000000));
  app.add_option("--z-pool", dv.z_pool, "--devset: pool_relative's z")->check(t::real_in(-1e3, 1e3));
  app.add_option("--z-peak", dv.z_peak, "--devset: peak_preserving's z_peak")->check(t::real_in(-1e3, 1e3));
  app.add_option("--z-merge", dv.z_merge, "--devset: peak_preserving's z_merge")->check(t::real_in(-1e3, 1e3));
  app.add_option("--transient-gain", dv.gain, "--devset: peak_preserving's transient_gain")->check(t::real_in(0, 1e3));
  app.add_option("--radius", dv.radius, "--devset: peak_preserving's radius")->check(t::count_in(0, 1000));
  app.add_option("--trailing", dv.trailing, "--devset: trailing window of the z-scores")->check(t::count_in(1, 100000));
  app.add_option("--query-tokens", dv.query_tokens,
                 "--devset: the query is crops of N x N tokens (16 px each), one per N, comma-separated")
      ->delimiter(',')
      ->check(t::count_in(1, 8));
  app.add_option("--query-inner", dv.query_inner, "--devset: fraction of the cut-out the query crop spans")
      ->check(t::real_in(0.1, 1.0));
  app.add_option("--informative", dv.informative, "--devset: late interaction's informative fraction")
      ->check(t::real_in(0.01, 1.0));
  app.add_flag("--calibrate", dv.calibrate, "--devset: late interaction with calibrated query tokens");
  app.add_option("--shortlist-percent", dv.shortlist_pct, "--devset: coarse-to-fine shortlist, percent of entries")
      ->check(t::count_in(1, 100));
  return t::run_tool("predsense-memory-recall", app, argc, argv, [&] {
    if (timeline_minutes != 0 && std::find(minutes.begin(), minutes.end(), timeline_minutes) == minutes.end())
      throw t::bad_input("--timeline-minutes " + std::to_string(timeline_minutes) + " is not one of --minutes");
    t::io_paths paths;
    paths.output(out_path, "-o");
    paths.check();
    if (!dv.dir.empty()) {
      dv.minutes = app.count("--minutes") ? minutes : std::vector<std::size_t>{10, 30, 60};
      dv.seeds = app.count("--seeds") ? seeds : 6;
      dv.window = window;
      dv.threshold = threshold;
      t::emit(out_path, run_devset(dv).dump() + "\n", "-o");
      return;
    }

    const memory_params cfg{window, budget};
    const pool_when_unsurprising pool{threshold, 2, pool_edge::floor};
    const std::array<const char*, 8> names = {
        "drop_merge",     "drop", "similarity_merge", "surprise_reservoir", "sinks_recent",
        "uniform_stride", "fifo", "peak_preserving"};
    json results = json::object();
    json timeline;
    for (auto m : minutes) {
      const std::size_t n = m * 60;
      std::array<int, 8> kept{}, recalled{};
      for (std::size_t seed = 0; seed < seeds; ++seed) {
        auto stores = std::make_tuple(
            memory_store<pool_when_unsurprising, drop_merge>(cfg, pool, drop_merge{threshold}),
            memory_store<pool_when_unsurprising, drop_least_surprising>(cfg, pool),
            memory_store<pool_when_unsurprising, similarity_merge>(cfg, pool),
            memory_store<pool_when_unsurprising, surprise_reservoir>(cfg, pool, surprise_reservoir{seed}),
            memory_store<pool_when_unsurprising, sinks_recent>(cfg, pool),
            memory_store<pool_when_unsurprising, uniform_stride>(cfg, pool),
            memory_store<pool_when_unsurprising, fifo>(cfg, pool), memory_store<>(cfg));
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
