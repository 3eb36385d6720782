// tools/support/replay_input.hpp - predsense-memory-replay's input file, checked field by field
// (also the fuzz target's entry point, fuzz/fuzz_replay_json.cpp).
//
// {"surprise": [..], "threshold": 0.35, "budget": 8192, "window": 32, "policy": "drop_merge",
//  "grid": [8, 8], "ratio": 2, "prompt_tokens": 16, "flush": true, "dim": 1, "seed": 0,
//  "similarity": 0.83, "sinks": 4}; only "surprise" is required, other keys are refused.
// Limits (bad_input, exit 2, beyond them): grid rows and cols 1..4096 with rows x cols <= 2^20
// tokens; dim 1..65536; tokens x dim and prompt_tokens x dim <= 2^26 floats (256 MiB per frame);
// window <= 2^20 frames; budget <= 2^40 tokens; ratio 1..4096; surprise values and thresholds
// finite. Memory then grows with the frames that arrive, not with budget or window.
#pragma once

#include <cstddef>
#include <cstdint>
#include <limits>
#include <string>
#include <vector>

#include "cli.hpp"
#include "predsense/core/checked_size.hpp"

namespace predsense::tools {

struct replay_params {
  std::vector<double> surprise;
  double threshold = 0.0;
  std::size_t budget = 8192, window = 32, ratio = 2, prompt_tokens = 16, dim = 1, sinks = 4;
  std::size_t rows = 8, cols = 8;
  std::string policy = "drop_merge";
  bool flush = true;
  std::uint64_t seed = 0;
  double similarity = 0.83;
};

inline constexpr std::size_t replay_max_tokens = std::size_t{1} << 20;
inline constexpr std::size_t replay_max_frame_floats = std::size_t{1} << 26;

inline replay_params parse_replay(const json& j, const std::string& src) {
  if (!j.is_object()) bad_field(src, "", "top level must be a JSON object");
  only_fields(j,
              {"surprise", "threshold", "budget", "window", "policy", "grid", "ratio", "prompt_tokens", "flush", "dim",
               "seed", "similarity", "sinks"},
              src);
  constexpr double big = std::numeric_limits<double>::max();
  replay_params p;
  const auto s = j.find("surprise");
  if (s == j.end() || !s->is_array()) bad_field(src, "/surprise", "missing or not an array of numbers");
  p.surprise.reserve(s->size());
  for (std::size_t i = 0; i < s->size(); ++i)
    p.surprise.push_back(as_real((*s)[i], -big, big, src, "/surprise/" + std::to_string(i)));
  p.threshold = get_real(j, "threshold", p.threshold, -big, big, src);
  p.similarity = get_real(j, "similarity", p.similarity, -1.0, 1.0, src);
  p.budget = get_count(j, "budget", p.budget, 1, std::uint64_t{1} << 40, src);
  p.window = get_count(j, "window", p.window, 0, std::uint64_t{1} << 20, src);
  p.ratio = get_count(j, "ratio", p.ratio, 1, 4096, src);
  p.prompt_tokens = get_count(j, "prompt_tokens", p.prompt_tokens, 1, replay_max_tokens, src);
  p.dim = get_count(j, "dim", p.dim, 1, 65536, src);
  p.sinks = get_count(j, "sinks", p.sinks, 0, std::uint64_t{1} << 40, src);
  p.seed = get_count(j, "seed", 0, 0, UINT64_MAX, src);
  p.flush = get_bool(j, "flush", p.flush, src);
  p.policy = get_string(j, "policy", p.policy, src);
  if (const auto g = j.find("grid"); g != j.end()) {
    if (!g->is_array() || g->size() != 2) bad_field(src, "/grid", "must be [rows, cols], got " + g->dump());
    p.rows = as_count((*g)[0], 1, 4096, src, "/grid/0");
    p.cols = as_count((*g)[1], 1, 4096, src, "/grid/1");
  }
  // products of checked factors (each <= 2^20 or 2^16): cannot wrap, compared with the limits
  const std::size_t tokens = p.rows * p.cols;
  if (tokens > replay_max_tokens)
    bad_field(src, "/grid",
              std::to_string(p.rows) + " x " + std::to_string(p.cols) + " = " + std::to_string(tokens) +
                  " tokens, over the limit of " + std::to_string(replay_max_tokens));
  if (checked_mul(tokens, p.dim, "grid tokens x dim") > replay_max_frame_floats)
    bad_field(src, "/dim",
              "a frame of " + std::to_string(tokens) + " tokens x " + std::to_string(p.dim) +
                  " dims is over the limit of " + std::to_string(replay_max_frame_floats) + " floats");
  if (checked_mul(p.prompt_tokens, p.dim, "prompt_tokens x dim") > replay_max_frame_floats)
    bad_field(src, "/prompt_tokens",
              "a prompt of " + std::to_string(p.prompt_tokens) + " tokens x " + std::to_string(p.dim) +
                  " dims is over the limit of " + std::to_string(replay_max_frame_floats) + " floats");
  if (p.prompt_tokens > p.budget)
    bad_field(src, "/budget",
              std::to_string(p.budget) + " is below prompt_tokens (" + std::to_string(p.prompt_tokens) + ")");
  return p;
}

}  // namespace predsense::tools
