// Offline change-point methods: costs against direct formulas, PELT against brute force over every
// partition (n <= 12), binary segmentation and AMOC against hand-checked cases, penalties, and the
// missing-value policies (a series with gaps segments like its gap-filled copy).
#include <doctest/doctest.h>

#include <cmath>
#include <cstdint>
#include <limits>
#include <numbers>
#include <vector>

#include "predsense/core/concepts.hpp"
#include "predsense/core/error.hpp"
#include "predsense/segmentation/offline/amoc.hpp"
#include "predsense/segmentation/offline/binary_segmentation.hpp"
#include "predsense/segmentation/streaming/bocpd.hpp"
#include "predsense/segmentation/streaming/bocpd_segmenter.hpp"
#include "predsense/segmentation/offline/costs/empirical_distribution_cost.hpp"
#include "predsense/segmentation/series/missing_values.hpp"
#include "predsense/segmentation/offline/costs/normal_ar1_cost.hpp"
#include "predsense/segmentation/offline/costs/normal_linear_trend_cost.hpp"
#include "predsense/segmentation/offline/costs/normal_mean_cost.hpp"
#include "predsense/segmentation/offline/costs/normal_meanvar_cost.hpp"
#include "predsense/segmentation/offline/offline_change_points.hpp"
#include "predsense/segmentation/offline/offline_segmenter.hpp"
#include "predsense/segmentation/offline/pelt.hpp"
#include "predsense/segmentation/offline/preconditions.hpp"
#include "predsense/segmentation/offline/costs/penalty.hpp"

using namespace predsense;
using cps_t = std::vector<std::size_t>;

static_assert(change_point_cost<normal_mean_cost>);
static_assert(change_point_cost<normal_meanvar_cost>);
static_assert(change_point_cost<empirical_distribution_cost>);
static_assert(sized_change_point_cost<normal_linear_trend_cost>);
static_assert(sized_change_point_cost<normal_ar1_cost>);
static_assert(sized_change_point_cost<normal_meanvar_cost>);
static_assert(!sized_change_point_cost<normal_mean_cost>);

namespace {

constexpr double missing = std::numeric_limits<double>::quiet_NaN();  // a missing value

// Deterministic pseudo-noise in [-0.5, 0.5) from a 64-bit LCG.
struct lcg {
  std::uint64_t s;
  double operator()() {
    s = s * 6364136223846793005ULL + 1442695040888963407ULL;
    return static_cast<double>(s >> 11) / 9007199254740992.0 - 0.5;
  }
};

std::vector<double> steps(const std::vector<std::pair<std::size_t, double>>& parts, double noise, std::uint64_t seed) {
  lcg r{seed};
  std::vector<double> x;
  for (auto [len, level] : parts)
    for (std::size_t i = 0; i < len; ++i) x.push_back(level + noise * r());
  return x;
}

// The penalised objective of a partition, computed directly.
template <class Cost>
double objective(const Cost& c, const cps_t& cps, const penalty& pen, std::size_t min_size) {
  const std::size_t n = c.size();
  std::size_t a = 0;
  double f = 0.0;
  auto seg = [&](std::size_t s, std::size_t t) {
    if (t - s < min_size) return std::numeric_limits<double>::infinity();
    return c(s, t) + pen.segment_term(t - s);
  };
  for (std::size_t b : cps) f += seg(a, b), a = b;
  f += seg(a, n);
  return f + pen.per_change(n, c.parameters_per_segment()) * static_cast<double>(cps.size());
}

// Brute force over all 2^(n-1) partitions: the minimum objective.
template <class Cost>
double brute_force_min(const Cost& c, const penalty& pen, std::size_t min_size) {
  const std::size_t n = c.size();
  double best = std::numeric_limits<double>::infinity();
  for (std::uint32_t mask = 0; mask < (1u << (n - 1)); ++mask) {
    cps_t cps;
    for (std::size_t j = 1; j < n; ++j)
      if (mask & (1u << (j - 1))) cps.push_back(j);
    best = std::min(best, objective(c, cps, pen, min_size));
  }
  return best;
}

}  // namespace

TEST_CASE("normal_mean_cost is the residual sum of squares about the segment mean, summed over dimensions") {
  const std::vector<double> x{1, 10, 2, 20, 4, 40, 7, 70};  // 4 rows x 2 dims
  const normal_mean_cost c(x, 2);
  CHECK(c.size() == 4);
  CHECK(c.parameters_per_segment() == 2);
  // rows 1..3: dim0 {2,4,7} mean 13/3, dim1 {20,40,70} mean 130/3
  const double m0 = 13.0 / 3, m1 = 130.0 / 3;
  const double rss = (2 - m0) * (2 - m0) + (4 - m0) * (4 - m0) + (7 - m0) * (7 - m0) + (20 - m1) * (20 - m1) +
                     (40 - m1) * (40 - m1) + (70 - m1) * (70 - m1);
  CHECK(c(1, 4) == doctest::Approx(rss).epsilon(1e-12));
  CHECK(c(2, 3) == doctest::Approx(0.0));
  const normal_mean_cost c2(x, 2, 4.0);
  CHECK(c2(1, 4) == doctest::Approx(rss / 4.0).epsilon(1e-12));
  CHECK_THROWS_AS((normal_mean_cost{x, 3}), shape_error);
  const std::vector<double> with_nan{1, missing}, empty;
  CHECK_THROWS_AS(normal_mean_cost{with_nan}, non_finite_error);
  CHECK_THROWS_AS(normal_mean_cost{empty}, empty_error);
  CHECK_THROWS_AS((normal_mean_cost{x, 2, 0.0}), invalid_argument_error);
}

TEST_CASE("normal_meanvar_cost is m (log 2 pi + log sigma^2 + 1) with the MLE variance, floored at 1e-11") {
  const std::vector<double> x{1, 3, 2, 6, 6, 6};
  const normal_meanvar_cost c(x);
  const double var = (1.0 + 1.0 + 0.0) / 3.0;  // {1, 3, 2}: mean 2
  CHECK(c(0, 3) == doctest::Approx(3.0 * (std::log(2 * std::numbers::pi) + std::log(var) + 1.0)).epsilon(1e-12));
  CHECK(c(3, 6) == doctest::Approx(3.0 * (std::log(2 * std::numbers::pi) + std::log(1e-11) + 1.0)).epsilon(1e-9));
  CHECK(c.parameters_per_segment() == 2);
}

TEST_CASE("empirical_distribution_cost: binary entropy of the segment CDF at K quantiles, rank-only") {
  std::vector<double> x;
  for (int i = 0; i < 40; ++i) x.push_back(i % 2 ? 1.0 + 0.01 * i : -1.0 - 0.01 * i);
  const empirical_distribution_cost c(x);
  CHECK(c.quantiles() == static_cast<std::size_t>(std::ceil(4 * std::log(40.0))));
  // Direct evaluation for one segment.
  std::vector<double> sorted = x;
  std::sort(sorted.begin(), sorted.end());
  const double n = 40, K = static_cast<double>(c.quantiles());
  double h = 0.0;
  for (std::size_t k = 1; k <= c.quantiles(); ++k) {
    const double p = 1.0 / (1.0 + std::pow(2 * n - 1, 1.0 - (2.0 * static_cast<double>(k) - 1.0) / K));
    const double q = sorted[std::min<std::size_t>(39, static_cast<std::size_t>(std::floor(p * (n - 1))))];
    double f = 0.0;
    for (std::size_t i = 5; i < 17; ++i) f += x[i] < q ? 1.0 : (x[i] == q ? 0.5 : 0.0);
    f /= 12.0;
    if (f > 0 && f < 1) h -= f * std::log(f) + (1 - f) * std::log(1 - f);
  }
  CHECK(c(5, 17) == doctest::Approx(2.0 * std::log(2 * n - 1) / K * 12.0 * h).epsilon(1e-12));
  // Robustness: one wild value moves the cost as much as any other value of the same rank would.
  std::vector<double> y = x;
  y[10] = 1e12;
  std::vector<double> z = x;
  z[10] = 2.0;  // also the maximum, just not wild
  const empirical_distribution_cost cy(y), cz(z);
  CHECK(cy(0, 40) == doctest::Approx(cz(0, 40)));
  CHECK(cy(3, 25) == doctest::Approx(cz(3, 25)));
}

TEST_CASE("penalties follow R changepoint's definitions") {
  const std::size_t n = 100;
  const double ln = std::log(100.0);
  CHECK(penalty{penalty_kind::none}.per_change(n, 1) == 0.0);
  CHECK(penalty{penalty_kind::bic}.per_change(n, 1) == doctest::Approx(2 * ln));
  CHECK(penalty{penalty_kind::mbic}.per_change(n, 1) == doctest::Approx(3 * ln));
  CHECK(penalty{penalty_kind::mbic}.per_change(n, 2) == doctest::Approx(4 * ln));
  CHECK(penalty{penalty_kind::aic}.per_change(n, 1) == doctest::Approx(4.0));
  CHECK(penalty{penalty_kind::hannan_quinn}.per_change(n, 1) == doctest::Approx(4 * std::log(ln)));
  CHECK(penalty{penalty_kind::manual, 7.5}.per_change(n, 1) == 7.5);
  CHECK(penalty{penalty_kind::mbic}.segment_term(10) == doctest::Approx(std::log(10.0)));
  CHECK(penalty{penalty_kind::bic}.segment_term(10) == 0.0);
  const penalty negative{penalty_kind::manual, -1.0}, not_a_number{penalty_kind::manual, missing};
  CHECK_THROWS_AS((void)negative.per_change(n, 1), invalid_argument_error);
  CHECK_THROWS_AS((void)not_a_number.per_change(n, 1), invalid_argument_error);
  CHECK_THROWS_AS(parse_penalty("bogus"), invalid_argument_error);
  CHECK(parse_penalty("SIC").kind == penalty_kind::bic);
}

TEST_CASE("PELT finds the optimal partition: brute force over every partition for n <= 12") {
  for (std::uint64_t seed = 1; seed <= 12; ++seed) {
    lcg r{seed * 977};
    const std::size_t n = 6 + seed % 7;  // 6..12
    std::vector<double> x;
    const std::size_t cut = 2 + seed % (n - 3);
    for (std::size_t i = 0; i < n; ++i) x.push_back((i < cut ? 0.0 : 2.5) + 1.2 * r());
    for (penalty pen : {penalty{penalty_kind::bic}, penalty{penalty_kind::mbic}, penalty{penalty_kind::aic},
                        penalty{penalty_kind::none}, penalty{penalty_kind::manual, 0.8}}) {
      for (std::size_t m : {1, 2, 3}) {
        CAPTURE(seed);
        CAPTURE(m);
        CAPTURE(penalty_name(pen.kind));
        const normal_mean_cost c(x);
        const auto got = pelt(c, pelt_params{pen, m});
        CHECK(objective(c, got, pen, m) == doctest::Approx(brute_force_min(c, pen, m)).epsilon(1e-12));
        const normal_meanvar_cost cv(x);
        if (m >= 2) {
          const auto gv = pelt(cv, pelt_params{pen, m});
          CHECK(objective(cv, gv, pen, m) == doctest::Approx(brute_force_min(cv, pen, m)).epsilon(1e-12));
        }
        const empirical_distribution_cost ce(x);
        const auto ge = pelt(ce, pelt_params{pen, m});
        CHECK(objective(ce, ge, pen, m) == doctest::Approx(brute_force_min(ce, pen, m)).epsilon(1e-12));
      }
    }
  }
}

TEST_CASE("PELT on a two-segment series: the change at the first row of the new segment") {
  const auto x = steps({{6, 0.0}, {6, 5.0}}, 0.2, 3);
  const normal_mean_cost c(x);
  CHECK(pelt(c) == cps_t{6});
  CHECK(pelt(c, pelt_params{penalty{penalty_kind::bic}, 1}) == cps_t{6});
  // Multivariate: the change is only in the second dimension; costs add up.
  std::vector<double> xy;
  for (std::size_t i = 0; i < x.size(); ++i) xy.push_back(0.1 * static_cast<double>(i % 2)), xy.push_back(x[i]);
  CHECK(pelt(normal_mean_cost(xy, 2)) == cps_t{6});
  const pelt_params zero_min{penalty{}, 0}, too_long{penalty{}, 13};
  CHECK_THROWS_AS(pelt(c, zero_min), invalid_argument_error);
  CHECK_THROWS_AS(pelt(c, too_long), empty_error);
}

TEST_CASE("PELT keeps the optimum under MBIC where R's pruning (slack 0) may not, and agrees on a clean case") {
  const auto x = steps({{200, 0.0}, {150, 1.2}, {250, -0.6}, {100, 2.0}}, 1.5, 11);
  const normal_mean_cost c(x);
  const penalty mbic{penalty_kind::mbic};
  const auto exact = pelt(c, pelt_params{mbic, 1, false});
  const auto r = pelt(c, pelt_params{mbic, 1, true});
  CHECK(objective(c, exact, mbic, 1) <= objective(c, r, mbic, 1) + 1e-9);
  CHECK(exact.size() == 3);
}

TEST_CASE("binary segmentation: greedy splits, at most Q, stops below the penalty") {
  const auto x = steps({{30, 0.0}, {30, 4.0}, {30, 1.0}, {30, 6.0}}, 0.5, 5);
  const normal_mean_cost c(x);
  CHECK(binary_segmentation(c) == cps_t{30, 60, 90});
  CHECK(binary_segmentation(c, binary_segmentation_params{penalty{}, 1, 1}).size() == 1);
  // No penalty and Q large: it keeps splitting until Q.
  CHECK(binary_segmentation(c, binary_segmentation_params{penalty{penalty_kind::none}, 7, 1}).size() == 7);
  // First split = the best single split (AMOC's without the test).
  const auto one = binary_segmentation(c, binary_segmentation_params{penalty{penalty_kind::none}, 1, 1});
  const auto a = amoc(c, amoc_params{penalty{penalty_kind::none}, 1});
  CHECK(one == a);
  // Minimum segment length is honoured.
  const auto big = binary_segmentation(c, binary_segmentation_params{penalty{penalty_kind::none}, 100, 25});
  std::size_t prev = 0;
  for (auto b : big) {
    CHECK(b - prev >= 25);
    prev = b;
  }
  CHECK(x.size() - prev >= 25);
}

TEST_CASE("AMOC: one change or none, PELT's objective restricted to at most one change") {
  const auto x = steps({{20, 0.0}, {25, 3.0}}, 0.4, 9);
  const normal_mean_cost c(x);
  CHECK(amoc(c) == cps_t{20});
  CHECK(pelt(c) == cps_t{20});
  const auto flat = steps({{60, 1.0}}, 0.4, 2);
  CHECK(amoc(normal_mean_cost(flat)).empty());
  // The hand-computed test statistic on a tiny series: {0,0,0,1,1,1} split at 3, unit variance.
  const std::vector<double> t{0, 0, 0, 1, 1, 1};
  const normal_mean_cost ct(t);
  const double gain = ct(0, 6) - ct(0, 3) - ct(3, 6);  // 1.5 - 0 - 0
  CHECK(gain == doctest::Approx(1.5));
  CHECK(amoc(ct, amoc_params{penalty{penalty_kind::manual, 1.49}, 1}) == cps_t{3});
  CHECK(amoc(ct, amoc_params{penalty{penalty_kind::manual, 1.51}, 1}).empty());
  // R's form of the MBIC test is stricter by about log n.
  const auto mid = steps({{40, 0.0}, {40, 0.55}}, 1.0, 4);
  const normal_mean_cost cm(mid);
  if (!amoc(cm, amoc_params{penalty{}, 1, true}).empty()) CHECK(!amoc(cm).empty());
}

TEST_CASE("missing values: skip gives the gap-filled copy's boundaries, in the original index") {
  const auto full = steps({{25, 0.0}, {30, 3.0}, {25, -1.0}}, 0.5, 21);
  std::vector<double> gappy = full;
  for (std::size_t i : {3u, 4u, 17u, 40u, 41u, 42u, 70u}) gappy[i] = missing;
  for (auto method : {offline_method::pelt, offline_method::binseg, offline_method::amoc}) {
    for (auto cost : {cost_kind::normal_mean, cost_kind::normal_meanvar, cost_kind::empirical_distribution}) {
      offline_params p;
      p.method = method;
      p.cost = cost;
      p.min_size = 3;
      CAPTURE(static_cast<int>(method));
      CAPTURE(static_cast<int>(cost));
      const auto a = offline_change_points(full, 1, p);
      const auto b = offline_change_points(gappy, 1, p);
      CHECK(a == b);
      p.missing = missing_policy::interpolate;
      CHECK(offline_change_points(gappy, 1, p) == a);
      p.missing = missing_policy::error;
      CHECK_THROWS_AS(offline_change_points(gappy, 1, p), non_finite_error);
    }
  }
  // A gap right before a change: the change is reported at the first observed row after the gap.
  std::vector<double> g2 = steps({{20, 0.0}, {20, 5.0}}, 0.3, 8);
  g2[19] = missing, g2[20] = missing, g2[21] = missing;
  CHECK(offline_change_points(g2, 1, offline_params{}) == cps_t{22});
}

TEST_CASE("missing values: all missing, too few observed rows, infinities are errors that say so") {
  const std::vector<double> none{missing, missing, missing};
  CHECK_THROWS_AS(offline_change_points(none, 1), empty_error);
  offline_params p;
  p.min_size = 3;
  const std::vector<double> two_observed{1.0, missing, 2.0, missing}, infinite{1.0, INFINITY, 2.0};
  const offline_params defaults{};
  CHECK_THROWS_AS(offline_change_points(two_observed, 1, p), empty_error);
  CHECK_THROWS_AS(offline_change_points(infinite, 1, defaults), non_finite_error);
  try {
    (void)offline_change_points(two_observed, 1, p);
  } catch (const empty_error& e) {
    CHECK(std::string(e.what()).find("2 observed rows (of 4)") != std::string::npos);
  }
  // interpolate: linear inside, nearest value at the ends; a multivariate row is missing if any value is.
  const auto o = apply_missing_policy(std::vector<double>{missing, 1, 2, missing, missing, 5, 7, missing}, 1,
                                      missing_policy::interpolate);
  CHECK(o.x == std::vector<double>{1, 1, 2, 3, 4, 5, 7, 7});
  const auto s = apply_missing_policy(std::vector<double>{1, 2, missing, 4, 5, 6}, 2, missing_policy::skip);
  CHECK(s.index == std::vector<std::size_t>{0, 2});
  CHECK(s.x == std::vector<double>{1, 2, 5, 6});
}

TEST_CASE("BOCPD skips the likelihood of a missing step; the hazard runs through the gap") {
  const auto full = steps({{40, 0.0}, {40, 4.0}}, 0.6, 17);
  std::vector<double> gappy = full;
  for (std::size_t i : {5u, 6u, 22u, 60u}) gappy[i] = missing;
  const auto a = bocpd_map_segmentation(full, 1);
  const auto b = bocpd_map_segmentation(gappy, 1);
  CHECK(a == cps_t{40});
  CHECK(b == a);
  const auto surprise = bocpd_surprise(gappy, 1);
  CHECK(std::isnan(surprise[5]));
  CHECK(std::isfinite(surprise[7]));
  // A gap of g steps: the next observation's change probability uses 1 - (1 - H)^(g + 1).
  bocpd_params prm;
  prm.lambda = 10;
  prm.prune_mass = 0;
  bocpd with_gap(prm), plain(prm);
  for (double v : {0.1, -0.2, 0.05}) with_gap.update(v), plain.update(v);
  with_gap.update(missing);
  with_gap.update(missing);
  CHECK(with_gap.steps() == 3);
  CHECK(with_gap.missing_steps() == 2);
  with_gap.update(0.0);
  plain.update(0.0);
  // The run starting at the new observation absorbs the prior change mass of three steps.
  CHECK(with_gap.start_probability(3) > plain.start_probability(3));
  // Streaming segmenter: boundaries in original steps.
  bocpd_segmenter_params sp;
  const auto sb = bocpd_segment(gappy, 1, sp);
  const auto fb = bocpd_segment(full, 1, sp);
  REQUIRE(sb.size() == fb.size());
  for (std::size_t i = 0; i < sb.size(); ++i) CHECK(sb[i].t == fb[i].t);
  const std::vector<double> all_missing{missing, missing}, inf_row{1.0, INFINITY};
  CHECK_THROWS_AS(bocpd_map_segmentation(all_missing, 1), empty_error);
  CHECK_THROWS_AS(bocpd_map_segmentation(inf_row, 1), non_finite_error);
}

TEST_CASE("bocpd_segmenter: segment() and reset() give the same boundaries as a fresh streaming run") {
  const auto x = steps({{40, 0.0}, {40, 4.0}, {40, 1.0}}, 0.5, 31);
  bocpd_segmenter seg;
  const auto a = seg.segment(x);
  const auto b = bocpd_segment(x, 1);
  REQUIRE(a.size() == b.size());
  for (std::size_t i = 0; i < a.size(); ++i) CHECK(a[i].t == b[i].t);
  CHECK(a.size() == 2);
  for (std::size_t t = 0; t < 30; ++t) (void)seg.push(x[t], t);
  seg.reset();  // a new stream starts at step 0 again
  std::vector<boundary> c;
  for (std::size_t t = 0; t < x.size(); ++t)
    if (auto bd = seg.push(x[t], t)) c.push_back(*bd);
  for (const auto& bd : seg.flush()) c.push_back(bd);
  REQUIRE(c.size() == b.size());
  for (std::size_t i = 0; i < c.size(); ++i) CHECK(c[i].t == b[i].t);
}

TEST_CASE("offline_segmenter: the offline methods behind push/flush, boundaries at the pushed t") {
  static_assert(event_segmenter<offline_segmenter>);
  const auto x = steps({{30, 0.0}, {30, 5.0}, {30, 1.0}}, 0.5, 41);
  offline_segmenter_params p;
  p.method.method = offline_method::pelt;
  offline_segmenter seg(p);
  for (std::size_t i = 0; i < x.size(); ++i) CHECK(!seg.push(x[i], 100 + 2 * i).has_value());
  const auto b = seg.flush();
  // the same change points as the offline call on the z-scored series, at the pushed times
  std::vector<double> z = x;
  standardize_columns(z, 1);
  const auto cps = offline_change_points(z, 1, p.method);
  REQUIRE(b.size() == cps.size());
  REQUIRE(b.size() == 2);
  for (std::size_t i = 0; i < b.size(); ++i) {
    CHECK(b[i].t == 100 + 2 * cps[i]);
    CHECK(b[i].decided_at == 100 + 2 * (x.size() - 1));
  }
  CHECK(seg.flush().empty());  // the buffer was consumed
  (void)seg.push(1.0, 5);
  CHECK_THROWS_AS((void)seg.push(1.0, 5), invalid_argument_error);
  seg.reset();
  CHECK(seg.segment(x).size() == 2);
}

namespace {

// Least squares of y on (1, z) by the normal equations, solved directly: the residual sum of squares.
double ols_rss(const std::vector<double>& z, const std::vector<double>& y) {
  const double k = static_cast<double>(y.size());
  double sz = 0, sy = 0, szz = 0, szy = 0;
  for (std::size_t i = 0; i < y.size(); ++i) sz += z[i], sy += y[i], szz += z[i] * z[i], szy += z[i] * y[i];
  const double det = k * szz - sz * sz;
  double a = sy / k, b = 0.0;  // z constant: the mean alone
  if (std::abs(det) > 1e-9 * std::max(1.0, k * szz)) {
    b = (k * szy - sz * sy) / det;
    a = (sy - b * sz) / k;
  }
  double r = 0;
  for (std::size_t i = 0; i < y.size(); ++i) r += (y[i] - a - b * z[i]) * (y[i] - a - b * z[i]);
  return r;
}

std::vector<double> noisy(std::size_t n, std::uint64_t seed) {
  lcg r{seed};
  std::vector<double> x;
  for (std::size_t i = 0; i < n; ++i) x.push_back(0.3 * static_cast<double>(i % 5) + r() + (i > n / 2 ? 2.0 : 0.0));
  return x;
}

constexpr double log_2pi = 1.8378770664093453;

}  // namespace

TEST_CASE("normal_linear_trend_cost is the least-squares line's residual sum of squares, brute force") {
  const std::size_t n = 14, dims = 2;
  std::vector<double> x;
  lcg r{77};
  for (std::size_t i = 0; i < n; ++i) x.push_back(0.5 * static_cast<double>(i) + r()), x.push_back(3.0 * r() - 1.0);
  const normal_linear_trend_cost known(x, dims), est(x, dims, noise_variance::estimated),
      half(x, dims, noise_variance::known, 2.0);
  CHECK(known.min_size() == 2);
  CHECK(est.min_size() == 3);
  CHECK(known.parameters_per_segment() == 4);
  CHECK(est.parameters_per_segment() == 6);
  for (std::size_t s = 0; s < n; ++s)
    for (std::size_t t = s + 1; t <= n; ++t) {
      double c_known = 0, c_est = 0;
      const double m = static_cast<double>(t - s);
      for (std::size_t d = 0; d < dims; ++d) {
        std::vector<double> u, y;
        for (std::size_t i = s; i < t; ++i) u.push_back(static_cast<double>(i)), y.push_back(x[i * dims + d]);
        const double rss = ols_rss(u, y);
        c_known += rss;
        c_est += m * (log_2pi + std::log(std::max(rss / m, 1e-11)) + 1.0);
      }
      CAPTURE(s);
      CAPTURE(t);
      CHECK(known(s, t) == doctest::Approx(c_known).epsilon(1e-9).scale(1.0));
      CHECK(half(s, t) == doctest::Approx(c_known / 2).epsilon(1e-9).scale(1.0));
      if (t - s >= 3) CHECK(est(s, t) == doctest::Approx(c_est).epsilon(1e-9).scale(1.0));
    }
  // A straight line costs nothing, however long: a trend is not a change.
  std::vector<double> line;
  for (int i = 0; i < 50; ++i) line.push_back(2.0 - 0.25 * i);
  CHECK(normal_linear_trend_cost(line)(0, 50) == doctest::Approx(0.0).scale(1.0));
  CHECK(pelt(normal_linear_trend_cost(line)).empty());
  CHECK(pelt(normal_mean_cost(line)).size() > 3);  // the mean cost cuts a trend into steps
  CHECK_THROWS_AS((normal_linear_trend_cost{line, 1, noise_variance::known, 0.0}), invalid_argument_error);
  CHECK_THROWS_AS((normal_linear_trend_cost{line, 3}), shape_error);
}

TEST_CASE("normal_ar1_cost is the conditional AR(1) regression's Gaussian cost, brute force") {
  const std::size_t n = 16, dims = 2;
  std::vector<double> x;
  lcg r{91};
  double a = 0, b = 0;
  for (std::size_t i = 0; i < n; ++i) {
    a = 0.7 * a + r(), b = -0.3 * b + r() + (i >= 8 ? 1.5 : 0.0);
    x.push_back(a), x.push_back(b);
  }
  const normal_ar1_cost c(x, dims);
  CHECK(c.min_size() == 4);
  CHECK(c.parameters_per_segment() == 6);
  for (std::size_t s = 0; s < n; ++s)
    for (std::size_t t = s + 4; t <= n; ++t) {
      double want = 0;
      const std::size_t first = std::max<std::size_t>(s, 1);
      const double k = static_cast<double>(t - first);
      for (std::size_t d = 0; d < dims; ++d) {
        std::vector<double> z, y;
        for (std::size_t i = first; i < t; ++i) z.push_back(x[(i - 1) * dims + d]), y.push_back(x[i * dims + d]);
        want += k * (log_2pi + std::log(std::max(ols_rss(z, y) / k, 1e-11)) + 1.0);
      }
      CAPTURE(s);
      CAPTURE(t);
      CHECK(c(s, t) == doctest::Approx(want).epsilon(1e-9).scale(1.0));
    }
}

TEST_CASE("PELT with the new costs finds the optimal partition: brute force over every partition") {
  for (std::uint64_t seed = 1; seed <= 6; ++seed) {
    const auto x = noisy(9 + seed % 4, seed * 31);
    for (penalty pen : {penalty{penalty_kind::bic}, penalty{penalty_kind::mbic}, penalty{penalty_kind::manual, 0.5}}) {
      CAPTURE(seed);
      CAPTURE(penalty_name(pen.kind));
      const normal_linear_trend_cost lk(x), le(x, 1, noise_variance::estimated);
      const normal_ar1_cost ar(x);
      // The search uses the cost's own minimum even when asked for 1.
      CHECK(objective(lk, pelt(lk, pelt_params{pen, 1}), pen, 2) == doctest::Approx(brute_force_min(lk, pen, 2)));
      CHECK(objective(le, pelt(le, pelt_params{pen, 1}), pen, 3) == doctest::Approx(brute_force_min(le, pen, 3)));
      CHECK(objective(ar, pelt(ar, pelt_params{pen, 1}), pen, 4) == doctest::Approx(brute_force_min(ar, pen, 4)));
    }
  }
}

TEST_CASE("a cost's own minimum segment length is honoured by every search method") {
  // Mean-and-variance cost at min_size 1: one-row segments would have zero variance and a change
  // on almost every row; the cost's own minimum (2) applies instead.
  const auto x = steps({{100, 0.0}, {100, 3.0}}, 1.0, 17);
  const normal_meanvar_cost c(x);
  CHECK(detail::cost_min_size(c) == 2);
  CHECK(detail::cost_min_size(normal_mean_cost(x)) == 1);
  CHECK(pelt(c, pelt_params{penalty{}, 1}) == cps_t{100});
  CHECK(binary_segmentation(c, binary_segmentation_params{penalty{}, 5, 1}) == cps_t{100});
  CHECK(amoc(c, amoc_params{penalty{}, 1}) == cps_t{100});
  offline_params p;
  p.cost = cost_kind::normal_meanvar;
  p.min_size = 1;
  for (auto method : {offline_method::pelt, offline_method::binseg, offline_method::amoc}) {
    p.method = method;
    CHECK(offline_change_points(x, 1, p) == cps_t{100});
  }
  // Every segment returned respects it, for each cost with a minimum.
  const auto y = noisy(60, 5);
  for (auto k : {cost_kind::normal_meanvar, cost_kind::linear_trend, cost_kind::linear_trend_var, cost_kind::ar1}) {
    p.cost = k;
    p.penalty = penalty{penalty_kind::none};
    p.method = offline_method::pelt;
    const auto cps = offline_change_points(y, 1, p);
    std::size_t prev = 0;
    for (auto b : cps) {
      CHECK(b - prev >= cost_min_size(k));
      prev = b;
    }
    CHECK(y.size() - prev >= cost_min_size(k));
  }
  // Too short for the cost's own minimum: empty_error that says so.
  const std::vector<double> three{1.0, 2.0, 3.0};
  p.cost = cost_kind::ar1;
  CHECK_THROWS_WITH_AS(offline_change_points(three, 1, p), doctest::Contains("cost's own minimum"), empty_error);
  CHECK_THROWS_AS(pelt(normal_ar1_cost(three)), empty_error);
}

TEST_CASE("results do not depend on an offset up to 1e12") {
  const auto x = steps({{60, 0.0}, {50, 2.0}, {70, -1.0}, {40, 1.5}}, 0.8, 23);
  const auto y = steps({{80, 0.0}, {80, 0.0}}, 0.4, 29);  // and a change in variance only
  std::vector<double> yv = y;
  for (std::size_t i = 80; i < 160; ++i) yv[i] *= 4.0;
  for (auto k : {cost_kind::normal_mean, cost_kind::normal_meanvar, cost_kind::linear_trend,
                 cost_kind::linear_trend_var, cost_kind::ar1}) {
    for (auto method : {offline_method::pelt, offline_method::binseg, offline_method::amoc}) {
      offline_params p;
      p.cost = k;
      p.method = method;
      const auto base = offline_change_points(x, 1, p);
      const auto base_v = offline_change_points(yv, 1, p);
      for (double offset : {1e4, 1e6, 1e8, 1e10, 1e12, -1e12}) {
        CAPTURE(static_cast<int>(k));
        CAPTURE(offset);
        std::vector<double> shifted = x, shifted_v = yv;
        for (auto& v : shifted) v += offset;
        for (auto& v : shifted_v) v += offset;
        CHECK(offline_change_points(shifted, 1, p) == base);
        if (k != cost_kind::normal_mean) CHECK(offline_change_points(shifted_v, 1, p) == base_v);
      }
    }
  }
  // The costs themselves: the same to a relative 1e-3 of the spread's cost.
  std::vector<double> shifted = x;
  for (auto& v : shifted) v += 1e12;
  const normal_mean_cost a(x), b(shifted);
  const normal_meanvar_cost av(x), bv(shifted);
  CHECK(b(10, 120) == doctest::Approx(a(10, 120)).epsilon(1e-3));
  CHECK(bv(10, 120) == doctest::Approx(av(10, 120)).epsilon(1e-3));
}

TEST_CASE("an empty series is empty_error in every offline entry point") {
  const std::vector<double> empty;
  CHECK_THROWS_AS(offline_change_points(empty, 1), empty_error);
  CHECK_THROWS_AS(pelt(normal_mean_cost(empty)), empty_error);
  CHECK_THROWS_AS(normal_linear_trend_cost{empty}, empty_error);
  CHECK_THROWS_AS(normal_ar1_cost{empty}, empty_error);
  offline_segmenter seg;
  CHECK_THROWS_AS((void)seg.segment(empty), empty_error);
  CHECK_THROWS_AS((void)seg.flush(), empty_error);  // nothing pushed: an empty series
  (void)seg.push(1.0, 0);
  CHECK(seg.flush().empty());  // one value: no change
  CHECK(seg.flush().empty());  // consumed; nothing new
  seg.reset();
  CHECK_THROWS_AS((void)seg.flush(), empty_error);
}
