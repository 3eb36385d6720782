// predsense/memory/memory_traffic.hpp - bytes of frame data a memory read and wrote, as the
// semantics require them: the floor any implementation of the same memory must move.
//
// Counted (all in bytes of float32 tensor data, cumulative since construction or clear()):
//   * a frame entering the sensory window: its tokens x dim read and written (the caller's buffer
//     may be reused after push, so the window must hold its own copy);
//   * a frame that enters long-term memory and is kept (made): read tokens x dim, written the
//     stored size (tokens/4 x dim after 2x2 pooling, the same size for a full copy);
//   * a merge of two entries (Cambrian-S drop_merge / similarity merge): both read, one written;
//     merge_bytes_read is the part of bytes_read that merges read (both operands).
// Not counted: what an implementation does on top (our ring compaction when the mirrored ring is
// unavailable, keys cached for retrieval, checkpoints). An entry evicted on admission is never made
// and moves nothing. Used by benchmarks/bench_memory.cpp for the floors of memory_4h: a memcpy of
// all of it, and the reads alone (one operand per merge: the entry merged into is often the one
// the previous merge wrote, still in cache; the other is a frame leaving the window or an older
// entry, which must come from memory).
#pragma once

#include <cstdint>

namespace predsense {

struct memory_traffic {
  std::uint64_t bytes_read = 0;
  std::uint64_t bytes_written = 0;
  std::uint64_t merge_bytes_read = 0;  // included in bytes_read

  memory_traffic& operator+=(const memory_traffic& o) noexcept {
    bytes_read += o.bytes_read;
    bytes_written += o.bytes_written;
    merge_bytes_read += o.merge_bytes_read;
    return *this;
  }
  [[nodiscard]] friend memory_traffic operator+(memory_traffic a, const memory_traffic& b) noexcept { return a += b; }
};

}  // namespace predsense
