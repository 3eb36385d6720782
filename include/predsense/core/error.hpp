// predsense/core/error.hpp - the typed exceptions every predsense component throws.
//
// Every error derives from predsense::error (itself a std::runtime_error), so callers can catch
// one type; the subtypes let tests and tools react to a class of problem. Messages always name
// the offending shape, value, file or field.
#pragma once

#include <cstddef>
#include <stdexcept>
#include <string>

namespace predsense {

struct error : std::runtime_error {
  using std::runtime_error::runtime_error;
};

// Two operands whose shapes must agree do not (e.g. prediction 64x1152 vs actual 64x768).
struct shape_error : error {
  using error::error;
};

// A frame with zero tokens or zero dimensions, or an empty series where data is required.
struct empty_error : error {
  using error::error;
};

// A NaN or infinity where the non-finite policy rejects it.
struct non_finite_error : error {
  using error::error;
};

// A parameter outside its valid range (negative window, gamma not finite, unknown option...).
struct invalid_argument_error : error {
  using error::error;
};

// A malformed input file (JSON, .npy/.npz, safetensors, checkpoint). The message names the
// file and the field or byte offset.
struct format_error : error {
  using error::error;
};

namespace detail {
inline std::string shape_str(std::size_t tokens, std::size_t dim) {
  return std::to_string(tokens) + "x" + std::to_string(dim);
}
}  // namespace detail

}  // namespace predsense
