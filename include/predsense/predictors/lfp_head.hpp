// predsense/predictors/lfp_head.hpp - the Cambrian-S latent-frame-prediction (LFP) head.
//
//   y = W2 * gelu(W1 * x + b1) + b2,   W1: h x h, W2: d x h (PyTorch nn.Linear layout: out x in)
//
// applied to each of T tokens' hidden states x (T x h) -> predicted next-frame latent (T x d).
// gelu is the exact erf form (PyTorch's default, approximate='none'). Each layer is one GEMM over
// all T tokens (kernels/gemm.hpp: OpenBLAS when available), the bias and GELU are fused into
// one SIMD pass over its output.
//
// Weights load from safetensors (F32/F16/BF16) or .npz under a name prefix, so the head comes
// straight out of a Cambrian-S checkpoint shard: prefix "model.nfp_head." reads
// model.nfp_head.0.weight, .0.bias, .2.weight, .2.bias (nn.Sequential(Linear, GELU, Linear)).
#pragma once

#include <cmath>
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <random>
#include <string>
#include <vector>

#include "predsense/core/checked_size.hpp"
#include "predsense/core/error.hpp"
#include "predsense/core/frame_buffer.hpp"
#include "predsense/core/frame_view.hpp"
#include "predsense/config.hpp"
#ifdef PREDSENSE_HAS_ZLIB
#include "predsense/io/npz.hpp"  // from_npz
#endif
#ifdef PREDSENSE_HAS_NLOHMANN_JSON
#include "predsense/io/safetensors.hpp"  // from_safetensors, to_tensors, save_safetensors
#endif
#include "predsense/kernels/activation.hpp"
#include "predsense/kernels/gemm.hpp"

namespace predsense {

namespace detail {

inline constexpr float inv_sqrt2 = 0.70710678118654752440f;

inline std::string join_prefix(std::string prefix) {
  if (!prefix.empty() && prefix.back() != '.') prefix += '.';
  return prefix;
}

}  // namespace detail

class lfp_head {
 public:
  // Largest weight matrix accepted (values): 2^28 float32 = 1 GiB, i.e. hidden up to 16384.
  static constexpr std::size_t max_weights = std::size_t(1) << 28;

  lfp_head() = default;
  // Zero weights of the given sizes (fill them through the parameter spans or init_uniform).
  lfp_head(std::size_t hidden, std::size_t out_dim) { resize(hidden, out_dim); }

  // nn.Linear's default init: U(-1/sqrt(fan_in), 1/sqrt(fan_in)) for weights and biases.
  void init_uniform(std::uint64_t seed) {
    std::mt19937_64 rng(seed);
    auto fill = [&](std::vector<float>& v, std::size_t fan_in) {
      const float a = 1.0f / std::sqrt(static_cast<float>(fan_in));
      std::uniform_real_distribution<float> u(-a, a);
      for (auto& x : v) x = u(rng);
    };
    fill(w1_, h_);
    fill(b1_, h_);
    fill(w2_, h_);
    fill(b2_, h_);
  }

  [[nodiscard]] std::size_t hidden() const noexcept { return h_; }
  [[nodiscard]] std::size_t out_dim() const noexcept { return d_; }
  [[nodiscard]] bool empty() const noexcept { return h_ == 0; }

  // Parameters, row-major in nn.Linear layout.
  std::vector<float>& w1() noexcept { return w1_; }
  std::vector<float>& b1() noexcept { return b1_; }
  std::vector<float>& w2() noexcept { return w2_; }
  std::vector<float>& b2() noexcept { return b2_; }
  const std::vector<float>& w1() const noexcept { return w1_; }
  const std::vector<float>& b1() const noexcept { return b1_; }
  const std::vector<float>& w2() const noexcept { return w2_; }
  const std::vector<float>& b2() const noexcept { return b2_; }

  // in: tokens x hidden, out: tokens x out_dim. Uses internal scratch (not thread-safe per object).
  void forward(const float* in, std::size_t tokens, float* out) {
    if (empty()) throw invalid_argument_error("predsense: lfp_head::forward on a head with no weights");
    if (act_.size() < tokens * h_) act_.resize(tokens * h_);
    forward(in, tokens, out, act_.data());
  }

  // Same, with caller-provided activations (tokens x hidden): after the call it holds
  // gelu(W1 x + b1), which the training step reuses for its backward pass.
  void forward(const float* in, std::size_t tokens, float* out, float* act) const {
    using kernels::gemm_op;
    kernels::gemm(gemm_op::none, gemm_op::transpose, tokens, h_, h_, 1.0f, in, h_, w1_.data(), h_, 0.0f, act, h_);
    kernels::bias_gelu_rows(act, b1_.data(), tokens, h_);
    kernels::gemm(gemm_op::none, gemm_op::transpose, tokens, d_, h_, 1.0f, act, h_, w2_.data(), h_, 0.0f, out, d_);
    kernels::add_bias_rows(out, b2_.data(), tokens, d_);
  }

  // Frame-shaped convenience: in is T x hidden, out becomes T x out_dim.
  void forward(const frame_view& in, frame_buffer& out) {
    if (in.dim != h_)
      throw shape_error("predsense: lfp_head expects " + std::to_string(h_) + "-dim hidden states, got " +
                        detail::shape_str(in.tokens, in.dim));
    out.resize(in.tokens, d_);
    forward(in.data, in.tokens, out.data());
  }

  // FLOPs of one forward over `tokens` (2 per multiply-add of both GEMMs).
  [[nodiscard]] double flops(std::size_t tokens) const noexcept {
    return 2.0 * static_cast<double>(tokens) * static_cast<double>(h_) * static_cast<double>(h_ + d_);
  }

  // ---- io (each loader exists when its dependency does: config.hpp) --------------------------------
#ifdef PREDSENSE_HAS_NLOHMANN_JSON
  static lfp_head from_safetensors(const safetensors_reader& r, const std::string& prefix = "") {
    const std::string p = detail::join_prefix(prefix);
    lfp_head head;
    head.load(
        [&](const std::string& name, std::vector<std::size_t>& shape) {
          const auto& ti = r.info(p + name);
          shape = ti.shape;
          return r.read_floats(p + name);
        },
        r.source(), p);
    return head;
  }
  static lfp_head from_safetensors(const std::filesystem::path& path, const std::string& prefix = "") {
    return from_safetensors(safetensors_reader::open(path), prefix);
  }
#endif
#ifdef PREDSENSE_HAS_ZLIB
  static lfp_head from_npz(const npz_map& m, const std::string& prefix = "", const std::string& source = "npz") {
    const std::string p = detail::join_prefix(prefix);
    lfp_head head;
    head.load(
        [&](const std::string& name, std::vector<std::size_t>& shape) {
          auto it = m.find(p + name);
          if (it == m.end()) detail::throw_format(source, "no array named \"" + p + name + "\"");
          shape = it->second.shape;
          return it->second.data;
        },
        source, p);
    return head;
  }
  static lfp_head from_npz(const std::filesystem::path& path, const std::string& prefix = "") {
    return from_npz(read_npz(path), prefix, path.string());
  }
#endif

#ifdef PREDSENSE_HAS_NLOHMANN_JSON
  [[nodiscard]] tensor_map to_tensors(const std::string& prefix = "", tensor_dtype dtype = tensor_dtype::f32) const {
    const std::string p = detail::join_prefix(prefix);
    tensor_map m;
    m[p + "0.weight"] = tensor_data::from_floats(w1_, {h_, h_}, dtype);
    m[p + "0.bias"] = tensor_data::from_floats(b1_, {h_}, dtype);
    m[p + "2.weight"] = tensor_data::from_floats(w2_, {d_, h_}, dtype);
    m[p + "2.bias"] = tensor_data::from_floats(b2_, {d_}, dtype);
    return m;
  }
  void save_safetensors(const std::filesystem::path& path, const std::string& prefix = "",
                        tensor_dtype dtype = tensor_dtype::f32) const {
    write_safetensors(path, to_tensors(prefix, dtype), {{"format", "pt"}});
  }
#endif

 private:
  std::size_t h_ = 0, d_ = 0;
  std::vector<float> w1_, b1_, w2_, b2_;
  std::vector<float> act_;

  void resize(std::size_t h, std::size_t d) {
    if (h == 0 || d == 0)
      throw invalid_argument_error("predsense: lfp_head needs hidden > 0 and out_dim > 0, got " + std::to_string(h) +
                                   " and " + std::to_string(d));
    // Sizes come from a parameter or a file: products checked (2^32 x 2^32 wraps to 0) and each
    // weight matrix at most max_weights floats (1 GiB; hidden up to 16384), before any allocation.
    if (checked_mul(h, h, "lfp_head hidden x hidden") > max_weights ||
        checked_mul(d, h, "lfp_head out_dim x hidden") > max_weights)
      throw invalid_argument_error("predsense: lfp_head: hidden " + std::to_string(h) + ", out_dim " +
                                   std::to_string(d) + ": a weight matrix over the maximum of 2^28 values");
    h_ = h;
    d_ = d;
    w1_.assign(h * h, 0.0f);
    b1_.assign(h, 0.0f);
    w2_.assign(d * h, 0.0f);
    b2_.assign(d, 0.0f);
  }

  template <class Get>
  void load(Get get, const std::string& source, const std::string& p) {
    std::vector<std::size_t> s0w, s0b, s2w, s2b;
    auto w1 = get("0.weight", s0w);
    auto b1 = get("0.bias", s0b);
    auto w2 = get("2.weight", s2w);
    auto b2 = get("2.bias", s2b);
    auto bad = [&](const char* name, const std::vector<std::size_t>& got, const std::string& want) {
      detail::throw_format(source,
                           "tensor \"" + p + name + "\" has shape " + detail::shape_string(got) + ", expected " + want);
    };
    if (s0w.size() != 2 || s0w[0] != s0w[1] || s0w[0] == 0) bad("0.weight", s0w, "[h, h]");
    const std::size_t h = s0w[0];
    if (s0b != std::vector<std::size_t>{h}) bad("0.bias", s0b, "[" + std::to_string(h) + "]");
    if (s2w.size() != 2 || s2w[1] != h || s2w[0] == 0) bad("2.weight", s2w, "[d, " + std::to_string(h) + "]");
    const std::size_t d = s2w[0];
    if (s2b != std::vector<std::size_t>{d}) bad("2.bias", s2b, "[" + std::to_string(d) + "]");
    // a NaN/Inf weight (a corrupted or diverged checkpoint) would make every prediction NaN: refused
    // here, naming the tensor and the first bad index
    const auto finite = [&](const char* name, const std::vector<float>& v) {
      for (std::size_t i = 0; i < v.size(); ++i)
        if (!std::isfinite(v[i]))
          detail::throw_format(source, "tensor \"" + p + name + "\" has a non-finite value " + std::to_string(v[i]) +
                                           " at flat index " + std::to_string(i));
    };
    finite("0.weight", w1), finite("0.bias", b1), finite("2.weight", w2), finite("2.bias", b2);
    h_ = h;
    d_ = d;
    w1_ = std::move(w1);
    b1_ = std::move(b1);
    w2_ = std::move(w2);
    b2_ = std::move(b2);
  }

 public:
  // State (io/state_file.hpp): the sizes, then the four weight tensors (nn.Linear layout).
  static constexpr const char* state_kind = "lfp_head";
  template <class A>
  void visit_state(A& a) {
    a.param("hidden", h_);
    a.param("out_dim", d_);
    a.validated([&] {
      if (h_ != 0 || d_ != 0) *this = lfp_head(h_, d_);
    });
    a.field("w1", w1_);
    a.field("b1", b1_);
    a.field("w2", w2_);
    a.field("b2", b2_);
    a.require(h_ == 0 ? w1_.empty() && w2_.empty() : w1_.size() / h_ == h_ && w1_.size() % h_ == 0, "w1",
              "not hidden x hidden");
    a.require(b1_.size() == h_ && b2_.size() == d_, "b1", "biases not of the sizes");
    a.require(h_ == 0 || (w2_.size() / h_ == d_ && w2_.size() % h_ == 0), "w2", "not out_dim x hidden");
  }
};

}  // namespace predsense
