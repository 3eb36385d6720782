// Segmenters: concepts, hand-checked decisions, streaming == offline, BOCPD's recursion.
#include <doctest/doctest.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <numbers>
#include <vector>

#include "predsense/core/concepts.hpp"
#include "predsense/core/error.hpp"
#include "predsense/segmentation/streaming/adaptive_segmenter.hpp"
#include "predsense/surprise/ar_surprise.hpp"
#include "predsense/segmentation/streaming/bocpd.hpp"
#include "predsense/segmentation/streaming/bocpd_segmenter.hpp"
#include "predsense/segmentation/streaming/boundary_refinement.hpp"
#include "predsense/segmentation/streaming/peak_segmenter.hpp"
#include "predsense/segmentation/series/standardize.hpp"
#include "predsense/segmentation/streaming/threshold_segmenter.hpp"
#include "predsense/segmentation/video/cut_segmenter.hpp"
#include "predsense/segmentation/offline/offline_segmenter.hpp"

using predsense::boundary;

static_assert(predsense::event_segmenter<predsense::threshold_segmenter>);
static_assert(predsense::event_segmenter<predsense::adaptive_segmenter>);
static_assert(predsense::event_segmenter<predsense::peak_segmenter>);
static_assert(predsense::event_segmenter<predsense::bocpd_segmenter>);
// The full contract (push / flush / reset / segment), for every built-in surprise segmenter.
static_assert(predsense::streaming_segmenter<predsense::threshold_segmenter>);
static_assert(predsense::streaming_segmenter<predsense::adaptive_segmenter>);
static_assert(predsense::streaming_segmenter<predsense::peak_segmenter>);
static_assert(predsense::streaming_segmenter<predsense::bocpd_segmenter>);
static_assert(predsense::streaming_segmenter<predsense::cut_segmenter>);
static_assert(predsense::streaming_segmenter<predsense::offline_segmenter>);

namespace {

// Deterministic standard-normal-ish noise (sum of 12 uniforms - 6) from a 64-bit LCG.
struct noise {
  std::uint64_t s = 12345;
  double uniform() {
    s = s * 6364136223846793005ULL + 1442695040888963407ULL;
    return static_cast<double>(s >> 11) / 9007199254740992.0;
  }
  double normal() {
    double a = 0.0;
    for (int i = 0; i < 12; ++i) a += uniform();
    return a - 6.0;
  }
};

std::vector<std::size_t> starts(const std::vector<boundary>& b) {
  std::vector<std::size_t> out;
  for (const auto& x : b) out.push_back(x.t);
  return out;
}

template <class Seg>
std::vector<boundary> stream(Seg& seg, const std::vector<double>& s) {
  std::vector<boundary> out;
  for (std::size_t t = 0; t < s.size(); ++t)
    if (auto b = seg.push(s[t], t)) out.push_back(*b);
  return out;
}

// Student-t log density written out independently of the library's tabulated form.
double student_t_logpdf(double x, double df, double loc, double scale2) {
  const double z = (x - loc) * (x - loc) / (df * scale2);
  return std::lgamma((df + 1) / 2) - std::lgamma(df / 2) - 0.5 * std::log(df * std::numbers::pi * scale2) -
         (df + 1) / 2 * std::log1p(z);
}

}  // namespace

TEST_CASE("threshold_segmenter: strict >, min_gap, streaming == offline") {
  const std::vector<double> s{0, 5, 5, 0, 4, 6};
  predsense::threshold_segmenter seg(4.0, 2);
  const auto off = seg.segment(s);
  CHECK(starts(off) == std::vector<std::size_t>{1, 5});  // 2 is within min_gap, 4 is not > 4
  predsense::threshold_segmenter seg2(4.0, 2);
  CHECK(stream(seg2, s) == off);
  CHECK(off[0].decided_at == off[0].t);
  CHECK_THROWS_AS(predsense::threshold_segmenter(1.0, 0), predsense::invalid_argument_error);
}

TEST_CASE("adaptive_segmenter: mean + gamma * std of the trailing window") {
  predsense::adaptive_segmenter_params p;
  p.window = 4;
  p.gamma = 1.0;
  p.min_block = 2;
  p.max_block = 0;
  // Step 0 is frame 0 (its value, 9, is ignored); no decision before min_history = min(10, window)
  // = 4 values; step 5: W = {1, 2, 1, 1.5}: mean 1.375, unbiased std 0.479 -> threshold 1.854 < 2.1.
  const std::vector<double> s{9, 1, 2, 1, 1.5, 2.1, 1, 1, 1, 1, 1};
  predsense::adaptive_segmenter seg(p);
  const auto b = seg.segment(s);
  REQUIRE(b.size() >= 1);
  CHECK(b[0].t == 5);
  CHECK(b[0].score == 2.1);
  // the ones after the jump stay below mean + std of any window holding them
  CHECK(starts(b) == std::vector<std::size_t>{5});
  predsense::adaptive_segmenter seg2(p);
  CHECK(stream(seg2, s) == b);

  // Equal to the threshold is not a boundary (strict >): a constant window has std 0.
  const std::vector<double> flat{3, 3, 3, 3, 3};
  predsense::adaptive_segmenter seg3(p);
  CHECK(seg3.segment(flat).empty());

  // min_block merges a too-early candidate forward; max_block splits a long event.
  std::vector<double> spikes(30, 1.0);
  spikes[5] = 10;
  spikes[7] = 10;  // only 2 after the boundary at 5 -> suppressed with min_block 3
  predsense::adaptive_segmenter_params q = p;
  q.min_block = 3;
  q.max_block = 10;
  predsense::adaptive_segmenter seg4(q);
  CHECK(starts(seg4.segment(spikes)) == std::vector<std::size_t>{5, 15, 25});
}

TEST_CASE("adaptive_segmenter: storage grows with the data, any window up to SIZE_MAX") {
  // The window was once allocated at construction (8 bytes x window: 1 GiB at 2^27, bad_alloc or
  // a length_error beyond). Now it fills as surprises arrive; every window, however large, must give
  // what the definition gives: threshold from the last min(window, seen) surprises (frame 0 ignored,
  // none before min_history = min(10, window) were seen).
  std::vector<double> s(300);
  noise z;
  for (std::size_t t = 0; t < s.size(); ++t) s[t] = z.normal() + (t / 60 % 2 ? 3.0 : 0.0);
  const auto reference = [&](std::size_t window, std::size_t min_block, std::size_t max_block) {
    std::vector<std::size_t> out;
    std::size_t start = 0;
    for (std::size_t t = 1; t < s.size(); ++t) {  // t = 0: frame 0, ignored (no prediction)
      // the values seen are s[1..t); no decision before min(10, window) of them (min_history)
      const std::size_t n = std::min(window, t - 1), len = t - start;
      bool cut = false;
      if (n >= std::max<std::size_t>(2, std::min<std::size_t>(10, window))) {
        double m = 0.0, ss = 0.0;
        for (std::size_t i = t - n; i < t; ++i) m += s[i];
        m /= static_cast<double>(n);
        for (std::size_t i = t - n; i < t; ++i) ss += (s[i] - m) * (s[i] - m);
        cut = s[t] > m + std::sqrt(ss / static_cast<double>(n - 1)) && len >= min_block;
      }
      if (!cut && max_block != 0 && len >= max_block) cut = true;
      if (cut) out.push_back(t), start = t;
    }
    return out;
  };
  for (const std::size_t window :
       {std::size_t{2}, std::size_t{7}, std::size_t{64}, std::size_t{1} << 40, std::size_t{1} << 62, SIZE_MAX}) {
    INFO("window ", window);
    predsense::adaptive_segmenter_params p;
    p.window = window;
    p.min_block = 3;
    p.max_block = 40;
    predsense::adaptive_segmenter seg(p);  // constructing allocates nothing for the window
    const auto want = reference(window, p.min_block, p.max_block);
    CHECK(starts(seg.segment(s)) == want);
    seg.reset();  // reset empties the storage: the second stream is a fresh one
    CHECK(starts(stream(seg, s)) == want);
  }
}

TEST_CASE("peak_segmenter: height, prominence, separation, look-ahead delay") {
  const std::vector<double> s{0, 1, 3, 1, 0, 0, 2, 5, 2, 0};
  predsense::peak_segmenter_params p;
  p.lookahead = 2;
  predsense::peak_segmenter seg(p);
  const auto b = seg.segment(s);
  CHECK(starts(b) == std::vector<std::size_t>{2, 7});
  CHECK(b[0].decided_at == 4);  // decided once the look-ahead has been seen
  CHECK(b[1].decided_at == 9);

  p.threshold = 4.0;
  CHECK(starts(predsense::peak_segmenter(p).segment(s)) == std::vector<std::size_t>{7});
  p.threshold = -1e300;
  p.prominence = 4.0;  // the peak 3 rises only 3 above its surroundings
  CHECK(starts(predsense::peak_segmenter(p).segment(s)) == std::vector<std::size_t>{7});
  p.prominence = 0.0;
  p.min_separation = 6;  // 7 - 2 = 5 < 6: the later peak is dropped
  CHECK(starts(predsense::peak_segmenter(p).segment(s)) == std::vector<std::size_t>{2});

  // streaming + flush == offline; a peak in the last look-ahead is found by flush()
  const std::vector<double> tail{0, 0, 1, 0, 0, 0, 0, 4};
  predsense::peak_segmenter_params q;
  q.lookahead = 3;
  predsense::peak_segmenter a(q);
  auto st = stream(a, tail);
  for (const auto& x : a.flush()) st.push_back(x);
  CHECK(st == predsense::peak_segmenter(q).segment(tail));
  CHECK(starts(st) == std::vector<std::size_t>{2, 7});
}

TEST_CASE("bocpd: first two predictive densities by hand") {
  predsense::bocpd_params p;  // lambda 100, mu0 0, k 1, a 1, b 1
  predsense::bocpd b(p);
  // Prior predictive: df 2a = 2, loc 0, scale^2 = b (k+1) / (a k) = 2.
  const double s0 = b.update(0.5);
  CHECK(s0 == doctest::Approx(-student_t_logpdf(0.5, 2.0, 0.0, 2.0)).epsilon(1e-12));
  // After 0.5: mu = 0.25, k = 2, a = 1.5, b = 1 + 1 * 0.25 / (2 * 2) = 1.0625.
  const double x1 = -1.0;
  const double grow = student_t_logpdf(x1, 3.0, 0.25, 1.0625 * 3.0 / (1.5 * 2.0));
  const double fresh = student_t_logpdf(x1, 2.0, 0.0, 2.0);
  const double H = 1.0 / 100.0;
  const double evidence = std::log(H * std::exp(fresh) + (1 - H) * std::exp(grow));
  CHECK(b.update(x1) == doctest::Approx(-evidence).epsilon(1e-12));
  // Posterior: P(start = 1) = H p_fresh / evidence.
  CHECK(b.start_probability(1) == doctest::Approx(H * std::exp(fresh - evidence)).epsilon(1e-12));
  CHECK(b.start_probability(0) + b.start_probability(1) == doctest::Approx(1.0));
}

TEST_CASE("bocpd: MAP segmentation finds clean mean shifts, posterior stays normalised") {
  noise rng;
  std::vector<double> x;
  for (int i = 0; i < 150; ++i) x.push_back((i < 50 ? 0.0 : i < 100 ? 5.0 : -3.0) + 0.3 * rng.normal());
  predsense::bocpd b;
  for (double v : x) b.update(v);
  CHECK(b.map_changepoints() == std::vector<std::size_t>{50, 100});
  CHECK(predsense::bocpd_map_segmentation(x, 1) == std::vector<std::size_t>{50, 100});
  double total = 0.0;
  b.for_each_run([&](std::size_t, double p) { total += p; });
  CHECK(total == doctest::Approx(1.0).epsilon(1e-9));
  CHECK(b.map_start() == 100);

  // Multivariate, independent dimensions: only dimension 1 changes.
  std::vector<double> xy;
  for (int i = 0; i < 120; ++i) {
    xy.push_back(0.3 * rng.normal());
    xy.push_back((i < 70 ? 0.0 : 4.0) + 0.3 * rng.normal());
  }
  CHECK(predsense::bocpd_map_segmentation(xy, 2) == std::vector<std::size_t>{70});
  CHECK_THROWS_AS(predsense::bocpd_map_segmentation(xy, 7), predsense::shape_error);
  predsense::bocpd nb;
  CHECK_THROWS_AS(nb.update(INFINITY), predsense::non_finite_error);
  CHECK(std::isnan(nb.update(std::nan(""))));  // a missing step (tests/test_offline_segmentation.cpp)
  CHECK(nb.steps() == 0);
  CHECK(nb.missing_steps() == 1);
  predsense::bocpd_params bad;
  bad.lambda = 0.5;
  CHECK_THROWS_AS(predsense::bocpd{bad}, predsense::invalid_argument_error);
}

TEST_CASE("bocpd: pruning keeps the number of run lengths bounded on a long stream") {
  noise rng;
  predsense::bocpd b;
  std::size_t max_size = 0;
  for (int i = 0; i < 20000; ++i) {
    b.update(((i / 200) % 2 ? 3.0 : -3.0) + rng.normal());
    max_size = std::max(max_size, b.size());
  }
  CHECK(max_size < 600);  // without pruning it would reach 20000
  const auto cps = b.map_changepoints();
  CHECK(cps.size() >= 95);  // 99 true changes every 200 steps
  CHECK(cps.size() <= 105);
}

TEST_CASE("bocpd_segmenter: streaming == offline, bounded decision delay") {
  noise rng;
  std::vector<double> x;
  for (int i = 0; i < 300; ++i) x.push_back((i < 100 ? 0.0 : i < 200 ? 3.0 : 0.0) + 0.5 * rng.normal());
  predsense::bocpd_segmenter_params p;
  predsense::bocpd_segmenter seg(p);
  auto st = stream(seg, x);
  for (const auto& b : seg.flush()) st.push_back(b);
  const auto off = predsense::bocpd_segment(x, 1, p);
  CHECK(st == off);
  REQUIRE(off.size() == 2);
  CHECK(off[0].t == doctest::Approx(100).epsilon(0.02));
  CHECK(off[1].t == doctest::Approx(200).epsilon(0.02));
  for (const auto& b : off) CHECK(b.decided_at - b.t <= seg.decision_delay());
}

TEST_CASE("ar_surprise: a jump in an autoregressive series is the most surprising step") {
  noise rng;
  std::vector<double> x{0.0};
  for (int i = 1; i < 200; ++i) x.push_back(0.8 * x.back() + 0.1 * rng.normal() + (i == 120 ? 3.0 : 0.0));
  const auto s = predsense::ar_surprise_series(x, 1);
  CHECK(s[0] == 0.0);
  std::size_t arg = 20;
  for (std::size_t i = 20; i < s.size(); ++i)
    if (s[i] > s[arg]) arg = i;
  CHECK(arg == 120);
  CHECK(s[120] > 10.0);  // standardized: ~30 sigma

  // composes with any segmenter
  predsense::threshold_segmenter th(10.0, 5);
  std::vector<std::size_t> late;
  for (const auto& b : th.segment(s))
    if (b.t >= 20) late.push_back(b.t);
  CHECK(late == std::vector<std::size_t>{120});
}

TEST_CASE("standardize_columns: zero mean, unit (unbiased) std; constant column only centred") {
  std::vector<double> x{1, 5, 2, 5, 3, 5};
  predsense::standardize_columns(x, 2);
  CHECK(x[0] == doctest::Approx(-1.0));
  CHECK(x[2] == doctest::Approx(0.0));
  CHECK(x[4] == doctest::Approx(1.0));
  CHECK(x[1] == 0.0);
  CHECK(x[5] == 0.0);
}

TEST_CASE("refine_boundaries: a misplaced boundary moves to the community split") {
  // 10 frames of 2 dims: 6 frames along e1, then 4 along e2 (with a little overlap).
  std::vector<float> f;
  for (int i = 0; i < 10; ++i) {
    f.push_back(i < 6 ? 1.0f : 0.1f);
    f.push_back(i < 6 ? 0.1f : 1.0f);
  }
  const predsense::frame_view v(f.data(), 10, 2);
  const std::vector<std::size_t> guess{4};
  CHECK(predsense::refine_boundaries(v, guess) == std::vector<std::size_t>{6});
  predsense::refinement_params p;
  p.metric = predsense::refinement_metric::conductance;
  CHECK(predsense::refine_boundaries(v, guess, p) == std::vector<std::size_t>{6});
  // min_size keeps at least that many frames on each side: range [8, 8] leaves no choice.
  p.min_size = 8;
  p.metric = predsense::refinement_metric::modularity;
  CHECK(predsense::refine_boundaries(v, std::vector<std::size_t>{4}, p) == std::vector<std::size_t>{4});
  CHECK_THROWS_AS(predsense::refine_boundaries(v, std::vector<std::size_t>{0}), predsense::invalid_argument_error);
}

TEST_CASE("bocpd: vectorised loops agree with the scalar twin") {
  noise rng;
  std::vector<double> x;
  for (int i = 0; i < 3000; ++i) x.push_back(((i / 137) % 3) * 2.0 + rng.normal());
  predsense::bocpd_params vec, sca;
  sca.simd = false;
  predsense::bocpd a(vec), b(sca);
  double max_rel = 0.0;
  for (double v : x) {
    const double sa = a.update(v), sb = b.update(v);
    max_rel = std::max(max_rel, std::abs(sa - sb) / std::max(1.0, std::abs(sb)));
  }
  CHECK(max_rel < 1e-12);
  CHECK(a.size() == b.size());
  CHECK(a.map_changepoints() == b.map_changepoints());
}

namespace {
// The contract in behaviour, not only in signature: segment() equals push-all + flush(), and after
// reset() the same series gives the same boundaries (no state leaks from the previous stream).
template <class S>
void check_contract(S seg, const std::vector<double>& s) {
  std::vector<boundary> pushed;
  for (std::size_t t = 0; t < s.size(); ++t)
    if (auto b = seg.push(s[t], t)) pushed.push_back(*b);
  for (const auto& b : seg.flush()) pushed.push_back(b);
  seg.reset();
  const auto offline = seg.segment(s);
  const auto again = seg.segment(s);
  REQUIRE(offline.size() == pushed.size());
  REQUIRE(again.size() == pushed.size());
  for (std::size_t i = 0; i < pushed.size(); ++i) {
    CHECK(offline[i].t == pushed[i].t);
    CHECK(again[i].t == pushed[i].t);
  }
}
}  // namespace

TEST_CASE("segmenter contract: segment == push + flush, reset forgets the stream, for every built-in") {
  noise n;
  std::vector<double> s;
  for (int seg = 0; seg < 4; ++seg)
    for (int i = 0; i < 60; ++i) s.push_back(0.05 + 0.01 * n.normal() + (i == 0 && seg > 0 ? 0.8 : 0.0));
  check_contract(predsense::threshold_segmenter(0.5), s);
  check_contract(predsense::adaptive_segmenter(), s);
  check_contract(predsense::peak_segmenter(), s);
  check_contract(predsense::bocpd_segmenter(), s);
  check_contract(predsense::cut_segmenter(), s);
  check_contract(predsense::offline_segmenter(), s);
  // the spikes at 60, 120, 180 are found by the cut segmenter, also after a reset
  predsense::cut_segmenter cut;
  (void)cut.segment(s);
  const auto b = cut.segment(s);
  REQUIRE(b.size() == 3);
  CHECK(b[0].t == 60);
  CHECK(b[2].t == 180);
}
