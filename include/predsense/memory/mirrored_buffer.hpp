// predsense/memory/mirrored_buffer.hpp - a float ring whose bytes appear twice in a row in the
// address space, so any run of up to capacity() floats starting anywhere in the ring is one
// contiguous span.
//
// Why: the sensory window must hand a model its newest frames as one tensor every frame. The
// Cambrian-S reference concatenates the window into a new tensor each time (a 9.6 MB copy per
// frame at 32 x 64 x 1152); a ring mapped twice (Linux: one memfd mapped at base and at
// base + capacity) keeps the window contiguous with no copy at all. Where the double mapping is
// unavailable (not Linux, no memfd, capacity not a page multiple) the buffer is a plain
// allocation of 2 x capacity floats and the caller keeps runs contiguous by compacting
// (mirrored() tells which).
#pragma once

#include <cstddef>
#include <cstdint>
#include <new>
#include <utility>

#include "predsense/core/aligned_allocator.hpp"

#if defined(__linux__)
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>
#endif

namespace predsense::detail {

class mirrored_buffer {
 public:
  mirrored_buffer() = default;
  // A ring of at least `floats` floats; mirrored when the system allows and `try_mirror` is set.
  explicit mirrored_buffer(std::size_t floats, bool try_mirror = true) {
    if (floats == 0) return;
#if defined(__linux__) && defined(SYS_memfd_create)
    if (try_mirror && map_mirrored(floats)) return;
#endif
    (void)try_mirror;
    base_ = static_cast<float*>(::operator new(2 * floats * sizeof(float), std::align_val_t{simd_alignment}));
    capacity_ = floats;
  }
  mirrored_buffer(const mirrored_buffer&) = delete;
  mirrored_buffer& operator=(const mirrored_buffer&) = delete;
  mirrored_buffer(mirrored_buffer&& o) noexcept { swap(o); }
  mirrored_buffer& operator=(mirrored_buffer&& o) noexcept {
    mirrored_buffer(std::move(o)).swap(*this);
    return *this;
  }
  ~mirrored_buffer() { release(); }

  void swap(mirrored_buffer& o) noexcept {
    std::swap(base_, o.base_);
    std::swap(capacity_, o.capacity_);
    std::swap(mirrored_, o.mirrored_);
  }

  // Floats in the ring. Mirrored: data()[i] and data()[i + capacity()] are the same float for
  // i < capacity(). Not mirrored: data() has 2 x capacity() independent floats.
  [[nodiscard]] std::size_t capacity() const noexcept { return capacity_; }
  [[nodiscard]] bool mirrored() const noexcept { return mirrored_; }
  [[nodiscard]] bool empty() const noexcept { return base_ == nullptr; }
  [[nodiscard]] float* data() noexcept { return base_; }
  [[nodiscard]] const float* data() const noexcept { return base_; }
  // Bytes of memory behind the buffer (a mirrored ring's pages count once).
  [[nodiscard]] std::size_t bytes() const noexcept { return (mirrored_ ? 1 : 2) * capacity_ * sizeof(float); }

  // Floats per page-aligned step: a mirrored ring's capacity must be a multiple of this.
  [[nodiscard]] static std::size_t page_floats() noexcept {
#if defined(__linux__)
    const long p = ::sysconf(_SC_PAGESIZE);
    return p > 0 ? static_cast<std::size_t>(p) / sizeof(float) : 1024;
#else
    return 1024;
#endif
  }

 private:
  float* base_ = nullptr;
  std::size_t capacity_ = 0;
  bool mirrored_ = false;

  void release() noexcept {
    if (!base_) return;
#if defined(__linux__)
    if (mirrored_) {
      ::munmap(base_, 2 * capacity_ * sizeof(float));
      base_ = nullptr;
      return;
    }
#endif
    ::operator delete(base_, std::align_val_t{simd_alignment});
    base_ = nullptr;
  }

#if defined(__linux__) && defined(SYS_memfd_create)
  bool map_mirrored(std::size_t floats) noexcept {
    const std::size_t page = page_floats();
    if (floats % page != 0) return false;
    const std::size_t bytes = floats * sizeof(float);
    const int fd = static_cast<int>(::syscall(SYS_memfd_create, "predsense-window", 1u /* MFD_CLOEXEC */));
    if (fd < 0) return false;
    bool ok = ::ftruncate(fd, static_cast<off_t>(bytes)) == 0;
    void* base = ok ? ::mmap(nullptr, 2 * bytes, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0) : MAP_FAILED;
    ok = base != MAP_FAILED;
    if (ok) {
      auto* b = static_cast<unsigned char*>(base);
      // MAP_POPULATE: the ring is written at once anyway, and populating in one call is cheaper
      // than a fault per page (~10 us each on a paravirtualised VM).
      ok = ::mmap(b, bytes, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_FIXED | MAP_POPULATE, fd, 0) != MAP_FAILED &&
           ::mmap(b + bytes, bytes, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_FIXED | MAP_POPULATE, fd, 0) != MAP_FAILED;
      if (!ok) ::munmap(base, 2 * bytes);
    }
    ::close(fd);  // the mappings keep the memory alive
    if (!ok) return false;
    base_ = static_cast<float*>(base);
    capacity_ = floats;
    mirrored_ = true;
    return true;
  }
#endif
};

}  // namespace predsense::detail
