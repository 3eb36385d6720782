// Python binding of the memory store with every consolidation policy (init_memory).
//
// MemoryStore is one Python class over memory_store<pool_when_unsurprising, P> for the seven
// policies P (a std::variant), with the Cambrian-S compression (2x2 pooling of frames whose
// surprise is below `threshold`). Checkpoints are memory_checkpoint.hpp's safetensors files;
// pickling goes through the same bytes.
#include <atomic>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <random>
#include <string>
#include <variant>

#include <unistd.h>

#include "components.hpp"
#include <map>

#include <nlohmann/json.hpp>
#include <pybind11/stl/filesystem.h>

#include "predsense/io/safetensors.hpp"
#include "predsense/memory/policies/drop_least_surprising.hpp"
#include "predsense/memory/policies/drop_merge.hpp"
#include "predsense/memory/policies/fifo.hpp"
#include "predsense/memory/memory_checkpoint.hpp"
#include "predsense/memory/memory_store.hpp"
#include "predsense/memory/retrieval.hpp"
#include "predsense/memory/policies/similarity_merge.hpp"
#include "predsense/memory/policies/sinks_recent.hpp"
#include "predsense/memory/policies/surprise_reservoir.hpp"
#include "predsense/memory/policies/uniform_stride.hpp"
#include "predsense/memory/policies/peak_preserving.hpp"
#include "predsense/memory/policies/pool_relative.hpp"

using namespace predsense;
using namespace predsense_py;

namespace {

template <class P>
using store_t = memory_store<pool_when_unsurprising, P>;
using peak_store = memory_store<pool_relative, peak_preserving>;
using any_store =
    std::variant<store_t<drop_merge>, store_t<drop_least_surprising>, store_t<fifo>, store_t<uniform_stride>,
                 store_t<sinks_recent>, store_t<similarity_merge>, store_t<surprise_reservoir>, peak_store>;

// Policy parameters as Python sees them (unused ones stay empty).
struct policy_args {
  std::string policy = "drop_merge";
  std::optional<std::size_t> sinks;
  std::optional<double> merge_threshold;
  std::optional<std::uint64_t> seed;
  std::optional<double> weight_floor;
  // peak_preserving (with pool_relative compression)
  std::optional<double> z_pool, z_peak, z_merge, transient_gain;
  std::optional<std::size_t> radius, trailing;
};

// peak_preserving's defaults (chosen on the development seeds of predsense-memory-recall --devset).
const pool_relative default_pool_relative{};
const peak_preserving default_peak_preserving{};

any_store make_store(std::optional<double> thr, std::size_t window, std::size_t budget, const policy_args& a) {
  const memory_params cfg{window, budget};
  const bool relative = a.policy == "peak_preserving";
  auto refuse = [&](bool given, const char* name) {
    if (given)
      throw invalid_argument_error(std::string("MemoryStore: ") + name + "= does not apply to policy '" + a.policy +
                                   "'");
  };
  const std::string& p = a.policy;
  if (p != "sinks_recent") refuse(a.sinks.has_value(), "sinks");
  if (p != "similarity_merge") refuse(a.merge_threshold.has_value(), "merge_threshold");
  if (p != "surprise_reservoir") refuse(a.seed.has_value(), "seed"), refuse(a.weight_floor.has_value(), "weight_floor");
  for (auto [v, name] : {std::pair{a.z_pool, "z_pool"}, std::pair{a.z_peak, "z_peak"}, std::pair{a.z_merge, "z_merge"},
                         std::pair{a.transient_gain, "transient_gain"}}) {
    if (v && !relative)
      throw invalid_argument_error(std::string("MemoryStore: ") + name + "= does not apply to policy '" + a.policy +
                                   "'");
    if (v && !std::isfinite(*v)) throw non_finite_error(std::string("MemoryStore: ") + name + " must be finite");
  }
  if ((a.radius || a.trailing) && !relative)
    throw invalid_argument_error("MemoryStore: radius= and trailing= apply to policy 'peak_preserving' only");
  if (relative) {
    if (thr)
      throw invalid_argument_error(
          "MemoryStore: threshold= does not apply to policy 'peak_preserving' (its thresholds are z-scores: z_pool, "
          "z_peak, z_merge)");
    const std::size_t trailing = a.trailing.value_or(default_peak_preserving.window);
    if (trailing == 0) throw invalid_argument_error("MemoryStore: trailing must be >= 1");
    return peak_store(cfg, pool_relative(a.z_pool.value_or(default_pool_relative.z), trailing),
                      peak_preserving(a.radius.value_or(default_peak_preserving.radius), trailing,
                                      a.z_peak.value_or(default_peak_preserving.z_peak),
                                      a.z_merge.value_or(default_peak_preserving.z_merge),
                                      a.transient_gain.value_or(default_peak_preserving.transient_gain)));
  }
  if (!thr) throw invalid_argument_error("MemoryStore: policy '" + a.policy + "' needs a threshold");
  const double threshold = *thr;
  if (!std::isfinite(threshold))
    throw non_finite_error("MemoryStore: threshold is " + std::to_string(threshold) + " (must be finite)");
  if (p == "drop_merge") return make_cambrian_memory<drop_merge>(threshold, cfg);
  if (p == "drop") return make_cambrian_memory<drop_least_surprising>(threshold, cfg);
  if (p == "fifo") return make_cambrian_memory<fifo>(threshold, cfg);
  if (p == "uniform_stride") return make_cambrian_memory<uniform_stride>(threshold, cfg);
  if (p == "sinks_recent") return make_cambrian_memory<sinks_recent>(threshold, cfg, sinks_recent(a.sinks.value_or(4)));
  if (p == "similarity_merge") {
    const double t = a.merge_threshold.value_or(0.83);
    if (!std::isfinite(t)) throw non_finite_error("MemoryStore: merge_threshold must be finite");
    return make_cambrian_memory<similarity_merge>(threshold, cfg, similarity_merge(t));
  }
  if (p == "surprise_reservoir") {
    surprise_reservoir r(a.seed.value_or(0));
    r.weight_floor = a.weight_floor.value_or(1e-3);
    if (!(r.weight_floor > 0.0) || !std::isfinite(r.weight_floor))
      throw invalid_argument_error("MemoryStore: weight_floor must be finite and > 0");
    return make_cambrian_memory<surprise_reservoir>(threshold, cfg, r);
  }
  throw invalid_argument_error("MemoryStore: policy: unknown policy '" + p +
                               "' (expected peak_preserving, drop_merge, drop, fifo, uniform_stride, sinks_recent, "
                               "similarity_merge or surprise_reservoir)");
}

struct entry_copy {
  memory_entry e;
  bool in_window = false;
  double similarity = 0.0;
  bool hit = false;
  frame_buffer data;  // retrieve(): the entry's tokens
};

struct memory_box final : memory_base {
  any_store store;
  std::optional<double> threshold;
  policy_args args;
  memory_box(std::optional<double> thr, std::size_t window, std::size_t budget, policy_args a)
      : store(make_store(thr, window, budget, a)), threshold(thr), args(std::move(a)) {}

  template <class F>
  decltype(auto) visit(F&& f) {
    return std::visit(std::forward<F>(f), store);
  }

  // memory_base (called without the GIL, by Stream.step/run only, which checked the frame is finite)
  void push(const frame_view& f, double surprise) override {
    std::lock_guard<std::mutex> lk(mu);
    visit([&](auto& s) { s.push(f, surprise); });
  }
  std::size_t tokens() override {
    std::lock_guard<std::mutex> lk(mu);
    return visit([](auto& s) { return s.tokens(); });
  }
  std::size_t entries() override {
    std::lock_guard<std::mutex> lk(mu);
    return visit([](auto& s) { return s.long_term().size() + s.window().size(); });
  }
  std::size_t window() const {
    return std::visit([](const auto& s) { return s.params().window; }, store);
  }
  std::size_t budget() const {
    return std::visit([](const auto& s) { return s.params().budget; }, store);
  }
};

py::dict entry_dict(const entry_copy& c) {
  const memory_entry& e = c.e;
  py::dict d;
  d["frame"] =
      e.frame == store_t<drop_merge>::protected_frame ? py::object(py::int_(-1)) : py::object(py::int_(e.frame));
  d["timestamp"] = e.timestamp;
  d["surprise"] = e.surprise;
  d["tokens"] = e.tokens;
  d["grid"] = py::make_tuple(e.grid.rows, e.grid.cols);
  d["compressed"] = e.compressed;
  d["protected"] = e.is_protected;
  d["merged"] = e.merged;
  d["in_window"] = c.in_window;
  return d;
}

// A unique temporary path (pickling goes through the checkpoint file format).
std::filesystem::path temp_path() {
  static std::atomic<std::uint64_t> counter{0};
  std::random_device rd;
  const auto name = "predsense-pickle-" + std::to_string(::getpid()) + "-" + std::to_string(counter++) + "-" +
                    std::to_string(rd()) + ".safetensors";
  return std::filesystem::temp_directory_path() / name;
}
struct temp_file {
  std::filesystem::path path = temp_path();
  ~temp_file() {
    std::error_code ec;
    std::filesystem::remove(path, ec);
  }
};

// A policy from the checkpoint metadata: {"name", "params": {...}} (version 2) or the older
// "name;key=value;..." text (version 1), as a name and its parameters.
struct policy_desc {
  std::string name;
  std::map<std::string, double> params;
  std::map<std::string, std::uint64_t> uints;  // exact values of the integer parameters
};

policy_desc policy_of(const nlohmann::json& meta, const char* key, const std::string& src) {
  const auto it = meta.find(key);
  if (it == meta.end()) throw format_error(src + ": checkpoint metadata has no /" + key);
  policy_desc d;
  if (it->is_object()) {
    const auto n = it->find("name");
    const auto ps = it->find("params");
    if (n == it->end() || !n->is_string() || ps == it->end() || !ps->is_object())
      throw format_error(src + ": checkpoint metadata /" + key + " needs a string name and a params object");
    d.name = n->get<std::string>();
    for (const auto& [k, v] : ps->items()) {
      if (!v.is_number())
        throw format_error(src + ": checkpoint metadata /" + key + "/params/" + k + " is not a number");
      d.params[k] = v.get<double>();
      if (v.is_number_unsigned()) d.uints[k] = v.get<std::uint64_t>();
    }
    return d;
  }
  if (!it->is_string())
    throw format_error(src + ": checkpoint metadata /" + key + " is neither an object nor a string");
  const std::string sig = it->get<std::string>();
  std::size_t pos = sig.find(';');
  d.name = sig.substr(0, pos);
  while (pos != std::string::npos) {
    const std::size_t next = sig.find(';', pos + 1);
    const std::string item = sig.substr(pos + 1, next == std::string::npos ? std::string::npos : next - pos - 1);
    const std::size_t eq = item.find('=');
    if (eq != std::string::npos) {
      try {
        d.params[item.substr(0, eq)] = std::stod(item.substr(eq + 1));
        if (item.find_first_not_of("0123456789", eq + 1) == std::string::npos)
          d.uints[item.substr(0, eq)] = std::stoull(item.substr(eq + 1));
      } catch (...) {
        throw format_error(src + ": checkpoint metadata /" + key + ": parameter '" + item + "' is not a number");
      }
    }
    pos = next;
  }
  return d;
}

double param(const policy_desc& d, const char* key, const std::string& src) {
  const auto it = d.params.find(key);
  if (it == d.params.end())
    throw format_error(src + ": checkpoint policy " + d.name + " has no parameter '" + key + "'");
  return it->second;
}

// An integer parameter (sinks, seed): the exact unsigned value the metadata holds. A negative,
// fractional or out-of-range number is refused (a double cast to an integer type out of its range
// is undefined behaviour).
std::uint64_t param_uint(const policy_desc& d, const char* key, const std::string& src) {
  (void)param(d, key, src);  // present at all
  const auto it = d.uints.find(key);
  if (it == d.uints.end())
    throw format_error(src + ": checkpoint policy " + d.name + " parameter '" + key +
                       "' is not a non-negative integer");
  return it->second;
}

// A MemoryStore configured as the checkpoint says, with its state loaded (load_checkpoint checks
// everything again against the configuration built here).
std::shared_ptr<memory_box> load_store(const std::filesystem::path& path) {
  const safetensors_reader r = safetensors_reader::open(path);
  const std::string src = r.source();
  // the same checks as load_checkpoint's (present, depth, object, format, version)
  const nlohmann::json meta = detail::checkpoint_metadata(r);
  const policy_desc comp = policy_of(meta, "compression", src);
  const policy_desc cons = policy_of(meta, "consolidation", src);
  if (comp.name != "pool" && comp.name != "pool_relative")
    throw format_error(src + ": compression '" + comp.name +
                       "' cannot be rebuilt from Python (expected 'pool' or 'pool_relative')");
  policy_args a;
  a.policy = cons.name;
  std::optional<double> threshold;
  if (comp.name == "pool_relative") {
    if (cons.name != "peak_preserving")
      throw format_error(src + ": compression 'pool_relative' with consolidation '" + cons.name +
                         "' cannot be rebuilt from Python");
    a.z_pool = param(comp, "z", src);
    a.z_peak = param(cons, "z_peak", src);
    a.z_merge = param(cons, "z_merge", src);
    a.transient_gain = param(cons, "transient_gain", src);
    a.radius = static_cast<std::size_t>(param_uint(cons, "radius", src));
    a.trailing = static_cast<std::size_t>(param_uint(cons, "window", src));
  } else {
    threshold = param(comp, "threshold", src);
  }
  {
    if (cons.name == "sinks_recent") a.sinks = param_uint(cons, "sinks", src);
    if (cons.name == "similarity_merge") a.merge_threshold = param(cons, "threshold", src);
    if (cons.name == "surprise_reservoir") {
      a.seed = param_uint(cons, "seed", src);
      a.weight_floor = param(cons, "weight_floor", src);
    }
  }
  std::shared_ptr<memory_box> box;
  try {
    box = std::make_shared<memory_box>(threshold, static_cast<std::size_t>(detail::json_uint(meta, "window", src)),
                                       static_cast<std::size_t>(detail::json_uint(meta, "budget", src)), a);
  } catch (const format_error&) {
    throw;
  } catch (const error& e) {
    throw format_error(src + ": checkpoint configuration not accepted: " + e.what());
  }
  box->visit([&](auto& s) { load_checkpoint(s, path); });
  return box;
}

py::bytes to_bytes(memory_box& self) {
  temp_file tmp;
  locked(self, [&] { self.visit([&](auto& s) { save_checkpoint(s, tmp.path); }); });
  std::ifstream in(tmp.path, std::ios::binary);
  const std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  if (!in.good() && !in.eof()) throw format_error("MemoryStore pickle: could not read back " + tmp.path.string());
  return py::bytes(bytes);
}

std::shared_ptr<memory_box> from_bytes(const py::bytes& b) {
  temp_file tmp;
  const std::string data = b;
  {
    std::ofstream out(tmp.path, std::ios::binary);
    out.write(data.data(), static_cast<std::streamsize>(data.size()));
    out.close();
    if (!out) throw format_error("MemoryStore pickle: could not write " + tmp.path.string());
  }
  py::gil_scoped_release nogil;
  return load_store(tmp.path);
}

}  // namespace

void init_memory(py::module_& m) {
  py::class_<memory_base, std::shared_ptr<memory_base>>(
      m, "Memory",
      "Base class of the C++ memories (MemoryStore). A Stream also takes any Python object with "
      "push(frame, surprise) (and optionally a `tokens` attribute); that path takes the GIL per frame. Thread rule: "
      "each C++ object holds a per-object mutex (safe to share, calls serialized); a Python object plugged into a "
      "Stream is called with the GIL held.");

  py::class_<memory_box, memory_base, std::shared_ptr<memory_box>>(
      m, "MemoryStore",
      "Cambrian-S surprise-driven memory: a sensory window of the newest `window` frames at full resolution "
      "in front of a long-term store held within `budget` tokens.\n\n"
      "Default (no threshold, no policy): 'peak_preserving' - thresholds relative to the stream's own surprise "
      "(robust z-scores over the last `trailing` frames, default 120): a frame leaving the window is pooled 2x2 "
      "when its z < z_pool (default 1); over budget, runs of sustained surprise (z >= z_merge, default 2) merge "
      "unless one is a local peak (z_peak, default 3), then the entry least surprising against its neighbourhood "
      "(radius frames each side, default 5; a one-frame event's two spikes weighted by transient_gain) is evicted. "
      "Holds for any encoder's surprise scale; keeps single-frame events (docs/memory.md).\n"
      "With a threshold (Cambrian-S): a frame leaving the window is pooled 2x2 when its surprise < threshold "
      "(compression_downsample_ratio = 2), admitted to long-term memory, and the consolidation `policy` brings "
      "the store back within budget:\n"
      "  'drop_merge' (the default with a threshold, Cambrian-S: merge the least surprising neighbours, "
      "threshold shared),\n"
      "  'drop' (evict the least surprising), 'fifo' (evict the oldest), 'uniform_stride' (keep frames evenly "
      "spread over the stream),\n  'sinks_recent' (keep the first `sinks` entries (default 4) + the newest),\n"
      "  'similarity_merge' (merge adjacent entries whose pooled keys have cosine >= merge_threshold, default "
      "0.83, else drop the least surprising),\n  'surprise_reservoir' (weighted reservoir sample by surprise + "
      "weight_floor (default 1e-3), seeded by `seed` (default 0)).\n\n"
      "threshold: absolute surprise threshold of the Cambrian-S policies (finite; one value for pooling and "
      "merging); not accepted by 'peak_preserving'.\n"
      "window: frames in the sensory window (default 32, Cambrian-S sensory_window_size).\n"
      "budget: long-term tokens incl. protected entries (default 8192, Cambrian-S consolidation_mem_budget).\n"
      "Raises InvalidArgumentError (unknown policy, a parameter that does not apply to the policy), NonFiniteError.\n"
      "Thread rule: per-object mutex: pushes from several threads are serialized, none is lost.\n"
      "Pickles (and save()/load()) through the bit-exact checkpoint format of docs/memory.md.")
      .def(py::init([](std::optional<double> threshold, std::size_t window, std::size_t budget,
                       std::optional<std::string> policy, std::optional<std::size_t> sinks,
                       std::optional<double> merge_threshold, std::optional<std::uint64_t> seed,
                       std::optional<double> weight_floor, std::optional<double> z_pool, std::optional<double> z_peak,
                       std::optional<double> z_merge, std::optional<double> transient_gain,
                       std::optional<std::size_t> radius, std::optional<std::size_t> trailing) {
             policy_args a{policy.value_or(threshold ? "drop_merge" : "peak_preserving"),
                           sinks,
                           merge_threshold,
                           seed,
                           weight_floor,
                           z_pool,
                           z_peak,
                           z_merge,
                           transient_gain,
                           radius,
                           trailing};
             return std::make_shared<memory_box>(threshold, window, budget, std::move(a));
           }),
           py::arg("threshold") = py::none(), py::arg("window") = 32, py::arg("budget") = 8192, py::kw_only(),
           py::arg("policy") = py::none(), py::arg("sinks") = py::none(), py::arg("merge_threshold") = py::none(),
           py::arg("seed") = py::none(), py::arg("weight_floor") = py::none(), py::arg("z_pool") = py::none(),
           py::arg("z_peak") = py::none(), py::arg("z_merge") = py::none(), py::arg("transient_gain") = py::none(),
           py::arg("radius") = py::none(), py::arg("trailing") = py::none())
      .def(
          "push",
          [](memory_box& self, py::handle frame, double surprise, std::optional<double> timestamp) {
            const frame_arg a = frame_of(frame, "frame");
            if (timestamp) require_finite(*timestamp, "timestamp");  // a checkpoint would refuse it at load
            py::gil_scoped_release nogil;
            require_finite(a.view, "frame");
            std::lock_guard<std::mutex> lk(self.mu);
            return self.visit([&](auto& s) { return s.push(a.view, surprise, grid_shape{}, timestamp); });
          },
          py::arg("frame"), py::arg("surprise"), py::arg("timestamp") = py::none(),
          "Takes in one frame (tokens, dim) or (dim,) (copied) with its surprise; returns its frame index "
          "(0-based count of pushes). timestamp: seconds, default = the frame index (1 fps). The token grid is "
          "square for a square token count (64 -> 8x8), else one row.\n"
          "Raises ShapeError (dim differs from earlier frames), EmptyError, NonFiniteError (NaN/Inf in the frame "
          "or the surprise).")
      .def(
          "add_protected",
          [](memory_box& self, py::handle latents) {
            const frame_arg a = frame_of(latents, "latents");
            py::gil_scoped_release nogil;
            require_finite(a.view, "latents");
            std::lock_guard<std::mutex> lk(self.mu);
            self.visit([&](auto& s) { s.add_protected(a.view); });
          },
          py::arg("latents"),
          "A prompt/text entry (tokens, dim): kept first in long-term memory, never evicted or merged; counts "
          "against the budget. Raises InvalidArgumentError when protected tokens would exceed the budget.")
      .def(
          "flush", [](memory_box& self) { locked(self, [&] { self.visit([](auto& s) { s.flush(); }); }); },
          "End of stream (Cambrian-S: before answering): every window frame goes to long-term memory, oldest first.")
      .def(
          "clear", [](memory_box& self) { locked(self, [&] { self.visit([](auto& s) { s.clear(); }); }); },
          "Forgets everything (configuration kept).")
      .def_property_readonly(
          "tokens",
          [](memory_box& self) { return locked(self, [&] { return self.visit([](auto& s) { return s.tokens(); }); }); },
          "Tokens held (long-term + window).")
      .def_property_readonly(
          "frames_seen",
          [](memory_box& self) {
            return locked(self, [&] { return self.visit([](auto& s) { return std::uint64_t(s.frames_seen()); }); });
          },
          "Frames pushed since construction (or clear()).")
      .def_property_readonly(
          "dim",
          [](memory_box& self) { return locked(self, [&] { return self.visit([](auto& s) { return s.dim(); }); }); },
          "Latent dim (0 before the first frame).")
      .def_property_readonly(
          "threshold", [](const memory_box& self) { return self.threshold; },
          "Absolute surprise threshold: frames below it are pooled 2x2 (and drop_merge merges below it); None for "
          "peak_preserving.")
      .def_property_readonly("window", &memory_box::window, "Sensory window size in frames.")
      .def_property_readonly("budget", &memory_box::budget, "Long-term budget in tokens.")
      .def_property_readonly(
          "policy", [](const memory_box& self) { return self.args.policy; }, "The consolidation policy's name.")
      .def_property_readonly(
          "policy_params",
          [](const memory_box& self) {
            py::dict d;
            const auto& a = self.args;
            if (a.policy == "drop_merge") d["threshold"] = *self.threshold;
            if (a.policy == "peak_preserving") {
              d["z_pool"] = a.z_pool.value_or(default_pool_relative.z);
              d["z_peak"] = a.z_peak.value_or(default_peak_preserving.z_peak);
              d["z_merge"] = a.z_merge.value_or(default_peak_preserving.z_merge);
              d["transient_gain"] = a.transient_gain.value_or(default_peak_preserving.transient_gain);
              d["radius"] = a.radius.value_or(default_peak_preserving.radius);
              d["trailing"] = a.trailing.value_or(default_peak_preserving.window);
            }
            if (a.policy == "sinks_recent") d["sinks"] = a.sinks.value_or(4);
            if (a.policy == "similarity_merge") d["merge_threshold"] = a.merge_threshold.value_or(0.83);
            if (a.policy == "surprise_reservoir")
              d["seed"] = a.seed.value_or(0), d["weight_floor"] = a.weight_floor.value_or(1e-3);
            return d;
          },
          "The consolidation policy's parameters (with their defaults filled in) as a dict.")
      .def(
          "__len__",
          [](memory_box& self) {
            py::gil_scoped_release nogil;
            return self.entries();
          },
          "Entries held (long-term + window).")
      .def(
          "entries",
          [](memory_box& self) {
            std::vector<entry_copy> v;
            locked(self, [&] {
              self.visit([&](auto& s) {
                s.for_each([&](const memory_item& it) { v.push_back({it.entry, it.in_window, 0.0, false, {}}); });
              });
            });
            py::list out;
            for (const auto& c : v) out.append(entry_dict(c));
            return out;
          },
          "Every entry in time order (long-term first, then the window) as dicts: frame (int, -1 for protected), "
          "timestamp (s), surprise, tokens, grid (rows, cols), compressed, protected, merged (frame indices), "
          "in_window.")
      .def(
          "tensors",
          [](memory_box& self) {
            std::vector<frame_buffer> v;
            locked(self, [&] {
              self.visit([&](auto& s) { s.for_each([&](const memory_item& it) { v.emplace_back(it.data); }); });
            });
            py::list out;
            for (const auto& b : v) out.append(to_numpy(b));
            return out;
          },
          "Every entry's tokens as float32 (tokens, dim) arrays (copies), in the order of entries().")
      .def(
          "window_tokens",
          [](memory_box& self) {
            frame_buffer b;
            std::size_t dim = 0;
            locked(self, [&] {
              self.visit([&](auto& s) {
                dim = s.dim();
                const frame_view v = s.window().tokens_view();
                if (!v.empty()) b.assign(v);
              });
            });
            if (b.empty()) return py::array_t<float>(std::vector<py::ssize_t>{0, py::ssize_t(dim)});
            return to_numpy(b);
          },
          "The sensory window's frames, oldest first, as one float32 (tokens, dim) array: the model input (a copy).")
      .def(
          "retrieve",
          [](memory_box& self, py::handle query, std::size_t k, std::size_t contiguity, bool include_window,
             const std::string& scoring, std::size_t shortlist, double informative, bool calibrate,
             const std::string& order) {
            const frame_arg q = frame_of(query, "query");
            retrieval_params opt{.k = k, .contiguity = contiguity, .include_window = include_window};
            if (scoring == "late_interaction")
              opt.scoring = retrieval_scoring::late_interaction;
            else if (scoring != "token_mean")
              throw invalid_argument_error(
                  "MemoryStore.retrieve: scoring must be 'token_mean' or 'late_interaction', got '" + scoring + "'");
            if (order == "time")
              opt.order = retrieval_order::time;
            else if (order != "best_first")
              throw invalid_argument_error("MemoryStore.retrieve: order must be 'best_first' or 'time', got '" + order +
                                           "'");
            opt.shortlist = shortlist;
            opt.informative = informative;
            opt.calibrate = calibrate;
            std::vector<entry_copy> hits;
            locked(self, [&] {
              require_finite(q.view, "query");
              self.visit([&](auto& s) {
                for (const auto& h : retrieve(s, q.view, opt)) {
                  entry_copy c{*h.entry, h.in_window, h.score, h.hit, {}};
                  c.data.assign(h.data);
                  hits.push_back(std::move(c));
                }
              });
            });
            py::list out;
            for (const auto& h : hits) {
              py::dict d = entry_dict(h);
              d["score"] = h.similarity;
              d["similarity"] = h.similarity;  // the same value under its former name
              d["hit"] = h.hit;
              d["data"] = to_numpy(h.data);
              out.append(d);
            }
            return out;
          },
          py::arg("query"), py::arg("k") = 1, py::arg("contiguity") = 0, py::arg("include_window") = true,
          py::kw_only(), py::arg("scoring") = "token_mean", py::arg("shortlist") = 0, py::arg("informative") = 1.0,
          py::arg("calibrate") = false, py::arg("order") = "best_first",
          "The top-k entries for a query (tokens, dim) or (dim,) - any token count, e.g. a crop of an object - best "
          "first (order='time': in time order), plus `contiguity` neighbours on each side of every hit "
          "(hit=False; each hit's group in time order). scoring='token_mean': cosine of the pooled keys (Cambrian-S); "
          "'late_interaction': ColBERT MaxSim, each query token's best cosine over the entry's tokens, averaged "
          "(finds small objects); shortlist=n rescores only the n best by token mean; informative=f uses the "
          "fraction f of query tokens least like the memory's mean token; calibrate=True standardises each query "
          "token's best cosine over the entries. Returns entries() dicts with score (similarity: the same), hit and "
          "data (the entry's tokens, a float32 copy). Raises ShapeError (dim differs), NonFiniteError, "
          "InvalidArgumentError (scoring, order, informative outside (0, 1]).")
      .def(
          "save",
          [](memory_box& self, const std::filesystem::path& path) {
            locked(self, [&] { self.visit([&](auto& s) { save_checkpoint(s, path); }); });
          },
          py::arg("path"),
          "Writes a checkpoint (one safetensors file; temp file + rename, so a crash leaves the previous one "
          "intact). save -> load -> save gives identical bytes.")
      .def_static(
          "load",
          [](const std::filesystem::path& path) {
            py::gil_scoped_release nogil;
            return load_store(path);
          },
          py::arg("path"),
          "A MemoryStore configured as the checkpoint says (policy, threshold, window, budget) with its state. "
          "Raises FormatError (with the file name and the C++ loader's reason) for a corrupted, truncated or "
          "foreign file.")
      .def(
          py::pickle([](memory_box& self) { return to_bytes(self); }, [](const py::bytes& b) { return from_bytes(b); }))
      .def("__repr__", [](memory_box& self) {
        const auto [tokens, frames] = locked(self, [&] {
          return self.visit([](auto& s) { return std::pair<std::size_t, std::uint64_t>(s.tokens(), s.frames_seen()); });
        });
        return "MemoryStore(threshold=" +
               (self.threshold ? std::string(py::str(py::float_(*self.threshold))) : std::string("None")) +
               ", window=" + std::to_string(self.window()) + ", budget=" + std::to_string(self.budget()) +
               ", policy='" + self.args.policy + "', tokens=" + std::to_string(tokens) +
               ", frames_seen=" + std::to_string(frames) + ")";
      });
}
