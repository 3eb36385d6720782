// Tests of tools/support/registry_cli.hpp: CLI options generated from the component registry (the
// function a tool calls to offer a kind's components; predsense-video is to be wired to it).
#include <doctest/doctest.h>

#include <algorithm>
#include <string>
#include <vector>

#include "../tools/support/registry_cli.hpp"
#include "predsense/registry/make_component.hpp"

namespace reg = predsense::registry;
namespace tools = predsense::tools;

namespace {
void parse(CLI::App& app, std::vector<std::string> args) {
  std::reverse(args.begin(), args.end());  // CLI11 takes the arguments in reverse order
  app.parse(args);
}
}  // namespace

TEST_CASE("registry_cli: --help lists every offered component and parameter from the registry") {
  CLI::App app{"test"};
  tools::registry_choice seg{"cut"};
  tools::add_registry_options(app, "segmenter", {"cut", "peak"}, "segmenter", seg);
  const std::string help = app.help();
  for (const char* name : {"cut", "peak"}) {
    const auto& c = reg::find("segmenter", name);
    CHECK(help.find("  " + c.name + ": " + c.doc) != std::string::npos);
    for (const auto& p : c.params) CHECK_MESSAGE(help.find(tools::registry_param_help(p)) != std::string::npos, p.name);
  }
  CHECK(help.find("threshold: surprise above") == std::string::npos);  // not offered
}

TEST_CASE("registry_cli: parsed options build the component; old spellings resolve; bad values are refused") {
  CLI::App app{"test"};
  tools::registry_choice seg{"cut"};
  tools::add_registry_options(app, "segmenter", {"cut", "peak"}, "segmenter", seg);
  parse(app, {"--segmenter", "peaks", "--segmenter-param", "separation=4", "--segmenter-param", "threshold=0.5"});
  const auto r = tools::resolve_registry_options(seg, "test");
  CHECK(r.spec->name == "peak");
  CHECK(reg::size(r.values, "min_separation") == 4);
  CHECK(reg::real(r.values, "threshold") == 0.5);
  CHECK(std::holds_alternative<predsense::peak_segmenter>(reg::make_segmenter(r.spec->name, r.values)));

  CLI::App app2{"test"};
  tools::registry_choice seg2{"cut"};
  tools::add_registry_options(app2, "segmenter", {"cut", "peak"}, "segmenter", seg2);
  parse(app2, {"--segmenter-param", "gamma=nan"});
  CHECK_THROWS_WITH_AS(tools::resolve_registry_options(seg2, "test"),
                       doctest::Contains("segmenter 'cut': parameter 'gamma' is NaN"),
                       predsense::invalid_argument_error);
  seg2.params = {"min_separation=0"};
  CHECK_THROWS_WITH_AS(tools::resolve_registry_options(seg2, "test"),
                       doctest::Contains("'min_separation' must be in [1"), predsense::invalid_argument_error);
  seg2.params = {"gama=1"};
  CHECK_THROWS_WITH_AS(tools::resolve_registry_options(seg2, "test"), doctest::Contains("unknown parameter 'gama'"),
                       predsense::invalid_argument_error);
  seg2.params = {"min_separation=2"};
  seg2.name = "threshold";  // a registry name the tool does not offer
  CHECK_THROWS_WITH_AS(tools::resolve_registry_options(seg2, "test"), doctest::Contains("not offered"),
                       predsense::invalid_argument_error);
  // A tool's own defaults apply unless the user sets the parameter.
  seg2.name = "cut", seg2.params = {};
  const auto d = tools::resolve_registry_options(seg2, "test", {{"gamma", 3.0}});
  CHECK(reg::real(d.values, "gamma") == 3.0);
}
