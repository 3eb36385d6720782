// detail::block_arena: the huge-page region the memory store carves its tensor blocks from.
// Every placement is checked against a plain model (live blocks by offset; holes recomputed from
// scratch), so best fit, coalescing and the bookkeeping are tested, not only "no crash".
#include <doctest/doctest.h>

#include <cstddef>
#include <cstdint>
#include <iterator>
#include <map>
#include <random>
#include <utility>
#include <vector>

#include "predsense/memory/storage/block_arena.hpp"

using predsense::detail::block_arena;

namespace {

constexpr std::size_t mib = std::size_t{1} << 20;
constexpr std::size_t big = 294912;   // 64 x 1152 floats: one full frame
constexpr std::size_t small = 73728;  // 16 x 1152 floats: one 2x2-pooled frame

std::uintptr_t addr(const void* p) { return reinterpret_cast<std::uintptr_t>(p); }
std::size_t rounded(std::size_t n) { return (n + 63) / 64 * 64; }

// Fills every byte with a pattern that depends on the block's seed and the byte's position.
void fill(float* p, std::size_t bytes, std::uint32_t seed) {
  auto* b = reinterpret_cast<unsigned char*>(p);
  for (std::size_t i = 0; i < bytes; ++i) b[i] = static_cast<unsigned char>(seed + i * 7 + (i >> 8));
}
std::size_t mismatches(const float* p, std::size_t bytes, std::uint32_t seed) {
  const auto* b = reinterpret_cast<const unsigned char*>(p);
  std::size_t bad = 0;
  for (std::size_t i = 0; i < bytes; ++i) bad += b[i] != static_cast<unsigned char>(seed + i * 7 + (i >> 8));
  return bad;
}

// The arena's base: the first block of a fresh arena sits at offset 0 (lowest-address best fit).
std::uintptr_t base_of(block_arena& a) {
  float* p = a.allocate(1);
  REQUIRE(p != nullptr);
  a.deallocate(p, 1);
  return addr(p);
}

// What a correct arena must look like given its live blocks.
struct model {
  struct block {
    std::size_t bytes;    // as requested
    std::size_t rounded;  // as reserved
    std::uint32_t seed;
  };
  std::size_t capacity;
  std::map<std::size_t, block> live;  // offset -> block
  std::size_t in_use = 0;
  std::size_t high_water = 0;

  std::vector<std::pair<std::size_t, std::size_t>> holes() const {  // (offset, size)
    std::vector<std::pair<std::size_t, std::size_t>> h;
    std::size_t at = 0;
    for (const auto& [off, b] : live) {
      if (off > at) h.emplace_back(at, off - at);
      at = off + b.rounded;
    }
    if (at < capacity) h.emplace_back(at, capacity - at);
    return h;
  }
  // Best fit: the smallest hole that fits, lowest offset among equals; npos if none.
  std::size_t best_fit(std::size_t n) const {
    std::size_t best_off = static_cast<std::size_t>(-1), best_size = static_cast<std::size_t>(-1);
    for (const auto& [off, size] : holes())
      if (size >= n && size < best_size) best_off = off, best_size = size;
    return best_off;
  }
};

void check_bookkeeping(const block_arena& a, const model& m) {
  const auto h = m.holes();
  std::size_t largest = 0;
  for (const auto& [off, size] : h) largest = size > largest ? size : largest;
  REQUIRE(a.bytes_in_use() == m.in_use);
  REQUIRE(a.high_water() == m.high_water);
  REQUIRE(a.free_ranges() == h.size());
  REQUIRE(a.largest_free() == largest);
}

}  // namespace

TEST_CASE("block_arena: an empty arena hands out nothing") {
  block_arena a;
  CHECK(a.capacity() == 0);
  CHECK(a.allocate(64) == nullptr);
  CHECK(a.allocate(0) == nullptr);
  CHECK_FALSE(a.owns(nullptr));
  CHECK_FALSE(a.owns(&a));
  CHECK(a.free_ranges() == 0);
  CHECK(a.bytes_in_use() == 0);
  CHECK(a.high_water() == 0);
  CHECK_FALSE(a.huge_pages_advised());
  a.deallocate(nullptr, 64);  // a no-op, like operator delete(nullptr)

  block_arena zero(0);
  CHECK(zero.capacity() == 0);
  CHECK(zero.allocate(1) == nullptr);
}

#if defined(__linux__)

TEST_CASE("block_arena: capacity rounds up to 2 MiB and the region is 2 MiB aligned") {
  for (const auto& c : std::vector<std::pair<std::size_t, std::size_t>>{{1, 2 * mib},
                                                                        {2 * mib - 1, 2 * mib},
                                                                        {2 * mib, 2 * mib},
                                                                        {2 * mib + 1, 4 * mib},
                                                                        {48 * mib + 5, 50 * mib}}) {
    const std::size_t asked = c.first, want = c.second;  // not a structured binding: clang 14 cannot capture those
    CAPTURE(asked);
    block_arena a(asked);
    REQUIRE(a.capacity() == want);
    CHECK(a.free_ranges() == 1);
    CHECK(a.largest_free() == want);
    const std::uintptr_t base = base_of(a);
    CHECK(base % (2 * mib) == 0);
    CHECK(a.owns(reinterpret_cast<const void*>(base)));
    CHECK(a.owns(reinterpret_cast<const void*>(base + want - 1)));
    CHECK_FALSE(a.owns(reinterpret_cast<const void*>(base + want)));
    CHECK_FALSE(a.owns(reinterpret_cast<const void*>(base - 1)));
  }
  block_arena a(1);
  MESSAGE("MADV_HUGEPAGE accepted: " << a.huge_pages_advised());
  CHECK(block_arena(~std::size_t{0}).allocate(64) == nullptr);  // too big to reserve: empty, no throw
}

TEST_CASE("block_arena: sizes round to 64 bytes; bytes_in_use and high_water bookkeeping") {
  block_arena a(2 * mib);
  const std::uintptr_t base = base_of(a);
  CHECK(a.high_water() == 64);  // base_of touched one block
  CHECK(a.bytes_in_use() == 0);

  float* p = a.allocate(100);  // 128 at offset 0
  float* q = a.allocate(64);   // 64 at offset 128
  float* r = a.allocate(1);    // 64 at offset 192
  REQUIRE((p && q && r));
  CHECK(addr(p) == base);
  CHECK(addr(q) == base + 128);
  CHECK(addr(r) == base + 192);
  CHECK(a.bytes_in_use() == 256);
  CHECK(a.high_water() == 256);

  a.deallocate(p, 100);
  CHECK(a.bytes_in_use() == 128);
  CHECK(a.high_water() == 256);  // never goes down
  CHECK(a.free_ranges() == 2);   // [0,128) and [256, end)

  float* s = a.allocate(65);  // 128: fits the freed hole exactly
  CHECK(addr(s) == base);
  CHECK(a.high_water() == 256);
  CHECK(a.free_ranges() == 1);

  CHECK(a.allocate(0) == nullptr);
  CHECK(a.allocate(2 * mib + 1) == nullptr);
  CHECK(a.allocate(~std::size_t{0}) == nullptr);  // no overflow in the rounding
  CHECK(a.bytes_in_use() == 256);

  a.deallocate(q, 64);
  a.deallocate(s, 65);
  a.deallocate(r, 1);
  CHECK(a.bytes_in_use() == 0);
  CHECK(a.free_ranges() == 1);
  CHECK(a.largest_free() == 2 * mib);
}

TEST_CASE("block_arena: returns nullptr when full and succeeds again after a free") {
  block_arena a(2 * mib);
  std::vector<float*> blocks;
  while (float* p = a.allocate(big)) blocks.push_back(p);
  REQUIRE(blocks.size() == 2 * mib / big);  // 7 frames; 32 KiB left over
  CHECK(a.allocate(big) == nullptr);
  float* tail = a.allocate(2 * mib - 7 * big);  // the leftover fits exactly
  REQUIRE(tail != nullptr);
  CHECK(a.free_ranges() == 0);
  CHECK(a.allocate(1) == nullptr);
  CHECK(a.bytes_in_use() == 2 * mib);
  CHECK(a.high_water() == 2 * mib);

  a.deallocate(blocks[3], big);
  CHECK(a.allocate(big + 1) == nullptr);
  float* again = a.allocate(big);
  CHECK(again == blocks[3]);
  CHECK(a.allocate(1) == nullptr);

  a.deallocate(tail, 2 * mib - 7 * big);
  for (float* p : blocks) a.deallocate(p, big);
  CHECK(a.free_ranges() == 1);
  CHECK(a.bytes_in_use() == 0);
  CHECK(a.largest_free() == a.capacity());
}

TEST_CASE("block_arena: best fit takes the exact-size hole, lowest address among equals") {
  block_arena a(4 * mib);
  const std::uintptr_t base = base_of(a);
  // [big][64][small][64][small][64][tail ...]
  float* b0 = a.allocate(big);
  float* s1 = a.allocate(64);
  float* x2 = a.allocate(small);
  float* s3 = a.allocate(64);
  float* x4 = a.allocate(small);
  float* s5 = a.allocate(64);
  REQUIRE((b0 && s1 && x2 && s3 && x4 && s5));
  const std::size_t used = big + 2 * small + 3 * 64;

  a.deallocate(x4, small);
  a.deallocate(b0, big);
  a.deallocate(x2, small);
  CHECK(a.free_ranges() == 4);  // big, small, small, tail: separators keep them apart

  // first fit would take the big hole at offset 0; best fit takes a small one, the lower of the two
  CHECK(addr(a.allocate(small)) == addr(x2));
  CHECK(addr(a.allocate(small)) == addr(x4));
  // now the big hole is the best fit for a small block (better than the tail), carved at its start
  float* y = a.allocate(small);
  CHECK(addr(y) == base);
  // the big hole's remainder (big - small) is now the best fit for anything up to that size
  float* z = a.allocate(big - small);
  CHECK(addr(z) == base + small);
  CHECK(a.free_ranges() == 1);
  CHECK(a.high_water() == used);  // the tail was never touched
  CHECK(a.bytes_in_use() == used);
}

TEST_CASE("block_arena: freeing coalesces with both neighbours in any order") {
  block_arena a(2 * mib);
  const std::uintptr_t base = base_of(a);
  std::vector<float*> p;
  for (int i = 0; i < 5; ++i) p.push_back(a.allocate(small));
  // [p0][p1][p2][p3][p4][tail]: each free below hits one of the four coalescing cases
  a.deallocate(p[1], small);  // no free neighbour
  CHECK(a.free_ranges() == 2);
  a.deallocate(p[2], small);  // merges with the hole before it
  CHECK(a.free_ranges() == 2);
  a.deallocate(p[4], small);  // merges with the tail after it
  CHECK(a.free_ranges() == 2);
  CHECK(a.largest_free() == a.capacity() - 4 * small);
  float* two = a.allocate(2 * small);  // the merged hole [small, 3 small) fits exactly
  CHECK(addr(two) == base + small);
  a.deallocate(two, 2 * small);
  a.deallocate(p[3], small);  // merges with both
  CHECK(a.free_ranges() == 1);
  CHECK(a.largest_free() == a.capacity() - small);
  a.deallocate(p[0], small);  // merges with the hole after it: one hole, the whole region
  CHECK(a.free_ranges() == 1);
  CHECK(a.largest_free() == a.capacity());
  CHECK(a.bytes_in_use() == 0);
}

TEST_CASE("block_arena: randomised alloc/free against a model; no overlap, no corruption") {
  block_arena a(8 * mib);
  const std::uintptr_t base = base_of(a);
  model m{a.capacity(), {}, 0, 64};  // base_of touched 64 bytes
  std::mt19937 rng(20251126);
  std::uniform_int_distribution<std::size_t> odd(1, 20000);
  std::uint32_t next_seed = 1;
  std::size_t nulls = 0, allocs = 0, frees = 0;

  auto free_one = [&](std::map<std::size_t, model::block>::iterator it) {
    auto* p = reinterpret_cast<float*>(base + it->first);
    REQUIRE(mismatches(p, it->second.bytes, it->second.seed) == 0);
    a.deallocate(p, it->second.bytes);
    m.in_use -= it->second.rounded;
    m.live.erase(it);
    ++frees;
  };

  for (int step = 0; step < 6000; ++step) {
    // phases that mostly fill (reaching "full") and phases that mostly drain
    const double p_alloc = (step / 500) % 2 == 0 ? 0.75 : 0.3;
    if (m.live.empty() || std::uniform_real_distribution<double>(0, 1)(rng) < p_alloc) {
      const int kind = static_cast<int>(rng() % 10);
      const std::size_t bytes = kind < 3 ? big : kind < 6 ? small : odd(rng);
      const std::size_t n = rounded(bytes);
      const std::size_t want = m.best_fit(n);
      float* p = a.allocate(bytes);
      if (want == static_cast<std::size_t>(-1)) {
        REQUIRE(p == nullptr);
        ++nulls;
      } else {
        REQUIRE(p != nullptr);
        REQUIRE(addr(p) % 64 == 0);
        REQUIRE(a.owns(p));
        const std::size_t off = addr(p) - base;
        REQUIRE(off == want);
        REQUIRE(off + n <= a.capacity());
        // no overlap with the live neighbours on either side
        auto after = m.live.lower_bound(off);
        if (after != m.live.end()) REQUIRE(off + n <= after->first);
        if (after != m.live.begin()) REQUIRE(std::prev(after)->first + std::prev(after)->second.rounded <= off);
        const std::uint32_t seed = next_seed++;
        fill(p, bytes, seed);
        m.live.emplace(off, model::block{bytes, n, seed});
        m.in_use += n;
        m.high_water = off + n > m.high_water ? off + n : m.high_water;
        ++allocs;
      }
    } else {
      auto it = m.live.begin();
      std::advance(it, static_cast<std::ptrdiff_t>(rng() % m.live.size()));
      free_one(it);
    }
    check_bookkeeping(a, m);
  }
  CHECK(allocs > 1000);
  CHECK(frees > 1000);
  CHECK(nulls > 10);  // the fill phases really reached "full"

  while (!m.live.empty()) free_one(m.live.begin());
  check_bookkeeping(a, m);
  CHECK(a.free_ranges() == 1);
  CHECK(a.largest_free() == a.capacity());
  CHECK(a.bytes_in_use() == 0);
  CHECK(addr(a.allocate(a.capacity())) == base);  // the whole region is one hole again
}

TEST_CASE("block_arena: moving transfers the region") {
  block_arena a(2 * mib);
  float* p = a.allocate(small);
  REQUIRE(p != nullptr);
  fill(p, small, 7);

  block_arena b(std::move(a));
  CHECK(a.capacity() == 0);  // NOLINT(bugprone-use-after-move): the moved-from state is specified
  CHECK(a.allocate(64) == nullptr);
  CHECK_FALSE(a.owns(p));
  CHECK(a.bytes_in_use() == 0);
  CHECK(a.free_ranges() == 0);
  CHECK(b.capacity() == 2 * mib);
  CHECK(b.owns(p));
  CHECK(b.bytes_in_use() == rounded(small));
  CHECK(mismatches(p, small, 7) == 0);

  block_arena c(4 * mib);
  float* old = c.allocate(64);
  c = std::move(b);  // c's old region is released, b's taken over
  CHECK_FALSE(c.owns(old));
  CHECK(c.owns(p));
  CHECK(c.capacity() == 2 * mib);
  CHECK_FALSE(b.owns(p));  // NOLINT(bugprone-use-after-move)
  CHECK(b.allocate(64) == nullptr);
  CHECK(mismatches(p, small, 7) == 0);
  c.deallocate(p, small);
  CHECK(c.bytes_in_use() == 0);
  CHECK(c.free_ranges() == 1);

  a = std::move(c);  // into a moved-from arena
  CHECK(a.capacity() == 2 * mib);
  CHECK(a.allocate(2 * mib) != nullptr);
}

#endif  // __linux__
