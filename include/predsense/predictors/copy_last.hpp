// predsense/predictors/copy_last.hpp - predicts that the next frame equals the last one.
//
// The Cambrian-S ablation baseline ("adjacent-frame feature similarity"): with it, surprise is
// 1 - cos(frame t-1, frame t) per token. No parameters, nothing to learn.
#pragma once

#include "predsense/core/error.hpp"
#include "predsense/core/frame_buffer.hpp"
#include "predsense/core/frame_view.hpp"

namespace predsense {

class copy_last {
 public:
  void observe(const frame_view& f) {
    detail::require_non_empty(f, "observed frame");
    last_.assign(f);
  }
  // Throws empty_error before the first observe (there is nothing to copy).
  void predict(frame_buffer& out) const { out.assign(prediction()); }
  // The guess without a copy: a view of the last frame, valid until the next observe() or reset().
  [[nodiscard]] frame_view prediction() const {
    if (last_.empty()) throw empty_error("predsense: copy_last::predict before any frame was observed");
    return last_.view();
  }
  [[nodiscard]] bool ready() const noexcept { return !last_.empty(); }
  void reset() { last_ = frame_buffer(); }

 private:
  frame_buffer last_;

 public:
  // State (io/state_file.hpp: save_state / load_state): the last frame.
  static constexpr const char* state_kind = "copy_last";
  template <class A>
  void visit_state(A& a) {
    a.field("last", last_);
  }
};

}  // namespace predsense
