// custom_components: a pipeline built from user-written parts.
//
// Shows that every slot of predsense::stream takes your own type as long as it satisfies the
// concept: here a "linear extrapolation" predictor (next = 2 * last - previous), a
// max-over-tokens L2 surprise metric and a segmenter with a hysteresis band.
#include <predsense/synthetic/synthetic_stream.hpp>
#include <predsense/kernels/squared_l2.hpp>
#include <predsense/pipeline/stream.hpp>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <optional>

namespace {

struct extrapolate {
  predsense::frame_buffer prev, last;
  void observe(predsense::frame_view f) {
    prev = last;
    last.assign(f);
  }
  void predict(predsense::frame_buffer& out) const {
    out.assign(last);
    if (prev.size() != last.size()) return;  // one frame seen: fall back to copy-last
    for (std::size_t i = 0; i < out.size(); ++i) out.data()[i] = 2 * last.data()[i] - prev.data()[i];
  }
};

// Worst-token distance: a change confined to a few tokens still counts fully.
struct max_token_l2 {
  double operator()(predsense::frame_view p, predsense::frame_view a) const {
    double worst = 0;
    for (std::size_t t = 0; t < p.tokens; ++t)
      worst = std::max(worst, double(predsense::kernels::squared_l2(p.row(t), a.row(t), p.dim)));
    return std::sqrt(worst);
  }
};

// Fires when surprise rises above `high`, re-arms only after it falls below `low`.
struct hysteresis {
  double high, low;
  bool armed = true;
  std::optional<predsense::boundary> push(double s, std::size_t t) {
    if (armed && s > high) {
      armed = false;
      return predsense::boundary{t, s, t};
    }
    if (s < low) armed = true;
    return std::nullopt;
  }
};

static_assert(predsense::latent_predictor<extrapolate>);
static_assert(predsense::surprise_metric<max_token_l2>);
static_assert(predsense::event_segmenter<hysteresis>);

}  // namespace

int main() {
  const predsense::synthetic_stream src({.frames = 200, .tokens = 16, .dim = 64, .mean_scene_length = 25, .seed = 21});

  predsense::stream<extrapolate, max_token_l2, hysteresis> s({}, {}, hysteresis{1.0, 0.5});
  std::size_t found = 0, correct = 0;
  for (std::size_t t = 0; t < src.size(); ++t) {
    const auto r = s.step(src.frame(t));
    if (!r.boundary || t == 0) continue;
    ++found;
    const auto& b = src.boundaries();
    correct += std::find(b.begin(), b.end(), r.boundary->t) != b.end();
    std::printf("boundary at frame %zu (surprise %.3f)\n", r.boundary->t, r.surprise);
  }
  std::printf("%zu boundaries, %zu correct, %zu true changes\n", found, correct, src.boundaries().size());
  return correct == src.boundaries().size() && found == correct ? 0 : 1;
}
