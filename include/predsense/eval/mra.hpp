// predsense/eval/mra.hpp - Mean Relative Accuracy (VSI-Bench, VSI-SUPER Count).
//
// MRA(pred, gt) = (1/10) sum over c in {0.50, 0.55, ..., 0.95} of [ |pred - gt| / gt < 1 - c ].
// The tolerances 1 - c are formed exactly as (10 - i) / 20 (i = 0..9) rather than as 1 - c in
// floating point, so a relative error that lands on a tolerance (e.g. 0.25) is judged by the
// strict < as written. The result is a multiple of 0.1 in [0, 1]: exact 1, 0 once the relative
// error reaches 0.5. gt must be a positive finite number (the ratio is undefined otherwise);
// pred must be finite.
#pragma once

#include <cmath>
#include <cstddef>
#include <span>
#include <string>

#include "predsense/core/error.hpp"

namespace predsense {

inline double mean_relative_accuracy(double pred, double gt) {
  if (!std::isfinite(gt) || !(gt > 0.0))
    throw invalid_argument_error("predsense: mean_relative_accuracy: ground truth must be finite and > 0, got " +
                                 std::to_string(gt));
  if (!std::isfinite(pred))
    throw non_finite_error("predsense: mean_relative_accuracy: prediction is not finite (" + std::to_string(pred) +
                           ")");
  const double rel = std::abs(pred - gt) / gt;
  int hits = 0;
  for (int i = 0; i < 10; ++i)
    if (rel < double(10 - i) / 20.0) ++hits;
  return double(hits) / 10.0;
}

// Mean of the per-question MRA over paired predictions and ground truths.
inline double mean_relative_accuracy(std::span<const double> pred, std::span<const double> gt) {
  if (pred.size() != gt.size())
    throw shape_error("predsense: mean_relative_accuracy: " + std::to_string(pred.size()) + " predictions but " +
                      std::to_string(gt.size()) + " ground truths");
  if (pred.empty()) throw empty_error("predsense: mean_relative_accuracy: no questions");
  double s = 0.0;
  for (std::size_t i = 0; i < pred.size(); ++i) s += mean_relative_accuracy(pred[i], gt[i]);
  return s / double(pred.size());
}

}  // namespace predsense
