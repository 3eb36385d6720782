// The surprise-driven memory: store mechanics, every policy's contract, pooling, retrieval, and
// the budget invariant. Exactness against the Cambrian-S reference is in
// tests/python/test_memory_replay.py.
#include <doctest/doctest.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <cmath>
#include <limits>
#include <cstdint>
#include <map>
#include <random>
#include <set>
#include <stdexcept>
#include <string_view>
#include <tuple>
#include <vector>

#include <sys/wait.h>
#include <unistd.h>

#include "predsense/core/frame_buffer.hpp"
#include "predsense/memory/policies/compression_policy.hpp"
#include "predsense/memory/policies/drop_least_surprising.hpp"
#include "predsense/memory/policies/drop_merge.hpp"
#include "predsense/memory/policies/fifo.hpp"
#include "predsense/memory/storage/indexed_heap.hpp"
#include "predsense/memory/memory_checkpoint.hpp"
#include "predsense/memory/memory_store.hpp"
#include "predsense/memory/storage/mirrored_buffer.hpp"
#include "predsense/memory/sensory_window.hpp"
#include "predsense/memory/retrieval.hpp"
#include "predsense/memory/policies/similarity_merge.hpp"
#include "predsense/memory/policies/sinks_recent.hpp"
#include "predsense/memory/policies/surprise_reservoir.hpp"
#include "predsense/memory/policies/uniform_stride.hpp"

using namespace predsense;

namespace {

// A user-written policy: evicts the newest unprotected entry. Used to show the concept is open.
struct drop_newest {
  static constexpr std::string_view name = "drop_newest";
  void reset() {}
  void on_admit(long_term_store&, entry_id) {}
  void consolidate(long_term_store& s) {
    while (s.over_budget()) {
      entry_id t = s.tail();
      while (t != no_entry && s.entry(t).is_protected) t = s.prev(t);
      if (t == no_entry) throw invalid_argument_error("nothing to evict");
      s.erase(t);
    }
  }
};
static_assert(consolidation_policy<drop_newest>);

std::vector<float> constant_frame(std::size_t tokens, std::size_t dim, float v) {
  return std::vector<float>(tokens * dim, v);
}

std::vector<std::uint64_t> kept_frames(const auto& mem) {
  std::vector<std::uint64_t> out;
  mem.for_each([&](const memory_item& it) {
    if (!it.entry.is_protected)
      for (auto f : it.entry.merged) out.push_back(f);
  });
  return out;
}

template <class Policy>
void check_budget_invariant(Policy policy) {
  const std::size_t budget = 700, window = 8, dim = 3;
  memory_store<pool_when_unsurprising, Policy> mem({window, budget}, {0.4, 2, pool_edge::floor}, policy);
  auto prompt = constant_frame(20, dim, -1.0f);
  mem.add_protected(frame_view(prompt.data(), 20, dim));
  std::mt19937_64 rng(7);
  std::uniform_real_distribution<double> u(0.0, 1.0);
  std::vector<float> f(16 * dim);
  for (std::size_t t = 0; t < 3000; ++t) {
    for (std::size_t i = 0; i < f.size(); ++i) f[i] = static_cast<float>(u(rng));
    mem.push(frame_view(f.data(), 16, dim), u(rng) * u(rng));
    REQUIRE(mem.long_term().tokens() <= budget);
    REQUIRE(mem.window().size() == std::min<std::size_t>(t + 1, window));
  }
  mem.flush();
  CHECK(mem.window().empty());
  CHECK(mem.long_term().tokens() <= budget);
  // the prompt survives every policy, first in line
  CHECK(mem.long_term().entry(mem.long_term().head()).is_protected);
  CHECK(mem.long_term().protected_tokens() == 20);
  // frames come out in time order, each at most once
  const auto frames = kept_frames(mem);
  CHECK(std::is_sorted(frames.begin(), frames.end()));
  CHECK(std::adjacent_find(frames.begin(), frames.end()) == frames.end());
  // held bytes stay within (budget + window + one frame) tokens plus the spare buffers
  const std::size_t bound = (budget + 16 + window * 16) * dim * sizeof(float) +
                            2 * long_term_store::max_spare_per_shape * 16 * dim * sizeof(float);
  CHECK(mem.peak_bytes_reserved() <= bound);
}

}  // namespace

TEST_CASE("indexed_heap agrees with an ordered set under random set/erase/pop") {
  detail::indexed_heap<> h;
  std::set<std::pair<std::pair<double, std::uint64_t>, std::uint32_t>> ref;
  std::map<std::uint32_t, std::pair<double, std::uint64_t>> key_of;
  std::mt19937 rng(3);
  for (int step = 0; step < 20000; ++step) {
    const auto id = static_cast<std::uint32_t>(rng() % 200);
    const int op = static_cast<int>(rng() % 3);
    if (op == 0) {
      const std::pair<double, std::uint64_t> k{static_cast<double>(rng() % 50), rng() % 7};
      if (key_of.count(id)) ref.erase({key_of[id], id});
      key_of[id] = k;
      ref.insert({k, id});
      h.set(id, k);
    } else if (op == 1) {
      if (key_of.count(id)) {
        ref.erase({key_of[id], id});
        key_of.erase(id);
      }
      h.erase(id);
    } else if (!ref.empty()) {
      // equal keys may come out in any id order; the key must be the minimum
      const auto top_key = h.top_key();
      REQUIRE(top_key == ref.begin()->first);
      const auto id2 = h.pop();
      REQUIRE(key_of.count(id2));
      REQUIRE(key_of[id2] == top_key);
      ref.erase({key_of[id2], id2});
      key_of.erase(id2);
    }
    REQUIRE(h.size() == ref.size());
  }
}

TEST_CASE("pool_when_unsurprising: 2x2 average, floor on odd grids like the reference, keep on request") {
  const std::size_t dim = 2;
  std::vector<float> f(4 * 4 * dim);
  for (std::size_t i = 0; i < f.size(); ++i) f[i] = static_cast<float>(i);
  pool_when_unsurprising pool{0.5};
  CHECK(pool.target(0.9, {4, 4}) == grid_shape{4, 4});
  CHECK(pool.target(0.5, {4, 4}) == grid_shape{4, 4});  // strict <, as in the reference
  REQUIRE(pool.target(0.1, {4, 4}) == grid_shape{2, 2});
  frame_buffer out(4, dim);
  pool.compress(frame_view(f.data(), 16, dim), {4, 4}, out.data());
  // output (0,0) averages tokens 0, 1, 4, 5
  for (std::size_t d = 0; d < dim; ++d)
    CHECK(out(0, d) == doctest::Approx((f[0 * dim + d] + f[1 * dim + d] + f[4 * dim + d] + f[5 * dim + d]) / 4));
  CHECK(out(3, 1) == doctest::Approx((f[10 * dim + 1] + f[11 * dim + 1] + f[14 * dim + 1] + f[15 * dim + 1]) / 4));

  // 3 x 5 grid: floor -> 1 x 2 (the last row and column are discarded, like avg_pool2d)
  std::vector<float> g(15);
  for (std::size_t i = 0; i < g.size(); ++i) g[i] = static_cast<float>(i);
  REQUIRE(pool.target(0.0, {3, 5}) == grid_shape{1, 2});
  frame_buffer o2(2, 1);
  pool.compress(frame_view(g.data(), 15, 1), {3, 5}, o2.data());
  CHECK(o2(0, 0) == doctest::Approx((0 + 1 + 5 + 6) / 4.0));
  CHECK(o2(1, 0) == doctest::Approx((2 + 3 + 7 + 8) / 4.0));
  pool_when_unsurprising keep{0.5, 2, pool_edge::keep};
  CHECK(keep.target(0.0, {3, 5}) == grid_shape{2, 3});
  // ratio 3 through the general path
  pool_when_unsurprising r3{0.5, 3};
  REQUIRE(r3.target(0.0, {3, 5}) == grid_shape{1, 1});
  frame_buffer o3(1, 1);
  r3.compress(frame_view(g.data(), 15, 1), {3, 5}, o3.data());
  CHECK(o3(0, 0) == doctest::Approx((0 + 1 + 2 + 5 + 6 + 7 + 10 + 11 + 12) / 9.0));
  // a 1 x 1 grid cannot be pooled: left alone
  CHECK(pool.target(0.0, {1, 1}) == grid_shape{1, 1});
  CHECK(no_compression{}.target(0.0, {8, 8}) == grid_shape{8, 8});
}

TEST_CASE("memory_store: window holds the newest frames at full resolution, then long-term pools") {
  memory_store<pool_when_unsurprising, drop_merge> mem({4, 1000}, {0.5}, drop_merge{0.5});
  const std::vector<double> s = {0.9, 0.1, 0.7, 0.2, 0.8, 0.3};
  for (std::size_t t = 0; t < s.size(); ++t) {
    auto f = constant_frame(64, 2, static_cast<float>(t));
    CHECK(mem.push(frame_view(f.data(), 64, 2), s[t]) == t);
  }
  CHECK(mem.window().size() == 4);
  CHECK(mem.window().tokens() == 4 * 64);
  CHECK(mem.window().at(0).meta.frame == 2);
  REQUIRE(mem.long_term().size() == 2);
  const auto& lt = mem.long_term();
  const entry_id a = lt.head(), b = lt.next(a);
  CHECK(lt.entry(a).frame == 0);
  CHECK(lt.entry(a).tokens == 64);  // 0.9: kept whole
  CHECK_FALSE(lt.entry(a).compressed);
  CHECK(lt.entry(b).frame == 1);
  CHECK(lt.entry(b).tokens == 16);  // 0.1 < 0.5: pooled 8x8 -> 4x4
  CHECK(lt.entry(b).compressed);
  CHECK(lt.entry(b).grid == grid_shape{4, 4});
  CHECK(lt.data(b).data[0] == 1.0f);
  CHECK(mem.tokens() == 64 + 16 + 4 * 64);
  mem.flush();
  CHECK(mem.window().empty());
  CHECK(mem.long_term().size() == 6);
  CHECK(mem.long_term().tokens() == 3 * 64 + 3 * 16);
}

TEST_CASE("memory_store::push refuses a NaN or infinite surprise or timestamp, and stays usable") {
  memory_store<pool_when_unsurprising, drop_merge> mem({2, 1000}, {0.5}, drop_merge{0.5});
  auto f = constant_frame(64, 2, 1.0f);
  const frame_view v(f.data(), 64, 2);
  CHECK_THROWS_AS((void)mem.push(v, std::nan("")), non_finite_error);
  CHECK_THROWS_AS((void)mem.push(v, 0.2, {}, std::nan("")), non_finite_error);
  CHECK_THROWS_AS((void)mem.push(v, 0.2, {}, std::numeric_limits<double>::infinity()), non_finite_error);
  CHECK(mem.frames_seen() == 0);
  CHECK(mem.push(v, 0.2, {}, 12.5) == 0);
}

TEST_CASE("memory_store::traffic: window copies, kept tensors and merges, nothing for an entry evicted unmade") {
  constexpr std::uint64_t full = 64 * 2 * sizeof(float), pooled = 16 * 2 * sizeof(float);
  {  // window 1: frame t leaves when t + 1 arrives
    memory_store<pool_when_unsurprising, drop_merge> mem({1, 1000}, {0.5}, drop_merge{0.5});
    for (std::size_t t = 0; t < 3; ++t) {
      auto f = constant_frame(64, 2, static_cast<float>(t));
      (void)mem.push(frame_view(f.data(), 64, 2), t == 1 ? 0.9 : 0.1);
    }
    // 3 window copies; frame 0 pooled (read full, write a quarter), frame 1 copied whole
    CHECK(mem.traffic().bytes_read == 3 * full + full + full);
    CHECK(mem.traffic().bytes_written == 3 * full + pooled + full);
    CHECK(mem.traffic().merge_bytes_read == 0);
  }
  {  // budget = one full frame: frame 1 arrives over budget and merges into frame 0 unmade
    memory_store<pool_when_unsurprising, drop_merge> mem({1, 64}, {0.5}, drop_merge{0.5});
    for (std::size_t t = 0; t < 3; ++t) {
      auto f = constant_frame(64, 2, static_cast<float>(t));
      (void)mem.push(frame_view(f.data(), 64, 2), 0.9);
    }
    REQUIRE(mem.long_term().size() == 1);
    CHECK(mem.long_term().data(mem.long_term().head()).data[0] == 0.5f);  // (0 + 1) / 2
    // 3 window copies; frame 0 made (copy); the merge reads both and writes one; frame 1 never made
    CHECK(mem.traffic().bytes_read == 3 * full + full + 2 * full);
    CHECK(mem.traffic().bytes_written == 3 * full + full + full);
    CHECK(mem.traffic().merge_bytes_read == 2 * full);
    CHECK(mem.window().traffic().merge_bytes_read == 0);
  }
}

TEST_CASE("drop_merge merges surprising neighbours like the reference: averages, left's tokens") {
  // budget forces consolidation; window 0 sends frames straight to long-term memory
  memory_store<pool_when_unsurprising, drop_merge> mem({0, 3 * 64}, {0.5}, drop_merge{0.5});
  auto f0 = constant_frame(64, 2, 2.0f), f1 = constant_frame(64, 2, 4.0f), f2 = constant_frame(64, 2, 10.0f);
  f1[3] = 100.0f;
  mem.push(frame_view(f0.data(), 64, 2), 0.6);
  mem.push(frame_view(f1.data(), 64, 2), 0.8);
  mem.push(frame_view(f2.data(), 64, 2), 0.2);  // pooled (16 tokens): 64+64+16 = 144 <= 192
  CHECK(mem.long_term().size() == 3);
  auto f3 = constant_frame(64, 2, 6.0f);
  mem.push(frame_view(f3.data(), 64, 2), 0.9);  // 208 > 192: merge pass joins frames 0 and 1
  const auto& lt = mem.long_term();
  REQUIRE(lt.size() == 3);
  const entry_id m = lt.head();
  CHECK(lt.entry(m).merged == std::vector<std::uint64_t>{0, 1});
  CHECK(lt.entry(m).surprise == (0.6 + 0.8) / 2.0);
  CHECK(lt.entry(m).tokens == 64);
  CHECK(lt.data(m).data[0] == 3.0f);
  CHECK(lt.data(m).data[3] == 51.0f);  // (2 + 100) / 2
  CHECK(lt.key(m)[0] == 3.0f);
  CHECK(lt.key(m)[1] == doctest::Approx((63 * 3.0 + 51.0) / 64.0));
  CHECK(lt.tokens() == 64 + 16 + 64);
}

TEST_CASE("drop evicts the least surprising, oldest first among ties") {
  memory_store<no_compression, drop_least_surprising> mem({0, 3 * 4});
  const std::vector<double> s = {0.5, 0.2, 0.2, 0.7, 0.9};
  for (double x : s) {
    auto f = constant_frame(4, 1, 1.0f);
    mem.push(frame_view(f.data(), 4, 1), x);
  }
  CHECK(kept_frames(mem) == std::vector<std::uint64_t>{0, 3, 4});
}

TEST_CASE("every policy keeps the long-term budget, the prompt and time order") {
  check_budget_invariant(drop_merge{0.4});
  check_budget_invariant(drop_least_surprising{});
  check_budget_invariant(fifo{});
  check_budget_invariant(uniform_stride{});
  check_budget_invariant(sinks_recent{4});
  check_budget_invariant(similarity_merge{0.5});
  check_budget_invariant(surprise_reservoir{5});
  check_budget_invariant(drop_newest{});
}

TEST_CASE("fifo keeps the newest, sinks_recent the first four plus the newest") {
  memory_store<no_compression, fifo> a({2, 10});
  memory_store<no_compression, sinks_recent> b({2, 10}, {}, sinks_recent{4});
  auto f = constant_frame(1, 1, 1.0f);
  for (int t = 0; t < 100; ++t) {
    a.push(frame_view(f.data(), 1, 1), 0.5);
    b.push(frame_view(f.data(), 1, 1), 0.5);
  }
  std::vector<std::uint64_t> want_a, want_b = {0, 1, 2, 3};
  for (std::uint64_t t = 88; t < 100; ++t) want_a.push_back(t);
  for (std::uint64_t t = 92; t < 100; ++t) want_b.push_back(t);
  CHECK(kept_frames(a) == want_a);
  CHECK(kept_frames(b) == want_b);
}

TEST_CASE("uniform_stride spreads the kept frames over the whole stream") {
  memory_store<no_compression, uniform_stride> mem({0, 64});
  auto f = constant_frame(1, 1, 1.0f);
  for (int t = 0; t < 10000; ++t) mem.push(frame_view(f.data(), 1, 1), 0.5);
  const auto k = kept_frames(mem);
  REQUIRE(k.size() == 64);
  CHECK(k.front() == 0);
  std::uint64_t max_gap = 0;
  for (std::size_t i = 1; i < k.size(); ++i) max_gap = std::max(max_gap, k[i] - k[i - 1]);
  CHECK(max_gap <= 2 * 10000 / 64);  // within 2x of an even spread
  CHECK(10000 - k.back() <= 2 * 10000 / 64);
}

TEST_CASE("surprise_reservoir: deterministic by seed, favours surprising frames") {
  auto run = [](std::uint64_t seed) {
    memory_store<no_compression, surprise_reservoir> mem({0, 100}, {}, surprise_reservoir{seed});
    auto f = constant_frame(1, 1, 1.0f);
    for (int t = 0; t < 5000; ++t) mem.push(frame_view(f.data(), 1, 1), t % 10 == 0 ? 1.0 : 0.01);
    return kept_frames(mem);
  };
  const auto a = run(1), b = run(1), c = run(2);
  CHECK(a == b);
  CHECK(a != c);
  const auto surprising = std::count_if(a.begin(), a.end(), [](std::uint64_t t) { return t % 10 == 0; });
  CHECK(surprising >= 80);  // 10% of the frames, 100x the weight: nearly all of the sample
}

TEST_CASE("similarity_merge folds redundant neighbours and keeps the odd one out") {
  memory_store<no_compression, similarity_merge> mem({0, 8 * 4}, {}, similarity_merge{0.9});
  std::vector<float> a = {1, 0, 0, 1, 0, 0, 1, 0, 0, 1, 0, 0};  // 4 tokens x 3
  std::vector<float> odd = {0, 0, 1, 0, 0, 1, 0, 0, 1, 0, 0, 1};
  for (int t = 0; t < 40; ++t) mem.push(frame_view(t == 17 ? odd.data() : a.data(), 4, 3), 0.1);
  const auto k = kept_frames(mem);
  CHECK(std::find(k.begin(), k.end(), 17) != k.end());  // merged into nothing, kept
  CHECK(mem.long_term().tokens() <= 32);
  CHECK(k.size() == 40);  // nothing dropped: all the ordinary frames were merged
}

TEST_CASE("a user-written policy plugs in") {
  memory_store<no_compression, drop_newest> mem({0, 5});
  auto f = constant_frame(1, 1, 1.0f);
  for (int t = 0; t < 20; ++t) mem.push(frame_view(f.data(), 1, 1), 0.5);
  CHECK(kept_frames(mem) == std::vector<std::uint64_t>{0, 1, 2, 3, 4});
}

TEST_CASE("protected entries are never evicted; a budget below them is refused") {
  memory_store<no_compression, fifo> mem({0, 10});
  auto p = constant_frame(6, 1, 1.0f);
  mem.add_protected(frame_view(p.data(), 6, 1));
  auto f = constant_frame(2, 1, 2.0f);
  for (int t = 0; t < 50; ++t) mem.push(frame_view(f.data(), 2, 1), 0.5);
  CHECK(mem.long_term().protected_tokens() == 6);
  CHECK(mem.long_term().tokens() == 10);
  CHECK_THROWS_AS(mem.add_protected(frame_view(p.data(), 6, 1)), invalid_argument_error);
  long_term_store s(100);
  memory_entry e;
  e.tokens = 2;
  e.is_protected = true;
  const entry_id id = s.append(e, detail::tensor_block(2, 1));
  CHECK_THROWS_AS(s.erase(id), invalid_argument_error);
}

TEST_CASE("bad frames and surprises are refused with typed errors") {
  memory_store<> mem;
  auto f = constant_frame(64, 4, 1.0f);
  mem.push(frame_view(f.data(), 64, 4), 0.5);
  auto g = constant_frame(64, 3, 1.0f);
  CHECK_THROWS_AS(mem.push(frame_view(g.data(), 64, 3), 0.5), shape_error);
  CHECK_THROWS_AS(mem.push(frame_view(f.data(), 64, 4), 0.5, {7, 7}), shape_error);
  CHECK_THROWS_AS(mem.push(frame_view(f.data(), 64, 4), std::nan("")), non_finite_error);
  CHECK_THROWS_AS(mem.push(frame_view(f.data(), 64, 4), INFINITY), non_finite_error);
  CHECK(mem.frames_seen() == 1);
}

TEST_CASE("retrieval: top-k by cosine, time order, contiguity neighbours") {
  memory_store<no_compression, fifo> mem({3, 1000});
  const std::size_t dim = 4;
  // frame t points along axis t % 4, except frames 5 and 12, which are the "needles"
  for (int t = 0; t < 16; ++t) {
    std::vector<float> f(2 * dim, 0.0f);
    const std::size_t axis = (t == 5 || t == 12) ? 3 : static_cast<std::size_t>(t % 3);
    f[axis] = f[dim + axis] = 1.0f;
    if (t == 12) f[0] = 0.2f;  // slightly less aligned with the query than frame 5
    mem.push(frame_view(f.data(), 2, dim), 0.5);
  }
  std::vector<float> q = {0, 0, 0, 1};
  auto r = retrieve(mem, frame_view(q.data(), 1, dim), {.k = 2});
  REQUIRE(r.size() == 2);
  CHECK(r[0].entry->frame == 5);
  CHECK(r[1].entry->frame == 12);
  CHECK(r[0].score == doctest::Approx(1.0));
  CHECK(r[1].score < r[0].score);
  CHECK(r[1].in_window == false);
  auto c = retrieve(mem, frame_view(q.data(), 1, dim), {.k = 1, .contiguity = 1});
  REQUIRE(c.size() == 3);
  CHECK(c[0].entry->frame == 4);
  CHECK(c[1].entry->frame == 5);
  CHECK(c[1].hit);
  CHECK_FALSE(c[0].hit);
  CHECK(c[2].entry->frame == 6);
  // the window is searched too unless told not to
  std::vector<float> q2 = {0, 1, 0, 0};
  auto w = retrieve(mem, frame_view(q2.data(), 1, dim), {.k = 6});
  CHECK(std::any_of(w.begin(), w.end(), [](const retrieved_entry& e) { return e.in_window; }));
  auto nw = retrieve(mem, frame_view(q2.data(), 1, dim), {.k = 6, .include_window = false});
  CHECK(std::none_of(nw.begin(), nw.end(), [](const retrieved_entry& e) { return e.in_window; }));
  std::vector<float> bad(3, 1.0f);
  CHECK_THROWS_AS((void)retrieve(mem, frame_view(bad.data(), 1, 3), {}), shape_error);
}

TEST_CASE("keys are the token mean of the current tensor, also after merges and pooling") {
  memory_store<pool_when_unsurprising, drop_merge> mem({1, 100}, {0.5}, drop_merge{0.5});
  std::vector<float> f(64, 0.0f);
  for (std::size_t i = 0; i < 64; ++i) f[i] = static_cast<float>(i % 8);
  mem.push(frame_view(f.data(), 64, 1), 0.1);
  mem.push(frame_view(f.data(), 64, 1), 0.1);
  const auto& lt = mem.long_term();
  REQUIRE(lt.size() == 1);
  CHECK(lt.entry(lt.head()).tokens == 16);
  CHECK(lt.key(lt.head())[0] == doctest::Approx(3.5));
}

namespace {
std::vector<char> file_bytes(const std::filesystem::path& p) {
  std::ifstream in(p, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}
void write_bytes(const std::filesystem::path& p, const std::vector<char>& b) {
  std::ofstream out(p, std::ios::binary | std::ios::trunc);
  out.write(b.data(), static_cast<std::streamsize>(b.size()));
}
template <class M>
void feed(M& mem, std::size_t from, std::size_t to) {
  std::mt19937_64 rng(from * 7 + 1);
  std::uniform_real_distribution<float> u(-1.0f, 1.0f);
  std::vector<float> f(16 * 5);
  for (std::size_t t = from; t < to; ++t) {
    for (auto& x : f) x = u(rng);
    mem.push(frame_view(f.data(), 16, 5), static_cast<double>(u(rng)) * 0.5 + 0.5);
  }
}
template <class M>
std::vector<std::pair<std::vector<std::uint64_t>, std::vector<float>>> dump(const M& mem) {
  std::vector<std::pair<std::vector<std::uint64_t>, std::vector<float>>> out;
  mem.for_each([&](const memory_item& it) {
    out.emplace_back(it.entry.merged, std::vector<float>(it.data.data, it.data.data + it.data.size()));
  });
  return out;
}
}  // namespace

TEST_CASE("checkpoint: save, load bit-identically, continue as if never stopped") {
  const auto dir = std::filesystem::temp_directory_path() / ("predsense_mem_ck_" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir);
  const auto path = dir / "mem.safetensors";
  auto make = [] { return make_cambrian_memory(0.5, memory_params{8, 400}); };
  auto a = make();
  std::vector<float> prompt(10 * 5, 0.25f);
  a.add_protected(frame_view(prompt.data(), 10, 5), {2, 5});
  feed(a, 0, 700);
  save_checkpoint(a, path);
  auto b = make();
  load_checkpoint(b, path);
  CHECK(dump(a) == dump(b));
  CHECK(b.frames_seen() == 700);
  // saving the loaded memory gives the same bytes
  const auto path2 = dir / "again.safetensors";
  save_checkpoint(b, path2);
  CHECK(file_bytes(path) == file_bytes(path2));
  // both go on identically (policy index rebuilt, window restored, sequence numbers kept)
  feed(a, 700, 1500);
  feed(b, 700, 1500);
  a.flush();
  b.flush();
  CHECK(dump(a) == dump(b));

  SUBCASE("a corrupted checkpoint is refused and the memory left alone") {
    auto bytes = file_bytes(path);
    auto c = make();
    feed(c, 0, 50);
    const auto before = dump(c);
    bytes[bytes.size() - 100] = static_cast<char>(bytes[bytes.size() - 100] ^ 0x10);  // a bit in the data
    write_bytes(dir / "flip.safetensors", bytes);
    CHECK_THROWS_WITH_AS(load_checkpoint(c, dir / "flip.safetensors"), doctest::Contains("checksum mismatch"),
                         format_error);
    bytes = file_bytes(path);
    bytes.resize(bytes.size() / 2);
    write_bytes(dir / "cut.safetensors", bytes);
    CHECK_THROWS_AS(load_checkpoint(c, dir / "cut.safetensors"), format_error);
    write_bytes(dir / "junk.safetensors", {'n', 'o', 'p', 'e'});
    CHECK_THROWS_AS(load_checkpoint(c, dir / "junk.safetensors"), format_error);
    CHECK_THROWS_AS(load_checkpoint(c, dir / "missing.safetensors"), format_error);
    CHECK(dump(c) == before);
    CHECK(c.frames_seen() == 50);
  }
  SUBCASE("a checkpoint from a differently configured memory is refused") {
    auto other_budget = make_cambrian_memory(0.5, memory_params{8, 800});
    CHECK_THROWS_WITH_AS(load_checkpoint(other_budget, path), doctest::Contains("budget"), format_error);
    auto other_threshold = make_cambrian_memory(0.4, memory_params{8, 400});
    CHECK_THROWS_WITH_AS(load_checkpoint(other_threshold, path), doctest::Contains("threshold=0.4"), format_error);
    memory_store<pool_when_unsurprising, fifo> other_policy({8, 400}, {0.5});
    CHECK_THROWS_WITH_AS(load_checkpoint(other_policy, path), doctest::Contains("consolidation"), format_error);
    auto other_dim = make();
    std::vector<float> f(16 * 3, 1.0f);
    other_dim.push(frame_view(f.data(), 16, 3), 0.5);
    CHECK_THROWS_WITH_AS(load_checkpoint(other_dim, path), doctest::Contains("dim"), format_error);
  }
  std::filesystem::remove_all(dir);
}

namespace {
// drop_merge the way the reference runs it: a full merge walk from the head and a linear argmin
// on every over-budget admission. The yardstick for the incremental version, also with protected
// entries in the middle of the store (which the Python reference never has).
struct naive_drop_merge {
  static constexpr std::string_view name = "naive_drop_merge";
  double threshold = 0.0;
  void reset() {}
  void on_admit(long_term_store&, entry_id) {}
  bool both(const long_term_store& s, entry_id a, entry_id b) const {
    return s.mergeable(a, b) && s.entry(a).surprise >= threshold && s.entry(b).surprise >= threshold;
  }
  void consolidate(long_term_store& s) {
    if (!s.over_budget()) return;
    for (entry_id cur = s.head(); cur != no_entry && s.next(cur) != no_entry;) {
      if (both(s, cur, s.next(cur)))
        s.merge_next(cur);
      else
        cur = s.next(cur);
    }
    while (s.over_budget()) {
      entry_id best = no_entry;
      for (entry_id id = s.head(); id != no_entry; id = s.next(id))
        if (!s.entry(id).is_protected && (best == no_entry || s.entry(id).surprise < s.entry(best).surprise)) best = id;
      REQUIRE(best != no_entry);
      const entry_id p = s.prev(best), n = s.next(best);
      s.erase(best);
      if (p != no_entry && n != no_entry && both(s, p, n)) s.merge_next(p);
    }
  }
};
}  // namespace

TEST_CASE("incremental drop_merge == full-rescan drop_merge, protected entries anywhere") {
  for (std::uint64_t seed = 0; seed < 12; ++seed) {
    std::mt19937_64 rng(seed);
    std::uniform_real_distribution<double> u(0.0, 1.0);
    const double thr = 0.2 + 0.1 * static_cast<double>(seed % 5);
    const memory_params cfg{seed % 4 == 0 ? std::size_t{0} : std::size_t{6}, 300 + 40 * seed};
    memory_store<pool_when_unsurprising, drop_merge> fast(cfg, {thr}, drop_merge{thr});
    memory_store<pool_when_unsurprising, naive_drop_merge> slow(cfg, {thr}, naive_drop_merge{thr});
    std::vector<float> f(16 * 2), p(3 * 2, 9.0f);
    for (std::size_t t = 0; t < 3000; ++t) {
      if (t % 700 == 350) {  // a prompt/text entry arrives mid-stream
        fast.add_protected(frame_view(p.data(), 3, 2));
        slow.add_protected(frame_view(p.data(), 3, 2));
      }
      for (auto& x : f) x = static_cast<float>(u(rng));
      // quantised scores: ties and threshold equality happen
      const double s = std::round(u(rng) * u(rng) * 20.0) / 20.0;
      fast.push(frame_view(f.data(), 16, 2), s);
      slow.push(frame_view(f.data(), 16, 2), s);
    }
    fast.flush();
    slow.flush();
    std::vector<std::tuple<std::vector<std::uint64_t>, double, std::size_t, bool>> a, b;
    fast.for_each([&](const memory_item& it) {
      a.emplace_back(it.entry.merged, it.entry.surprise, it.entry.tokens, it.entry.is_protected);
    });
    slow.for_each([&](const memory_item& it) {
      b.emplace_back(it.entry.merged, it.entry.surprise, it.entry.tokens, it.entry.is_protected);
    });
    CHECK(a == b);
    CHECK(fast.long_term().protected_tokens() == 4 * 3);  // t = 350, 1050, 1750, 2450
  }
}

// ---- the contiguous window ring, pending admission ------------------------------------------

namespace {
// Token k of frame t holds t * 1000 + k + i / 4096 in element i: every float says where it is from.
std::vector<float> tagged_frame(std::size_t t, std::size_t tokens, std::size_t dim) {
  std::vector<float> f(tokens * dim);
  for (std::size_t i = 0; i < f.size(); ++i)
    f[i] = static_cast<float>(t * 1000 + i / dim) + static_cast<float>(i % dim) / 4096.0f;
  return f;
}
}  // namespace

TEST_CASE("sensory_window: the frames held are one contiguous span, mirrored ring or plain buffer") {
  for (const std::size_t dim : {std::size_t{1152}, std::size_t{3}})
    for (const bool mirror : {true, false}) {
      CAPTURE(dim);
      CAPTURE(mirror);
      sensory_window w(5, mirror);
      std::vector<std::vector<float>> frames;  // frames held, oldest first
      std::mt19937 rng(11);
      for (std::size_t t = 0; t < 300; ++t) {
        // mostly 8 tokens; now and then 11 (straddles the ring's end) or 20 (the ring must grow)
        const std::size_t tokens = t == 150 ? 20 : (rng() % 4 == 0 ? 11 : 8);
        if (w.full()) {
          w.pop_front();
          frames.erase(frames.begin());
        }
        frames.push_back(tagged_frame(t, tokens, dim));
        memory_entry e;
        e.frame = t;
        e.tokens = tokens;
        w.push(e, frame_view(frames.back().data(), tokens, dim));
        if (t == 0) CHECK(w.mirrored() == (mirror && dim == 1152 && detail::mirrored_buffer(1024 * 9).mirrored()));
        std::vector<float> joined;
        for (const auto& f : frames) joined.insert(joined.end(), f.begin(), f.end());
        const frame_view v = w.tokens_view();
        REQUIRE(v.tokens == w.tokens());
        REQUIRE(v.dim == dim);
        REQUIRE(std::equal(joined.begin(), joined.end(), v.data));
        for (std::size_t i = 0; i < w.size(); ++i) {
          const frame_view s = w.at(i).data;
          REQUIRE(std::equal(frames[i].begin(), frames[i].end(), s.data));
        }
      }
      w.clear();
      CHECK(w.tokens_view().empty());
      CHECK(w.bytes_reserved() > 0);  // the ring is kept for reuse
    }
}

TEST_CASE("mirrored_buffer: the second half is the first one") {
  detail::mirrored_buffer b(detail::mirrored_buffer::page_floats() * 3);
#if defined(__linux__)
  REQUIRE(b.mirrored());
#endif
  if (b.mirrored()) {
    const std::size_t n = b.capacity();
    b.data()[5] = 42.0f;
    CHECK(b.data()[n + 5] == 42.0f);
    b.data()[n + 7] = -1.0f;  // writes through the mirror land in the ring
    CHECK(b.data()[7] == -1.0f);
    CHECK(b.bytes() == n * sizeof(float));
  }
  detail::mirrored_buffer odd(1000);  // not whole pages: plain
  CHECK_FALSE(odd.mirrored());
  CHECK(odd.bytes() == 2 * 1000 * sizeof(float));
  detail::mirrored_buffer moved(std::move(b));
  CHECK(b.empty());
  CHECK_FALSE(moved.empty());
}

TEST_CASE("memory_store: mirrored and plain windows give bit-identical memories") {
  auto run = [](bool mirror, auto policy) {
    memory_store<pool_when_unsurprising, decltype(policy)> mem({6, 300, mirror}, {0.4, 2, pool_edge::floor}, policy);
    std::mt19937_64 rng(5);
    std::uniform_real_distribution<double> u(0.0, 1.0);
    std::vector<float> out;
    for (std::size_t t = 0; t < 400; ++t) {
      const auto f = tagged_frame(t, 16, 1024);
      mem.push(frame_view(f.data(), 16, 1024), u(rng));
      const frame_view v = mem.window().tokens_view();
      out.push_back(v.data[0]);
      out.push_back(v.data[v.size() - 1]);
    }
    mem.flush();
    mem.for_each([&](const memory_item& it) {
      out.insert(out.end(), it.data.data, it.data.data + it.data.size());
      out.push_back(static_cast<float>(it.entry.tokens));
      out.insert(out.end(), it.key(), it.key() + 1024);
    });
    return out;
  };
  CHECK(run(true, drop_merge{0.4}) == run(false, drop_merge{0.4}));
  CHECK(run(true, similarity_merge{}) == run(false, similarity_merge{}));
}

TEST_CASE("long_term_store: a pending entry is read in place and gets its own tensor only if kept") {
  long_term_store s(1000);
  const std::size_t dim = 4;
  auto a = constant_frame(2, dim, 2.0f), b = constant_frame(2, dim, 6.0f), c = constant_frame(2, dim, 1.0f);
  memory_entry e;
  e.tokens = 2;
  e.grid = {1, 2};
  e.frame = 0;
  const entry_id ia = s.append_pending(e, tensor_source{frame_view(a.data(), 2, dim), e.grid});
  CHECK(s.pending(ia));
  CHECK(s.data(ia).data == a.data());  // read where it is
  s.settle();
  CHECK_FALSE(s.pending(ia));
  CHECK(s.data(ia).data != a.data());
  a.assign(a.size(), -5.0f);  // the caller reuses its frame: the store is not affected
  CHECK(s.data(ia).data[0] == 2.0f);

  e.frame = 1;
  const entry_id ib = s.append_pending(e, tensor_source{frame_view(b.data(), 2, dim), e.grid});
  const entry_id freed = s.merge_next(ia);  // merging reads b in place, never copies it
  CHECK(freed == ib);
  CHECK(s.data(ia).data[0] == 4.0f);
  CHECK(b[0] == 6.0f);
  s.settle();  // nothing left to make
  CHECK(s.size() == 1);

  // a pending compression is made when its data is first asked for
  e.frame = 2;
  e.tokens = 1;
  e.grid = {1, 1};
  tensor_source pooled{frame_view(c.data(), 2, dim), {1, 2}};
  pooled.make = [](const void*, const frame_view& in, grid_shape, float* out) {
    for (std::size_t d = 0; d < in.dim; ++d) out[d] = in.data[d] + in.data[in.dim + d];
  };
  const entry_id ic = s.append_pending(e, pooled);
  CHECK(s.pending(ic));
  CHECK(s.key(ic)[0] == 2.0f);
  CHECK_FALSE(s.pending(ic));
  // an evicted pending entry is simply forgotten
  e.frame = 3;
  e.tokens = 2;
  e.grid = {1, 2};
  const entry_id id = s.append_pending(e, tensor_source{frame_view(c.data(), 2, dim), e.grid});
  s.erase(id);
  s.settle();
  CHECK(s.size() == 2);
  CHECK(s.tokens() == 3);
  CHECK(s.bytes_held() == 3 * dim * sizeof(float));
  CHECK_THROWS_AS(s.append_pending(e, tensor_source{frame_view(c.data(), 1, dim), e.grid}), shape_error);
  CHECK_THROWS_AS(s.append_pending(e, tensor_source{frame_view(c.data(), 2, 2), e.grid}), shape_error);
}

namespace {
// Evicts like fifo, but throws on its 5th consolidation (a buggy user policy).
struct flaky_fifo {
  static constexpr std::string_view name = "flaky_fifo";
  int calls = 0;
  void reset() {}
  void on_admit(long_term_store&, entry_id) {}
  void consolidate(long_term_store& s) {
    if (++calls == 5) throw std::runtime_error("policy bug");
    while (s.over_budget()) s.erase(s.head());
  }
};
}  // namespace

TEST_CASE("a failing policy leaves no entry pointing at the caller's frame") {
  memory_store<no_compression, flaky_fifo> mem({0, 100});
  std::vector<float> f(8, 0.0f);
  for (int t = 0; t < 4; ++t) {
    std::fill(f.begin(), f.end(), static_cast<float>(t));
    mem.push(frame_view(f.data(), 2, 4), 0.5);
  }
  std::fill(f.begin(), f.end(), 4.0f);
  CHECK_THROWS_AS(mem.push(frame_view(f.data(), 2, 4), 0.5), std::runtime_error);
  std::fill(f.begin(), f.end(), -1.0f);  // the caller reuses its buffer
  const auto& lt = mem.long_term();
  REQUIRE(lt.size() == 5);
  CHECK_FALSE(lt.pending(lt.tail()));
  CHECK(lt.data(lt.tail()).data[0] == 4.0f);
}

#if defined(__linux__)
TEST_CASE("fork: parent and child each keep their own window") {
  const std::size_t dim = 1152, tokens = 8;
  sensory_window w(4);
  auto push = [&](std::size_t t) {
    if (w.full()) w.pop_front();
    const auto f = tagged_frame(t, tokens, dim);
    memory_entry e;
    e.frame = t;
    e.tokens = tokens;
    w.push(e, frame_view(f.data(), tokens, dim));
  };
  for (std::size_t t = 0; t < 6; ++t) push(t);  // frames 2..5, wrapped once
  REQUIRE(w.mirrored());
  const frame_view v = w.tokens_view();
  const std::vector<float> before(v.data, v.data + v.size());
  int to_child[2], to_parent[2];
  REQUIRE(::pipe(to_child) == 0);
  REQUIRE(::pipe(to_parent) == 0);
  const pid_t pid = ::fork();
  REQUIRE(pid >= 0);
  if (pid == 0) {
    // child: wait until the parent has overwritten its window, then check ours did not move
    char c = 0;
    bool ok = ::read(to_child[0], &c, 1) == 1;
    const frame_view cv = w.tokens_view();
    ok = ok && std::equal(before.begin(), before.end(), cv.data);
    push(100);  // the child's own frame; the parent must not see it
    const auto f100 = tagged_frame(100, tokens, dim);
    ok = ok && std::equal(f100.begin(), f100.end(), w.at(3).data.data);
    c = ok ? 'y' : 'n';
    const bool sent = ::write(to_parent[1], &c, 1) == 1;
    ::_exit(ok && sent ? 0 : 1);
  }
  for (std::size_t t = 10; t < 14; ++t) push(t);
  char go = 'g', answer = 0;
  REQUIRE(::write(to_child[1], &go, 1) == 1);
  REQUIRE(::read(to_parent[0], &answer, 1) == 1);
  int status = 0;
  ::waitpid(pid, &status, 0);
  CHECK(answer == 'y');
  CHECK((WIFEXITED(status) && WEXITSTATUS(status) == 0));
  for (std::size_t i = 0; i < 4; ++i) {  // the child's push did not land here
    const auto f = tagged_frame(10 + i, tokens, dim);
    CHECK(std::equal(f.begin(), f.end(), w.at(i).data.data));
  }
  for (int fd : {to_child[0], to_child[1], to_parent[0], to_parent[1]}) ::close(fd);
}
#endif
