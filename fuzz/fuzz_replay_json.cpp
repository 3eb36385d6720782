// libFuzzer target: predsense-memory-replay's input reader (tools/support/replay_input.hpp) on
// arbitrary text must return parameters within the documented limits or throw bad_input.
#include <cstddef>
#include <cstdint>
#include <string>

#include "support/replay_input.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  namespace t = predsense::tools;
  try {
    const auto p = t::parse_replay(t::parse_json(std::string(reinterpret_cast<const char*>(data), size), "fuzz.json"),
                                   "fuzz.json");
    if (p.rows * p.cols > t::replay_max_tokens || p.rows * p.cols * p.dim > t::replay_max_frame_floats ||
        p.prompt_tokens > p.budget || p.dim == 0)
      __builtin_trap();
  } catch (const t::bad_input&) {
  } catch (const predsense::error&) {
  }
  return 0;
}
