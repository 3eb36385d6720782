// predsense/pipeline/stream.hpp - one streaming loop: predict, measure surprise, segment, remember.
//
//   stream<Predictor, Metric, Segmenter, Memory> s(predictor, metric, segmenter, memory);
//   for (frame : video) { auto r = s.step(frame); ... r.surprise, r.boundary, r.memory ... }
//
// Per step t: the predictor's guess for frame t (made from frames < t) is scored against the
// frame by the metric; frame 0 has no guess and scores `first_surprise` (1, the Cambrian-S
// convention). The predictor then observes the frame, the segmenter gets the surprise, and the
// memory (optional: no_memory) takes the frame with its surprise. Every component is a template
// argument checked against its concept (core/concepts.hpp): a user type that satisfies it plugs
// in like a built-in one (examples/custom_components.cpp). `stream<...> s;` default-constructs
// every component; s.predictor(), s.metric(), s.segmenter(), s.memory() reach them. A component
// may be held by lvalue reference (stream<P, M, S, memory_store<>&> s({}, {}, {}, mem)): the
// stream then works on the caller's object (docs/cpp.md).
// A frame_aware_segmenter (core/concepts.hpp; the transition detector, through
// segmentation/video/transition_segmenter.hpp) also gets a thumbnail of each frame:
// s.step(frame, thumb), thumb height x width x channels floats in [0, 1] in the segmenter's layout.
#pragma once

#include <cstddef>
#include <optional>
#include <span>
#include <type_traits>
#include <utility>

#include "predsense/core/boundary.hpp"
#include "predsense/core/concepts.hpp"
#include "predsense/core/frame_buffer.hpp"
#include "predsense/core/frame_view.hpp"

namespace predsense {

// The memory slot left empty: remembers nothing, costs nothing.
struct no_memory {
  void push(const frame_view&, double) noexcept {}
  [[nodiscard]] std::size_t tokens() const noexcept { return 0; }
};

struct memory_summary {
  std::size_t tokens = 0;   // tokens held (window + long-term)
  std::size_t entries = 0;  // entries held, when the memory can tell (0 otherwise)
  friend bool operator==(const memory_summary&, const memory_summary&) = default;
};

struct step_result {
  std::size_t t = 0;
  double surprise = 0.0;
  std::optional<predsense::boundary> boundary;
  memory_summary memory;
  friend bool operator==(const step_result&, const step_result&) = default;
};

namespace detail {
template <class M>
memory_summary summarize(const M& m) {
  memory_summary s{static_cast<std::size_t>(m.tokens()), 0};
  if constexpr (requires {
                  m.long_term().size();
                  m.window().size();
                })
    s.entries = m.long_term().size() + m.window().size();
  else if constexpr (requires { m.size(); })
    s.entries = static_cast<std::size_t>(m.size());
  return s;
}
}  // namespace detail

template <latent_predictor Predictor, surprise_metric Metric, stream_segmenter Segmenter,
          frame_memory Memory = no_memory>
class stream {
  static_assert(!std::is_rvalue_reference_v<Predictor> && !std::is_rvalue_reference_v<Metric> &&
                    !std::is_rvalue_reference_v<Segmenter> && !std::is_rvalue_reference_v<Memory>,
                "predsense::stream: a component is held by value or by lvalue reference (T&), not by T&&");

 public:
  using predictor_type = Predictor;
  using metric_type = Metric;
  using segmenter_type = Segmenter;
  using memory_type = Memory;

  // Every component default-constructed (a stream holding a component by reference has none).
  stream() = default;
  // Components in order; the ones left out are default-constructed. A component declared as a
  // reference (stream<P, M, S, memory_store<>&>) is bound to the object passed, which must outlive
  // the stream; the stream then updates the caller's object in place.
  explicit stream(Predictor p, Metric m = {}, Segmenter s = {}, Memory mem = {}, double first_surprise = 1.0)
      : predictor_(std::forward<Predictor>(p)),
        metric_(std::forward<Metric>(m)),
        segmenter_(std::forward<Segmenter>(s)),
        memory_(std::forward<Memory>(mem)),
        first_surprise_(first_surprise) {}

  template <frame_like F>
  requires event_segmenter<Segmenter> step_result step(const F& frame) {
    return step_impl(as_frame_view(frame), [&](double s, std::size_t t) { return segmenter_.push(s, t); });
  }

  // One frame and its thumbnail, for a segmenter that looks at the pixels (frame_aware_segmenter).
  template <frame_like F>
  requires frame_aware_segmenter<Segmenter> step_result step(const F& frame, std::span<const float> thumb) {
    return step_impl(as_frame_view(frame), [&](double s, std::size_t t) { return segmenter_.push(s, t, thumb); });
  }

  [[nodiscard]] std::size_t frames_seen() const noexcept { return t_; }
  [[nodiscard]] std::remove_reference_t<Predictor>& predictor() noexcept { return predictor_; }
  [[nodiscard]] const std::remove_reference_t<Predictor>& predictor() const noexcept { return predictor_; }
  [[nodiscard]] std::remove_reference_t<Metric>& metric() noexcept { return metric_; }
  [[nodiscard]] const std::remove_reference_t<Metric>& metric() const noexcept { return metric_; }
  [[nodiscard]] std::remove_reference_t<Segmenter>& segmenter() noexcept { return segmenter_; }
  [[nodiscard]] const std::remove_reference_t<Segmenter>& segmenter() const noexcept { return segmenter_; }
  [[nodiscard]] std::remove_reference_t<Memory>& memory() noexcept { return memory_; }
  [[nodiscard]] const std::remove_reference_t<Memory>& memory() const noexcept { return memory_; }

 private:
  // The step shared by both kinds of segmenter; `segment(surprise, t)` asks the segmenter.
  template <class Segment>
  step_result step_impl(const frame_view& f, Segment&& segment) {
    step_result r;
    r.t = t_;
    if (t_ == 0) {
      r.surprise = first_surprise_;
    } else {
      if constexpr (viewing_predictor<std::remove_reference_t<Predictor>>) {
        r.surprise = static_cast<double>(metric_(predictor_.prediction(), f));  // no copy of the guess
      } else {
        predictor_.predict(guess_);
        r.surprise = static_cast<double>(metric_(guess_.view(), f));
      }
    }
    predictor_.observe(f);
    r.boundary = segment(r.surprise, t_);
    memory_.push(f, r.surprise);
    r.memory = detail::summarize(memory_);
    ++t_;
    return r;
  }

  Predictor predictor_;
  Metric metric_;
  Segmenter segmenter_;
  Memory memory_;
  double first_surprise_ = 1.0;
  frame_buffer guess_;
  std::size_t t_ = 0;

 public:
  // State (io/state_file.hpp: save_state / load_state): every component's under its slot name
  // ("predictor.", "metric.", "segmenter.", "memory."), first_surprise and the frame counter. A
  // memory_store is stored as its memory checkpoint (memory/memory_checkpoint.hpp: include it).
  static constexpr const char* state_kind = "stream";
  template <class A>
  void visit_state(A& a) {
    a.param("first_surprise", first_surprise_);
    a.nested("predictor", predictor_);
    a.nested("metric", metric_);
    a.nested("segmenter", segmenter_);
    a.nested("memory", memory_);
    a.field("t", t_);
  }
};

}  // namespace predsense
