// predsense-memory-replay: replays a per-frame surprise sequence through predsense's memory and
// prints what it retains, so the Python tests can compare it with a transcription of the
// Cambrian-S reference (tests/python/reference_memory.py).
//
//   predsense-memory-replay input.json [-o out.json]     ("-" reads stdin; default writes stdout)
//        [--checkpoint ckpt.safetensors [--checkpoint-every N]] [--resume ckpt.safetensors]
// --checkpoint saves the memory (memory_checkpoint.hpp) after the stream (before the flush), or
// every N frames; --resume loads one first and continues the stream from the frame after it.
//
// Input (tools/support/replay_input.hpp, with its limits): {"surprise": [..], "threshold": 0.35,
//   "budget": 8192, "window": 32, "policy": "drop_merge", "grid": [8, 8], "ratio": 2,
//   "prompt_tokens": 16, "flush": true, "dim": 1, "seed": 0, "similarity": 0.83, "sinks": 4}
// Only "surprise" is required. Frames are dim-D tensors whose values encode the frame index (the
// structure, not the values, is what the reference comparison checks).
// Output: {"entries": [{frames, tokens, surprise, grid, compressed, protected}...], "window": [...],
//          "stats": {...}}. Exit codes and output rules: tools/support/cli.hpp (bad input: 2, a
// message naming the file and JSON field, no output file; -o, --checkpoint and --resume must
// all be different files, and none of them the input).
#include <string>
#include <vector>

#include "predsense/memory/policies/drop_least_surprising.hpp"
#include "predsense/memory/memory_checkpoint.hpp"
#include "predsense/memory/policies/drop_merge.hpp"
#include "predsense/memory/policies/fifo.hpp"
#include "predsense/memory/memory_store.hpp"
#include "predsense/memory/policies/similarity_merge.hpp"
#include "predsense/memory/policies/sinks_recent.hpp"
#include "predsense/memory/policies/surprise_reservoir.hpp"
#include "predsense/memory/policies/uniform_stride.hpp"
#include "support/cli.hpp"
#include "support/replay_input.hpp"

namespace {

using predsense::tools::bad_input;
using predsense::tools::json;
using params = predsense::tools::replay_params;

json entry_json(const predsense::memory_entry& e) {
  json frames = json::array();
  if (!e.is_protected)
    for (auto f : e.merged) frames.push_back(f);
  return {{"frames", frames},           {"tokens", e.tokens},
          {"surprise", e.surprise},     {"grid", {e.grid.rows, e.grid.cols}},
          {"compressed", e.compressed}, {"protected", e.is_protected}};
}

struct checkpoint_opts {
  std::string save, resume;
  std::size_t every = 0;
};

template <class Mem>
json run(Mem mem, const params& p, const checkpoint_opts& ck) {
  const std::size_t tokens = p.rows * p.cols;
  std::size_t start = 0;
  if (!ck.resume.empty()) {
    predsense::load_checkpoint(mem, ck.resume);
    start = mem.frames_seen();
    if (start > p.surprise.size())
      throw bad_input(ck.resume + ": checkpoint has seen " + std::to_string(start) + " frames, the input only " +
                      std::to_string(p.surprise.size()));
  } else {
    std::vector<float> prompt(p.prompt_tokens * p.dim, -1.0f);
    mem.add_protected(predsense::frame_view(prompt.data(), p.prompt_tokens, p.dim), {1, p.prompt_tokens});
  }
  const auto save = [&] {
    predsense::tools::write_with(ck.save, "--checkpoint", [&] { predsense::save_checkpoint(mem, ck.save); });
  };
  std::vector<float> frame(tokens * p.dim);  // sizes checked against the limits in parse_replay
  for (std::size_t t = start; t < p.surprise.size(); ++t) {
    for (std::size_t i = 0; i < frame.size(); ++i) frame[i] = static_cast<float>(t) + static_cast<float>(i % p.dim);
    mem.push(predsense::frame_view(frame.data(), tokens, p.dim), p.surprise[t], {p.rows, p.cols});
    if (!ck.save.empty() && ck.every && (t + 1) % ck.every == 0) save();
  }
  if (!ck.save.empty() && !ck.every) save();
  if (p.flush) mem.flush();
  json out;
  out["entries"] = json::array();
  out["window"] = json::array();
  mem.for_each([&](const predsense::memory_item& it) {
    (it.in_window ? out["window"] : out["entries"]).push_back(entry_json(it.entry));
  });
  out["stats"] = {{"frames", mem.frames_seen()},
                  {"long_term_tokens", mem.long_term().tokens()},
                  {"window_tokens", mem.window().tokens()},
                  {"peak_bytes_reserved", mem.peak_bytes_reserved()},
                  {"policy", p.policy}};
  return out;
}

json dispatch(const params& p, const std::string& src, const checkpoint_opts& ck) {
  using namespace predsense;
  const memory_params cfg{p.window, p.budget};
  const pool_when_unsurprising pool{p.threshold, p.ratio, pool_edge::floor};
  if (p.policy == "drop_merge")
    return run(memory_store<pool_when_unsurprising, drop_merge>(cfg, pool, drop_merge{p.threshold}), p, ck);
  if (p.policy == "drop") return run(memory_store<pool_when_unsurprising, drop_least_surprising>(cfg, pool), p, ck);
  if (p.policy == "fifo") return run(memory_store<pool_when_unsurprising, fifo>(cfg, pool), p, ck);
  if (p.policy == "uniform_stride") return run(memory_store<pool_when_unsurprising, uniform_stride>(cfg, pool), p, ck);
  if (p.policy == "sinks_recent")
    return run(memory_store<pool_when_unsurprising, sinks_recent>(cfg, pool, sinks_recent{p.sinks}), p, ck);
  if (p.policy == "similarity_merge")
    return run(memory_store<pool_when_unsurprising, similarity_merge>(cfg, pool, similarity_merge{p.similarity}), p,
               ck);
  if (p.policy == "surprise_reservoir")
    return run(memory_store<pool_when_unsurprising, surprise_reservoir>(cfg, pool, surprise_reservoir{p.seed}), p, ck);
  throw bad_input(src + ": /policy: unknown policy \"" + p.policy +
                  "\" (drop, drop_merge, fifo, uniform_stride, sinks_recent, similarity_merge, surprise_reservoir)");
}

}  // namespace

int main(int argc, char** argv) {
  namespace t = predsense::tools;
  CLI::App app{"Replay a surprise sequence through predsense's memory; print the retained entries as JSON"};
  std::string input, output;
  app.add_option("input", input, "input JSON file ('-' for stdin)")->required();
  app.add_option("-o,--output", output, "output JSON file (default: stdout)");
  checkpoint_opts ck;
  app.add_option("--checkpoint", ck.save, "save the memory to this safetensors file (end of stream, before the flush)");
  app.add_option("--checkpoint-every", ck.every, "save the checkpoint every N frames instead (N >= 1)")
      ->check(t::count_in(1, UINT32_MAX));
  app.add_option("--resume", ck.resume, "load this checkpoint first and continue after its last frame");
  return t::run_tool("predsense-memory-replay", app, argc, argv, [&] {
    if (app.count("--checkpoint-every") && ck.save.empty()) throw bad_input("--checkpoint-every needs --checkpoint");
    t::io_paths paths;
    paths.input(input, "input");
    paths.input(ck.resume, "--resume");
    paths.output(output, "-o");
    paths.output(ck.save, "--checkpoint");
    paths.check();
    const std::string src = input == "-" ? std::string("<stdin>") : input;
    const params p = t::parse_replay(t::read_json(input), src);
    t::emit(output, dispatch(p, src, ck).dump() + "\n", "-o");
  });
}
