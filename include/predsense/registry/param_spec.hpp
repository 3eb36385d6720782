// predsense/registry/param_spec.hpp - one component parameter's description and the one validator.
//
// A component (a segmenter, a metric, ...) is described by a component_spec: its kind, its registry
// name, a one-line doc and its parameters. Each param_spec gives the parameter's name, type, range,
// default, unit and a one-line doc, plus old spellings kept as deprecated aliases. The CLI options,
// the Python keyword arguments, the .pyi stubs and the docs' parameter tables are generated from
// these (predsense/registry/registry.hpp holds the tables; docs/concepts.md, "The registry").
//
// resolve() is the one validator: it maps the given values (by name or deprecated alias) onto the
// spec, fills the defaults and checks every value against its type and range. NaN is refused for
// every parameter. Errors: invalid_argument_error naming the component and the parameter
// ("predsense: segmenter 'peak': parameter 'prominence' is NaN").
#pragma once

#include <cmath>
#include <cstdint>
#include <cstdio>
#include <limits>
#include <map>
#include <string>
#include <variant>
#include <vector>

#include "predsense/core/error.hpp"

namespace predsense::registry {

enum class param_type { integer, real, boolean, choice };

inline const char* type_name(param_type t) {
  switch (t) {
    case param_type::integer:
      return "int";
    case param_type::real:
      return "float";
    case param_type::boolean:
      return "bool";
    case param_type::choice:
      return "str";
  }
  return "?";
}

// A value: none (an optional parameter that is off), a bool, an integer, a real or a choice's name.
using param_value = std::variant<std::monostate, bool, std::int64_t, double, std::string>;
using param_values = std::map<std::string, param_value>;

struct param_spec {
  std::string name;
  param_type type = param_type::real;
  double lo = -std::numeric_limits<double>::infinity();  // range [lo, hi]; *_open: the bound itself excluded
  double hi = std::numeric_limits<double>::infinity();
  bool lo_open = false, hi_open = false;
  param_value def{};                   // the default (std::monostate: None, for an optional parameter)
  bool optional = false;               // None is accepted (and means "off" / "not given")
  std::vector<std::string> choices{};  // param_type::choice: the accepted names
  std::string unit;                    // "steps", "frames", "sd", "surprise units", "" (unitless)
  std::string doc;                     // one line
  std::vector<std::string> aliases{};  // deprecated spellings, still accepted (with a warning)
};

struct component_spec {
  std::string kind;  // "segmenter", "metric", ...
  std::string name;  // the registry name ("peak")
  std::string doc;   // one line
  std::vector<param_spec> params{};
  std::vector<std::string> aliases{};  // deprecated names of the component ("peaks")
  std::string python_class{};          // the Python class (or function) it builds, if any
  std::string cpp_type{};              // the C++ type it builds
};

namespace detail {
inline std::string fmt_number(double v) {
  if (std::isinf(v)) return v > 0 ? "inf" : "-inf";
  if (v == std::floor(v) && std::fabs(v) < 1e15) return std::to_string(static_cast<long long>(v));
  std::string s = std::to_string(v);
  // shortest round-trip text would be nicer; trim trailing zeros of the fixed form
  if (std::fabs(v) < 1e-3 || std::fabs(v) >= 1e15) {
    char buf[32];
    std::snprintf(buf, sizeof buf, "%g", v);
    return buf;
  }
  while (!s.empty() && s.back() == '0') s.pop_back();
  if (!s.empty() && s.back() == '.') s.pop_back();
  return s;
}
}  // namespace detail

// The value as text, as the docs and --help print it (None, True/False, 5, 0.5, -inf, 'mean').
inline std::string to_text(const param_value& v) {
  if (std::holds_alternative<std::monostate>(v)) return "None";
  if (auto b = std::get_if<bool>(&v)) return *b ? "True" : "False";
  if (auto i = std::get_if<std::int64_t>(&v)) return std::to_string(*i);
  if (auto d = std::get_if<double>(&v)) return detail::fmt_number(*d);
  return std::get<std::string>(v);
}

// The range as text: "[1, inf)", "(0, 1]", "one of: mean, meanvar", "" for booleans.
inline std::string range_text(const param_spec& p) {
  if (p.type == param_type::boolean) return "";
  if (p.type == param_type::choice) {
    std::string s;
    for (const auto& c : p.choices) s += (s.empty() ? "" : ", ") + c;
    return "one of: " + s;
  }
  const bool lo_inf = std::isinf(p.lo), hi_inf = std::isinf(p.hi);
  std::string s = (p.lo_open || (lo_inf && p.type == param_type::integer)) ? "(" : "[";
  s += detail::fmt_number(p.lo) + ", " + detail::fmt_number(p.hi);
  s += (p.hi_open || (hi_inf && p.type == param_type::integer)) ? ")" : "]";
  return s;
}

inline std::string where(const component_spec& c, const std::string& param) {
  return "predsense: " + c.kind + " '" + c.name + "': parameter '" + param + "'";
}

// Checks one value against its spec; returns it in the spec's own type (an integral real given for
// an integer parameter becomes an integer, an integer given for a real becomes a real).
inline param_value check_value(const component_spec& c, const param_spec& p, const param_value& v) {
  const std::string at = where(c, p.name);
  if (std::holds_alternative<std::monostate>(v)) {
    if (!p.optional) throw invalid_argument_error(at + " is required (None is not accepted)");
    return v;
  }
  switch (p.type) {
    case param_type::boolean:
      if (auto b = std::get_if<bool>(&v)) return *b;
      if (auto i = std::get_if<std::int64_t>(&v); i && (*i == 0 || *i == 1)) return *i != 0;
      throw invalid_argument_error(at + " must be a bool (true/false), got " + to_text(v));
    case param_type::choice: {
      const auto s = std::get_if<std::string>(&v);
      if (!s) throw invalid_argument_error(at + " must be a name (" + range_text(p) + "), got " + to_text(v));
      for (const auto& ch : p.choices)
        if (ch == *s) return *s;
      throw invalid_argument_error(at + ": '" + *s + "' is not " + range_text(p));
    }
    case param_type::integer:
    case param_type::real: {
      double x = 0;
      std::int64_t n = 0;
      if (auto i = std::get_if<std::int64_t>(&v))
        x = static_cast<double>(*i), n = *i;
      else if (auto d = std::get_if<double>(&v))
        x = *d;
      else
        throw invalid_argument_error(at + " must be a number, got " + to_text(v));
      if (std::isnan(x)) throw invalid_argument_error(at + " is NaN");
      const bool below = p.lo_open ? !(x > p.lo) : !(x >= p.lo);
      const bool above = p.hi_open ? !(x < p.hi) : !(x <= p.hi);
      if (below || above)
        throw invalid_argument_error(at + " must be in " + range_text(p) + ", got " +
                                     (std::holds_alternative<std::int64_t>(v) ? std::to_string(n) : to_text(v)));
      if (p.type == param_type::real) return x;
      if (std::holds_alternative<std::int64_t>(v)) return n;
      if (x != std::floor(x)) throw invalid_argument_error(at + " must be an integer, got " + to_text(v));
      if (std::fabs(x) > 9.0e18) throw invalid_argument_error(at + " is out of range, got " + to_text(v));
      return static_cast<std::int64_t>(x);
    }
  }
  return v;
}

// The one validator: given values (by name or deprecated alias) -> every parameter's value, checked,
// defaults filled. Unknown names are refused, listing the known ones. A deprecated alias used is
// reported in `deprecated` as "old -> new" (the caller warns); the same parameter given twice (by
// its name and an alias) is refused.
inline param_values resolve(const component_spec& c, const param_values& given,
                            std::vector<std::string>* deprecated = nullptr) {
  param_values out;
  for (const auto& [key, value] : given) {
    const param_spec* hit = nullptr;
    bool alias = false;
    for (const auto& p : c.params) {
      if (p.name == key) hit = &p;
      for (const auto& a : p.aliases)
        if (a == key) hit = &p, alias = true;
      if (hit) break;
    }
    if (!hit) {
      std::string known;
      for (const auto& p : c.params) known += (known.empty() ? "" : ", ") + p.name;
      throw invalid_argument_error("predsense: " + c.kind + " '" + c.name + "': unknown parameter '" + key +
                                   "' (known: " + (known.empty() ? "none" : known) + ")");
    }
    if (out.count(hit->name))
      throw invalid_argument_error(where(c, hit->name) + " is given twice (as '" + key + "' and by another name)");
    if (alias && deprecated) deprecated->push_back(key + " -> " + hit->name);
    out[hit->name] = check_value(c, *hit, value);
  }
  for (const auto& p : c.params)
    if (!out.count(p.name)) {
      if (std::holds_alternative<std::monostate>(p.def) && !p.optional)
        throw invalid_argument_error(where(c, p.name) + " is required");
      out[p.name] = p.def;
    }
  return out;
}

// Typed reads of a resolved value (resolve() has checked type and range).
inline double real(const param_values& v, const std::string& k) {
  const auto& x = v.at(k);
  if (auto i = std::get_if<std::int64_t>(&x)) return static_cast<double>(*i);
  return std::get<double>(x);
}
inline std::size_t size(const param_values& v, const std::string& k) {
  return static_cast<std::size_t>(std::get<std::int64_t>(v.at(k)));
}
inline bool flag(const param_values& v, const std::string& k) { return std::get<bool>(v.at(k)); }
inline const std::string& text(const param_values& v, const std::string& k) { return std::get<std::string>(v.at(k)); }
inline bool is_none(const param_values& v, const std::string& k) {
  return std::holds_alternative<std::monostate>(v.at(k));
}

}  // namespace predsense::registry
