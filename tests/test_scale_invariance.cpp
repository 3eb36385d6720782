// Every segmenter's default rule is relative to the signal: replacing the surprise s by a * s + b
// (a > 0) - another encoder's scale and offset - leaves the boundaries unchanged; frame 0's
// conventional surprise (1, whatever the encoder's scale) is never a boundary and changes nothing.
// Mirrors the streaming/, offline/ and video/ segmenters' headers and surprise/robust_zscore_normalizer.hpp.
#include <doctest/doctest.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <limits>
#include <string>
#include <vector>

#include "predsense/kernels/median_mad.hpp"
#include "predsense/segmentation/offline/offline_segmenter.hpp"
#include "predsense/segmentation/streaming/adaptive_segmenter.hpp"
#include "predsense/segmentation/streaming/bocpd_segmenter.hpp"
#include "predsense/segmentation/streaming/peak_segmenter.hpp"
#include "predsense/segmentation/streaming/threshold_segmenter.hpp"
#include "predsense/segmentation/video/cut_segmenter.hpp"
#include "predsense/segmentation/video/transition_detector.hpp"
#include "predsense/surprise/robust_zscore_normalizer.hpp"

namespace {

struct lcg {
  std::uint64_t s;
  double uniform() {
    s = s * 6364136223846793005ULL + 1442695040888963407ULL;
    return static_cast<double>(s >> 11) * (1.0 / 9007199254740992.0);
  }
};

constexpr std::size_t cut_a = 60, cut_b = 170, cut_c = 260;

// A surprise stream on a small scale (a weak encoder's: quiet ~0.001, cuts ~0.02): frame 0 = 1 by
// convention, noise, three one-frame cuts, a stretch of sustained motion, a level shift.
std::vector<double> surprise_stream(std::uint64_t seed = 11) {
  lcg g{seed};
  std::vector<double> s(320);
  for (std::size_t t = 0; t < s.size(); ++t) {
    const double base = t < 200 ? 0.001 : 0.0025;
    s[t] = base + 0.0004 * g.uniform();
    if (t == cut_a || t == cut_b || t == cut_c) s[t] = 0.02 + 0.002 * g.uniform();
    if (t >= 100 && t < 112) s[t] = 0.006 + 0.0004 * g.uniform();  // motion: a plateau
  }
  s[0] = 1.0;
  return s;
}

std::vector<double> affine(const std::vector<double>& s, double a, double b) {
  std::vector<double> r(s.size());
  for (std::size_t i = 0; i < s.size(); ++i) r[i] = a * s[i] + b;
  return r;
}

std::vector<std::size_t> ts(const std::vector<predsense::boundary>& bs) {
  std::vector<std::size_t> r;
  for (const auto& b : bs) r.push_back(b.t);
  return r;
}

std::string show(const std::vector<std::size_t>& v) {
  std::string r;
  for (auto t : v) r += std::to_string(t) + " ";
  return r;
}

// (a, b) pairs: another encoder's scale and offset, from 1e-4 to 1e4, negative offsets included.
const std::vector<std::pair<double, double>> transforms = {{1.0, 0.0},   {1e-4, 0.0},    {1e4, 0.0}, {0.37, -5.0},
                                                           {3.0, 100.0}, {250.0, -0.25}, {1e-3, 7.5}};

// The boundaries of `seg` on s, on every a * s + b, and with frame 0's value replaced by any other:
// all the same, none at 0. Returns the boundaries on s.
template <class Segmenter, class Make>
std::vector<std::size_t> check_invariant(Make make, const std::vector<double>& s) {
  Segmenter ref = make();
  const auto base = ts(ref.segment(s));
  INFO("boundaries: " << show(base));
  for (auto t : base) CHECK(t != 0);
  for (const auto& [a, b] : transforms) {
    INFO("a = " << a << ", b = " << b);
    Segmenter seg = make();
    CHECK(ts(seg.segment(affine(s, a, b))) == base);
  }
  for (double first : {0.0, 1e9, -3.0}) {
    auto s0 = s;
    s0[0] = first;
    Segmenter seg = make();
    INFO("frame 0 = " << first);
    CHECK(ts(seg.segment(s0)) == base);
  }
  return base;
}

}  // namespace

TEST_CASE("median_mad: order statistics of the window, equivariant under a * x + b") {
  std::vector<double> scratch;
  const std::vector<double> w = {5.0, 1.0, 3.0, 9.0, 4.0};  // median 4, |dev| = 1 3 1 5 0 -> MAD 1
  const auto cs = predsense::kernels::robust_scale(w, scratch);
  CHECK(cs.median == 4.0);
  CHECK(cs.spread == doctest::Approx(1.4826));
  const auto cs2 = predsense::kernels::robust_scale(affine(w, 2.0, -1.0), scratch);
  CHECK(cs2.median == 7.0);
  CHECK(cs2.spread == doctest::Approx(2 * 1.4826));
  const auto e = predsense::kernels::robust_scale(std::vector<double>{}, scratch);
  CHECK(e.median == 0.0);
  CHECK(e.spread == 0.0);
}

TEST_CASE("robust_zscore_normalizer: the modified z-score against the past; constant windows; errors") {
  predsense::robust_zscore_normalizer z(predsense::robust_zscore_params{5, 3, 1e6});
  CHECK(z(1.0) == 0.0);  // fewer than min_count values: 0
  CHECK(z(2.0) == 0.0);
  CHECK(z(3.0) == 0.0);
  // window {1, 2, 3}: median 2, MAD 1 -> z(5) = 3 / 1.4826
  CHECK(z(5.0) == doctest::Approx(3.0 / 1.4826));
  predsense::robust_zscore_normalizer c;
  for (int i = 0; i < 5; ++i) CHECK(c(2.0) == 0.0);
  CHECK(c.score(2.0) == 0.0);
  CHECK(c.score(2.5) == 1e6);  // a constant window: any rise is the cap
  CHECK(c.score(1.5) == -1e6);
  CHECK_THROWS_AS(c(std::numeric_limits<double>::quiet_NaN()), predsense::non_finite_error);
  CHECK_THROWS_AS(predsense::robust_zscore_normalizer(predsense::robust_zscore_params{2, 2, 1.0}),
                  predsense::invalid_argument_error);
  CHECK_THROWS_AS(predsense::robust_zscore_normalizer(predsense::robust_zscore_params{5, 9, 1.0}),
                  predsense::invalid_argument_error);
}

TEST_CASE("threshold_segmenter: the default z rule finds the cuts at any scale; the absolute rule is an option") {
  const auto s = surprise_stream();
  const auto base = check_invariant<predsense::threshold_segmenter>([] { return predsense::threshold_segmenter{}; }, s);
  // the three cuts, and the start of the motion (an outlier too); nothing in the quiet stretches
  INFO(show(base));
  // the cuts, and the starts of the motion and of the level shift (outliers until the window
  // follows them); nothing in the quiet stretch before the first cut
  for (auto c : {cut_a, std::size_t{100}, cut_b, std::size_t{200}, cut_c})
    CHECK(std::find(base.begin(), base.end(), c) != base.end());
  CHECK(base.front() == cut_a);
  // absolute: the Cambrian-S rule, in surprise units (frame 0 still ignored)
  predsense::threshold_segmenter abs(0.01, 1);
  CHECK(ts(abs.segment(s)) == std::vector<std::size_t>{cut_a, cut_b, cut_c});
  CHECK(ts(abs.segment(affine(s, 0.1, 0.0))).empty());  // an absolute threshold is not scale-free
  CHECK_THROWS_AS(predsense::threshold_segmenter(predsense::threshold_segmenter_params{3.5, std::nullopt, 2, 1}),
                  predsense::invalid_argument_error);
}

TEST_CASE("cut_segmenter: default rules are relative - the cuts of a weak encoder's surprise, at any scale") {
  const auto s = surprise_stream();
  const auto base = check_invariant<predsense::cut_segmenter>([] { return predsense::cut_segmenter{}; }, s);
  CHECK(base == std::vector<std::size_t>{cut_a, cut_b, cut_c});
  // the former absolute defaults (prominence 0.12, floor 0.02 on the patch embedder's scale) find
  // nothing on this scale: why they are options now
  predsense::cut_segmenter_params old;
  old.prominence = 0.0;
  old.absolute_prominence = 0.12;
  old.floor = 0.02;
  predsense::cut_segmenter absolute(old);
  CHECK(ts(absolute.segment(s)).empty());
  CHECK(ts(absolute.segment(affine(s, 30.0, 0.0))) == std::vector<std::size_t>{cut_a, cut_b, cut_c});
}

TEST_CASE("peak_segmenter: every local maximum by default, relative prominence scale-free") {
  const auto s = surprise_stream();
  const auto all = check_invariant<predsense::peak_segmenter>([] { return predsense::peak_segmenter{}; }, s);
  CHECK(all.size() > 20);  // noise has many local maxima
  const auto rel = check_invariant<predsense::peak_segmenter>(
      [] {
        predsense::peak_segmenter_params p;
        p.relative_prominence = 8.0;
        p.window = 20;
        return predsense::peak_segmenter(p);
      },
      s);
  INFO(show(rel));
  // the cuts, and at most the motion plateau's last sample (a plateau's peak)
  for (auto c : {cut_a, cut_b, cut_c}) CHECK(std::find(rel.begin(), rel.end(), c) != rel.end());
  CHECK(rel.size() <= 4);
}

TEST_CASE("adaptive_segmenter: mean + gamma * std moves with the signal") {
  const auto s = surprise_stream();
  const auto base = check_invariant<predsense::adaptive_segmenter>(
      [] {
        return predsense::adaptive_segmenter{predsense::adaptive_segmenter_params{50, 3.0, 8, 0}};
      },
      s);
  for (auto c : {cut_a, cut_b, cut_c}) CHECK(std::find(base.begin(), base.end(), c) != base.end());
  check_invariant<predsense::adaptive_segmenter>([] { return predsense::adaptive_segmenter{}; }, s);
}

TEST_CASE("bocpd_segmenter: online standardisation by default - changes found at any scale") {
  const auto s = surprise_stream();
  const auto base = check_invariant<predsense::bocpd_segmenter>([] { return predsense::bocpd_segmenter{}; }, s);
  // the level shift at 200 and the motion stretch are changes of distribution
  const auto near = [&](std::size_t c) {
    return std::any_of(base.begin(), base.end(), [&](std::size_t t) { return t + 3 >= c && t <= c + 3; });
  };
  CHECK(near(100));
  CHECK(near(200));
  // without standardisation the unit-scale prior sees one flat segment on this scale
  predsense::bocpd_segmenter_params raw;
  raw.standardize = false;
  predsense::bocpd_segmenter unstd(raw);
  CHECK(ts(unstd.segment(s)).empty());
}

TEST_CASE("offline_segmenter: z-scored by default, frame 0 never distorts it") {
  const auto s = surprise_stream();
  const auto base = check_invariant<predsense::offline_segmenter>([] { return predsense::offline_segmenter{}; }, s);
  const auto near = [&](std::size_t c) {
    return std::any_of(base.begin(), base.end(), [&](std::size_t t) { return t + 2 >= c && t <= c + 2; });
  };
  INFO(show(base));
  CHECK(near(100));  // the motion stretch
  CHECK(near(112));
  CHECK(near(cut_a));
  CHECK(base != std::vector<std::size_t>{1});
}

TEST_CASE("transition_detector: the surprise's rule is relative; frame 0 ignored") {
  // thumbnails: two flat textures with a cut at 40; the surprise proposes on a weak encoder's scale
  constexpr std::size_t W = 8, H = 8, C = 3, M = W * H * C;
  lcg g{5};
  std::vector<std::vector<float>> thumbs;
  for (std::size_t t = 0; t < 90; ++t) {
    std::vector<float> f(M);
    for (std::size_t i = 0; i < M; ++i)
      f[i] = static_cast<float>((t < 40 ? 0.2 + 0.5 * ((i * 7) % 5) / 5.0 : 0.7 - 0.4 * ((i * 3) % 7) / 7.0) +
                                0.004 * g.uniform());
    thumbs.push_back(f);
  }
  std::vector<double> s(thumbs.size());
  for (std::size_t t = 0; t < s.size(); ++t) s[t] = t == 40 ? 0.02 : 0.001 + 0.0004 * g.uniform();
  s[0] = 1.0;
  predsense::transition_detector_params p;
  p.width = W, p.height = H, p.channels = C;
  const auto run = [&](const std::vector<double>& surprise) {
    predsense::transition_detector d(p);
    std::vector<std::size_t> out;
    for (std::size_t t = 0; t < thumbs.size(); ++t)
      for (const auto& tr : d.push(thumbs[t], surprise[t])) out.push_back(tr.frame);
    for (const auto& tr : d.flush()) out.push_back(tr.frame);
    return out;
  };
  const auto base = run(s);
  CHECK(base == std::vector<std::size_t>{40});
  for (const auto& [a, b] : transforms) {
    INFO("a = " << a << ", b = " << b);
    CHECK(run(affine(s, a, b)) == base);
  }
  auto s0 = s;
  s0[0] = -50.0;
  CHECK(run(s0) == base);
}
