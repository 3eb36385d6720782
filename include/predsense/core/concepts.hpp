// predsense/core/concepts.hpp - what plugs into a predsense pipeline.
//
// A pipeline is stream<Predictor, Metric, Segmenter, Memory>; swapping a component is swapping a
// template argument. These concepts state the minimum each component must offer; user-written
// types that satisfy them plug in like the built-in ones.
#pragma once

#include <concepts>
#include <cstddef>
#include <optional>
#include <span>
#include <vector>

#include "predsense/core/boundary.hpp"
#include "predsense/core/frame_buffer.hpp"
#include "predsense/core/frame_view.hpp"

namespace predsense {

// Sees each frame as it arrives (online predictors learn here) and guesses the next one.
template <class P>
concept latent_predictor = requires(P p, frame_view f, frame_buffer& out) {
  p.observe(f);
  p.predict(out);
};

// A predictor whose guess is state it already holds (copy_last: the last frame; ema_predictor: the
// average) also gives it as a view, valid until its next observe() or reset(): a stream scores that
// view and copies no frame for the guess. prediction() throws what predict() throws.
template <class P>
concept viewing_predictor = latent_predictor<P> && requires(const P p) {
  { p.prediction() } -> std::same_as<frame_view>;
};

// A distance between a predicted and an actual frame: larger means more surprising.
template <class M>
concept surprise_metric = requires(M m, frame_view pred, frame_view actual) {
  { m(pred, actual) } -> std::convertible_to<double>;
};

// Consumes one surprise value per time step and reports a boundary, possibly a bounded number of
// steps after the frame it marks (boundary::decided_at - boundary::t is that delay).
template <class S>
concept event_segmenter = requires(S s, double surprise, std::size_t t) {
  { s.push(surprise, t) } -> std::same_as<std::optional<boundary>>;
};

// A segmenter that also looks at the pixels: each step it gets the surprise and a thumbnail of the
// frame (height x width x channels floats in [0, 1], row-major, the layout it was built for) and
// reports a boundary as an event_segmenter does. stream<> drives one with step(frame, thumb); the
// transition detector is one (segmentation/video/transition_segmenter.hpp), verifying each burst of
// surprise on the frames before and after it.
template <class S>
concept frame_aware_segmenter = requires(S s, double surprise, std::size_t t, std::span<const float> thumb) {
  { s.push(surprise, t, thumb) } -> std::same_as<std::optional<boundary>>;
};

// Either kind of segmenter: what stream<>'s Segmenter slot takes.
template <class S>
concept stream_segmenter = event_segmenter<S> || frame_aware_segmenter<S>;

// Keeps frames with their surprise under some budget (memory/memory_store.hpp and user types).
template <class M>
concept frame_memory = requires(M m, const M& cm, frame_view f, double surprise) {
  m.push(f, surprise);
  { cm.tokens() } -> std::convertible_to<std::size_t>;
};

// The full predictor contract of the built-in predictors: a latent_predictor that can forget its
// stream (reset(): learned state and history cleared, parameters and loaded weights kept).
template <class P>
concept resettable_predictor = latent_predictor<P> && requires(P p) {
  p.reset();
};

// The full segmenter contract every built-in surprise segmenter meets (tests/test_segmentation.cpp
// checks each): push one value at a time; flush() decides what is still pending at the end of the
// stream (segmenters without look-ahead return nothing); reset() forgets the stream, keeping the
// parameters; segment(series) is the offline form, equal to push(s[t], t) for t = 0, 1, ... then
// flush() (segmentation/streaming/segment_series.hpp).
template <class S>
concept streaming_segmenter = event_segmenter<S> && requires(S s, std::span<const double> series) {
  { s.flush() } -> std::same_as<std::vector<boundary>>;
  s.reset();
  { s.segment(series) } -> std::same_as<std::vector<boundary>>;
};

// Maps a raw surprise stream to a normalised one (z-score, EMA...).
template <class N>
concept surprise_normalizer = requires(N n, double x) {
  { n(x) } -> std::convertible_to<double>;
};

}  // namespace predsense
