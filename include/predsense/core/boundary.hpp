// predsense/core/boundary.hpp - an event boundary reported by a segmenter or a transition detector.
//
// One type for every boundary predsense reports: the frame index (t: the first frame of the new
// event, 0-based), its time in seconds, the kind of change (a change of the surprise statistics,
// or a video transition: cut, dissolve, fade, dip), the span of the change (start..end, inclusive
// frame indices; a change at one frame: start == end == t), the score that fired it and the step
// that decided it (decided_at - t = the decision delay). It converts to std::size_t (the frame
// index) wherever an index is expected: v[b], std::vector<std::size_t>{b}, b == 7.
#pragma once

#include <cstddef>
#include <cstdint>

namespace predsense {

enum class boundary_kind : std::uint8_t { change, cut, dissolve, fade, dip };

inline constexpr const char* to_string(boundary_kind k) noexcept {
  switch (k) {
    case boundary_kind::change:
      return "change";
    case boundary_kind::cut:
      return "cut";
    case boundary_kind::dissolve:
      return "dissolve";
    case boundary_kind::fade:
      return "fade";
    case boundary_kind::dip:
      return "dip";
  }
  return "?";
}

struct boundary {
  std::size_t t = 0;           // frame index of the first frame of the new event
  double score = 0.0;          // the evidence behind it (surprise, posterior mass, prominence...)
  std::size_t decided_at = 0;  // index of the push that reported it (decision delay = decided_at - t)
  boundary_kind kind = boundary_kind::change;
  std::size_t start = 0;  // first frame of the change (inclusive); t for a change at one frame
  std::size_t end = 0;    // last frame of the change (inclusive); t for a change at one frame
  double time = 0.0;      // seconds from the start of the stream; t / 1 fps unless the caller knows the rate

  constexpr boundary() = default;
  // A change at frame t: start = end = t, time = t seconds (1 fps, as memory_store's timestamps).
  // Explicit from a bare index, so that b == 7 compares the frame index, not a boundary made from 7.
  constexpr explicit boundary(std::size_t t_) noexcept : boundary(t_, 0.0) {}
  constexpr boundary(std::size_t t_, double score_, std::size_t decided_at_ = 0,
                     boundary_kind kind_ = boundary_kind::change) noexcept
      : t(t_), score(score_), decided_at(decided_at_), kind(kind_), start(t_), end(t_), time(double(t_)) {}

  // The frame index, wherever an index is expected.
  constexpr operator std::size_t() const noexcept { return t; }

  friend bool operator==(const boundary&, const boundary&) = default;
};

}  // namespace predsense
