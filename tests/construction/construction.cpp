// construction: every built-in component and every stream<...> of built-in components is
// default-constructible, {}-constructible and takes `{}` for a component, warning-free under
// -Werror on g++ 12 and clang++ 14 (tests/CMakeLists.txt builds this file with both). Streams
// built each way run the same frames to the same results; a component held by reference is the
// caller's object.
#include <doctest/doctest.h>

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <tuple>
#include <type_traits>
#include <vector>

#include "predsense/core/frame_buffer.hpp"
#include "predsense/counting/dedup_aggregator.hpp"
#include "predsense/counting/streaming_aggregator.hpp"
#include "predsense/encoders/patch_embedder.hpp"
#include "predsense/memory/memory_store.hpp"
#include "predsense/memory/policies/drop_least_surprising.hpp"
#include "predsense/memory/policies/drop_merge.hpp"
#include "predsense/memory/policies/fifo.hpp"
#include "predsense/memory/policies/similarity_merge.hpp"
#include "predsense/memory/policies/sinks_recent.hpp"
#include "predsense/memory/policies/surprise_reservoir.hpp"
#include "predsense/memory/policies/uniform_stride.hpp"
#include "predsense/pipeline/stream.hpp"
#include "predsense/predictors/copy_last.hpp"
#include "predsense/predictors/ema_predictor.hpp"
#include "predsense/predictors/mini_transformer.hpp"
#include "predsense/predictors/rls_predictor.hpp"
#include "predsense/segmentation/offline/offline_segmenter.hpp"
#include "predsense/segmentation/streaming/adaptive_segmenter.hpp"
#include "predsense/segmentation/streaming/bocpd.hpp"
#include "predsense/segmentation/streaming/bocpd_segmenter.hpp"
#include "predsense/segmentation/streaming/peak_segmenter.hpp"
#include "predsense/segmentation/streaming/threshold_segmenter.hpp"
#include "predsense/segmentation/video/cut_segmenter.hpp"
#include "predsense/surprise/robust_zscore_normalizer.hpp"
#include "predsense/segmentation/video/transition_detector.hpp"
#include "predsense/surprise/ar_surprise.hpp"
#include "predsense/surprise/ema_normalizer.hpp"
#include "predsense/surprise/gaussian_nll.hpp"
#include "predsense/surprise/l2_distance.hpp"
#include "predsense/surprise/mse.hpp"
#include "predsense/surprise/pooled_cosine_distance.hpp"
#include "predsense/surprise/token_cosine_distance.hpp"
#include "predsense/surprise/zscore_normalizer.hpp"

using namespace predsense;

namespace {
template <class... T>
struct list {};

using predictors = list<copy_last, ema_predictor, rls_predictor>;
using metrics = list<token_cosine_distance<>, pooled_cosine_distance<>, mse<>, l2_distance<>, gaussian_nll<>,
                     token_cosine_distance<allow_non_finite>, mse<allow_non_finite>>;
using segmenters = list<adaptive_segmenter, peak_segmenter, bocpd_segmenter, cut_segmenter, offline_segmenter>;
template <class C>
using stores_with = list<memory_store<C, drop_merge>, memory_store<C, drop_least_surprising>, memory_store<C, fifo>,
                         memory_store<C, similarity_merge>, memory_store<C, sinks_recent>,
                         memory_store<C, surprise_reservoir>, memory_store<C, uniform_stride>>;
template <class... A, class... B>
constexpr list<A..., B...> cat(list<A...>, list<B...>) {
  return {};
}
using memories =
    decltype(cat(cat(list<no_memory>{}, stores_with<pool_when_unsurprising>{}), stores_with<no_compression>{}));

// Every other built-in with a default: normalizers, encoders, aggregators, raw models, stores.
using others =
    list<zscore_normalizer, robust_zscore_normalizer, threshold_segmenter, ema_normalizer, ar_surprise, bocpd,
         transition_detector, patch_embedder, mini_transformer, dedup_aggregator, streaming_aggregator, long_term_store,
         sensory_window, drop_merge, drop_least_surprising, fifo, similarity_merge, sinks_recent, surprise_reservoir,
         uniform_stride, pool_when_unsurprising, no_compression, no_memory>;

// The three spellings a user writes for "the defaults": all must compile, warning-free.
template <class X>
void construct_each_way() {
  static_assert(std::is_default_constructible_v<X>);
  [[maybe_unused]] X a;
  [[maybe_unused]] X b{};
  [[maybe_unused]] X c = {};
  [[maybe_unused]] auto take = [](X) {};
  take({});  // `{}` as an argument: copy-list-initialisation
}

// Every stream of the full product compiles each way (instantiates the class and its constructors).
template <class S>
void construct_stream() {
  construct_each_way<S>();
  [[maybe_unused]] S s({}, {}, {}, {});  // `{}` for each component
}
template <class P, class M, class S, class... Mem>
void streams_over_memories(list<Mem...>) {
  (construct_stream<stream<P, M, S, Mem>>(), ...);
}
template <class P, class M, class... S>
void streams_over_segmenters(list<S...>) {
  (streams_over_memories<P, M, S>(memories{}), ...);
}
template <class P, class... M>
void streams_over_metrics(list<M...>) {
  (streams_over_segmenters<P, M>(segmenters{}), ...);
}
template <class... P>
void streams_over_predictors(list<P...>) {
  (streams_over_metrics<P>(metrics{}), ...);
}

// Frames with a scene change at 12 (a new mean), so every surprise is positive and finite.
std::vector<frame_buffer> frames() {
  std::vector<frame_buffer> out;
  for (std::size_t n = 0; n < 24; ++n) {
    frame_buffer f(4, 8);
    for (std::size_t t = 0; t < 4; ++t)
      for (std::size_t d = 0; d < 8; ++d)
        f(t, d) = (n < 12 ? 1.0f : -1.0f) * float(d + 1) + 0.1f * std::sin(float(n * 31 + t * 7 + d));
    out.push_back(std::move(f));
  }
  return out;
}

// The defaults spelled three ways run to identical results.
template <class S>
void run_each_way() {
  S a;
  S b{};
  S c({}, {}, {}, {});
  const auto fs = frames();
  double lo = 1e300, hi = -1e300;
  for (std::size_t n = 0; n < fs.size(); ++n) {
    const step_result ra = a.step(fs[n]), rb = b.step(fs[n]), rc = c.step(fs[n]);
    CHECK(ra == rb);
    CHECK(ra == rc);
    CHECK(std::isfinite(ra.surprise));
    if (n > 0) lo = std::min(lo, ra.surprise), hi = std::max(hi, ra.surprise);
  }
  CHECK(hi > lo);  // the frames differ, so the metric saw them (not one frame over and over)
  if constexpr (!std::is_same_v<typename S::memory_type, no_memory>) CHECK(a.memory().tokens() > 0);
}
template <class P, class M, class... S>
void run_segmenters(list<S...>) {
  (run_each_way<stream<P, M, S, memory_store<>>>(), ...);
}
template <class P, class... M>
void run_metrics(list<M...>) {
  (run_segmenters<P, M>(segmenters{}), ...);
}
template <class... Mem>
void run_memories(list<Mem...>) {
  (run_each_way<stream<copy_last, token_cosine_distance<>, adaptive_segmenter, Mem>>(), ...);
}
}  // namespace

TEST_CASE("every built-in component: X x; X x{}; X x = {}; f({})") {
  []<class... X>(list<X...>) { (construct_each_way<X>(), ...); }(predictors{});
  []<class... X>(list<X...>) { (construct_each_way<X>(), ...); }(metrics{});
  []<class... X>(list<X...>) { (construct_each_way<X>(), ...); }(segmenters{});
  []<class... X>(list<X...>) { (construct_each_way<X>(), ...); }(memories{});
  []<class... X>(list<X...>) { (construct_each_way<X>(), ...); }(others{});
  CHECK(true);
}

TEST_CASE("a parameter-struct component takes ({}) as its defaults, unambiguously") {
  // X({}) was ambiguous (X(params) against X's copy and move constructors); now it is X().
  const auto fs = frames();
  stream<copy_last, mse<>, adaptive_segmenter> a({}, {}, adaptive_segmenter({})),
      b({}, {}, adaptive_segmenter(adaptive_segmenter_params{}));
  stream<copy_last, mse<>, peak_segmenter> c({}, {}, peak_segmenter({})),
      d({}, {}, peak_segmenter(peak_segmenter_params{}));
  for (const auto& f : fs) {
    CHECK(a.step(f) == b.step(f));
    CHECK(c.step(f) == d.step(f));
  }
  [[maybe_unused]] rls_predictor r({});
  [[maybe_unused]] bocpd_segmenter bs({});
  [[maybe_unused]] cut_segmenter cs({});
  [[maybe_unused]] offline_segmenter os({});
  [[maybe_unused]] memory_store<> m({});
  [[maybe_unused]] memory_store<> m2({.window = 4, .budget = 64});
  CHECK(m2.params().window == 4);
  // a designated parameter set still selects the parameter constructor
  CHECK_THROWS_AS(adaptive_segmenter({.window = 1}), invalid_argument_error);
  CHECK_THROWS_AS(rls_predictor({.forgetting = 2.0}), invalid_argument_error);
}

TEST_CASE("every stream of built-in components is default-constructible three ways") {
  streams_over_predictors(predictors{});
  run_metrics<copy_last>(metrics{});
  run_metrics<rls_predictor>(list<token_cosine_distance<>, mse<>>{});
  run_memories(memories{});
}

TEST_CASE("a component held by reference is the caller's object") {
  memory_store<> mem({.window = 4, .budget = 64});
  rls_predictor pred;
  stream<rls_predictor&, token_cosine_distance<>, adaptive_segmenter, memory_store<>&> s(pred, {}, {}, mem);
  stream<rls_predictor, token_cosine_distance<>, adaptive_segmenter, memory_store<>> by_value(
      {}, {}, {}, memory_store<>({.window = 4, .budget = 64}));
  static_assert(!std::is_default_constructible_v<decltype(s)>);
  const auto fs = frames();
  for (const auto& f : fs) CHECK(s.step(f) == by_value.step(f));
  CHECK(&s.memory() == &mem);
  CHECK(&s.predictor() == &pred);
  CHECK(mem.frames_seen() == fs.size());
  CHECK(mem.tokens() == by_value.memory().tokens());
  frame_buffer p1, p2;
  pred.predict(p1);
  by_value.predictor().predict(p2);
  REQUIRE(p1.size() == p2.size());
  for (std::size_t i = 0; i < p1.size(); ++i) CHECK(p1.data()[i] == p2.data()[i]);
}
