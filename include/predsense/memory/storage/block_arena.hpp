// predsense/memory/storage/block_arena.hpp - a best-fit allocator of 64-byte-aligned float blocks inside
// one reserved, 2 MiB-aligned, huge-page-advised region.
// PLATFORM-SPECIFIC: Linux mmap + madvise(MADV_HUGEPAGE); elsewhere (or when mmap fails) a plain
// aligned operator new fallback.
//
// Why: on a paravirtualised VM every 4 KiB first-touch page fault costs ~11-15 us, so filling the
// memory store's ~48 MB of tensors one small page at a time costs ~130 ms of faults - about as
// much as all of its computation on a 4-hour stream. A 2 MiB-aligned region advised MADV_HUGEPAGE faults 64 MB in ~7 ms
// instead of ~250 ms (THP in `madvise` mode). The store carves its blocks out of this region and falls back to operator
// new when allocate() returns nullptr.
#pragma once

#include <cassert>
#include <cstddef>
#include <cstdint>
#include <iterator>
#include <map>
#include <set>
#include <utility>

#if defined(__linux__)
#include <sys/mman.h>
#endif

namespace predsense::detail {

class block_arena {
 public:
  static constexpr std::size_t block_alignment = 64;                     // one cache line, the SIMD alignment
  static constexpr std::size_t region_alignment = std::size_t{2} << 20;  // one x86-64 huge page

  block_arena() = default;

  // Reserves capacity_bytes rounded up to 2 MiB. MAP_NORESERVE: only touched pages cost memory.
  explicit block_arena(std::size_t capacity_bytes) {
#if defined(__linux__)
    if (capacity_bytes == 0 || capacity_bytes > max_capacity) return;
    const std::size_t cap = round_up(capacity_bytes, region_alignment);
    // Over-reserve by one huge page and trim both ends: mmap only promises page alignment, and
    // THP backs only 2 MiB-aligned 2 MiB extents.
    const std::size_t raw_bytes = cap + region_alignment;
    void* raw = ::mmap(nullptr, raw_bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
    if (raw == MAP_FAILED) return;
    const auto raw_addr = reinterpret_cast<std::uintptr_t>(raw);
    const std::uintptr_t addr = round_up(raw_addr, std::uintptr_t{region_alignment});
    const std::size_t head = addr - raw_addr;
    const std::size_t tail = raw_bytes - head - cap;
    auto* const raw_bytes_ptr = static_cast<unsigned char*>(raw);
    if (head != 0) ::munmap(raw_bytes_ptr, head);
    if (tail != 0) ::munmap(raw_bytes_ptr + head + cap, tail);
    base_ = raw_bytes_ptr + head;
    capacity_ = cap;
#if defined(MADV_HUGEPAGE)
    // Failure (THP off, kernel without THP) only costs speed; huge_pages_advised() reports it.
    huge_ = ::madvise(base_, capacity_, MADV_HUGEPAGE) == 0;
#endif
    try {
      insert_free(0, capacity_);
    } catch (...) {
      release();  // an arena without its free list is unusable; behave as empty
    }
#else
    (void)capacity_bytes;
#endif
  }

  block_arena(const block_arena&) = delete;
  block_arena& operator=(const block_arena&) = delete;
  block_arena(block_arena&& o) noexcept { swap(o); }
  block_arena& operator=(block_arena&& o) noexcept {
    block_arena(std::move(o)).swap(*this);
    return *this;
  }
  ~block_arena() { release(); }

  void swap(block_arena& o) noexcept {
    std::swap(base_, o.base_);
    std::swap(capacity_, o.capacity_);
    std::swap(in_use_, o.in_use_);
    std::swap(high_water_, o.high_water_);
    std::swap(huge_, o.huge_);
    by_offset_.swap(o.by_offset_);
    by_size_.swap(o.by_size_);
  }

  // A 64-byte-aligned block of at least `bytes` bytes (uninitialised), or nullptr when bytes is 0
  // or no free range fits. Best fit, lowest address among equal fits, carved from the hole's
  // start: keeps big holes whole and the touched prefix of the region (high_water) short.
  // Allocates no nodes (splits re-key extracted nodes), so it cannot throw.
  [[nodiscard]] float* allocate(std::size_t bytes) noexcept {
    if (bytes == 0 || bytes > capacity_) return nullptr;
    const std::size_t n = round_up(bytes, block_alignment);
    auto it = by_size_.lower_bound({n, 0});
    if (it == by_size_.end()) return nullptr;
    const auto [size, offset] = *it;
    if (size == n) {
      by_size_.erase(it);
      by_offset_.erase(offset);
    } else {
      auto size_node = by_size_.extract(it);
      size_node.value() = {size - n, offset + n};
      by_size_.insert(std::move(size_node));
      auto offset_node = by_offset_.extract(offset);
      offset_node.key() = offset + n;
      offset_node.mapped() = size - n;
      by_offset_.insert(std::move(offset_node));
    }
    in_use_ += n;
    if (offset + n > high_water_) high_water_ = offset + n;
    return reinterpret_cast<float*>(base_ + offset);
  }

  // Returns a block from allocate(bytes) (same bytes), merging it with free neighbours. Only a
  // block with no free neighbour needs new free-list nodes; if those cannot be allocated the
  // block's bytes stay unusable until the arena dies (noexcept beats reuse under OOM).
  void deallocate(float* p, std::size_t bytes) noexcept {
    if (p == nullptr) return;
    assert(owns(p) && bytes != 0);
    const std::size_t offset = static_cast<std::size_t>(reinterpret_cast<const unsigned char*>(p) - base_);
    const std::size_t n = round_up(bytes, block_alignment);
    assert(offset % block_alignment == 0 && n <= capacity_ - offset);
    in_use_ -= n;

    auto next = by_offset_.lower_bound(offset);
    assert(next == by_offset_.end() || next->first >= offset + n);  // not free already
    const bool merge_next = next != by_offset_.end() && next->first == offset + n;
    auto prev = next == by_offset_.begin() ? by_offset_.end() : std::prev(next);
    assert(prev == by_offset_.end() || prev->first + prev->second <= offset);
    const bool merge_prev = prev != by_offset_.end() && prev->first + prev->second == offset;

    if (merge_prev) {
      std::size_t merged = prev->second + n;
      if (merge_next) {
        merged += next->second;
        by_size_.erase({next->second, next->first});
        by_offset_.erase(next);
      }
      resize_free(prev->first, prev->second, prev->first, merged);
      prev->second = merged;
    } else if (merge_next) {
      const std::size_t merged = n + next->second;
      resize_free(next->first, next->second, offset, merged);
      auto offset_node = by_offset_.extract(next);
      offset_node.key() = offset;
      offset_node.mapped() = merged;
      by_offset_.insert(std::move(offset_node));
    } else {
      try {
        insert_free(offset, n);
      } catch (...) {
        // leaked until destruction; see above
      }
    }
  }

  [[nodiscard]] bool owns(const void* p) const noexcept {
    // Integer comparison: relational operators on unrelated pointers are unspecified.
    const auto a = reinterpret_cast<std::uintptr_t>(p);
    const auto b = reinterpret_cast<std::uintptr_t>(base_);
    return base_ != nullptr && a >= b && a - b < capacity_;
  }
  [[nodiscard]] std::size_t capacity() const noexcept { return capacity_; }
  [[nodiscard]] std::size_t bytes_in_use() const noexcept { return in_use_; }
  [[nodiscard]] std::size_t high_water() const noexcept { return high_water_; }
  [[nodiscard]] std::size_t free_ranges() const noexcept { return by_offset_.size(); }
  // Bytes in the largest hole: the biggest allocate() that can succeed now.
  [[nodiscard]] std::size_t largest_free() const noexcept {
    return by_size_.empty() ? 0 : std::prev(by_size_.end())->first;
  }
  [[nodiscard]] bool huge_pages_advised() const noexcept { return huge_; }

 private:
  // Larger requests would overflow the rounding plus the over-reservation.
  static constexpr std::size_t max_capacity = static_cast<std::size_t>(-1) / 2;

  unsigned char* base_ = nullptr;
  std::size_t capacity_ = 0;
  std::size_t in_use_ = 0;
  std::size_t high_water_ = 0;
  bool huge_ = false;
  // Free ranges twice: by offset (find neighbours to coalesce) and by (size, offset) (best fit,
  // lowest offset first). Offsets, not pointers, and no headers inside the region, so untouched
  // pages stay untouched.
  std::map<std::size_t, std::size_t> by_offset_;           // offset -> size
  std::set<std::pair<std::size_t, std::size_t>> by_size_;  // (size, offset)

  template <class T>
  static constexpr T round_up(T v, T a) noexcept {
    return (v + a - 1) / a * a;
  }

  void insert_free(std::size_t offset, std::size_t size) {
    auto it = by_offset_.emplace(offset, size).first;
    try {
      by_size_.emplace(size, offset);
    } catch (...) {
      by_offset_.erase(it);
      throw;
    }
  }

  // Re-keys the by_size_ entry of one free range without allocating.
  void resize_free(std::size_t old_offset, std::size_t old_size, std::size_t offset, std::size_t size) noexcept {
    auto node = by_size_.extract({old_size, old_offset});
    node.value() = {size, offset};
    by_size_.insert(std::move(node));
  }

  void release() noexcept {
#if defined(__linux__)
    if (base_ != nullptr) ::munmap(base_, capacity_);
#endif
    base_ = nullptr;
    capacity_ = 0;
    in_use_ = 0;
    high_water_ = 0;
    huge_ = false;
    by_offset_.clear();
    by_size_.clear();
  }
};

}  // namespace predsense::detail
