// predsense/core/checked_size.hpp - products and sums of sizes that come from outside (a file, a
// JSON field, a command-line option), checked instead of wrapping around.
//
// Every size read from input goes through these before it is used to allocate or to index:
// `std::size_t` arithmetic wraps silently, and a wrapped size turns a hostile grid of
// 2^63 x 8 tokens into a small buffer that a kernel then overruns.
//
//   checked_mul(a, b, "grid")          a * b, or invalid_argument_error naming "grid"
//   checked_add(a, b, "merged_count")  a + b, likewise
//   checked_product({r, c, d}, "data") the product of a list
//   checked_cast<std::size_t>(v, "n")  a signed/unsigned integer into the target type, range checked
// Errors: invalid_argument_error("predsense: <field> overflows (...)").
#pragma once

#include <concepts>
#include <cstddef>
#include <initializer_list>
#include <limits>
#include <string>
#include <string_view>
#include <utility>

#include "predsense/core/error.hpp"

namespace predsense {

[[nodiscard]] inline std::size_t checked_mul(std::size_t a, std::size_t b, std::string_view field) {
  std::size_t r = 0;
  if (__builtin_mul_overflow(a, b, &r))
    throw invalid_argument_error("predsense: " + std::string(field) + " overflows (" + std::to_string(a) + " x " +
                                 std::to_string(b) + " does not fit in 64 bits)");
  return r;
}

[[nodiscard]] inline std::size_t checked_add(std::size_t a, std::size_t b, std::string_view field) {
  std::size_t r = 0;
  if (__builtin_add_overflow(a, b, &r))
    throw invalid_argument_error("predsense: " + std::string(field) + " overflows (" + std::to_string(a) + " + " +
                                 std::to_string(b) + " does not fit in 64 bits)");
  return r;
}

[[nodiscard]] inline std::size_t checked_product(std::initializer_list<std::size_t> factors, std::string_view field) {
  std::size_t r = 1;
  for (std::size_t f : factors) r = checked_mul(r, f, field);
  return r;
}

// An integer of any type into `To`, refusing values `To` cannot hold (negative counts included).
template <std::integral To, std::integral From>
[[nodiscard]] To checked_cast(From v, std::string_view field) {
  if (!std::in_range<To>(v))
    throw invalid_argument_error("predsense: " + std::string(field) + " = " + std::to_string(v) + " is out of range [" +
                                 std::to_string(std::numeric_limits<To>::min()) + ", " +
                                 std::to_string(std::numeric_limits<To>::max()) + "]");
  return static_cast<To>(v);
}

}  // namespace predsense
