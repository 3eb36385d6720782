// predsense/segmentation/offline/offline_segmenter.hpp - an offline change-point method behind the
// streaming segmenter interface, so PELT, binary segmentation or AMOC can sit where a stream
// expects an event_segmenter (pipeline/stream.hpp, Python's ps.Stream).
//
// push(value, t) keeps the value and reports nothing; flush-at-end (flush()) runs the method on
// everything pushed (offline_change_points.hpp) and reports each change as a boundary at the t of
// the first value of the new segment, decided at the last t. The decision delay is therefore the
// whole stream: use it on finite recordings, not on an endless feed. reset() forgets the values.
// With `standardize` the values are z-scored first (standardize.hpp), as the Normal costs assume
// unit variance; z-scoring also makes the result the same for a * x + b (a > 0), whatever the
// encoder's scale. The value at t = 0 (frame 0's conventional surprise, with no prediction behind
// it) is not kept: one outlier of 1 would otherwise dominate the variance and the costs.
// NaN is a missing value (offline_params::missing decides); time must increase.
//
// Errors: invalid_argument_error when t does not increase; the method's own errors at flush()
// (empty_error for too few observed values, non_finite_error for infinity); empty_error at
// flush() when nothing was pushed since construction or reset(): an empty series is an error in
// every offline entry point (a second flush() after a run has nothing new and returns {}).
#pragma once

#include <concepts>
#include <cstddef>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "predsense/core/boundary.hpp"
#include "predsense/core/error.hpp"
#include "predsense/segmentation/offline/offline_change_points.hpp"
#include "predsense/segmentation/streaming/segment_series.hpp"
#include "predsense/segmentation/series/standardize.hpp"

namespace predsense {

struct offline_segmenter_params {
  offline_params method{};  // PELT, MBIC, Normal mean cost unless set
  bool standardize = true;  // z-score the values before segmenting
};

class offline_segmenter {
 public:
  offline_segmenter() : offline_segmenter(offline_segmenter_params{}) {}
  template <std::same_as<offline_segmenter_params> Params = offline_segmenter_params>
  explicit offline_segmenter(const Params& p) : p_(p) {}

  std::optional<boundary> push(double value, std::size_t t) {
    if (!t_.empty() && t <= t_.back())
      throw invalid_argument_error("predsense: offline_segmenter: t=" + std::to_string(t) +
                                   " after t=" + std::to_string(t_.back()) + ": time must increase");
    pushed_ = true;
    if (t == 0) return std::nullopt;  // frame 0: no prediction, not kept (a stream of it alone has no change)
    x_.push_back(value);
    t_.push_back(t);
    return std::nullopt;
  }

  // Runs the method on every value pushed since the last reset(); the buffer is then cleared.
  std::vector<boundary> flush() {
    std::vector<boundary> out;
    if (x_.empty()) {
      if (!pushed_) throw empty_error("predsense: offline_segmenter: empty series (nothing pushed)");
      return out;
    }
    std::vector<double> x = x_;
    if (p_.standardize) standardize_columns(x, 1);
    const auto cps = offline_change_points(x, 1, p_.method);
    for (std::size_t c : cps) out.push_back({t_[c], x_[c], t_.back()});
    x_.clear();
    t_.clear();
    return out;
  }

  std::vector<boundary> segment(std::span<const double> s) {
    if (s.empty()) throw empty_error("predsense: offline_segmenter: empty series");
    return segment_series(*this, s);
  }
  void reset() {
    x_.clear();
    t_.clear();
    pushed_ = false;
  }

 private:
  offline_segmenter_params p_;
  std::vector<double> x_;
  std::vector<std::size_t> t_;
  bool pushed_ = false;  // anything pushed since construction / reset()

 public:
  // State (io/state_file.hpp): the method's parameters, then every value pushed since the last
  // flush with its step.
  static constexpr const char* state_kind = "offline_segmenter";
  template <class A>
  void visit_state(A& a) {
    a.param("method", p_.method.method);
    a.param("cost", p_.method.cost);
    a.param("penalty", p_.method.penalty.kind);
    a.param("penalty_value", p_.method.penalty.manual_value);
    a.param("min_size", p_.method.min_size);
    a.param("max_changes", p_.method.max_changes);
    a.param("quantiles", p_.method.quantiles);
    a.param("missing", p_.method.missing);
    a.param("r_compatible", p_.method.r_compatible);
    a.param("standardize", p_.standardize);
    a.validated([&] {
      a.require(static_cast<int>(p_.method.method) >= 0 && static_cast<int>(p_.method.method) <= 2, "method",
                "unknown");
      a.require(static_cast<int>(p_.method.cost) >= 0 && static_cast<int>(p_.method.cost) <= 5, "cost", "unknown");
      a.require(static_cast<int>(p_.method.penalty.kind) >= 0 && static_cast<int>(p_.method.penalty.kind) <= 5,
                "penalty", "unknown");
      a.require(static_cast<int>(p_.method.missing) >= 0 && static_cast<int>(p_.method.missing) <= 2, "missing",
                "unknown");
      a.require(p_.method.min_size >= 1, "min_size", "must be >= 1");
    });
    a.field("x", x_);
    a.field("t", t_);
    a.field("pushed", pushed_);
    a.require(x_.size() == t_.size(), "t", "not one step per value");
    for (std::size_t i = 1; i < t_.size(); ++i) a.require(t_[i] > t_[i - 1], "t", "steps not increasing");
  }
};

}  // namespace predsense
