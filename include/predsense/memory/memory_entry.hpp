// predsense/memory/memory_entry.hpp - what the memory knows about one stored frame (or a run of
// merged frames), apart from its tensor.
#pragma once

#include <cstddef>
#include <cstdint>
#include <limits>
#include <string_view>
#include <vector>

#include "predsense/core/checked_size.hpp"

namespace predsense {

// Handle of an entry inside a long_term_store. Slots are reused after an entry leaves, so a
// handle is only meaningful while its entry is alive.
using entry_id = std::uint32_t;
inline constexpr entry_id no_entry = std::numeric_limits<entry_id>::max();

// The token grid of a frame (rows x cols tokens, row-major). Pooling needs it: 64 SigLIP tokens
// are an 8 x 8 grid, pooled 2x2 to 4 x 4.
struct grid_shape {
  std::size_t rows = 0;
  std::size_t cols = 0;
  // rows * cols; wraps for hostile grids, so anything built from input uses checked_tokens().
  [[nodiscard]] constexpr std::size_t tokens() const noexcept { return rows * cols; }
  // rows * cols, or invalid_argument_error naming `field` when the product overflows.
  [[nodiscard]] std::size_t checked_tokens(std::string_view field = "grid rows x cols") const {
    return checked_mul(rows, cols, field);
  }
  friend constexpr bool operator==(const grid_shape&, const grid_shape&) = default;
};

struct memory_entry {
  std::uint64_t frame = 0;            // index of the (first) frame stored here
  double timestamp = 0.0;             // of that first frame
  double surprise = 0.0;              // merged entries: the reference's running pairwise average
  std::size_t tokens = 0;             // tokens held now (after pooling)
  grid_shape grid{};                  // token grid held now
  bool is_protected = false;          // prompt/text entries: never evicted, never merged
  bool compressed = false;            // pooled on its way into long-term memory
  std::uint64_t seq = 0;              // admission order; list order == seq order, ties break on it
  std::vector<std::uint64_t> merged;  // every frame merged into this entry, in time order

  [[nodiscard]] std::uint64_t first_frame() const noexcept { return merged.empty() ? frame : merged.front(); }
  [[nodiscard]] std::uint64_t last_frame() const noexcept { return merged.empty() ? frame : merged.back(); }
};

}  // namespace predsense
