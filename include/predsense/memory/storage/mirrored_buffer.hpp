// predsense/memory/storage/mirrored_buffer.hpp - a float ring whose bytes appear twice in a row in the
// address space, so any run of up to capacity() floats starting anywhere in the ring is one
// contiguous span.
// PLATFORM-SPECIFIC: Linux memfd_create + a double mmap; elsewhere a plain buffer that copies the
// wrapped part (see below).
//
// Why: the sensory window must hand a model its newest frames as one tensor every frame. The
// Cambrian-S reference concatenates the window into a new tensor each time (a 9.6 MB copy per
// frame at 32 x 64 x 1152); a ring mapped twice (Linux: one memfd mapped at base and at
// base + capacity) keeps the window contiguous with no copy at all. Where the double mapping is
// unavailable (not Linux, no memfd, capacity not a page multiple) the buffer is a plain
// allocation of 2 x capacity floats and the caller keeps runs contiguous by compacting
// (mirrored() tells which).
//
// fork(): a shared mapping would stay shared with the child, so parent and child would write
// into each other's windows. A pthread_atfork hook snapshots every live ring before fork() and
// gives the child fresh rings at the same addresses holding the snapshot: after fork() each
// process has its own window, as with ordinary (copy-on-write) memory. Cost: one copy of each
// live ring per fork().
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <mutex>
#include <new>
#include <utility>
#include <vector>

#include "predsense/core/aligned_allocator.hpp"

#if defined(__linux__)
#include <pthread.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>
#endif

namespace predsense::detail {

#if defined(__linux__) && defined(SYS_memfd_create)
// Maps a new memfd of `bytes` at `at` and again right after it (MAP_FIXED when `at` is given).
// Returns the base or nullptr.
inline unsigned char* map_twice(std::size_t bytes, unsigned char* at = nullptr) noexcept {
  const int fd = static_cast<int>(::syscall(SYS_memfd_create, "predsense-window", 1u /* MFD_CLOEXEC */));
  if (fd < 0) return nullptr;
  unsigned char* base = at;
  bool ok = ::ftruncate(fd, static_cast<off_t>(bytes)) == 0;
  if (ok && !base) {
    void* r = ::mmap(nullptr, 2 * bytes, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    ok = r != MAP_FAILED;
    base = ok ? static_cast<unsigned char*>(r) : nullptr;
  }
  if (ok) {
    // MAP_POPULATE: the ring is written at once anyway, and populating in one call is cheaper
    // than a fault per page.
    ok =
        ::mmap(base, bytes, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_FIXED | MAP_POPULATE, fd, 0) != MAP_FAILED &&
        ::mmap(base + bytes, bytes, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_FIXED | MAP_POPULATE, fd, 0) != MAP_FAILED;
    if (!ok && !at) ::munmap(base, 2 * bytes);
  }
  ::close(fd);  // the mappings keep the memory alive
  return ok ? base : nullptr;
}

// Every live mirrored ring, for the fork hooks.
struct mirrored_registry {
  struct region {
    unsigned char* base;
    std::size_t bytes;
    unsigned char* snapshot;
  };
  std::mutex mutex;
  std::vector<region> regions;

  static mirrored_registry& get() {
    static mirrored_registry* r = [] {
      auto* reg = new mirrored_registry;  // never destroyed: the hooks may run at any time
      ::pthread_atfork(&prepare, &parent, &child);
      return reg;
    }();
    return *r;
  }
  // Maps a ring and registers it in one step, so a fork() cannot fall in between.
  unsigned char* map_and_add(std::size_t bytes) noexcept {
    const std::lock_guard<std::mutex> lock(mutex);
    unsigned char* base = map_twice(bytes);
    if (!base) return nullptr;
    try {
      regions.push_back({base, bytes, nullptr});
    } catch (...) {
      ::munmap(base, 2 * bytes);
      return nullptr;
    }
    return base;
  }
  void remove_and_unmap(unsigned char* base, std::size_t bytes) noexcept {
    const std::lock_guard<std::mutex> lock(mutex);
    for (std::size_t i = 0; i < regions.size(); ++i)
      if (regions[i].base == base) {
        regions[i] = regions.back();
        regions.pop_back();
        break;
      }
    ::munmap(base, 2 * bytes);
  }

 private:
  static void prepare() noexcept {
    mirrored_registry& r = get();
    r.mutex.lock();  // held across fork(): no ring appears or goes meanwhile
    for (region& g : r.regions) {
      g.snapshot = static_cast<unsigned char*>(::operator new(g.bytes, std::nothrow));
      if (g.snapshot) std::memcpy(g.snapshot, g.base, g.bytes);
    }
  }
  static void parent() noexcept {
    mirrored_registry& r = get();
    for (region& g : r.regions) {
      ::operator delete(g.snapshot);
      g.snapshot = nullptr;
    }
    r.mutex.unlock();
  }
  static void child() noexcept {
    mirrored_registry& r = get();
    for (region& g : r.regions) {
      // a fresh ring at the same address, so every pointer into the window stays valid
      if (!g.snapshot || !map_twice(g.bytes, g.base)) {
        std::fputs("predsense: cannot give a forked child its own window ring\n", stderr);
        std::abort();  // sharing it with the parent would corrupt both windows silently
      }
      std::memcpy(g.base, g.snapshot, g.bytes);
      ::operator delete(g.snapshot);
      g.snapshot = nullptr;
    }
    r.mutex.unlock();
  }
};
#endif

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
    base_ = static_cast<float*>(::operator new (2 * floats * sizeof(float), std::align_val_t{simd_alignment}));
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
#if defined(SYS_memfd_create)
      mirrored_registry::get().remove_and_unmap(reinterpret_cast<unsigned char*>(base_), capacity_ * sizeof(float));
#endif
      base_ = nullptr;
      return;
    }
#endif
    ::operator delete (base_, std::align_val_t{simd_alignment});
    base_ = nullptr;
  }

#if defined(__linux__) && defined(SYS_memfd_create)
  bool map_mirrored(std::size_t floats) noexcept {
    if (floats % page_floats() != 0) return false;
    unsigned char* base = mirrored_registry::get().map_and_add(floats * sizeof(float));
    if (!base) return false;
    base_ = reinterpret_cast<float*>(base);
    capacity_ = floats;
    mirrored_ = true;
    return true;
  }
#endif
};

}  // namespace predsense::detail
