// tools/support/registry_cli.hpp - command-line options generated from the component registry.
//
// A tool that lets the user choose a component (a segmenter, a metric, ...) adds the options with
// add_registry_options(app, kind, names, ...): `--<flag> NAME` (a registry name of that kind, or a
// deprecated alias, which warns on stderr) and `--<flag>-param KEY=VALUE` (repeatable; KEY a
// registry parameter name of the chosen component). The --help text lists every offered component
// with its parameters (type, range, default, unit, doc) from predsense/registry/registry.hpp, so the
// help, the Python keywords, the stubs and docs/registry.md say the same thing.
// After parsing, resolve_registry_options() returns the checked values (registry::resolve: NaN,
// ranges, unknown keys refused with invalid_argument_error naming the component and parameter ->
// exit code 2 through run_tool), and make_segmenter(...) etc. build the component.
//
//   predsense::tools::registry_choice seg{"cut"};
//   predsense::tools::add_registry_options(app, "segmenter", {"cut", "peak", "threshold"}, "segmenter", seg);
//   ... run_tool(...):
//   const auto r = predsense::tools::resolve_registry_options(seg, "predsense-video");
//   auto segmenter = predsense::registry::make_segmenter(r.spec->name, r.values);
#pragma once

#include <CLI/CLI.hpp>

#include <cerrno>
#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <iostream>
#include <string>
#include <vector>

#include "predsense/core/error.hpp"
#include "predsense/registry/registry.hpp"

namespace predsense::tools {

namespace reg = predsense::registry;

// One parameter's help line: "    name  type in range, default d (unit): doc [deprecated: a, b]".
inline std::string registry_param_help(const reg::param_spec& p) {
  std::string s = "    " + p.name + "  " + reg::type_name(p.type);
  const auto range = reg::range_text(p);
  if (!range.empty()) s += (p.type == reg::param_type::choice ? ", " : " in ") + range;
  if (p.optional) s += " or none";
  s += ", default " + reg::to_text(p.def);
  if (!p.unit.empty()) s += " (" + p.unit + ")";
  s += ": " + p.doc;
  if (!p.aliases.empty()) {
    s += " [deprecated:";
    for (const auto& a : p.aliases) s += " " + a;
    s += "]";
  }
  return s + "\n";
}

// The help block of some components of a kind (all of them when `names` is empty).
inline std::string registry_help(const std::string& kind, const std::vector<std::string>& names = {}) {
  std::string s;
  for (const auto* c : reg::components(kind)) {
    bool offered = names.empty();
    for (const auto& n : names) offered = offered || n == c->name;
    if (!offered) continue;
    s += "  " + c->name + ": " + c->doc;
    for (const auto& a : c->aliases) s += " [deprecated name: " + a + "]";
    s += "\n";
    for (const auto& p : c->params) s += registry_param_help(p);
  }
  return s;
}

// A KEY=VALUE text -> the value in the parameter's type (booleans: true/false/1/0; none: off).
inline reg::param_value parse_registry_value(const reg::component_spec& c, const std::string& key,
                                             const std::string& text) {
  const reg::param_spec* p = nullptr;
  for (const auto& q : c.params) {
    if (q.name == key) p = &q;
    for (const auto& a : q.aliases)
      if (a == key) p = &q;
  }
  if (!p) return text;  // resolve() refuses it, listing the known names
  if (text == "none" || text == "None") return std::monostate{};
  switch (p->type) {
    case reg::param_type::boolean:
      if (text == "true" || text == "1") return true;
      if (text == "false" || text == "0") return false;
      throw invalid_argument_error(reg::where(c, p->name) + ": '" + text + "' is not true/false");
    case reg::param_type::choice:
      return text;
    case reg::param_type::integer: {
      char* end = nullptr;
      errno = 0;
      const long long v = std::strtoll(text.c_str(), &end, 10);
      if (!text.empty() && *end == '\0' && errno == 0) return static_cast<std::int64_t>(v);
      [[fallthrough]];  // "1e3", "2.5": read as a number; resolve() checks it is an integer
    }
    case reg::param_type::real: {
      char* end = nullptr;
      const double v = std::strtod(text.c_str(), &end);
      if (text.empty() || *end != '\0')
        throw invalid_argument_error(reg::where(c, p->name) + ": '" + text + "' is not a number");
      return v;
    }
  }
  return text;
}

// Splits "key=value" texts; refuses one without '='.
inline std::vector<std::pair<std::string, std::string>> split_key_values(const std::vector<std::string>& kvs,
                                                                         const std::string& option) {
  std::vector<std::pair<std::string, std::string>> out;
  for (const auto& kv : kvs) {
    const auto eq = kv.find('=');
    if (eq == std::string::npos || eq == 0)
      throw invalid_argument_error(option + " '" + kv + "' is not of the form key=value");
    out.emplace_back(kv.substr(0, eq), kv.substr(eq + 1));
  }
  return out;
}

// What the user chose for one kind: a name and KEY=VALUE texts.
struct registry_choice {
  std::string name;                   // the default before parsing
  std::vector<std::string> params{};  // KEY=VALUE
  std::string kind{}, flag{};         // set by add_registry_options
  std::vector<std::string> offered{};
};

// Adds --<flag> NAME and --<flag>-param KEY=VALUE to `app`, help generated from the registry.
inline void add_registry_options(CLI::App& app, const std::string& kind, const std::vector<std::string>& offered,
                                 const std::string& flag, registry_choice& out) {
  out.kind = kind, out.flag = flag, out.offered = offered;
  std::string names;
  for (const auto& n : offered) names += (names.empty() ? "" : ", ") + n;
  app.add_option("--" + flag, out.name,
                 kind + " (registry name): " + names + "; default " + out.name + ". Parameters (--" + flag +
                     "-param KEY=VALUE):\n" + registry_help(kind, offered));
  app.add_option("--" + flag + "-param", out.params, "KEY=VALUE for the chosen " + kind + ", repeatable")
      ->allow_extra_args(false)
      ->multi_option_policy(CLI::MultiOptionPolicy::TakeAll);
}

// Deprecated names used ("old -> new"), printed as warnings on stderr.
inline void warn_deprecated(const std::string& tool, const std::vector<std::string>& used) {
  for (const auto& u : used)
    std::cerr << tool << ": warning: '" << u.substr(0, u.find(' ')) << "' is deprecated, use '"
              << u.substr(u.rfind(' ') + 1) << "'\n";
}

// The chosen component and its checked parameter values (defaults filled). invalid_argument_error
// for a name not offered or a bad parameter.
inline reg::resolved resolve_registry_options(const registry_choice& ch, const std::string& tool,
                                              const reg::param_values& tool_defaults = {}) {
  std::vector<std::string> deprecated;
  const auto& c = reg::find(ch.kind, ch.name, &deprecated);
  bool offered = ch.offered.empty();
  for (const auto& n : ch.offered) offered = offered || n == c.name;
  if (!offered) throw invalid_argument_error("--" + ch.flag + ": " + ch.kind + " '" + c.name + "' is not offered here");
  reg::param_values given = tool_defaults;
  for (const auto& [k, v] : split_key_values(ch.params, "--" + ch.flag + "-param")) {
    std::string key = k;
    for (const auto& p : c.params)
      for (const auto& a : p.aliases)
        if (a == k) key = p.name;
    given[key] = parse_registry_value(c, k, v);
    if (key != k) deprecated.push_back(k + " -> " + key);
  }
  warn_deprecated(tool, deprecated);
  return {&c, reg::resolve(c, given)};
}

}  // namespace predsense::tools
