// predsense-vsc: bad arguments exit 2 naming the option and write nothing; --json has the issue's
// shape {aggregator: {"repeat_k": {"mra": x}}}. Skipped when the tool has not been built.
#include <doctest/doctest.h>
#include <nlohmann/json.hpp>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>

namespace fs = std::filesystem;

namespace {
const fs::path tool = fs::path(PREDSENSE_BINARY_DIR) / "bin" / "predsense-vsc";

int run(const std::string& args, const fs::path& log) {
  const std::string cmd = tool.string() + " " + args + " > " + log.string() + " 2>&1";
  const int rc = std::system(cmd.c_str());
  return WIFEXITED(rc) ? WEXITSTATUS(rc) : -1;
}
std::string slurp(const fs::path& p) {
  std::ifstream in(p);
  return {std::istreambuf_iterator<char>(in), {}};
}
}  // namespace

TEST_CASE("predsense-vsc: exit codes, messages, JSON shape") {
  if (!fs::exists(tool)) {
    MESSAGE("predsense-vsc not built; skipped");
    return;
  }
  const fs::path dir = fs::temp_directory_path() / ("predsense_vsc_test_" + std::to_string(::getpid()));
  fs::create_directories(dir);
  const fs::path log = dir / "log.txt", out = dir / "out.json";

  CHECK(run("--repeat 0 --json " + out.string(), log) == 2);
  CHECK(slurp(log).find("--repeat") != std::string::npos);
  CHECK(run("--minutes -3 --json " + out.string(), log) == 2);
  CHECK(slurp(log).find("--minutes") != std::string::npos);
  CHECK(run("--miss-prob 1.5 --json " + out.string(), log) == 2);
  CHECK(slurp(log).find("--miss-prob") != std::string::npos);  // the option as typed (tools/support/cli.hpp)
  CHECK(run("--match-threshold nan --json " + out.string(), log) == 2);
  CHECK(run("--json " + (dir / "missing" / "x.json").string(), log) == 2);
  CHECK_FALSE(fs::exists(out));  // nothing half-written

  REQUIRE(run("--minutes 3 --repeat 2 --seeds 1 --json " + out.string(), log) == 0);
  const auto j = nlohmann::json::parse(slurp(out));
  for (const char* a : {"sum", "max", "streaming", "dedup_mnn", "dedup_assign"}) {
    REQUIRE(j.contains(a));
    const auto& r = j[a]["repeat_2"];
    CHECK(r["mra"].is_number());
    CHECK(r["mra"].get<double>() >= 0.0);
    CHECK(r["mra"].get<double>() <= 1.0);
    CHECK(r["minutes"]["3"]["questions"].get<int>() > 0);
  }
  CHECK(j["dedup_mnn"]["repeat_2"]["mra"].get<double>() > j["sum"]["repeat_2"]["mra"].get<double>());
  fs::remove_all(dir);
}
