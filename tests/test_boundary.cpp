// The one boundary type: its fields, the index it converts to, and the segmenters that make it.
#include <doctest/doctest.h>

#include <cstddef>
#include <iterator>
#include <limits>
#include <string>
#include <vector>

#include "predsense/core/boundary.hpp"
#include "predsense/segmentation/streaming/bocpd_segmenter.hpp"
#include "predsense/segmentation/streaming/threshold_segmenter.hpp"

using predsense::boundary;
using predsense::boundary_kind;

TEST_CASE("boundary: a change at one frame spans that frame, at 1 fps by default") {
  const boundary b(7, 0.5, 9);
  CHECK(b.t == 7);
  CHECK(b.start == 7);
  CHECK(b.end == 7);
  CHECK(b.time == 7.0);
  CHECK(b.kind == boundary_kind::change);
  CHECK(b.decided_at == 9);
  CHECK(b.score == 0.5);
  CHECK(std::string(predsense::to_string(boundary_kind::dissolve)) == "dissolve");
}

TEST_CASE("boundary: converts to its frame index where an index is expected") {
  const std::vector<int> v{10, 11, 12, 13};
  const boundary b(2, 1.0, 2);
  CHECK(b == 2);
  CHECK(v[b] == 12);
  const std::size_t i = b;
  CHECK(i == 2);
  CHECK(b == std::size_t(2));
  CHECK_FALSE(b == std::size_t(3));
  const std::vector<std::size_t> idx{boundary(1), boundary(3)};
  CHECK(idx == std::vector<std::size_t>{1, 3});
  // boundaries compare field by field: same frame, other score = another boundary
  CHECK_FALSE(boundary(2, 1.0, 2) == boundary(2, 0.5, 2));
}

TEST_CASE("boundary: segmenters report consistent spans (BOCPD's index remapped with them)") {
  predsense::threshold_segmenter seg(predsense::threshold_segmenter_params{.threshold = 0.5});
  std::vector<boundary> got;
  const double xs[] = {0.1, 0.1, 0.9, 0.1, 0.1, 0.95};
  for (std::size_t t = 0; t < std::size(xs); ++t)
    if (auto b = seg.push(xs[t], t)) got.push_back(*b);
  REQUIRE(got.size() == 2);
  for (const auto& b : got) CHECK((b.start == b.t && b.end == b.t && b.time == double(b.t)));

  std::vector<double> x;
  for (int i = 0; i < 60; ++i) x.push_back(i < 30 ? 0.0 : 8.0);
  x[10] = std::numeric_limits<double>::quiet_NaN();  // a missing step: boundaries stay in the original index
  const auto bs = predsense::bocpd_segment(x, 1);
  REQUIRE_FALSE(bs.empty());
  for (const auto& b : bs) CHECK((b.start == b.t && b.end == b.t && b.time == double(b.t)));
}
