// libFuzzer target: parse_npz (zip directory, zip64 extras, inflate, member .npy) on arbitrary
// bytes must either succeed or throw predsense::error; member size capped so a declared size
// cannot exhaust the fuzzer's memory.
#include <cstddef>
#include <cstdint>
#include <span>

#include "predsense/io/npz.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  try {
    auto m = predsense::parse_npz(std::span(reinterpret_cast<const std::byte*>(data), size), "fuzz.npz",
                                  std::size_t{1} << 24);
    for (const auto& [k, a] : m)
      if (a.data.size() != a.numel()) __builtin_trap();
  } catch (const predsense::error&) {
  }
  return 0;
}
