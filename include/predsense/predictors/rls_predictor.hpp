// predsense/predictors/rls_predictor.hpp - an online ridge (recursive least squares) predictor
// that learns the stream's own dynamics: x_{t+1} ~ W x_t + b.
//
// Each observed pair (frame t, frame t+1) updates W by exact recursive least squares: the inverse
// Gram matrix P = (lambda-weighted X^T X + ridge I)^-1 is kept up to date with Sherman-Morrison
// rank-1 updates, so after every sample W is the exact (exponentially weighted) ridge solution,
// at O(n^2) per sample instead of an O(n^3) re-solve.
//   k = P x / (lambda + x^T P x);  W += (y - W x) k^T;  P = (P - k (P x)^T) / lambda
// forgetting (lambda in (0, 1]) discounts old frames so W tracks a changing scene; it is applied
// once per frame (not per token). residual = true (default) learns y - x instead of y: the ridge
// prior W = 0 is then copy-last, so the predictor starts as the baseline and only departs from it
// as the evidence accumulates.
//
// Modes:
//   per_token - one W shared by all tokens: every token of frame t is a sample (x = token of
//               frame t, y = same token of frame t+1); the frame's T samples enter as one block
//               (Woodbury) update, equal to T rank-1 steps but run as GEMMs (token_stride > 1
//               uses every k-th token). Prediction applies W to each token.
//   pooled    - x, y are the frames' token means (one sample per frame); the prediction is the last
//               frame shifted by the predicted change of the mean. Cheap, captures global motion.
// P and W are kept in double: RLS in float loses P's symmetry/definiteness over long streams.
#pragma once

#include <concepts>
#include <cmath>
#include <cstddef>
#include <string>
#include <vector>

#include "predsense/core/error.hpp"
#include "predsense/core/frame_buffer.hpp"
#include "predsense/core/frame_view.hpp"
#include "predsense/kernels/gemm.hpp"
#include "predsense/kernels/token_sum.hpp"

namespace predsense {

enum class rls_mode { per_token, pooled };

struct rls_params {
  rls_mode mode = rls_mode::per_token;
  double forgetting = 0.98;      // lambda per frame, in (0, 1]
  double ridge = 1.0;            // P0 = I / ridge
  bool residual = true;          // learn the change (prior: copy-last)
  bool bias = true;              // affine (x, 1) features
  std::size_t token_stride = 1;  // per_token: learn from tokens 0, k, 2k, ...
};

class rls_predictor {
 public:
  rls_predictor() : rls_predictor(rls_params{}) {}
  template <std::same_as<rls_params> Params = rls_params>
  explicit rls_predictor(const Params& c) : c_(c) {
    if (!(c.forgetting > 0.0 && c.forgetting <= 1.0))
      throw invalid_argument_error("predsense: rls_predictor forgetting must be in (0, 1], got " +
                                   std::to_string(c.forgetting));
    if (!(c.ridge > 0.0) || !std::isfinite(c.ridge))
      throw invalid_argument_error("predsense: rls_predictor ridge must be > 0, got " + std::to_string(c.ridge));
    if (c.token_stride == 0) throw invalid_argument_error("predsense: rls_predictor token_stride must be >= 1");
  }

  void observe(const frame_view& f) {
    detail::require_non_empty(f, "observed frame");
    if (last_.empty()) {
      init(f.dim);
      last_.assign(f);
      return;
    }
    detail::require_same_shape(last_.view(), "rls_predictor's last frame", f, "observed frame");
    if (c_.mode == rls_mode::pooled) {
      token_mean(last_.view(), x_.data());
      token_mean(f, y_.data());
      if (c_.residual)
        for (std::size_t i = 0; i < d_; ++i) y_[i] -= x_[i];
      update(x_.data(), y_.data(), c_.forgetting);
    } else {
      // all (strided) tokens of the frame in one block update: exactly the sequence of rank-1
      // Sherman-Morrison steps with lambda applied once, at BLAS speed (see block_update)
      const std::size_t k = (f.tokens + c_.token_stride - 1) / c_.token_stride;
      bx_.assign(k * n_, 1.0);  // bias column stays 1
      by_.resize(k * d_);
      for (std::size_t j = 0; j < k; ++j) {
        const float* xt = last_.row(j * c_.token_stride);
        const float* yt = f.row(j * c_.token_stride);
        for (std::size_t i = 0; i < d_; ++i) {
          bx_[j * n_ + i] = xt[i];
          by_[j * d_ + i] = c_.residual ? double(yt[i]) - double(xt[i]) : double(yt[i]);
        }
      }
      block_update(k, c_.forgetting);
    }
    last_.assign(f);
    ++samples_;
  }

  void predict(frame_buffer& out) {
    if (last_.empty()) throw empty_error("predsense: rls_predictor::predict before any frame was observed");
    const std::size_t T = last_.tokens();
    out.resize(T, d_);
    if (c_.mode == rls_mode::pooled) {
      token_mean(last_.view(), x_.data());
      apply(x_.data(), y_.data());
      for (std::size_t i = 0; i < d_; ++i) y_[i] = c_.residual ? y_[i] : y_[i] - x_[i];  // change of the mean
      for (std::size_t t = 0; t < T; ++t)
        for (std::size_t i = 0; i < d_; ++i) out(t, i) = static_cast<float>(last_(t, i) + y_[i]);
      return;
    }
    // all tokens at once: Y = [X 1] W^T as one GEMM
    bx_.assign(T * n_, 1.0);
    for (std::size_t t = 0; t < T; ++t)
      for (std::size_t i = 0; i < d_; ++i) bx_[t * n_ + i] = last_(t, i);
    be_.resize(T * d_);
    kernels::dgemm(kernels::gemm_op::none, kernels::gemm_op::transpose, T, d_, n_, 1.0, bx_.data(), n_, w_.data(), n_,
                   0.0, be_.data(), d_);
    for (std::size_t t = 0; t < T; ++t) {
      const float* xt = last_.row(t);
      float* o = out.row(t);
      const double* y = be_.data() + t * d_;
      for (std::size_t i = 0; i < d_; ++i) o[i] = static_cast<float>(c_.residual ? xt[i] + y[i] : y[i]);
    }
  }

  [[nodiscard]] bool ready() const noexcept { return !last_.empty(); }
  [[nodiscard]] std::size_t frames_learned() const noexcept { return samples_; }
  [[nodiscard]] const rls_params& params() const noexcept { return c_; }
  // W (dim x n, n = dim + bias), row-major.
  [[nodiscard]] const std::vector<double>& weights() const noexcept { return w_; }
  void reset() {
    last_ = frame_buffer();
    samples_ = 0;
    d_ = n_ = 0;
  }

 private:
  rls_params c_;
  std::size_t d_ = 0, n_ = 0, samples_ = 0;
  frame_buffer last_;
  std::vector<double> p_, w_, x_, y_, px_, xa_;
  std::vector<double> bx_, by_, bpx_, bs_, bz_, be_;

  void init(std::size_t dim) {
    d_ = dim;
    n_ = dim + (c_.bias ? 1 : 0);
    p_.assign(n_ * n_, 0.0);
    for (std::size_t i = 0; i < n_; ++i) p_[i * n_ + i] = 1.0 / c_.ridge;
    w_.assign(d_ * n_, 0.0);
    x_.assign(d_, 0.0);
    y_.assign(d_, 0.0);
    px_.assign(n_, 0.0);
    xa_.assign(n_, 1.0);
  }

  static void token_mean(const frame_view& f, double* out) { kernels::token_mean(f.data, f.tokens, f.dim, out); }

  // y = W (x, 1)
  void apply(const double* x, double* y) const {
    for (std::size_t r = 0; r < d_; ++r) {
      const double* w = w_.data() + r * n_;
      double s = c_.bias ? w[d_] : 0.0;
      for (std::size_t i = 0; i < d_; ++i) s += w[i] * x[i];
      y[r] = s;
    }
  }

  // One Sherman-Morrison step with sample (x, y) and forgetting lambda.
  void update(const double* x, const double* y, double lambda) {
    for (std::size_t i = 0; i < d_; ++i) xa_[i] = x[i];  // xa_[d_] stays 1 (bias feature)
    double denom = lambda;
    for (std::size_t r = 0; r < n_; ++r) {
      const double* pr = p_.data() + r * n_;
      double s = 0.0;
      for (std::size_t i = 0; i < n_; ++i) s += pr[i] * xa_[i];
      px_[r] = s;
      denom += xa_[r] * s;
    }
    const double inv = 1.0 / denom;
    // W += e k^T with e = y - W x, k = P x / denom
    for (std::size_t r = 0; r < d_; ++r) {
      double* w = w_.data() + r * n_;
      double wx = 0.0;
      for (std::size_t i = 0; i < n_; ++i) wx += w[i] * xa_[i];
      const double e = (y[r] - wx) * inv;
      for (std::size_t i = 0; i < n_; ++i) w[i] += e * px_[i];
    }
    // P = (P - Px Px^T / denom) / lambda, kept exactly symmetric
    const double il = 1.0 / lambda;
    for (std::size_t r = 0; r < n_; ++r) {
      double* pr = p_.data() + r * n_;
      const double a = px_[r] * inv;
      for (std::size_t i = 0; i < n_; ++i) pr[i] = (pr[i] - a * px_[i]) * il;
    }
  }

  // Block (Woodbury) form of k rank-1 steps, lambda applied once: with X (k x n) and Y (k x d) in
  // bx_/by_:  S = lambda I + X P X^T,  Z = S^-1 (P X^T)^T,  W += (Y - X W^T)^T Z,
  // P = (P - (P X^T) Z) / lambda.  Equal to the sequential updates (both give
  // P^-1 <- lambda P^-1 + X^T X and the matching least-squares W) at O(n^2 k) in GEMMs.
  void block_update(std::size_t k, double lambda) {
    using kernels::gemm_op;
    bpx_.resize(n_ * k);
    bs_.resize(k * k);
    bz_.resize(k * n_);
    be_.resize(k * d_);
    kernels::dgemm(gemm_op::none, gemm_op::transpose, n_, k, n_, 1.0, p_.data(), n_, bx_.data(), n_, 0.0, bpx_.data(),
                   k);  // PX = P X^T (n x k)
    kernels::dgemm(gemm_op::none, gemm_op::none, k, k, n_, 1.0, bx_.data(), n_, bpx_.data(), k, 0.0, bs_.data(),
                   k);  // S = X PX
    for (std::size_t i = 0; i < k; ++i) bs_[i * k + i] += lambda;
    // Cholesky S = L L^T (S is SPD: its eigenvalues are >= lambda > 0), in place (lower)
    for (std::size_t j = 0; j < k; ++j) {
      double dsum = bs_[j * k + j];
      for (std::size_t q = 0; q < j; ++q) dsum -= bs_[j * k + q] * bs_[j * k + q];
      const double ljj = std::sqrt(dsum > 0.0 ? dsum : 1e-300);
      bs_[j * k + j] = ljj;
      for (std::size_t i = j + 1; i < k; ++i) {
        double v = bs_[i * k + j];
        for (std::size_t q = 0; q < j; ++q) v -= bs_[i * k + q] * bs_[j * k + q];
        bs_[i * k + j] = v / ljj;
      }
    }
    // Z = S^-1 PX^T: forward then backward substitution, column block at a time (rows of Z)
    for (std::size_t i = 0; i < k; ++i)
      for (std::size_t c = 0; c < n_; ++c) bz_[i * n_ + c] = bpx_[c * k + i];
    for (std::size_t i = 0; i < k; ++i) {  // L y = b
      double* zi = bz_.data() + i * n_;
      for (std::size_t q = 0; q < i; ++q) {
        const double l = bs_[i * k + q];
        const double* zq = bz_.data() + q * n_;
        for (std::size_t c = 0; c < n_; ++c) zi[c] -= l * zq[c];
      }
      const double inv = 1.0 / bs_[i * k + i];
      for (std::size_t c = 0; c < n_; ++c) zi[c] *= inv;
    }
    for (std::size_t i = k; i-- > 0;) {  // L^T z = y
      double* zi = bz_.data() + i * n_;
      for (std::size_t q = i + 1; q < k; ++q) {
        const double l = bs_[q * k + i];
        const double* zq = bz_.data() + q * n_;
        for (std::size_t c = 0; c < n_; ++c) zi[c] -= l * zq[c];
      }
      const double inv = 1.0 / bs_[i * k + i];
      for (std::size_t c = 0; c < n_; ++c) zi[c] *= inv;
    }
    // E = Y - X W^T (k x d);  W += E^T Z
    be_ = by_;
    kernels::dgemm(gemm_op::none, gemm_op::transpose, k, d_, n_, -1.0, bx_.data(), n_, w_.data(), n_, 1.0, be_.data(),
                   d_);
    kernels::dgemm(gemm_op::transpose, gemm_op::none, d_, n_, k, 1.0, be_.data(), d_, bz_.data(), n_, 1.0, w_.data(),
                   n_);
    // P = (P - PX Z) / lambda, then symmetrised against rounding drift
    kernels::dgemm(gemm_op::none, gemm_op::none, n_, n_, k, -1.0 / lambda, bpx_.data(), k, bz_.data(), n_, 1.0 / lambda,
                   p_.data(), n_);
    for (std::size_t r = 0; r < n_; ++r)
      for (std::size_t c = r + 1; c < n_; ++c) {
        const double v = 0.5 * (p_[r * n_ + c] + p_[c * n_ + r]);
        p_[r * n_ + c] = v;
        p_[c * n_ + r] = v;
      }
  }

 public:
  // State (io/state_file.hpp: save_state / load_state): the parameters, then P, W, the last
  // frame and the sample count; the work buffers are re-sized from the last frame's dim.
  static constexpr const char* state_kind = "rls_predictor";
  template <class A>
  void visit_state(A& a) {
    a.param("mode", c_.mode);
    a.param("forgetting", c_.forgetting);
    a.param("ridge", c_.ridge);
    a.param("residual", c_.residual);
    a.param("bias", c_.bias);
    a.param("token_stride", c_.token_stride);
    a.validated([&] {
      a.require(c_.mode == rls_mode::per_token || c_.mode == rls_mode::pooled, "mode", "unknown mode");
      *this = rls_predictor(c_);
    });
    a.field("last", last_);
    a.field("samples", samples_);
    a.field("P", p_);
    a.field("W", w_);
    if constexpr (A::loading) {
      const std::size_t d = last_.dim(), n = d + (c_.bias ? 1 : 0);
      a.require(last_.empty() || (p_.size() / n == n && p_.size() % n == 0), "P", "is not n x n for n = dim + bias");
      a.require(last_.empty() || (w_.size() / n == d && w_.size() % n == 0), "W", "is not dim x n");
      a.require(!last_.empty() || samples_ == 0, "samples", "non-zero without a last frame");
      if (last_.empty()) {
        d_ = n_ = 0;
      } else {
        d_ = d;
        n_ = n;
        x_.assign(d_, 0.0);
        y_.assign(d_, 0.0);
        px_.assign(n_, 0.0);
        xa_.assign(n_, 1.0);
      }
    }
  }
};

}  // namespace predsense
