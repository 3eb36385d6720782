// predsense/segmentation/series/missing_values.hpp - what an offline segmenter does with missing values.
//
// A missing value is NaN in an array (`null` in a TCPD JSON file). A row of a multivariate series
// (row-major n x dims) is missing when any of its values is. Three policies:
//   - skip (default): drop the missing rows; the method sees only the observed rows, segment costs
//     use only the observed points, and a change point found at observed row k is reported as the
//     original index of that row (the first observed row of the new segment). Penalties that
//     depend on the length use the number of observed rows.
//   - interpolate: fill each missing value linearly between the nearest observed values of its
//     column (before the first / after the last observed value: the nearest observed value).
//   - error: a missing value is an error (non_finite_error naming the row and column).
// Infinity is never a missing value: it is refused under every policy.
//
// Errors: empty_error when the series has no observed row; non_finite_error for +-Inf, or for
// NaN under `error`; shape_error when the data do not form rows of `dims`.
#pragma once

#include <cmath>
#include <cstddef>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "predsense/core/error.hpp"

namespace predsense {

enum class missing_policy { skip, interpolate, error };

inline missing_policy parse_missing_policy(std::string_view s) {
  if (s == "skip") return missing_policy::skip;
  if (s == "interpolate") return missing_policy::interpolate;
  if (s == "error") return missing_policy::error;
  throw invalid_argument_error("predsense: missing policy must be skip, interpolate or error, got '" + std::string(s) +
                               "'");
}

inline const char* missing_policy_name(missing_policy p) {
  switch (p) {
    case missing_policy::skip:
      return "skip";
    case missing_policy::interpolate:
      return "interpolate";
    case missing_policy::error:
      return "error";
  }
  return "?";
}

// The rows a method sees, and where each came from.
struct observed_series {
  std::vector<double> x;  // rows x dims, row-major, all finite
  std::size_t dims = 1;
  std::vector<std::size_t> index;  // original row of each kept row (increasing)
  std::size_t original_rows = 0;   // n of the input

  std::size_t rows() const { return index.size(); }
  // Original index of observed row k (k == rows() maps to original_rows, the end).
  std::size_t original(std::size_t k) const { return k < index.size() ? index[k] : original_rows; }
  // Map change points given in observed rows back to original indices.
  std::vector<std::size_t> to_original(const std::vector<std::size_t>& cps) const {
    std::vector<std::size_t> out;
    out.reserve(cps.size());
    for (std::size_t c : cps) out.push_back(original(c));
    return out;
  }
};

// Apply `policy` to a row-major n x dims series. `who` prefixes error messages.
inline observed_series apply_missing_policy(std::span<const double> x, std::size_t dims, missing_policy policy,
                                            const std::string& who = "predsense") {
  if (dims == 0 || x.size() % dims != 0)
    throw shape_error(who + ": " + std::to_string(x.size()) +
                      " values do not form rows of dims = " + std::to_string(dims));
  const std::size_t n = x.size() / dims;
  if (n == 0) throw empty_error(who + ": empty series");
  observed_series out;
  out.dims = dims;
  out.original_rows = n;
  std::size_t observed_rows = 0;
  for (std::size_t i = 0; i < n; ++i) {
    bool row_missing = false;
    for (std::size_t d = 0; d < dims; ++d) {
      const double v = x[i * dims + d];
      if (std::isinf(v))
        throw non_finite_error(who + ": value at row " + std::to_string(i) + ", column " + std::to_string(d) +
                               " is infinite");
      if (std::isnan(v)) {
        if (policy == missing_policy::error)
          throw non_finite_error(who + ": value at row " + std::to_string(i) + ", column " + std::to_string(d) +
                                 " is missing (NaN/null) and the missing policy is 'error'");
        row_missing = true;
      }
    }
    observed_rows += row_missing ? 0 : 1;
  }
  if (policy == missing_policy::skip) {
    if (observed_rows == 0) {
      for (std::size_t d = 0; d < dims; ++d) {
        bool all = true;
        for (std::size_t i = 0; i < n && all; ++i) all = std::isnan(x[i * dims + d]);
        if (all)
          throw empty_error(who + ": column " + std::to_string(d) + " is missing in all " + std::to_string(n) +
                            " rows (a row is skipped when any of its values is missing)");
      }
      throw empty_error(who + ": every one of the " + std::to_string(n) + " rows has a missing value");
    }
    out.x.reserve(observed_rows * dims);
    out.index.reserve(observed_rows);
    for (std::size_t i = 0; i < n; ++i) {
      bool ok = true;
      for (std::size_t d = 0; d < dims; ++d) ok = ok && !std::isnan(x[i * dims + d]);
      if (!ok) continue;
      out.index.push_back(i);
      out.x.insert(out.x.end(), x.begin() + static_cast<std::ptrdiff_t>(i * dims),
                   x.begin() + static_cast<std::ptrdiff_t>((i + 1) * dims));
    }
    return out;
  }
  // interpolate (or error with nothing missing): column by column.
  out.x.assign(x.begin(), x.end());
  out.index.resize(n);
  for (std::size_t i = 0; i < n; ++i) out.index[i] = i;
  for (std::size_t d = 0; d < dims; ++d) {
    std::size_t prev = n;  // last observed row (n: none yet)
    for (std::size_t i = 0; i <= n; ++i) {
      if (i < n && std::isnan(out.x[i * dims + d])) continue;
      // rows prev+1 .. i-1 are missing
      const std::size_t first = prev == n ? 0 : prev + 1;
      if (prev == n && i == n)
        throw empty_error(who + ": column " + std::to_string(d) + " has no observed value to interpolate from");
      for (std::size_t j = first; j < i; ++j) {
        double v;
        if (prev == n)
          v = out.x[i * dims + d];
        else if (i == n)
          v = out.x[prev * dims + d];
        else {
          const double w = static_cast<double>(j - prev) / static_cast<double>(i - prev);
          v = out.x[prev * dims + d] + w * (out.x[i * dims + d] - out.x[prev * dims + d]);
        }
        out.x[j * dims + d] = v;
      }
      prev = i;
    }
  }
  return out;
}

}  // namespace predsense
