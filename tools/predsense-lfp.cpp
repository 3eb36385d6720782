// predsense-lfp - run the LFP head (and its training step) on tensors from safetensors files.
//
//   predsense-lfp forward    --weights W.safetensors [--prefix model.nfp_head.] --inputs X.safetensors --out Y.safetensors
//   predsense-lfp backbone   --weights B.safetensors [--prefix model.] --inputs F.safetensors --out H.safetensors
//                            --hidden 64 --layers 2 --heads 4 --kv-heads 2 --intermediate 96 [--input-dim 0]
//                            [--rope-theta 10000] [--attn-block 512] [--head-weights W --head-prefix P]
//   predsense-lfp train-step --weights W --inputs X --out Y [--optimizer adam|sgd] [--lr 1e-3] [--steps 1]
//                            [--mse-weight 1] [--cos-weight 1] [--momentum 0] [--weight-decay 0]
//
// backbone: "frames" (F x T x input_dim) are streamed frame by frame through the KV-cached decoder;
// writes "hidden" (F x T x hidden) and, with --head-weights, "pred" (F x T x d) = head(hidden).
// Inputs file: "x" (T x h hidden states) and, for train-step, "target" (T x d). Outputs: forward
// writes "y" (T x d, F32); train-step writes "loss" (steps), "y" (the first step's prediction),
// the updated parameters "0.weight", "0.bias", "2.weight", "2.bias" and the first step's gradients
// under "grad.". The PyTorch parity tests (tests/python/test_predictors_parity.py) drive it; it
// also shows how to load a Cambrian-S head from a checkpoint shard.
#include <CLI/CLI.hpp>

#include <cstdio>
#include <string>
#include <vector>

#include "predsense/io/safetensors.hpp"
#include "predsense/predictors/lfp_head.hpp"
#include "predsense/predictors/lfp_trainer.hpp"
#include "predsense/predictors/mini_transformer.hpp"
#include "predsense/predictors/transformer_predictor.hpp"

using namespace predsense;

namespace {

std::vector<float> read_2d(const safetensors_reader& r, const std::string& name, std::size_t cols,
                           std::size_t& rows) {
  const auto& info = r.info(name);
  if (info.shape.size() != 2 || info.shape[1] != cols)
    throw shape_error("predsense-lfp: \"" + name + "\" in " + r.source() + " has shape " +
                      detail::shape_string(info.shape) + ", expected [T, " + std::to_string(cols) + "]");
  rows = info.shape[0];
  return r.read_floats(name);
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"Run the Cambrian-S LFP head from safetensors files"};
  app.require_subcommand(1);
  std::string weights, prefix, inputs, out, optimizer = "adam";
  double lr = 1e-3, mse_w = 1.0, cos_w = 1.0, momentum = 0.0, wd = 0.0;
  int steps = 1;
  auto common = [&](CLI::App* c) {
    c->add_option("--weights", weights, "safetensors with the head's parameters")->required();
    c->add_option("--prefix", prefix, "parameter name prefix, e.g. model.nfp_head.");
    c->add_option("--inputs", inputs, "safetensors with \"x\" (and \"target\")")->required();
    c->add_option("--out", out, "output safetensors")->required();
  };
  auto* fwd = app.add_subcommand("forward", "y = head(x)");
  common(fwd);
  auto* tr = app.add_subcommand("train-step", "optimiser steps on (x, target)");
  common(tr);
  tr->add_option("--optimizer", optimizer)->check(CLI::IsMember({"adam", "sgd"}));
  tr->add_option("--lr", lr);
  tr->add_option("--steps", steps)->check(CLI::PositiveNumber);
  tr->add_option("--mse-weight", mse_w);
  tr->add_option("--cos-weight", cos_w);
  tr->add_option("--momentum", momentum);
  tr->add_option("--weight-decay", wd);
  auto* bb = app.add_subcommand("backbone", "stream frames through the mini Qwen2 decoder");
  mini_transformer_config mc;
  std::string head_weights, head_prefix;
  bb->add_option("--weights", weights)->required();
  bb->add_option("--prefix", prefix)->default_val("model.");
  bb->add_option("--inputs", inputs)->required();
  bb->add_option("--out", out)->required();
  bb->add_option("--hidden", mc.hidden)->required();
  bb->add_option("--layers", mc.layers)->required();
  bb->add_option("--heads", mc.heads)->required();
  bb->add_option("--kv-heads", mc.kv_heads)->required();
  bb->add_option("--intermediate", mc.intermediate)->required();
  bb->add_option("--input-dim", mc.input_dim);
  bb->add_option("--rope-theta", mc.rope_theta);
  bb->add_option("--attn-block", mc.attn_block);
  bb->add_option("--head-weights", head_weights);
  bb->add_option("--head-prefix", head_prefix);
  CLI11_PARSE(app, argc, argv);

  if (*bb) {
    try {
      auto model = mini_transformer::from_safetensors(safetensors_reader::open(weights), mc, prefix);
      const auto in = safetensors_reader::open(inputs);
      const auto& fi = in.info("frames");
      if (fi.shape.size() != 3 || fi.shape[2] != model.input_dim())
        throw shape_error("predsense-lfp: \"frames\" must be [F, T, " + std::to_string(model.input_dim()) + "], got " +
                          detail::shape_string(fi.shape));
      const std::size_t F = fi.shape[0], T = fi.shape[1];
      const auto frames = in.read_floats("frames");
      std::vector<float> hidden(F * T * mc.hidden), pred;
      tensor_map result;
      if (!head_weights.empty()) {
        transformer_predictor tp(std::move(model), lfp_head::from_safetensors(head_weights, head_prefix));
        frame_buffer guess;
        for (std::size_t f = 0; f < F; ++f) {
          tp.observe(frame_view(frames.data() + f * T * fi.shape[2], T, fi.shape[2]));
          std::copy(tp.hidden().begin(), tp.hidden().end(), hidden.begin() + static_cast<std::ptrdiff_t>(f * T * mc.hidden));
          tp.predict(guess);
          pred.insert(pred.end(), guess.span().begin(), guess.span().end());
        }
        result["pred"] = tensor_data::from_floats(pred, {F, T, tp.head().out_dim()});
      } else {
        for (std::size_t f = 0; f < F; ++f)
          model.step(frames.data() + f * T * fi.shape[2], T, hidden.data() + f * T * mc.hidden);
      }
      result["hidden"] = tensor_data::from_floats(hidden, {F, T, mc.hidden});
      write_safetensors(out, result);
    } catch (const predsense::error& e) {
      std::fprintf(stderr, "predsense-lfp: %s\n", e.what());
      return 1;
    }
    return 0;
  }

  try {
    lfp_head head = lfp_head::from_safetensors(weights, prefix);
    const auto in = safetensors_reader::open(inputs);
    std::size_t T = 0;
    const auto x = read_2d(in, "x", head.hidden(), T);
    tensor_map result;
    if (*fwd) {
      std::vector<float> y(T * head.out_dim());
      head.forward(x.data(), T, y.data());
      result["y"] = tensor_data::from_floats(y, {T, head.out_dim()});
    } else {
      std::size_t Tt = 0;
      const auto target = read_2d(in, "target", head.out_dim(), Tt);
      if (Tt != T) throw shape_error("predsense-lfp: x has " + std::to_string(T) + " rows, target " + std::to_string(Tt));
      lfp_train_config cfg;
      cfg.optimizer = optimizer == "adam" ? optimizer_kind::adam : optimizer_kind::sgd;
      cfg.lr = lr;
      cfg.mse_weight = mse_w;
      cfg.cos_weight = cos_w;
      cfg.momentum = momentum;
      cfg.weight_decay = wd;
      lfp_trainer trainer(cfg);
      std::vector<float> losses;
      for (int s = 0; s < steps; ++s) {
        const auto L = trainer.step(head, x.data(), T, target.data());
        losses.push_back(static_cast<float>(L.total));
        if (s == 0) {
          result["y"] = tensor_data::from_floats(trainer.last_prediction(), {T, head.out_dim()});
          result["grad.0.weight"] = tensor_data::from_floats(trainer.grad_w1(), {head.hidden(), head.hidden()});
          result["grad.0.bias"] = tensor_data::from_floats(trainer.grad_b1(), {head.hidden()});
          result["grad.2.weight"] = tensor_data::from_floats(trainer.grad_w2(), {head.out_dim(), head.hidden()});
          result["grad.2.bias"] = tensor_data::from_floats(trainer.grad_b2(), {head.out_dim()});
        }
      }
      result["loss"] = tensor_data::from_floats(losses, {losses.size()});
      for (auto& [k, v] : head.to_tensors()) result[k] = std::move(v);
    }
    write_safetensors(out, result, {{"gemm_backend", kernels::gemm_backend_name()}});
  } catch (const predsense::error& e) {
    std::fprintf(stderr, "predsense-lfp: %s\n", e.what());
    return 1;
  }
  return 0;
}
