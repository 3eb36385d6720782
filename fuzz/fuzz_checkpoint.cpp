// libFuzzer target: memory checkpoints (memory/memory_checkpoint.hpp) from arbitrary bytes must
// load or throw predsense::error. Each input is loaded twice: as is (the checksum refuses almost
// every mutation), and with the checksum check skipped, so the field-by-field validation behind it
// is what the fuzzer exercises. A load that succeeds is continued (push, flush, walk) to show the
// restored state is consistent. The store matches the seed corpus: predsense-memory-replay's
// defaults with {"threshold": 0.35, "budget": 900, "window": 8, "dim": 2}.
#include <cstddef>
#include <cstdint>
#include <span>
#include <vector>

#include "predsense/memory/policies/drop_merge.hpp"
#include "predsense/memory/memory_checkpoint.hpp"
#include "predsense/memory/memory_store.hpp"

namespace {
using store = predsense::memory_store<predsense::pool_when_unsurprising, predsense::drop_merge>;

void use(store& m) {
  std::vector<float> f(64 * 2, 0.5f);
  for (int t = 0; t < 12; ++t) m.push(predsense::frame_view(f.data(), 64, 2), 0.1 * t, {8, 8});
  m.flush();
  std::size_t tokens = 0;
  m.for_each([&](const predsense::memory_item& it) { tokens += it.data.tokens; });
  if (tokens != m.tokens() || m.long_term().tokens() > 900) __builtin_trap();
}
}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using predsense::detail::checksum_check;
  try {
    const auto r = predsense::safetensors_reader::from_bytes(std::span(reinterpret_cast<const std::byte*>(data), size),
                                                             "fuzz.safetensors");
    for (auto cs : {checksum_check::verify, checksum_check::skip}) {
      store m({8, 900}, {0.35, 2, predsense::pool_edge::floor}, predsense::drop_merge{0.35});
      try {
        predsense::detail::load_checkpoint_from(m, r, cs);
      } catch (const predsense::format_error&) {
        continue;
      }
      use(m);
    }
  } catch (const predsense::error&) {
  }
  return 0;
}
