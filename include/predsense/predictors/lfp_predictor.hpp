// predsense/predictors/lfp_predictor.hpp - the LFP head as a latent_predictor on frame latents.
//
// Without a language model the head's input is the observed frame's latent itself (hidden size
// == latent dim): prediction = head(frame t). With learn = true every observed frame is also a
// training target: one optimiser step on (frame t-1 -> frame t) before the next prediction, so the
// head learns the stream's dynamics at test time (the Cambrian-S objective, lfp_trainer.hpp).
// residual = true predicts frame + head(frame) and trains the head on the change (frame t - frame
// t-1); with the head's output layer zeroed (zero_output_layer) it starts out as copy-last and
// learns only what the stream shows it. The Cambrian-S head itself is the residual = false form.
// For the full model (backbone hidden states -> head) see transformer_predictor.hpp.
#pragma once

#include <algorithm>
#include <cstddef>
#include <string>
#include <utility>
#include <vector>

#include "predsense/core/error.hpp"
#include "predsense/core/frame_buffer.hpp"
#include "predsense/core/frame_view.hpp"
#include "predsense/predictors/lfp_head.hpp"
#include "predsense/predictors/lfp_trainer.hpp"

namespace predsense {

struct lfp_predictor_params {
  bool learn = true;
  bool residual = false;
  lfp_train_params train{};
};

class lfp_predictor {
 public:
  explicit lfp_predictor(lfp_head head, const lfp_predictor_params& c = {})
      : head_(std::move(head)), c_(c), trainer_(c.train) {
    if (head_.empty()) throw invalid_argument_error("predsense: lfp_predictor needs a head with weights");
    if (head_.hidden() != head_.out_dim())
      throw shape_error("predsense: lfp_predictor feeds frames back into the head, so hidden (" +
                        std::to_string(head_.hidden()) + ") must equal out_dim (" + std::to_string(head_.out_dim()) +
                        "); use transformer_predictor for h != d");
  }

  void observe(const frame_view& f) {
    detail::require_non_empty(f, "observed frame");
    if (f.dim != head_.hidden())
      throw shape_error("predsense: lfp_predictor: frame " + detail::shape_str(f.tokens, f.dim) +
                        " does not match the head's dim " + std::to_string(head_.hidden()));
    if (c_.learn && !last_.empty() && last_.tokens() == f.tokens) {
      const float* target = f.data;
      if (c_.residual) {
        delta_.resize(f.size());
        for (std::size_t i = 0; i < f.size(); ++i) delta_[i] = f.data[i] - last_.data()[i];
        target = delta_.data();
      }
      last_loss_ = trainer_.step(head_, last_.data(), f.tokens, target);
    }
    last_.assign(f);
  }

  void predict(frame_buffer& out) {
    if (last_.empty()) throw empty_error("predsense: lfp_predictor::predict before any frame was observed");
    head_.forward(last_.view(), out);
    if (c_.residual)
      for (std::size_t i = 0; i < out.size(); ++i) out.data()[i] += last_.data()[i];
  }

  // Starts a new stream: forgets the last frame and the optimiser's state (Adam moments, step
  // count); the head keeps the weights it has learned so far.
  void reset() {
    last_ = frame_buffer();
    trainer_.reset();
    last_loss_ = {};
  }

  // Zeroes the output layer (W2, b2): with residual = true the predictor then starts as copy-last.
  void zero_output_layer() {
    std::fill(head_.w2().begin(), head_.w2().end(), 0.0f);
    std::fill(head_.b2().begin(), head_.b2().end(), 0.0f);
  }

  [[nodiscard]] const lfp_head& head() const noexcept { return head_; }
  [[nodiscard]] lfp_head& head() noexcept { return head_; }
  [[nodiscard]] const lfp_loss& last_loss() const noexcept { return last_loss_; }
  [[nodiscard]] bool ready() const noexcept { return !last_.empty(); }

 private:
  lfp_head head_;
  lfp_predictor_params c_;
  lfp_trainer trainer_;
  frame_buffer last_;
  std::vector<float> delta_;
  lfp_loss last_loss_{};

 public:
  // State (io/state_file.hpp): learn / residual, the head's weights, the optimiser's state, the
  // last frame (the next training input) and the last loss.
  static constexpr const char* state_kind = "lfp_predictor";
  template <class A>
  void visit_state(A& a) {
    a.param("learn", c_.learn);
    a.param("residual", c_.residual);
    a.nested("head", head_);
    a.nested("trainer", trainer_);
    c_.train = trainer_.params();
    a.field("last", last_);
    a.field("loss_total", last_loss_.total);
    a.field("loss_mse", last_loss_.mse);
    a.field("loss_cos", last_loss_.cos);
    a.require(!head_.empty() && head_.hidden() == head_.out_dim(), "head", "needs weights with hidden == out_dim");
    a.require(last_.empty() || last_.dim() == head_.hidden(), "last", "dim differs from the head's");
    a.require(trainer_.state_fits(head_), "trainer", "moments do not fit the head");
  }
  // For state_from_bytes: a head-less predictor the file's state replaces.
  lfp_predictor() : head_(1, 1) {}
};

}  // namespace predsense
