// predsense/memory/policies/sinks_recent.hpp - StreamingLLM: keep the first `sinks` entries (attention
// sinks, default 4) and the most recent ones; while over budget evict the oldest non-sink entry.
#pragma once

#include <cstddef>
#include <deque>
#include <string_view>

#include "predsense/memory/policies/consolidation_policy.hpp"
#include "predsense/memory/policies/policy_params.hpp"

namespace predsense {

class sinks_recent {
 public:
  static constexpr std::string_view name = "sinks_recent";
  std::size_t sinks = 4;
  [[nodiscard]] policy_params params() const { return {{"sinks", std::uint64_t{sinks}}}; }

  sinks_recent() = default;
  explicit sinks_recent(std::size_t n_sinks) : sinks(n_sinks) {}

  void reset() {
    recent_.clear();
    pinned_ = 0;
  }
  void on_admit(long_term_store& s, entry_id id) {
    if (s.entry(id).is_protected) return;
    if (pinned_ < sinks)
      ++pinned_;  // the first `sinks` unprotected entries are never evicted
    else
      recent_.push_back(id);
  }
  void consolidate(long_term_store& s) {
    while (s.over_budget()) {
      if (recent_.empty())
        throw invalid_argument_error("predsense: sinks_recent: budget of " + std::to_string(s.budget()) +
                                     " tokens cannot hold the " + std::to_string(sinks) +
                                     " sink entries plus the protected ones");
      s.erase(recent_.front());
      recent_.pop_front();
    }
  }

 private:
  std::deque<entry_id> recent_;  // evictable entries, oldest first
  std::size_t pinned_ = 0;
};

static_assert(consolidation_policy<sinks_recent>);

}  // namespace predsense
