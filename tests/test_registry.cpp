// Tests of the component registry (predsense/registry/): the one validator, names and aliases,
// and that the factories build what the registry's defaults describe.
#include <doctest/doctest.h>

#include <cmath>
#include <limits>
#include <set>
#include <string>

#include "predsense/memory/memory_store.hpp"
#include "predsense/memory/policies/peak_preserving.hpp"
#include "predsense/memory/policies/pool_relative.hpp"
#include "predsense/registry/make_component.hpp"

using namespace predsense;
namespace reg = predsense::registry;

namespace {
// A value just outside the spec's range (or NaN when the range is the whole line).
reg::param_value outside(const reg::param_spec& p) {
  if (p.type == reg::param_type::integer) return static_cast<std::int64_t>(p.lo) - 1;
  if (std::isfinite(p.lo)) return p.lo_open ? p.lo : p.lo - 1.0;
  if (std::isfinite(p.hi)) return p.hi_open ? p.hi : p.hi + 1.0;
  if (p.hi_open) return std::numeric_limits<double>::infinity();
  return std::numeric_limits<double>::quiet_NaN();
}
}  // namespace

TEST_CASE("registry: every kind is populated, names are unique per kind, defaults pass the validator") {
  for (const auto& kind : reg::kinds()) {
    const auto cs = reg::components(kind);
    CHECK_MESSAGE(!cs.empty(), kind);
    std::set<std::string> names;
    for (const auto* c : cs) {
      CHECK(names.insert(c->name).second);
      CHECK(!c->doc.empty());
      std::set<std::string> params;
      for (const auto& p : c->params) {
        CHECK_MESSAGE(params.insert(p.name).second, std::string(c->name + "." + p.name));
        CHECK_MESSAGE(!p.doc.empty(), std::string(c->name + "." + p.name));
      }
      reg::param_values given;  // required parameters get an in-range value
      for (const auto& p : c->params)
        if (std::holds_alternative<std::monostate>(p.def) && !p.optional) given[p.name] = 1.0;
      CHECK_NOTHROW(reg::resolve(*c, given));
    }
  }
  CHECK_THROWS_AS(reg::components("segmenters"), invalid_argument_error);
}

TEST_CASE("registry: NaN and out-of-range values are refused naming the component and the parameter") {
  for (const auto& c : reg::all())
    for (const auto& p : c.params) {
      if (p.type == reg::param_type::boolean || p.type == reg::param_type::choice) continue;
      for (const reg::param_value& bad : {reg::param_value{std::numeric_limits<double>::quiet_NaN()}, outside(p)}) {
        reg::param_values given{{p.name, bad}};
        for (const auto& q : c.params)
          if (q.name != p.name && std::holds_alternative<std::monostate>(q.def) && !q.optional) given[q.name] = 1.0;
        std::string what;
        try {
          (void)reg::resolve(c, given);
        } catch (const invalid_argument_error& e) {
          what = e.what();
        }
        const std::string at = c.name + "." + p.name + ": " + what;
        CHECK_MESSAGE(what.find("'" + c.name + "'") != std::string::npos, at);
        CHECK_MESSAGE(what.find("'" + p.name + "'") != std::string::npos, at);
      }
    }
}

TEST_CASE("registry: deprecated aliases resolve with a report; unknown names list the known ones") {
  std::vector<std::string> dep;
  const auto& c = reg::find("segmenter", "peaks", &dep);
  CHECK(c.name == "peak");
  const auto v = reg::resolve(c, {{"separation", std::int64_t{7}}}, &dep);
  CHECK(reg::size(v, "min_separation") == 7);
  REQUIRE(dep.size() == 2);
  CHECK(dep[0] == "peaks -> peak");
  CHECK(dep[1] == "separation -> min_separation");
  CHECK_THROWS_WITH_AS(reg::find("segmenter", "nope"), doctest::Contains("known: threshold"), invalid_argument_error);
  CHECK_THROWS_WITH_AS(reg::resolve(c, {{"min_gap", 1.0}}), doctest::Contains("min_separation"),
                       invalid_argument_error);
  CHECK_THROWS_AS(reg::resolve(c, {{"separation", 2.0}, {"min_separation", 3.0}}), invalid_argument_error);
  CHECK_THROWS_AS(reg::resolve(c, {{"min_separation", 2.5}}), invalid_argument_error);  // not an integer
}

TEST_CASE("registry: factories build components whose parameters are the registry's") {
  // Each segmenter's registry defaults give the C++ type's own defaults, except where the registry
  // documents the Python/CLI spelling (same values).
  // The registry's peak segmenter (built by name, parameters by registry name) finds exactly the
  // boundaries of the C++ type built by hand with the same fields; min_separation maps onto the field.
  std::vector<double> x;
  std::uint64_t state = 12345;
  for (int i = 0; i < 400; ++i) {
    state = state * 6364136223846793005ULL + 1442695040888963407ULL;
    x.push_back(static_cast<double>(state >> 11) / 9007199254740992.0);
  }
  auto ts = [](std::vector<boundary> b) {
    std::vector<std::size_t> out;
    for (const auto& e : b) out.push_back(e.t);
    return out;
  };
  auto seg = reg::make_segmenter("peak", {{"min_separation", std::int64_t{6}}, {"threshold", 0.5}});
  REQUIRE(std::holds_alternative<peak_segmenter>(seg));
  peak_segmenter_params hand{};
  hand.min_separation = 6, hand.threshold = 0.5;
  const auto by_registry = ts(std::get<peak_segmenter>(seg).segment(x));
  CHECK(by_registry == ts(peak_segmenter(hand).segment(x)));
  hand.min_separation = 1;
  CHECK(by_registry != ts(peak_segmenter(hand).segment(x)));  // the parameter reached the field
  CHECK(by_registry.size() > 10);
  const auto a = reg::adaptive_params(reg::resolve("segmenter", "adaptive", {}).values);
  const adaptive_segmenter_params d{};
  CHECK(a.window == d.window);
  CHECK(a.gamma == d.gamma);
  CHECK(a.min_block == d.min_block);
  CHECK(a.max_block == d.max_block);
  CHECK(a.min_history == d.min_history);
  const auto cut = reg::cut_params(reg::resolve("segmenter", "cut", {}).values);
  const cut_segmenter_params cd{};
  CHECK(cut.gamma == cd.gamma);
  CHECK(cut.min_gap == cd.min_gap);
  CHECK(cut.long_window == cd.long_window);
  CHECK(std::holds_alternative<rls_predictor>(reg::make_predictor("rls", {{"mode", std::string("pooled")}})));
  CHECK_THROWS_AS(reg::make_predictor("rls", {{"mode", std::string("pool")}}), invalid_argument_error);
  CHECK(std::holds_alternative<mse<>>(reg::make_metric("mse")));
  CHECK(reg::make_penalty("manual", {{"pen_value", 3.0}}).manual_value == 3.0);
  CHECK_THROWS_AS(reg::make_penalty("manual"), invalid_argument_error);
  CHECK(reg::make_cost("normal_linear_trend") == cost_kind::linear_trend);
}

TEST_CASE("registry: the transition detector's 26 parameters are all validated, each by name") {
  const auto& spec = reg::find("transition_detector", "transition");
  const transition_detector_params d{};
  const auto values = d.values();
  CHECK(values.size() == 26);
  CHECK(spec.params.size() == 26);
  for (const auto& p : spec.params) {
    REQUIRE_MESSAGE(values.count(p.name), p.name);
    CHECK_MESSAGE(reg::to_text(values.at(p.name)) == reg::to_text(p.def), p.name);  // defaults agree
  }
  // NaN in each real parameter is refused by transition_detector itself, naming it.
  for (const char* name : {"gamma", "floor", "surprise_gamma", "surprise_floor", "min_change", "return_ratio",
                           "max_residual", "solid_std", "min_motion_gain", "min_dissolve_change", "dissolve_motion",
                           "dissolve_contrast", "dip_level", "cut_contrast"}) {
    auto v = values;
    v[name] = std::numeric_limits<double>::quiet_NaN();
    const auto p = reg::transition_params(v);  // no check yet
    const std::string expected = std::string("'") + name + "' is NaN";
    CHECK_THROWS_WITH_AS(transition_detector{p}, doctest::Contains(expected.c_str()), invalid_argument_error);
  }
  transition_detector_params bad{};
  bad.max_dissolve = 0;
  CHECK_THROWS_WITH_AS(transition_detector{bad}, doctest::Contains("'max_dissolve'"), invalid_argument_error);
}

TEST_CASE("registry: defaults are the C++ types' own defaults") {
  const auto v = [](const char* kind, const char* name) { return reg::resolve(kind, name, {}).values; };
  {
    const auto r = reg::threshold_params(v("segmenter", "threshold"));
    const threshold_segmenter_params d{};
    CHECK(!r.threshold.has_value());
    CHECK(r.z_threshold == d.z_threshold);
    CHECK(r.window == d.window);
    CHECK(r.min_gap == d.min_gap);
  }
  {
    const auto r = reg::peak_params(v("segmenter", "peak"));
    const peak_segmenter_params d{};
    CHECK(r.threshold == d.threshold);
    CHECK(r.prominence == d.prominence);
    CHECK(r.min_separation == d.min_separation);
    CHECK(r.lookahead == d.lookahead);
    CHECK(r.window == d.window);
    CHECK(r.relative_prominence == d.relative_prominence);
  }
  {
    const auto r = reg::bocpd_params_of(v("segmenter", "bocpd"));
    const bocpd_segmenter_params d{};
    CHECK(r.model.lambda == d.model.lambda);
    CHECK(r.model.kappa0 == d.model.kappa0);
    CHECK(r.model.prune_mass == d.model.prune_mass);
    CHECK(r.lag == d.lag);
    CHECK(r.peaks.threshold == d.peaks.threshold);
    CHECK(r.peaks.min_separation == d.peaks.min_separation);
    CHECK(r.peaks.lookahead == d.peaks.lookahead);
    CHECK(r.standardize == d.standardize);
    CHECK(r.skip_first == d.skip_first);
    CHECK(r.max_abs_z == d.max_abs_z);
  }
  {
    const auto r = reg::offline_params_of(v("segmenter", "offline"));
    const offline_segmenter_params d{};
    CHECK(r.method.method == d.method.method);
    CHECK(r.method.cost == d.method.cost);
    CHECK(r.method.penalty.kind == d.method.penalty.kind);
    CHECK(r.method.min_size == d.method.min_size);
    CHECK(r.method.max_changes == d.method.max_changes);
    CHECK(r.standardize == d.standardize);
  }
  {
    const auto r = v("memory_policy", "peak_preserving");
    const peak_preserving pp{};
    const pool_relative pr{};
    CHECK(reg::real(r, "z_pool") == pr.z);
    CHECK(reg::size(r, "trailing") == pr.window);
    CHECK(reg::size(r, "trailing") == pp.window);
    CHECK(reg::real(r, "z_peak") == pp.z_peak);
    CHECK(reg::real(r, "z_merge") == pp.z_merge);
    CHECK(reg::real(r, "transient_gain") == pp.transient_gain);
    CHECK(reg::size(r, "radius") == pp.radius);
    const memory_params mp{};
    CHECK(reg::size(r, "window") == mp.window);
    CHECK(reg::size(r, "budget") == mp.budget);
  }
  {
    const auto r = v("predictor", "rls");
    const rls_params d{};
    CHECK(reg::real(r, "forgetting") == d.forgetting);
    CHECK(reg::real(r, "ridge") == d.ridge);
    CHECK(reg::flag(r, "residual") == d.residual);
    CHECK(reg::flag(r, "bias") == d.bias);
    CHECK(reg::size(r, "token_stride") == d.token_stride);
  }
}
