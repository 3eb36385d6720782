// predsense/core/boundary.hpp - an event boundary reported by a segmenter.
#pragma once

#include <cstddef>

namespace predsense {

struct boundary {
  std::size_t t = 0;           // index of the first frame/sample of the new event
  double score = 0.0;          // the evidence behind it (surprise, posterior mass, prominence...)
  std::size_t decided_at = 0;  // index of the push that reported it (decision delay = decided_at - t)

  friend bool operator==(const boundary&, const boundary&) = default;
};

}  // namespace predsense
