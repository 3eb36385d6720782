// predsense-vsc - VSI-SUPER-Count-style counting on the synthetic VSC world, with the VSC-Repeat
// test: the same tour played 1-5 times (the true count does not change).
//
//   predsense-vsc [--repeat K] [--minutes M] [--seed S] [--seeds N] [--threshold X]
//                 [--json OUT.json] [--trace OUT.json] [world options: --view-noise --class-share
//                 --twin-prob --miss-prob --fp-rate --identical-replays]
//
// For every tour length (10/30/60/120 min at 1 fps unless --minutes) and repeat factor (1..5
// unless --repeat) it builds N worlds (seeds S..S+N-1), runs surprise (token cosine distance to
// the previous frame) -> boundaries where surprise > X (Cambrian-S VSC rule, threshold_segmenter)
// -> per-segment instance counts (merge_within_segment) -> each aggregator, and prints the MRA per
// aggregator: the mean over questions "how many <class>?" (one per class present in the world,
// per seed). --json writes {aggregator: {"repeat_k": {"mra": x, "minutes": {"M": {...}}}}}, where
// "mra" is the mean over the lengths run; --trace writes predicted and true counts after every
// segment (seed S, class 0) for plotting. Exit codes, option ranges and output rules:
// tools/support/cli.hpp (bad arguments: message naming the option, exit code 2, nothing written).
#include <chrono>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <iostream>
#include <map>
#include <string>
#include <vector>

#include "predsense/core/error.hpp"
#include "predsense/synthetic/vsc_count.hpp"
#include "predsense/eval/mra.hpp"
#include "predsense/synthetic/vsc_world.hpp"
#include "support/cli.hpp"

using json = nlohmann::json;
using predsense::invalid_argument_error;

namespace {

std::string fmt(double x) {
  char b[32];
  std::snprintf(b, sizeof b, "%.3f", x);
  return b;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"VSI-SUPER Count on the synthetic VSC world: MRA per count aggregator, repeat 1..5."};
  int repeat = 0;
  double minutes = 0.0, threshold = predsense::vsc_count_params{}.surprise_threshold;
  std::int64_t seed = 1, seeds = 3;
  std::string json_out, trace_out;
  const predsense::vsc_world_params defaults;
  double view_noise = defaults.view_noise, class_share = defaults.class_share, twin_prob = defaults.twin_prob,
         miss_prob = defaults.miss_prob, fp_rate = defaults.false_positive_rate;
  bool identical = false;
  const predsense::vsc_count_params count_defaults;
  double within_threshold = count_defaults.within.threshold, match_threshold = count_defaults.match_threshold;
  namespace t = predsense::tools;
  const auto prob = t::real_in(0.0, 1.0), cosine = t::real_in(-1.0, 1.0);
  app.add_option("--repeat", repeat, "play the tour K times (default: each of 1..5)")->check(t::count_in(1, 100));
  app.add_option("--minutes", minutes, "tour length in minutes at 1 fps (default: each of 10, 30, 60, 120)")
      ->check(t::real_in(1.0 / 60.0, 1440.0));
  app.add_option("--seed", seed, "first world seed (default 1)")->check(t::count_in(0, std::uint64_t{1} << 53));
  app.add_option("--seeds", seeds, "worlds per setting (default 3)")->check(t::count_in(1, 1000));
  app.add_option("--threshold", threshold, "surprise threshold for a boundary (default 0.5)")
      ->check(t::real_in(-2.0, 2.0));
  app.add_option("--within-threshold", within_threshold, "cosine joining detections within a segment (default 0.55)")
      ->check(cosine);
  app.add_option("--match-threshold", match_threshold, "cosine matching instances across segments (default 0.65)")
      ->check(cosine);
  app.add_option("--view-noise", view_noise, "world: detection embedding noise (default 0.7)")
      ->check(t::real_in(0.0, 100.0));
  app.add_option("--class-share", class_share, "world: class direction's share of an identity (default 0.4)")
      ->check(prob);
  app.add_option("--twin-prob", twin_prob, "world: probability of a look-alike twin (default 0.15)")->check(prob);
  app.add_option("--miss-prob", miss_prob, "world: per-frame miss probability (default 0.3)")->check(prob);
  app.add_option("--fp-rate", fp_rate, "world: false positives per frame (default 0.2)")->check(t::real_in(0.0, 100.0));
  app.add_flag("--identical-replays", identical, "world: replays reuse the first play's rendering");
  app.add_option("--json", json_out, "write {aggregator: {repeat_k: {mra, minutes}}} to this file");
  app.add_option("--trace", trace_out, "write predicted vs true count after every segment to this file");
  return t::run_tool("predsense-vsc", app, argc, argv, [&] {
    {
      if (app.count("--repeat") && (repeat < 1 || repeat > 100))
        throw invalid_argument_error("--repeat must be in [1, 100], got " + std::to_string(repeat));
      if (app.count("--minutes") && !(minutes > 0.0 && minutes <= 1440.0 && minutes * 60.0 >= 1.0))
        throw invalid_argument_error("--minutes must be in [1/60, 1440], got " + std::to_string(minutes));
      if (seed < 0) throw invalid_argument_error("--seed must be >= 0, got " + std::to_string(seed));
      if (seeds < 1 || seeds > 1000)
        throw invalid_argument_error("--seeds must be in [1, 1000], got " + std::to_string(seeds));
      if (!std::isfinite(threshold)) throw invalid_argument_error("--threshold must be finite");
      {  // world options: let the world's own validation name the field, before any work
        predsense::vsc_world_params c;
        c.minutes = 1;
        c.view_noise = view_noise;
        c.class_share = class_share;
        c.twin_prob = twin_prob;
        c.miss_prob = miss_prob;
        c.false_positive_rate = fp_rate;
        const predsense::vsc_world probe(c);
      }
      t::io_paths paths;
      paths.output(json_out, "--json");
      paths.output(trace_out, "--trace");
      paths.check();

      const std::vector<double> lengths =
          app.count("--minutes") ? std::vector<double>{minutes} : std::vector<double>{10, 30, 60, 120};
      std::vector<int> repeats;
      if (app.count("--repeat"))
        repeats.push_back(repeat);
      else
        for (int k = 1; k <= 5; ++k) repeats.push_back(k);

      predsense::vsc_count_params params;
      params.surprise_threshold = threshold;
      params.within.threshold = within_threshold;
      params.match_threshold = match_threshold;
      {  // let the aggregators' own validation name a bad threshold, before any work
        const predsense::dedup_aggregator probe(predsense::dedup_params{match_threshold});
        const auto none = predsense::merge_within_segment({}, 1, params.within);
      }
      constexpr std::size_t A = predsense::vsc_aggregators;
      const auto& names = predsense::vsc_aggregator_names;

      json results = json::object(), trace = json::array();
      // mra[agg][repeat][length]
      std::map<int, std::map<double, std::array<double, A>>> table;
      double max_count_s = 0.0;
      for (double len : lengths)
        for (int k : repeats) {
          std::array<double, A> mra_sum{};
          std::array<double, A> pred_sum{};
          double truth_sum = 0.0, segments = 0.0, count_s = 0.0;
          std::size_t questions = 0;
          for (std::int64_t s = 0; s < seeds; ++s) {
            predsense::vsc_world_params c;
            c.minutes = len;
            c.repeat = std::size_t(k);
            c.seed = std::uint64_t(seed + s);
            c.view_noise = view_noise;
            c.class_share = class_share;
            c.twin_prob = twin_prob;
            c.miss_prob = miss_prob;
            c.false_positive_rate = fp_rate;
            c.identical_replays = identical;
            const predsense::vsc_world w(c);
            const bool want_trace = !trace_out.empty() && s == 0;
            const auto t0 = std::chrono::steady_clock::now();
            const auto r = predsense::vsc_count(w, params, want_trace);
            count_s += std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
            segments += double(r.segment_starts.size());
            for (const auto& q : r.classes) {
              if (q.truth == 0) continue;  // VSC asks only about classes present in the video
              ++questions;
              truth_sum += double(q.truth);
              for (std::size_t a = 0; a < A; ++a) {
                mra_sum[a] += predsense::mean_relative_accuracy(double(q.pred[a]), double(q.truth));
                pred_sum[a] += double(q.pred[a]);
              }
            }
            if (want_trace && !r.classes.empty()) {
              const auto& q = r.classes.front();
              json tr = {{"minutes", len},
                         {"repeat", k},
                         {"seed", c.seed},
                         {"label", q.label},
                         {"tour_frames", w.tour_frames()}};
              std::vector<std::size_t> ts, truth;
              std::vector<std::vector<std::size_t>> preds(A);
              for (const auto& p : q.trace) {
                ts.push_back(p.t);
                truth.push_back(p.truth);
                for (std::size_t a = 0; a < A; ++a) preds[a].push_back(p.pred[a]);
              }
              tr["t"] = ts;
              tr["truth"] = truth;
              for (std::size_t a = 0; a < A; ++a) tr[names[a]] = preds[a];
              trace.push_back(std::move(tr));
            }
          }
          if (questions == 0) throw invalid_argument_error("no class is present in any world (minutes too short?)");
          max_count_s = std::max(max_count_s, count_s / double(seeds));
          const std::string len_key = len == std::floor(len) ? std::to_string(std::int64_t(len)) : json(len).dump();
          for (std::size_t a = 0; a < A; ++a) {
            const double m = mra_sum[a] / double(questions);
            table[k][len][a] = m;
            auto& slot = results[names[a]]["repeat_" + std::to_string(k)];
            slot["minutes"][len_key] = {{"mra", m},
                                        {"pred_mean", pred_sum[a] / double(questions)},
                                        {"truth_mean", truth_sum / double(questions)},
                                        {"questions", questions},
                                        {"segments_mean", segments / double(seeds)}};
          }
        }
      // "mra" per repeat = mean over the lengths run
      for (std::size_t a = 0; a < A; ++a)
        for (int k : repeats) {
          double s = 0.0;
          for (double len : lengths) s += table[k][len][a];
          results[names[a]]["repeat_" + std::to_string(k)]["mra"] = s / double(lengths.size());
        }

      // table: one block per aggregator, rows = repeat, columns = length
      std::cout << "MRA (mean over " << seeds << " world(s) x classes present), surprise threshold " << threshold
                << "\n";
      std::cout << "aggregator     repeat";
      for (double len : lengths)
        std::cout << "  " << std::string(6 - std::min<std::size_t>(6, fmt(len).size() - 4), ' ')
                  << fmt(len).substr(0, fmt(len).size() - 4) << "min";
      std::cout << "\n";
      for (std::size_t a = 0; a < A; ++a)
        for (int k : repeats) {
          std::string name = names[a];
          name.resize(14, ' ');
          std::cout << name << " " << k << "x    ";
          for (double len : lengths) std::cout << "     " << fmt(table[k][len][a]);
          std::cout << "\n";
        }
      std::cout << "slowest counting run (surprise + segmentation + all aggregators, per world): "
                << fmt(max_count_s * 1e3) << " ms\n";

      t::staged_outputs outs;  // both files or neither
      if (!json_out.empty()) outs.write(json_out, results.dump(2) + "\n", "--json");
      if (!trace_out.empty()) outs.write(trace_out, trace.dump() + "\n", "--trace");
      outs.commit();
    }
  });
}
