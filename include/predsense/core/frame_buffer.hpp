// predsense/core/frame_buffer.hpp - an owning, 64-byte-aligned, row-major T x D float latent.
//
// The owning counterpart of frame_view: predictors write their guesses into one, pooling writes
// its output into one, and copies from column-major or strided tensors land in one.
#pragma once

#include <algorithm>
#include <cstddef>
#include <span>
#include <vector>

#include "predsense/core/aligned_allocator.hpp"
#include "predsense/core/error.hpp"
#include "predsense/core/frame_view.hpp"

namespace predsense {

class frame_buffer {
 public:
  frame_buffer() = default;
  // Zero-initialised T x D frame.
  frame_buffer(std::size_t tokens, std::size_t dim) { resize(tokens, dim); }
  // Deep copy of a view (the one documented copy path for foreign layouts).
  explicit frame_buffer(const frame_view& v) : frame_buffer(v.tokens, v.dim) {
    std::copy(v.data, v.data + v.size(), data_.begin());
  }

  // Reshape; contents are zeroed when the shape changes, kept when it does not.
  void resize(std::size_t tokens, std::size_t dim) {
    if (tokens == tokens_ && dim == dim_) return;
    tokens_ = tokens;
    dim_ = dim;
    data_.assign(tokens * dim, 0.0f);
  }
  void assign(const frame_view& v) {
    resize(v.tokens, v.dim);
    std::copy(v.data, v.data + v.size(), data_.begin());
  }

  [[nodiscard]] std::size_t tokens() const noexcept { return tokens_; }
  [[nodiscard]] std::size_t dim() const noexcept { return dim_; }
  [[nodiscard]] std::size_t size() const noexcept { return data_.size(); }
  [[nodiscard]] bool empty() const noexcept { return data_.empty(); }
  [[nodiscard]] float* data() noexcept { return data_.data(); }
  [[nodiscard]] const float* data() const noexcept { return data_.data(); }
  [[nodiscard]] float* row(std::size_t t) noexcept { return data_.data() + t * dim_; }
  [[nodiscard]] const float* row(std::size_t t) const noexcept { return data_.data() + t * dim_; }
  [[nodiscard]] float& operator()(std::size_t t, std::size_t d) noexcept { return data_[t * dim_ + d]; }
  [[nodiscard]] float operator()(std::size_t t, std::size_t d) const noexcept { return data_[t * dim_ + d]; }
  [[nodiscard]] std::span<float> span() noexcept { return data_; }
  [[nodiscard]] std::span<const float> span() const noexcept { return data_; }

  // Throws empty_error if the buffer has no elements (a view of nothing is never handed out).
  [[nodiscard]] frame_view view() const { return frame_view(data_.data(), tokens_, dim_); }
  operator frame_view() const { return view(); }  // NOLINT: implicit by design, like string_view

 private:
  std::size_t tokens_ = 0;
  std::size_t dim_ = 0;
  std::vector<float, aligned_allocator<float>> data_;
};

template <>
struct frame_adapter<frame_buffer> {
  static frame_view view(const frame_buffer& f) { return f.view(); }
};

}  // namespace predsense
