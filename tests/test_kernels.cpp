// SIMD kernels against their scalar twins: every length 1..67, at unaligned offsets.
#include <doctest/doctest.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <random>
#include <vector>

#include "predsense/kernels/activation.hpp"
#include "predsense/kernels/argmin.hpp"
#include "predsense/kernels/average_into.hpp"
#include "predsense/kernels/avg_pool_2x2.hpp"
#include "predsense/kernels/cosine.hpp"
#include "predsense/kernels/dot.hpp"
#include "predsense/kernels/dot_norms.hpp"
#include "predsense/kernels/gemv.hpp"
#include "predsense/kernels/log_inplace.hpp"
#include "predsense/kernels/meanvar_segment_costs.hpp"
#include "predsense/kernels/rms_norm.hpp"
#include "predsense/kernels/softmax.hpp"
#include "predsense/kernels/squared_l2.hpp"
#include "predsense/kernels/squared_norm.hpp"
#include "predsense/kernels/token_cosine_distance.hpp"
#include "predsense/kernels/token_sum.hpp"

namespace k = predsense::kernels;

namespace {

constexpr double tol = 1e-5;

// Random data with a generous margin before and after so offset views stay in bounds.
struct buffers {
  std::vector<float> a, b;
  buffers(std::size_t n, unsigned seed) : a(n + 16), b(n + 16) {
    std::mt19937 rng(seed);
    std::normal_distribution<float> g(0.0f, 1.0f);
    for (auto& x : a) x = g(rng);
    for (auto& x : b) x = g(rng);
  }
};

// Relative error measured against the sum of absolute terms: the honest scale for a reduction,
// which stays meaningful when the result itself cancels to near zero.
void check_close(double got, double want, double scale) { CHECK(std::abs(got - want) <= tol * std::max(scale, 1e-30)); }

double abs_dot(const float* a, const float* b, std::size_t n) {
  double s = 0;
  for (std::size_t i = 0; i < n; ++i) s += std::abs(double(a[i]) * b[i]);
  return s;
}

}  // namespace

TEST_CASE("dot, squared_norm, dot_norms, squared_l2, cosine match the scalar twins") {
  for (std::size_t n = 1; n <= 67; ++n)
    for (std::size_t off = 0; off < 4; ++off) {
      CAPTURE(n);
      CAPTURE(off);
      buffers buf(n, unsigned(n * 31 + off));
      const float* a = buf.a.data() + off;
      const float* b = buf.b.data() + (3 - off);  // a and b misaligned differently
      const double sa = abs_dot(a, a, n), sb = abs_dot(b, b, n), sab = abs_dot(a, b, n);

      check_close(k::dot(a, b, n), k::scalar::dot(a, b, n), sab);
      check_close(k::squared_norm(a, n), k::scalar::squared_norm(a, n), sa);

      const auto f = k::dot_norms(a, b, n), r = k::scalar::dot_norms(a, b, n);
      check_close(f.dot, r.dot, sab);
      check_close(f.norm2_a, r.norm2_a, sa);
      check_close(f.norm2_b, r.norm2_b, sb);

      double sdiff = 0;
      for (std::size_t i = 0; i < n; ++i) sdiff += double(a[i] - b[i]) * (a[i] - b[i]);
      check_close(k::squared_l2(a, b, n), k::scalar::squared_l2(a, b, n), sdiff);

      check_close(k::cosine(a, b, n), k::scalar::cosine(a, b, n), sab / std::sqrt(sa * sb));
    }
}

TEST_CASE("kernels agree with a double-precision definition") {
  // Guards against a twin and a SIMD path that are wrong in the same way.
  buffers buf(1152, 7);
  const float* a = buf.a.data();
  const float* b = buf.b.data();
  double d = 0, na = 0, nb = 0;
  for (std::size_t i = 0; i < 1152; ++i) {
    d += double(a[i]) * b[i];
    na += double(a[i]) * a[i];
    nb += double(b[i]) * b[i];
  }
  check_close(k::dot(a, b, 1152), d, abs_dot(a, b, 1152));
  check_close(k::squared_norm(a, 1152), na, na);
  CHECK(k::cosine(a, b, 1152) == doctest::Approx(d / std::sqrt(na * nb)).epsilon(1e-5));
  CHECK(k::cosine(a, a, 1152) == doctest::Approx(1.0).epsilon(1e-6));
}

TEST_CASE("cosine of a zero vector is 0, not NaN (torch's eps clamp)") {
  std::vector<float> z(19, 0.0f), x(19, 1.0f);
  CHECK(k::cosine(z.data(), x.data(), 19) == 0.0);
  CHECK(k::scalar::cosine(z.data(), z.data(), 19) == 0.0);
}

TEST_CASE("token_cosine_distance matches its twin for odd token counts and dims") {
  for (std::size_t t : {1u, 3u, 7u})
    for (std::size_t d = 1; d <= 67; d += 3)
      for (std::size_t off = 0; off < 2; ++off) {
        CAPTURE(t);
        CAPTURE(d);
        buffers buf(t * d, unsigned(t * 1000 + d + off));
        const float* a = buf.a.data() + off;
        const float* b = buf.b.data() + 1;
        const double got = k::token_cosine_distance(a, b, t, d);
        const double want = k::scalar::token_cosine_distance(a, b, t, d);
        CHECK(std::abs(got - want) <= tol);
        CHECK(k::token_cosine_distance(a, a, t, d) == doctest::Approx(0.0).epsilon(1e-6));
      }
  // Known value: a token against its negation has cosine -1, against itself +1.
  std::vector<float> p{1, 2, 3, 4, 5, 6}, q{-1, -2, -3, 4, 5, 6};
  CHECK(k::token_cosine_distance(p.data(), q.data(), 2, 3) == doctest::Approx(1.0));
}

TEST_CASE("avg_pool_2x2 matches its twin, including odd H and W") {
  for (std::size_t h = 1; h <= 7; ++h)
    for (std::size_t w = 1; w <= 7; ++w)
      for (std::size_t d : {1u, 5u, 16u, 33u, 67u}) {
        CAPTURE(h);
        CAPTURE(w);
        CAPTURE(d);
        buffers buf(h * w * d, unsigned(h * 100 + w * 10 + d));
        const std::size_t on = k::pooled_extent(h) * k::pooled_extent(w) * d;
        std::vector<float> got(on + 1), want(on);
        k::avg_pool_2x2(buf.a.data() + 1, h, w, d, got.data() + 1);
        k::scalar::avg_pool_2x2(buf.a.data() + 1, h, w, d, want.data());
        for (std::size_t i = 0; i < on; ++i) CHECK(std::abs(got[i + 1] - want[i]) <= 1e-5f * (1 + std::abs(want[i])));
      }
  // Hand-checked 3x3 grid, D = 1: corners of the odd edge average what exists.
  std::vector<float> g{1, 2, 3, 4, 5, 6, 7, 8, 9}, out(4);
  k::avg_pool_2x2(g.data(), 3, 3, 1, out.data());
  CHECK(out[0] == doctest::Approx(3.0));  // (1+2+4+5)/4
  CHECK(out[1] == doctest::Approx(4.5));  // (3+6)/2
  CHECK(out[2] == doctest::Approx(7.5));  // (7+8)/2
  CHECK(out[3] == doctest::Approx(9.0));  // 9
}

namespace {
bool same_bits(const float* a, const float* b, std::size_t n) { return std::memcmp(a, b, n * sizeof(float)) == 0; }
}  // namespace

TEST_CASE("average_into: bit-identical to its twin, every length 0..67, unaligned, a == b allowed") {
  for (std::size_t n = 0; n <= 67; ++n)
    for (std::size_t off = 0; off < 3; ++off) {
      CAPTURE(n);
      CAPTURE(off);
      buffers buf(n + 4, unsigned(n * 11 + off));
      std::vector<float> got(buf.a), want(buf.a);
      k::average_into(got.data() + off, buf.b.data() + 1, n);
      k::scalar::average_into(want.data() + off, buf.b.data() + 1, n);
      CHECK(same_bits(got.data(), want.data(), got.size()));
      for (std::size_t i = 0; i < n; ++i)  // the definition, in double (halving is exact away from subnormals)
        CHECK(double(got[off + i]) == double(float(double(buf.a[off + i]) + double(buf.b[1 + i]))) / 2.0);
      std::vector<float> self(buf.a);
      k::average_into(self.data() + off, self.data() + off, n);
      CHECK(same_bits(self.data(), buf.a.data(), self.size()));
    }
}

TEST_CASE("gemv matches its twin for every row/column count up to 67") {
  for (std::size_t rows : {1u, 3u, 4u, 5u, 9u})
    for (std::size_t cols = 1; cols <= 67; ++cols) {
      CAPTURE(rows);
      CAPTURE(cols);
      buffers buf(rows * cols, unsigned(rows * 97 + cols));
      const float* a = buf.a.data() + 1;
      const float* x = buf.b.data() + 2;
      std::vector<float> got(rows), want(rows);
      k::gemv(a, rows, cols, x, got.data());
      k::scalar::gemv(a, rows, cols, x, want.data());
      for (std::size_t r = 0; r < rows; ++r) check_close(got[r], want[r], abs_dot(a + r * cols, x, cols));
    }
}

TEST_CASE("token_sum / token_mean: bit-identical to the scalar twin, every dim 1..67, unaligned") {
  for (std::size_t dim = 1; dim <= 67; ++dim)
    for (std::size_t off = 0; off < 4; ++off) {
      CAPTURE(dim);
      CAPTURE(off);
      const std::size_t tokens = 1 + dim % 7;
      buffers buf(tokens * dim, unsigned(dim * 13 + off));
      const float* x = buf.a.data() + off;
      std::vector<float> got(dim + 1), want(dim + 1);
      k::token_sum(x, tokens, dim, got.data() + 1);  // unaligned output too
      k::scalar::token_sum(x, tokens, dim, want.data() + 1);
      CHECK(std::equal(got.begin() + 1, got.end(), want.begin() + 1));
      double err = 0.0;
      for (std::size_t d = 0; d < dim; ++d) {
        double s = 0.0;
        for (std::size_t t = 0; t < tokens; ++t) s += x[t * dim + d];
        err = std::max(err, std::abs(s - got[d + 1]));
      }
      CHECK(err <= 1e-5 * static_cast<double>(tokens));
      k::token_mean(x, tokens, dim, got.data());
      for (std::size_t d = 0; d < dim; ++d) CHECK(got[d] == want[d + 1] * (1.0f / static_cast<float>(tokens)));
    }
}

TEST_CASE("log_inplace, meanvar_segment_costs and argmin match their scalar twins") {
  std::mt19937_64 rng(7);
  std::uniform_real_distribution<double> u(-3.0, 3.0);
  for (std::size_t n : {1u, 2u, 7u, 8u, 9u, 16u, 33u, 100u, 257u}) {
    CAPTURE(n);
    std::vector<double> x(n), y(n);
    for (auto& v : x) v = std::exp(u(rng) * 4.0);
    y = x;
    predsense::kernels::log_inplace(x.data(), n);
    predsense::kernels::scalar::log_inplace(y.data(), n);
    for (std::size_t i = 0; i < n; ++i) CHECK(x[i] == doctest::Approx(y[i]).epsilon(1e-15));

    // prefix sums of a series with a constant stretch (variance at the floor)
    std::vector<double> v(n + 5), s1(n + 6, 0.0), s2(n + 6, 0.0);
    for (std::size_t i = 0; i < v.size(); ++i) v[i] = i % 11 < 3 ? 1.5 : u(rng);
    for (std::size_t i = 0; i < v.size(); ++i) s1[i + 1] = s1[i] + v[i], s2[i + 1] = s2[i] + v[i] * v[i];
    const std::size_t N = v.size(), t = N;
    std::vector<double> recip(N + 1, 0.0);
    for (std::size_t j = 0; j < N; ++j) recip[j] = 1.0 / static_cast<double>(N - j);
    for (std::size_t s0 : {0u, 1u, 3u}) {
      const std::size_t r = t - s0 - 1;
      std::vector<double> b(r), c(r);
      predsense::kernels::meanvar_segment_costs(s1.data(), s2.data(), s0, r, t, 1e-11, recip.data(), N, c.data());
      predsense::kernels::scalar::meanvar_segment_costs(s1.data(), s2.data(), s0, r, t, 1e-11, b.data());
      for (std::size_t i = 0; i < r; ++i) CHECK(c[i] == doctest::Approx(b[i]).epsilon(1e-12));
    }

    std::vector<double> w(n);
    for (auto& e : w) e = std::round(u(rng) * 3.0);  // ties on purpose: the first minimum wins
    const auto got = predsense::kernels::argmin(w.data(), n);
    const auto want = predsense::kernels::scalar::argmin(w.data(), n);
    CHECK(got.index == want.index);
    CHECK(got.min == want.min);
    CHECK(got.max == want.max);
    CHECK(want.index == static_cast<std::size_t>(std::min_element(w.begin(), w.end()) - w.begin()));
  }
}

TEST_CASE("activation, softmax pieces and RMSNorm agree with their formulas (SIMD body and scalar tail)") {
  std::mt19937 rng(11);
  std::normal_distribution<float> d(0.0f, 2.0f);
  for (std::size_t n : {1u, 5u, 16u, 17u, 64u, 131u}) {
    CAPTURE(n);
    std::vector<float> z(2 * n), bias(n), u(2 * n);
    for (auto& v : z) v = d(rng);
    for (auto& v : bias) v = d(rng);
    for (auto& v : u) v = d(rng);
    auto g = z;
    predsense::kernels::bias_gelu_rows(g.data(), bias.data(), 2, n);
    for (std::size_t i = 0; i < 2 * n; ++i) {
      const double x = double(z[i]) + double(bias[i % n]);
      CHECK(g[i] == doctest::Approx(0.5 * x * (1.0 + std::erf(x / std::sqrt(2.0)))).epsilon(1e-5));
    }
    auto s = z;
    predsense::kernels::silu_mul(s.data(), u.data(), 2 * n);
    for (std::size_t i = 0; i < 2 * n; ++i)
      CHECK(s[i] == doctest::Approx(double(z[i]) / (1.0 + std::exp(-double(z[i]))) * u[i]).epsilon(1e-5));
    const float m = predsense::kernels::max_of(z.data(), 2 * n, -1e30f);
    CHECK(m == *std::max_element(z.begin(), z.end()));
    auto e = z;
    const float sum = predsense::kernels::exp_shift_sum(e.data(), 2 * n, m);
    double want = 0.0;
    for (std::size_t i = 0; i < 2 * n; ++i) {
      const double x = std::exp(double(z[i]) - m);
      want += x;
      CHECK(e[i] == doctest::Approx(x).epsilon(1e-6));
    }
    CHECK(sum == doctest::Approx(want).epsilon(1e-5));
    std::vector<float> out(2 * n);
    predsense::kernels::rms_norm_rows(z.data(), bias.data(), 2, n, 1e-6, out.data());
    for (std::size_t r = 0; r < 2; ++r) {
      double ss = 0.0;
      for (std::size_t i = 0; i < n; ++i) ss += double(z[r * n + i]) * z[r * n + i];
      const double inv = 1.0 / std::sqrt(ss / double(n) + 1e-6);
      for (std::size_t i = 0; i < n; ++i)
        CHECK(out[r * n + i] == doctest::Approx(bias[i] * z[r * n + i] * inv).epsilon(1e-5));
    }
  }
}
