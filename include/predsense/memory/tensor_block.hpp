// predsense/memory/tensor_block.hpp - an owning, 64-byte-aligned, *uninitialised* tokens x dim
// float block: the memory's internal storage.
//
// Why not frame_buffer: frame_buffer zero-fills on allocation, and the memory overwrites every
// block it allocates at once (a frame copy, a pooled frame), so zeroing is a wasted pass over
// memory - a third of the time while a large store fills up.
#pragma once

#include <algorithm>
#include <cstddef>
#include <memory>
#include <new>

#include "predsense/core/aligned_allocator.hpp"
#include "predsense/core/frame_view.hpp"

namespace predsense::detail {

class tensor_block {
 public:
  tensor_block() = default;
  tensor_block(std::size_t tokens, std::size_t dim)
      : p_(tokens != 0 && dim != 0 ? static_cast<float*>(::operator new(tokens * dim * sizeof(float),
                                                             std::align_val_t{simd_alignment}))
                        : nullptr),
        tokens_(tokens),
        dim_(dim) {}
  explicit tensor_block(const frame_view& v) : tensor_block(v.tokens, v.dim) {
    std::copy(v.data, v.data + v.size(), p_.get());
  }

  [[nodiscard]] std::size_t tokens() const noexcept { return tokens_; }
  [[nodiscard]] std::size_t dim() const noexcept { return dim_; }
  [[nodiscard]] std::size_t size() const noexcept { return tokens_ * dim_; }
  [[nodiscard]] bool empty() const noexcept { return !p_; }
  [[nodiscard]] float* data() noexcept { return p_.get(); }
  [[nodiscard]] const float* data() const noexcept { return p_.get(); }
  [[nodiscard]] frame_view view() const { return frame_view(p_.get(), tokens_, dim_); }

  // Makes the block tokens x dim, reallocating (uninitialised) only if the shape changes.
  void reshape(std::size_t tokens, std::size_t dim) {
    if (p_ && tokens == tokens_ && dim == dim_) return;
    *this = tensor_block(tokens, dim);
  }

 private:
  struct release {
    void operator()(float* p) const noexcept { ::operator delete(p, std::align_val_t{simd_alignment}); }
  };
  std::unique_ptr<float, release> p_;
  std::size_t tokens_ = 0;
  std::size_t dim_ = 0;
};

}  // namespace predsense::detail
