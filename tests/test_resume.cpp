// Exact resume (io/state_file.hpp): every component kind, and stream with each, interrupted at
// frame k, saved, loaded into a fresh object and continued, equals the uninterrupted run bit for
// bit - outputs and the final state's bytes. Bad state files are refused naming file and field.
#include <doctest/doctest.h>

#include <cmath>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <functional>
#include <optional>
#include <random>
#include <string>
#include <vector>

#include "predsense/io/state_file.hpp"
#include "predsense/memory/memory_checkpoint.hpp"
#include "predsense/memory/memory_store.hpp"
#include "predsense/pipeline/normalized_metric.hpp"
#include "predsense/pipeline/stream.hpp"
#include "predsense/predictors/copy_last.hpp"
#include "predsense/predictors/ema_predictor.hpp"
#include "predsense/predictors/lfp_predictor.hpp"
#include "predsense/predictors/rls_predictor.hpp"
#include "predsense/predictors/transformer_predictor.hpp"
#include "predsense/counting/dedup_aggregator.hpp"
#include "predsense/counting/sum_aggregator.hpp"
#include "predsense/segmentation/offline/offline_segmenter.hpp"
#include "predsense/segmentation/streaming/adaptive_segmenter.hpp"
#include "predsense/segmentation/streaming/bocpd_segmenter.hpp"
#include "predsense/segmentation/streaming/peak_segmenter.hpp"
#include "predsense/segmentation/streaming/threshold_segmenter.hpp"
#include "predsense/segmentation/video/cut_segmenter.hpp"
#include "predsense/segmentation/video/transition_detector.hpp"
#include "predsense/surprise/ema_normalizer.hpp"
#include "predsense/surprise/gaussian_nll.hpp"
#include "predsense/surprise/robust_zscore_normalizer.hpp"
#include "predsense/surprise/token_cosine_distance.hpp"
#include "predsense/surprise/zscore_normalizer.hpp"

using namespace predsense;
namespace fs = std::filesystem;

namespace {

fs::path tmp_file(const std::string& name) {
  const auto dir = fs::temp_directory_path() / ("predsense_resume_" + std::to_string(::getpid()));
  fs::create_directories(dir);
  return dir / name;
}

// A surprise-like series: noise with level shifts and spikes (so segmenters fire).
std::vector<double> series(std::size_t n, unsigned seed = 7) {
  std::mt19937_64 g(seed);
  std::normal_distribution<double> noise(0.0, 0.05);
  std::vector<double> x(n);
  for (std::size_t t = 0; t < n; ++t) {
    double v = 0.2 + noise(g) + ((t / 37) % 2 ? 0.3 : 0.0);
    if (t % 23 == 11) v += 1.5;
    x[t] = v;
  }
  return x;
}

// Frames T x D drifting, with scene changes every 17 frames.
std::vector<frame_buffer> frames(std::size_t n, std::size_t T = 4, std::size_t D = 8, unsigned seed = 3) {
  std::mt19937_64 g(seed);
  std::normal_distribution<float> noise(0.0f, 0.1f);
  std::vector<frame_buffer> out;
  frame_buffer base(T, D);
  for (std::size_t i = 0; i < base.size(); ++i) base.data()[i] = noise(g) * 10.0f;
  for (std::size_t t = 0; t < n; ++t) {
    if (t % 17 == 16)
      for (std::size_t i = 0; i < base.size(); ++i) base.data()[i] = noise(g) * 10.0f;
    frame_buffer f(T, D);
    for (std::size_t i = 0; i < f.size(); ++i) {
      base.data()[i] += 0.05f * static_cast<float>(i % 5);
      f.data()[i] = base.data()[i] + noise(g);
    }
    out.push_back(std::move(f));
  }
  return out;
}

bool same_bits(double a, double b) { return std::memcmp(&a, &b, sizeof a) == 0; }

// Output of one step, compared bit for bit.
struct out_rec {
  std::vector<double> values;
  std::vector<std::size_t> ints;
  friend bool operator==(const out_rec& a, const out_rec& b) {
    if (a.ints != b.ints || a.values.size() != b.values.size()) return false;
    for (std::size_t i = 0; i < a.values.size(); ++i)
      if (!same_bits(a.values[i], b.values[i])) return false;
    return true;
  }
};

void add_boundary(out_rec& r, const std::optional<boundary>& b) {
  if (!b) return r.ints.push_back(~std::size_t(0));
  r.ints.push_back(b->t);
  r.ints.push_back(b->decided_at);
  r.values.push_back(b->score);
}

// Runs make() over inputs 0..n-1 uninterrupted, and for each k: 0..k-1, save, load into a fresh
// make(), k..n-1. Outputs and the final state's bytes must be identical.
template <class C, class Make, class Step>
void check_resume(const char* name_, Make make, Step step, std::size_t n, std::vector<std::size_t> ks,
                  bool adopt = true) {
  const std::string name = name_;
  CAPTURE(name);
  C whole = make();
  std::vector<out_rec> want;
  for (std::size_t i = 0; i < n; ++i) want.push_back(step(whole, i));
  const auto final_state = encode_state(whole);
  for (std::size_t k : ks) {
    CAPTURE(k);
    const auto path = tmp_file(name + ".state");
    {
      C first = make();
      for (std::size_t i = 0; i < k; ++i) {
        CAPTURE(i);
        REQUIRE(step(first, i) == want[i]);
      }
      save_state(first, path);
    }
    C second = make();
    load_state(second, path);
    bool same = true;
    for (std::size_t i = k; i < n; ++i) same = same && (step(second, i) == want[i]);
    CHECK(same);
    CHECK(encode_state(second) == final_state);
    // and rebuilt from the bytes alone (parameters adopted from the file), as Python unpickling does
    if constexpr (std::is_default_constructible_v<C>) {
      if (!adopt) continue;
      const auto bytes = detail::read_file_bytes(path);
      C third = state_from_bytes<C>(bytes, path.string());
      bool same3 = true;
      for (std::size_t i = k; i < n; ++i) same3 = same3 && (step(third, i) == want[i]);
      CHECK(same3);
      CHECK(encode_state(third) == final_state);
    }
  }
}

}  // namespace

const std::vector<std::size_t> ks = {0, 1, 2, 3, 5, 6, 7, 11, 12, 40, 79};

TEST_CASE("normalizers resume exactly") {
  const auto x = series(80);
  auto norm_step = [&](auto& z, std::size_t i) { return out_rec{{z(x[i])}, {}}; };
  check_resume<zscore_normalizer>(
      "zscore", [] { return zscore_normalizer(1e-3); }, norm_step, 80, ks);
  check_resume<ema_normalizer>(
      "ema_norm", [] { return ema_normalizer(0.1, 1e-9); }, norm_step, 80, ks);
  check_resume<robust_zscore_normalizer>(
      "robust_z",
      [] {
        return robust_zscore_normalizer(robust_zscore_params{9, 4, 50.0});
      },
      norm_step, 80, ks);
}

TEST_CASE("segmenters resume exactly, pending look-ahead decisions included") {
  const auto x = series(80);
  auto seg_step = [&](auto& s, std::size_t i) {
    out_rec r;
    add_boundary(r, s.push(x[i], i));
    if (i == 79)  // the end of the stream decides what is still pending
      for (const auto& b : s.flush()) add_boundary(r, b);
    return r;
  };
  auto seg_step_noflush = [&](auto& s, std::size_t i) {
    out_rec r;
    add_boundary(r, s.push(x[i], i));
    return r;
  };
  check_resume<threshold_segmenter>(
      "threshold",
      [] {
        return threshold_segmenter(threshold_segmenter_params{2.5, std::nullopt, 12, 2});
      },
      seg_step_noflush, 80, ks);
  check_resume<threshold_segmenter>(
      "threshold_abs", [] { return threshold_segmenter(0.9, 3); }, seg_step_noflush, 80, ks);
  check_resume<adaptive_segmenter>(
      "adaptive",
      [] {
        return adaptive_segmenter(adaptive_segmenter_params{9, 1.0, 3, 20, 5});
      },
      seg_step_noflush, 80, ks);
  check_resume<peak_segmenter>(
      "peak",
      [] {
        return peak_segmenter(peak_segmenter_params{0.5, 0.2, 2, 4, 6, 0.0});
      },
      seg_step, 80, ks);
  check_resume<peak_segmenter>(
      "peak_rel",
      [] {
        return peak_segmenter(peak_segmenter_params{0.0, 0.0, 1, 3, 10, 2.0});
      },
      seg_step, 80, ks);
  check_resume<bocpd_segmenter>(
      "bocpd", [] { return bocpd_segmenter(); }, seg_step, 80, ks);
  check_resume<cut_segmenter>(
      "cut",
      [] {
        cut_segmenter_params p;
        p.window = 12, p.min_history = 5, p.long_window = 30, p.gamma = 3.0, p.prominence = 2.0, p.lookahead = 3;
        return cut_segmenter(p);
      },
      seg_step, 80, ks);
}

TEST_CASE("a segmenter's fired boundaries around the interruption are the same") {
  // the test above would pass with segmenters that never fire: make sure these do
  const auto x = series(80);
  peak_segmenter p(peak_segmenter_params{0.5, 0.2, 2, 4, 6, 0.0});
  bocpd_segmenter b;
  std::size_t np = 0, nb = 0;
  for (std::size_t t = 0; t < 80; ++t) np += p.push(x[t], t).has_value(), nb += b.push(x[t], t).has_value();
  CHECK(np >= 3);
  CHECK(nb >= 1);
}

TEST_CASE("predictors resume exactly") {
  const auto f = frames(40);
  auto pred_step = [&](auto& p, std::size_t i) {
    out_rec r;
    if (i > 0) {
      frame_buffer g;
      p.predict(g);
      for (std::size_t j = 0; j < g.size(); ++j) r.values.push_back(g.data()[j]);
    }
    p.observe(f[i].view());
    return r;
  };
  const std::vector<std::size_t> pk = {0, 1, 2, 5, 20, 39};
  check_resume<copy_last>(
      "copy_last", [] { return copy_last(); }, pred_step, 40, pk);
  check_resume<ema_predictor>(
      "ema", [] { return ema_predictor(0.3); }, pred_step, 40, pk);
  check_resume<rls_predictor>(
      "rls",
      [] {
        return rls_predictor(rls_params{rls_mode::per_token, 0.95, 0.5});
      },
      pred_step, 40, pk);
  check_resume<rls_predictor>(
      "rls_pooled",
      [] {
        return rls_predictor(rls_params{rls_mode::pooled, 0.9, 1.0, false, true, 1});
      },
      pred_step, 40, pk);
  auto head = [] {
    lfp_head h(8, 8);
    std::mt19937 g(5);
    std::normal_distribution<float> n(0.0f, 0.2f);
    for (auto* v : {&h.w1(), &h.b1(), &h.w2(), &h.b2()})
      for (auto& w : *v) w = n(g);
    return h;
  };
  for (auto opt : {optimizer_kind::adam, optimizer_kind::sgd}) {
    lfp_predictor_params c;
    c.residual = true;
    c.train.optimizer = opt;
    c.train.lr = 1e-2;
    c.train.momentum = opt == optimizer_kind::sgd ? 0.9 : 0.0;
    check_resume<lfp_predictor>(
        opt == optimizer_kind::adam ? "lfp_adam" : "lfp_sgd", [&] { return lfp_predictor(head(), c); }, pred_step, 40,
        pk);
  }
  auto transformer = [&] {
    mini_transformer_params mp;
    mp.hidden = 16, mp.layers = 2, mp.heads = 4, mp.kv_heads = 2, mp.intermediate = 24, mp.input_dim = 8,
    mp.attn_block = 8;
    mini_transformer bb(mp);
    bb.init_random(11);
    lfp_head h(16, 8);
    std::mt19937 g(9);
    std::normal_distribution<float> n(0.0f, 0.2f);
    for (auto* v : {&h.w1(), &h.b1(), &h.w2(), &h.b2()})
      for (auto& w : *v) w = n(g);
    transformer_predictor_params tp;
    tp.learn = true;
    tp.train.lr = 1e-2;
    return transformer_predictor(std::move(bb), std::move(h), tp);
  };
  check_resume<transformer_predictor>("transformer", transformer, pred_step, 40, pk);
}

TEST_CASE("gaussian_nll resumes exactly") {
  const auto f = frames(30);
  auto step = [&](gaussian_nll<>& m, std::size_t i) { return out_rec{{m(f[i].view(), f[(i + 1) % 30].view())}, {}}; };
  check_resume<gaussian_nll<>>("nll", [] { return gaussian_nll<>(0.5, 1e-4); }, step, 30, {0, 1, 2, 3, 17});
}

// A stream's step as an out_rec: surprise, boundary, memory summary.
template <class S>
out_rec stream_step(S& s, const std::vector<frame_buffer>& f, std::size_t i) {
  const auto r = s.step(f[i].view());
  out_rec o{{r.surprise}, {r.t, r.memory.tokens, r.memory.entries}};
  add_boundary(o, r.boundary);
  return o;
}

// The default memory (pool_relative + peak_preserving: trailing statistics of frames no longer
// held, saved as policy state in the checkpoint) and the Cambrian-S one (pool_when_unsurprising +
// drop_merge, rebuilt by replaying the entries held).
template <class Mem>
Mem make_memory() {
  memory_params mpar;
  mpar.window = 4;
  mpar.budget = 40;
  if constexpr (std::is_same_v<Mem, memory_store<>>)
    return Mem(mpar);
  else
    return Mem(mpar, pool_when_unsurprising{0.0}, drop_merge(0.5));
}
using cambrian_memory = memory_store<pool_when_unsurprising, drop_merge>;

// Memory contents, bit for bit: frame indices, merged frames, grids, scores and every token.
void add_memory(out_rec& o, const auto& mem) {
  mem.for_each([&](const memory_item& it) {
    o.ints.push_back(it.entry.frame);
    o.ints.push_back(it.entry.tokens);
    o.ints.push_back(it.entry.merged.size());
    for (auto m : it.entry.merged) o.ints.push_back(m);
    o.values.push_back(it.entry.surprise);
    for (std::size_t j = 0; j < it.data.size(); ++j) o.values.push_back(it.data.data[j]);
  });
}

template <class P, class Seg, class Mem = memory_store<>, class MakeP, class MakeS>
void stream_case(const char* name, MakeP mp, MakeS ms) {
  const auto f = frames(60);
  using metric = normalized_metric<token_cosine_distance<>, zscore_normalizer>;
  using S = stream<P, metric, Seg, Mem>;
  auto make = [&] { return S(mp(), metric{}, ms(), make_memory<Mem>()); };
  auto step = [&](S& s, std::size_t i) {
    auto o = stream_step(s, f, i);
    add_memory(o, s.memory());  // memory contents after every step, bit for bit
    return o;
  };
  // (the memory's configuration is not adopted from a file: load_checkpoint compares it)
  check_resume<S>(name, make, step, 60, {0, 1, 2, 3, 4, 5, 6, 13, 30, 47, 59}, false);
}

TEST_CASE("memory_store<> (pool_relative + peak_preserving) resumes exactly from a checkpoint") {
  // 150 frames through a 10-entry budget: pooling, merges and evictions by scores that depend on
  // surprise of frames long evicted (trailing window 120, neighbourhood radius 5)
  const auto f = frames(150);
  const auto x = series(150);
  memory_params mpar;
  mpar.window = 4;
  mpar.budget = 40;
  auto step = [&](memory_store<>& m, std::size_t i) {
    (void)m.push(f[i].view(), x[i]);
    out_rec o;
    add_memory(o, m);
    return o;
  };
  memory_store<> whole(mpar);
  std::vector<out_rec> want;
  for (std::size_t i = 0; i < 150; ++i) want.push_back(step(whole, i));
  std::size_t pooled = 0, merged = 0;
  whole.for_each([&](const memory_item& it) {
    pooled += it.entry.compressed;
    merged += it.entry.merged.size() > 1;
  });
  CHECK(pooled > 0);  // the run exercises the relative pooling
  const auto final_bytes = encode_checkpoint(whole);
  for (std::size_t k : {1, 3, 4, 5, 9, 17, 60, 121, 130, 149}) {
    CAPTURE(k);
    const auto path = tmp_file("mem_default.safetensors");
    {
      memory_store<> first(mpar);
      for (std::size_t i = 0; i < k; ++i) (void)step(first, i);
      save_checkpoint(first, path);
    }
    memory_store<> second(mpar);
    load_checkpoint(second, path);
    bool same = true;
    for (std::size_t i = k; i < 150; ++i) same = same && step(second, i) == want[i];
    CHECK(same);
    CHECK(encode_checkpoint(second) == final_bytes);
  }
}

TEST_CASE("stream resumes exactly with each predictor and each segmenter, memory included") {
  auto peak = [] { return peak_segmenter(peak_segmenter_params{0.0, 0.5, 1, 3, 6, 0.0}); };
  stream_case<copy_last, peak_segmenter>(
      "s_copy", [] { return copy_last(); }, peak);
  stream_case<ema_predictor, adaptive_segmenter>(
      "s_ema", [] { return ema_predictor(0.4); }, [] { return adaptive_segmenter(); });
  stream_case<rls_predictor, threshold_segmenter>(
      "s_rls", [] { return rls_predictor(); }, [] { return threshold_segmenter(); });
  stream_case<copy_last, bocpd_segmenter>(
      "s_bocpd", [] { return copy_last(); }, [] { return bocpd_segmenter(); });
  stream_case<rls_predictor, cut_segmenter>(
      "s_cut", [] { return rls_predictor(rls_params{rls_mode::pooled}); }, [] { return cut_segmenter(); });
  // and with the Cambrian-S memory
  stream_case<copy_last, peak_segmenter, cambrian_memory>(
      "s_copy_cambrian", [] { return copy_last(); }, peak);
  stream_case<rls_predictor, bocpd_segmenter, cambrian_memory>(
      "s_bocpd_cambrian", [] { return rls_predictor(); }, [] { return bocpd_segmenter(); });
}

namespace {
// The message of the format_error `f` throws ("" if none).
template <class F>
std::string refusal(F&& f) {
  try {
    f();
  } catch (const format_error& e) {
    return e.what();
  }
  return "";
}
// Re-encodes a state file with one tensor replaced and the checksum recomputed (a crafted file).
std::vector<std::byte> crafted(const std::vector<std::byte>& bytes, const std::string& name, tensor_data t) {
  const auto r = safetensors_reader::from_bytes(bytes);
  auto tensors = r.read_all();
  tensors[name] = std::move(t);
  auto meta = nlohmann::json::parse(r.metadata().at("predsense.state"));
  meta["checksum"] = detail::state_hex(detail::state_hash(tensors));
  return encode_safetensors(tensors, {{"predsense.state", meta.dump()}});
}
tensor_data i64_scalar(std::int64_t v) {
  tensor_data t;
  t.dtype = tensor_dtype::i64;
  t.bytes.resize(8);
  std::memcpy(t.bytes.data(), &v, 8);
  return t;
}
}  // namespace

TEST_CASE("bad state files are refused naming the file and the field; the component is unchanged") {
  const auto x = series(40);
  adaptive_segmenter seg(adaptive_segmenter_params{9, 1.0, 3, 20, 5});
  for (std::size_t t = 0; t < 30; ++t) (void)seg.push(x[t], t);
  const auto path = tmp_file("bad.state");
  save_state(seg, path);
  const auto good = detail::read_file_bytes(path);
  const auto before = encode_state(seg);

  SUBCASE("wrong kind: a segmenter's file loaded as a predictor") {
    ema_predictor p;
    const auto m = refusal([&] { load_state(p, path); });
    CHECK(m.find("bad.state") != std::string::npos);
    CHECK(m.find("\"adaptive_segmenter\" state, not a \"ema_predictor\"") != std::string::npos);
  }
  SUBCASE("a memory checkpoint is not a state file") {
    memory_store<> mem;
    const auto ck = tmp_file("mem.safetensors");
    save_checkpoint(mem, ck);
    CHECK(refusal([&] { load_state(seg, ck); }).find("memory checkpoint") != std::string::npos);
  }
  SUBCASE("other parameters: the mismatching one is named") {
    adaptive_segmenter other(adaptive_segmenter_params{9, 2.0, 3, 20, 5});
    const auto m = refusal([&] { load_state(other, path); });
    CHECK(m.find("parameter gamma is 1.0 in the file but 2.0") != std::string::npos);
  }
  SUBCASE("corrupted: a flipped byte in the data") {
    auto b = good;
    b[b.size() - 3] ^= std::byte{0x40};
    CHECK(refusal([&] { load_state(seg, b, "flip.state"); }).find("checksum mismatch") != std::string::npos);
  }
  SUBCASE("truncated") {
    for (std::size_t n : {std::size_t(0), std::size_t(7), std::size_t(100), good.size() - 1}) {
      std::vector<std::byte> b(good.begin(), good.begin() + static_cast<std::ptrdiff_t>(n));
      CHECK(refusal([&] { load_state(seg, b, "cut.state"); }).find("cut.state") != std::string::npos);
    }
  }
  SUBCASE("crafted, checksum recomputed: an index past the ring") {
    const auto b = crafted(good, "head", i64_scalar(1000));
    CHECK(refusal([&] { load_state(seg, b, "crafted.state"); }).find("field ring") != std::string::npos);
    const auto c = crafted(good, "count", i64_scalar(-1));
    CHECK(refusal([&] { load_state(seg, c, "crafted.state"); }).find("negative") != std::string::npos);
    tensor_data f;  // a count stored as a float
    f.dtype = tensor_dtype::f64;
    f.bytes.resize(8);
    const auto d = crafted(good, "count", f);
    CHECK(refusal([&] { load_state(seg, d, "crafted.state"); }).find("tensor \"count\": expected I64") !=
          std::string::npos);
    const auto e = crafted(good, "extra", i64_scalar(1));
    CHECK(refusal([&] { load_state(seg, e, "crafted.state"); }).find("\"extra\" is not part") != std::string::npos);
  }
  SUBCASE("crafted parameters out of range are refused when adopted") {
    const auto r = safetensors_reader::from_bytes(good);
    auto meta = nlohmann::json::parse(r.metadata().at("predsense.state"));
    meta["params"]["window"] = 1;
    const auto b = encode_safetensors(r.read_all(), {{"predsense.state", meta.dump()}});
    CHECK(refusal([&] { (void)state_from_bytes<adaptive_segmenter>(b, "p.state"); }).find("out of range") !=
          std::string::npos);
  }
  CHECK(encode_state(seg) == before);  // every refusal left it as it was
}

TEST_CASE("transition_detector resumes exactly: open spans, thumbnails and baselines") {
  // 8 x 8 x 1 thumbnails: a shot, a cut at 30, a dissolve over 55..64, a fade to black at 90..95,
  // black, a slow fade-in over 100..114 (its rising ramp holds the span open)
  const std::size_t w = 8, h = 8, n = 140;
  std::mt19937_64 g(4);
  std::normal_distribution<float> noise(0.0f, 0.01f);
  auto shot = [&](unsigned k) {
    std::vector<float> s(w * h);
    for (std::size_t i = 0; i < s.size(); ++i) s[i] = 0.5f + 0.4f * std::sin(static_cast<float>(k * 7 + i * (k + 1)));
    return s;
  };
  std::vector<std::vector<float>> th(n);
  const auto a = shot(1), b = shot(2), c = shot(3);
  for (std::size_t t = 0; t < n; ++t) {
    th[t].resize(w * h);
    for (std::size_t i = 0; i < w * h; ++i) {
      float v;
      if (t < 30)
        v = a[i];
      else if (t < 55)
        v = b[i];
      else if (t < 65)
        v = b[i] + (c[i] - b[i]) * static_cast<float>(t - 54) / 10.0f;
      else if (t < 90)
        v = c[i];
      else if (t < 100)
        v = c[i] * static_cast<float>(std::max<int>(0, 95 - static_cast<int>(t))) / 5.0f;
      else if (t < 115)
        v = a[i] * static_cast<float>(t - 99) / 15.0f;
      else
        v = a[i];
      th[t][i] = v + noise(g);
    }
  }
  const auto s = series(n, 11);
  transition_detector_params p;
  p.width = w, p.height = h, p.channels = 1, p.scale = 3, p.window = 20;
  std::size_t fired = 0;
  auto step = [&](transition_detector& d, std::size_t i) {
    out_rec r;
    auto add = [&](const std::vector<transition>& v) {
      for (const auto& tr : v) {
        r.ints.insert(r.ints.end(), {tr.frame, tr.start, tr.end, static_cast<std::size_t>(tr.kind), tr.decided_at});
        r.values.push_back(tr.score);
        ++fired;
      }
    };
    add(d.push(th[i], s[i]));
    if (i == n - 1) add(d.flush());
    return r;
  };
  check_resume<transition_detector>("transition", [&] { return transition_detector(p); }, step, n,
                                    {0, 1, 2, 3, 4, 31, 33, 58, 60, 92, 103, 107, 112, 119, 139});
  CHECK(fired >= 2);  // the run reports transitions, so resuming is tested on pending decisions
}

TEST_CASE("offline_segmenter and sum_aggregator resume exactly") {
  const auto x = series(80);
  auto step = [&](offline_segmenter& s, std::size_t i) {
    out_rec r;
    add_boundary(r, s.push(x[i], i));
    if (i == 79)
      for (const auto& b : s.flush()) add_boundary(r, b);
    return r;
  };
  check_resume<offline_segmenter>("offline", [] { return offline_segmenter(); }, step, 80, {0, 1, 40, 79});
  auto sum_step = [](sum_aggregator& a, std::size_t i) {
    a.add(segment_answer{i * 10, i * 10 + 10, i % 3, {}});
    return out_rec{{}, {a.count(), a.segments()}};
  };
  check_resume<sum_aggregator>("sum", [] { return sum_aggregator(); }, sum_step, 10, {0, 1, 5, 9});
}

TEST_CASE("dedup_aggregator resumes exactly: union-find, clusters and prototypes") {
  // 0-3 noisy views per segment of 6 objects (revisits, look-alikes, empty segments)
  constexpr std::size_t n = 60, dim = 8;
  std::mt19937_64 g(5);
  std::normal_distribution<float> nd(0.0f, 1.0f);
  std::vector<float> objects(6 * dim);
  for (auto& v : objects) v = nd(g);
  std::vector<std::vector<float>> desc(n);
  for (std::size_t i = 0; i < n; ++i) {
    const std::size_t k = g() % 4;
    for (std::size_t j = 0; j < k; ++j) {
      const std::size_t o = (i * 7 + j * 3 + g() % 2) % 6;
      for (std::size_t d = 0; d < dim; ++d) desc[i].push_back(objects[o * dim + d] + 0.35f * nd(g));
    }
  }
  auto step = [&](dedup_aggregator& a, std::size_t i) {
    const std::size_t k = desc[i].size() / dim;
    a.add(segment_answer{i * 10, i * 10 + 10, k, desc[i], k ? dim : 0});
    return out_rec{{}, {a.count(), a.segments(), a.descriptors()}};
  };
  check_resume<dedup_aggregator>("dedup", [] { return dedup_aggregator(); }, step, n, {0, 1, 2, 7, 30, 59});
  dedup_params greedy;
  greedy.matching = instance_matching::greedy_assignment;
  greedy.threshold = 0.5;
  check_resume<dedup_aggregator>("dedup_greedy", [&] { return dedup_aggregator(greedy); }, step, n, {1, 13, 45});
  SUBCASE("a crafted file (a cluster root past the descriptors) is refused naming the field") {
    dedup_aggregator a;
    for (std::size_t i = 0; i < 20; ++i) (void)step(a, i);
    auto bytes = encode_state(a);
    const auto bad = crafted(bytes, "clusters.0.root", i64_scalar(1000000));
    dedup_aggregator b;
    const auto before = encode_state(b);
    const auto m = refusal([&] { load_state(b, std::span<const std::byte>(bad), "crafted.state"); });
    CHECK(m.find("crafted.state") != std::string::npos);
    CHECK(m.find("clusters") != std::string::npos);
    CHECK(encode_state(b) == before);
  }
}
