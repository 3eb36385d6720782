// predsense/memory/policies/consolidation_policy.hpp - the contract between the long-term store and the
// rule that decides what to evict or merge when it is over budget.
//
// The store tells the policy about every admitted entry (on_admit, always at the tail, protected
// ones included) and then asks it to consolidate. The policy keeps whatever index it needs
// (heaps, queues) and edits the store only through erase() and merge_next(), so it always knows
// what changed; it must never erase a protected entry. After consolidate() the store must hold at
// most budget() tokens (memory_store checks this in debug builds). reset() forgets all state;
// a checkpoint restore calls reset() and then on_admit() for every entry in time order, so a
// policy's index must be rebuildable that way.
//
// Writing your own: any type with these members works, e.g.
//   struct drop_newest {
//     static constexpr std::string_view name = "drop_newest";
//     void reset() {}
//     void on_admit(long_term_store&, entry_id) {}
//     void consolidate(long_term_store& s) {
//       while (s.over_budget()) { entry_id t = s.tail(); while (s.entry(t).is_protected) t = s.prev(t); s.erase(t); }
//     }
//   };
#pragma once

#include <concepts>
#include <string_view>

#include "predsense/memory/long_term_store.hpp"
#include "predsense/memory/memory_entry.hpp"

namespace predsense {

template <class P>
concept consolidation_policy = requires(P p, long_term_store& s, entry_id id) {
  p.reset();
  p.on_admit(s, id);
  p.consolidate(s);
  { P::name } -> std::convertible_to<std::string_view>;
};

namespace detail {
// (surprise, admission order): the reference's argmin takes the first (oldest) of equal scores.
inline std::pair<double, std::uint64_t> surprise_key(const long_term_store& s, entry_id id) {
  return {s.entry(id).surprise, s.entry(id).seq};
}
// Called when a policy finds nothing left to evict while still over budget: only protected
// entries remain, so the budget is smaller than the prompt.
[[noreturn]] inline void throw_budget_below_protected(const long_term_store& s) {
  throw invalid_argument_error("predsense: memory budget of " + std::to_string(s.budget()) +
                               " tokens is smaller than the protected (prompt) entries' " +
                               std::to_string(s.protected_tokens()) + " tokens");
}
}  // namespace detail

}  // namespace predsense
