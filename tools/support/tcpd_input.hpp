// tools/support/tcpd_input.hpp - predsense-tcpd's input files (a TCPD series, the annotations),
// checked field by field before anything is allocated from them; also the entry points of the
// fuzz targets fuzz/fuzz_tcpd_series.cpp and fuzz/fuzz_tcpd_annotations.cpp.
//
// Series: {"name": s, "n_obs": N, "series": [{"raw": [N values]}...]}; "name" is optional (default:
// the file's stem) but a string when present; null and the string "NaN" are missing values (NaN),
// infinities are refused; n_obs must equal the number of values present.
// Annotations: {series: {annotator: [int change points]}}. Errors: format_error / empty_error /
// non_finite_error naming the file and the field (exit 2 in the tool).
#pragma once

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <limits>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include "cli.hpp"
#include "predsense/core/checked_size.hpp"
#include "predsense/core/error.hpp"
#include "predsense/segmentation/series/standardize.hpp"

namespace predsense::tools {

using predsense::format_error;

// The tool's reader: JSON with the size and depth limits of cli.hpp, errors as format_error.
inline json read_tcpd_json(const std::string& file) {
  try {
    return read_json(file);
  } catch (const bad_input& e) {
    throw format_error(e.what());
  }
}

struct series {
  std::string file;
  std::string name;
  std::size_t n = 0;
  std::size_t dims = 0;
  std::vector<double> x;  // row-major n x dims, z-scored per column
};

// Reads a TCPD series. `null` (and "NaN" spelled as a string) is a missing value, kept as NaN;
// infinities are refused. Every length is checked against the data present before allocating.
// `j` was read from `file` (named in messages).
inline series series_from_json(const json& j, const std::string& file) {
  if (!j.is_object()) throw format_error(file + ": top level must be a JSON object");
  for (const char* f : {"series", "n_obs"})
    if (!j.contains(f)) throw format_error(file + ": missing field '" + f + "'");
  if (!j["n_obs"].is_number_unsigned()) throw format_error(file + ": field 'n_obs' must be a non-negative integer");
  const auto& s = j["series"];
  if (!s.is_array()) throw format_error(file + ": field 'series' must be an array");
  series out;
  out.file = file;
  // a present "name" must be a string: the results are keyed by it (a number would silently fall
  // back to the file name and match no annotation)
  if (j.contains("name") && !j["name"].is_string())
    throw format_error(file + ": field 'name' must be a string, got " + j["name"].dump());
  out.name = j.contains("name") ? j["name"].get<std::string>() : std::filesystem::path(file).stem().string();
  out.n = j["n_obs"].get<std::size_t>();
  if (out.n == 0) throw predsense::empty_error(file + ": empty series (field 'n_obs' is 0)");
  if (s.empty()) throw predsense::empty_error(file + ": empty series (field 'series' has no dimension)");
  out.dims = s.size();
  for (std::size_t d = 0; d < out.dims; ++d) {
    const std::string where = "series[" + std::to_string(d) + "].raw";
    if (!s[d].is_object() || !s[d].contains("raw")) throw format_error(file + ": missing field '" + where + "'");
    const auto& raw = s[d]["raw"];
    if (!raw.is_array()) throw format_error(file + ": field '" + where + "' must be an array");
    if (raw.size() != out.n)
      throw format_error(file + ": field '" + where + "' has " + std::to_string(raw.size()) +
                         " values but 'n_obs' is " + std::to_string(out.n));
  }
  // sizes now match the values present (n x dims values were parsed): the product cannot wrap
  out.x.assign(predsense::checked_mul(out.n, out.dims, file + ": n_obs x dimensions"), 0.0);
  for (std::size_t d = 0; d < out.dims; ++d) {
    const std::string where = "series[" + std::to_string(d) + "].raw";
    const auto& raw = s[d]["raw"];
    for (std::size_t i = 0; i < out.n; ++i) {
      const auto& v = raw[i];
      const std::string at = where + "[" + std::to_string(i) + "]";
      double value = 0.0;
      if (v.is_null()) {
        value = std::numeric_limits<double>::quiet_NaN();  // missing
      } else if (v.is_number()) {
        value = v.get<double>();
      } else if (v.is_string()) {
        // Some writers spell NaN/Infinity as strings; anything else is not a number either.
        const std::string str = v.get<std::string>();
        char* end = nullptr;
        value = std::strtod(str.c_str(), &end);
        if (end == str.c_str() || *end != '\0')
          throw format_error(file + ": field '" + at + "' is not a number: \"" + str + "\"");
      } else {
        throw format_error(file + ": field '" + at + "' is not a number");
      }
      if (std::isinf(value))
        throw predsense::non_finite_error(file + ": field '" + at +
                                          "' is infinite (only null/NaN, a missing "
                                          "value, is accepted besides finite numbers)");
      out.x[i * out.dims + d] = value;
    }
  }
  predsense::standardize_columns(out.x, out.dims);
  return out;
}

using annotation_set = std::vector<std::vector<std::int64_t>>;

inline std::map<std::string, annotation_set> annotations_from_json(const json& j, const std::string& file) {
  if (!j.is_object()) throw format_error(file + ": top level must be an object {series: {annotator: [cps]}}");
  std::map<std::string, annotation_set> out;
  for (const auto& [name, per] : j.items()) {
    if (!per.is_object()) throw format_error(file + ": field '" + name + "' must be an object {annotator: [cps]}");
    // Annotators in increasing user-id order: the published TCPDBench scores were summed in that
    // order, and only that order reproduces them to the last bit (JSON key order is string order).
    std::vector<std::pair<std::string, json>> ordered;
    for (const auto& item : per.items()) ordered.emplace_back(item.key(), item.value());
    auto id_of = [](const std::string& k) {
      char* end = nullptr;
      const long long v = std::strtoll(k.c_str(), &end, 10);
      return (k.empty() || *end != '\0') ? std::numeric_limits<long long>::max() : v;
    };
    std::stable_sort(ordered.begin(), ordered.end(), [&](const auto& x, const auto& y) {
      return id_of(x.first) != id_of(y.first) ? id_of(x.first) < id_of(y.first) : x.first < y.first;
    });
    annotation_set a;
    for (const auto& [who, cps] : ordered) {
      if (!cps.is_array()) throw format_error(file + ": field '" + name + "." + who + "' must be an array of integers");
      std::vector<std::int64_t> v;
      for (const auto& c : cps) {
        if (!c.is_number_integer()) throw format_error(file + ": field '" + name + "." + who + "' holds a non-integer");
        v.push_back(c.get<std::int64_t>());
      }
      a.push_back(std::move(v));
    }
    if (a.empty()) throw format_error(file + ": field '" + name + "' has no annotators");
    out.emplace(name, std::move(a));
  }
  return out;
}

inline series load_series(const std::string& file) { return series_from_json(read_tcpd_json(file), file); }

inline std::map<std::string, annotation_set> load_annotations(const std::string& file) {
  return annotations_from_json(read_tcpd_json(file), file);
}

}  // namespace predsense::tools
