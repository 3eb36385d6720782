// predsense/counting/segment_answer.hpp - what one event segment contributes to a stream count,
// and the concept every count aggregator satisfies.
//
// Cambrian-S (VSC) answers "how many X?" per surprise-delimited segment and combines the answers.
// A segment_answer carries the segment's own count and, optionally, one descriptor (embedding) per
// counted instance, so an aggregator can tell a revisited object from a new one. Descriptors are
// borrowed (row-major count x dim); they only need to live for the add() call.
#pragma once

#include <cmath>
#include <concepts>
#include <cstddef>
#include <span>
#include <string>

#include "predsense/core/error.hpp"
#include "predsense/kernels/dot.hpp"

namespace predsense {

struct segment_answer {
  std::size_t begin = 0;               // first frame of the segment
  std::size_t end = 0;                 // one past its last frame: the segment is [begin, end)
  std::size_t count = 0;               // the segment's own answer
  std::span<const float> descriptors;  // count x dim, row-major; empty if the counter gives none
  std::size_t dim = 0;                 // descriptor length (0 when there are no descriptors)
};

// Combines segment answers, in stream order, into a running count that can be read at any time.
template <class A>
concept count_aggregator = requires(A a, const A& ca, const segment_answer& s) {
  a.add(s);
  { ca.count() } -> std::convertible_to<std::size_t>;
  a.reset();
};

namespace detail {

// Checks one answer. An aggregator that cannot count without descriptors passes
// need_descriptors; descriptors that are present are always checked, so an inconsistent answer
// is never silently accepted. Returns nothing; throws the typed error naming the field.
inline void validate_segment(const segment_answer& s, const char* who, bool need_descriptors) {
  const std::string where =
      std::string("predsense: ") + who + ": segment [" + std::to_string(s.begin) + ", " + std::to_string(s.end) + ")";
  if (s.end <= s.begin) throw empty_error(where + " covers no frames (end must be > begin)");
  const bool has = !s.descriptors.empty() || s.dim != 0;
  if (!has) {
    if (need_descriptors && s.count > 0)
      throw empty_error(where + ": count " + std::to_string(s.count) +
                        " but no descriptors; this aggregator needs one descriptor per counted instance");
    return;
  }
  if (s.dim == 0) throw empty_error(where + ": descriptors have dim 0 (zero-length descriptors)");
  if (s.descriptors.size() != s.count * s.dim)
    throw shape_error(where + ": descriptors hold " + std::to_string(s.descriptors.size()) +
                      " floats, expected count x dim = " + std::to_string(s.count) + " x " + std::to_string(s.dim));
  for (std::size_t i = 0; i < s.count; ++i) {
    double n2 = 0.0;
    for (std::size_t d = 0; d < s.dim; ++d) {
      const float v = s.descriptors[i * s.dim + d];
      if (!std::isfinite(v))
        throw non_finite_error(where + ": descriptor " + std::to_string(i) + " has non-finite value " +
                               std::to_string(v) + " at dim " + std::to_string(d));
      n2 += double(v) * v;
    }
    if (!(n2 > 0.0))
      throw invalid_argument_error(where + ": descriptor " + std::to_string(i) +
                                   " is all zeros (its cosine similarity is undefined)");
  }
}

// Segments must arrive in stream order without overlap: an overlapping segment would count the
// same frames twice without any error.
inline void validate_order(const segment_answer& s, std::size_t prev_end, bool has_prev, const char* who) {
  if (has_prev && s.begin < prev_end)
    throw invalid_argument_error(std::string("predsense: ") + who + ": segment [" + std::to_string(s.begin) + ", " +
                                 std::to_string(s.end) + ") starts before the previous one ended (" +
                                 std::to_string(prev_end) + "); add segments in stream order");
}

// Writes the unit-norm copy of row `i` of a validated descriptor block into out[0, dim).
inline void normalized_row(std::span<const float> rows, std::size_t dim, std::size_t i, float* out) {
  double n2 = 0.0;
  for (std::size_t d = 0; d < dim; ++d) n2 += double(rows[i * dim + d]) * rows[i * dim + d];
  const double inv = 1.0 / std::sqrt(n2);
  for (std::size_t d = 0; d < dim; ++d) out[d] = float(rows[i * dim + d] * inv);
}

// Cosine of two unit vectors: float SIMD dot (the matching's inner loop).
inline double dot_rows(const float* a, const float* b, std::size_t dim) noexcept {
  return double(kernels::dot(a, b, dim));
}

// Scales x[0, dim) to unit norm (a sum of unit vectors is never zero in practice; if it is, it
// is left as is and matches nothing).
inline void normalize_in_place(float* x, std::size_t dim) noexcept {
  const double n2 = dot_rows(x, x, dim);
  if (!(n2 > 0.0)) return;
  const double inv = 1.0 / std::sqrt(n2);
  for (std::size_t d = 0; d < dim; ++d) x[d] = float(x[d] * inv);
}

inline void require_threshold(double t, const char* who) {
  if (!(t >= -1.0 && t <= 1.0))
    throw invalid_argument_error(std::string("predsense: ") + who + ": threshold must be a cosine in [-1, 1], got " +
                                 std::to_string(t));
}

}  // namespace detail
}  // namespace predsense
