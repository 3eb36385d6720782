// predsense/memory/policies/peak_preserving.hpp - consolidation that keeps single-frame events: eviction
// by a frame's surprise against its neighbourhood, merging of sustained surprise only, never of a
// local peak, all thresholds relative to the stream's own surprise.
//
// Cambrian-S's drop_merge loses one-frame events on real footage: a needle's frame and the next
// one (where the object vanishes) are both surprising, so it merges them; and at a tight budget
// the needle competes by absolute surprise with every room change and with moving footage, which
// is surprising all along. This policy scores each entry t (surprise s_t) by
//   score_t = z(s_t) + transient_gain * max(0, z(min(s_t, s_{t+1}))),
//   z(x) = (x - median(s_{t-r} .. s_{t+r})) / scale_t
// the excess over its neighbourhood's median (radius r frames, in admission order) in units of the
// stream's robust scale over the trailing `window` frames (relative_surprise.hpp), or of the
// neighbourhood's own (1.4826 MAD) when that is wider. The second term is the signature of a
// one-frame event under copy-last surprise: two spikes in a row (the object appears, it leaves),
// where a cut or a room change has one. An isolated peak inside a quiet room scores high; the
// tenth frame of a new room and every frame of moving footage score about 0. Over budget it
//   1. merges neighbouring entries whose stream-relative z-scores are both >= z_merge (a run of
//      sustained surprise: moving footage), unless either is a local peak (s_t > s_{t-1},
//      s_t >= s_{t+1} and score_t >= z_peak) - a peak is never folded into its neighbour;
//   2. evicts the lowest score (oldest first among equals) until within budget.
// An entry's score is provisional (past neighbours only) until r later frames are admitted; a
// merged entry scores the mean of its parts and is not a peak. Every threshold is on a z-score, so
// any affine map a*s + b (a > 0) of the surprise leaves every decision unchanged
// (tests/test_memory.cpp checks it).
// Checkpoints: the entries and parameters round-trip exactly; the policy's statistics are rebuilt
// from the entries still held (reset + on_admit in time order), not from every frame seen, so a
// restored memory's later decisions may differ from an uninterrupted run's.
// Cost per admission: O(window + r log r) for the statistics, O(log n) heap work per edit, and
// amortised O(1) merge scanning (the scan starts where the last one stopped, as in drop_merge).
#pragma once

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <string_view>
#include <vector>

#include "predsense/core/error.hpp"
#include "predsense/memory/policies/consolidation_policy.hpp"
#include "predsense/memory/policies/policy_params.hpp"
#include "predsense/memory/policies/relative_surprise.hpp"
#include "predsense/memory/storage/indexed_heap.hpp"

namespace predsense {

class peak_preserving {
 public:
  static constexpr std::string_view name = "peak_preserving";
  std::size_t radius = 5;        // neighbourhood: r frames each side
  std::size_t window = 120;      // trailing frames of the stream's robust scale
  double z_peak = 3.0;           // a local maximum this far above its neighbourhood is a peak
  double z_merge = 2.0;          // neighbours both this surprising (for the stream) may merge
  double transient_gain = 16.0;  // weight of the one-frame-event evidence in the score
  [[nodiscard]] policy_params params() const {
    return {{"radius", std::uint64_t{radius}},
            {"window", std::uint64_t{window}},
            {"z_peak", z_peak},
            {"z_merge", z_merge},
            {"transient_gain", transient_gain}};
  }

  peak_preserving() = default;
  peak_preserving(std::size_t r, std::size_t trailing, double peak, double merge, double gain = 16.0)
      : radius(r), window(trailing), z_peak(peak), z_merge(merge), transient_gain(gain), stats_(trailing) {
    if (!std::isfinite(peak) || !std::isfinite(merge) || !std::isfinite(gain))
      throw non_finite_error("predsense: peak_preserving: z_peak, z_merge and transient_gain must be finite");
    if (trailing == 0) throw invalid_argument_error("predsense: peak_preserving: window must be >= 1");
  }

  void reset() {
    heap_.clear();
    stats_ = trailing_robust_z(window);
    hist_.clear();
    info_.clear();
    pending_ = no_entry;
  }

  void on_admit(long_term_store& s, entry_id id) {
    if (s.entry(id).is_protected) return;
    if (stats_.window() != window) stats_ = trailing_robust_z(window);  // the field was set after construction
    if (info_.size() < s.slot_count()) info_.resize(s.slot_count());
    const double x = s.entry(id).surprise;
    const auto [med, scale] = stats_.location_scale();
    slot& me = info_[id];
    me = slot{};
    me.z_stream = stats_.size() == 0 ? 0.0 : trailing_robust_z::standardize(x, med, scale);
    stats_.push(x);
    hist_.push_back({id, s.entry(id).seq, x});
    if (hist_.size() > 2 * radius + 1) hist_.pop_front();
    // the entry radius frames back now has both sides of its neighbourhood: final score
    if (hist_.size() > radius) finalize(s, hist_.size() - 1 - radius, true);
    if (radius > 0) finalize(s, hist_.size() - 1, false);  // the new one: past side only
  }

  void consolidate(long_term_store& s) {
    if (!s.over_budget()) return;
    if (pending_ != no_entry && s.alive(pending_)) {
      entry_id cur = s.prev(pending_) != no_entry ? s.prev(pending_) : pending_;
      while (cur != no_entry && s.next(cur) != no_entry && is_final(s, s.next(cur))) {
        if (mergeable(s, cur, s.next(cur)))
          merge(s, cur);  // stay: the merged run may take the next one too
        else
          cur = s.next(cur);
      }
    }
    pending_ = no_entry;
    while (s.over_budget()) {
      if (heap_.empty()) detail::throw_budget_below_protected(s);
      s.erase(heap_.pop());
    }
  }

  // The entry's current eviction score (for tests and inspection); 0 for protected entries.
  [[nodiscard]] double score(entry_id id) const noexcept { return id < info_.size() ? info_[id].score : 0.0; }
  [[nodiscard]] bool is_peak(entry_id id) const noexcept { return id < info_.size() && info_[id].peak; }

 private:
  struct slot {
    double z_stream = 0.0;  // z against the trailing window, at admission
    double score = 0.0;     // neighbourhood score (eviction key)
    bool peak = false;
    bool final = false;
  };
  struct seen {
    entry_id id;
    std::uint64_t seq;
    double surprise;
  };
  detail::indexed_heap<> heap_;
  trailing_robust_z stats_{120};
  std::deque<seen> hist_;  // the last 2r+1 admitted frames (evicted or not)
  std::vector<slot> info_;
  std::vector<double> tmp_;
  entry_id pending_ = no_entry;  // first entry finalised since the last merge pass

  [[nodiscard]] bool is_final(const long_term_store& s, entry_id id) const {
    return !s.entry(id).is_protected && id < info_.size() && info_[id].final;
  }

  void finalize(long_term_store& s, std::size_t c, bool final) {
    const seen& me = hist_[c];
    if (!s.alive(me.id) || s.entry(me.id).seq != me.seq || s.entry(me.id).merged.size() != 1) return;
    const std::size_t lo = c >= radius ? c - radius : 0;
    const std::size_t hi = std::min(hist_.size() - 1, c + radius);
    tmp_.clear();
    for (std::size_t j = lo; j <= hi; ++j) tmp_.push_back(hist_[j].surprise);
    const double med = trailing_robust_z::median(tmp_);
    for (auto& v : tmp_) v = std::abs(v - med);
    // the stream's scale, or the neighbourhood's when that is wider (moving footage: its
    // fluctuations are not events)
    // the trailing scale now (it covers frames up to t + r: at the stream's start the admission-time
    // window is too short to be robust)
    const double trailing_scale = stats_.location_scale().second;
    const double scale = std::max(trailing_scale, trailing_robust_z::mad_to_sigma * trailing_robust_z::median(tmp_));
    slot& sl = info_[me.id];
    const double excess = trailing_robust_z::standardize(me.surprise, med, scale);
    // a one-frame event is two spikes of copy-last surprise (it appears, it leaves): the onset's
    // evidence is the smaller of the two; a cut or a room change has one
    const double next = c + 1 < hist_.size() ? hist_[c + 1].surprise : me.surprise;
    const double transient = trailing_robust_z::standardize(std::min(me.surprise, next), med, scale);
    sl.score = excess + transient_gain * std::max(0.0, transient);
    const bool above_prev = c == 0 || me.surprise > hist_[c - 1].surprise;
    const bool above_next = c + 1 >= hist_.size() || me.surprise >= hist_[c + 1].surprise;
    sl.peak = final && above_prev && above_next && sl.score >= z_peak;
    sl.final = final;
    heap_.set(me.id, {sl.score, me.seq});
    if (final && pending_ == no_entry) pending_ = me.id;
  }

  [[nodiscard]] bool mergeable(const long_term_store& s, entry_id a, entry_id b) const {
    if (!s.mergeable(a, b) || !is_final(s, a) || !is_final(s, b)) return false;
    const slot &x = info_[a], &y = info_[b];
    return !x.peak && !y.peak && x.z_stream >= z_merge && y.z_stream >= z_merge;
  }
  void merge(long_term_store& s, entry_id a) {
    const entry_id b = s.next(a);
    slot& x = info_[a];
    const slot& y = info_[b];
    x.score = (x.score + y.score) / 2.0;
    x.z_stream = (x.z_stream + y.z_stream) / 2.0;
    heap_.erase(s.merge_next(a));
    heap_.set(a, {x.score, s.entry(a).seq});
  }
};

static_assert(consolidation_policy<peak_preserving>);

}  // namespace predsense
