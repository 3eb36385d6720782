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
#include "predsense/kernels/simd.hpp"

namespace predsense {

namespace detail {
// Sums the rows of a frame (the mean's scale does not change a cosine).
inline void sum_tokens(const frame_view& f, float* out) {
  std::fill(out, out + f.dim, 0.0f);
  for (std::size_t t = 0; t < f.tokens; ++t) {
    const float* r = f.row(t);
    std::size_t k = 0;
#if PREDSENSE_SIMD
    namespace s = simd;
    for (; k + s::width <= f.dim; k += s::width) s::store(out + k, s::load(out + k) + s::load(r + k));
#endif
    for (; k < f.dim; ++k) out[k] += r[k];
  }
}
}  // namespace detail

template <non_finite_policy NonFinite = reject_non_finite>
class pooled_cosine_distance {
 public:
  template <frame_like A, frame_like B>
  double operator()(const A& pred, const B& actual) {
    const auto [p, a] = detail::metric_operands(pred, actual);
    scratch_.resize(2 * p.dim);
    detail::sum_tokens(p, scratch_.data());
    detail::sum_tokens(a, scratch_.data() + p.dim);
    const double c = kernels::cosine(scratch_.data(), scratch_.data() + p.dim, p.dim);
    return detail::check_result<NonFinite>(1.0 - c, p, "prediction", a, "actual");
  }

 private:
  std::vector<float> scratch_;
};

}  // namespace predsense
