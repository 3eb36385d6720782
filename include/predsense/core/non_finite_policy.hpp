// predsense/core/non_finite_policy.hpp - what a component does with NaN/Inf input.
//
// Policies are types (selected as a template argument):
//   reject_non_finite (default) - throw non_finite_error naming the operand, token and dim;
//   allow_non_finite            - IEEE semantics: NaN/Inf propagate into the result.
// Rejecting costs nothing on the hot path: every metric reduces each token through its squared
// norm, which is finite exactly when all of the token's values are (barring overflow of |x| >
// ~1.8e19). Only when a result comes out non-finite is the input scanned to locate the value.
#pragma once

#include <cmath>
#include <concepts>
#include <cstddef>
#include <string>

#include "predsense/core/error.hpp"
#include "predsense/core/frame_view.hpp"

namespace predsense {

struct reject_non_finite {
  static constexpr bool rejects = true;
};
struct allow_non_finite {
  static constexpr bool rejects = false;
};

template <class P>
concept non_finite_policy = requires {
  { P::rejects } -> std::convertible_to<bool>;
};

namespace detail {

// Throws non_finite_error for the first NaN/Inf in `f`; returns normally if there is none.
inline void locate_non_finite(const frame_view& f, const char* operand) {
  for (std::size_t t = 0; t < f.tokens; ++t)
    for (std::size_t d = 0; d < f.dim; ++d) {
      const float v = f.data[t * f.dim + d];
      if (!std::isfinite(v))
        throw non_finite_error(std::string("predsense: non-finite value ") + std::to_string(v) + " in " + operand +
                               " at token " + std::to_string(t) + ", dim " + std::to_string(d) + " (frame " +
                               shape_str(f.tokens, f.dim) + "); NaN/Inf are rejected by default, see allow_non_finite");
    }
}

// Called when a metric's result is not finite. Under reject_non_finite it locates the bad
// input value and throws; if every input is finite the result overflowed, which is reported too.
template <non_finite_policy P>
inline double check_result(double r, const frame_view& a, const char* name_a, const frame_view& b, const char* name_b) {
  if constexpr (P::rejects) {
    if (!std::isfinite(r)) {
      locate_non_finite(a, name_a);
      locate_non_finite(b, name_b);
      throw non_finite_error(std::string("predsense: result overflowed to ") + std::to_string(r) +
                             " although every input is finite (|values| too large for float)");
    }
  }
  return r;
}

}  // namespace detail
}  // namespace predsense
