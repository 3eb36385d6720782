// pipeline: stream<> composition with user-written and built-in components; run_batch == sequential.
#include <doctest/doctest.h>

#include <algorithm>
#include <cstdint>
#include <vector>

#include "predsense/synthetic/synthetic_stream.hpp"
#include "predsense/memory/memory_store.hpp"
#include "predsense/pipeline/run_batch.hpp"
#include "predsense/pipeline/stream.hpp"
#include "predsense/predictors/copy_last.hpp"
#include "predsense/segmentation/streaming/threshold_segmenter.hpp"
#include "predsense/segmentation/video/transition_segmenter.hpp"
#include "predsense/surprise/mse.hpp"
#include "predsense/surprise/token_cosine_distance.hpp"

#if defined(_OPENMP)
#include <omp.h>
#endif

using namespace predsense;

namespace {
// User-written components: nothing but what the concepts ask for.
struct last_frame {
  frame_buffer last;
  void observe(frame_view f) { last.assign(f); }
  void predict(frame_buffer& out) const { out.assign(last); }
};
struct counting_memory {
  std::size_t n = 0, tok = 0;
  void push(const frame_view& f, double) { ++n, tok += f.tokens; }
  std::size_t tokens() const { return tok; }
  std::size_t size() const { return n; }
};

synthetic_stream make_stream(std::uint64_t seed, std::size_t frames = 150) {
  synthetic_stream_params c;
  c.frames = frames;
  c.tokens = 16;
  c.dim = 48;
  c.mean_scene_length = 20;
  c.seed = seed;
  return synthetic_stream(c);
}

// Packs a synthetic stream into one frames x T x D array for run_batch.
std::vector<float> pack(const synthetic_stream& s) {
  std::vector<float> out;
  for (std::size_t t = 0; t < s.size(); ++t) out.insert(out.end(), s.frame(t).span().begin(), s.frame(t).span().end());
  return out;
}
}  // namespace

TEST_CASE("stream finds the scene changes of a synthetic stream with user components") {
  const auto src = make_stream(3);
  stream<last_frame, token_cosine_distance<>, threshold_segmenter, counting_memory> s({}, {}, threshold_segmenter(0.5),
                                                                                      {});
  std::vector<std::size_t> found;
  for (std::size_t t = 0; t < src.size(); ++t) {
    const auto r = s.step(src.frame(t));
    CHECK(r.t == t);
    CHECK(r.memory.entries == t + 1);
    CHECK(r.memory.tokens == (t + 1) * 16);
    if (t == 0) CHECK(r.surprise == 1.0);  // Cambrian-S: the first frame scores 1
    if (r.boundary && t > 0) found.push_back(r.boundary->t);
  }
  CHECK(found == src.boundaries());
}

TEST_CASE("stream with the Cambrian-S memory keeps the token budget") {
  const auto src = make_stream(5, 400);
  using mem_t = memory_store<>;
  stream<last_frame, token_cosine_distance<>, threshold_segmenter, mem_t> s({}, {}, threshold_segmenter(0.5),
                                                                            mem_t(memory_params{8, 256}));
  std::size_t max_tokens = 0;
  for (std::size_t t = 0; t < src.size(); ++t) max_tokens = std::max(max_tokens, s.step(src.frame(t)).memory.tokens);
  // Long-term within budget (plus at most one frame in flight), window 8 frames of 16 tokens.
  CHECK(max_tokens <= 256 + 16 + 8 * 16);
  CHECK(s.memory().frames_seen() == 400);
}

TEST_CASE("run_batch on several threads equals running each stream alone") {
  using stream_t = stream<last_frame, mse<>, threshold_segmenter>;
  std::vector<synthetic_stream> sources;
  std::vector<std::vector<float>> packed;
  std::vector<frame_sequence> seqs;
  for (std::uint64_t i = 0; i < 6; ++i) sources.push_back(make_stream(10 + i, 60 + 7 * i));
  for (auto& s : sources) packed.push_back(pack(s));
  for (std::size_t i = 0; i < sources.size(); ++i) seqs.push_back({packed[i].data(), sources[i].size(), 16, 48});

  std::vector<stream_t> alone(6, stream_t({}, {}, threshold_segmenter(0.01)));
  std::vector<std::vector<step_result>> want(6);
  for (std::size_t i = 0; i < 6; ++i)
    for (std::size_t f = 0; f < seqs[i].frames; ++f) want[i].push_back(alone[i].step(seqs[i].frame(f)));

#if defined(_OPENMP)
  omp_set_num_threads(3);
#endif
  std::vector<stream_t> batch(6, stream_t({}, {}, threshold_segmenter(0.01)));
  const auto got = run_batch(std::span<stream_t>(batch), std::span<const frame_sequence>(seqs));
  CHECK(got == want);
  CHECK(std::any_of(got[0].begin(), got[0].end(), [](const step_result& r) { return r.boundary.has_value(); }));

  std::vector<stream_t> two(2, stream_t({}, {}, threshold_segmenter(0.01)));
  CHECK_THROWS_AS(run_batch(std::span<stream_t>(two), std::span<const frame_sequence>(seqs)), shape_error);
}

TEST_CASE("run_batch rethrows a stream's error after the others finish") {
  using stream_t = stream<last_frame, mse<>, threshold_segmenter>;
  std::vector<float> a(4 * 2 * 3, 1.0f), b(4 * 2 * 3, 1.0f);
  b[2 * 2 * 3 + 1] = std::nanf("");
  std::vector<frame_sequence> seqs{{a.data(), 4, 2, 3}, {b.data(), 4, 2, 3}};
  std::vector<stream_t> st(2, stream_t({}, {}, threshold_segmenter(0.5)));
  CHECK_THROWS_AS(run_batch(std::span<stream_t>(st), std::span<const frame_sequence>(seqs)), non_finite_error);
  CHECK(st[0].frames_seen() == 4);
}

// ---- a frame-aware segmenter in the stream: the transition detector ---------------------------

static_assert(predsense::frame_aware_segmenter<predsense::transition_segmenter>);
static_assert(!predsense::event_segmenter<predsense::transition_segmenter>);
static_assert(predsense::stream_segmenter<predsense::transition_segmenter>);

TEST_CASE("stream drives the transition detector with each frame's thumbnail: same events as the detector alone") {
  // three shots of 40 frames (noisy flat images at different levels, a dissolve between the 2nd and 3rd),
  // latents = the thumbnails themselves (one token per frame)
  constexpr std::size_t W = 16, H = 16, C = 3, M = W * H * C, N = 130;
  std::vector<std::vector<float>> thumbs;
  std::uint64_t s = 12345;
  const auto noise = [&] {
    s = s * 6364136223846793005ULL + 1442695040888963407ULL;
    return static_cast<float>((s >> 40) & 0xffff) / 65536.0f * 0.02f;
  };
  const auto shot = [&](std::size_t k, std::size_t i) {
    std::vector<float> x(M);
    for (std::size_t p = 0; p < M; ++p) {
      const float pattern = k == 0   ? 0.2f + 0.5f * static_cast<float>(p % 7) / 7.0f
                            : k == 1 ? 0.8f - 0.6f * static_cast<float>((p / (W * C)) % 5) / 5.0f
                                     : 0.1f + 0.8f * static_cast<float>((p / C) % 3) / 3.0f;
      x[p] = std::clamp(pattern + noise(), 0.0f, 1.0f);
    }
    (void)i;
    return x;
  };
  for (std::size_t t = 0; t < N; ++t) {
    if (t < 40) {
      thumbs.push_back(shot(0, t));
    } else if (t < 80) {
      thumbs.push_back(shot(1, t));
    } else if (t < 90) {  // dissolve 1 -> 2 over 10 frames
      const float a = static_cast<float>(t - 79) / 11.0f;
      auto x = shot(1, t), y = shot(2, t);
      for (std::size_t p = 0; p < M; ++p) x[p] = (1 - a) * x[p] + a * y[p];
      thumbs.push_back(x);
    } else {
      thumbs.push_back(shot(2, t));
    }
  }
  predsense::transition_detector_params tp;
  tp.width = W;
  tp.height = H;
  tp.channels = C;
  predsense::stream<predsense::copy_last, predsense::token_cosine_distance<>, predsense::transition_segmenter> st(
      predsense::copy_last{}, {}, predsense::transition_segmenter(tp));
  predsense::transition_detector alone(tp);
  std::vector<predsense::transition> expected;
  std::vector<predsense::boundary> reported;
  for (std::size_t t = 0; t < N; ++t) {
    const predsense::frame_view f(thumbs[t].data(), 1, M);
    const auto r = st.step(f, thumbs[t]);
    if (r.boundary) reported.push_back(*r.boundary);
    for (const auto& tr : alone.push(thumbs[t], r.surprise)) expected.push_back(tr);
  }
  for (const auto& b : st.segmenter().flush()) reported.push_back(b);
  for (const auto& tr : alone.flush()) expected.push_back(tr);
  CHECK(st.segmenter().transitions() == expected);
  REQUIRE(expected.size() >= 2);  // the cut at 40 and the dissolve into the third shot
  CHECK(expected.front().kind == predsense::transition_kind::cut);
  CHECK(expected.front().frame == 40);
  CHECK(reported.size() == expected.size());
  CHECK_THROWS_AS(predsense::transition_segmenter(tp).push(0.0, 3, thumbs[0]), predsense::invalid_argument_error);
}
