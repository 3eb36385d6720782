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
// Checkpoints: the policy's state (trailing window, the last 2r+1 admissions, each entry's scores
// and flags, the pending merge scan) is saved by visit_state with entries named by admission
// number (seq), since a restore renumbers entry ids; rebind() maps them onto the restored store,
// so a restored memory decides exactly as the uninterrupted one.
// Cost per admission: O(window + r log r) for the statistics, O(log n) heap work per edit, and
// amortised O(1) merge scanning (the scan starts where the last one stopped, as in drop_merge).
#pragma once

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <string>
#include <utility>
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
    me.seq = s.entry(id).seq;
    me.admitted = true;
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
      const entry_id gone = heap_.pop();
      info_[gone].admitted = false;  // its slot no longer describes a held entry
      s.erase(gone);
    }
  }

  // Checkpoint state (memory/memory_checkpoint.hpp, io/state_file.hpp's archive). Entries are
  // named by seq: after loading, the checkpoint calls rebind() on the restored store.
  static constexpr const char* state_kind = "peak_preserving";
  template <class A>
  void visit_state(A& a) {
    if (stats_.window() != window) stats_ = trailing_robust_z(window);
    a.param("radius", radius);
    a.nested("stats", stats_);
    std::vector<std::uint64_t> hseq, sseq;
    std::vector<double> hs, zs, sc;
    std::vector<std::uint8_t> fl;
    std::int64_t pend = -1;
    if constexpr (!A::loading) {
      for (const seen& h : hist_) {
        hseq.push_back(h.seq);
        hs.push_back(h.surprise);
      }
      // the held entries' slots in admission order (independent of ids, which a restore renumbers)
      std::vector<const slot*> held;
      for (const slot& x : info_)
        if (x.admitted) held.push_back(&x);
      std::sort(held.begin(), held.end(), [](const slot* u, const slot* v) { return u->seq < v->seq; });
      for (const slot* xp : held) {
        const slot& x = *xp;
        sseq.push_back(x.seq);
        zs.push_back(x.z_stream);
        sc.push_back(x.score);
        fl.push_back(static_cast<std::uint8_t>((x.peak ? 1 : 0) | (x.final ? 2 : 0)));
      }
      if (pending_ != no_entry) pend = static_cast<std::int64_t>(info_[pending_].seq);
    }
    a.field("hist.seq", hseq);
    a.field("hist.surprise", hs);
    a.field("slot.seq", sseq);
    a.field("slot.z_stream", zs);
    a.field("slot.score", sc);
    a.field("slot.flags", fl);
    a.field("pending_seq", pend);
    if constexpr (A::loading) {
      a.require(hseq.size() == hs.size() && hseq.size() <= 2 * radius + 1, "hist.seq",
                "history longer than 2 * radius + 1 or of mismatched lengths");
      a.require(sseq.size() == zs.size() && sseq.size() == sc.size() && sseq.size() == fl.size(), "slot.seq",
                "slot fields of mismatched lengths");
      bool ok = true;
      for (double v : hs) ok = ok && std::isfinite(v);
      for (std::size_t i = 0; i < zs.size(); ++i) ok = ok && std::isfinite(zs[i]) && std::isfinite(sc[i]) && fl[i] < 4;
      a.require(ok, "slot.score", "a non-finite surprise or score, or flags other than bits 1 and 2");
      a.require(pend >= -1, "pending_seq", "must be -1 (none) or an admission number");
      hist_.clear();
      for (std::size_t i = 0; i < hseq.size(); ++i) hist_.push_back({no_entry, hseq[i], hs[i]});
      loaded_.clear();
      for (std::size_t i = 0; i < sseq.size(); ++i) {
        slot x;
        x.seq = sseq[i];
        x.z_stream = zs[i];
        x.score = sc[i];
        x.peak = (fl[i] & 1) != 0;
        x.final = (fl[i] & 2) != 0;
        x.admitted = true;
        loaded_.push_back(x);
      }
      loaded_pending_ = pend;
    }
  }
  // "" when the loaded state describes every unprotected entry of `live_seqs` (the restored
  // long-term entries' admission numbers) and its pending entry is one of them; else why not.
  [[nodiscard]] std::string state_mismatch(const std::vector<std::uint64_t>& live_seqs) const {
    std::vector<std::uint64_t> have;
    for (const slot& x : loaded_) have.push_back(x.seq);
    std::sort(have.begin(), have.end());
    if (std::adjacent_find(have.begin(), have.end()) != have.end()) return "two slots describe one entry";
    for (auto q : live_seqs)
      if (!std::binary_search(have.begin(), have.end(), q))
        return "no slot for the entry admitted as " + std::to_string(q);
    if (loaded_pending_ >= 0 &&
        !std::binary_search(live_seqs.begin(), live_seqs.end(), static_cast<std::uint64_t>(loaded_pending_)))
      return "the pending entry is not held";
    return {};
  }
  // Places the loaded state onto `s`'s entry ids (after state_mismatch returned ""): slots, the
  // eviction heap (every unprotected entry, keyed by score then seq, as on_admit/merge leave it),
  // the history's ids and the pending entry.
  void rebind(const long_term_store& s) {
    std::vector<std::pair<std::uint64_t, entry_id>> ids;  // seq -> id of the restored entries
    for (entry_id id = s.head(); id != no_entry; id = s.next(id))
      if (!s.entry(id).is_protected) ids.push_back({s.entry(id).seq, id});
    std::sort(ids.begin(), ids.end());
    auto find = [&](std::uint64_t q) {
      const auto it = std::lower_bound(ids.begin(), ids.end(), std::pair<std::uint64_t, entry_id>{q, 0});
      return it != ids.end() && it->first == q ? it->second : no_entry;
    };
    info_.assign(s.slot_count(), slot{});
    heap_.clear();
    for (const slot& x : loaded_) {
      const entry_id id = find(x.seq);
      if (id == no_entry) continue;
      info_[id] = x;
      heap_.set(id, {x.score, x.seq});
    }
    for (seen& h : hist_) h.id = find(h.seq);
    pending_ = loaded_pending_ >= 0 ? find(static_cast<std::uint64_t>(loaded_pending_)) : no_entry;
    loaded_.clear();
    loaded_pending_ = -1;
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
    std::uint64_t seq = 0;  // admission number of the entry the slot describes
    bool admitted = false;  // the slot describes an admitted entry (not a protected one, not unused)
  };
  // loaded by visit_state, placed onto the restored store's ids by rebind()
  std::vector<slot> loaded_;
  std::int64_t loaded_pending_ = -1;
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
    const entry_id gone = s.merge_next(a);
    info_[gone].admitted = false;
    heap_.erase(gone);
    heap_.set(a, {x.score, s.entry(a).seq});
  }
};

static_assert(consolidation_policy<peak_preserving>);

}  // namespace predsense
