// surprise metrics and normalizers: definitions, adapter-independence, errors.
#include <doctest/doctest.h>

#include <cmath>
#include <numbers>
#include <random>
#include <vector>

#include "predsense/core/concepts.hpp"
#include "predsense/core/eigen.hpp"
#include "predsense/core/xtensor.hpp"
#include "predsense/surprise/ema_normalizer.hpp"
#include "predsense/surprise/gaussian_nll.hpp"
#include "predsense/surprise/l2_distance.hpp"
#include "predsense/surprise/mse.hpp"
#include "predsense/surprise/pooled_cosine_distance.hpp"
#include "predsense/surprise/token_cosine_distance.hpp"
#include "predsense/surprise/zscore_normalizer.hpp"

using namespace predsense;

static_assert(surprise_metric<token_cosine_distance<>>);
static_assert(surprise_metric<pooled_cosine_distance<>>);
static_assert(surprise_metric<mse<>>);
static_assert(surprise_metric<l2_distance<>>);
static_assert(surprise_metric<gaussian_nll<>>);
static_assert(surprise_normalizer<zscore_normalizer>);
static_assert(surprise_normalizer<ema_normalizer>);

namespace {
constexpr std::size_t T = 13, D = 37;

std::vector<float> random_frame(unsigned seed, float shift = 0.0f) {
  std::mt19937 rng(seed);
  std::normal_distribution<float> g(shift, 1.0f);
  std::vector<float> v(T * D);
  for (auto& x : v) x = g(rng);
  return v;
}

double cos_d(const float* a, const float* b, std::size_t n) {
  double d = 0, na = 0, nb = 0;
  for (std::size_t i = 0; i < n; ++i) d += double(a[i]) * b[i], na += double(a[i]) * a[i], nb += double(b[i]) * b[i];
  return d / std::sqrt(na * nb);
}
}  // namespace

TEST_CASE("metrics match their double-precision definitions") {
  const auto p = random_frame(1), a = random_frame(2, 0.5f);
  const frame_view pv(p, T, D), av(a, T, D);

  double cos_sum = 0;
  for (std::size_t t = 0; t < T; ++t) cos_sum += cos_d(&p[t * D], &a[t * D], D);
  CHECK(token_cosine_distance{}(pv, av) == doctest::Approx(1.0 - cos_sum / T).epsilon(1e-6));

  std::vector<float> mp(D, 0.0f), ma(D, 0.0f);
  for (std::size_t t = 0; t < T; ++t)
    for (std::size_t d = 0; d < D; ++d) mp[d] += p[t * D + d] / T, ma[d] += a[t * D + d] / T;
  pooled_cosine_distance pooled;
  CHECK(pooled(pv, av) == doctest::Approx(1.0 - cos_d(mp.data(), ma.data(), D)).epsilon(1e-5));

  double sq = 0;
  for (std::size_t i = 0; i < T * D; ++i) sq += double(p[i] - a[i]) * (p[i] - a[i]);
  CHECK(mse{}(pv, av) == doctest::Approx(sq / (T * D)).epsilon(1e-5));
  CHECK(l2_distance{}(pv, av) == doctest::Approx(std::sqrt(sq)).epsilon(1e-5));

  CHECK(token_cosine_distance{}(pv, pv) == doctest::Approx(0.0).epsilon(1e-7));
  CHECK(mse{}(pv, pv) == 0.0);
}

TEST_CASE("every metric gives identical results on Eigen, xtensor and std::vector inputs") {
  const auto p = random_frame(3), a = random_frame(4, 0.2f);
  const frame_view pv(p, T, D), av(a, T, D);
  row_matrix pe = Eigen::Map<const row_matrix>(p.data(), T, D), ae = Eigen::Map<const row_matrix>(a.data(), T, D);
  xt::xtensor<float, 2> px = xt::adapt(p, std::vector<std::size_t>{T, D});
  xt::xarray<float> ax = xt::adapt(a, std::vector<std::size_t>{T, D});
  Eigen::Ref<const row_matrix> pref(pe);

  auto same_everywhere = [&](auto make_metric) {
    auto m1 = make_metric(), m2 = make_metric(), m3 = make_metric(), m4 = make_metric();
    const double v = m1(pv, av);
    CHECK(std::isfinite(v));
    CHECK(m2(pe, ae) == v);
    CHECK(m3(px, ax) == v);
    CHECK(m4(pref, ax) == v);  // mixed adapters in one call
  };
  same_everywhere([] { return token_cosine_distance{}; });
  same_everywhere([] { return pooled_cosine_distance{}; });
  same_everywhere([] { return mse{}; });
  same_everywhere([] { return l2_distance{}; });
  same_everywhere([] { return gaussian_nll{}; });
}

TEST_CASE("gaussian_nll scores against the statistics of earlier residuals") {
  // T = 2 tokens, D = 1: residuals are easy to follow by hand.
  gaussian_nll nll(/*prior_var=*/4.0);
  std::vector<float> zero{0.0f, 0.0f};
  std::vector<float> f1{1.0f, 3.0f}, f2{2.0f, 2.0f};
  // Frame 1: prior N(0, 4): 0.5 * (log(2 pi 4) + (1 + 9) / 4 / 2 * 2) averaged over 2 elements.
  const double want1 = 0.5 * (std::log(2 * std::numbers::pi * 4.0) + (1.0 + 9.0) / 2.0 / 4.0);
  CHECK(nll(frame_view(zero, 2, 1), frame_view(f1, 2, 1)) == doctest::Approx(want1));
  // After {1, 3}: mean 2, unbiased var 2. Frame 2 residuals {2, 2} sit on the mean.
  CHECK(nll.mean(0) == doctest::Approx(2.0));
  CHECK(nll.variance(0) == doctest::Approx(2.0));
  const double want2 = 0.5 * std::log(2 * std::numbers::pi * 2.0);
  CHECK(nll(frame_view(zero, 2, 1), frame_view(f2, 2, 1)) == doctest::Approx(want2));
  // Now {1, 3, 2, 2}: mean 2, var 2/3 (Chan merge == Welford over all four).
  CHECK(nll.samples() == 4);
  CHECK(nll.variance(0) == doctest::Approx(2.0 / 3.0));

  std::vector<float> wide(2 * 3, 0.0f);
  CHECK_THROWS_AS(nll(frame_view(wide, 2, 3), frame_view(wide, 2, 3)), shape_error);
  CHECK_THROWS_AS(gaussian_nll<>(0.0), invalid_argument_error);
}

TEST_CASE("z-score normalizer scores each value against the past (Welford)") {
  zscore_normalizer z;
  CHECK(z(1.0) == 0.0);
  CHECK(z(3.0) == 0.0);  // one value of history has no spread yet
  // History {1, 3}: mean 2, std sqrt(2).
  CHECK(z(5.0) == doctest::Approx(3.0 / std::sqrt(2.0)));
  CHECK(z.mean() == doctest::Approx(3.0));
  CHECK(z.stddev() == doctest::Approx(2.0));
  CHECK_THROWS_AS(z(std::nan("")), non_finite_error);
}

TEST_CASE("EMA normalizer follows West's recursion") {
  ema_normalizer e(0.5);
  CHECK(e(2.0) == 0.0);
  // m = 2, v = 0: d = 2 -> z = 2 / sqrt(1e-12); then m = 3, v = 0.5 * (0 + 0.5 * 4) = 1.
  CHECK(e(4.0) > 1e5);
  CHECK(e.mean() == doctest::Approx(3.0));
  CHECK(e.variance() == doctest::Approx(1.0));
  CHECK(e(5.0) == doctest::Approx(2.0));
  CHECK_THROWS_AS(ema_normalizer(0.0), invalid_argument_error);
  CHECK_THROWS_AS(ema_normalizer(1.5), invalid_argument_error);
}
