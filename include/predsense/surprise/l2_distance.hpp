// predsense/surprise/l2_distance.hpp - Euclidean (Frobenius) distance |pred - actual| over the
// whole T x D frame. Unlike mse it grows with frame size; use it when frames share one shape.
#pragma once

#include <cmath>

#include "predsense/core/frame_view.hpp"
#include "predsense/core/non_finite_policy.hpp"
#include "predsense/kernels/squared_l2.hpp"

namespace predsense {

template <non_finite_policy NonFinite = reject_non_finite>
struct l2_distance {
  template <frame_like A, frame_like B>
  double operator()(const A& pred, const B& actual) const {
    const auto [p, a] = detail::metric_operands(pred, actual);
    const double s = kernels::squared_l2(p.data, a.data, p.size());
    return detail::check_result<NonFinite>(std::sqrt(s), p, "prediction", a, "actual");
  }
};

}  // namespace predsense
