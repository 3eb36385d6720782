// predsense/memory/sensory_window.hpp - the newest W frames at full resolution (Cambrian-S
// sensory_window_size, default 32), stored back to back in one ring of tokens.
//
// The frames held are always one contiguous tokens() x dim span (tokens_view()): the model input
// the reference rebuilds with a concatenation every frame is here at no cost, because the ring is
// mapped twice in a row (mirrored_buffer). A frame pushed into a full window is the caller's cue
// to take the oldest one out first (memory_store moves it to long-term memory). A steady stream
// copies each frame once and allocates nothing; the ring grows only if frames get larger.
#pragma once

#include <algorithm>
#include <cstddef>
#include <cstring>
#include <numeric>
#include <string>
#include <utility>
#include <vector>

#include "predsense/core/checked_size.hpp"
#include "predsense/core/error.hpp"
#include "predsense/core/frame_view.hpp"
#include "predsense/memory/long_term_store.hpp"
#include "predsense/memory/memory_entry.hpp"
#include "predsense/memory/memory_traffic.hpp"
#include "predsense/memory/storage/mirrored_buffer.hpp"
#include "predsense/memory/storage/tensor_block.hpp"

namespace predsense {

struct window_slot {
  memory_entry meta;
  frame_view data;      // tokens x dim, inside the window's ring (valid until the frame leaves)
  std::size_t pos = 0;  // first token's index in the ring
  // Token mean of data (1 x dim), computed on first use (see long_term_store).
  [[nodiscard]] const float* key() const {
    if (!key_valid) {
      key_.reshape(1, data.dim);
      detail::token_mean(data, key_.data());
      key_valid = true;
    }
    return key_.data();
  }
  mutable detail::tensor_block key_;
  mutable bool key_valid = false;
};

class sensory_window {
 public:
  // `mirror` false forces the portable layout (a plain 2x buffer, compacted when it runs out):
  // the same contents and views, one extra copy per frame at most.
  // Slots and ring grow with the frames that arrive (up to `capacity`), not with what `capacity`
  // promises: a window of 10^12 frames costs nothing until frames come.
  sensory_window() : sensory_window(32) {}
  explicit sensory_window(std::size_t capacity, bool mirror = true)
      : slots_(std::min(capacity, initial_slots)), capacity_(capacity), mirror_(mirror) {}

  [[nodiscard]] std::size_t capacity() const noexcept { return capacity_; }
  [[nodiscard]] std::size_t size() const noexcept { return size_; }
  [[nodiscard]] bool empty() const noexcept { return size_ == 0; }
  [[nodiscard]] bool full() const noexcept { return size_ == capacity_; }
  [[nodiscard]] std::size_t tokens() const noexcept { return tokens_; }
  [[nodiscard]] std::size_t dim() const noexcept { return dim_; }
  // Bytes of the ring (allocated at the first push, kept for reuse); a mirrored ring counts once.
  [[nodiscard]] std::size_t bytes_reserved() const noexcept { return ring_.bytes(); }
  [[nodiscard]] bool mirrored() const noexcept { return ring_.mirrored(); }
  // Bytes copied in by push() so far (memory_traffic.hpp); not reset by clear().
  [[nodiscard]] const memory_traffic& traffic() const noexcept { return traffic_; }

  // i-th oldest frame held (0 = oldest).
  [[nodiscard]] const window_slot& at(std::size_t i) const noexcept { return slots_[(head_ + i) % slots_.size()]; }
  [[nodiscard]] window_slot& front() noexcept { return slots_[head_]; }

  // Every frame held, oldest first, as one tokens() x dim span - no copy. Valid until the next
  // push, pop_front or clear.
  [[nodiscard]] frame_view tokens_view() const noexcept {
    return tokens_ == 0 ? frame_view() : frame_view(ring_.data() + start_ * dim_, tokens_, dim_);
  }

  void push(memory_entry meta, const frame_view& f) {
    if (full())
      throw invalid_argument_error("predsense: sensory_window::push into a full window of " +
                                   std::to_string(capacity()) + " frames (pop_front first)");
    if (f.tokens != meta.tokens)
      throw shape_error("predsense: sensory_window::push: entry claims " + std::to_string(meta.tokens) +
                        " tokens but the frame is " + detail::shape_str(f.tokens, f.dim));
    if (empty() && f.dim != dim_) {  // a new dim starts a new ring
      ring_ = detail::mirrored_buffer();
      dim_ = f.dim;
    }
    if (f.dim != dim_)
      throw shape_error("predsense: sensory_window::push: frame is " + detail::shape_str(f.tokens, f.dim) +
                        " but the window holds dim " + std::to_string(dim_));
    if (size_ == slots_.size()) grow_slots();
    reserve_for(f.tokens);
    // Mirrored: frames are addressed from the first copy (pos < R), so a stream whose frames tile
    // the ring never touches - never faults in - the mirror's pages; a frame that runs past R
    // continues in the mirror. Only tokens_view() reads through the mirror.
    std::size_t pos = start_ + tokens_;
    if (ring_.mirrored()) {
      pos %= ring_tokens();
    } else if (pos + f.tokens > 2 * ring_tokens()) {
      compact();
      pos = tokens_;
    }
    float* dst = ring_.data() + pos * dim_;
    std::memcpy(dst, f.data, f.size() * sizeof(float));
    traffic_.bytes_read += f.size() * sizeof(float);
    traffic_.bytes_written += f.size() * sizeof(float);
    window_slot& s = slots_[(head_ + size_) % slots_.size()];
    s.data = frame_view(dst, f.tokens, dim_);
    s.pos = pos;
    s.key_valid = false;
    s.meta = std::move(meta);
    tokens_ += f.tokens;
    ++size_;
  }

  // Drops the oldest frame (after the caller has taken what it needs from front()).
  void pop_front() noexcept {
    const std::size_t t = slots_[head_].meta.tokens;
    tokens_ -= t;
    start_ += t;
    head_ = (head_ + 1) % slots_.size();
    if (ring_.mirrored()) start_ %= ring_tokens();
    if (--size_ == 0) start_ = 0;
  }

  void clear() noexcept { head_ = size_ = tokens_ = start_ = 0; }

 private:
  static constexpr std::size_t initial_slots = 64;
  std::vector<window_slot> slots_;  // a ring of slots_.size() <= capacity_ slots
  std::size_t capacity_ = 0;
  bool mirror_ = true;
  detail::mirrored_buffer ring_;
  std::size_t dim_ = 0;
  std::size_t head_ = 0;  // slot of the oldest frame
  memory_traffic traffic_;
  std::size_t size_ = 0;
  std::size_t tokens_ = 0;
  std::size_t start_ = 0;  // ring index of the oldest frame's first token

  [[nodiscard]] std::size_t ring_tokens() const noexcept { return dim_ == 0 ? 0 : ring_.capacity() / dim_; }

  // Makes room for `more` tokens after those held: the first push sizes the ring for a full
  // window of frames like this one; a larger frame later grows it (frames are moved, in order).
  void reserve_for(std::size_t more) {
    const std::size_t need = tokens_ + more;
    if (!ring_.empty() && need <= ring_tokens()) return;
    // sized for up to initial_slots frames like this one; a longer window grows geometrically
    const std::size_t frames = std::min(capacity(), initial_slots);
    const std::size_t want = std::max({need, checked_mul(frames, more, "sensory window ring"), 2 * ring_tokens()});
    (void)checked_mul(want, dim_, "sensory window ring tokens x dim");
    detail::mirrored_buffer next = make_ring(want);
    if (tokens_ != 0) std::memcpy(next.data(), tokens_view().data, tokens_ * dim_ * sizeof(float));
    ring_ = std::move(next);
    rebase_to_front();
  }

  [[nodiscard]] detail::mirrored_buffer make_ring(std::size_t want_tokens) const {
    // A mirrored ring must be whole pages; when rounding up to pages would waste more than a
    // quarter (tiny windows, odd dims), the plain layout is the smaller one.
    const std::size_t page = detail::mirrored_buffer::page_floats();
    const std::size_t step = page / std::gcd(page, dim_);
    const std::size_t mirrored_tokens = (want_tokens + step - 1) / step * step;
    if (mirror_ && mirrored_tokens <= want_tokens + want_tokens / 4) {
      detail::mirrored_buffer b(mirrored_tokens * dim_, true);
      if (b.mirrored()) return b;
    }
    return detail::mirrored_buffer(want_tokens * dim_, false);
  }

  // Full ring of slots below capacity: unroll it (oldest first) and double it.
  void grow_slots() {
    std::rotate(slots_.begin(), slots_.begin() + static_cast<std::ptrdiff_t>(head_), slots_.end());
    head_ = 0;
    slots_.resize(std::min(capacity_, std::max<std::size_t>(1, 2 * slots_.size())));
  }

  // Plain layout ran out at the end: move the frames held to the front (amortised: at most one
  // extra copy of each token, as the buffer is twice the ring).
  void compact() noexcept {
    if (start_ == 0) return;
    std::memmove(ring_.data(), ring_.data() + start_ * dim_, tokens_ * dim_ * sizeof(float));
    rebase_to_front();
  }

  // The frames held now start at index 0, back to back in time order.
  void rebase_to_front() noexcept {
    std::size_t p = 0;
    for (std::size_t i = 0; i < size_; ++i) {
      window_slot& s = slots_[(head_ + i) % slots_.size()];
      s.pos = p;
      s.data = frame_view(ring_.data() + p * dim_, s.data.tokens, dim_);
      p += s.data.tokens;
    }
    start_ = 0;
  }
};

}  // namespace predsense
