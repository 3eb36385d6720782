// Video segmentation primitives: area_downsample, cut_segmenter, transition_detector on synthetic
// thumbnail streams whose every transition is known (cut, dissolve, fade pair, dip) and on
// distractors that must not fire (flash, camera pan, shake, an occluder that leaves).
#include <doctest/doctest.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <limits>
#include <string>
#include <vector>

#include "predsense/core/concepts.hpp"
#include "predsense/core/error.hpp"
#include "predsense/kernels/area_downsample.hpp"
#include "predsense/segmentation/video/cut_segmenter.hpp"
#include "predsense/segmentation/video/transition_detector.hpp"

using predsense::transition;
using predsense::transition_kind;

static_assert(predsense::event_segmenter<predsense::cut_segmenter>);

namespace {

constexpr std::size_t W = 24, H = 24, C = 3, M = W * H * C;

struct lcg {
  std::uint64_t s;
  double uniform() {
    s = s * 6364136223846793005ULL + 1442695040888963407ULL;
    return static_cast<double>(s >> 11) * (1.0 / 9007199254740992.0);
  }
};

// A "scene": a smooth random colour texture of size (W + 2 * pad)^2 from which frames are cropped
// (camera position = crop offset).
struct scene {
  std::size_t side;
  std::vector<float> px;
  scene(std::uint64_t seed, std::size_t pad = 16) : side(W + 2 * pad), px(side * side * C) {
    lcg g{seed};
    // a few random bright/dark blobs + fine texture
    std::vector<double> cx(6), cy(6), amp(6 * C), r(6);
    for (int k = 0; k < 6; ++k) {
      cx[k] = g.uniform() * static_cast<double>(side);
      cy[k] = g.uniform() * static_cast<double>(side);
      r[k] = 3.0 + g.uniform() * 8.0;
      const double common = g.uniform() < 0.5 ? -0.5 : 0.5;  // brightness, so luma has contrast
      for (std::size_t c = 0; c < C; ++c) amp[k * C + c] = common + 0.4 * (g.uniform() - 0.5);
    }
    const double base = 0.3 + 0.4 * g.uniform();
    for (std::size_t y = 0; y < side; ++y)
      for (std::size_t x = 0; x < side; ++x)
        for (std::size_t c = 0; c < C; ++c) {
          double v = base + 0.15 * (g.uniform() - 0.5);
          for (int k = 0; k < 6; ++k) {
            const double d2 = (static_cast<double>(x) - cx[k]) * (static_cast<double>(x) - cx[k]) +
                              (static_cast<double>(y) - cy[k]) * (static_cast<double>(y) - cy[k]);
            v += 0.6 * amp[k * C + c] * std::exp(-d2 / (2 * r[k] * r[k]));
          }
          px[(y * side + x) * C + c] = static_cast<float>(std::clamp(v, 0.0, 1.0));
        }
  }
  std::vector<float> view(std::size_t ox, std::size_t oy) const {
    std::vector<float> f(M);
    for (std::size_t y = 0; y < H; ++y)
      for (std::size_t x = 0; x < W; ++x)
        for (std::size_t c = 0; c < C; ++c) f[(y * W + x) * C + c] = px[((y + oy) * side + x + ox) * C + c];
    return f;
  }
};

std::vector<float> mix(const std::vector<float>& a, const std::vector<float>& b, double t) {
  std::vector<float> f(M);
  for (std::size_t i = 0; i < M; ++i) f[i] = static_cast<float>((1 - t) * a[i] + t * b[i]);
  return f;
}

std::vector<float> solid(float v) { return std::vector<float>(M, v); }

// Stream builder: frames with a little sensor noise; the detector is fed thumbnail + copy-last
// surprise (mean absolute difference to the previous frame, a stand-in for any predictor's).
struct stream {
  std::vector<std::vector<float>> frames;
  lcg g{7};
  void add(std::vector<float> f) {
    for (auto& v : f) v = static_cast<float>(std::clamp(v + 0.004 * (g.uniform() - 0.5), 0.0, 1.0));
    frames.push_back(std::move(f));
  }
  void hold(const scene& s, std::size_t n, std::size_t ox = 16, std::size_t oy = 16) {
    for (std::size_t i = 0; i < n; ++i) add(s.view(ox, oy));
  }
  std::vector<transition> run(const predsense::transition_detector_params& p) const {
    predsense::transition_detector d(p);
    std::vector<transition> out;
    for (std::size_t t = 0; t < frames.size(); ++t) {
      double s = 0.0;
      if (t > 0)
        for (std::size_t i = 0; i < M; ++i) s += std::fabs(frames[t][i] - frames[t - 1][i]) / M;
      for (const auto& tr : d.push(frames[t], s)) out.push_back(tr);
    }
    for (const auto& tr : d.flush()) out.push_back(tr);
    return out;
  }
};

std::string describe(const std::vector<transition>& out) {
  std::string r;
  for (const auto& t : out)
    r += std::string(predsense::to_string(t.kind)) + "@" + std::to_string(t.frame) + "[" + std::to_string(t.start) +
         "-" + std::to_string(t.end) + "] ";
  return r;
}

predsense::transition_detector_params params() {
  predsense::transition_detector_params p;
  p.width = W;
  p.height = H;
  p.channels = C;
  p.max_shift = 4;
  return p;
}

}  // namespace

TEST_CASE("area_downsample: box means, shape errors") {
  // 4x2 image, 1 channel, to 2x1: means of the left and right 2x2 blocks
  const std::vector<std::uint8_t> src{0, 255, 10, 20, 255, 0, 30, 40};
  std::vector<float> out;
  predsense::area_downsample(src, 4, 2, 1, 2, 1, out);
  REQUIRE(out.size() == 2);
  CHECK(out[0] == doctest::Approx(0.5));
  CHECK(out[1] == doctest::Approx(100.0 / 4 / 255));
  // interleaved channels stay separate
  const std::vector<std::uint8_t> rgb{255, 0, 0, 0, 0, 255};
  predsense::area_downsample(rgb, 2, 1, 3, 1, 1, out);
  CHECK(out == std::vector<float>{0.5f, 0.0f, 0.5f});
  CHECK_THROWS_AS(predsense::area_downsample(src, 4, 3, 1, 2, 1, out), predsense::shape_error);
  CHECK_THROWS_AS(predsense::area_downsample(src, 4, 2, 1, 8, 1, out), predsense::shape_error);
  CHECK_THROWS_AS(predsense::area_downsample(src, 4, 2, 1, 0, 1, out), predsense::shape_error);
}

TEST_CASE("cut_segmenter: a one-frame spike among noise, not a plateau; errors") {
  predsense::cut_segmenter seg;
  std::vector<std::size_t> found;
  lcg g{3};
  for (std::size_t t = 0; t < 120; ++t) {
    double s = 0.01 + 0.004 * g.uniform();
    if (t == 60) s = 0.6;             // a cut
    if (t >= 90 && t < 105) s = 0.3;  // sustained motion: a plateau, no peak with prominence
    if (auto b = seg.push(s, t)) found.push_back(b->t);
  }
  for (const auto& b : seg.flush()) found.push_back(b.t);
  CHECK(found == std::vector<std::size_t>{60});
  CHECK_THROWS_AS(seg.push(std::numeric_limits<double>::quiet_NaN(), 120), predsense::non_finite_error);
  predsense::cut_segmenter_params bad;
  bad.window = 2;
  CHECK_THROWS_AS(predsense::cut_segmenter{bad}, predsense::invalid_argument_error);
}

TEST_CASE("transition_detector: a hard cut is reported on its first frame") {
  const scene a(1), b(2);
  stream s;
  s.hold(a, 40);
  s.hold(b, 40);
  const auto out = s.run(params());
  INFO(describe(out));
  REQUIRE(out.size() == 1);
  CHECK(out[0].kind == transition_kind::cut);
  CHECK(out[0].frame == 40);
  CHECK(out[0].start == 40);
  CHECK(out[0].end == 40);
  CHECK(out[0].decided_at > 40);
}

TEST_CASE("transition_detector: a 16-frame dissolve is one event spanning it") {
  const scene a(3), b(4);
  stream s;
  s.hold(a, 40);
  for (int i = 1; i <= 16; ++i) s.add(mix(a.view(16, 16), b.view(16, 16), i / 17.0));  // frames 40..55
  s.hold(b, 40);
  const auto out = s.run(params());
  INFO(describe(out));
  REQUIRE(out.size() == 1);
  CHECK(out[0].kind == transition_kind::dissolve);
  CHECK(out[0].start >= 38);
  CHECK(out[0].start <= 44);
  CHECK(out[0].end >= 51);
  CHECK(out[0].end <= 57);
  CHECK(out[0].frame >= 46);  // where B dominates: alpha >= 0.5 at frame 48
  CHECK(out[0].frame <= 50);
}

TEST_CASE("transition_detector: fade-out, a held black, fade-in = two fades; a short dip = one dip") {
  const scene a(5), b(6), c(8);
  stream s;
  s.hold(a, 40);
  for (int i = 1; i <= 10; ++i) s.add(mix(a.view(16, 16), solid(0.0f), i / 11.0));  // 40..49
  for (int i = 0; i < 12; ++i) s.add(solid(0.0f));                                  // 50..61
  for (int i = 1; i <= 10; ++i) s.add(mix(solid(0.0f), b.view(16, 16), i / 11.0));  // 62..71
  s.hold(b, 40);                                                                    // 72..111
  for (int i = 1; i <= 4; ++i) s.add(mix(b.view(16, 16), solid(0.0f), i / 5.0));    // 112..115
  for (int i = 1; i <= 4; ++i) s.add(mix(solid(0.0f), c.view(16, 16), i / 5.0));    // 116..119
  s.hold(c, 40);
  const auto out = s.run(params());
  INFO(describe(out));
  REQUIRE(out.size() == 3);
  CHECK(out[0].kind == transition_kind::fade);
  CHECK(out[0].frame == 50);  // the first frame of the held black (the ramp's end)
  CHECK(out[0].start >= 38);
  CHECK(out[0].start <= 42);
  CHECK(out[1].kind == transition_kind::fade);
  CHECK(out[1].start == 61);  // the last frame of the held black (the ramp's start)
  CHECK(out[1].frame >= 60);
  CHECK(out[1].frame <= 63);
  CHECK(out[1].end >= 69);
  CHECK(out[1].end <= 73);
  CHECK(out[2].kind == transition_kind::dip);
  CHECK(out[2].start >= 110);
  CHECK(out[2].end <= 121);
  CHECK(out[2].frame >= 113);
  CHECK(out[2].frame <= 118);
}

TEST_CASE("transition_detector: a flash, a camera pan, shake and an occluder that leaves are not transitions") {
  const scene a(9), b(10);
  stream s;
  s.hold(a, 40);
  for (int i = 0; i < 2; ++i) {  // a 2-frame flash
    auto f = a.view(16, 16);
    for (auto& v : f) v = v + (1.0f - v) * 0.7f;
    s.add(f);
  }
  s.hold(a, 30);
  for (std::size_t i = 1; i <= 8; ++i) s.add(a.view(16 - 2 * i, 16));  // pan 16 px left in 8 frames
  s.hold(a, 30, 0, 16);
  lcg g{11};
  for (int i = 0; i < 30; ++i)  // shake: random offsets of up to +-4 px
    s.add(a.view(static_cast<std::size_t>(12 + 8 * g.uniform()), static_cast<std::size_t>(12 + 8 * g.uniform())));
  s.hold(a, 30);
  for (int i = 0; i < 20; ++i) {  // a dark occluder sliding in from the left over half the frame and out again
    const int reach = std::min({3 * (i + 1), 12, 3 * (20 - i)});
    auto f = a.view(16, 16);
    for (std::size_t y = 0; y < H; ++y)
      for (std::size_t x = 0; x < static_cast<std::size_t>(reach); ++x)
        for (std::size_t c = 0; c < C; ++c) f[(y * W + x) * C + c] = 0.12f;
    s.add(f);
  }
  s.hold(a, 30);
  const std::size_t cut = s.frames.size();
  s.hold(b, 30);  // and a cut after all that is still found
  const auto out = s.run(params());
  INFO(describe(out));
  REQUIRE(out.size() == 1);
  CHECK(out[0].kind == transition_kind::cut);
  CHECK(out[0].frame == cut);
}

TEST_CASE("transition_detector: a cut right after a stretch of shake") {
  const scene a(12), b(13);
  stream s;
  s.hold(a, 40);
  lcg g{5};
  for (int i = 0; i < 50; ++i)
    s.add(a.view(static_cast<std::size_t>(12 + 8 * g.uniform()), static_cast<std::size_t>(12 + 8 * g.uniform())));
  s.hold(b, 40);
  const auto out = s.run(params());
  INFO(describe(out));
  REQUIRE(out.size() == 1);
  CHECK(out[0].kind == transition_kind::cut);
  CHECK(out[0].frame == 90);
}

TEST_CASE("transition_detector: errors") {
  predsense::transition_detector d(params());
  CHECK_THROWS_AS(d.push(std::vector<float>(M - 1), 0.0), predsense::shape_error);
  CHECK_THROWS_AS(d.push(std::vector<float>(M), std::numeric_limits<double>::infinity()), predsense::non_finite_error);
  std::vector<float> f(M, 0.5f);
  f[7] = std::numeric_limits<float>::quiet_NaN();
  CHECK_THROWS_AS(d.push(f, 0.0), predsense::non_finite_error);
  CHECK(d.frames() == 0);  // rejected frames are not counted
  auto p = params();
  p.width = 0;
  CHECK_THROWS_AS(predsense::transition_detector{p}, predsense::invalid_argument_error);
  p = params();
  p.max_residual = -1.0;
  CHECK_THROWS_AS(predsense::transition_detector{p}, predsense::invalid_argument_error);
  p = params();
  p.window = 2;
  CHECK_THROWS_AS(predsense::transition_detector{p}, predsense::invalid_argument_error);
}

TEST_CASE("transition_detector: segment() == push + flush, and reset() forgets the stream") {
  const scene a(3), b(4);
  stream s;
  s.hold(a, 40);
  for (int i = 1; i <= 16; ++i) s.add(mix(a.view(16, 16), b.view(16, 16), i / 17.0));
  s.hold(b, 30);
  s.hold(a, 30);  // a cut back to a at frame 116
  const auto pushed = s.run(params());
  std::vector<float> thumbs;
  std::vector<double> surprise;
  for (std::size_t t = 0; t < s.frames.size(); ++t) {
    thumbs.insert(thumbs.end(), s.frames[t].begin(), s.frames[t].end());
    double v = 0.0;
    if (t > 0)
      for (std::size_t i = 0; i < M; ++i) v += std::fabs(s.frames[t][i] - s.frames[t - 1][i]) / M;
    surprise.push_back(v);
  }
  predsense::transition_detector d(params());
  for (std::size_t t = 0; t < 50; ++t) (void)d.push(std::span<const float>(thumbs).subspan(t * M, M), surprise[t]);
  d.reset();  // a half-pushed stream must not leak into the next one
  CHECK(d.frames() == 0);
  const auto offline = d.segment(thumbs, surprise);
  const auto again = d.segment(thumbs, surprise);
  INFO(describe(pushed));
  REQUIRE(pushed.size() == 2);
  REQUIRE(offline.size() == pushed.size());
  REQUIRE(again.size() == pushed.size());
  for (std::size_t i = 0; i < pushed.size(); ++i) {
    CHECK(offline[i].frame == pushed[i].frame);
    CHECK(offline[i].kind == pushed[i].kind);
    CHECK(again[i].start == pushed[i].start);
  }
  CHECK_THROWS_AS((void)d.segment(std::span<const float>(thumbs).first(thumbs.size() - 1), surprise),
                  predsense::shape_error);
}

TEST_CASE("transition_detector: a hard cut in the first frames of a video is reported") {
  // before the baselines form, the long-scale thumbnail difference (pixel units, no encoder scale
  // involved) still proposes, and the first span may look back to frame 0
  for (std::size_t at : {2, 3, 5, 8}) {
    const scene a(21), b(22);
    stream s;
    s.hold(a, at);
    s.hold(b, 70);
    const auto out = s.run(params());
    INFO("cut at " << at << ": " << describe(out));
    REQUIRE(out.size() == 1);
    CHECK(out[0].kind == transition_kind::cut);
    CHECK(out[0].frame == at);
  }
  // a static start is not a transition
  const scene a(23);
  stream s;
  s.hold(a, 60);
  CHECK(s.run(params()).empty());
}

TEST_CASE("transition_detector: a cut with one blended frame inside moving shots is one cut") {
  // frame 40 mixes the shots (w of the new one); both cameras pan from frame 0 on, so the
  // long-scale difference is high from the start and must not hold one span over the video
  for (double w : {0.3, 0.5, 0.7})
    for (std::size_t v : {0, 1, 2}) {
      const scene a(31), b(32);
      stream s;
      // the camera moves i * v / 4 thumbnail pixels right and i * v / 6 down (the scenes are 32 wider)
      for (std::size_t i = 0; i < 40; ++i) s.add(a.view(i * v / 4, i * v / 6));
      s.add(mix(a.view(40 * v / 4, 40 * v / 6), b.view(0, 0), w));
      for (std::size_t i = 1; i < 50; ++i) s.add(b.view(i * v / 4, i * v / 6));
      const auto out = s.run(params());
      INFO("w " << w << ", speed " << v << ": " << describe(out));
      REQUIRE(out.size() == 1);
      CHECK(out[0].kind == transition_kind::cut);
      if (w != 0.5) CHECK(out[0].frame == (w > 0.5 ? 40u : 41u));  // where the new shot dominates
      CHECK((out[0].frame == 40 || out[0].frame == 41));
    }
}

TEST_CASE("transition_detector: a slow fade-in from black starts at the last black frame") {
  // a 25-frame ramp whose first frames are under solid_std (they count as "solid"): the fade
  // begins where the black hold ends, not where the contrast passes the threshold
  const scene a(41);
  stream s;
  for (int i = 0; i < 30; ++i) s.add(solid(0.0f));                                  // 0..29
  for (int i = 1; i <= 25; ++i) s.add(mix(solid(0.0f), a.view(16, 16), i / 26.0));  // 30..54
  s.hold(a, 40);
  const auto out = s.run(params());
  INFO(describe(out));
  REQUIRE(out.size() == 1);
  CHECK(out[0].kind == transition_kind::fade);
  CHECK(out[0].start == 29);
  CHECK(out[0].end >= 53);
  CHECK(out[0].end <= 56);
}
