// predsense/predictors/transformer_predictor.hpp - backbone + LFP head as one latent_predictor.
//
// observe(frame): the mini Qwen2 backbone takes the frame's T tokens as its next T positions (KV
// cache) and returns their hidden states; predict(out): the LFP head maps those hidden states to
// the predicted next-frame latent (T x d), the Cambrian-S arrangement. The head's hidden size must
// equal the backbone's width. Optionally (learn = true) the head trains online on
// (hidden states of frame t-1 -> frame t), as lfp_predictor does; the backbone stays frozen.
#pragma once

#include <string>
#include <utility>
#include <vector>

#include "predsense/core/error.hpp"
#include "predsense/core/frame_buffer.hpp"
#include "predsense/core/frame_view.hpp"
#include "predsense/predictors/lfp_head.hpp"
#include "predsense/predictors/lfp_trainer.hpp"
#include "predsense/predictors/mini_transformer.hpp"

namespace predsense {

struct transformer_predictor_params {
  bool learn = false;
  lfp_train_params train{};
};

class transformer_predictor {
 public:
  transformer_predictor(mini_transformer backbone, lfp_head head, const transformer_predictor_params& c = {})
      : bb_(std::move(backbone)), head_(std::move(head)), c_(c), trainer_(c.train) {
    if (head_.empty() || head_.hidden() != bb_.params().hidden)
      throw shape_error("predsense: transformer_predictor: head hidden size " + std::to_string(head_.hidden()) +
                        " != backbone width " + std::to_string(bb_.params().hidden));
  }

  void observe(const frame_view& f) {
    detail::require_non_empty(f, "observed frame");
    if (f.dim != bb_.input_dim())
      throw shape_error("predsense: transformer_predictor: frame " + detail::shape_str(f.tokens, f.dim) +
                        " but the backbone takes " + std::to_string(bb_.input_dim()) + "-dim tokens");
    if (c_.learn && tokens_ == f.tokens && f.dim == head_.out_dim())
      trainer_.step(head_, hidden_.data(), tokens_, f.data);
    hidden_.resize(f.tokens * bb_.params().hidden);
    bb_.step(f.data, f.tokens, hidden_.data());
    tokens_ = f.tokens;
  }

  void predict(frame_buffer& out) {
    if (tokens_ == 0) throw empty_error("predsense: transformer_predictor::predict before any frame was observed");
    out.resize(tokens_, head_.out_dim());
    head_.forward(hidden_.data(), tokens_, out.data());
  }

  // Starts a new stream: empties the backbone's KV cache and forgets the last hidden states and the
  // optimiser's state; learned head weights are kept.
  void reset() {
    bb_.reset();
    hidden_.clear();
    tokens_ = 0;
    trainer_.reset();
  }

  [[nodiscard]] mini_transformer& backbone() noexcept { return bb_; }
  [[nodiscard]] lfp_head& head() noexcept { return head_; }
  // Hidden states of the last observed frame (T x width).
  [[nodiscard]] const std::vector<float>& hidden() const noexcept { return hidden_; }

 private:
  mini_transformer bb_;
  lfp_head head_;
  transformer_predictor_params c_;
  lfp_trainer trainer_;
  std::vector<float> hidden_;
  std::size_t tokens_ = 0;

 public:
  // State (io/state_file.hpp): learn, the backbone (weights and KV cache), the head, the
  // optimiser's state and the last frame's hidden states.
  static constexpr const char* state_kind = "transformer_predictor";
  template <class A>
  void visit_state(A& a) {
    a.param("learn", c_.learn);
    a.nested("backbone", bb_);
    a.nested("head", head_);
    a.nested("trainer", trainer_);
    c_.train = trainer_.params();
    a.field("hidden", hidden_);
    a.field("tokens", tokens_);
    a.require(!head_.empty() && head_.hidden() == bb_.params().hidden, "head", "width differs from the backbone's");
    a.require(hidden_.size() == tokens_ * bb_.params().hidden && tokens_ <= hidden_.size(), "hidden",
              "not tokens x width");
    a.require(trainer_.state_fits(head_), "trainer", "moments do not fit the head");
  }
  // For state_from_bytes: a minimal predictor the file's state replaces.
  transformer_predictor()
      : transformer_predictor(mini_transformer(mini_transformer_params{2, 1, 1, 1, 1, 0, 10000.0, 1e-6, 1}),
                              lfp_head(2, 2)) {}
};

}  // namespace predsense
