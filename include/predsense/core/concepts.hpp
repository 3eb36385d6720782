// predsense/core/concepts.hpp - what plugs into a predsense pipeline.
//
// A pipeline is stream<Predictor, Metric, Segmenter, Memory>; swapping a component is swapping a
// template argument. These concepts state the minimum each component must offer; user-written
// types that satisfy them plug in like the built-in ones.
#pragma once

#include <concepts>
#include <cstddef>
#include <optional>

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

// Keeps frames with their surprise under some budget (memory/memory_store.hpp and user types).
template <class M>
concept frame_memory = requires(M m, const M& cm, frame_view f, double surprise) {
  m.push(f, surprise);
  { cm.tokens() } -> std::convertible_to<std::size_t>;
};

// Maps a raw surprise stream to a normalised one (z-score, EMA...).
template <class N>
concept surprise_normalizer = requires(N n, double x) {
  { n(x) } -> std::convertible_to<double>;
};

}  // namespace predsense
