// Python bindings of evaluation, counting and file I/O (init_eval_io). These functions and the
// aggregators keep the GIL while they run (the aggregators are protected by it).
#include <string>
#include <vector>

#include "components.hpp"
#include "predsense/counting/dedup_aggregator.hpp"
#include "predsense/counting/sum_aggregator.hpp"
#include "predsense/eval/mra.hpp"
#include "predsense/synthetic/synthetic_stream.hpp"
#include "predsense/eval/tcpd_cover.hpp"
#include "predsense/eval/tcpd_f1.hpp"
#include "predsense/io/npy.hpp"
#include "predsense/io/safetensors.hpp"
#include "predsense/io/safetensors_index.hpp"

using namespace predsense;
using namespace predsense_py;

namespace {

// One segment's answer from Python: count and an optional (count, dim) descriptor array.
struct py_segment {
  f32_array desc;
  segment_answer ans;
};
py_segment segment_of(std::size_t begin, std::size_t end, std::size_t count, const py::object& descriptors) {
  if (end < begin)
    throw invalid_argument_error("add: end (" + std::to_string(end) + ") before begin (" + std::to_string(begin) + ")");
  py_segment s;
  s.ans.begin = begin, s.ans.end = end, s.ans.count = count;
  if (!descriptors.is_none()) {
    s.desc = as_f32(descriptors, "descriptors");
    if (s.desc.ndim() == 1 && s.desc.shape(0) > 0) s.desc = s.desc.reshape({py::ssize_t(1), s.desc.shape(0)});
    if (s.desc.ndim() != 2)
      throw shape_error("descriptors: expected a 2-D (count, dim) array, got shape " + shape_of(s.desc));
    const std::vector<double> all(s.desc.data(), s.desc.data() + s.desc.size());
    require_finite(all, "descriptors");
    s.ans.dim = std::size_t(s.desc.shape(1));
    s.ans.descriptors = std::span<const float>(s.desc.data(), std::size_t(s.desc.size()));
  }
  return s;
}

}  // namespace

void init_eval_io(py::module_& m) {
  m.def(
      "tcpd_f1",
      [](py::handle annotations, std::vector<std::int64_t> predictions, std::size_t n_obs, std::int64_t margin) {
        const auto ann = annotations_of(annotations);
        const auto r = tcpd_f1(ann, predictions, n_obs, margin);
        return py::make_tuple(r.f1, r.precision, r.recall);
      },
      py::arg("annotations"), py::arg("predictions"), py::arg("n_obs"), py::arg("margin") = 5,
      "TCPDBench F1 over several annotators (van den Burg & Williams 2020): annotations = one list of change "
      "indices per annotator, predictions = change indices, n_obs = series length, margin = allowed offset in "
      "steps (default 5, TCPDBench). Index 0 counts as a change point for everyone (TCPDBench convention). "
      "Returns (f1, precision, recall). Raises InvalidArgumentError for indices outside [0, n_obs).");
  m.def(
      "tcpd_cover",
      [](py::handle annotations, std::vector<std::int64_t> predictions, std::size_t n_obs) {
        const auto ann = annotations_of(annotations);
        return tcpd_cover(ann, predictions, n_obs);
      },
      py::arg("annotations"), py::arg("predictions"), py::arg("n_obs"),
      "TCPDBench segmentation cover of the predictions against each annotator, averaged; in [0, 1]. "
      "Same index conventions as tcpd_f1.");
  m.def(
      "mean_relative_accuracy",
      [](py::handle pred, py::handle gt) -> py::object {
        const auto p = doubles_of(pred, "pred"), g = doubles_of(gt, "gt");
        require_finite(p, "pred");
        require_finite(g, "gt");
        return py::float_(mean_relative_accuracy(p, g));
      },
      py::arg("pred"), py::arg("gt"),
      "VSI-Bench MRA: mean over c in {0.50, 0.55, ..., 0.95} of [|pred - gt| / gt < 1 - c], averaged over "
      "items. pred, gt: scalars or 1-D arrays of the same length. Returns a float in [0, 1]. Raises ShapeError "
      "(lengths differ), NonFiniteError, InvalidArgumentError (gt == 0).");

  py::class_<sum_aggregator>(m, "SumAggregator",
                             "Cambrian-S VSC: the count of a video is the sum of the per-segment counts. "
                             "Thread rule: GIL-protected (no method releases the GIL).")
      .def(py::init<>())
      .def(
          "add",
          [](sum_aggregator& a, std::size_t begin, std::size_t end, std::size_t count, py::object descriptors) {
            auto s = segment_of(begin, end, count, descriptors);
            a.add(s.ans);
          },
          py::arg("begin"), py::arg("end"), py::arg("count"), py::arg("descriptors") = py::none(),
          "Adds segment [begin, end) (frame indices, end exclusive) with its count (descriptors ignored).")
      .def_property_readonly("count", &sum_aggregator::count, "Sum of the counts added.");
  py::class_<dedup_aggregator>(
      m, "DedupAggregator",
      "Distinct instances across segments: cosine matching of instance descriptors (threshold, "
      "default 0.6) + union-find. matching: 'mutual_nearest' (default) or 'greedy_assignment'. "
      "within_threshold (default 0.9): merge duplicates inside one segment; bridge_threshold "
      "(default 0.8). Thread rule: GIL-protected.")
      .def(
          py::init([](double threshold, const std::string& matching, double within_threshold, double bridge_threshold) {
            if (matching != "mutual_nearest" && matching != "greedy_assignment")
              throw invalid_argument_error(
                  "DedupAggregator: matching must be 'mutual_nearest' or "
                  "'greedy_assignment', got '" +
                  matching + "'");
            for (double v : {threshold, within_threshold, bridge_threshold})
              if (!std::isfinite(v)) throw non_finite_error("DedupAggregator: thresholds must be finite");
            dedup_params p;
            p.threshold = threshold;
            p.matching =
                matching == "mutual_nearest" ? instance_matching::mutual_nearest : instance_matching::greedy_assignment;
            p.within_threshold = within_threshold;
            p.bridge_threshold = bridge_threshold;
            return dedup_aggregator(p);
          }),
          py::arg("threshold") = 0.6, py::arg("matching") = "mutual_nearest", py::arg("within_threshold") = 0.9,
          py::arg("bridge_threshold") = 0.8)
      .def(
          "add",
          [](dedup_aggregator& a, std::size_t begin, std::size_t end, py::handle descriptors) {
            const auto d = py::reinterpret_borrow<py::object>(descriptors);
            std::size_t count = 0;
            if (!d.is_none()) {
              const auto arr = as_f32(d, "descriptors");
              count = arr.ndim() == 1 ? (arr.shape(0) > 0 ? 1 : 0) : std::size_t(arr.shape(0));
            }
            auto s = segment_of(begin, end, count, d);
            a.add(s.ans);
          },
          py::arg("begin"), py::arg("end"), py::arg("descriptors"),
          "Adds segment [begin, end) with its (count, dim) instance descriptors ((dim,) = one instance). "
          "Raises ShapeError, NonFiniteError.")
      .def_property_readonly("count", &dedup_aggregator::count, "Distinct instances so far.")
      .def_property_readonly("segments", &dedup_aggregator::segments, "Segments added.");

  m.def(
      "read_npy",
      [](const std::string& path) {
        const npy_array a = read_npy(path);
        return to_numpy(a.data, a.shape);
      },
      py::arg("path"),
      "Reads a float32/float16/float64 .npy (C or Fortran order) as a float32 array. Raises FormatError naming "
      "the file and the problem.");
  m.def(
      "write_npy",
      [](const std::string& path, py::handle array) {
        const auto a = as_f32(array, "array");
        std::vector<std::size_t> shape(a.shape(), a.shape() + a.ndim());
        write_npy(path, std::span<const float>(a.data(), std::size_t(a.size())), shape);
      },
      py::arg("path"), py::arg("array"), "Writes any real array as a float32 .npy atomically (temp file + rename).");
  m.def(
      "read_safetensors",
      [](const std::string& path, const std::string& prefix) {
        tensor_map tensors;
        {
          py::gil_scoped_release nogil;
          const safetensors_reader r = safetensors_index::open(path).subset(prefix);
          tensors = r.read_all();
        }
        py::dict out;
        for (const auto& [name, t] : tensors) out[py::str(name)] = to_numpy(t.to_floats(), t.shape);
        return out;
      },
      py::arg("path"), py::arg("prefix") = "",
      "Reads the tensors (F32/F16/BF16) whose names start with `prefix` (default: all) as {name: float32 array}. "
      "path: a .safetensors file, or a Hugging Face checkpoint folder / model.safetensors.index.json (sharded: "
      "each tensor is read from the shard the index names). Raises FormatError naming the file (and the index "
      "and shard for a sharded checkpoint).");
  m.def(
      "write_safetensors",
      [](const std::string& path, const py::dict& tensors, const std::string& dtype) {
        const auto dt = parse_dtype(dtype);
        if (!dt) throw invalid_argument_error("write_safetensors: unknown dtype '" + dtype + "' (F32, F16 or BF16)");
        tensor_map map;
        for (auto [k, v] : tensors) {
          const std::string what = "tensors[\"" + std::string(py::str(k)) + "\"]";
          const auto a = as_f32(v, what.c_str());
          std::vector<std::size_t> shape(a.shape(), a.shape() + a.ndim());
          map[k.cast<std::string>()] =
              tensor_data::from_floats(std::span<const float>(a.data(), std::size_t(a.size())), shape, *dt);
        }
        write_safetensors(path, map);
      },
      py::arg("path"), py::arg("tensors"), py::arg("dtype") = "F32",
      "Writes {name: array} as safetensors in dtype F32 (default), F16 or BF16, atomically.");

  m.def(
      "synthetic_stream",
      [](std::size_t frames, std::size_t tokens, std::size_t dim, std::size_t mean_scene_length, double drift,
         double noise, std::uint64_t seed) {
        if (frames == 0 || tokens == 0 || dim == 0)
          throw invalid_argument_error("synthetic_stream: frames, tokens and dim must be >= 1");
        const synthetic_stream s({frames, tokens, dim, mean_scene_length, drift, noise, seed});
        py::array_t<float> out({py::ssize_t(frames), py::ssize_t(tokens), py::ssize_t(dim)});
        float* o = out.mutable_data();
        for (std::size_t t = 0; t < frames; ++t)
          std::copy(s.frame(t).data(), s.frame(t).data() + tokens * dim, o + t * tokens * dim);
        return py::make_tuple(out, s.boundaries());
      },
      py::arg("frames") = 120, py::arg("tokens") = 16, py::arg("dim") = 64, py::arg("mean_scene_length") = 30,
      py::arg("drift") = 0.05, py::arg("noise") = 0.10, py::arg("seed") = 1,
      "Generated latents with known scene changes: returns (float32 (frames, tokens, dim) array, list of the "
      "frames that start a new scene). drift/noise: per-frame random walk and noise scales (default 0.05, 0.10).");
}
