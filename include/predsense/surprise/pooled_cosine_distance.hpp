// predsense/surprise/pooled_cosine_distance.hpp - 1 - cos(mean_t pred[t], mean_t actual[t]).
//
// Mean-pools each frame over its tokens first, so it ignores where in the frame things moved and
// reacts only to what the frame contains overall. Keeps a D-float scratch buffer: one object per
// thread.
#pragma once

#include <algorithm>
#include <vector>

#include "predsense/core/frame_view.hpp"
#include "predsense/core/non_finite_policy.hpp"
#include "predsense/kernels/cosine.hpp"
#include "predsense/kernels/token_sum.hpp"

namespace predsense {

template <non_finite_policy NonFinite = reject_non_finite>
class pooled_cosine_distance {
 public:
  template <frame_like A, frame_like B>
  double operator()(const A& pred, const B& actual) {
    const auto [p, a] = detail::metric_operands(pred, actual);
    scratch_.resize(2 * p.dim);
    // sums, not means: the scale does not change a cosine
    kernels::token_sum(p.data, p.tokens, p.dim, scratch_.data());
    kernels::token_sum(a.data, a.tokens, a.dim, scratch_.data() + p.dim);
    const double c = kernels::cosine(scratch_.data(), scratch_.data() + p.dim, p.dim);
    return detail::check_result<NonFinite>(1.0 - c, p, "prediction", a, "actual");
  }

 private:
  std::vector<float> scratch_;

 public:
  // No state between calls (the scratch buffer is rebuilt each call).
  static constexpr const char* state_kind = "pooled_cosine_distance";
  template <class A>
  void visit_state(A&) {}
};

}  // namespace predsense
