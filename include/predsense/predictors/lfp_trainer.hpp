// predsense/predictors/lfp_trainer.hpp - online training of the LFP head (test-time learning).
//
// One step on (hidden states x: T x h, next-frame latent target: T x d):
//   loss = mse_weight * mean((y - target)^2) + cos_weight * mean_t (1 - cos(y_t, target_t))
// (MSE + cosine distance, the Cambrian-S LFP objective), gradients by hand-written backprop
// (four GEMMs, each over all T tokens), then an Adam or SGD update that follows torch.optim's
// formulas step for step (Adam: bias-corrected, eps added after the sqrt; SGD: momentum,
// dampening, nesterov, weight decay), so one step matches PyTorch to float rounding.
// cos follows torch.nn.functional.cosine_similarity (1.13): w12 / sqrt(max(|y|^2 |t|^2, eps^2)).
#pragma once

#include <cmath>
#include <cstddef>
#include <string>
#include <vector>

#include "predsense/core/error.hpp"
#include "predsense/kernels/gemm.hpp"
#include "predsense/predictors/lfp_head.hpp"

namespace predsense {

enum class optimizer_kind { sgd, adam };

struct lfp_train_params {
  optimizer_kind optimizer = optimizer_kind::adam;
  double lr = 1e-4;
  double beta1 = 0.9, beta2 = 0.999, eps = 1e-8;  // Adam
  double momentum = 0.0, dampening = 0.0;         // SGD
  bool nesterov = false;                          // SGD
  double weight_decay = 0.0;                      // L2 added to the gradient (both, as torch)
  double mse_weight = 1.0;
  double cos_weight = 1.0;
  double cos_eps = 1e-8;
};

struct lfp_loss {
  double total = 0.0, mse = 0.0, cos = 0.0;  // cos is mean_t (1 - cos_t), before weighting
};

class lfp_trainer {
 public:
  lfp_trainer() = default;
  explicit lfp_trainer(const lfp_train_params& c) : c_(c) {
    if (!(c.lr >= 0.0) || !(c.beta1 >= 0.0 && c.beta1 < 1.0) || !(c.beta2 >= 0.0 && c.beta2 < 1.0) || !(c.eps >= 0.0) ||
        !(c.momentum >= 0.0) || !(c.weight_decay >= 0.0))
      throw invalid_argument_error(
          "predsense: lfp_trainer: lr, eps, momentum, weight_decay must be >= 0 "
          "and betas in [0, 1)");
    if (c.nesterov && (c.momentum <= 0.0 || c.dampening != 0.0))
      throw invalid_argument_error("predsense: lfp_trainer: nesterov needs momentum > 0 and dampening 0");
  }

  [[nodiscard]] const lfp_train_params& params() const noexcept { return c_; }
  [[nodiscard]] std::size_t steps() const noexcept { return t_; }

  // Gradients of the last step (nn.Linear layout), for inspection and the parity tests.
  [[nodiscard]] const std::vector<float>& grad_w1() const noexcept { return g_[0]; }
  [[nodiscard]] const std::vector<float>& grad_b1() const noexcept { return g_[1]; }
  [[nodiscard]] const std::vector<float>& grad_w2() const noexcept { return g_[2]; }
  [[nodiscard]] const std::vector<float>& grad_b2() const noexcept { return g_[3]; }

  // Loss (and gradients into grad_*()) without updating the head.
  lfp_loss loss_and_grad(const lfp_head& head, const float* x, std::size_t T, const float* target) {
    using kernels::gemm_op;
    if (head.empty()) throw invalid_argument_error("predsense: lfp_trainer: the head has no weights");
    if (T == 0) throw empty_error("predsense: lfp_trainer: zero tokens");
    const std::size_t h = head.hidden(), d = head.out_dim();
    z_.resize(T * h);
    a_.resize(T * h);
    y_.resize(T * d);
    dy_.resize(T * d);
    g_[0].resize(h * h);
    g_[1].resize(h);
    g_[2].resize(d * h);
    g_[3].resize(d);

    // forward, keeping the pre-activation z for gelu'
    kernels::gemm(gemm_op::none, gemm_op::transpose, T, h, h, 1.0f, x, h, head.w1().data(), h, 0.0f, z_.data(), h);
    kernels::add_bias_rows(z_.data(), head.b1().data(), T, h);
    a_ = z_;
    kernels::bias_gelu_rows(a_.data(), zeros(h), T, h);
    kernels::gemm(gemm_op::none, gemm_op::transpose, T, d, h, 1.0f, a_.data(), h, head.w2().data(), h, 0.0f, y_.data(),
                  d);
    kernels::add_bias_rows(y_.data(), head.b2().data(), T, d);

    // loss and dL/dy
    lfp_loss L;
    const double n = static_cast<double>(T * d);
    double se = 0.0, cd = 0.0;
    for (std::size_t i = 0; i < T * d; ++i) {
      const double e = static_cast<double>(y_[i]) - target[i];
      se += e * e;
      dy_[i] = static_cast<float>(c_.mse_weight * 2.0 * e / n);
    }
    for (std::size_t t = 0; t < T; ++t) {
      const float* yt = y_.data() + t * d;
      const float* gt = target + t * d;
      double w12 = 0.0, w1 = 0.0, w2 = 0.0;
      for (std::size_t k = 0; k < d; ++k) {
        w12 += double(yt[k]) * gt[k];
        w1 += double(yt[k]) * yt[k];
        w2 += double(gt[k]) * gt[k];
      }
      const double prod = w1 * w2, e2 = c_.cos_eps * c_.cos_eps;
      const double n12 = std::sqrt(prod > e2 ? prod : e2);
      const double cosv = w12 / n12;
      cd += 1.0 - cosv;
      // d(1 - cos)/dy = -(t / n12 - [clamp inactive] cos * y / |y|^2)
      const double scale = c_.cos_weight / static_cast<double>(T);
      float* dyt = dy_.data() + t * d;
      const double a = scale / n12, b = prod > e2 ? scale * cosv / w1 : 0.0;
      for (std::size_t k = 0; k < d; ++k) dyt[k] += static_cast<float>(-a * gt[k] + b * yt[k]);
    }
    L.mse = se / n;
    L.cos = cd / static_cast<double>(T);
    L.total = c_.mse_weight * L.mse + c_.cos_weight * L.cos;

    // backward
    kernels::gemm(gemm_op::transpose, gemm_op::none, d, h, T, 1.0f, dy_.data(), d, a_.data(), h, 0.0f, g_[2].data(),
                  h);                         // dW2 = dy^T a
    col_sum(dy_.data(), T, d, g_[3].data());  // db2
    da_.resize(T * h);
    kernels::gemm(gemm_op::none, gemm_op::none, T, h, d, 1.0f, dy_.data(), d, head.w2().data(), h, 0.0f, da_.data(),
                  h);  // da = dy W2
    constexpr double inv_sqrt_2pi = 0.39894228040143267794;
    for (std::size_t i = 0; i < T * h; ++i) {  // dz = da * gelu'(z)
      const double zz = z_[i];
      const double dg =
          0.5 * (1.0 + std::erf(zz * 0.70710678118654752440)) + zz * inv_sqrt_2pi * std::exp(-0.5 * zz * zz);
      da_[i] = static_cast<float>(da_[i] * dg);
    }
    kernels::gemm(gemm_op::transpose, gemm_op::none, h, h, T, 1.0f, da_.data(), h, x, h, 0.0f, g_[0].data(),
                  h);                         // dW1 = dz^T x
    col_sum(da_.data(), T, h, g_[1].data());  // db1
    return L;
  }

  // One optimisation step; returns the loss before the update.
  lfp_loss step(lfp_head& head, const float* x, std::size_t T, const float* target) {
    const lfp_loss L = loss_and_grad(head, x, T, target);
    if (state_[0].size() != head.w1().size() || state_[2].size() != head.w2().size()) {
      for (int i = 0; i < 4; ++i) {
        state_[i].assign(param(head, i).size(), 0.0f);
        state2_[i].assign(param(head, i).size(), 0.0f);
      }
      t_ = 0;
    }
    ++t_;
    for (int i = 0; i < 4; ++i) update(param(head, i), g_[i], state_[i], state2_[i]);
    return L;
  }

  // The prediction of the last loss_and_grad/step (T x d), before the update.
  [[nodiscard]] const std::vector<float>& last_prediction() const noexcept { return y_; }

  void reset() noexcept {
    t_ = 0;
    for (auto& s : state_) s.clear();
    for (auto& s : state2_) s.clear();
  }

 private:
  lfp_train_params c_;
  std::size_t t_ = 0;
  std::vector<float> z_, a_, y_, dy_, da_, zero_;
  std::vector<float> g_[4], state_[4], state2_[4];

  const float* zeros(std::size_t n) {
    if (zero_.size() < n) zero_.assign(n, 0.0f);
    return zero_.data();
  }
  static void col_sum(const float* m, std::size_t rows, std::size_t cols, float* out) {
    for (std::size_t j = 0; j < cols; ++j) out[j] = 0.0f;
    for (std::size_t r = 0; r < rows; ++r)
      for (std::size_t j = 0; j < cols; ++j) out[j] += m[r * cols + j];
  }
  static std::vector<float>& param(lfp_head& h, int i) {
    switch (i) {
      case 0:
        return h.w1();
      case 1:
        return h.b1();
      case 2:
        return h.w2();
      default:
        return h.b2();
    }
  }

  void update(std::vector<float>& p, const std::vector<float>& grad, std::vector<float>& s1,
              std::vector<float>& s2) const {
    const float wd = static_cast<float>(c_.weight_decay);
    if (c_.optimizer == optimizer_kind::adam) {
      const float b1 = static_cast<float>(c_.beta1), b2 = static_cast<float>(c_.beta2);
      const double bc1 = 1.0 - std::pow(c_.beta1, static_cast<double>(t_));
      const double bc2 = 1.0 - std::pow(c_.beta2, static_cast<double>(t_));
      const float step_size = static_cast<float>(c_.lr / bc1);
      const float bc2_sqrt = static_cast<float>(std::sqrt(bc2));
      const float eps = static_cast<float>(c_.eps);
      for (std::size_t i = 0; i < p.size(); ++i) {
        const float g = wd != 0.0f ? grad[i] + wd * p[i] : grad[i];
        s1[i] = s1[i] * b1 + (1.0f - b1) * g;
        s2[i] = s2[i] * b2 + (1.0f - b2) * g * g;
        const float denom = std::sqrt(s2[i]) / bc2_sqrt + eps;
        p[i] -= step_size * (s1[i] / denom);
      }
    } else {
      const float lr = static_cast<float>(c_.lr), mom = static_cast<float>(c_.momentum);
      const float damp = static_cast<float>(c_.dampening);
      for (std::size_t i = 0; i < p.size(); ++i) {
        float g = wd != 0.0f ? grad[i] + wd * p[i] : grad[i];
        if (mom != 0.0f) {
          s1[i] = t_ == 1 ? g : mom * s1[i] + (1.0f - damp) * g;
          g = c_.nesterov ? g + mom * s1[i] : s1[i];
        }
        p[i] -= lr * g;
      }
    }
  }

 public:
  // State (io/state_file.hpp): the optimiser's settings, the step count and the moments
  // (Adam's first and second, SGD's momentum buffer) of W1, b1, W2, b2.
  static constexpr const char* state_kind = "lfp_trainer";
  template <class A>
  void visit_state(A& a) {
    a.param("optimizer", c_.optimizer);
    a.param("lr", c_.lr);
    a.param("beta1", c_.beta1);
    a.param("beta2", c_.beta2);
    a.param("eps", c_.eps);
    a.param("momentum", c_.momentum);
    a.param("dampening", c_.dampening);
    a.param("nesterov", c_.nesterov);
    a.param("weight_decay", c_.weight_decay);
    a.param("mse_weight", c_.mse_weight);
    a.param("cos_weight", c_.cos_weight);
    a.param("cos_eps", c_.cos_eps);
    a.validated([&] {
      a.require(c_.optimizer == optimizer_kind::sgd || c_.optimizer == optimizer_kind::adam, "optimizer", "unknown");
      *this = lfp_trainer(c_);
    });
    a.field("t", t_);
    static constexpr const char* names[4] = {"w1", "b1", "w2", "b2"};
    for (int i = 0; i < 4; ++i) {
      a.field((std::string("m1.") + names[i]).c_str(), state_[i]);
      a.field((std::string("m2.") + names[i]).c_str(), state2_[i]);
    }
  }
  // The moments fit `head` (or there are none yet): checked after a load.
  [[nodiscard]] bool state_fits(const lfp_head& head) const {
    if (state_[0].empty() && state_[1].empty() && state_[2].empty() && state_[3].empty()) return true;
    for (int i = 0; i < 4; ++i) {
      const std::size_t n = i == 0   ? head.w1().size()
                            : i == 1 ? head.b1().size()
                            : i == 2 ? head.w2().size()
                                     : head.b2().size();
      if (state_[i].size() != n || state2_[i].size() != n) return false;
    }
    return true;
  }
};

}  // namespace predsense
