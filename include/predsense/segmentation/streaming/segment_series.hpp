// predsense/segmentation/streaming/segment_series.hpp - the offline API of every streaming segmenter: a
// whole series in, all boundaries out, identical to pushing the values one by one (t = 0, 1, ...)
// and then flushing (segmenters with a look-ahead decide their last candidates in flush()).
// Step 0 is the frame without a prediction (surprise 1 by the Cambrian-S convention, whatever the
// encoder's scale): every built-in segmenter ignores the value pushed at t = 0 - it is never a
// boundary and never enters a statistic - so s[0] may hold anything finite.
#pragma once

#include <cstddef>
#include <span>
#include <vector>

#include "predsense/core/boundary.hpp"

namespace predsense {

template <class Segmenter>
[[nodiscard]] std::vector<boundary> segment_series(Segmenter& seg, std::span<const double> s) {
  seg.reset();
  std::vector<boundary> out;
  for (std::size_t t = 0; t < s.size(); ++t)
    if (auto b = seg.push(s[t], t)) out.push_back(*b);
  if constexpr (requires { seg.flush(); }) {
    for (const auto& b : seg.flush()) out.push_back(b);
    seg.reset();
  }
  return out;
}

}  // namespace predsense
