// predsense-memory-replay: replays a per-frame surprise sequence through predsense's memory and
// prints what it retains, so the Python tests can compare it with a transcription of the
// Cambrian-S reference (tests/python/reference_memory.py).
//
//   predsense-memory-replay input.json [-o out.json]     ("-" reads stdin; default writes stdout)
//        [--checkpoint ckpt.safetensors [--checkpoint-every N]] [--resume ckpt.safetensors]
// --checkpoint saves the memory (memory_checkpoint.hpp) after the stream (before the flush), or
// every N frames; --resume loads one first and continues the stream from the frame after it.
//
// Input: {"surprise": [..], "threshold": 0.35, "budget": 8192, "window": 32,
//         "policy": "drop_merge", "grid": [8, 8], "ratio": 2, "prompt_tokens": 16,
//         "flush": true, "dim": 1, "seed": 0, "similarity": 0.83, "sinks": 4}
// Only "surprise" is required. Frames are dim-D tensors whose values encode the frame index (the
// structure, not the values, is what the reference comparison checks).
// Output: {"entries": [{frames, tokens, surprise, grid, compressed, protected}...], "window": [...],
//          "stats": {...}}. Bad input: exit code 2, a message naming the file and field, and no
// output file.
#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>

#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <iterator>
#include <sstream>
#include <string>
#include <vector>

#include "predsense/memory/drop_least_surprising.hpp"
#include "predsense/memory/memory_checkpoint.hpp"
#include "predsense/memory/drop_merge.hpp"
#include "predsense/memory/fifo.hpp"
#include "predsense/memory/memory_store.hpp"
#include "predsense/memory/similarity_merge.hpp"
#include "predsense/memory/sinks_recent.hpp"
#include "predsense/memory/surprise_reservoir.hpp"
#include "predsense/memory/uniform_stride.hpp"

namespace {

using nlohmann::json;

struct bad_input : std::runtime_error {
  using std::runtime_error::runtime_error;
};

struct params {
  std::vector<double> surprise;
  double threshold = 0.0;
  std::size_t budget = 8192, window = 32, ratio = 2, prompt_tokens = 16, dim = 1, sinks = 4;
  std::size_t rows = 8, cols = 8;
  std::string policy = "drop_merge";
  bool flush = true;
  std::uint64_t seed = 0;
  double similarity = 0.83;
};

std::size_t get_size(const json& j, const char* field, std::size_t def, const std::string& src) {
  if (!j.contains(field)) return def;
  const json& v = j.at(field);
  if (!v.is_number_unsigned())
    throw bad_input(src + ": field \"" + field + "\" must be a non-negative integer, got " + v.dump());
  return v.get<std::size_t>();
}
double get_double(const json& j, const char* field, double def, const std::string& src) {
  if (!j.contains(field)) return def;
  const json& v = j.at(field);
  if (!v.is_number() || !std::isfinite(v.get<double>()))
    throw bad_input(src + ": field \"" + field + "\" must be a finite number, got " + v.dump());
  return v.get<double>();
}

params parse(const json& j, const std::string& src) {
  if (!j.is_object()) throw bad_input(src + ": top level must be a JSON object");
  params p;
  if (!j.contains("surprise") || !j.at("surprise").is_array())
    throw bad_input(src + ": field \"surprise\" (array of numbers) is missing or not an array");
  const json& s = j.at("surprise");
  p.surprise.reserve(s.size());
  for (std::size_t i = 0; i < s.size(); ++i) {
    if (!s[i].is_number() || !std::isfinite(s[i].get<double>()))
      throw bad_input(src + ": field \"surprise\"[" + std::to_string(i) + "] must be a finite number, got " +
                      s[i].dump());
    p.surprise.push_back(s[i].get<double>());
  }
  p.threshold = get_double(j, "threshold", p.threshold, src);
  p.similarity = get_double(j, "similarity", p.similarity, src);
  p.budget = get_size(j, "budget", p.budget, src);
  p.window = get_size(j, "window", p.window, src);
  p.ratio = get_size(j, "ratio", p.ratio, src);
  p.prompt_tokens = get_size(j, "prompt_tokens", p.prompt_tokens, src);
  p.dim = get_size(j, "dim", p.dim, src);
  p.sinks = get_size(j, "sinks", p.sinks, src);
  p.seed = get_size(j, "seed", 0, src);
  if (j.contains("flush")) {
    if (!j.at("flush").is_boolean()) throw bad_input(src + ": field \"flush\" must be true or false");
    p.flush = j.at("flush").get<bool>();
  }
  if (j.contains("policy")) {
    if (!j.at("policy").is_string()) throw bad_input(src + ": field \"policy\" must be a string");
    p.policy = j.at("policy").get<std::string>();
  }
  if (j.contains("grid")) {
    const json& g = j.at("grid");
    if (!g.is_array() || g.size() != 2 || !g[0].is_number_unsigned() || !g[1].is_number_unsigned() ||
        g[0].get<std::size_t>() == 0 || g[1].get<std::size_t>() == 0)
      throw bad_input(src + ": field \"grid\" must be [rows, cols] of positive integers, got " + g.dump());
    p.rows = g[0].get<std::size_t>();
    p.cols = g[1].get<std::size_t>();
  }
  if (p.dim == 0) throw bad_input(src + ": field \"dim\" must be at least 1");
  if (p.prompt_tokens == 0)
    throw bad_input(src + ": field \"prompt_tokens\" must be at least 1 (the reference always has a prompt entry)");
  if (p.prompt_tokens > p.budget)
    throw bad_input(src + ": field \"budget\" (" + std::to_string(p.budget) + ") is below \"prompt_tokens\" (" +
                    std::to_string(p.prompt_tokens) + ")");
  if (p.rows * p.cols > (1u << 20)) throw bad_input(src + ": field \"grid\" is implausibly large");
  return p;
}

json entry_json(const predsense::memory_entry& e) {
  json frames = json::array();
  if (!e.is_protected)
    for (auto f : e.merged) frames.push_back(f);
  return {{"frames", frames},       {"tokens", e.tokens},        {"surprise", e.surprise},
          {"grid", {e.grid.rows, e.grid.cols}}, {"compressed", e.compressed}, {"protected", e.is_protected}};
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
  std::vector<float> frame(tokens * p.dim);
  for (std::size_t t = start; t < p.surprise.size(); ++t) {
    for (std::size_t i = 0; i < frame.size(); ++i) frame[i] = static_cast<float>(t) + static_cast<float>(i % p.dim);
    mem.push(predsense::frame_view(frame.data(), tokens, p.dim), p.surprise[t], {p.rows, p.cols});
    if (!ck.save.empty() && ck.every && (t + 1) % ck.every == 0) predsense::save_checkpoint(mem, ck.save);
  }
  if (!ck.save.empty() && !ck.every) predsense::save_checkpoint(mem, ck.save);
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
  const memory_config cfg{p.window, p.budget};
  const pool_when_unsurprising pool{p.threshold, p.ratio, pool_edge::floor};
  if (p.policy == "drop_merge") return run(memory_store<pool_when_unsurprising, drop_merge>(cfg, pool, drop_merge{p.threshold}), p, ck);
  if (p.policy == "drop") return run(memory_store<pool_when_unsurprising, drop_least_surprising>(cfg, pool), p, ck);
  if (p.policy == "fifo") return run(memory_store<pool_when_unsurprising, fifo>(cfg, pool), p, ck);
  if (p.policy == "uniform_stride") return run(memory_store<pool_when_unsurprising, uniform_stride>(cfg, pool), p, ck);
  if (p.policy == "sinks_recent") return run(memory_store<pool_when_unsurprising, sinks_recent>(cfg, pool, sinks_recent{p.sinks}), p, ck);
  if (p.policy == "similarity_merge")
    return run(memory_store<pool_when_unsurprising, similarity_merge>(cfg, pool, similarity_merge{p.similarity}), p, ck);
  if (p.policy == "surprise_reservoir")
    return run(memory_store<pool_when_unsurprising, surprise_reservoir>(cfg, pool, surprise_reservoir{p.seed}), p, ck);
  throw bad_input(src + ": field \"policy\": unknown policy \"" + p.policy +
                  "\" (drop, drop_merge, fifo, uniform_stride, sinks_recent, similarity_merge, surprise_reservoir)");
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"Replay a surprise sequence through predsense's memory; print the retained entries as JSON"};
  std::string input, output;
  app.add_option("input", input, "input JSON file ('-' for stdin)")->required();
  app.add_option("-o,--output", output, "output JSON file (default: stdout)");
  checkpoint_opts ck;
  app.add_option("--checkpoint", ck.save, "save the memory to this safetensors file (end of stream, before the flush)");
  app.add_option("--checkpoint-every", ck.every, "save the checkpoint every N frames instead");
  app.add_option("--resume", ck.resume, "load this checkpoint first and continue after its last frame");
  CLI11_PARSE(app, argc, argv);

  const std::string src = input == "-" ? std::string("<stdin>") : input;
  std::string text;
  try {
    if (input == "-") {
      text.assign(std::istreambuf_iterator<char>(std::cin), std::istreambuf_iterator<char>());
    } else {
      std::ifstream in(input, std::ios::binary);
      if (!in) throw bad_input(src + ": cannot open for reading");
      text.assign(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
    }
    json j;
    try {
      j = json::parse(text);
    } catch (const json::parse_error& e) {
      throw bad_input(src + ": not valid JSON: " + e.what());
    }
    const params p = parse(j, src);
    const std::string result = dispatch(p, src, ck).dump() + "\n";
    if (output.empty()) {
      std::cout << result;
      return 0;
    }
    // temp file + rename: a failed run never leaves a half-written output
    const std::string tmp = output + ".tmp";
    {
      std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
      if (!out || !(out << result) || !out.flush()) {
        std::filesystem::remove(tmp);
        std::cerr << "predsense-memory-replay: " << output << ": cannot write\n";
        return 1;
      }
    }
    std::filesystem::rename(tmp, output);
    return 0;
  } catch (const bad_input& e) {
    std::cerr << "predsense-memory-replay: " << e.what() << "\n";
    return 2;
  } catch (const predsense::format_error& e) {  // a bad or mismatched checkpoint: bad input
    std::cerr << "predsense-memory-replay: " << e.what() << "\n";
    return 2;
  } catch (const predsense::invalid_argument_error& e) {
    std::cerr << "predsense-memory-replay: " << src << ": " << e.what() << "\n";
    return 2;
  } catch (const std::exception& e) {
    std::cerr << "predsense-memory-replay: " << src << ": " << e.what() << "\n";
    return 1;
  }
}
