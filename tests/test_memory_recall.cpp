// Late-interaction retrieval (kernels/max_sim.hpp, memory/retrieval.hpp) and the policies that keep
// single-frame events (memory/policies/peak_preserving.hpp, pool_relative.hpp, relative_surprise.hpp).
#include <doctest/doctest.h>

#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <filesystem>
#include <limits>
#include <random>
#include <vector>

#include "predsense/kernels/max_sim.hpp"
#include "predsense/kernels/token_cosine_distance.hpp"
#include "predsense/memory/memory_checkpoint.hpp"
#include "predsense/memory/memory_store.hpp"
#include "predsense/memory/policies/drop_merge.hpp"
#include "predsense/memory/policies/peak_preserving.hpp"
#include "predsense/memory/policies/pool_relative.hpp"
#include "predsense/memory/retrieval.hpp"

using namespace predsense;

namespace {
std::vector<float> randn(std::size_t n, std::mt19937& g, float sd = 1.0f) {
  std::normal_distribution<float> d(0.0f, sd);
  std::vector<float> v(n);
  for (auto& x : v) x = d(g);
  return v;
}
// The definition in double: mean over query tokens of the best cosine over entry tokens.
double max_sim_reference(const float* q, std::size_t m, const float* e, std::size_t n, std::size_t d, const float* w) {
  double num = 0, den = 0;
  for (std::size_t i = 0; i < m; ++i) {
    double best = -2;
    for (std::size_t j = 0; j < n; ++j) {
      double dot = 0, a = 0, b = 0;
      for (std::size_t k = 0; k < d; ++k) {
        dot += double(q[i * d + k]) * e[j * d + k];
        a += double(q[i * d + k]) * q[i * d + k];
        b += double(e[j * d + k]) * e[j * d + k];
      }
      best = std::max(best, (a > 0 && b > 0) ? dot / std::sqrt(a * b) : 0.0);
    }
    const double wi = w ? w[i] : 1.0;
    num += wi * best;
    den += wi;
  }
  return num / den;
}
}  // namespace

TEST_CASE("max_sim: the SIMD kernel matches its scalar twin and the double-precision definition") {
  std::mt19937 g(7);
  for (std::size_t d : {1u, 3u, 8u, 17u, 64u, 256u})
    for (std::size_t m : {1u, 3u, 4u, 7u, 70u})
      for (std::size_t n : {1u, 5u, 16u}) {
        auto q = randn(m * d, g), e = randn(n * d, g), w = randn(m, g);
        for (auto& x : w) x = std::abs(x) + 0.1f;
        if (n > 1) std::fill(e.begin(), e.begin() + static_cast<std::ptrdiff_t>(d), 0.0f);  // a zero token
        std::vector<float> qi(m), ei(n);
        kernels::inverse_norms(q.data(), m, d, qi.data());
        kernels::inverse_norms(e.data(), n, d, ei.data());
        if (n > 1) CHECK(ei[0] == 0.0f);
        for (const float* wp : {static_cast<const float*>(nullptr), static_cast<const float*>(w.data())}) {
          const double fast = kernels::max_sim(q.data(), m, qi.data(), e.data(), n, ei.data(), d, wp);
          const double twin = kernels::scalar::max_sim(q.data(), m, qi.data(), e.data(), n, ei.data(), d, wp);
          const double ref = max_sim_reference(q.data(), m, e.data(), n, d, wp);
          CAPTURE(d);
          CAPTURE(m);
          CAPTURE(n);
          CHECK(fast == doctest::Approx(twin).epsilon(1e-5));
          CHECK(fast == doctest::Approx(ref).epsilon(1e-5));
        }
      }
}

namespace {
// 8x8-token frames of dim D: a background direction per "room" with noise; some frames carry a
// small object in 4 of their 64 tokens.
struct scene {
  std::size_t d = 32;
  std::mt19937 g{11};
  std::vector<float> object = randn(32, g);
  std::vector<float> frame(const std::vector<float>& room, bool with_object) {
    std::vector<float> f(64 * d);
    std::normal_distribution<float> nz(0.0f, 0.3f);
    for (std::size_t t = 0; t < 64; ++t)
      for (std::size_t k = 0; k < d; ++k) {
        const bool obj = with_object && (t == 27 || t == 28 || t == 35 || t == 36);
        f[t * d + k] = (obj ? object[k] : room[(t % 8) * d + k]) + nz(g);
      }
    return f;
  }
};
}  // namespace

TEST_CASE("retrieve: late interaction finds a 4-token object that the token mean misses; best first or time order") {
  scene sc;
  memory_store<no_compression, drop_merge> mem({0, 1 << 20}, {}, drop_merge{1e9});
  std::vector<float> room_a = randn(8 * sc.d, sc.g), room_b = randn(8 * sc.d, sc.g);
  const std::vector<std::uint64_t> needles = {7, 19, 33};
  for (std::uint64_t t = 0; t < 40; ++t) {
    const bool obj = std::find(needles.begin(), needles.end(), t) != needles.end();
    const auto f = sc.frame(t < 20 ? room_a : room_b, obj);
    mem.push(frame_view(f.data(), 64, sc.d), 0.5);
  }
  std::vector<float> crop(3 * sc.d);  // a crop of the object: 3 tokens
  std::normal_distribution<float> nz(0.0f, 0.3f);
  for (std::size_t t = 0; t < 3; ++t)
    for (std::size_t k = 0; k < sc.d; ++k) crop[t * sc.d + k] = sc.object[k] + nz(sc.g);
  const frame_view q(crop.data(), 3, sc.d);

  auto li = retrieve(mem, q, {.k = 3, .scoring = retrieval_scoring::late_interaction});
  REQUIRE(li.size() == 3);
  std::vector<std::uint64_t> got;
  for (std::size_t i = 0; i < li.size(); ++i) {
    got.push_back(li[i].frame);
    CHECK(li[i].hit);
    CHECK(li[i].time == doctest::Approx(static_cast<double>(li[i].frame)));
    CHECK(li[i].data.tokens == 64);
    if (i) CHECK(li[i - 1].score >= li[i].score);  // best first
  }
  std::vector<std::uint64_t> sorted = got;
  std::sort(sorted.begin(), sorted.end());
  CHECK(sorted == needles);
  auto tm = retrieve(mem, q, {.k = 3});  // the token mean: the object is 4 of 64 tokens
  int tm_found = 0;
  for (const auto& h : tm) tm_found += std::count(needles.begin(), needles.end(), h.frame) ? 1 : 0;
  CHECK(tm_found < 3);
  // time order for sequential questions
  auto lt = retrieve(mem, q, {.k = 3, .scoring = retrieval_scoring::late_interaction, .order = retrieval_order::time});
  REQUIRE(lt.size() == 3);
  for (std::size_t i = 0; i < 3; ++i) CHECK(lt[i].frame == needles[i]);
  // a shortlist as long as the memory is the full search; a shorter one ranks only what it kept
  auto full = retrieve(mem, q, {.k = 40, .scoring = retrieval_scoring::late_interaction, .shortlist = 40});
  auto all = retrieve(mem, q, {.k = 40, .scoring = retrieval_scoring::late_interaction});
  REQUIRE(full.size() == all.size());
  for (std::size_t i = 0; i < all.size(); ++i) CHECK(full[i].frame == all[i].frame);
  auto sl = retrieve(mem, q, {.k = 40, .scoring = retrieval_scoring::late_interaction, .shortlist = 5});
  CHECK(sl.size() == 5);
  // informative tokens: a query with a background token appended still finds the object
  std::vector<float> mixed(crop);
  const auto bg = sc.frame(room_a, false);
  mixed.insert(mixed.end(), bg.begin(), bg.begin() + static_cast<std::ptrdiff_t>(sc.d));
  auto inf = retrieve(mem, frame_view(mixed.data(), 4, sc.d),
                      {.k = 3, .scoring = retrieval_scoring::late_interaction, .informative = 0.75});
  std::vector<std::uint64_t> fi;
  for (const auto& h : inf) fi.push_back(h.frame);
  std::sort(fi.begin(), fi.end());
  CHECK(fi == needles);
  CHECK_THROWS_AS((void)retrieve(mem, q, {.informative = 0.0}), invalid_argument_error);
  CHECK_THROWS_AS((void)retrieve(mem, q, {.informative = 1.5}), invalid_argument_error);
  // contiguity: each hit's group in time order, groups best first, no entry twice
  auto c = retrieve(mem, q, {.k = 2, .contiguity = 1, .scoring = retrieval_scoring::late_interaction});
  REQUIRE(c.size() == 6);
  CHECK(c[1].hit);
  CHECK(c[0].frame + 1 == c[1].frame);
  CHECK(c[2].frame == c[1].frame + 1);
}

namespace {
// A quiet stream with slow drift, room changes every 40 frames, a busy stretch (high surprise
// throughout) and single-frame needles, whose next frame is also surprising (the object leaves).
std::vector<double> surprise_stream(std::size_t n, const std::vector<std::size_t>& needles, std::uint64_t seed) {
  std::mt19937 g(static_cast<std::uint32_t>(seed));
  std::uniform_real_distribution<double> u(0.0, 1.0);
  std::vector<double> s(n);
  for (std::size_t t = 0; t < n; ++t) {
    s[t] = 0.02 + 0.01 * u(g);
    if (t % 40 == 0) s[t] = 0.7 + 0.2 * u(g);          // room change
    if (t >= 200 && t < 260) s[t] = 0.3 + 0.1 * u(g);  // moving footage
  }
  for (auto t : needles) {
    s[t] = 0.25 + 0.02 * u(g);
    s[t + 1] = 0.24 + 0.02 * u(g);
  }
  return s;
}
template <class Mem>
std::vector<std::vector<std::uint64_t>> run(Mem& mem, const std::vector<double>& s, std::size_t d = 4) {
  std::vector<float> f(4 * d);
  for (std::size_t t = 0; t < s.size(); ++t) {
    for (std::size_t i = 0; i < f.size(); ++i) f[i] = static_cast<float>(std::sin(0.37 * double(t) + double(i)));
    mem.push(frame_view(f.data(), 4, d), s[t], {2, 2});
  }
  mem.flush();
  std::vector<std::vector<std::uint64_t>> out;
  mem.for_each([&](const memory_item& it) { out.push_back(it.entry.merged); });
  return out;
}
bool kept_alone(const std::vector<std::vector<std::uint64_t>>& entries, std::uint64_t frame) {
  return std::any_of(entries.begin(), entries.end(), [&](const auto& m) { return m.size() == 1 && m[0] == frame; });
}
}  // namespace

TEST_CASE("peak_preserving keeps single-frame needles that drop_merge folds away, under a tight budget") {
  const std::vector<std::size_t> needles = {57, 143, 301, 377};
  const auto s = surprise_stream(400, needles, 3);
  // budget: 40 entries of 4 tokens (400 frames)
  memory_store<pool_relative, peak_preserving> mine({8, 160}, pool_relative(1.0), peak_preserving(5, 120, 3.0, 2.0));
  auto m = run(mine, s);
  for (auto t : needles) CHECK(kept_alone(m, t));
  auto ref = make_cambrian_memory<drop_merge>(0.1, {8, 160});
  auto r = run(ref, s);
  int ref_alone = 0;
  for (auto t : needles) ref_alone += kept_alone(r, t);
  CHECK(ref_alone < 4);
  // with more room the busy stretch is merged into runs: no merged entry holds a needle or a
  // room change (a local peak)
  memory_store<pool_relative, peak_preserving> roomy({8, 400}, pool_relative(1.0), peak_preserving(5, 120, 3.0, 2.0));
  const auto m2 = run(roomy, s);
  for (auto t : needles) CHECK(kept_alone(m2, t));
  bool merged_any = false;
  for (const auto& e : m2)
    if (e.size() > 1) {
      merged_any = true;
      for (auto f : e) {
        CHECK(std::find(needles.begin(), needles.end(), f) == needles.end());
        if (f < 200 || f >= 260) CHECK(f % 40 != 0);  // room changes outside the busy stretch
      }
    }
  CHECK(merged_any);
}

TEST_CASE("peak_preserving and pool_relative: an affine map a*s+b of the surprise changes no decision") {
  const std::vector<std::size_t> needles = {57, 143, 301, 377};
  const auto s = surprise_stream(400, needles, 5);
  auto decide = [&](double a, double b) {
    std::vector<double> t(s);
    for (auto& x : t) x = a * x + b;
    memory_store<pool_relative, peak_preserving> mem({8, 160}, pool_relative(1.0), peak_preserving(5, 120, 3.0, 2.0));
    std::vector<float> f(16);
    for (std::size_t i = 0; i < t.size(); ++i) mem.push(frame_view(f.data(), 4, 4), t[i], {2, 2});
    mem.flush();
    std::vector<std::pair<std::vector<std::uint64_t>, std::size_t>> out;  // (frames, tokens)
    mem.for_each([&](const memory_item& it) { out.emplace_back(it.entry.merged, it.entry.tokens); });
    return out;
  };
  const auto base = decide(1.0, 0.0);
  CHECK(base == decide(3.7, 0.0));
  CHECK(base == decide(1.0, 5.0));
  CHECK(base == decide(0.013, -2.0));
  CHECK(base == decide(250.0, 1000.0));
}

TEST_CASE("trailing_robust_z: median/MAD z-score; degenerate windows") {
  trailing_robust_z z(5);
  CHECK(z.z(3.0) == 0.0);  // no history
  for (double v : {1.0, 2.0, 3.0, 4.0, 100.0}) z.push(v);
  // median 3, |dev| = {2,1,0,1,97} -> MAD 1, scale 1.4826
  CHECK(z.z(6.0) == doctest::Approx(3.0 / 1.4826));
  for (int i = 0; i < 5; ++i) z.push(2.0);  // the window forgets the older values
  CHECK(z.z(2.0) == 0.0);
  CHECK(z.z(2.5) == trailing_robust_z::degenerate_z);
  CHECK(z.z(1.5) == -trailing_robust_z::degenerate_z);
  CHECK_THROWS_AS((void)trailing_robust_z(0), invalid_argument_error);
  CHECK_THROWS_AS((void)peak_preserving(5, 120, std::nan(""), 1.0), non_finite_error);
  CHECK_THROWS_AS((void)pool_relative(std::numeric_limits<double>::infinity()), non_finite_error);
}

TEST_CASE("the default memory (pool_relative + peak_preserving) checkpoints its entries and parameters") {
  const std::vector<std::size_t> needles = {57, 143, 301, 377};
  const auto s = surprise_stream(400, needles, 9);
  memory_store<> mem({8, 160});
  const auto before = run(mem, s);
  const auto path = std::filesystem::temp_directory_path() / ("predsense_peak_" + std::to_string(::getpid()));
  save_checkpoint(mem, path);
  memory_store<> back({8, 160});
  load_checkpoint(back, path);
  std::vector<std::vector<std::uint64_t>> after;
  back.for_each([&](const memory_item& it) { after.push_back(it.entry.merged); });
  CHECK(after == before);
  // another parameter set is refused, as for every policy
  memory_store<> other({8, 160}, pool_relative(1.0), peak_preserving(5, 120, 3.0, 2.0, 4.0));
  CHECK_THROWS((load_checkpoint(other, path)));
  std::filesystem::remove(path);
}
