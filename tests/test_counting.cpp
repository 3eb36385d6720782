// counting/: aggregators on hand-built segments (known duplicates, look-alikes, bridges, bad
// input), the within-segment merge, and the whole chain on the VSC world (sum collapses with
// repeat, de-dup does not).
#include <doctest/doctest.h>

#include <cmath>
#include <limits>
#include <string>
#include <tuple>
#include <vector>

#include "predsense/core/error.hpp"
#include "predsense/counting/dedup_aggregator.hpp"
#include "predsense/counting/max_aggregator.hpp"
#include "predsense/counting/segment_answer.hpp"
#include "predsense/counting/streaming_aggregator.hpp"
#include "predsense/counting/sum_aggregator.hpp"
#include "predsense/counting/union_find.hpp"
#include "predsense/synthetic/vsc_count.hpp"
#include "predsense/counting/within_segment_merge.hpp"
#include "predsense/eval/mra.hpp"
#include "predsense/synthetic/vsc_world.hpp"

using namespace predsense;

static_assert(count_aggregator<sum_aggregator>);
static_assert(count_aggregator<max_aggregator>);
static_assert(count_aggregator<streaming_aggregator>);
static_assert(count_aggregator<dedup_aggregator>);

namespace {

// Rows of unit vectors in the plane of e0, e1 (dim 4), at the given angles in degrees.
std::vector<float> at_angles(std::initializer_list<double> degrees) {
  std::vector<float> v;
  for (double a : degrees) {
    const double r = a * std::acos(-1.0) / 180.0;
    v.insert(v.end(), {float(std::cos(r)), float(std::sin(r)), 0.0f, 0.0f});
  }
  return v;
}
std::vector<float> rows(std::initializer_list<std::vector<float>> rs) {
  std::vector<float> v;
  for (const auto& r : rs) v.insert(v.end(), r.begin(), r.end());
  return v;
}
segment_answer seg(std::size_t b, std::size_t e, const std::vector<float>& d, std::size_t dim = 4) {
  return segment_answer{b, e, d.size() / dim, d, d.empty() ? 0 : dim};
}
const std::vector<float> e0{1, 0, 0, 0}, e1{0, 1, 0, 0}, e2{0, 0, 1, 0}, e3{0, 0, 0, 1};

}  // namespace

TEST_CASE("union_find joins transitively") {
  union_find uf(5);
  CHECK(uf.sets() == 5);
  uf.unite(0, 1);
  uf.unite(3, 4);
  CHECK(uf.sets() == 3);
  CHECK_FALSE(uf.same(1, 4));
  uf.unite(1, 4);
  CHECK(uf.same(0, 3));
  CHECK(uf.set_size(4) == 4);
  CHECK(uf.add() == 5);
  CHECK(uf.sets() == 3);
}

TEST_CASE("sum and max: the Cambrian-S aggregator and its lower-bound twin") {
  sum_aggregator s;
  max_aggregator m;
  for (auto [b, e, n] : {std::tuple{0, 10, 2}, std::tuple{10, 25, 3}, std::tuple{25, 30, 0}, std::tuple{30, 40, 4}}) {
    const segment_answer a{std::size_t(b), std::size_t(e), std::size_t(n), {}, 0};
    s.add(a);
    m.add(a);
  }
  CHECK(s.count() == 9);
  CHECK(m.count() == 4);
  CHECK(s.segments() == 4);
  // the same tour replayed: sum doubles, max does not move
  for (std::size_t k = 0; k < 4; ++k) {
    const std::size_t n[] = {2, 3, 0, 4};
    const segment_answer a{40 + k * 10, 50 + k * 10, n[k], {}, 0};
    s.add(a);
    m.add(a);
  }
  CHECK(s.count() == 18);
  CHECK(m.count() == 4);
  s.reset();
  CHECK(s.count() == 0);
}

TEST_CASE("dedup: a revisit adds nothing, a new object adds one") {
  dedup_aggregator d(dedup_params{0.6});
  d.add(seg(0, 10, rows({e0, e1})));
  CHECK(d.count() == 2);
  // revisit: e0 seen again with view noise, plus a new object e2
  const std::vector<float> e0_noisy{0.9f, 0.2f, 0.1f, -0.1f};
  d.add(seg(10, 20, rows({e2, e0_noisy})));
  CHECK(d.count() == 3);
  CHECK(d.descriptors() == 4);
  CHECK(d.same_instance(0, 3));  // e0 and its noisy view
  CHECK_FALSE(d.same_instance(0, 2));
  // a segment with nothing in it is fine
  d.add(segment_answer{20, 30, 0, {}, 0});
  CHECK(d.count() == 3);
  CHECK(d.segments() == 3);
}

TEST_CASE("dedup: within-segment double detections are merged, look-alikes seen together are not") {
  dedup_aggregator d(dedup_params{0.6});
  // e0 detected twice (cos 0.995 >= within_threshold 0.9) and a look-alike at 40 degrees (cos 0.77)
  d.add(seg(0, 5, at_angles({0, 5.7, 40})));
  CHECK(d.count() == 2);
  CHECK(d.same_instance(0, 1));
  CHECK_FALSE(d.same_instance(0, 2));
  // both seen again: one-to-one matching keeps them apart (each is the other's second choice)
  d.add(seg(5, 9, at_angles({38, 2})));
  CHECK(d.count() == 2);
  CHECK(d.same_instance(2, 3));
  CHECK(d.same_instance(0, 4));

  // the greedy streaming aggregator has no one-to-one constraint: the look-alike collapses
  streaming_aggregator s(streaming_params{0.6});
  s.add(seg(0, 5, at_angles({0, 40})));
  CHECK(s.count() == 1);
}

TEST_CASE("dedup: mutual nearest neighbours vs greedy assignment") {
  // prototypes e0 and e1; new: x1 = e0, x2 at 36.87 degrees (cos 0.8 to e0, 0.6 to e1)
  const auto first = rows({e0, e1});
  const auto second = at_angles({0, 36.87});
  dedup_aggregator mnn(dedup_params{0.55, instance_matching::mutual_nearest});
  dedup_aggregator ga(dedup_params{0.55, instance_matching::greedy_assignment});
  for (auto* d : {&mnn, &ga}) {
    d->add(seg(0, 4, first));
    d->add(seg(4, 8, second));
  }
  CHECK(mnn.count() == 3);  // x2's nearest (e0) prefers x1: x2 stays unmatched
  CHECK(ga.count() == 2);   // the assignment gives x2 the next best free prototype (0.6 >= 0.55)
  CHECK(ga.same_instance(1, 3));
}

TEST_CASE("dedup: bridging joins an object split by a noisy first view, unless both were seen together") {
  // A at 0 degrees and B at 60 (cos 0.5: below threshold 0.65, two clusters), in separate
  // segments; then x at 30 degrees (cos 0.866 to both, >= bridge_threshold 0.8).
  {
    dedup_aggregator d(dedup_params{0.65});
    d.add(seg(0, 3, at_angles({0})));
    d.add(seg(3, 6, at_angles({60})));
    CHECK(d.count() == 2);
    d.add(seg(6, 9, at_angles({30})));
    CHECK(d.count() == 1);
    CHECK(d.same_instance(0, 1));
  }
  {
    dedup_params p{0.65};
    p.bridge = false;
    dedup_aggregator d(p);
    d.add(seg(0, 3, at_angles({0})));
    d.add(seg(3, 6, at_angles({60})));
    d.add(seg(6, 9, at_angles({30})));
    CHECK(d.count() == 2);
  }
  {  // A and B were in the same segment: two objects, never bridged
    dedup_aggregator d(dedup_params{0.65});
    d.add(seg(0, 3, at_angles({0, 60})));
    d.add(seg(6, 9, at_angles({30})));
    CHECK(d.count() == 2);
  }
}

TEST_CASE("streaming aggregator: answers at any time; bounded memory counts a forgotten object again") {
  streaming_aggregator s(streaming_params{0.6});
  s.add(seg(0, 2, rows({e0})));
  CHECK(s.count() == 1);
  s.add(seg(2, 4, rows({e1, e2})));
  CHECK(s.count() == 3);
  s.add(seg(4, 6, rows({e0, e1})));
  CHECK(s.count() == 3);
  streaming_params bounded{0.6, 2};
  streaming_aggregator b(bounded);
  b.add(seg(0, 2, rows({e0, e1})));
  b.add(seg(2, 4, rows({e2})));  // evicts e0 (least recently matched)
  CHECK(b.in_memory() == 2);
  b.add(seg(4, 6, rows({e0})));
  CHECK(b.count() == 4);
}

TEST_CASE("merge_within_segment: views of one object become one instance; glimpses are dropped") {
  // three noisy views of e0, two of e1 (one of them a double detection), one stray view of e3
  const std::vector<float> d = rows({{1, 0.1f, 0, 0},
                                     {0.1f, 1, 0, 0},
                                     {1, -0.1f, 0.1f, 0},
                                     {0, 0.95f, 0.1f, 0},
                                     {0.9f, 0, 0, 0.2f},
                                     {0, 0, 0.1f, 1}});
  const auto r = merge_within_segment(d, 4, within_segment_params{0.8, 2});
  CHECK(r.count() == 2);
  CHECK(r.support == std::vector<std::size_t>{3, 2});
  CHECK(r.dropped == 1);
  CHECK(r.group_of == std::vector<std::size_t>{0, 1, 0, 1, 0, segment_instances::dropped_mark});
  // centroids are unit norm and point at the objects
  CHECK(r.descriptors[0] == doctest::Approx(0.995).epsilon(0.01));
  const auto a = r.answer(3, 7);
  CHECK(a.count == 2);
  CHECK(a.dim == 4);
  // min_support 1 keeps the glimpse
  CHECK(merge_within_segment(d, 4, within_segment_params{0.8, 1}).count() == 3);
  // empty segment -> no instances
  CHECK(merge_within_segment({}, 4).count() == 0);
}

TEST_CASE("merge_within_segment: order does not split one object (centroid pass + union-find)") {
  // Views at -30 and +30 (cos 0.5 < 0.7) start two groups; the view at 0 (cos 0.87 to both) joins
  // the first, moving its centroid to -15, now 45 degrees (cos 0.707 >= 0.7) from the second: the
  // centroid pass joins them. Presented 0 first, the same views make one group directly.
  const auto r = merge_within_segment(at_angles({-30, 30, 0}), 4, within_segment_params{0.7, 1});
  CHECK(r.count() == 1);
  CHECK(r.support[0] == 3);
  CHECK(merge_within_segment(at_angles({0, -30, 30}), 4, within_segment_params{0.7, 1}).count() == 1);
}

TEST_CASE("merge_within_segment: two detections of one frame are two objects, unless a double box") {
  // look-alikes at 0 and 30 degrees (cos 0.87 >= 0.8) detected together in frames 0 and 1
  const auto d = at_angles({0, 30, 1, 29});
  const std::vector<std::size_t> frames{0, 0, 1, 1};
  CHECK(merge_within_segment(d, 4, within_segment_params{0.8, 1}).count() == 1);          // no frames: merged
  CHECK(merge_within_segment(d, 4, within_segment_params{0.8, 1}, frames).count() == 2);  // cannot-link
  // a double detection (cos 0.9998 >= double_threshold 0.95) in one frame is one object
  const auto dbl = at_angles({0, 1, 2});
  const std::vector<std::size_t> f2{0, 0, 1};
  const auto r = merge_within_segment(dbl, 4, within_segment_params{0.8, 1, 0.95}, f2);
  CHECK(r.count() == 1);
  CHECK(r.support[0] == 3);
  CHECK_THROWS_AS(merge_within_segment(dbl, 4, {}, frames), shape_error);
}

TEST_CASE("bad input: a clear error, never a silent wrong count") {
  const float nan = std::numeric_limits<float>::quiet_NaN();
  dedup_aggregator d;
  // empty segment (no frames)
  CHECK_THROWS_AS(d.add(segment_answer{5, 5, 0, {}, 0}), empty_error);
  CHECK_THROWS_AS(sum_aggregator{}.add(segment_answer{7, 3, 1, {}, 0}), empty_error);
  // count without descriptors (dedup needs them; sum does not)
  CHECK_THROWS_AS(d.add(segment_answer{0, 5, 2, {}, 0}), empty_error);
  sum_aggregator s;
  CHECK_NOTHROW(s.add(segment_answer{0, 5, 2, {}, 0}));
  // zero-length descriptors
  const std::vector<float> none;
  CHECK_THROWS_AS(d.add(segment_answer{0, 5, 1, none, 0}), empty_error);
  const std::vector<float> two{1, 0, 0, 1};
  CHECK_THROWS_AS(d.add(segment_answer{0, 5, 2, two, 0}), empty_error);
  // descriptor block does not match count x dim
  CHECK_THROWS_AS(d.add(segment_answer{0, 5, 3, two, 2}), shape_error);
  CHECK_THROWS_AS(s.add(segment_answer{5, 8, 3, two, 2}), shape_error);  // checked even where unused
  // NaN embedding, zero embedding
  const std::vector<float> bad{1, nan, 0, 0};
  CHECK_THROWS_AS(d.add(seg(0, 5, bad)), non_finite_error);
  CHECK_THROWS_AS(streaming_aggregator{}.add(seg(0, 5, bad)), non_finite_error);
  CHECK_THROWS_AS(d.add(seg(0, 5, std::vector<float>(4, 0.0f))), invalid_argument_error);
  CHECK_THROWS_AS(merge_within_segment(bad, 4), non_finite_error);
  CHECK_THROWS_AS(merge_within_segment(two, 3), shape_error);
  CHECK_THROWS_AS(merge_within_segment(two, 0), empty_error);
  // mismatched dimensions across segments
  d.add(seg(0, 5, rows({e0})));
  const std::vector<float> d3{1, 0, 0};
  CHECK_THROWS_AS(d.add(seg(5, 9, d3, 3)), shape_error);
  // out of order / overlapping
  CHECK_THROWS_AS(d.add(seg(3, 9, rows({e1}))), invalid_argument_error);
  CHECK(d.count() == 1);  // failed adds changed nothing
  // the error names the field
  try {
    d.add(seg(10, 12, bad));
    FAIL("expected an error");
  } catch (const non_finite_error& e) {
    CHECK(std::string(e.what()).find("descriptor 0") != std::string::npos);
    CHECK(std::string(e.what()).find("dim 1") != std::string::npos);
  }
  // parameters
  CHECK_THROWS_AS(dedup_aggregator(dedup_params{1.5}), invalid_argument_error);
  CHECK_THROWS_AS(streaming_aggregator(streaming_params{std::nan("")}), invalid_argument_error);
  CHECK_THROWS_AS(merge_within_segment(two, 2, within_segment_params{0.5, 0}), invalid_argument_error);
}

TEST_CASE("VSC chain: the sum collapses with repeat, de-dup holds") {
  vsc_world_params c;
  c.minutes = 10;
  c.seed = 3;
  std::size_t sum1 = 0, truth1 = 0;
  for (std::size_t k : {1u, 3u}) {
    c.repeat = k;
    const vsc_world w(c);
    const auto r = vsc_count(w);
    CHECK(r.segment_starts.front() == 0);
    std::size_t sum = 0, truth = 0;
    double mra_dedup = 0.0, mra_sum = 0.0;
    std::size_t q = 0;
    for (const auto& cl : r.classes) {
      if (!cl.truth) continue;
      ++q;
      sum += cl.pred[0];
      truth += cl.truth;
      mra_sum += mean_relative_accuracy(double(cl.pred[0]), double(cl.truth));
      mra_dedup += mean_relative_accuracy(double(cl.pred[3]), double(cl.truth));
      CHECK(cl.pred[1] <= 2 * c.max_per_class);  // max is one room's worth (twins included)
    }
    REQUIRE(q > 0);
    CHECK(mra_dedup / double(q) >= 0.85);
    if (k == 1) {
      sum1 = sum;
      truth1 = truth;
      CHECK(sum >= truth);  // revisits are counted again
    } else {
      CHECK(truth == truth1);              // the replay changes nothing in the world
      CHECK(sum >= 3 * sum1 - sum1 / 10);  // ... but the sum triples
      CHECK(mra_sum / double(q) == 0.0);
    }
  }
}
