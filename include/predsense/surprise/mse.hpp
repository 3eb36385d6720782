// predsense/surprise/mse.hpp - mean squared error over all T x D elements.
#pragma once

#include "predsense/core/frame_view.hpp"
#include "predsense/core/non_finite_policy.hpp"
#include "predsense/kernels/squared_l2.hpp"

namespace predsense {

template <non_finite_policy NonFinite = reject_non_finite>
struct mse {
  template <frame_like A, frame_like B>
  double operator()(const A& pred, const B& actual) const {
    const auto [p, a] = detail::metric_operands(pred, actual);
    // Frames are packed, so the whole frame is one contiguous vector.
    const double s = kernels::squared_l2(p.data, a.data, p.size());
    return detail::check_result<NonFinite>(s / static_cast<double>(p.size()), p, "prediction", a, "actual");
  }
};

}  // namespace predsense
