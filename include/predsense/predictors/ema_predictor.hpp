// predsense/predictors/ema_predictor.hpp - per-token exponential moving average as the guess.
//
//   s_1 = x_1,  s_t = alpha * x_t + (1 - alpha) * s_{t-1},  prediction = s_t
// elementwise for every token and dim. alpha = 1 is copy-last; smaller alpha averages out
// per-frame noise (sensor noise, small motions) at the price of lagging real change, so the
// surprise reacts to lasting changes rather than to jitter.
#pragma once

#include <cstddef>
#include <string>

#include "predsense/core/error.hpp"
#include "predsense/core/frame_buffer.hpp"
#include "predsense/core/frame_view.hpp"

namespace predsense {

class ema_predictor {
 public:
  ema_predictor() : ema_predictor(0.5) {}
  explicit ema_predictor(double alpha) : alpha_(static_cast<float>(alpha)) {
    if (!(alpha > 0.0 && alpha <= 1.0))
      throw invalid_argument_error("predsense: ema_predictor alpha must be in (0, 1], got " + std::to_string(alpha));
  }

  void observe(const frame_view& f) {
    detail::require_non_empty(f, "observed frame");
    if (state_.empty()) {
      state_.assign(f);
      return;
    }
    detail::require_same_shape(state_.view(), "ema_predictor state", f, "observed frame");
    float* s = state_.data();
    const float a = alpha_, b = 1.0f - alpha_;
    for (std::size_t i = 0, n = f.size(); i < n; ++i) s[i] = a * f.data[i] + b * s[i];
  }
  void predict(frame_buffer& out) const { out.assign(prediction()); }
  // The guess without a copy: a view of the average, valid until the next observe() or reset().
  [[nodiscard]] frame_view prediction() const {
    if (state_.empty()) throw empty_error("predsense: ema_predictor::predict before any frame was observed");
    return state_.view();
  }
  [[nodiscard]] double alpha() const noexcept { return alpha_; }
  [[nodiscard]] bool ready() const noexcept { return !state_.empty(); }
  void reset() { state_ = frame_buffer(); }

 private:
  float alpha_;
  frame_buffer state_;

 public:
  // State (io/state_file.hpp: save_state / load_state): alpha, then the running average.
  static constexpr const char* state_kind = "ema_predictor";
  template <class A>
  void visit_state(A& a) {
    double alpha = alpha_;
    a.param("alpha", alpha);
    a.validated([&] { *this = ema_predictor(alpha); });
    a.field("state", state_);
  }
};

}  // namespace predsense
