// predsense-predictor-eval - AUROC of each predictor's surprise for scene changes, on generated
// streams (tools/predictor_eval.hpp), averaged over seeds. Prints the markdown table of
// docs/predictors.md.
//
//   predsense-predictor-eval [--seeds 5] [--frames 600] [--tokens 16] [--dim 64]
// Ranges (exit 2 outside them): --seeds 1..1000, --frames 100..10^6 (streams need scene
// boundaries to score), --tokens 1..1024, --dim 1..1024.

#include <cmath>
#include <cstdio>
#include <functional>
#include <string>
#include <vector>

#include "predictor_eval.hpp"
#include "predsense/predictors/copy_last.hpp"
#include "predsense/predictors/ema_predictor.hpp"
#include "predsense/predictors/lfp_predictor.hpp"
#include "predsense/predictors/rls_predictor.hpp"
#include "support/cli.hpp"

using namespace predsense;

int main(int argc, char** argv) {
  CLI::App app{"AUROC of predictor surprise for scene boundaries on generated streams"};
  std::size_t seeds = 5, frames = 600, tokens = 16, dim = 64;
  namespace t = predsense::tools;
  app.add_option("--seeds", seeds, "streams per predictor and kind (mean +- sd over them)")
      ->check(t::count_in(1, 1000));
  app.add_option("--frames", frames, "frames per stream")->check(t::count_in(100, 1000000));
  app.add_option("--tokens", tokens, "tokens per frame")->check(t::count_in(1, 1024));
  app.add_option("--dim", dim, "token dimension")->check(t::count_in(1, 1024));
  return t::run_tool("predsense-predictor-eval", app, argc, argv, [&] {
    struct entry {
      std::string name;
      std::function<std::vector<double>(const tools::labelled_stream&)> run;
    };
    const auto lfp = [dim](std::uint64_t seed) {
      lfp_head head(dim, dim);
      head.init_uniform(seed);
      lfp_predictor_params c;
      c.residual = true;
      c.train.lr = 3e-3;
      lfp_predictor p(head, c);
      p.zero_output_layer();
      return p;
    };
    std::vector<entry> entries = {
        {"copy_last (Cambrian-S ablation)",
         [](const auto& s) {
           copy_last p;
           return tools::surprises(p, s);
         }},
        {"ema_predictor alpha=0.5",
         [](const auto& s) {
           ema_predictor p(0.5);
           return tools::surprises(p, s);
         }},
        {"ema_predictor alpha=0.2",
         [](const auto& s) {
           ema_predictor p(0.2);
           return tools::surprises(p, s);
         }},
        {"rls_predictor per_token (lambda 0.98)",
         [](const auto& s) {
           rls_predictor p;
           return tools::surprises(p, s);
         }},
        {"rls_predictor per_token (lambda 1, ridge 10)",
         [](const auto& s) {
           rls_predictor p(rls_params{rls_mode::per_token, 1.0, 10.0, true, true, 1});
           return tools::surprises(p, s);
         }},
        {"rls_predictor pooled",
         [](const auto& s) {
           rls_predictor p(rls_params{rls_mode::pooled});
           return tools::surprises(p, s);
         }},
        {"lfp_predictor residual, online Adam",
         [&](const auto& s) {
           auto p = lfp(7);
           return tools::surprises(p, s);
         }},
    };
    const char* stream_names[2] = {"drift", "pan"};
    std::printf("| predictor | drift AUROC | pan AUROC |\n|---|---|---|\n");
    for (const auto& e : entries) {
      std::printf("| %s |", e.name.c_str());
      for (int k = 0; k < 2; ++k) {
        double sum = 0.0, sq = 0.0;
        for (std::size_t seed = 1; seed <= seeds; ++seed) {
          const auto s =
              k == 0 ? tools::drift_stream(frames, tokens, dim, seed) : tools::pan_stream(frames, tokens, dim, seed);
          const double a = tools::auroc(e.run(s), s.boundaries);
          sum += a;
          sq += a * a;
        }
        const double m = sum / double(seeds), sd = std::sqrt(std::max(0.0, sq / double(seeds) - m * m));
        if (!std::isfinite(m))  // a stream without boundaries has no AUROC: say so, not "nan"
          throw t::bad_input("--frames " + std::to_string(frames) +
                             ": the generated streams have no scene boundary to score");
        std::printf(" %.3f ± %.3f |", m, sd);
      }
      std::printf("\n");
      std::fflush(stdout);
    }
    std::fprintf(stderr, "streams: %s and %s, %zu frames of %zu x %zu, %zu seeds\n", stream_names[0], stream_names[1],
                 frames, tokens, dim, seeds);
  });
}
