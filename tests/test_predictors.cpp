// Predictors: baselines, online RLS against a batch ridge solution, LFP head against a double
// reference, the training step against finite differences, and every predictor in one loop.
#include <doctest/doctest.h>

#include <cmath>
#include <filesystem>
#include <random>
#include <vector>

#include "predsense/core/concepts.hpp"
#include "predsense/io/npz.hpp"
#include "predsense/io/safetensors.hpp"
#include "predsense/predictors/copy_last.hpp"
#include "predsense/predictors/ema_predictor.hpp"
#include "predsense/kernels/gemm.hpp"
#include "predsense/predictors/lfp_head.hpp"
#include "predsense/predictors/lfp_predictor.hpp"
#include "predsense/predictors/lfp_trainer.hpp"
#include "predsense/predictors/rls_predictor.hpp"
#include "predsense/predictors/mini_transformer.hpp"
#include "predsense/predictors/transformer_predictor.hpp"
#include "predsense/surprise/token_cosine_distance.hpp"

using namespace predsense;
namespace fs = std::filesystem;

static_assert(latent_predictor<copy_last>);
static_assert(latent_predictor<ema_predictor>);
static_assert(latent_predictor<rls_predictor>);
static_assert(latent_predictor<lfp_predictor>);
static_assert(latent_predictor<transformer_predictor>);
// The full predictor contract (reset() forgets the stream), for every built-in predictor.
static_assert(resettable_predictor<copy_last>);
static_assert(resettable_predictor<ema_predictor>);
static_assert(resettable_predictor<rls_predictor>);
static_assert(resettable_predictor<lfp_predictor>);
static_assert(resettable_predictor<transformer_predictor>);

namespace {

std::vector<float> randn(std::size_t n, std::uint64_t seed, float scale = 1.0f) {
  std::mt19937_64 g(seed);
  std::normal_distribution<float> d(0.0f, scale);
  std::vector<float> v(n);
  for (auto& x : v) x = d(g);
  return v;
}

frame_buffer frame_of(const std::vector<float>& v, std::size_t t, std::size_t d) {
  return frame_buffer(frame_view(v.data(), t, d));
}

double max_rel_err(const float* a, const double* ref, std::size_t n) {
  double num = 0.0, den = 0.0;
  for (std::size_t i = 0; i < n; ++i) {
    num = std::max(num, std::abs(double(a[i]) - ref[i]));
    den = std::max(den, std::abs(ref[i]));
  }
  return num / den;
}

// Double-precision reference of the head (direct loops, std::erf).
std::vector<double> head_ref(const lfp_head& h, const std::vector<float>& x, std::size_t T) {
  const std::size_t H = h.hidden(), D = h.out_dim();
  std::vector<double> a(T * H), y(T * D);
  for (std::size_t t = 0; t < T; ++t)
    for (std::size_t j = 0; j < H; ++j) {
      double s = h.b1()[j];
      for (std::size_t k = 0; k < H; ++k) s += double(h.w1()[j * H + k]) * x[t * H + k];
      a[t * H + j] = 0.5 * s * (1.0 + std::erf(s / std::sqrt(2.0)));
    }
  for (std::size_t t = 0; t < T; ++t)
    for (std::size_t j = 0; j < D; ++j) {
      double s = h.b2()[j];
      for (std::size_t k = 0; k < H; ++k) s += double(h.w2()[j * H + k]) * a[t * H + k];
      y[t * D + j] = s;
    }
  return y;
}

}  // namespace

TEST_CASE("copy_last and ema_predictor") {
  const auto a = randn(12, 1), b = randn(12, 2);
  copy_last c;
  frame_buffer out;
  CHECK_THROWS_AS((void)c.predict(out), empty_error);
  c.observe(frame_of(a, 3, 4));
  c.observe(frame_of(b, 3, 4));
  c.predict(out);
  CHECK(std::vector<float>(out.span().begin(), out.span().end()) == b);

  CHECK_THROWS_AS((void)ema_predictor(0.0), invalid_argument_error);
  CHECK_THROWS_AS((void)ema_predictor(1.5), invalid_argument_error);
  ema_predictor e(0.25);
  e.observe(frame_of(a, 3, 4));
  e.observe(frame_of(b, 3, 4));
  e.predict(out);
  for (std::size_t i = 0; i < 12; ++i) CHECK(out.data()[i] == doctest::Approx(0.25 * b[i] + 0.75 * a[i]));
  CHECK_THROWS_AS((void)e.observe(frame_of(a, 4, 3)), shape_error);
  ema_predictor one(1.0);  // alpha = 1 is copy-last
  one.observe(frame_of(a, 3, 4));
  one.observe(frame_of(b, 3, 4));
  one.predict(out);
  CHECK(std::vector<float>(out.span().begin(), out.span().end()) == b);
}

TEST_CASE("rls_predictor equals the batch ridge solution and learns linear dynamics") {
  const std::size_t T = 5, D = 6, N = 40;
  // frames: x_{t+1}[tok] = A x_t[tok] + c + small noise, A a near-identity random matrix
  const auto Araw = randn(D * D, 7, 0.2f);
  const auto cvec = randn(D, 8, 0.1f);
  std::vector<std::vector<float>> frames;
  frames.push_back(randn(T * D, 9));
  for (std::size_t n = 1; n < N; ++n) {
    const auto noise = randn(T * D, 100 + n, 1e-3f);
    std::vector<float> f(T * D);
    for (std::size_t t = 0; t < T; ++t)
      for (std::size_t i = 0; i < D; ++i) {
        double s = cvec[i] + frames.back()[t * D + i];  // identity part
        for (std::size_t k = 0; k < D; ++k) s += Araw[i * D + k] * frames.back()[t * D + k];
        f[t * D + i] = static_cast<float>(std::tanh(s) + noise[t * D + i]);  // tanh keeps it bounded
      }
    frames.push_back(f);
  }

  SUBCASE("per_token: W equals the closed-form (weighted) ridge solution") for (const double lambda : {1.0, 0.9}) {
    CAPTURE(lambda);
    rls_params cfg;
    cfg.forgetting = lambda;
    cfg.ridge = 0.5;
    cfg.residual = true;
    rls_predictor p(cfg);
    for (const auto& f : frames) p.observe(frame_of(f, T, D));
    // batch: W = Y^T X (X^T X + ridge I)^-1 with features (x, 1), targets y - x
    const std::size_t n = D + 1;
    std::vector<double> G(n * n, 0.0), R(D * n, 0.0);
    // G = lambda^F ridge I + sum_s lambda^(F-1-s) X_s^T X_s (forgetting once per frame pair)
    for (std::size_t k = 0; k < n; ++k) G[k * n + k] = cfg.ridge * std::pow(lambda, double(N - 1));
    for (std::size_t s = 0; s + 1 < N; ++s)
      for (std::size_t t = 0; t < T; ++t) {
        const double wgt = std::pow(lambda, double(N - 2 - s));
        std::vector<double> x(n, 1.0);
        for (std::size_t i = 0; i < D; ++i) x[i] = frames[s][t * D + i];
        for (std::size_t a = 0; a < n; ++a)
          for (std::size_t b = 0; b < n; ++b) G[a * n + b] += wgt * x[a] * x[b];
        for (std::size_t i = 0; i < D; ++i) {
          const double y = double(frames[s + 1][t * D + i]) - frames[s][t * D + i];
          for (std::size_t b = 0; b < n; ++b) R[i * n + b] += wgt * y * x[b];
        }
      }
    // solve W G = R  <=>  G W^T = R^T (G symmetric), Gauss-Jordan
    std::vector<double> M(n * (n + D));
    for (std::size_t a = 0; a < n; ++a) {
      for (std::size_t b = 0; b < n; ++b) M[a * (n + D) + b] = G[a * n + b];
      for (std::size_t i = 0; i < D; ++i) M[a * (n + D) + n + i] = R[i * n + a];
    }
    for (std::size_t c = 0; c < n; ++c) {
      const double piv = M[c * (n + D) + c];
      for (std::size_t j = 0; j < n + D; ++j) M[c * (n + D) + j] /= piv;
      for (std::size_t r = 0; r < n; ++r)
        if (r != c) {
          const double f = M[r * (n + D) + c];
          for (std::size_t j = 0; j < n + D; ++j) M[r * (n + D) + j] -= f * M[c * (n + D) + j];
        }
    }
    double maxerr = 0.0;
    for (std::size_t i = 0; i < D; ++i)
      for (std::size_t b = 0; b < n; ++b)
        maxerr = std::max(maxerr, std::abs(p.weights()[i * n + b] - M[b * (n + D) + n + i]));
    CHECK(maxerr < 1e-7);
  }

  SUBCASE("learned predictions beat copy-last on linear dynamics with noise") {
    // per token: rotate (even, odd) pairs by pair-specific angles, add a constant drift, add noise
    std::vector<float> x = randn(T * D, 31);
    const auto drift = randn(D, 32, 0.05f);
    rls_predictor p(rls_params{rls_mode::per_token, 1.0, 1e-3, true, true, 1});
    copy_last c;
    double err_rls = 0.0, err_copy = 0.0;
    frame_buffer pr, pc;
    for (std::size_t n = 0; n < 60; ++n) {
      const auto f = frame_of(x, T, D);
      if (n >= 30) {
        p.predict(pr);
        c.predict(pc);
        for (std::size_t i = 0; i < T * D; ++i) {
          err_rls += std::pow(pr.data()[i] - f.data()[i], 2);
          err_copy += std::pow(pc.data()[i] - f.data()[i], 2);
        }
      }
      p.observe(f);
      c.observe(f);
      const auto noise = randn(T * D, 500 + n, 1e-3f);
      for (std::size_t t = 0; t < T; ++t)
        for (std::size_t i = 0; i + 1 < D; i += 2) {
          const float ang = 0.1f * static_cast<float>(i + 1);
          const float a = x[t * D + i], b = x[t * D + i + 1];
          x[t * D + i] = std::cos(ang) * a - std::sin(ang) * b + drift[i] + noise[t * D + i];
          x[t * D + i + 1] = std::sin(ang) * a + std::cos(ang) * b + drift[i + 1] + noise[t * D + i + 1];
        }
    }
    CHECK(err_rls < 0.01 * err_copy);
  }

  SUBCASE("pooled mode predicts the shift of the mean; starts as copy-last") {
    rls_params cfg;
    cfg.mode = rls_mode::pooled;
    rls_predictor p(cfg);
    p.observe(frame_of(frames[0], T, D));
    frame_buffer out;
    p.predict(out);  // no pair seen yet: W = 0 -> copy-last
    CHECK(std::vector<float>(out.span().begin(), out.span().end()) == frames[0]);
    // a stream that drifts by a constant vector each frame: pooled RLS learns the drift
    std::vector<float> f = frames[0];
    const auto step = randn(D, 77, 0.3f);
    rls_predictor q(rls_params{rls_mode::pooled, 1.0, 1e-6, true, true, 1});
    for (int n = 0; n < 10; ++n) {
      q.observe(frame_of(f, T, D));
      for (std::size_t t = 0; t < T; ++t)
        for (std::size_t i = 0; i < D; ++i) f[t * D + i] += step[i];
    }
    q.predict(out);
    for (std::size_t i = 0; i < T * D; ++i) CHECK(out.data()[i] == doctest::Approx(f[i]).epsilon(1e-3));
  }

  CHECK_THROWS_AS((void)rls_predictor(rls_params{rls_mode::per_token, 0.0, 1.0, true, true, 1}),
                  invalid_argument_error);
  CHECK_THROWS_AS((void)rls_predictor(rls_params{rls_mode::per_token, 1.0, 0.0, true, true, 1}),
                  invalid_argument_error);
}

TEST_CASE("gemm: backend agrees with the plain loops for every transpose combination") {
  INFO("backend " << kernels::gemm_backend_name());
  const std::size_t M = 7, N = 13, K = 19;
  const auto A = randn(M * K, 1), B = randn(K * N, 2), C0 = randn(M * N, 3);
  for (auto ta : {kernels::gemm_op::none, kernels::gemm_op::transpose})
    for (auto tb : {kernels::gemm_op::none, kernels::gemm_op::transpose}) {
      const std::size_t lda = ta == kernels::gemm_op::none ? K : M, ldb = tb == kernels::gemm_op::none ? N : K;
      auto c1 = C0, c2 = C0;
      kernels::gemm(ta, tb, M, N, K, 0.5f, A.data(), lda, B.data(), ldb, 2.0f, c1.data(), N);
      kernels::gemm_plain(ta, tb, M, N, K, 0.5f, A.data(), lda, B.data(), ldb, 2.0f, c2.data(), N);
      for (std::size_t i = 0; i < M * N; ++i) CHECK(c1[i] == doctest::Approx(c2[i]).epsilon(1e-5));
    }
}

TEST_CASE("lfp_head: forward matches a double reference; loads safetensors/npz with a prefix") {
  const std::size_t H = 40, D = 24, T = 9;
  lfp_head head(H, D);
  head.init_uniform(11);
  const auto x = randn(T * H, 12);
  std::vector<float> y(T * D);
  head.forward(x.data(), T, y.data());
  const auto ref = head_ref(head, x, T);
  CHECK(max_rel_err(y.data(), ref.data(), T * D) < 1e-5);
  CHECK(head.flops(T) == doctest::Approx(2.0 * T * H * (H + D)));

  const fs::path dir = fs::path(PREDSENSE_BINARY_DIR) / "test_tmp" / "lfp";
  fs::create_directories(dir);
  SUBCASE("safetensors F32 round trip under the Cambrian-S prefix") {
    head.save_safetensors(dir / "h.safetensors", "model.nfp_head");
    auto r = safetensors_reader::open(dir / "h.safetensors");
    CHECK(r.contains("model.nfp_head.0.weight"));
    CHECK(r.contains("model.nfp_head.2.bias"));
    auto h2 = lfp_head::from_safetensors(r, "model.nfp_head.");
    CHECK(h2.w1() == head.w1());
    CHECK(h2.b2() == head.b2());
    CHECK_THROWS_WITH_AS((void)lfp_head::from_safetensors(r, "model.other"), doctest::Contains("model.other.0.weight"),
                         format_error);
  }
  SUBCASE("BF16 weights: outputs within bf16 rounding of the f32 head") {
    head.save_safetensors(dir / "hb.safetensors", "p", tensor_dtype::bf16);
    auto hb = lfp_head::from_safetensors(dir / "hb.safetensors", "p");
    std::vector<float> yb(T * D);
    hb.forward(x.data(), T, yb.data());
    CHECK(max_rel_err(yb.data(), ref.data(), T * D) < 2e-2);
    CHECK(max_rel_err(yb.data(), ref.data(), T * D) > 1e-5);  // it really is rounded
  }
  SUBCASE("npz") {
    npz_map m;
    m["nfp.0.weight"] = npy_array{{H, H}, head.w1(), npy_dtype::f32};
    m["nfp.0.bias"] = npy_array{{H}, head.b1(), npy_dtype::f32};
    m["nfp.2.weight"] = npy_array{{D, H}, head.w2(), npy_dtype::f32};
    m["nfp.2.bias"] = npy_array{{D}, head.b2(), npy_dtype::f32};
    write_npz(dir / "h.npz", m);
    auto hn = lfp_head::from_npz(dir / "h.npz", "nfp");
    CHECK(hn.w2() == head.w2());
    m["nfp.2.bias"] = npy_array{{D + 1}, std::vector<float>(D + 1), npy_dtype::f32};
    write_npz(dir / "bad.npz", m);
    CHECK_THROWS_WITH_AS((void)lfp_head::from_npz(dir / "bad.npz", "nfp"), doctest::Contains("nfp.2.bias"),
                         format_error);
  }
}

TEST_CASE("lfp_trainer: gradients match finite differences; Adam and SGD reduce the loss") {
  const std::size_t H = 12, D = 7, T = 5;
  lfp_head head(H, D);
  head.init_uniform(3);
  const auto x = randn(T * H, 4), target = randn(T * D, 5);
  lfp_train_params cfg;
  cfg.mse_weight = 1.0;
  cfg.cos_weight = 0.7;
  lfp_trainer tr(cfg);
  const auto L0 = tr.loss_and_grad(head, x.data(), T, target.data());
  const auto gw1 = tr.grad_w1(), gb1 = tr.grad_b1(), gw2 = tr.grad_w2(), gb2 = tr.grad_b2();
  auto check = [&](std::vector<float>& p, const std::vector<float>& g) {
    for (std::size_t i = 0; i < p.size(); i += 3) {
      const float keep = p[i], eps = 1e-2f;
      p[i] = keep + eps;
      const double lp = tr.loss_and_grad(head, x.data(), T, target.data()).total;
      p[i] = keep - eps;
      const double lm = tr.loss_and_grad(head, x.data(), T, target.data()).total;
      p[i] = keep;
      CHECK(g[i] == doctest::Approx((lp - lm) / (2 * eps)).epsilon(2e-2).scale(1e-3));
    }
  };
  check(head.w1(), gw1);
  check(head.b1(), gb1);
  check(head.w2(), gw2);
  check(head.b2(), gb2);

  for (auto opt : {optimizer_kind::adam, optimizer_kind::sgd}) {
    lfp_head h2 = head;
    lfp_train_params c2 = cfg;
    c2.optimizer = opt;
    c2.lr = opt == optimizer_kind::adam ? 1e-2 : 0.2;
    c2.momentum = opt == optimizer_kind::sgd ? 0.5 : 0.0;
    lfp_trainer t2(c2);
    double first = 0.0, last = 0.0;
    for (int s = 0; s < 60; ++s) {
      const auto L = t2.step(h2, x.data(), T, target.data());
      if (s == 0) first = L.total;
      last = L.total;
    }
    CHECK(first == doctest::Approx(L0.total));
    CHECK(last < 0.5 * first);
  }
}

TEST_CASE("every predictor swaps into the same loop; learned ones beat copy-last on smooth motion") {
  // a stream whose tokens rotate steadily (a pan): x_{t+1} = R x_t per token
  const std::size_t T = 8, D = 16, N = 200;
  std::vector<float> f = randn(T * D, 21);
  std::vector<frame_buffer> frames;
  for (std::size_t n = 0; n < N; ++n) {
    frames.push_back(frame_of(f, T, D));
    for (std::size_t t = 0; t < T; ++t)
      for (std::size_t i = 0; i + 1 < D; i += 2) {  // rotate each (even, odd) pair by 0.3 rad
        const float a = f[t * D + i], b = f[t * D + i + 1];
        f[t * D + i] = std::cos(0.3f) * a - std::sin(0.3f) * b;
        f[t * D + i + 1] = std::sin(0.3f) * a + std::cos(0.3f) * b;
      }
  }
  auto mean_surprise = [&](auto&& p) {
    token_cosine_distance<> metric;
    frame_buffer guess;
    double s = 0.0;
    for (std::size_t n = 0; n < N; ++n) {
      if (n >= N / 2) {
        p.predict(guess);
        s += metric(guess, frames[n]);
      }
      p.observe(frames[n]);
    }
    return s / static_cast<double>(N - N / 2);
  };
  const double s_copy = mean_surprise(copy_last{});
  const double s_ema = mean_surprise(ema_predictor{0.5});
  const double s_rls = mean_surprise(rls_predictor{});
  const double s_pool = mean_surprise(rls_predictor{rls_params{rls_mode::pooled}});
  lfp_head head(D, D);
  head.init_uniform(5);
  lfp_predictor_params lc;
  lc.residual = true;
  lc.train.lr = 1e-2;
  lfp_predictor lfp(head, lc);
  lfp.zero_output_layer();
  const double s_lfp = mean_surprise(lfp);
  MESSAGE("surprise copy " << s_copy << " ema " << s_ema << " rls " << s_rls << " pooled " << s_pool << " lfp "
                           << s_lfp);
  CHECK(s_copy == doctest::Approx(1.0 - std::cos(0.3)).epsilon(1e-3));  // rotation angle per token
  CHECK(s_ema > s_copy);                                                // lags behind the motion
  CHECK(s_rls < 1e-3 * s_copy);                                         // a rotation is exactly linear
  CHECK(s_lfp < 0.6 * s_copy);  // an MLP learns a rotation slowly, one step per frame
}

TEST_CASE("mini_transformer: KV cache replay is deterministic; chunking a frame changes nothing") {
  mini_transformer_params c;
  c.hidden = 32;
  c.layers = 2;
  c.heads = 4;
  c.kv_heads = 2;
  c.intermediate = 48;
  c.attn_block = 5;
  mini_transformer m(c);
  m.init_random(3);
  const auto f0 = randn(6 * 32, 1), f1 = randn(6 * 32, 2);
  std::vector<float> h0(6 * 32), h1(6 * 32), again(6 * 32);
  m.step(f0.data(), 6, h0.data());
  m.step(f1.data(), 6, h1.data());
  CHECK(m.positions() == 12);
  m.truncate(6);
  m.step(f1.data(), 6, again.data());
  CHECK(again == h1);
  // the same 12 tokens fed as 4 chunks of 3 give the same hidden states (causal attention)
  mini_transformer m2(c);
  m2.init_random(3);
  std::vector<float> all(12 * 32), out(12 * 32);
  std::copy(f0.begin(), f0.end(), all.begin());
  std::copy(f1.begin(), f1.end(), all.begin() + 6 * 32);
  for (int k = 0; k < 4; ++k) m2.step(all.data() + k * 3 * 32, 3, out.data() + k * 3 * 32);
  for (std::size_t i = 0; i < 6 * 32; ++i) {
    CHECK(out[i] == doctest::Approx(h0[i]).epsilon(1e-4));
    CHECK(out[6 * 32 + i] == doctest::Approx(h1[i]).epsilon(1e-4));
  }
  CHECK_THROWS_AS(mini_transformer(mini_transformer_params{30, 1, 4, 2, 8}), invalid_argument_error);
}

TEST_CASE("transformer_predictor: backbone -> head in the predictor loop") {
  mini_transformer_params c;
  c.hidden = 32;
  c.layers = 1;
  c.heads = 4;
  c.kv_heads = 1;
  c.intermediate = 40;
  c.input_dim = 24;
  mini_transformer bb(c);
  bb.init_random(1);
  lfp_head head(32, 24);
  head.init_uniform(2);
  transformer_predictor p(bb, head);
  frame_buffer out;
  CHECK_THROWS_AS(p.predict(out), empty_error);
  const auto f = randn(5 * 24, 3);
  p.observe(frame_of(f, 5, 24));
  p.predict(out);
  CHECK(out.tokens() == 5);
  CHECK(out.dim() == 24);
  std::vector<float> expect(5 * 24);
  head.forward(p.hidden().data(), 5, expect.data());
  CHECK(std::vector<float>(out.span().begin(), out.span().end()) == expect);
  CHECK_THROWS_AS(p.observe(frame_of(randn(5 * 23, 4), 5, 23)), shape_error);
  CHECK_THROWS_AS(transformer_predictor(bb, lfp_head(16, 24)), shape_error);

  // reset(): a new stream. After a second frame the KV cache holds 10 positions; after reset the
  // first frame again gives exactly the first prediction (cache emptied), and predict before any
  // frame throws again.
  const auto g = randn(5 * 24, 5);
  p.observe(frame_of(g, 5, 24));
  REQUIRE(p.backbone().positions() == 10);
  p.reset();
  CHECK(p.backbone().positions() == 0);
  CHECK_THROWS_AS(p.predict(out), empty_error);
  p.observe(frame_of(f, 5, 24));
  frame_buffer again;
  p.predict(again);
  CHECK(std::vector<float>(again.span().begin(), again.span().end()) == expect);
}

TEST_CASE("lfp_predictor::reset starts a new stream and keeps the learned weights") {
  lfp_head head(16, 16);
  head.init_uniform(3);
  lfp_predictor p(head);
  const auto a = randn(4 * 16, 6), b = randn(4 * 16, 7);
  p.observe(frame_of(a, 4, 16));
  p.observe(frame_of(b, 4, 16));  // one training step
  const auto w = p.head().w1();
  CHECK(w != head.w1());
  p.reset();
  CHECK(!p.ready());
  frame_buffer out;
  CHECK_THROWS_AS(p.predict(out), empty_error);
  CHECK(p.head().w1() == w);
  p.observe(frame_of(a, 4, 16));  // first frame of the new stream: no training step
  CHECK(p.head().w1() == w);
}
