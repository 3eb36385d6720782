// predsense/surprise/token_cosine_distance.hpp - the Cambrian-S surprise.
//
// surprise(pred, actual) = 1 - (1/T) sum_t cos(pred[t], actual[t]), in [0, 2]. Identical frames
// score 0, unrelated ones about 1. Zero tokens follow torch's eps clamp (cosine 0). By Cambrian-S
// convention the first frame of a stream, which has no prediction, scores 1 (the pipeline does
// that, not this metric).
#pragma once

#include "predsense/core/frame_view.hpp"
#include "predsense/core/non_finite_policy.hpp"
#include "predsense/kernels/token_cosine_distance.hpp"

namespace predsense {

template <non_finite_policy NonFinite = reject_non_finite>
struct token_cosine_distance {
  template <frame_like A, frame_like B>
  double operator()(const A& pred, const B& actual) const {
    const auto [p, a] = detail::metric_operands(pred, actual);
    return detail::check_result<NonFinite>(kernels::token_cosine_distance(p.data, a.data, p.tokens, p.dim), p,
                                           "prediction", a, "actual");
  }
};

}  // namespace predsense
