// predsense/memory/policies/pool_relative.hpp - compression with a threshold relative to the stream:
// a frame leaving the sensory window is average-pooled r x r (default 2x2) when its surprise's
// robust z-score against the previous `window` frames (relative_surprise.hpp) is below `z`.
//
// Cambrian-S pools below an absolute surprise (pool_when_unsurprising, 0.1 on its encoder's
// scale); here "unsurprising" means "ordinary for this stream lately", which holds for any
// encoder and any scene: a needle seen for one frame in a quiet room is kept whole even if its
// absolute surprise is small. The trailing window is the stream's state: target() is called once
// per frame, in stream order, by memory_store; checkpoints save it (visit_state), so a restored
// memory pools exactly as the uninterrupted one.
#pragma once

#include <cmath>
#include <cstddef>
#include <string_view>

#include "predsense/core/error.hpp"
#include "predsense/memory/policies/compression_policy.hpp"
#include "predsense/memory/policies/policy_params.hpp"
#include "predsense/memory/policies/relative_surprise.hpp"

namespace predsense {

class pool_relative {
 public:
  static constexpr std::string_view name = "pool_relative";
  double z = 1.0;            // pool frames whose robust z-score is below this
  std::size_t window = 120;  // trailing frames the z-score is taken over (2 minutes at 1 fps)
  std::size_t ratio = 2;     // pooling ratio; 1 disables pooling
  [[nodiscard]] policy_params params() const {
    return {{"z", z}, {"window", std::uint64_t{window}}, {"ratio", std::uint64_t{ratio}}};
  }

  pool_relative() = default;
  explicit pool_relative(double z_threshold, std::size_t trailing = 120, std::size_t pool_ratio = 2)
      : z(z_threshold), window(trailing), ratio(pool_ratio), stats_(trailing) {
    if (!std::isfinite(z_threshold)) throw non_finite_error("predsense: pool_relative: z must be finite");
  }

  [[nodiscard]] grid_shape target(double surprise, grid_shape g) const {
    if (stats_.window() != window) stats_ = trailing_robust_z(window);  // the field was set after construction
    const double zs = stats_.z(surprise);
    stats_.push(surprise);
    if (stats_.size() < 2 || !(zs < z)) return g;  // no history yet: keep
    return pooler().target(-1.0, g);
  }
  void compress(frame_view in, grid_shape g, float* out) const { pooler().compress(in, g, out); }

  // The trailing window as checkpoint state (memory/memory_checkpoint.hpp, io/state_file.hpp).
  static constexpr const char* state_kind = "pool_relative";
  template <class A>
  void visit_state(A& a) {
    if (stats_.window() != window) stats_ = trailing_robust_z(window);
    a.nested("stats", stats_);
  }

 private:
  mutable trailing_robust_z stats_{120};
  [[nodiscard]] pool_when_unsurprising pooler() const { return {0.0, ratio, pool_edge::floor}; }
};

static_assert(compression_policy<pool_relative>);

}  // namespace predsense
