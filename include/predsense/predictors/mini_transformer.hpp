// predsense/predictors/mini_transformer.hpp - a minimal Qwen2-style decoder with a KV cache, the
// reference backbone that turns streamed frame tokens into the hidden states the LFP head reads.
//
// Per layer (Hugging Face Qwen2 semantics and parameter names):
//   a = RMSNorm(h);  q,k,v = a Wq^T + bq, a Wk^T + bk, a Wv^T + bv   (grouped-query: kv_heads <= heads)
//   q,k = rotary(q,k, position) (rotate_half form, theta = rope_theta)
//   h += softmax(q K^T / sqrt(hd), causal) V  Wo^T
//   m = RMSNorm(h);  h += (silu(m Wg^T) * (m Wu^T)) Wd^T
// then a final RMSNorm. step(frame tokens) appends the frame's T positions to the KV cache and
// returns their hidden states, so a stream is processed frame by frame at O(T * cached) per step.
// Optional input projection (input_dim > 0): x Win^T + bin maps vision tokens to the model width
// (predsense naming: "<prefix>in_proj.weight"/".bias"; Cambrian-S's own connector is a 2-layer MLP).
//
// Speed: every projection is one GEMM over the frame's T tokens; attention runs one GEMM per KV
// head with that head's query heads stacked (no repeat_interleave copies of K/V), with the
// causal mask and softmax fused into one pass, over blocks of the cache so the score block stays
// in cache (online softmax: running max and sum per row, as in flash attention).
#pragma once

#include <concepts>
#include <algorithm>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <random>
#include <string>
#include <vector>

#include "predsense/core/checked_size.hpp"
#include "predsense/core/error.hpp"
#include "predsense/config.hpp"
#ifdef PREDSENSE_HAS_NLOHMANN_JSON
#include "predsense/io/safetensors.hpp"  // from_safetensors
#endif
#include "predsense/kernels/activation.hpp"
#include "predsense/kernels/gemm.hpp"
#include "predsense/kernels/rms_norm.hpp"
#include "predsense/kernels/softmax.hpp"

namespace predsense {

struct mini_transformer_params {
  std::size_t hidden = 512;
  std::size_t layers = 8;
  std::size_t heads = 8;
  std::size_t kv_heads = 2;
  std::size_t intermediate = 1408;
  std::size_t input_dim = 0;  // > 0: input projection input_dim -> hidden
  double rope_theta = 10000.0;
  double rms_eps = 1e-6;
  std::size_t attn_block = 512;  // cache positions per attention block
};

namespace detail {}  // namespace detail

class mini_transformer {
 public:
  // Largest model accepted (parameters): 2^33 float32 = 32 GiB.
  static constexpr std::size_t max_parameters = std::size_t(1) << 33;

  // Parameters of a model of these sizes (the weights the constructor allocates); invalid_argument_error
  // when a product or sum does not fit in std::size_t.
  static std::size_t parameter_count(const mini_transformer_params& c) {
    const char* f = "mini_transformer sizes";
    const std::size_t H = c.hidden, hd = c.heads ? c.hidden / c.heads : 0;
    const std::size_t q = checked_mul(c.heads, hd, f), kv = checked_mul(c.kv_heads, hd, f);
    const std::size_t per_layer =
        checked_add(checked_add(checked_mul(2, H, f),
                                checked_mul(checked_add(q, checked_mul(2, kv, f), f), checked_add(H, 1, f), f), f),
                    checked_add(checked_mul(H, q, f), checked_product({3, c.intermediate, H}, f), f), f);
    return checked_add(checked_add(checked_mul(c.layers, per_layer, f), H, f),
                       checked_mul(H, checked_add(c.input_dim, 1, f), f), f);
  }

  mini_transformer() : mini_transformer(mini_transformer_params{}) {}
  template <std::same_as<mini_transformer_params> Params = mini_transformer_params>
  explicit mini_transformer(const Params& c) : c_(c) {
    if (c.hidden == 0 || c.layers == 0 || c.heads == 0 || c.kv_heads == 0 || c.intermediate == 0)
      throw invalid_argument_error("predsense: mini_transformer: sizes must be > 0");
    if (c.hidden % c.heads != 0 || c.heads % c.kv_heads != 0 || (c.hidden / c.heads) % 2 != 0)
      throw invalid_argument_error(
          "predsense: mini_transformer: hidden must split into heads of even size and "
          "heads into kv_heads (hidden " +
          std::to_string(c.hidden) + ", heads " + std::to_string(c.heads) + ", kv_heads " + std::to_string(c.kv_heads) +
          ")");
    if (c.attn_block == 0) throw invalid_argument_error("predsense: mini_transformer: attn_block must be > 0");
    if (!std::isfinite(c.rope_theta) || !(c.rope_theta > 0.0) || !std::isfinite(c.rms_eps) || !(c.rms_eps > 0.0))
      throw invalid_argument_error("predsense: mini_transformer: rope_theta and rms_eps must be finite and > 0, got " +
                                   std::to_string(c.rope_theta) + " and " + std::to_string(c.rms_eps));
    // Sizes from parameters or a config file: every product checked (hidden 2^32 wrapped the weight
    // sizes to 0) and the parameter count at most max_parameters, before anything is allocated.
    if (parameter_count(c) > max_parameters)
      throw invalid_argument_error("predsense: mini_transformer: " + std::to_string(parameter_count(c)) +
                                   " parameters, over the maximum of 2^33 (32 GiB of float32)");
    hd_ = c.hidden / c.heads;
    L_.resize(c.layers);
    for (auto& l : L_) {
      l.ln1.assign(c.hidden, 1.0f);
      l.ln2.assign(c.hidden, 1.0f);
      l.wq.assign(c.heads * hd_ * c.hidden, 0.0f);
      l.bq.assign(c.heads * hd_, 0.0f);
      l.wk.assign(c.kv_heads * hd_ * c.hidden, 0.0f);
      l.bk.assign(c.kv_heads * hd_, 0.0f);
      l.wv.assign(c.kv_heads * hd_ * c.hidden, 0.0f);
      l.bv.assign(c.kv_heads * hd_, 0.0f);
      l.wo.assign(c.hidden * c.heads * hd_, 0.0f);
      l.wg.assign(c.intermediate * c.hidden, 0.0f);
      l.wu.assign(c.intermediate * c.hidden, 0.0f);
      l.wd.assign(c.hidden * c.intermediate, 0.0f);
    }
    norm_.assign(c.hidden, 1.0f);
    if (c.input_dim) {
      win_.assign(c.hidden * c.input_dim, 0.0f);
      bin_.assign(c.hidden, 0.0f);
    }
    inv_freq_.resize(hd_ / 2);
    for (std::size_t i = 0; i < hd_ / 2; ++i) inv_freq_[i] = 1.0 / std::pow(c.rope_theta, double(2 * i) / double(hd_));
  }

  [[nodiscard]] const mini_transformer_params& params() const noexcept { return c_; }
  [[nodiscard]] std::size_t positions() const noexcept { return pos_; }
  [[nodiscard]] std::size_t input_dim() const noexcept { return c_.input_dim ? c_.input_dim : c_.hidden; }

  // nn.Linear-style init (U(+-1/sqrt(fan_in))), norms at 1.
  void init_random(std::uint64_t seed) {
    std::mt19937_64 g(seed);
    auto fill = [&](std::vector<float>& v, std::size_t fan_in) {
      const float a = 1.0f / std::sqrt(float(fan_in));
      std::uniform_real_distribution<float> u(-a, a);
      for (auto& x : v) x = u(g);
    };
    for (auto& l : L_) {
      fill(l.wq, c_.hidden);
      fill(l.bq, c_.hidden);
      fill(l.wk, c_.hidden);
      fill(l.bk, c_.hidden);
      fill(l.wv, c_.hidden);
      fill(l.bv, c_.hidden);
      fill(l.wo, c_.hidden);
      fill(l.wg, c_.hidden);
      fill(l.wu, c_.hidden);
      fill(l.wd, c_.intermediate);
    }
    if (c_.input_dim) {
      fill(win_, c_.input_dim);
      fill(bin_, c_.input_dim);
    }
  }

#ifdef PREDSENSE_HAS_NLOHMANN_JSON
  // Hugging Face Qwen2 names under `prefix` (default "model."): layers.{i}.input_layernorm.weight,
  // layers.{i}.self_attn.{q,k,v}_proj.{weight,bias}, .o_proj.weight, post_attention_layernorm,
  // mlp.{gate,up,down}_proj.weight, norm.weight; in_proj.{weight,bias} if input_dim > 0.
  static mini_transformer from_safetensors(const safetensors_reader& r, const mini_transformer_params& c,
                                           const std::string& prefix = "model.") {
    std::string p = prefix;
    if (!p.empty() && p.back() != '.') p += '.';
    {
      // every tensor the sizes call for is present with its shape before the model is allocated (a
      // config.json saying hidden_size 2^40 must not allocate terabytes first); the constructor then
      // checks the products and the maximum
      const std::size_t hd = c.heads ? c.hidden / c.heads : 0;
      const std::size_t H = c.hidden, q = c.heads * hd, kv = c.kv_heads * hd, I = c.intermediate;
      auto need = [&](const std::string& name, std::vector<std::size_t> shape) {
        if (!r.contains(p + name)) detail::throw_format(r.source(), "no tensor named \"" + p + name + "\"");
        const auto& ti = r.info(p + name);
        if (ti.shape != shape)
          detail::throw_format(r.source(), "tensor \"" + p + name + "\" has shape " + detail::shape_string(ti.shape) +
                                               ", the config needs " + detail::shape_string(shape));
      };
      for (std::size_t i = 0; i < c.layers; ++i) {
        const std::string b = "layers." + std::to_string(i) + ".";
        need(b + "input_layernorm.weight", {H});
        need(b + "self_attn.q_proj.weight", {q, H});
        need(b + "self_attn.k_proj.weight", {kv, H});
        need(b + "mlp.gate_proj.weight", {I, H});
      }
      need("norm.weight", {H});
      if (c.input_dim) need("in_proj.weight", {H, c.input_dim});
    }
    mini_transformer m(c);
    auto get = [&](const std::string& name, std::vector<float>& dst, std::vector<std::size_t> shape) {
      const auto& ti = r.info(p + name);
      if (ti.shape != shape)
        detail::throw_format(r.source(), "tensor \"" + p + name + "\" has shape " + detail::shape_string(ti.shape) +
                                             ", the config needs " + detail::shape_string(shape));
      dst = r.read_floats(p + name);
    };
    const std::size_t H = c.hidden, q = c.heads * m.hd_, kv = c.kv_heads * m.hd_, I = c.intermediate;
    for (std::size_t i = 0; i < c.layers; ++i) {
      auto& l = m.L_[i];
      const std::string b = "layers." + std::to_string(i) + ".";
      get(b + "input_layernorm.weight", l.ln1, {H});
      get(b + "post_attention_layernorm.weight", l.ln2, {H});
      get(b + "self_attn.q_proj.weight", l.wq, {q, H});
      get(b + "self_attn.q_proj.bias", l.bq, {q});
      get(b + "self_attn.k_proj.weight", l.wk, {kv, H});
      get(b + "self_attn.k_proj.bias", l.bk, {kv});
      get(b + "self_attn.v_proj.weight", l.wv, {kv, H});
      get(b + "self_attn.v_proj.bias", l.bv, {kv});
      get(b + "self_attn.o_proj.weight", l.wo, {H, q});
      get(b + "mlp.gate_proj.weight", l.wg, {I, H});
      get(b + "mlp.up_proj.weight", l.wu, {I, H});
      get(b + "mlp.down_proj.weight", l.wd, {H, I});
    }
    get("norm.weight", m.norm_, {H});
    if (c.input_dim) {
      get("in_proj.weight", m.win_, {H, c.input_dim});
      get("in_proj.bias", m.bin_, {H});
    }
    return m;
  }
#endif

  // Preallocates the KV cache for `positions` positions (it grows on demand otherwise).
  void reserve(std::size_t positions) {
    if (positions <= cap_) return;
    const std::size_t kvh = c_.kv_heads, hd = hd_;
    for (auto& l : L_) {
      std::vector<float> k(kvh * positions * hd), v(kvh * positions * hd);
      for (std::size_t g = 0; g < kvh; ++g) {
        std::copy_n(l.kc.data() + g * cap_ * hd, pos_ * hd, k.data() + g * positions * hd);
        std::copy_n(l.vc.data() + g * cap_ * hd, pos_ * hd, v.data() + g * positions * hd);
      }
      l.kc.swap(k);
      l.vc.swap(v);
    }
    cap_ = positions;
  }
  // Forgets cached positions from `positions` on (e.g. to replay a step).
  void truncate(std::size_t positions) { pos_ = std::min(pos_, positions); }
  void reset() { pos_ = 0; }

  // x: T x input_dim frame tokens; out: T x hidden final hidden states. Appends T positions.
  void step(const float* x, std::size_t T, float* out) {
    using kernels::gemm_op;
    if (T == 0) throw empty_error("predsense: mini_transformer::step with zero tokens");
    if (pos_ + T > cap_) reserve(std::max(pos_ + T, 2 * cap_));
    const std::size_t H = c_.hidden, hd = hd_, nh = c_.heads, nkv = c_.kv_heads, I = c_.intermediate;
    h_.resize(T * H);
    a_.resize(T * H);
    q_.resize(T * nh * hd);
    k_.resize(T * nkv * hd);
    v_.resize(T * nkv * hd);
    o_.resize(T * nh * hd);
    g_.resize(T * I);
    u_.resize(T * I);
    if (c_.input_dim) {
      kernels::gemm(gemm_op::none, gemm_op::transpose, T, H, c_.input_dim, 1.0f, x, c_.input_dim, win_.data(),
                    c_.input_dim, 0.0f, h_.data(), H);
      kernels::add_bias_rows(h_.data(), bin_.data(), T, H);
    } else {
      std::copy_n(x, T * H, h_.data());
    }
    rope_tables(T);
    for (auto& l : L_) {
      kernels::rms_norm_rows(h_.data(), l.ln1.data(), T, H, c_.rms_eps, a_.data());
      kernels::gemm(gemm_op::none, gemm_op::transpose, T, nh * hd, H, 1.0f, a_.data(), H, l.wq.data(), H, 0.0f,
                    q_.data(), nh * hd);
      kernels::gemm(gemm_op::none, gemm_op::transpose, T, nkv * hd, H, 1.0f, a_.data(), H, l.wk.data(), H, 0.0f,
                    k_.data(), nkv * hd);
      kernels::gemm(gemm_op::none, gemm_op::transpose, T, nkv * hd, H, 1.0f, a_.data(), H, l.wv.data(), H, 0.0f,
                    v_.data(), nkv * hd);
      kernels::add_bias_rows(q_.data(), l.bq.data(), T, nh * hd);
      kernels::add_bias_rows(k_.data(), l.bk.data(), T, nkv * hd);
      kernels::add_bias_rows(v_.data(), l.bv.data(), T, nkv * hd);
      rope(q_.data(), T, nh);
      rope(k_.data(), T, nkv);
      for (std::size_t t = 0; t < T; ++t)  // append to the cache, [kv head][position][hd]
        for (std::size_t g = 0; g < nkv; ++g) {
          std::copy_n(k_.data() + (t * nkv + g) * hd, hd, l.kc.data() + (g * cap_ + pos_ + t) * hd);
          std::copy_n(v_.data() + (t * nkv + g) * hd, hd, l.vc.data() + (g * cap_ + pos_ + t) * hd);
        }
      attention(l, T);
      kernels::gemm(gemm_op::none, gemm_op::transpose, T, H, nh * hd, 1.0f, o_.data(), nh * hd, l.wo.data(), nh * hd,
                    1.0f, h_.data(), H);  // h += o Wo^T
      kernels::rms_norm_rows(h_.data(), l.ln2.data(), T, H, c_.rms_eps, a_.data());
      kernels::gemm(gemm_op::none, gemm_op::transpose, T, I, H, 1.0f, a_.data(), H, l.wg.data(), H, 0.0f, g_.data(), I);
      kernels::gemm(gemm_op::none, gemm_op::transpose, T, I, H, 1.0f, a_.data(), H, l.wu.data(), H, 0.0f, u_.data(), I);
      kernels::silu_mul(g_.data(), u_.data(), T * I);
      kernels::gemm(gemm_op::none, gemm_op::transpose, T, H, I, 1.0f, g_.data(), I, l.wd.data(), I, 1.0f, h_.data(),
                    H);  // h += mlp
    }
    kernels::rms_norm_rows(h_.data(), norm_.data(), T, H, c_.rms_eps, out);
    pos_ += T;
  }

  // FLOPs of one step of T tokens after `cached` positions (projections, MLP, attention).
  [[nodiscard]] double step_flops(std::size_t T, std::size_t cached) const noexcept {
    const double H = double(c_.hidden), q = double(c_.heads * hd_), kv = double(c_.kv_heads * hd_);
    const double I = double(c_.intermediate), t = double(T);
    const double ctx = double(cached) + 0.5 * t;  // average visible keys under the causal mask
    const double per_layer = 2 * t * H * (q + 2 * kv) + 2 * t * q * H + 3 * 2 * t * H * I + 2 * 2 * t * ctx * q;
    return double(c_.layers) * per_layer + (c_.input_dim ? 2 * t * H * double(c_.input_dim) : 0.0);
  }

  // Parameter access (for tests/tools): layer i's tensors by HF suffix, e.g. "self_attn.q_proj.weight".
  std::vector<float>& param(std::size_t layer, const std::string& name) {
    auto& l = L_.at(layer);
    if (name == "input_layernorm.weight") return l.ln1;
    if (name == "post_attention_layernorm.weight") return l.ln2;
    if (name == "self_attn.q_proj.weight") return l.wq;
    if (name == "self_attn.q_proj.bias") return l.bq;
    if (name == "self_attn.k_proj.weight") return l.wk;
    if (name == "self_attn.k_proj.bias") return l.bk;
    if (name == "self_attn.v_proj.weight") return l.wv;
    if (name == "self_attn.v_proj.bias") return l.bv;
    if (name == "self_attn.o_proj.weight") return l.wo;
    if (name == "mlp.gate_proj.weight") return l.wg;
    if (name == "mlp.up_proj.weight") return l.wu;
    if (name == "mlp.down_proj.weight") return l.wd;
    throw invalid_argument_error("predsense: mini_transformer: no parameter \"" + name + "\"");
  }

 private:
  struct layer {
    std::vector<float> ln1, ln2, wq, bq, wk, bk, wv, bv, wo, wg, wu, wd;
    std::vector<float> kc, vc;  // [kv_heads][cap][hd]
  };
  mini_transformer_params c_;
  std::size_t hd_ = 0, pos_ = 0, cap_ = 0;
  std::vector<layer> L_;
  std::vector<float> norm_, win_, bin_;
  std::vector<double> inv_freq_;
  std::vector<float> h_, a_, q_, k_, v_, o_, g_, u_, cos_, sin_, qs_, s_, os_, m_, l_;

  void rope_tables(std::size_t T) {
    const std::size_t half = hd_ / 2;
    cos_.resize(T * half);
    sin_.resize(T * half);
    for (std::size_t t = 0; t < T; ++t)
      for (std::size_t i = 0; i < half; ++i) {
        // HF computes freqs in float32: (position * inv_freq) rounded to float, then cos/sin
        const float ang = static_cast<float>(double(pos_ + t)) * static_cast<float>(inv_freq_[i]);
        cos_[t * half + i] = static_cast<float>(std::cos(double(ang)));
        sin_[t * half + i] = static_cast<float>(std::sin(double(ang)));
      }
  }
  // rotate_half rotary embedding over `nheads` heads of each token, in place.
  void rope(float* x, std::size_t T, std::size_t nheads) const {
    const std::size_t half = hd_ / 2;
    for (std::size_t t = 0; t < T; ++t)
      for (std::size_t h = 0; h < nheads; ++h) {
        float* p = x + (t * nheads + h) * hd_;
        const float* c = cos_.data() + t * half;
        const float* s = sin_.data() + t * half;
        for (std::size_t i = 0; i < half; ++i) {
          const float x1 = p[i], x2 = p[i + half];
          p[i] = x1 * c[i] - x2 * s[i];
          p[i + half] = x2 * c[i] + x1 * s[i];
        }
      }
  }

  // o_ (T x heads*hd) = causal softmax attention of q_ over the cache (positions 0 .. pos_+T-1).
  void attention(const layer& l, std::size_t T) {
    using kernels::gemm_op;
    const std::size_t hd = hd_, nh = c_.heads, nkv = c_.kv_heads, rep = nh / nkv, R = rep * T;
    const std::size_t ctx = pos_ + T, B = c_.attn_block;
    const float scale = 1.0f / std::sqrt(float(hd));
    qs_.resize(R * hd);
    s_.resize(R * std::min(B, ctx));
    os_.resize(R * hd);
    m_.resize(R);
    l_.resize(R);
    for (std::size_t g = 0; g < nkv; ++g) {
      // stack the group's query heads: row r*T + t = head (g*rep + r) of token t
      for (std::size_t r = 0; r < rep; ++r)
        for (std::size_t t = 0; t < T; ++t)
          std::copy_n(q_.data() + (t * nh + g * rep + r) * hd, hd, qs_.data() + (r * T + t) * hd);
      std::fill(m_.begin(), m_.end(), -std::numeric_limits<float>::infinity());
      std::fill(l_.begin(), l_.end(), 0.0f);
      std::fill(os_.begin(), os_.end(), 0.0f);
      const float* K = l.kc.data() + g * cap_ * hd;
      const float* V = l.vc.data() + g * cap_ * hd;
      for (std::size_t b0 = 0; b0 < ctx; b0 += B) {
        const std::size_t nb = std::min(B, ctx - b0);
        kernels::gemm(gemm_op::none, gemm_op::transpose, R, nb, hd, scale, qs_.data(), hd, K + b0 * hd, hd, 0.0f,
                      s_.data(), nb);
        for (std::size_t row = 0; row < R; ++row) {
          const std::size_t t = row % T;
          const std::size_t visible_end = pos_ + t + 1;  // keys < visible_end are visible
          float* sr = s_.data() + row * nb;
          const std::size_t valid = visible_end <= b0 ? 0 : std::min(nb, visible_end - b0);
          const float bm = kernels::max_of(sr, valid, m_[row]);
          // rescale what was accumulated under the old max
          const float corr = m_[row] == bm ? 1.0f : std::exp(m_[row] - bm);
          const float sum = valid ? kernels::exp_shift_sum(sr, valid, bm) : 0.0f;
          std::fill(sr + valid, sr + nb, 0.0f);
          l_[row] = l_[row] * corr + sum;
          if (corr != 1.0f) {
            float* orow = os_.data() + row * hd;
            for (std::size_t i = 0; i < hd; ++i) orow[i] *= corr;
          }
          m_[row] = bm;
        }
        kernels::gemm(gemm_op::none, gemm_op::none, R, hd, nb, 1.0f, s_.data(), nb, V + b0 * hd, hd, 1.0f, os_.data(),
                      hd);
      }
      for (std::size_t r = 0; r < rep; ++r)
        for (std::size_t t = 0; t < T; ++t) {
          const float inv = 1.0f / l_[r * T + t];
          const float* src = os_.data() + (r * T + t) * hd;
          float* dst = o_.data() + (t * nh + g * rep + r) * hd;
          for (std::size_t i = 0; i < hd; ++i) dst[i] = src[i] * inv;
        }
    }
  }

 public:
  // State (io/state_file.hpp): the sizes, every weight (the backbone may have been loaded from a
  // checkpoint or initialised at random: the file is self-contained) and the KV cache with its
  // position and capacity.
  static constexpr const char* state_kind = "mini_transformer";
  template <class A>
  void visit_state(A& a) {
    a.param("hidden", c_.hidden);
    a.param("layers", c_.layers);
    a.param("heads", c_.heads);
    a.param("kv_heads", c_.kv_heads);
    a.param("intermediate", c_.intermediate);
    a.param("input_dim", c_.input_dim);
    a.param("rope_theta", c_.rope_theta);
    a.param("rms_eps", c_.rms_eps);
    a.param("attn_block", c_.attn_block);
    a.validated([&] { *this = mini_transformer(c_); });
    const std::size_t H = c_.hidden, q = c_.heads * hd_, kv = c_.kv_heads * hd_, I = c_.intermediate;
    a.field("pos", pos_);
    a.field("cap", cap_);
    a.require(pos_ <= cap_ && cap_ <= (std::size_t(1) << 40), "pos", "past the cache capacity");
    a.each("layers", L_, [&](auto& ar, layer& l) {
      ar.field("ln1", l.ln1);
      ar.field("ln2", l.ln2);
      ar.field("wq", l.wq);
      ar.field("bq", l.bq);
      ar.field("wk", l.wk);
      ar.field("bk", l.bk);
      ar.field("wv", l.wv);
      ar.field("bv", l.bv);
      ar.field("wo", l.wo);
      ar.field("wg", l.wg);
      ar.field("wu", l.wu);
      ar.field("wd", l.wd);
      ar.field("k_cache", l.kc);
      ar.field("v_cache", l.vc);
      ar.require(l.ln1.size() == H && l.ln2.size() == H && l.wq.size() == q * H && l.bq.size() == q &&
                     l.wk.size() == kv * H && l.bk.size() == kv && l.wv.size() == kv * H && l.bv.size() == kv &&
                     l.wo.size() == H * q && l.wg.size() == I * H && l.wu.size() == I * H && l.wd.size() == H * I,
                 "weights", "a layer's weights do not have the sizes of the parameters");
      ar.require(l.kc.size() == kv * cap_ && l.vc.size() == kv * cap_, "k_cache", "not kv_heads x cap x head_dim");
    });
    a.require(L_.size() == c_.layers, "layers", "not `layers` layers");
    a.field("norm", norm_);
    a.field("in_proj_w", win_);
    a.field("in_proj_b", bin_);
    a.require(norm_.size() == H && win_.size() == H * c_.input_dim && bin_.size() == (c_.input_dim ? H : 0), "norm",
              "sizes differ from the parameters");
  }
};

}  // namespace predsense
