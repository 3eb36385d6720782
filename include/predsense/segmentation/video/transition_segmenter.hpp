// predsense/segmentation/video/transition_segmenter.hpp - the transition detector in a stream's
// segmenter slot: a frame_aware_segmenter (core/concepts.hpp) that stream<> drives with each frame's
// surprise and thumbnail.
//
//   stream<copy_last, token_cosine_distance<>, transition_segmenter, memory_store<>> s;
//   for (...) { auto r = s.step(latents, thumb); }   // thumb: height x width x channels floats in [0, 1]
//   s.segmenter().flush();  s.segmenter().transitions();   // every cut, dissolve, fade, dip found
//
// push(surprise, t, thumb) passes the frame to transition_detector::push (t must be the number of
// frames pushed before: the stream's own count) and reports the first transition decided at this
// frame as a boundary {frame, score, decided_at}; all of them, with kind and [start, end], are kept
// in transitions() in the order decided. The method, parameters and errors are the detector's
// (transition_detector.hpp); invalid_argument_error when t is not the next frame.
#pragma once

#include <cstddef>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "predsense/core/boundary.hpp"
#include "predsense/core/error.hpp"
#include "predsense/segmentation/video/transition_detector.hpp"

namespace predsense {

class transition_segmenter {
 public:
  transition_segmenter() = default;
  explicit transition_segmenter(const transition_detector_params& p) : d_(p) {}

  std::optional<boundary> push(double surprise, std::size_t t, std::span<const float> thumb) {
    if (t != t_)
      throw invalid_argument_error("predsense: transition_segmenter: frame " + std::to_string(t) +
                                   " pushed, expected " + std::to_string(t_));
    ++t_;
    return keep(d_.push(thumb, surprise));
  }

  // The transitions still open at the end of the stream, as boundaries (also added to transitions()).
  std::vector<boundary> flush() {
    std::vector<boundary> out;
    for (const auto& tr : d_.flush()) {
      all_.push_back(tr);
      out.push_back({tr.frame, tr.score, tr.decided_at});
    }
    return out;
  }

  void reset() {
    d_.reset();
    all_.clear();
    t_ = 0;
  }

  // Every transition found so far (cut, dissolve, fade, dip with [start, end]), in the order decided.
  [[nodiscard]] const std::vector<transition>& transitions() const noexcept { return all_; }
  [[nodiscard]] transition_detector& detector() noexcept { return d_; }
  [[nodiscard]] const transition_detector& detector() const noexcept { return d_; }

 private:
  std::optional<boundary> keep(const std::vector<transition>& found) {
    all_.insert(all_.end(), found.begin(), found.end());
    if (found.empty()) return std::nullopt;
    return boundary{found.front().frame, found.front().score, found.front().decided_at};
  }

  transition_detector d_;
  std::vector<transition> all_;
  std::size_t t_ = 0;
};

}  // namespace predsense
