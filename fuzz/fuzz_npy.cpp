// libFuzzer target: parse_npy on arbitrary bytes must either succeed or throw predsense::error.
#include <cstddef>
#include <cstdint>
#include <span>

#include "predsense/io/npy.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  try {
    auto a = predsense::parse_npy(std::span(reinterpret_cast<const std::byte*>(data), size), "fuzz.npy");
    if (a.data.size() != a.numel()) __builtin_trap();  // the parser's own invariant
  } catch (const predsense::error&) {
  }
  return 0;
}
