// predsense/memory/long_term_store.hpp - the long-term half of the memory: entries in time order
// (a doubly linked list over reusable slots) with a running token count against a budget.
//
// The store only keeps entries and offers O(1) edits (append at the tail, erase, merge with the
// next entry); *which* entries to evict or merge is decided by a consolidation policy, which keeps
// its own O(log n) index and calls these edits. Tensors are owned here; buffers freed by evictions
// are kept in a small spare pool so a steady stream reuses memory instead of reallocating.
// An entry can be admitted *pending*: by reference to a frame the caller keeps alive until
// settle(), with the rule that makes its tensor (a copy, or a compression). Consolidation often
// evicts or merges the newest entry at once (on the Cambrian-S 4-hour stream: 40% of pooled
// frames are evicted and 90% of full frames merged on admission), so its tensor is only made
// if it survives, and a merge reads the pending frame in place.
// An entry's pooled key (mean over its tokens, for retrieval and similarity policies) is computed
// on first use and cached: most entries are never asked for one, and a stream should not pay a
// pass over every frame for it. The key is always the token mean of the entry's current data, so
// it is a pure function of the tensor (merges and pooling just drop the cached value). Const
// accessors that fill this cache are not safe to call from several threads at once.
#pragma once

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "predsense/core/error.hpp"
#include "predsense/core/frame_view.hpp"
#include "predsense/memory/memory_traffic.hpp"
#include "predsense/kernels/average_into.hpp"
#include "predsense/kernels/token_sum.hpp"
#include "predsense/memory/storage/block_arena.hpp"
#include "predsense/memory/memory_entry.hpp"
#include "predsense/memory/storage/tensor_block.hpp"

namespace predsense {

namespace detail {
// Mean over tokens: the entry's pooled key for retrieval and similarity-based policies.
inline void token_mean(const frame_view& f, float* out) noexcept { kernels::token_mean(f.data, f.tokens, f.dim, out); }
}  // namespace detail

// Where a pending entry's tensor comes from: `src` (grid `grid`) copied as it is when `make` is
// null, otherwise make(ctx, src, grid, out) writes the entry's tokens x dim floats to `out`.
struct tensor_source {
  frame_view src;
  grid_shape grid;
  void (*make)(const void* ctx, const frame_view& src, grid_shape grid, float* out) = nullptr;
  const void* ctx = nullptr;
};

class long_term_store {
 public:
  // How many freed buffers to keep for reuse; more would be memory held outside the budget.
  static constexpr std::size_t max_spare_per_shape = 8;

  long_term_store() : long_term_store(8192) {}
  explicit long_term_store(std::size_t budget_tokens) : budget_(budget_tokens) {}

  // ---- queries -------------------------------------------------------------------------------
  [[nodiscard]] std::size_t budget() const noexcept { return budget_; }
  [[nodiscard]] std::size_t tokens() const noexcept { return tokens_; }
  [[nodiscard]] std::size_t protected_tokens() const noexcept { return protected_tokens_; }
  [[nodiscard]] bool over_budget() const noexcept { return tokens_ > budget_; }
  [[nodiscard]] std::size_t size() const noexcept { return size_; }
  [[nodiscard]] bool empty() const noexcept { return size_ == 0; }
  [[nodiscard]] entry_id head() const noexcept { return head_; }
  [[nodiscard]] entry_id tail() const noexcept { return tail_; }
  [[nodiscard]] entry_id next(entry_id id) const noexcept { return nodes_[id].next; }
  [[nodiscard]] entry_id prev(entry_id id) const noexcept { return nodes_[id].prev; }
  [[nodiscard]] bool alive(entry_id id) const noexcept { return id < nodes_.size() && nodes_[id].live; }
  // One past the largest slot id ever used: policies size their per-slot tables with it.
  [[nodiscard]] std::size_t slot_count() const noexcept { return nodes_.size(); }
  [[nodiscard]] const memory_entry& entry(entry_id id) const noexcept { return nodes_[id].meta; }
  // A pending copy is read in place (its source); a pending compression is made now.
  [[nodiscard]] frame_view data(entry_id id) const {
    const node& n = nodes_[id];
    if (n.pending) {
      if (!n.source.make) return n.source.src;
      materialize(id);
    }
    return n.data.view();
  }
  [[nodiscard]] bool pending(entry_id id) const noexcept { return nodes_[id].pending; }
  [[nodiscard]] const float* key(entry_id id) const {
    const node& n = nodes_[id];
    if (!n.key_valid) {
      n.key.reshape(1, dim_);
      detail::token_mean(data(id), n.key.data());
      n.key_valid = true;
    }
    return n.key.data();
  }
  [[nodiscard]] std::size_t dim() const noexcept { return dim_; }
  // Bytes of tensor data held by live entries (keys, a few KB each, not counted), and spare.
  [[nodiscard]] std::size_t bytes_held() const noexcept { return floats_ * sizeof(float); }
  // Bytes made (copied or pooled) and merged so far (memory_traffic.hpp); not reset by clear().
  [[nodiscard]] const memory_traffic& traffic() const noexcept { return traffic_; }
  // Bytes of the huge-page region ever handed out (its touched extent, fragmentation included);
  // blocks beyond it come from the heap.
  [[nodiscard]] std::size_t arena_high_water() const noexcept { return arena_ ? arena_->high_water() : 0; }
  [[nodiscard]] std::size_t bytes_spare() const noexcept {
    std::size_t n = 0;
    for (const auto& b : spare_) n += b.size();
    return n * sizeof(float);
  }

  // Two neighbours may be merged when neither is protected and their tensors have one shape.
  [[nodiscard]] bool mergeable(entry_id a, entry_id b) const noexcept {
    if (a == no_entry || b == no_entry) return false;
    const auto& x = nodes_[a].meta;
    const auto& y = nodes_[b].meta;
    return !x.is_protected && !y.is_protected && x.grid == y.grid && x.tokens == y.tokens;
  }

  template <class F>
  void for_each(F&& f) const {
    for (entry_id id = head_; id != no_entry; id = nodes_[id].next) f(id, nodes_[id].meta);
  }

  // ---- edits ---------------------------------------------------------------------------------
  // Appends at the tail (the newest position). `data` is tokens x dim; `key`, if not empty, is
  // its token mean (1 x dim), already computed by the caller.
  entry_id append(memory_entry meta, detail::tensor_block&& data, detail::tensor_block&& key = {}) {
    if (data.empty() || data.tokens() != meta.tokens)
      throw shape_error("predsense: long_term_store::append: entry claims " + std::to_string(meta.tokens) +
                        " tokens but its tensor has " + std::to_string(data.tokens()));
    check_dim(data.dim(), key, "append");
    const entry_id id = link(std::move(meta), std::move(key));
    nodes_[id].data = std::move(data);
    return id;
  }

  // Appends a pending entry: its tensor is made from `source` when first needed, at the latest
  // by settle(). The caller keeps source.src alive and unchanged until then.
  entry_id append_pending(memory_entry meta, const tensor_source& source, detail::tensor_block&& key = {}) {
    if (source.src.empty() || (!source.make && source.src.tokens != meta.tokens))
      throw shape_error("predsense: long_term_store::append_pending: entry claims " + std::to_string(meta.tokens) +
                        " tokens but its source frame is " + detail::shape_str(source.src.tokens, source.src.dim));
    check_dim(source.src.dim, key, "append_pending");
    const entry_id id = link(std::move(meta), std::move(key));
    nodes_[id].source = source;
    nodes_[id].pending = true;
    pending_ids_.push_back(id);
    return id;
  }

  // Makes the tensors of all pending entries still alive: after this no entry refers to a
  // caller's frame.
  void settle() {
    for (const entry_id id : pending_ids_)
      if (nodes_[id].live) materialize(id);
    pending_ids_.clear();
  }

  // Removes an entry (never a protected one: that is a policy bug, reported as such).
  void erase(entry_id id) {
    require_alive(id, "erase");
    node& n = nodes_[id];
    if (n.meta.is_protected)
      throw invalid_argument_error("predsense: long_term_store::erase: entry of frame " + std::to_string(n.meta.frame) +
                                   " is protected (prompt/text entries are never evicted)");
    unlink(id);
  }

  // Merges next(id) into id the way the Cambrian-S reference does: tensors, keys and surprise
  // become the pair's average, the token count stays id's, and the merged frame lists join.
  // Returns the slot that was freed.
  entry_id merge_next(entry_id id) {
    require_alive(id, "merge_next");
    const entry_id nx = nodes_[id].next;
    if (!mergeable(id, nx))
      throw invalid_argument_error("predsense: long_term_store::merge_next: entry of frame " +
                                   std::to_string(nodes_[id].meta.frame) +
                                   " cannot merge with its successor (protected, missing, or "
                                   "another token grid)");
    materialize(id);                    // `id` is written: it needs a tensor of its own
    const frame_view other = data(nx);  // a pending copy is read where it is
    node& a = nodes_[id];
    const node& b = nodes_[nx];
    kernels::average_into(a.data.data(), other.data, a.data.size());
    traffic_.bytes_read += 2 * a.data.size() * sizeof(float);
    traffic_.merge_bytes_read += 2 * a.data.size() * sizeof(float);
    traffic_.bytes_written += a.data.size() * sizeof(float);
    a.key_valid = false;  // recomputed from the averaged tensor when next asked for
    a.meta.surprise = (a.meta.surprise + b.meta.surprise) / 2.0;
    a.meta.merged.insert(a.meta.merged.end(), b.meta.merged.begin(), b.meta.merged.end());
    unlink(nx);
    return nx;
  }

  void clear() {
    nodes_.clear();
    free_.clear();
    pending_ids_.clear();
    spare_.clear();
    arena_.reset();  // every block is gone; the next dim may differ
    head_ = tail_ = no_entry;
    size_ = tokens_ = protected_tokens_ = floats_ = 0;
    next_seq_ = 0;
    dim_ = 0;
  }

  // Sequence number the next appended entry gets (restored by checkpoints).
  [[nodiscard]] std::uint64_t next_seq() const noexcept { return next_seq_; }
  void set_next_seq(std::uint64_t s) noexcept { next_seq_ = s; }
  // Appends with a given sequence number (checkpoint restore keeps the original tie-breaks).
  entry_id restore(memory_entry meta, detail::tensor_block&& data, detail::tensor_block&& key = {}) {
    const std::uint64_t seq = meta.seq;
    const entry_id id = append(std::move(meta), std::move(data), std::move(key));
    nodes_[id].meta.seq = seq;
    --next_seq_;
    return id;
  }

 private:
  struct node {
    memory_entry meta;
    mutable detail::tensor_block data;  // tokens x dim; empty while pending (made in data())
    mutable detail::tensor_block key;   // token mean of data, valid when key_valid
    mutable bool key_valid = false;
    mutable bool pending = false;  // tensor not made yet: it comes from `source`
    mutable tensor_source source;
    entry_id prev = no_entry;
    entry_id next = no_entry;
    bool live = false;
  };

  // Declared first, destroyed last: every block of the store may live in it. Behind a pointer so
  // blocks keep a valid arena address when the store is moved.
  mutable std::unique_ptr<detail::block_arena> arena_;
  std::vector<node> nodes_;
  std::vector<entry_id> free_;
  mutable std::vector<detail::tensor_block> spare_;  // data() of a pending entry takes one
  std::vector<entry_id> pending_ids_;
  entry_id head_ = no_entry;
  entry_id tail_ = no_entry;
  std::size_t size_ = 0;
  mutable memory_traffic traffic_;  // materialize() is const: made on first read
  std::size_t tokens_ = 0;
  std::size_t protected_tokens_ = 0;
  std::size_t floats_ = 0;
  std::size_t budget_;
  std::size_t dim_ = 0;
  std::uint64_t next_seq_ = 0;

  void require_alive(entry_id id, const char* op) const {
    if (!alive(id))
      throw invalid_argument_error(std::string("predsense: long_term_store::") + op + ": no live entry in slot " +
                                   std::to_string(id));
  }

  // The store's huge-page region, reserved (address space only) at the first tensor: room for
  // twice the budget, so spare buffers and fragmentation fit; beyond it blocks come from the heap.
  detail::block_arena* arena(std::size_t dim) const {
    if (!arena_ && dim != 0 && budget_ != 0) {
      // a budget or dim too large to reserve (the product wraps) gets no arena: heap blocks
      std::size_t bytes = 0;
      if (__builtin_add_overflow(budget_, std::size_t{256}, &bytes) ||
          __builtin_mul_overflow(bytes, 2 * sizeof(float), &bytes) || __builtin_mul_overflow(bytes, dim, &bytes))
        bytes = 0;
      arena_ = std::make_unique<detail::block_arena>(bytes);
    }
    return arena_.get();
  }

  // A tokens x dim buffer: a recycled one of that exact shape if there is one (contents are
  // stale: the caller overwrites them), otherwise a fresh one.
  [[nodiscard]] detail::tensor_block take_buffer(std::size_t tokens, std::size_t dim) const {
    for (std::size_t i = spare_.size(); i-- > 0;)
      if (spare_[i].tokens() == tokens && spare_[i].dim() == dim) {
        detail::tensor_block b = std::move(spare_[i]);
        spare_.erase(spare_.begin() + static_cast<std::ptrdiff_t>(i));
        return b;
      }
    return detail::tensor_block(tokens, dim, arena(dim));
  }
  void recycle(detail::tensor_block&& b) {
    if (b.empty()) return;
    std::size_t same = 0;
    for (const auto& x : spare_) same += (x.tokens() == b.tokens() && x.dim() == b.dim());
    if (same >= max_spare_per_shape) return;  // freed
    spare_.push_back(std::move(b));
  }

  void check_dim(std::size_t dim, const detail::tensor_block& key, const char* op) {
    if (dim_ == 0) dim_ = dim;
    if (dim != dim_ || (!key.empty() && key.size() != dim_))
      throw shape_error(std::string("predsense: long_term_store::") + op + ": dim " + std::to_string(dim) + " (key " +
                        std::to_string(key.size()) + ") but the store holds dim " + std::to_string(dim_));
  }

  // Links a new entry at the tail (its tensor is set by the caller).
  entry_id link(memory_entry meta, detail::tensor_block&& key) {
    entry_id id;
    if (!free_.empty()) {
      id = free_.back();
      free_.pop_back();
    } else {
      id = static_cast<entry_id>(nodes_.size());
      nodes_.emplace_back();
    }
    node& n = nodes_[id];
    if (meta.merged.empty()) meta.merged.push_back(meta.frame);
    meta.seq = next_seq_++;
    n.meta = std::move(meta);
    n.key = std::move(key);
    n.key_valid = !n.key.empty();
    n.live = true;
    n.prev = tail_;
    n.next = no_entry;
    if (tail_ != no_entry)
      nodes_[tail_].next = id;
    else
      head_ = id;
    tail_ = id;
    ++size_;
    tokens_ += n.meta.tokens;
    if (n.meta.is_protected) protected_tokens_ += n.meta.tokens;
    floats_ += n.meta.tokens * dim_;
    return id;
  }

  // Gives a pending entry its own tensor (a recycled buffer when there is one).
  void materialize(entry_id id) const {
    const node& n = nodes_[id];
    if (!n.pending) return;
    n.data = take_buffer(n.meta.tokens, dim_);
    if (n.source.make)
      n.source.make(n.source.ctx, n.source.src, n.source.grid, n.data.data());
    else
      std::memcpy(n.data.data(), n.source.src.data, n.source.src.size() * sizeof(float));
    traffic_.bytes_read += n.source.src.size() * sizeof(float);
    traffic_.bytes_written += n.data.size() * sizeof(float);
    n.pending = false;
    n.source = {};
  }

  void unlink(entry_id id) {
    node& n = nodes_[id];
    if (n.prev != no_entry)
      nodes_[n.prev].next = n.next;
    else
      head_ = n.next;
    if (n.next != no_entry)
      nodes_[n.next].prev = n.prev;
    else
      tail_ = n.prev;
    tokens_ -= n.meta.tokens;
    if (n.meta.is_protected) protected_tokens_ -= n.meta.tokens;
    floats_ -= n.meta.tokens * dim_;
    --size_;
    recycle(std::exchange(n.data, detail::tensor_block()));
    n.pending = false;
    n.source = {};
    n.key_valid = false;
    n.meta.merged.clear();
    n.meta.merged.shrink_to_fit();
    n.live = false;
    n.prev = n.next = no_entry;
    free_.push_back(id);
  }
};

}  // namespace predsense
