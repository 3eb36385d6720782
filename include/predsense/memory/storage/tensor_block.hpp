// predsense/memory/storage/tensor_block.hpp - an owning, 64-byte-aligned, *uninitialised* tokens x dim
// float block: the memory's internal storage.
//
// Why not frame_buffer: frame_buffer zero-fills on allocation, and the memory overwrites every
// block it allocates at once (a frame copy, a pooled frame), so zeroing is a wasted pass over
// memory - a third of the time while a large store fills up. A block may come from a
// block_arena (the long-term store's huge-page region); it then goes back there when freed, so
// the arena must outlive it.
#pragma once

#include <algorithm>
#include <cstddef>
#include <memory>
#include <new>

#include "predsense/core/aligned_allocator.hpp"
#include "predsense/core/frame_view.hpp"
#include "predsense/memory/storage/block_arena.hpp"

namespace predsense::detail {

// Frees a tensor_block's floats to the arena they came from, or to the heap.
struct tensor_block_release {
  block_arena* arena = nullptr;
  std::size_t bytes = 0;
  void operator()(float* p) const noexcept {
    if (arena)
      arena->deallocate(p, bytes);
    else
      ::operator delete (p, std::align_val_t{simd_alignment});
  }
};

class tensor_block {
 public:
  using release = tensor_block_release;
  tensor_block() = default;
  // From `arena` if it has room (and is given), else from the heap.
  tensor_block(std::size_t tokens, std::size_t dim, block_arena* arena = nullptr)
      : p_(allocate(tokens * dim, arena), release{}), tokens_(tokens), dim_(dim) {
    if (p_ && arena && arena->owns(p_.get())) p_.get_deleter() = release{arena, size() * sizeof(float)};
  }
  explicit tensor_block(const frame_view& v) : tensor_block(v.tokens, v.dim) {
    std::copy(v.data, v.data + v.size(), p_.get());
  }

  [[nodiscard]] std::size_t tokens() const noexcept { return tokens_; }
  [[nodiscard]] std::size_t dim() const noexcept { return dim_; }
  [[nodiscard]] std::size_t size() const noexcept { return tokens_ * dim_; }
  [[nodiscard]] bool empty() const noexcept { return !p_; }
  [[nodiscard]] bool in_arena() const noexcept { return p_.get_deleter().arena != nullptr; }
  [[nodiscard]] float* data() noexcept { return p_.get(); }
  [[nodiscard]] const float* data() const noexcept { return p_.get(); }
  [[nodiscard]] frame_view view() const { return frame_view(p_.get(), tokens_, dim_); }

  // Makes the block tokens x dim, reallocating (uninitialised) only if the shape changes.
  void reshape(std::size_t tokens, std::size_t dim) {
    if (p_ && tokens == tokens_ && dim == dim_) return;
    *this = tensor_block(tokens, dim);
  }

 private:
  std::unique_ptr<float, release> p_;
  std::size_t tokens_ = 0;
  std::size_t dim_ = 0;

  static float* allocate(std::size_t floats, block_arena* arena) {
    if (floats == 0) return nullptr;
    if (arena)
      if (float* p = arena->allocate(floats * sizeof(float))) return p;
    return static_cast<float*>(::operator new (floats * sizeof(float), std::align_val_t{simd_alignment}));
  }
};

}  // namespace predsense::detail
