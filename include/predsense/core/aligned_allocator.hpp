// predsense/core/aligned_allocator.hpp - a std::allocator that aligns to the widest SIMD register.
//
// 64 bytes covers AVX-512 and a cache line, so owned buffers start on a line boundary and full
// SIMD loads never straddle one at the start of a frame.
#pragma once

#include <cstddef>
#include <new>

namespace predsense {

inline constexpr std::size_t simd_alignment = 64;

template <class T, std::size_t Align = simd_alignment>
struct aligned_allocator {
  using value_type = T;
  template <class U>
  struct rebind {
    using other = aligned_allocator<U, Align>;
  };

  aligned_allocator() noexcept = default;
  template <class U>
  aligned_allocator(const aligned_allocator<U, Align>&) noexcept {}

  [[nodiscard]] T* allocate(std::size_t n) {
    return static_cast<T*>(::operator new (n * sizeof(T), std::align_val_t{Align}));
  }
  void deallocate(T* p, std::size_t) noexcept { ::operator delete (p, std::align_val_t{Align}); }

  template <class U>
  bool operator==(const aligned_allocator<U, Align>&) const noexcept {
    return true;
  }
};

}  // namespace predsense
