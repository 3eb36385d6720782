// TCPD F1 and cover: hand-checked cases and the published "zero" scores, reproduced exactly.
#include <doctest/doctest.h>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <cstdint>
#include <fstream>
#include <map>
#include <string>
#include <vector>

#include "predsense/core/error.hpp"
#include "predsense/eval/tcpd_cover.hpp"
#include "predsense/eval/tcpd_f1.hpp"

using json = nlohmann::json;
using cps_t = std::vector<std::int64_t>;
using ann_t = std::vector<cps_t>;

namespace {
const std::string data_dir = std::string(PREDSENSE_SOURCE_DIR) + "/tests/data/tcpd/";

json load(const std::string& path) {
  std::ifstream in(path);
  REQUIRE_MESSAGE(in.good(), "cannot open " << path);
  return json::parse(in);
}

// Annotators in increasing numeric id, the order the published numbers were summed in.
ann_t annotators(const json& per) {
  std::vector<std::pair<long, cps_t>> v;
  for (const auto& it : per.items()) v.emplace_back(std::stol(it.key()), it.value().get<cps_t>());
  std::sort(v.begin(), v.end(), [](const auto& a, const auto& b) { return a.first < b.first; });
  ann_t out;
  for (auto& p : v) out.push_back(p.second);
  return out;
}
}  // namespace

TEST_CASE("tcpd_f1: hand-checked cases") {
  // Four annotators, predictions on the consensus: everything matches.
  ann_t a1{{10, 20}, {11, 20}, {10}, {0, 5}};
  CHECK(predsense::tcpd_f1(a1, cps_t{10, 20}, 100).f1 == 1.0);

  // X = {0, 10}; union T* = {0, 10, 50}: TP 2 -> P = 1. Recall (1/1 + 2/2 + 1/2)/3 = 5/6.
  // F1 = 2 * 5/6 / (1 + 5/6) = 10/11.
  ann_t a2{{}, {10}, {50}};
  auto r = predsense::tcpd_f1(a2, cps_t{10}, 100);
  CHECK(r.precision == 1.0);
  CHECK(r.recall == doctest::Approx(5.0 / 6.0));
  CHECK(r.f1 == doctest::Approx(10.0 / 11.0));
  // No predictions: R = (1 + 1/2 + 1/2)/3 = 2/3, F1 = 0.8.
  CHECK(predsense::tcpd_f1(a2, cps_t{}, 100).f1 == doctest::Approx(0.8));

  // Margin 5 is inclusive; 6 away is a miss. One annotator, T = {0, 20}.
  ann_t a3{{20}};
  CHECK(predsense::tcpd_f1(a3, cps_t{25}, 100).f1 == 1.0);
  r = predsense::tcpd_f1(a3, cps_t{26}, 100);  // X = {0, 26}: P = 1/2, R = 1/2
  CHECK(r.precision == 0.5);
  CHECK(r.recall == 0.5);
  CHECK(r.f1 == 0.5);

  // One-to-one matching: two predictions near one true point count once (P = 2/3).
  r = predsense::tcpd_f1(a3, cps_t{19, 21}, 100);
  CHECK(r.precision == doctest::Approx(2.0 / 3.0));
  CHECK(r.recall == 1.0);

  // Ties go to the smaller prediction: tau = 10 with predictions 8 and 12 takes 8, so the true
  // point 14 can still match 12 (if the tie went to 12, 14 would be left without a match).
  ann_t a4{{10, 14}};
  CHECK(predsense::tcpd_f1(a4, cps_t{8, 12}, 100).f1 == 1.0);

  // Predictions outside 1..n-2 are dropped (0, n-1, negative); duplicates count once.
  ann_t a5{{5}};
  CHECK(predsense::tcpd_f1(a5, cps_t{5, 5, 0, 9, -3}, 10).precision == 1.0);
}

TEST_CASE("tcpd_cover: hand-checked cases") {
  // Reference values of the benchmark's definition (n = 45).
  CHECK(predsense::tcpd_cover(ann_t{{10, 20}, {10}, {0, 5}}, cps_t{10, 20}, 45) ==
        doctest::Approx(0.7962962962962963).epsilon(1e-15));
  CHECK(predsense::tcpd_cover(ann_t{{}, {10}, {40}}, cps_t{10}, 45) ==
        doctest::Approx(0.7954144620811286).epsilon(1e-15));
  CHECK(predsense::tcpd_cover(ann_t{{}, {10}, {40}}, cps_t{}, 45) ==
        doctest::Approx(0.8189300411522634).epsilon(1e-15));
  // By hand: truth [0,5) [5,10); prediction [0,10): (5 * 5/10 + 5 * 5/10) / 10 = 0.5.
  CHECK(predsense::tcpd_cover(ann_t{{5}}, cps_t{}, 10) == 0.5);
  // A perfect prediction covers fully.
  CHECK(predsense::tcpd_cover(ann_t{{3, 7}}, cps_t{7, 3}, 10) == 1.0);
}

TEST_CASE("tcpd metrics reject empty inputs") {
  CHECK_THROWS_AS(predsense::tcpd_f1(ann_t{}, cps_t{}, 10), predsense::empty_error);
  CHECK_THROWS_AS(predsense::tcpd_cover(ann_t{{1}}, cps_t{}, 0), predsense::empty_error);
}

TEST_CASE("predicting no change points reproduces the published zero F1 and cover exactly") {
  const json ann = load(data_dir + "annotations.json");
  const json f1 = load(data_dir + "published/default_f1_scores.json");
  const json cover = load(data_dir + "published/default_cover_scores.json");
  const std::vector<std::string> names{
      "businv",   "centralia",         "children_per_woman", "debt_ireland",      "gdp_argentina",
      "gdp_iran", "gdp_japan",         "jfk_passengers",     "lga_passengers",    "nile",
      "ozone",    "quality_control_1", "quality_control_2",  "quality_control_5", "rail_lines",
      "run_log",  "seatbelts",         "shanghai_license",   "us_population",     "usd_isk",
      "well_log"};
  for (const auto& name : names) {
    CAPTURE(name);
    const json series = load(data_dir + "series/" + name + ".json");
    const auto n = series["n_obs"].get<std::size_t>();
    const ann_t a = annotators(ann[name]);
    // Bit-for-bit equality, not approximate.
    CHECK(predsense::tcpd_f1(a, cps_t{}, n).f1 == f1[name]["zero"].get<double>());
    CHECK(predsense::tcpd_cover(a, cps_t{}, n) == cover[name]["zero"].get<double>());
  }
}
