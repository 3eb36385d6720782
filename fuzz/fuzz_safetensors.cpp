// libFuzzer target: safetensors_reader::from_bytes + reading every tensor (raw and as floats)
// on arbitrary bytes must either succeed or throw predsense::error.
#include <cstddef>
#include <cstdint>
#include <span>

#include "predsense/io/safetensors.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  try {
    auto r = predsense::safetensors_reader::from_bytes(std::span(reinterpret_cast<const std::byte*>(data), size),
                                                       "fuzz.safetensors");
    for (const auto& n : r.names()) {
      auto t = r.read(n);
      if (t.bytes.size() != r.info(n).nbytes()) __builtin_trap();
      try {
        auto f = r.read_floats(n);
        if (f.size() != r.info(n).numel()) __builtin_trap();
      } catch (const predsense::format_error&) {  // integer dtype
      }
    }
  } catch (const predsense::error&) {
  }
  return 0;
}
