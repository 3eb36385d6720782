// predsense/memory/sensory_window.hpp - the newest W frames at full resolution (Cambrian-S
// sensory_window_size, default 32), in a ring of preallocated slots.
//
// A frame pushed into a full window is the caller's cue to take the oldest one out first (the
// memory_store moves it to long-term memory). Slots keep their buffers, so a steady stream copies
// each frame once and allocates nothing.
#pragma once

#include <algorithm>
#include <cstddef>
#include <string>
#include <utility>
#include <vector>

#include "predsense/core/error.hpp"
#include "predsense/core/frame_view.hpp"
#include "predsense/memory/long_term_store.hpp"
#include "predsense/memory/memory_entry.hpp"
#include "predsense/memory/tensor_block.hpp"

namespace predsense {

struct window_slot {
  memory_entry meta;
  detail::tensor_block data;  // tokens x dim
  // Token mean of data (1 x dim), computed on first use (see long_term_store).
  [[nodiscard]] const float* key() const {
    if (!key_valid) {
      key_.reshape(1, data.dim());
      detail::token_mean(data.view(), key_.data());
      key_valid = true;
    }
    return key_.data();
  }
  mutable detail::tensor_block key_;
  mutable bool key_valid = false;
};

class sensory_window {
 public:
  explicit sensory_window(std::size_t capacity = 32) : slots_(capacity) {}

  [[nodiscard]] std::size_t capacity() const noexcept { return slots_.size(); }
  [[nodiscard]] std::size_t size() const noexcept { return size_; }
  [[nodiscard]] bool empty() const noexcept { return size_ == 0; }
  [[nodiscard]] bool full() const noexcept { return size_ == slots_.size(); }
  [[nodiscard]] std::size_t tokens() const noexcept { return tokens_; }
  // Bytes of every slot buffer, filled or not (they stay allocated for reuse).
  [[nodiscard]] std::size_t bytes_reserved() const noexcept {
    std::size_t n = 0;
    for (const auto& s : slots_) n += s.data.size();
    return n * sizeof(float);
  }

  // i-th oldest frame held (0 = oldest).
  [[nodiscard]] const window_slot& at(std::size_t i) const noexcept { return slots_[(head_ + i) % slots_.size()]; }
  [[nodiscard]] window_slot& front() noexcept { return slots_[head_]; }

  void push(memory_entry meta, const frame_view& f) {
    if (full())
      throw invalid_argument_error("predsense: sensory_window::push into a full window of " +
                                   std::to_string(capacity()) + " frames (pop_front first)");
    window_slot& s = slots_[(head_ + size_) % slots_.size()];
    // reshape() keeps the allocation when the shape is unchanged; the copy overwrites it all.
    s.data.reshape(f.tokens, f.dim);
    std::copy(f.data, f.data + f.size(), s.data.data());
    s.key_valid = false;
    s.meta = std::move(meta);
    tokens_ += s.meta.tokens;
    ++size_;
  }

  // Drops the oldest frame (after the caller has taken what it needs from front()).
  void pop_front() noexcept {
    tokens_ -= slots_[head_].meta.tokens;
    head_ = (head_ + 1) % slots_.size();
    --size_;
  }

  void clear() noexcept {
    head_ = size_ = tokens_ = 0;
  }

 private:
  std::vector<window_slot> slots_;
  std::size_t head_ = 0;
  std::size_t size_ = 0;
  std::size_t tokens_ = 0;
};

}  // namespace predsense
