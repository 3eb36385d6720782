// eval/vsc_world: determinism, the repeat contract (same world, same truth, k times the frames),
// the surprise it is built to produce, and the detection noise model.
#include <doctest/doctest.h>

#include <algorithm>
#include <cmath>
#include <set>
#include <string>
#include <vector>

#include "predsense/core/error.hpp"
#include "predsense/synthetic/vsc_world.hpp"
#include "predsense/surprise/token_cosine_distance.hpp"

using namespace predsense;

namespace {
vsc_world_params small(std::uint64_t seed = 1, std::size_t repeat = 1) {
  vsc_world_params c;
  c.minutes = 5;
  c.repeat = repeat;
  c.seed = seed;
  return c;
}
bool same_frame(const frame_view& a, const frame_view& b) { return std::equal(a.data, a.data + a.size(), b.data); }
}  // namespace

TEST_CASE("vsc_world is deterministic by seed") {
  const vsc_world a(small(7)), b(small(7)), other(small(8));
  REQUIRE(a.size() == 300);
  CHECK(a.tour_frames() == 300);
  CHECK(a.detections().size() == b.detections().size());
  CHECK(same_frame(a.frame(123), b.frame(123)));
  const auto e1 = a.embedding(5), e2 = b.embedding(5);
  CHECK(std::equal(e1.begin(), e1.end(), e2.begin()));
  CHECK_FALSE(same_frame(a.frame(123), other.frame(123)));
  CHECK(a.room_changes() == b.room_changes());
  CHECK(a.room_changes() != other.room_changes());
}

TEST_CASE("vsc_world repeat: the tour k times, the truth unchanged") {
  const vsc_world one(small(2, 1)), three(small(2, 3));
  REQUIRE(three.size() == 3 * one.size());
  for (std::uint32_t c = 0; c < one.params().classes; ++c) CHECK(three.true_count(c) == one.true_count(c));
  for (std::size_t t = 0; t < one.size(); t += 17) {
    CHECK(three.room_at(t + 2 * one.size()) == one.room_at(t));
    CHECK(same_frame(three.frame(t), one.frame(t)));  // play 0 is the same rendering
  }
  // replays are re-rendered (fresh noise) unless identical_replays
  CHECK_FALSE(same_frame(three.frame(one.size() + 5), three.frame(5)));
  auto c = small(2, 2);
  c.identical_replays = true;
  const vsc_world same(c);
  CHECK(same_frame(same.frame(one.size() + 5), same.frame(5)));
  // true counts over time only grow, and stop growing after the first play
  for (std::uint32_t k = 0; k < one.params().classes; ++k) {
    CHECK(three.true_count_until(k, one.size()) == three.true_count(k));
    CHECK(three.true_count_until(k, 0) == 0);
  }
}

TEST_CASE("vsc_world tours revisit rooms") {
  auto c = small(4);
  c.minutes = 30;
  const vsc_world w(c);
  std::vector<std::size_t> visits{w.room_at(0)};
  for (std::size_t t : w.room_changes()) visits.push_back(w.room_at(t));
  const std::set<std::size_t> distinct(visits.begin(), visits.end());
  CHECK(distinct.size() < visits.size());  // some room was entered twice
  CHECK(distinct.size() >= w.rooms() / 2);
}

TEST_CASE("vsc_world latents: room changes are surprising, dwells are not") {
  const vsc_world w(small(5));
  const token_cosine_distance<> metric;
  const auto changes = w.room_changes();
  REQUIRE(changes.size() >= 3);
  for (std::size_t t : changes) CHECK(metric(w.frame(t - 1), w.frame(t)) > 0.6);
  std::size_t calm = 0;
  for (std::size_t t = 1; t < w.size(); ++t)
    if (w.room_at(t) == w.room_at(t - 1) && w.viewpoint_at(t) == w.viewpoint_at(t - 1)) {
      CHECK(metric(w.frame(t - 1), w.frame(t)) < 0.1);
      ++calm;
    }
  CHECK(calm > w.size() / 2);
}

TEST_CASE("vsc_world detections: view noise, misses, false positives") {
  auto c = small(6);
  c.minutes = 20;
  const vsc_world w(c);
  const auto& d = w.detections();
  REQUIRE(!d.empty());
  std::size_t fp = 0, real = 0;
  double cos_sum = 0.0;
  for (std::size_t i = 0; i < d.size(); ++i) {
    if (i > 0) CHECK(d[i].frame >= d[i - 1].frame);
    if (d[i].instance < 0) {
      ++fp;
      continue;
    }
    ++real;
    const auto inst = std::size_t(d[i].instance);
    CHECK(d[i].label == w.instance_label(inst));
    CHECK(w.room_at(d[i].frame) == w.room_at(w.first_seen(inst)));
    const auto e = w.embedding(i), id = w.identity(inst);
    double dot = 0, ne = 0, ni = 0;
    for (std::size_t k = 0; k < e.size(); ++k) dot += e[k] * id[k], ne += e[k] * e[k], ni += id[k] * id[k];
    cos_sum += dot / std::sqrt(ne * ni);
  }
  // cos(detection, identity) ~ 1 / sqrt(1 + view_noise^2) = 0.82 for view_noise 0.7
  CHECK(cos_sum / double(real) == doctest::Approx(1.0 / std::sqrt(1.0 + 0.49)).epsilon(0.05));
  CHECK(double(fp) / double(w.size()) == doctest::Approx(c.false_positive_rate).epsilon(0.25));
  // detections of frames [b, e) are exactly those with b <= frame < e
  const auto [lo, hi] = w.detections_in(100, 200);
  for (std::size_t i = lo; i < hi; ++i) CHECK((d[i].frame >= 100 && d[i].frame < 200));
  CHECK((lo == 0 || d[lo - 1].frame < 100));
  // misses: real detections / visible (instance, frame) pairs ~ (1 - miss_prob)(1 + double_prob)
  std::size_t visible = 0;
  for (std::size_t t = 0; t < w.size(); ++t)
    for (std::size_t i = 0; i < w.instances(); ++i) visible += w.visible(i, t);
  CHECK(double(real) / double(visible) ==
        doctest::Approx((1.0 - c.miss_prob) * (1.0 + c.double_detection_prob)).epsilon(0.05));
  for (std::size_t i = 0; i < w.instances(); ++i)
    if (w.first_seen(i) != vsc_world::never) CHECK(w.visible(i, w.first_seen(i)));
  CHECK(real > 0);
}

TEST_CASE("vsc_world twins: look-alikes share class, room and views") {
  auto c = small(9);
  c.minutes = 30;
  c.twin_prob = 0.5;
  const vsc_world w(c);
  std::size_t twins = 0;
  for (std::size_t i = 1; i < w.instances(); ++i) {
    const auto a = w.identity(i - 1), b = w.identity(i);
    double dot = 0, na = 0, nb = 0;
    for (std::size_t k = 0; k < a.size(); ++k) dot += a[k] * b[k], na += a[k] * a[k], nb += b[k] * b[k];
    const double cs = dot / std::sqrt(na * nb);
    if (cs > 0.65) {  // unrelated instances of a class sit near class_share = 0.4
      ++twins;
      CHECK(w.instance_label(i) == w.instance_label(i - 1));
      for (std::size_t t = 0; t < w.size(); t += 7) CHECK(w.visible(i, t) == w.visible(i - 1, t));
    }
  }
  CHECK(twins > w.instances() / 8);
}

TEST_CASE("vsc_world rejects bad configurations, naming the field") {
  auto c = small();
  c.minutes = 0;
  CHECK_THROWS_AS(vsc_world{c}, invalid_argument_error);
  c = small();
  c.repeat = 0;
  CHECK_THROWS_AS(vsc_world{c}, invalid_argument_error);
  c = small();
  c.miss_prob = 1.5;
  try {
    vsc_world w(c);
    FAIL("expected an error");
  } catch (const invalid_argument_error& e) {
    CHECK(std::string(e.what()).find("miss_prob") != std::string::npos);
  }
  c = small();
  c.embed_dim = 0;
  CHECK_THROWS_AS(vsc_world{c}, invalid_argument_error);
  c = small();
  c.dwell_max = 2;
  c.dwell_min = 3;
  CHECK_THROWS_AS(vsc_world{c}, invalid_argument_error);
}
