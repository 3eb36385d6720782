// predsense-tcpd - run a predsense segmenter on Turing Change Point Dataset series and score it.
//
//   predsense-tcpd --annotations A.json [--method NAME] [--param key=value ...] [--missing POLICY]
//                  [--json OUT.json] SERIES.json...
//
// Prints, per series, the detected change points, F1 and cover (TCPDBench's definitions), then
// the means over the scored series. Series missing from the annotations file are segmented and
// listed without scores. Methods (--list-methods): default (the nested leave-one-series-out choice:
// binary segmentation, Q = 5, linear-trend cost, BIC), pelt / binseg / amoc (TCPDBench's defaults
// unless overridden: cost, penalty, pen_value, min_size, Q, quantiles, tcpdbench_index, r_compatible),
// bocpd, bocpd_peaks, threshold, adaptive, peak, zero. Every series is z-scored first.
// Names and parameters are the component registry's (predsense/registry/registry.hpp; --help lists
// them): min_separation (was separation / min_gap), kappa0, alpha0, beta0, prune_mass (were k, a,
// b, prune), max_changes (was Q), method peak (was peaks); the old spellings still work and warn on
// stderr. Every registry parameter is checked by the registry's validator (NaN, range) -> exit 2.
// Missing values (`null`): --missing skip (default; methods see the observed rows, change points
// in the original index), interpolate or error; see docs/segmentation.md.
// Any bad input (unreadable or non-JSON file, missing `series`/`n_obs`, a length that does not
// match the values present, an infinite value, a series with no observed value, one shorter than
// the method's minimum, an unknown method, parameter or value) stops the run with a message
// naming the file and field and exit code 2, before any output file is written; --json is
// written to a temporary file and renamed into place.
#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <unistd.h>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <functional>
#include <iomanip>
#include <iostream>
#include <limits>
#include <map>
#include <sstream>
#include <string>
#include <vector>

#include "predsense/core/error.hpp"
#include "predsense/eval/tcpd_cover.hpp"
#include "predsense/eval/tcpd_f1.hpp"
#include "predsense/segmentation/streaming/adaptive_segmenter.hpp"
#include "predsense/surprise/ar_surprise.hpp"
#include "predsense/segmentation/streaming/bocpd.hpp"
#include "predsense/segmentation/streaming/bocpd_segmenter.hpp"
#include "predsense/segmentation/series/missing_values.hpp"
#include "predsense/segmentation/offline/offline_change_points.hpp"
#include "predsense/segmentation/streaming/peak_segmenter.hpp"
#include "predsense/segmentation/series/standardize.hpp"
#include "predsense/segmentation/streaming/threshold_segmenter.hpp"
#include "predsense/registry/registry.hpp"
#include "support/cli.hpp"
#include "support/registry_cli.hpp"
#include "support/tcpd_input.hpp"

namespace fs = std::filesystem;
using json = nlohmann::json;
using predsense::format_error;
using predsense::invalid_argument_error;

namespace {

using predsense::tools::annotation_set;
using predsense::tools::load_annotations;
using predsense::tools::load_series;
using predsense::tools::series;

// Numeric parameters, plus named choices (cost, penalty) for the offline methods.
struct param_map : std::map<std::string, double> {
  using std::map<std::string, double>::map;
  std::map<std::string, std::string> names;
};
using choice_list = std::map<std::string, std::vector<std::string>>;

struct method {
  std::string help;
  param_map defaults;
  // Smallest series the method accepts (its window), given the parameters.
  std::function<std::size_t(const param_map&)> min_length;
  std::function<std::vector<std::int64_t>(const series&, const param_map&)> run;
  // Named parameters and their allowed values (the default is in `defaults.names`).
  choice_list choices = {};
  // True when `run` takes missing values (NaN rows) itself; otherwise, under --missing skip, the
  // tool runs the method on the observed rows and maps the change points back.
  bool handles_missing = false;
  // The registry component whose parameters this method takes (by the registry's names, checked by
  // its validator), and the values the method fixes (not user parameters).
  std::string segmenter = {};
  predsense::registry::param_values fixed = {};
};

// The tool's own parameters (the surprise source, TCPDBench's conventions), described as the
// registry describes components', for --help and --list-methods.
const std::vector<predsense::registry::param_spec>& tool_params() {
  namespace r = predsense::registry::detail;
  static const std::vector<predsense::registry::param_spec> p{
      r::integer("source", 1, 0, "", "surprise signal: 0 BOCPD -log predictive, 1 online AR residual"),
      r::integer("order", 2, 1, "steps", "AR order of the residual surprise (source 1)"),
      r::real("forgetting", 0.99, 0.0, 1.0, "", "AR forgetting factor (source 1)", true),
      r::integer("quantiles", 0, 0, "", "K of the empirical-distribution cost (0: ceil(4 log n))"),
      r::integer("r_compatible", 1, 0, "", "1: R changepoint's PELT pruning / AMOC test (TCPDBench ran R)"),
      r::integer("tcpdbench_index", 1, 0, "", "1: report TCPDBench's index (one row early)")};
  return p;
}

std::size_t as_size(const param_map& p, const char* key) {
  const double v = p.at(key);
  if (!(v >= 0.0) || v != std::floor(v) || v > 1e12)
    throw invalid_argument_error(std::string("parameter '") + key + "' must be a non-negative integer, got " +
                                 std::to_string(v));
  return static_cast<std::size_t>(v);
}

predsense::bocpd_params bocpd_from(const param_map& p) {
  predsense::bocpd_params b;
  b.lambda = p.at("lambda");
  b.mu0 = p.at("mu0");
  b.kappa0 = p.at("kappa0");
  b.alpha0 = p.at("alpha0");
  b.beta0 = p.at("beta0");
  b.prune_mass = p.at("prune_mass");
  b.validate();
  return b;
}

std::vector<std::int64_t> to_i64(const std::vector<std::size_t>& v) { return {v.begin(), v.end()}; }

std::vector<std::int64_t> boundaries_to_cps(const std::vector<predsense::boundary>& b) {
  std::vector<std::int64_t> out;
  for (const auto& x : b) out.push_back(static_cast<std::int64_t>(x.t));
  return out;
}

// One surprise value per step from the chosen source ("source" 0: BOCPD -log predictive,
// 1: online AR residual), for the generic segmenters.
std::vector<double> surprise_of(const series& s, const param_map& p) {
  const std::size_t src = as_size(p, "source");
  if (src == 0) return predsense::bocpd_surprise(s.x, s.dims, bocpd_from(p));
  if (src == 1) {
    predsense::ar_surprise_params a;
    a.order = as_size(p, "order");
    a.forgetting = p.at("forgetting");
    return predsense::ar_surprise_series(s.x, s.dims, a);
  }
  throw invalid_argument_error("parameter 'source' must be 0 (bocpd) or 1 (ar), got " + std::to_string(p.at("source")));
}

param_map with_bocpd(param_map m) {
  m.insert({{"lambda", 100.0}, {"mu0", 0.0}, {"kappa0", 1.0}, {"alpha0", 1.0}, {"beta0", 1.0}, {"prune_mass", 1e-4}});
  return m;
}
// Defaults of the generic segmenters were picked by a small grid search on the shared series
// (see docs/segmentation.md); the AR residual (source 1) beat BOCPD's -log predictive for all three.
param_map with_source(param_map m, double source) {
  m.insert({{"source", source}, {"order", 2.0}, {"forgetting", 0.99}});
  return with_bocpd(std::move(m));
}

// The lagged-change-probability readout of BOCPD (the default before the leave-one-out choice).
param_map bocpd_peaks_params() {
  return with_bocpd(
      {{"lag", 5.0}, {"threshold", 0.2}, {"prominence", 0.0}, {"min_separation", 5.0}, {"lookahead", 5.0}});
}

std::vector<std::int64_t> run_bocpd_peaks(const series& s, const param_map& p) {
  predsense::bocpd_segmenter_params q;
  q.model = bocpd_from(p);
  q.lag = as_size(p, "lag");
  q.peaks.threshold = p.at("threshold");
  q.peaks.prominence = p.at("prominence");
  q.peaks.min_separation = as_size(p, "min_separation");
  q.peaks.lookahead = as_size(p, "lookahead");
  q.standardize = false;  // the series is z-scored as a whole first (TCPDBench), and row 0 is data
  q.skip_first = false;
  return boundaries_to_cps(predsense::bocpd_segment(s.x, s.dims, q));
}

// --missing, for the methods that take missing values themselves.
predsense::missing_policy g_missing = predsense::missing_policy::skip;

predsense::offline_params offline_from(const param_map& p, predsense::offline_method which) {
  predsense::offline_params o;
  o.method = which;
  o.cost = predsense::parse_cost_kind(p.names.at("cost"));
  const double pen_value = p.at("pen_value");  // NaN: not given
  o.penalty = predsense::parse_penalty(p.names.at("penalty"), pen_value);
  if (o.penalty.kind == predsense::penalty_kind::manual) {
    if (std::isnan(pen_value))
      throw invalid_argument_error("penalty=manual needs --param pen_value=<beta per change, >= 0>");
    (void)o.penalty.per_change(2, 1);  // validates the value
  } else if (!std::isnan(pen_value)) {
    throw invalid_argument_error("parameter 'pen_value' applies only with penalty=manual (penalty is " +
                                 p.names.at("penalty") + ")");
  }
  o.min_size = as_size(p, "min_size");
  if (o.min_size == 0) throw invalid_argument_error("parameter 'min_size' must be >= 1");
  o.quantiles = as_size(p, "quantiles");
  if (p.count("max_changes")) {
    o.max_changes = as_size(p, "max_changes");
    if (o.max_changes == 0) o.max_changes = std::numeric_limits<std::size_t>::max();  // Q = 0: no limit
  }
  for (const char* flag : {"r_compatible", "tcpdbench_index"})
    if (p.count(flag) && as_size(p, flag) > 1)
      throw invalid_argument_error(std::string("parameter '") + flag + "' must be 0 or 1");
  if (p.count("r_compatible")) o.r_compatible = as_size(p, "r_compatible") != 0;
  o.missing = g_missing;
  return o;
}

std::map<std::string, method> methods() {
  std::map<std::string, method> m;
  m["zero"] = {"no change points (the benchmark's baseline)",
               {},
               [](const param_map&) { return 1; },
               [](const series&, const param_map&) { return std::vector<std::int64_t>{}; }};
  m["bocpd"] = {"BOCPD MAP segmentation (TCPDBench's default settings unless overridden)",
                with_bocpd({}),
                [](const param_map&) { return 1; },
                [](const series& s, const param_map& p) {
                  return to_i64(predsense::bocpd_map_segmentation(s.x, s.dims, bocpd_from(p)));
                },
                {},
                true};
  m["bocpd_peaks"] = {"streaming BOCPD: peaks of the lagged change probability",
                      bocpd_peaks_params(),
                      [](const param_map& p) { return as_size(p, "lag") + 1; },
                      run_bocpd_peaks,
                      {},
                      true};
  // The offline methods (PELT, binary segmentation, AMOC). Defaults: TCPDBench's ("default"
  // experiment of its R wrapper: cpt.mean, penalty MBIC, test statistic Normal, Q = 5, minseglen 1).
  const choice_list offline_choices = {{"cost", predsense::registry::detail::offline_cost_names()},
                                       {"penalty", predsense::registry::detail::penalty_names()}};
  auto offline = [&](const char* help, predsense::offline_method which) {
    param_map d{{"min_size", 1.0}, {"pen_value", std::numeric_limits<double>::quiet_NaN()}, {"quantiles", 0.0}};
    if (which == predsense::offline_method::binseg) d["max_changes"] = 5.0;
    // R changepoint's own variants (PELT's pruning, AMOC's MBIC test): TCPDBench ran R.
    if (which != predsense::offline_method::binseg) d["r_compatible"] = 1.0;
    // TCPDBench's R wrapper reports R's change point tau (the last row of the old segment, 1-based)
    // minus one: the row before predsense's "first row of the new segment". 1 reproduces that.
    d["tcpdbench_index"] = 1.0;
    d.names = {{"cost", "mean"}, {"penalty", "mbic"}};
    return method{help,
                  d,
                  [](const param_map& p) {  // the cost's own minimum segment length if larger
                    return std::max({std::size_t{1}, as_size(p, "min_size"),
                                     predsense::cost_min_size(predsense::parse_cost_kind(p.names.at("cost")))});
                  },
                  [which](const series& s, const param_map& p) {
                    auto cps = to_i64(predsense::offline_change_points(s.x, s.dims, offline_from(p, which)));
                    if (as_size(p, "tcpdbench_index") != 0)
                      for (auto& c : cps) c -= 1;
                    return cps;
                  },
                  offline_choices,
                  true};
  };
  m["pelt"] = offline(
      "PELT (Killick et al. 2012); r_compatible=1 (default) prunes as R does, 0 gives the exact "
      "penalised optimum; tcpdbench_index=1 reports TCPDBench's index (one row early)",
      predsense::offline_method::pelt);
  m["binseg"] = offline("binary segmentation with at most max_changes changes (0: no limit); tcpdbench_index as pelt",
                        predsense::offline_method::binseg);
  m["amoc"] = offline("at most one change (likelihood-ratio test); r_compatible=1 (default) is R's MBIC test",
                      predsense::offline_method::amoc);
  // The default: the rule a nested leave-one-series-out procedure picks on the 20 shared TCPD
  // series from a small candidate set (scripts/segmentation_nested_loo.py; docs/segmentation.md):
  // binary segmentation (Q = 5) with the linear-trend cost (normal_linear_trend_cost, known unit
  // variance on the z-scored series, its own minimum segment length 2) and the BIC penalty;
  // change points at the first row of the new segment.
  m["default"] = offline(
      "the recommended rule (nested leave-one-out choice): binseg, max_changes 5, cost linear (piecewise linear "
      "trend), penalty bic",
      predsense::offline_method::binseg);
  m["default"].defaults.names = {{"cost", "linear"}, {"penalty", "bic"}};
  m["default"].defaults["tcpdbench_index"] = 0.0;
  m["threshold"] = {"fixed threshold on a surprise signal (Cambrian-S VSC)",
                    with_source({{"threshold", 4.0}, {"min_separation", 5.0}}, 1.0), [](const param_map&) { return 1; },
                    [](const series& s, const param_map& p) {
                      predsense::threshold_segmenter seg(p.at("threshold"), as_size(p, "min_separation"));
                      return boundaries_to_cps(seg.segment(surprise_of(s, p)));
                    }};
  m["adaptive"] = {"mean + gamma * std over a trailing window (EM-LLM)",
                   with_source({{"window", 12.0}, {"gamma", 4.0}, {"min_block", 20.0}, {"max_block", 0.0}}, 1.0),
                   [](const param_map& p) { return as_size(p, "window") + 1; },
                   [](const series& s, const param_map& p) {
                     predsense::adaptive_segmenter_params a;
                     a.window = as_size(p, "window");
                     a.gamma = p.at("gamma");
                     a.min_block = as_size(p, "min_block");
                     a.max_block = as_size(p, "max_block");
                     predsense::adaptive_segmenter seg(a);
                     return boundaries_to_cps(seg.segment(surprise_of(s, p)));
                   }};
  m["peak"] = {"peak picking on a surprise signal",
               with_source({{"threshold", 4.0}, {"prominence", 1.0}, {"min_separation", 5.0}, {"lookahead", 3.0}}, 1.0),
               [](const param_map& p) { return 2 * as_size(p, "lookahead") + 1; },
               [](const series& s, const param_map& p) {
                 predsense::peak_segmenter_params a;
                 a.threshold = p.at("threshold");
                 a.prominence = p.at("prominence");
                 a.min_separation = as_size(p, "min_separation");
                 a.lookahead = as_size(p, "lookahead");
                 predsense::peak_segmenter seg(a);
                 return boundaries_to_cps(seg.segment(surprise_of(s, p)));
               }};
  // The registry component behind each method (its names, ranges and docs).
  m["threshold"].segmenter = "threshold";
  m["adaptive"].segmenter = "adaptive";
  m["peak"].segmenter = "peak";
  m["bocpd_peaks"].segmenter = "bocpd";
  m["bocpd_peaks"].fixed = {{"standardize", false}, {"skip_first", false}};
  m["bocpd"].segmenter = "bocpd";  // its model parameters (the peak picker's are not used)
  for (const char* o : {"pelt", "binseg", "amoc", "default"}) {
    m[o].segmenter = "offline";
    m[o].fixed = {{"method", std::string(std::string(o) == "default" ? "binseg" : o)}};
  }
  return m;
}

// Every registry parameter of the method checked by the registry's validator (NaN, range, type):
// invalid_argument_error naming the component and parameter.
void registry_check(const method& m, const param_map& params) {
  namespace reg = predsense::registry;
  const auto& spec = reg::find("segmenter", m.segmenter);
  reg::param_values v = m.fixed;
  for (const auto& p : spec.params) {
    if (v.count(p.name)) continue;
    if (const auto n = params.names.find(p.name); n != params.names.end()) {
      v[p.name] = n->second;
    } else if (const auto x = params.find(p.name); x != params.end()) {
      const double d = x->second;
      if (p.optional && std::isnan(d))
        v[p.name] = std::monostate{};  // pen_value: not given
      else if (p.type == reg::param_type::integer && d == std::floor(d) && std::fabs(d) < 9e18)
        v[p.name] = static_cast<std::int64_t>(d);
      else
        v[p.name] = d;
    }
  }
  (void)reg::resolve(spec, v);
}

// --help / --list-methods: each method, its parameters (registry ones with the registry's type,
// range, unit and doc) and the tool's defaults.
std::string methods_help() {
  namespace reg = predsense::registry;
  std::string s;
  for (const auto& [name, m] : methods()) {
    s += "  " + name + ": " + m.help;
    if (!m.segmenter.empty()) s += " [registry segmenter '" + m.segmenter + "']";
    s += "\n";
    const reg::component_spec* spec = m.segmenter.empty() ? nullptr : &reg::find("segmenter", m.segmenter);
    auto line = [&](const std::string& key, const std::string& value) {
      const reg::param_spec* p = nullptr;
      // the method's component, then BOCPD's model (the surprise of source 0), then the tool's own
      for (const auto* c : {spec, &reg::find("segmenter", "bocpd")})
        if (c && !p)
          for (const auto& q : c->params)
            if (q.name == key) p = &q;
      for (const auto& q : tool_params())
        if (!p && q.name == key) p = &q;
      std::string l = "    " + key + " = " + value;
      if (p) {
        l += "  (" + std::string(reg::type_name(p->type));
        const auto r = reg::range_text(*p);
        if (!r.empty()) l += (p->type == reg::param_type::choice ? ", " : " in ") + r;
        if (!p->unit.empty()) l += ", " + p->unit;
        l += "): " + p->doc;
        for (const auto& a : p->aliases) l += " [deprecated: " + a + "]";
      }
      s += l + "\n";
    };
    for (const auto& [k, v] : m.defaults)
      line(k, std::isnan(v) ? std::string("none") : reg::to_text(reg::param_value{v}));
    for (const auto& [k, v] : m.defaults.names) line(k, v);
  }
  s += "  (deprecated method name: peaks -> peak)\n";
  return s;
}

std::string join(const std::vector<std::int64_t>& v) {
  std::string s;
  for (std::size_t i = 0; i < v.size(); ++i) s += (i ? ", " : "") + std::to_string(v[i]);
  return "[" + s + "]";
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{
      "Segment Turing Change Point Dataset series with a predsense method and score it "
      "(TCPDBench F1, margin 5, and cover)."};
  std::string annotations_file, method_name = "default", json_out, missing_name = "skip";
  std::vector<std::string> param_args, files;
  bool list = false;
  app.add_option("--annotations", annotations_file, "annotations.json (series -> annotator -> cps)");
  app.add_option("--method", method_name,
                 "segmentation method (default: default; see --list-methods):\n" + methods_help());
  app.add_option("--param", param_args,
                 "key=value, repeatable: a parameter of the method (names and ranges: the component registry, "
                 "listed under --method; deprecated spellings warn)")
      ->allow_extra_args(false)  // one key=value per --param, so series files are not swallowed
      ->multi_option_policy(CLI::MultiOptionPolicy::TakeAll);
  app.add_option("--json", json_out, "write the results as JSON to this file");
  app.add_option("--missing", missing_name,
                 "missing values (null/NaN): skip (default; methods see the observed rows, change points "
                 "in the original index), interpolate (linear), error");
  app.add_flag("--list-methods", list, "list the methods and their parameters, then exit");
  app.add_option("series", files, "TCPD series JSON files");
  namespace t = predsense::tools;
  return t::run_tool("predsense-tcpd", app, argc, argv, [&] {
    const auto table = methods();
    if (list) {
      std::cout << methods_help();
      return;
    }

    {
      if (annotations_file.empty()) throw invalid_argument_error("--annotations is required");
      if (files.empty()) throw invalid_argument_error("no series files given");
      if (method_name == "peaks") {  // the registry's name is "peak"
        predsense::tools::warn_deprecated("predsense-tcpd", {"peaks -> peak"});
        method_name = "peak";
      }
      const auto it = table.find(method_name);
      if (it == table.end()) {
        std::string known;
        for (const auto& kv : table) known += (known.empty() ? "" : ", ") + kv.first;
        throw invalid_argument_error("unknown method '" + method_name + "' (known: " + known + ")");
      }
      const method& m = it->second;
      param_map params = m.defaults;
      for (const auto& kv : param_args) {
        const auto eq = kv.find('=');
        if (eq == std::string::npos || eq == 0)
          throw invalid_argument_error("--param '" + kv + "' is not of the form key=value");
        std::string key = kv.substr(0, eq);
        const std::string val = kv.substr(eq + 1);
        if (!m.segmenter.empty())  // a deprecated spelling of a registry parameter
          for (const auto& p : predsense::registry::find("segmenter", m.segmenter).params)
            for (const auto& a : p.aliases)
              if (a == key && (params.count(p.name) || m.defaults.names.count(p.name))) {
                predsense::tools::warn_deprecated("predsense-tcpd", {key + " -> " + p.name});
                key = p.name;
              }
        if (m.defaults.names.count(key)) {
          const auto& allowed = m.choices.at(key);
          if (std::find(allowed.begin(), allowed.end(), val) == allowed.end()) {
            std::string known;
            for (const auto& c : allowed) known += (known.empty() ? "" : ", ") + c;
            throw invalid_argument_error("parameter '" + key + "': '" + val + "' is not one of " + known);
          }
          params.names[key] = val;
          continue;
        }
        if (!params.count(key)) {
          std::string known;
          for (const auto& p : m.defaults) known += (known.empty() ? "" : ", ") + p.first;
          for (const auto& p : m.defaults.names) known += (known.empty() ? "" : ", ") + p.first;
          throw invalid_argument_error("unknown parameter '" + key + "' for method '" + method_name +
                                       "' (known: " + (known.empty() ? "none" : known) + ")");
        }
        char* end = nullptr;
        const double v = std::strtod(val.c_str(), &end);
        if (val.empty() || *end != '\0' || !std::isfinite(v))
          throw invalid_argument_error("parameter '" + key + "': '" + val + "' is not a finite number");
        params[key] = v;
      }
      // Check parameter values before reading any series, so a bad value fails before any output.
      g_missing = predsense::parse_missing_policy(missing_name);
      if (!m.segmenter.empty()) registry_check(m, params);
      for (const char* key : {"lag", "min_separation", "lookahead", "window", "min_block", "max_block", "order",
                              "source", "min_size", "quantiles", "max_changes", "r_compatible", "tcpdbench_index"})
        if (params.count(key)) as_size(params, key);
      if (params.count("lambda")) bocpd_from(params);
      if (params.names.count("cost")) offline_from(params, predsense::offline_method::pelt);
      if (params.count("source") && as_size(params, "source") > 1)
        throw invalid_argument_error("parameter 'source' must be 0 (bocpd) or 1 (ar)");
      const std::size_t min_len = m.min_length(params);
      t::io_paths paths;
      paths.input(annotations_file, "--annotations");
      for (const auto& f : files) paths.input(f, "series");
      paths.output(json_out, "--json");
      paths.check();
      const auto annotations = load_annotations(annotations_file);

      // Load and check every input before computing or writing anything.
      std::vector<series> all;
      for (const auto& f : files) {
        series s = load_series(f);
        // The missing-value policy, applied before any output: error refuses, interpolate fills;
        // skip keeps NaN for methods that take it and otherwise runs on the observed rows.
        std::size_t observed = 0;
        for (std::size_t i = 0; i < s.n; ++i) {
          bool ok = true;
          for (std::size_t d = 0; d < s.dims; ++d) ok = ok && !std::isnan(s.x[i * s.dims + d]);
          observed += ok ? 1 : 0;
        }
        if (observed < s.n) {
          if (g_missing == predsense::missing_policy::error) {
            for (std::size_t i = 0; i < s.n * s.dims; ++i)
              if (std::isnan(s.x[i]))
                throw predsense::non_finite_error(f + ": field 'series[" + std::to_string(i % s.dims) + "].raw[" +
                                                  std::to_string(i / s.dims) +
                                                  "]' is missing (null) and --missing is error");
          }
          if (observed == 0) throw predsense::empty_error(f + ": every value of field 'series' is missing (null)");
          if (g_missing == predsense::missing_policy::interpolate) {
            s.x = predsense::apply_missing_policy(s.x, s.dims, predsense::missing_policy::interpolate, f).x;
            observed = s.n;
          }
        }
        if (observed < min_len)
          throw predsense::empty_error(f + ": series of n_obs = " + std::to_string(s.n) + " (" +
                                       std::to_string(observed) + " observed) is shorter than the window of method '" +
                                       method_name + "' (needs at least " + std::to_string(min_len) +
                                       " observed values)");
        all.push_back(std::move(s));
      }

      json out;
      out["method"] = method_name;
      out["params"] = json::object();
      for (const auto& [k, v] : params) out["params"][k] = v;
      for (const auto& [k, v] : params.names) out["params"][k] = v;
      out["missing"] = predsense::missing_policy_name(g_missing);
      out["series"] = json::object();
      double sum_f1 = 0.0, sum_cover = 0.0;
      std::size_t scored = 0;
      std::cout << std::fixed << std::setprecision(4);
      for (const auto& s : all) {
        std::vector<std::int64_t> cps;
        try {
          if (m.handles_missing) {
            cps = m.run(s, params);
          } else {
            // Run on the observed rows; report change points at the original index.
            const auto obs = predsense::apply_missing_policy(s.x, s.dims, predsense::missing_policy::skip, s.file);
            series sub = s;
            sub.x = obs.x;
            sub.n = obs.rows();
            for (auto& c : cps = m.run(sub, params))
              c = static_cast<std::int64_t>(obs.original(static_cast<std::size_t>(c)));
          }
        } catch (const predsense::error& e) {
          throw invalid_argument_error(s.file + ": " + e.what());
        }
        json entry;
        entry["cps"] = cps;
        std::cout << s.name << ": cps=" << join(cps);
        const auto a = annotations.find(s.name);
        if (a != annotations.end()) {
          double f1 = 0.0, cover = 0.0;
          try {
            f1 = predsense::tcpd_f1(a->second, cps, s.n).f1;
            cover = predsense::tcpd_cover(a->second, cps, s.n);
          } catch (const predsense::error& e) {
            throw invalid_argument_error(annotations_file + ": series '" + s.name + "': " + e.what());
          }
          entry["f1"] = f1;
          entry["cover"] = cover;
          sum_f1 += f1;
          sum_cover += cover;
          ++scored;
          std::cout << " f1=" << f1 << " cover=" << cover;
        } else {
          std::cout << " (no annotations)";
        }
        std::cout << "\n";
        out["series"][s.name] = entry;
      }
      if (scored > 0) {
        out["mean_f1"] = sum_f1 / static_cast<double>(scored);
        out["mean_cover"] = sum_cover / static_cast<double>(scored);
        std::cout << "mean over " << scored << " scored series: f1=" << sum_f1 / static_cast<double>(scored)
                  << " cover=" << sum_cover / static_cast<double>(scored) << "\n";
      } else {
        out["mean_f1"] = nullptr;
        out["mean_cover"] = nullptr;
        std::cout << "no series had annotations: nothing scored\n";
      }
      if (!json_out.empty()) t::write_output(json_out, out.dump(2) + "\n", "--json");
    }
  });
}
