// predsense/memory/policies/surprise_reservoir.hpp - a surprise-weighted reservoir sample of the stream.
//
// Efraimidis-Spirakis A-ES: entry i gets key log(u_i) / w_i with u_i uniform in (0, 1) and weight
// w_i = surprise + floor; the memory keeps the largest keys, i.e. a weighted random sample without
// replacement in which surprising frames are proportionally likelier to survive. u_i is a hash of
// (seed, frame index), so a run is deterministic by seed and the index rebuilds after a restore.
#pragma once

#include <cmath>
#include <cstdint>
#include <string_view>

#include "predsense/memory/policies/consolidation_policy.hpp"
#include "predsense/memory/storage/indexed_heap.hpp"
#include "predsense/memory/policies/policy_params.hpp"
#include "predsense/kernels/random.hpp"

namespace predsense {

class surprise_reservoir {
 public:
  static constexpr std::string_view name = "surprise_reservoir";
  std::uint64_t seed = 0;
  double weight_floor = 1e-3;  // keeps zero-surprise frames in the lottery (weight must be > 0)
  [[nodiscard]] policy_params params() const { return {{"seed", std::uint64_t{seed}}, {"weight_floor", weight_floor}}; }

  surprise_reservoir() = default;
  explicit surprise_reservoir(std::uint64_t s) : seed(s) {}

  [[nodiscard]] double key_of(const memory_entry& e) const noexcept {
    // splitmix64 turns (seed, frame) into an independent uniform draw (kernels/random.hpp).
    const std::uint64_t h = kernels::splitmix64(seed ^ kernels::splitmix64(e.frame));
    const double u = (static_cast<double>(h >> 11) + 0.5) * 0x1.0p-53;  // in (0, 1)
    const double w = (e.surprise > 0.0 ? e.surprise : 0.0) + weight_floor;
    return std::log(u) / w;
  }

  void reset() { heap_.clear(); }
  void on_admit(long_term_store& s, entry_id id) {
    const auto& e = s.entry(id);
    if (!e.is_protected) heap_.set(id, {key_of(e), e.seq});
  }
  void consolidate(long_term_store& s) {
    while (s.over_budget()) {
      if (heap_.empty()) detail::throw_budget_below_protected(s);
      s.erase(heap_.pop());  // the smallest key loses
    }
  }

 private:
  detail::indexed_heap<> heap_;
};

static_assert(consolidation_policy<surprise_reservoir>);

}  // namespace predsense
