// predsense-demo: stream a generated latent sequence with scene changes through a predictor and
// the Cambrian-S surprise metric, and print the per-frame surprise table.
//
// The predictor here is written in this file on purpose: any type with observe(frame_view) and
// predict(frame_buffer&) satisfies predsense::latent_predictor and plugs in. This one is the
// paper's ablation baseline, "copy the last frame".
#include <predsense/core/concepts.hpp>
#include <predsense/synthetic/synthetic_stream.hpp>
#include <predsense/kernels/simd.hpp>
#include <predsense/surprise/token_cosine_distance.hpp>
#include <predsense/surprise/zscore_normalizer.hpp>

#include <algorithm>
#include <cstdio>
#include <exception>
#include <string_view>

namespace {

struct last_frame_predictor {
  predsense::frame_buffer last;
  void observe(predsense::frame_view f) { last.assign(f); }
  void predict(predsense::frame_buffer& out) const { out.assign(last); }
};
static_assert(predsense::latent_predictor<last_frame_predictor>);

}  // namespace

int main(int argc, char** argv) try {
  // The demo takes no options: anything on the command line is a usage error (exit 2), not ignored.
  if (argc > 1) {
    if (std::string_view(argv[1]) == "--help" || std::string_view(argv[1]) == "-h") {
      std::printf(
          "usage: predsense-demo\n  streams a generated latent sequence through copy-last + the Cambrian-S "
          "surprise and prints the per-frame table; no options\n");
      return std::fflush(stdout) == 0 ? 0 : 2;
    }
    std::fprintf(stderr, "predsense-demo: error: unexpected argument '%s' (the demo takes no options; see --help)\n",
                 argv[1]);
    return 2;
  }
  const predsense::synthetic_stream_params cfg{
      .frames = 48,
      .tokens = 64,
      .dim = 1152,  // SigLIP-sized tokens, as in Cambrian-S
      .mean_scene_length = 12,
      .seed = 7,
  };
  const predsense::synthetic_stream stream(cfg);

  last_frame_predictor predictor;
  predsense::token_cosine_distance metric;
  predsense::zscore_normalizer z;
  predsense::frame_buffer guess;

  std::printf("predsense demo: %zu frames of %zux%zu latents, SIMD width %zu floats\n", stream.size(), cfg.tokens,
              cfg.dim, predsense::detail::simd::width);
  std::printf("true scene changes at:");
  for (auto b : stream.boundaries()) std::printf(" %zu", b);
  std::printf("\n\n%5s  %9s  %8s  %s\n", "frame", "surprise", "z-score", "");

  std::size_t hits = 0, flagged = 0;
  for (std::size_t t = 0; t < stream.size(); ++t) {
    const auto& frame = stream.frame(t);
    // Cambrian-S convention: the first frame has no prediction and scores 1.
    double s = 1.0;
    if (t > 0) {
      predictor.predict(guess);
      s = metric(guess, frame);
    }
    predictor.observe(frame);
    // The first frame's 1 is a convention, not a measurement: keep it out of the statistics.
    const double zs = t > 0 ? z(s) : 0.0;
    const bool is_change =
        std::find(stream.boundaries().begin(), stream.boundaries().end(), t) != stream.boundaries().end();
    const bool flag = t > 0 && zs > 3.0;
    flagged += flag;
    hits += flag && is_change;
    std::printf("%5zu  %9.5f  %8.2f  %s%s\n", t, s, zs, flag ? "<- surprise" : "", is_change ? " [scene change]" : "");
  }
  std::printf("\nflagged %zu frames (z > 3), %zu of them true scene changes, out of %zu changes\n", flagged, hits,
              stream.boundaries().size());
  if (std::fflush(stdout) != 0 || std::ferror(stdout)) {  // a full disk or closed pipe is a failure
    std::fprintf(stderr, "predsense-demo: error: writing to standard output failed\n");
    return 2;
  }
  return 0;
} catch (const std::exception& e) {
  std::fprintf(stderr, "predsense-demo: %s\n", e.what());
  return 1;
}
