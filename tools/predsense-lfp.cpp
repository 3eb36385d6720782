// predsense-lfp - run the LFP head (and its training step) on tensors from safetensors files.
//
//   predsense-lfp forward    --weights W.safetensors [--prefix model.nfp_head.] --inputs X.safetensors --out
//   Y.safetensors predsense-lfp backbone   --weights B.safetensors [--prefix model.] --inputs F.safetensors --out
//   H.safetensors
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
// Each subcommand has its own options (no defaults shared between them). Exit codes and path
// rules: tools/support/cli.hpp (a bad or mismatched file, a NaN/Inf in an input tensor, an option
// out of range, --out naming an input or not writable: exit 2, nothing written).
#include <algorithm>
#include <cmath>
#include <string>
#include <vector>

#include "predsense/core/checked_size.hpp"
#include "predsense/io/safetensors.hpp"
#include "predsense/predictors/lfp_head.hpp"
#include "predsense/predictors/lfp_trainer.hpp"
#include "predsense/predictors/mini_transformer.hpp"
#include "predsense/predictors/transformer_predictor.hpp"
#include "support/cli.hpp"

using namespace predsense;

namespace {

// Every input tensor the tool computes on is read through here: a NaN or infinity in it would only
// come out as NaN output with exit 0, so it is refused, naming the file, tensor and first bad index.
std::vector<float> read_finite(const safetensors_reader& r, const std::string& name) {
  auto v = r.read_floats(name);
  for (std::size_t i = 0; i < v.size(); ++i)
    if (!std::isfinite(v[i]))
      throw non_finite_error("predsense-lfp: " + r.source() + ": tensor \"" + name + "\" has a non-finite value " +
                             std::to_string(v[i]) + " at flat index " + std::to_string(i));
  return v;
}

std::vector<float> read_2d(const safetensors_reader& r, const std::string& name, std::size_t cols, std::size_t& rows) {
  const auto& info = r.info(name);
  if (info.shape.size() != 2 || info.shape[1] != cols)
    throw shape_error("predsense-lfp: \"" + name + "\" in " + r.source() + " has shape " +
                      detail::shape_string(info.shape) + ", expected [T, " + std::to_string(cols) + "]");
  rows = info.shape[0];
  return read_finite(r, name);
}

struct head_opts {
  std::string weights, prefix, inputs, out;
};

void add_head_options(CLI::App* c, head_opts& o) {
  c->add_option("--weights", o.weights, "safetensors with the head's parameters")->required();
  c->add_option("--prefix", o.prefix, "parameter name prefix, e.g. model.nfp_head. (default: none)");
  c->add_option("--inputs", o.inputs, "safetensors with \"x\" (and \"target\")")->required();
  c->add_option("--out", o.out, "output safetensors")->required();
}

void check_paths(const std::vector<std::pair<std::string, std::string>>& inputs, const std::string& out) {
  tools::io_paths paths;
  for (const auto& [path, opt] : inputs) paths.input(path, opt);
  paths.output(out, "--out");
  paths.check();
}

void run_backbone(const head_opts& o, const mini_transformer_params& mc, const std::string& head_weights,
                  const std::string& head_prefix) {
  check_paths({{o.weights, "--weights"}, {o.inputs, "--inputs"}, {head_weights, "--head-weights"}}, o.out);
  auto model = mini_transformer::from_safetensors(safetensors_reader::open(o.weights), mc, o.prefix);
  const auto in = safetensors_reader::open(o.inputs);
  const auto& fi = in.info("frames");
  if (fi.shape.size() != 3 || fi.shape[2] != model.input_dim())
    throw shape_error("predsense-lfp: " + o.inputs + ": \"frames\" must be [F, T, " +
                      std::to_string(model.input_dim()) + "], got " + detail::shape_string(fi.shape));
  const std::size_t F = fi.shape[0], T = fi.shape[1];
  const auto frames = read_finite(in, "frames");  // F x T x input_dim floats present in the file
  std::vector<float> hidden(checked_product({F, T, mc.hidden}, "frames F x T x hidden")), pred;
  tensor_map result;
  if (!head_weights.empty()) {
    transformer_predictor tp(std::move(model), lfp_head::from_safetensors(head_weights, head_prefix));
    frame_buffer guess;
    for (std::size_t f = 0; f < F; ++f) {
      tp.observe(frame_view(frames.data() + f * T * fi.shape[2], T, fi.shape[2]));
      std::copy(tp.hidden().begin(), tp.hidden().end(),
                hidden.begin() + static_cast<std::ptrdiff_t>(f * T * mc.hidden));
      tp.predict(guess);
      pred.insert(pred.end(), guess.span().begin(), guess.span().end());
    }
    result["pred"] = tensor_data::from_floats(pred, {F, T, tp.head().out_dim()});
  } else {
    for (std::size_t f = 0; f < F; ++f)
      model.step(frames.data() + f * T * fi.shape[2], T, hidden.data() + f * T * mc.hidden);
  }
  result["hidden"] = tensor_data::from_floats(hidden, {F, T, mc.hidden});
  tools::write_with(o.out, "--out", [&] { write_safetensors(o.out, result); });
}

void run_head(const head_opts& o, const lfp_train_params* train, int steps) {
  check_paths({{o.weights, "--weights"}, {o.inputs, "--inputs"}}, o.out);
  lfp_head head = lfp_head::from_safetensors(o.weights, o.prefix);
  const auto in = safetensors_reader::open(o.inputs);
  std::size_t T = 0;
  const auto x = read_2d(in, "x", head.hidden(), T);
  tensor_map result;
  if (!train) {
    std::vector<float> y(checked_mul(T, head.out_dim(), "x rows x out_dim"));
    head.forward(x.data(), T, y.data());
    result["y"] = tensor_data::from_floats(y, {T, head.out_dim()});
  } else {
    std::size_t Tt = 0;
    const auto target = read_2d(in, "target", head.out_dim(), Tt);
    if (Tt != T)
      throw shape_error("predsense-lfp: " + o.inputs + ": x has " + std::to_string(T) + " rows, target " +
                        std::to_string(Tt));
    lfp_trainer trainer(*train);
    std::vector<float> losses;
    for (int s = 0; s < steps; ++s) {
      const auto L = trainer.step(head, x.data(), T, target.data());
      if (!std::isfinite(L.total))  // diverged (e.g. a huge --lr): an error, not a file of NaN
        throw invalid_argument_error("predsense-lfp: the loss became " + std::to_string(L.total) + " at step " +
                                     std::to_string(s) + " (learning rate too large?)");
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
  tools::write_with(o.out, "--out", [&] {
    write_safetensors(o.out, result, {{"gemm_backend", kernels::gemm_backend_name()}});
  });
}

}  // namespace

int main(int argc, char** argv) {
  namespace t = predsense::tools;
  CLI::App app{"Run the Cambrian-S LFP head from safetensors files"};
  app.require_subcommand(1);
  const auto finite = t::real_in(-1e6, 1e6);

  head_opts fwd_o, tr_o, bb_o;
  auto* fwd = app.add_subcommand("forward", "y = head(x)");
  add_head_options(fwd, fwd_o);

  auto* tr = app.add_subcommand("train-step", "optimiser steps on (x, target)");
  add_head_options(tr, tr_o);
  std::string optimizer = "adam";
  lfp_train_params cfg;
  cfg.lr = 1e-3;
  int steps = 1;
  tr->add_option("--optimizer", optimizer, "adam or sgd (default adam)")->check(CLI::IsMember({"adam", "sgd"}));
  tr->add_option("--lr", cfg.lr, "learning rate (default 1e-3)")->check(t::real_in(0.0, 1e3));
  tr->add_option("--steps", steps, "optimiser steps (default 1)")->check(t::count_in(1, 100000));
  tr->add_option("--mse-weight", cfg.mse_weight, "weight of the MSE term (default 1)")->check(finite);
  tr->add_option("--cos-weight", cfg.cos_weight, "weight of the cosine term (default 1)")->check(finite);
  tr->add_option("--momentum", cfg.momentum, "SGD momentum in [0, 1] (default 0)")->check(t::real_in(0.0, 1.0));
  tr->add_option("--weight-decay", cfg.weight_decay, "L2 weight decay (default 0)")->check(t::real_in(0.0, 1e3));

  auto* bb = app.add_subcommand("backbone", "stream frames through the mini Qwen2 decoder");
  mini_transformer_params mc;
  std::string head_weights, head_prefix;
  bb->add_option("--weights", bb_o.weights, "safetensors with the decoder's parameters")->required();
  bb->add_option("--prefix", bb_o.prefix, "parameter name prefix (default model.)")->default_val("model.");
  bb->add_option("--inputs", bb_o.inputs, "safetensors with \"frames\" [F, T, input_dim]")->required();
  bb->add_option("--out", bb_o.out, "output safetensors")->required();
  bb->add_option("--hidden", mc.hidden, "hidden size")->required()->check(t::count_in(1, 65536));
  bb->add_option("--layers", mc.layers, "decoder layers")->required()->check(t::count_in(1, 1024));
  bb->add_option("--heads", mc.heads, "attention heads")->required()->check(t::count_in(1, 1024));
  bb->add_option("--kv-heads", mc.kv_heads, "key/value heads")->required()->check(t::count_in(1, 1024));
  bb->add_option("--intermediate", mc.intermediate, "MLP size")->required()->check(t::count_in(1, 1 << 20));
  bb->add_option("--input-dim", mc.input_dim, "input projection size, 0 for none (default 0)")
      ->check(t::count_in(0, 1 << 20));
  bb->add_option("--rope-theta", mc.rope_theta, "RoPE base (default 10000)")->check(t::real_in(1.0, 1e12));
  bb->add_option("--attn-block", mc.attn_block, "cache positions per attention block (default 512)")
      ->check(t::count_in(1, 1 << 20));
  bb->add_option("--head-weights", head_weights, "also run this LFP head on the hidden states");
  bb->add_option("--head-prefix", head_prefix, "the head's parameter prefix (default: none)");

  return t::run_tool("predsense-lfp", app, argc, argv, [&] {
    if (*bb) {
      run_backbone(bb_o, mc, head_weights, head_prefix);
    } else if (*fwd) {
      run_head(fwd_o, nullptr, 0);
    } else {
      cfg.optimizer = optimizer == "adam" ? optimizer_kind::adam : optimizer_kind::sgd;
      run_head(tr_o, &cfg, steps);
    }
  });
}
