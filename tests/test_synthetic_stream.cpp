// eval/synthetic_stream: determinism, boundaries, and that the surprise it is built for appears.
#include <doctest/doctest.h>

#include <algorithm>

#include "predsense/synthetic/synthetic_stream.hpp"
#include "predsense/surprise/token_cosine_distance.hpp"

using namespace predsense;

TEST_CASE("synthetic_stream is deterministic by seed and marks its scene changes") {
  synthetic_stream_params c;
  c.frames = 200;
  c.tokens = 4;
  c.dim = 32;
  c.mean_scene_length = 20;
  const synthetic_stream a(c), b(c);
  REQUIRE(a.size() == 200);
  CHECK(a.boundaries() == b.boundaries());
  CHECK(std::equal(a.frame(123).span().begin(), a.frame(123).span().end(), b.frame(123).span().begin()));
  c.seed = 2;
  const synthetic_stream other(c);
  CHECK(other.boundaries() != a.boundaries());

  // Scene lengths stay within [mean/2, 3 mean/2].
  std::size_t prev = 0;
  for (auto t : a.boundaries()) {
    CHECK(t - prev >= 10);
    CHECK(t - prev <= 30);
    prev = t;
  }
  CHECK(a.boundaries().size() >= 6);

  // Copy-last surprise separates changes from the rest completely on this stream.
  double max_inside = 0, min_change = 2;
  for (std::size_t t = 1; t < a.size(); ++t) {
    const double s = token_cosine_distance{}(a.frame(t - 1), a.frame(t));
    const bool change = std::find(a.boundaries().begin(), a.boundaries().end(), t) != a.boundaries().end();
    (change ? min_change : max_inside) = change ? std::min(min_change, s) : std::max(max_inside, s);
  }
  CHECK(min_change > 0.5);
  CHECK(max_inside < 0.1);
  c.frames = 0;
  CHECK_THROWS_AS(synthetic_stream{c}, invalid_argument_error);
}
