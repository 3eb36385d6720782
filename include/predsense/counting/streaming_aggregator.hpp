// predsense/counting/streaming_aggregator.hpp - one-pass instance counting for the streaming
// setting: every descriptor is decided on arrival, against what has been seen so far.
//
// Each descriptor joins the most similar prototype (unit-norm running mean) if the cosine is >=
// threshold, otherwise it becomes a new instance; count() is the number of prototypes at any
// query time. Unlike dedup_aggregator there is no one-to-one constraint within a segment (two
// look-alike objects seen together can collapse into one), no revision of earlier decisions and no
// union-find: the simplest memory that survives revisits. Optionally bounded: with max_instances
// set, the least recently matched prototype is forgotten when a new one would exceed the bound
// (its count is kept, so a forgotten object seen again is counted twice: the price of the bound).
// Cost O(dim K) per descriptor, O(N K dim) per stream.
#pragma once

#include <concepts>
#include <cstddef>
#include <limits>
#include <string>
#include <vector>

#include "predsense/core/error.hpp"
#include "predsense/counting/segment_answer.hpp"

namespace predsense {

struct streaming_params {
  double threshold = 0.6;
  std::size_t max_instances = std::numeric_limits<std::size_t>::max();  // prototypes kept in memory
};

class streaming_aggregator {
 public:
  streaming_aggregator() : streaming_aggregator(streaming_params{}) {}
  template <std::same_as<streaming_params> Params = streaming_params>
  explicit streaming_aggregator(const Params& p) : p_(p) {
    detail::require_threshold(p.threshold, "streaming_aggregator");
    if (p.max_instances == 0)
      throw invalid_argument_error("predsense: streaming_aggregator: max_instances must be >= 1");
  }

  void add(const segment_answer& s) {
    detail::validate_segment(s, "streaming_aggregator", true);
    detail::validate_order(s, end_, segments_ > 0, "streaming_aggregator");
    if (s.count > 0) {
      if (dim_ == 0) dim_ = s.dim;
      if (s.dim != dim_)
        throw shape_error("predsense: streaming_aggregator: segment [" + std::to_string(s.begin) + ", " +
                          std::to_string(s.end) + ") has descriptors of dim " + std::to_string(s.dim) +
                          " but earlier ones have dim " + std::to_string(dim_));
      std::vector<float> x(dim_);
      for (std::size_t i = 0; i < s.count; ++i) {
        detail::normalized_row(s.descriptors, dim_, i, x.data());
        observe(x.data());
      }
    }
    end_ = s.end;
    ++segments_;
  }

  [[nodiscard]] std::size_t count() const noexcept { return counted_; }
  [[nodiscard]] std::size_t in_memory() const noexcept { return last_used_.size(); }
  [[nodiscard]] std::size_t segments() const noexcept { return segments_; }
  void reset() { *this = streaming_aggregator(p_); }

 private:
  void observe(const float* x) {
    const std::size_t K = last_used_.size(), D = dim_;
    std::size_t best = K;
    double best_s = -2.0;
    for (std::size_t c = 0; c < K; ++c) {
      const double s = detail::dot_rows(x, &proto_[c * D], D);
      if (s > best_s) best_s = s, best = c;
    }
    ++clock_;
    if (best < K && best_s >= p_.threshold) {
      for (std::size_t d = 0; d < D; ++d) proto_[best * D + d] = (sum_[best * D + d] += x[d]);
      detail::normalize_in_place(&proto_[best * D], D);
      last_used_[best] = clock_;
      return;
    }
    ++counted_;
    std::size_t slot = K;
    if (K == p_.max_instances) {  // forget the least recently matched
      slot = 0;
      for (std::size_t c = 1; c < K; ++c)
        if (last_used_[c] < last_used_[slot]) slot = c;
    } else {
      sum_.resize(sum_.size() + D);
      proto_.resize(proto_.size() + D);
      last_used_.push_back(0);
    }
    for (std::size_t d = 0; d < D; ++d) sum_[slot * D + d] = proto_[slot * D + d] = x[d];
    last_used_[slot] = clock_;
  }

  streaming_params p_;
  std::size_t dim_ = 0, end_ = 0, segments_ = 0, counted_ = 0, clock_ = 0;
  std::vector<float> sum_, proto_;
  std::vector<std::size_t> last_used_;
};

}  // namespace predsense
