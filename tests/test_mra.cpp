// eval/mra: Mean Relative Accuracy, hand-checked against its definition (VSI-Bench, as used by Cambrian-S):
// MRA = (1/10) sum_{c in 0.50..0.95} [ |pred - gt| / gt < 1 - c ], tolerances 0.50, 0.45, ..., 0.05.
#include <doctest/doctest.h>

#include <cmath>
#include <limits>
#include <vector>

#include "predsense/core/error.hpp"
#include "predsense/eval/mra.hpp"

using predsense::mean_relative_accuracy;

TEST_CASE("MRA: hand-checked values") {
  CHECK(mean_relative_accuracy(10, 10) == 1.0);
  CHECK(mean_relative_accuracy(9.6, 10) == 1.0);                    // 0.04 < every tolerance incl. 0.05
  CHECK(mean_relative_accuracy(9.5, 10) == doctest::Approx(0.9));   // 0.05 < 0.05 is false
  CHECK(mean_relative_accuracy(12, 10) == doctest::Approx(0.6));    // 0.2 < 0.50..0.25 (6 of 10)
  CHECK(mean_relative_accuracy(8, 10) == doctest::Approx(0.6));     // symmetric in the error
  CHECK(mean_relative_accuracy(5, 4) == doctest::Approx(0.5));      // 0.25 lands on a tolerance: strict <
  CHECK(mean_relative_accuracy(14, 10) == doctest::Approx(0.2));    // 0.4 < 0.50, 0.45
  CHECK(mean_relative_accuracy(14.9, 10) == doctest::Approx(0.1));  // 0.49 < 0.50 only
  CHECK(mean_relative_accuracy(15, 10) == 0.0);                     // 0.5 is never < 0.5
  CHECK(mean_relative_accuracy(0, 10) == 0.0);
  CHECK(mean_relative_accuracy(30, 10) == 0.0);  // a tripled count (VSC-Repeat x3 of a sum)
  CHECK(mean_relative_accuracy(1, 1) == 1.0);
  CHECK(mean_relative_accuracy(2, 3) == doctest::Approx(0.4));  // 1/3: 0.50, 0.45, 0.40, 0.35
}

TEST_CASE("MRA: mean over questions") {
  const std::vector<double> pred{10, 12, 5, 40}, gt{10, 10, 4, 20};
  CHECK(mean_relative_accuracy(pred, gt) == doctest::Approx((1.0 + 0.6 + 0.5 + 0.0) / 4));
}

TEST_CASE("MRA: bad input is an error, not a number") {
  CHECK_THROWS_AS(mean_relative_accuracy(1, 0), predsense::invalid_argument_error);
  CHECK_THROWS_AS(mean_relative_accuracy(1, -3), predsense::invalid_argument_error);
  CHECK_THROWS_AS(mean_relative_accuracy(1, std::numeric_limits<double>::quiet_NaN()),
                  predsense::invalid_argument_error);
  CHECK_THROWS_AS(mean_relative_accuracy(std::numeric_limits<double>::quiet_NaN(), 3), predsense::non_finite_error);
  CHECK_THROWS_AS(mean_relative_accuracy(std::numeric_limits<double>::infinity(), 3), predsense::non_finite_error);
  const std::vector<double> a{1, 2}, b{1}, none;
  CHECK_THROWS_AS(mean_relative_accuracy(a, b), predsense::shape_error);
  CHECK_THROWS_AS(mean_relative_accuracy(none, none), predsense::empty_error);
}
