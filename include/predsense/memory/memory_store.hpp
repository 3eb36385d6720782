// predsense/memory/memory_store.hpp - surprise-driven memory for unbounded streams: a sensory
// window of the newest frames in front of a long-term store held within a token budget.
//
// A frame leaving the window is compressed (or not), appended to long-term memory, and the
// consolidation policy brings the store back within budget. Both steps are template parameters.
// The defaults, pool_relative + peak_preserving, take every threshold relative to the stream's own
// surprise (robust z-scores), so they hold for any encoder, and keep single-frame events (an object
// seen once) that Cambrian-S's drop_merge folds away (docs/memory.md, real-footage recall).
// Cambrian-S (VSR) behaviour, the reference the replay tests check bit for bit:
//   memory_store<pool_when_unsurprising, drop_merge> mem({.window = 32, .budget = 8192},
//                                                       {.threshold = 0.35}, drop_merge{0.35});
//   // or make_cambrian_memory(0.35, {.window = 32, .budget = 8192})
//   mem.push(frame, surprise);   // per frame, O(log n) + the O(T*D) copy/pool of that frame
//   mem.window().tokens_view();  // the window as one contiguous tokens x dim span (no copy)
//   mem.flush();                 // end of stream: the window joins long-term memory (reference)
// A frame leaving the window is admitted by reference to its window slot; its tensor is made
// (copied or pooled) only if consolidation keeps it, and a merge reads it in place.
// Memory held never exceeds (budget + one frame) tokens in the store plus the window (checked in
// debug builds, or with PREDSENSE_MEMORY_CHECKS defined).
#pragma once

#include <concepts>
#include <algorithm>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <type_traits>
#include <utility>

#include "predsense/core/error.hpp"
#include "predsense/core/frame_view.hpp"
#include "predsense/memory/policies/compression_policy.hpp"
#include "predsense/memory/policies/consolidation_policy.hpp"
#include "predsense/memory/policies/drop_merge.hpp"
#include "predsense/memory/policies/peak_preserving.hpp"
#include "predsense/memory/policies/pool_relative.hpp"
#include "predsense/memory/long_term_store.hpp"
#include "predsense/memory/memory_entry.hpp"
#include "predsense/memory/sensory_window.hpp"
#include "predsense/memory/storage/tensor_block.hpp"

#if !defined(NDEBUG) && !defined(PREDSENSE_MEMORY_CHECKS)
#define PREDSENSE_MEMORY_CHECKS 1
#endif

namespace predsense {

// One entry as memory_store::for_each shows it; key() is computed on first use and cached.
struct memory_item {
  const memory_entry& entry;
  frame_view data;
  bool in_window = false;
  const long_term_store* store = nullptr;
  entry_id id = no_entry;
  const window_slot* slot = nullptr;
  [[nodiscard]] const float* key() const { return slot ? slot->key() : store->key(id); }
};

struct memory_params {
  std::size_t window = 32;    // sensory_window_size: newest frames kept at full resolution
  std::size_t budget = 8192;  // consolidation_mem_budget: long-term tokens, prompt included
  // false: the window's ring is a plain buffer compacted when it runs out instead of a ring
  // mapped twice (same contents and views; for systems without memfd, and for tests).
  bool mirror_window = true;
};

// A square grid for a perfect-square token count (64 -> 8x8), else one row of tokens.
[[nodiscard]] inline grid_shape default_grid(std::size_t tokens) noexcept {
  auto r = static_cast<std::size_t>(std::sqrt(static_cast<double>(tokens)));
  while (r * r > tokens) --r;
  while ((r + 1) * (r + 1) <= tokens) ++r;
  return r * r == tokens ? grid_shape{r, r} : grid_shape{1, tokens};
}

template <compression_policy Compression = pool_relative, consolidation_policy Consolidation = peak_preserving>
class memory_store {
 public:
  using compression_type = Compression;
  using consolidation_type = Consolidation;

  memory_store() : memory_store(memory_params{}) {}
  template <std::same_as<memory_params> Params = memory_params>
  explicit memory_store(const Params& cfg, Compression c = {}, Consolidation p = {})
      : cfg_(cfg),
        compress_(std::move(c)),
        policy_(std::move(p)),
        window_(cfg.window, cfg.mirror_window),
        store_(cfg.budget) {}

  // ---- streaming -----------------------------------------------------------------------------
  // Takes in one frame (copied) with its surprise; returns its frame index. `grid` defaults to
  // default_grid(tokens); `timestamp` to the frame index (1 fps). Errors: shape_error for a frame
  // that does not fit the grid or the memory's dim; non_finite_error for a NaN/Inf surprise or timestamp.
  std::uint64_t push(const frame_view& f, double surprise, grid_shape grid = {}, std::optional<double> timestamp = {}) {
    check_frame(f, grid, "push");
    if (!std::isfinite(surprise))
      throw non_finite_error("predsense: memory_store::push: surprise of frame " + std::to_string(frames_seen_) +
                             " is " + std::to_string(surprise));
    if (timestamp && !std::isfinite(*timestamp))  // a checkpoint would refuse it at load
      throw non_finite_error("predsense: memory_store::push: timestamp of frame " + std::to_string(frames_seen_) +
                             " is " + std::to_string(*timestamp));
    memory_entry e;
    e.frame = frames_seen_++;
    e.timestamp = timestamp.value_or(static_cast<double>(e.frame));
    e.surprise = surprise;
    e.tokens = f.tokens;
    e.grid = grid;
    e.merged.assign(1, e.frame);
    if (cfg_.window == 0) {  // no sensory window: straight to long-term memory
      to_long_term(std::move(e), f, {});
      return frames_seen_ - 1;
    }
    if (window_.full()) evict_window_front();
    window_.push(std::move(e), f);
    note_peak();
    return frames_seen_ - 1;
  }

  // A prompt/text entry (tokens x dim latents): goes straight to long-term memory and is never
  // evicted or merged. The reference puts the question prompt first, before any frame.
  entry_id add_protected(const frame_view& f, grid_shape grid = {}) {
    check_frame(f, grid, "add_protected");
    if (store_.protected_tokens() + f.tokens > cfg_.budget)
      throw invalid_argument_error(
          "predsense: memory_store::add_protected: " + std::to_string(store_.protected_tokens() + f.tokens) +
          " protected tokens exceed the budget of " + std::to_string(cfg_.budget));
    memory_entry e;
    e.frame = protected_frame;
    e.timestamp = -1.0;
    e.surprise = 1.0;  // the reference scores the text entry 1.0
    e.tokens = f.tokens;
    e.grid = grid;
    e.is_protected = true;
    const grid_shape g = e.grid;
    return admit(std::move(e), tensor_source{f, g}, {});
  }

  // End of stream (reference: before answering): every window frame goes to long-term memory,
  // oldest first, through the same compression and consolidation.
  void flush() {
    while (!window_.empty()) evict_window_front();
  }

  void clear() {
    window_.clear();
    store_.clear();
    policy_.reset();
    frames_seen_ = 0;
    dim_ = 0;
    peak_bytes_ = 0;
  }

  // ---- inspection ----------------------------------------------------------------------------
  [[nodiscard]] const memory_params& params() const noexcept { return cfg_; }
  [[nodiscard]] const Compression& compression() const noexcept { return compress_; }
  [[nodiscard]] const Consolidation& consolidation() const noexcept { return policy_; }
  [[nodiscard]] Consolidation& consolidation() noexcept { return policy_; }
  [[nodiscard]] const long_term_store& long_term() const noexcept { return store_; }
  [[nodiscard]] const sensory_window& window() const noexcept { return window_; }
  [[nodiscard]] std::uint64_t frames_seen() const noexcept { return frames_seen_; }
  [[nodiscard]] std::size_t dim() const noexcept { return dim_; }
  [[nodiscard]] std::size_t tokens() const noexcept { return store_.tokens() + window_.tokens(); }
  // Tensor bytes allocated now: live long-term entries, their spare buffers, window slots.
  [[nodiscard]] std::size_t bytes_reserved() const noexcept {
    return store_.bytes_held() + store_.bytes_spare() + window_.bytes_reserved();
  }
  [[nodiscard]] std::size_t peak_bytes_reserved() const noexcept { return peak_bytes_; }
  // Frame bytes read and written so far by what the semantics require: window copies, tensors
  // made for kept entries, merges (memory_traffic.hpp). The floor of any implementation.
  [[nodiscard]] memory_traffic traffic() const noexcept { return window_.traffic() + store_.traffic(); }

  // Visits every entry in time order: long-term first, then the window (oldest to newest).
  // f(const memory_item&).
  template <class F>
  void for_each(F&& f) const {
    for (entry_id id = store_.head(); id != no_entry; id = store_.next(id))
      f(memory_item{store_.entry(id), store_.data(id), false, &store_, id, nullptr});
    for (std::size_t i = 0; i < window_.size(); ++i) {
      const window_slot& s = window_.at(i);
      f(memory_item{s.meta, s.data, true, nullptr, no_entry, &s});
    }
  }

  // ---- checkpoint restore hooks (memory_checkpoint.hpp) ---------------------------------------
  struct restore_access {
    static void begin(memory_store& m, std::uint64_t frames_seen, std::size_t dim, std::uint64_t next_seq) {
      m.clear();
      m.frames_seen_ = frames_seen;
      m.dim_ = dim;
      m.store_.set_next_seq(next_seq);
    }
    static void long_term(memory_store& m, memory_entry e, const frame_view& data) {
      const entry_id id = m.store_.restore(std::move(e), detail::tensor_block(data));
      m.policy_.on_admit(m.store_, id);
    }
    static void window(memory_store& m, memory_entry e, const frame_view& data) { m.window_.push(std::move(e), data); }
    static Compression& compression(memory_store& m) noexcept { return m.compress_; }
    static Consolidation& consolidation(memory_store& m) noexcept { return m.policy_; }
    static const long_term_store& store(const memory_store& m) noexcept { return m.store_; }
    static void finish(memory_store& m, std::uint64_t next_seq) {
      m.store_.set_next_seq(next_seq);
      m.note_peak();
    }
  };

  // Frame index given to protected entries (they are not stream frames).
  static constexpr std::uint64_t protected_frame = ~std::uint64_t{0};

 private:
  memory_params cfg_;
  Compression compress_;
  Consolidation policy_;
  sensory_window window_;
  long_term_store store_;
  std::uint64_t frames_seen_ = 0;
  std::size_t dim_ = 0;
  std::size_t peak_bytes_ = 0;
  std::uint64_t admissions_ = 0;  // unconditional: the layout must not depend on NDEBUG (ODR)

  void check_frame(const frame_view& f, grid_shape& grid, const char* op) {
    detail::require_non_empty(f, "memory frame");
    // sizes from the caller: a wrapped product would let pooling and copies run past the frame
    (void)checked_mul(f.tokens, f.dim, std::string("memory_store::") + op + ": frame tokens x dim");
    if (grid.rows == 0 && grid.cols == 0) grid = default_grid(f.tokens);
    if (grid.checked_tokens(std::string("memory_store::") + op + ": grid rows x cols") != f.tokens)
      throw shape_error(std::string("predsense: memory_store::") + op + ": grid " + std::to_string(grid.rows) + "x" +
                        std::to_string(grid.cols) + " does not match a frame of " + std::to_string(f.tokens) +
                        " tokens");
    if (dim_ == 0) dim_ = f.dim;
    if (f.dim != dim_)
      throw shape_error(std::string("predsense: memory_store::") + op + ": frame is " +
                        detail::shape_str(f.tokens, f.dim) + " but the memory holds dim " + std::to_string(dim_));
  }

  void note_peak() noexcept { peak_bytes_ = std::max(peak_bytes_, bytes_reserved()); }

  // The oldest window frame leaves for long-term memory. It is admitted by reference to its
  // window slot and its tensor made (copied or compressed) only if consolidation keeps it.
  void evict_window_front() {
    window_slot& s = window_.front();
    detail::tensor_block key;  // a key already computed in the window travels with the frame
    if (s.key_valid) {
      key = std::exchange(s.key_, detail::tensor_block());
      s.key_valid = false;
    }
    to_long_term(s.meta, s.data, std::move(key));
    window_.pop_front();
  }

  // Compression, admission and consolidation of one frame (`f` stays valid during the call).
  entry_id to_long_term(memory_entry e, const frame_view& f, detail::tensor_block&& key) {
    const grid_shape target = compress_.target(e.surprise, e.grid);
    tensor_source src{f, e.grid};
    if (!(target == e.grid)) {
      src.make = [](const void* c, const frame_view& in, grid_shape g, float* out) {
        static_cast<const Compression*>(c)->compress(in, g, out);
      };
      src.ctx = &compress_;
      e.compressed = true;
      e.tokens = target.tokens();
      e.grid = target;
      key = detail::tensor_block();  // the key of the compressed tensor is computed when needed
    }
    return admit(std::move(e), src, std::move(key));
  }

  entry_id admit(memory_entry e, const tensor_source& src, detail::tensor_block&& key) {
    const entry_id id = store_.append_pending(std::move(e), src, std::move(key));
    try {
      policy_.on_admit(store_, id);
      note_peak();  // the transient peak: the new entry is in, nothing evicted yet
      policy_.consolidate(store_);
    } catch (...) {
      store_.settle();  // never leave an entry pointing at a frame the caller will reuse
      throw;
    }
    store_.settle();
    check_invariants();
    return store_.alive(id) ? id : no_entry;
  }

  void check_invariants() {
#ifdef PREDSENSE_MEMORY_CHECKS
    if (store_.tokens() > cfg_.budget)
      throw error("predsense: memory invariant violated: " + std::string(Consolidation::name) + " left " +
                  std::to_string(store_.tokens()) + " long-term tokens over a budget of " +
                  std::to_string(cfg_.budget));
    if ((++admissions_ & 255u) == 0) {  // full recount now and then (O(n)): the counters are right
      std::size_t tokens = 0, n = 0;
      std::uint64_t last_seq = 0;
      bool first = true;
      store_.for_each([&](entry_id, const memory_entry& me) {
        tokens += me.tokens;
        ++n;
        if (!first && me.seq <= last_seq) throw error("predsense: memory invariant violated: list out of order");
        first = false;
        last_seq = me.seq;
      });
      if (tokens != store_.tokens() || n != store_.size())
        throw error("predsense: memory invariant violated: token/entry counters disagree with the list");
    }
#endif
  }
};

// The Cambrian-S configuration: one surprise threshold for pooling and merging.
template <consolidation_policy Consolidation = drop_merge>
[[nodiscard]] inline memory_store<pool_when_unsurprising, Consolidation> make_cambrian_memory(
    double threshold, memory_params cfg = {}, Consolidation policy = Consolidation{}) {
  if constexpr (std::is_same_v<Consolidation, drop_merge>) policy.threshold = threshold;
  return memory_store<pool_when_unsurprising, Consolidation>(
      cfg, pool_when_unsurprising{threshold, 2, pool_edge::floor}, std::move(policy));
}

}  // namespace predsense
