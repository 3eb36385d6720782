// predsense._core - numpy in, numpy out.
//
// Arrays: float32 C-order arrays are viewed in place (no copy). Any other real dtype (float16/64,
// integers) or a non-contiguous float32 array is converted to float32 C-order once per call; a
// dtype that is not real (complex, object, strings) is refused with a TypeError naming it. The
// GIL is released around every loop over frames. predsense's C++ errors map to Python exception
// classes deriving from ValueError (ShapeError, EmptyError, NonFiniteError, InvalidArgumentError)
// and FormatError.
#include <pybind11/numpy.h>
#include <pybind11/pybind11.h>
#include <pybind11/stl.h>

#include <limits>
#include <optional>
#include <string>
#include <vector>

#include "predsense/core/concepts.hpp"
#include "predsense/core/error.hpp"
#include "predsense/core/frame_buffer.hpp"
#include "predsense/core/frame_view.hpp"
#include "predsense/eval/synthetic_stream.hpp"
#include "predsense/memory/memory_store.hpp"
#include "predsense/memory/retrieval.hpp"
#include "predsense/pipeline/stream.hpp"
#include "predsense/counting/dedup_aggregator.hpp"
#include "predsense/counting/sum_aggregator.hpp"
#include "predsense/eval/mra.hpp"
#include "predsense/io/npy.hpp"
#include "predsense/io/safetensors.hpp"
#include "predsense/predictors/ema_predictor.hpp"
#include "predsense/predictors/rls_predictor.hpp"
#include "predsense/eval/tcpd_cover.hpp"
#include "predsense/eval/tcpd_f1.hpp"
#include "predsense/predictors/copy_last.hpp"
#include "predsense/segmentation/adaptive_segmenter.hpp"
#include "predsense/segmentation/bocpd_segmenter.hpp"
#include "predsense/segmentation/missing_values.hpp"
#include "predsense/segmentation/peak_segmenter.hpp"
#include "predsense/segmentation/threshold_segmenter.hpp"
#include "predsense/surprise/ema_normalizer.hpp"
#include "predsense/surprise/gaussian_nll.hpp"
#include "predsense/surprise/l2_distance.hpp"
#include "predsense/surprise/mse.hpp"
#include "predsense/surprise/pooled_cosine_distance.hpp"
#include "predsense/surprise/token_cosine_distance.hpp"
#include "predsense/surprise/zscore_normalizer.hpp"

#include "convert.hpp"

namespace py = pybind11;
using namespace predsense;

// Binding files beside this one (python/src/bind_*.cpp), each adding its part of the module.
void bind_offline_segmentation(py::module_& m);

namespace {

using namespace predsense_py;

template <class Metric>
void def_metric(py::module_& m, const char* name, const char* doc) {
  m.def(
      name,
      [](py::handle pred, py::handle actual) {
        const auto p = as_f32(pred, "pred"), a = as_f32(actual, "actual");
        const frame_view pv = frame_of(p, "pred"), av = frame_of(a, "actual");
        py::gil_scoped_release nogil;
        Metric metric;
        return double(metric(pv, av));
      },
      py::arg("pred"), py::arg("actual"), doc);
}

using memory_t = memory_store<pool_when_unsurprising, drop_merge>;
using default_stream = stream<copy_last, token_cosine_distance<>, adaptive_segmenter, memory_t>;

py::dict entry_dict(const memory_entry& e, bool in_window) {
  py::dict d;
  d["frame"] = e.frame;
  d["timestamp"] = e.timestamp;
  d["surprise"] = e.surprise;
  d["tokens"] = e.tokens;
  d["compressed"] = e.compressed;
  d["protected"] = e.is_protected;
  d["merged"] = e.merged;
  d["in_window"] = in_window;
  return d;
}


py::array_t<float> to_numpy(const frame_view& v) {
  py::array_t<float> out({py::ssize_t(v.tokens), py::ssize_t(v.dim)});
  if (v.size() != 0) std::copy(v.data, v.data + v.size(), out.mutable_data());
  return out;
}

py::array_t<float> to_numpy(const frame_buffer& b) {
  py::array_t<float> out({py::ssize_t(b.tokens()), py::ssize_t(b.dim())});
  std::copy(b.data(), b.data() + b.size(), out.mutable_data());
  return out;
}

py::array_t<float> to_numpy(const std::vector<float>& data, const std::vector<std::size_t>& shape) {
  std::vector<py::ssize_t> sh(shape.begin(), shape.end());
  py::array_t<float> out(sh);
  std::copy(data.begin(), data.end(), out.mutable_data());
  return out;
}

// Predictors share one Python surface: observe(frame), predict() -> (tokens, dim) float32.
template <class P, class... Extra>
void def_predictor(py::module_& m, const char* name, const char* doc, py::class_<P, Extra...>& cls) {
  (void)m;
  (void)name;
  cls.doc() = doc;
  cls.def(
         "observe",
         [](P& self, py::handle frame) {
           const auto a = as_f32(frame, "frame");
           const frame_view v = frame_of(a, "frame");
           py::gil_scoped_release nogil;
           self.observe(v);
         },
         py::arg("frame"))
      .def("predict", [](P& self) {
        frame_buffer out;
        {
          py::gil_scoped_release nogil;
          self.predict(out);
        }
        return to_numpy(out);
      });
}

// One segment's answer from Python: count and an optional (count, dim) descriptor array.
struct py_segment {
  f32_array desc;
  segment_answer ans;
};
py_segment segment_of(std::size_t begin, std::size_t end, std::size_t count, const py::object& descriptors) {
  py_segment s;
  s.ans.begin = begin, s.ans.end = end, s.ans.count = count;
  if (!descriptors.is_none()) {
    s.desc = as_f32(descriptors, "descriptors");
    if (s.desc.ndim() != 2)
      throw shape_error("descriptors: expected a 2-D (count, dim) array, got shape " + shape_of(s.desc));
    s.ans.dim = std::size_t(s.desc.shape(1));
    s.ans.descriptors = std::span<const float>(s.desc.data(), std::size_t(s.desc.size()));
  }
  return s;
}

}  // namespace

PYBIND11_MODULE(_core, m) {
  m.doc() = "predsense: predictive-sensing primitives (C++ core)";

  auto base = py::register_exception<error>(m, "Error", PyExc_ValueError);
  py::register_exception<shape_error>(m, "ShapeError", base.ptr());
  py::register_exception<empty_error>(m, "EmptyError", base.ptr());
  py::register_exception<non_finite_error>(m, "NonFiniteError", base.ptr());
  py::register_exception<invalid_argument_error>(m, "InvalidArgumentError", base.ptr());
  py::register_exception<format_error>(m, "FormatError", base.ptr());

  m.attr("simd_width") = detail::simd::width;

  // ---- surprise metrics -----------------------------------------------------------------------
  def_metric<token_cosine_distance<>>(m, "token_cosine_distance",
                                      "1 - mean over tokens of cos(pred[t], actual[t]) (Cambrian-S surprise).");
  def_metric<pooled_cosine_distance<>>(m, "pooled_cosine_distance", "1 - cos(mean_t pred[t], mean_t actual[t]).");
  def_metric<mse<>>(m, "mse", "Mean squared error over all T x D elements.");
  def_metric<l2_distance<>>(m, "l2_distance", "Frobenius norm of pred - actual.");

  m.def(
      "copy_last_surprise",
      [](py::handle frames, const std::string& metric) {
        const auto f = frames_of(frames, "frames");
        py::array_t<double> out(py::ssize_t(f.n));
        double* o = out.mutable_data();
        {
          py::gil_scoped_release nogil;
          o[0] = 1.0;
          if (metric == "token_cosine") {
            for (std::size_t i = 1; i < f.n; ++i) o[i] = token_cosine_distance{}(f.frame(i - 1), f.frame(i));
          } else if (metric == "mse") {
            for (std::size_t i = 1; i < f.n; ++i) o[i] = mse{}(f.frame(i - 1), f.frame(i));
          } else {
            py::gil_scoped_acquire gil;
            throw invalid_argument_error("copy_last_surprise: unknown metric '" + metric +
                                         "' (expected 'token_cosine' or 'mse')");
          }
        }
        return out;
      },
      py::arg("frames"), py::arg("metric") = "token_cosine",
      "Surprise of each frame against the previous one (frame 0 scores 1): the adjacent-frame baseline.");

  py::class_<gaussian_nll<>>(m, "GaussianNLL", "Diagonal-Gaussian NLL with running residual statistics.")
      .def(py::init<double, double>(), py::arg("prior_var") = 1.0, py::arg("min_var") = 1e-6)
      .def(
          "__call__",
          [](gaussian_nll<>& self, py::handle pred, py::handle actual) {
            const auto p = as_f32(pred, "pred"), a = as_f32(actual, "actual");
            return self(frame_of(p, "pred"), frame_of(a, "actual"));
          },
          py::arg("pred"), py::arg("actual"))
      .def("reset", &gaussian_nll<>::reset)
      .def_property_readonly("samples", &gaussian_nll<>::samples);

  py::class_<zscore_normalizer>(m, "ZScoreNormalizer", "Running z-score against earlier values (Welford).")
      .def(py::init<double>(), py::arg("min_std") = 1e-12)
      .def("__call__", &zscore_normalizer::operator(), py::arg("x"))
      .def("reset", &zscore_normalizer::reset);
  py::class_<ema_normalizer>(m, "EMANormalizer", "z-score against exponentially weighted mean/variance.")
      .def(py::init<double, double>(), py::arg("alpha") = 0.05, py::arg("eps") = 1e-12)
      .def("__call__", &ema_normalizer::operator(), py::arg("x"))
      .def("reset", &ema_normalizer::reset);

  // ---- predictors ---------------------------------------------------------------------------
  {
    py::class_<copy_last> c(m, "CopyLast");
    c.def(py::init<>());
    def_predictor(m, "CopyLast", "Predicts the last observed frame (Cambrian-S adjacent-frame ablation).", c);
    py::class_<ema_predictor> e(m, "EMAPredictor");
    e.def(py::init<double>(), py::arg("alpha") = 0.5);
    def_predictor(m, "EMAPredictor", "Per-token exponential moving average of the observed frames.", e);
    py::class_<rls_predictor> r(m, "RLSPredictor");
    r.def(py::init([](const std::string& mode, double forgetting, double ridge, bool residual, bool bias,
                      std::size_t token_stride) {
           if (mode != "per_token" && mode != "pooled")
             throw invalid_argument_error("RLSPredictor: mode must be 'per_token' or 'pooled', got '" + mode + "'");
           return rls_predictor(rls_config{mode == "pooled" ? rls_mode::pooled : rls_mode::per_token, forgetting,
                                           ridge, residual, bias, token_stride});
         }),
         py::arg("mode") = "per_token", py::arg("forgetting") = 0.98, py::arg("ridge") = 1.0,
         py::arg("residual") = true, py::arg("bias") = true, py::arg("token_stride") = 1);
    def_predictor(m, "RLSPredictor", "Online ridge regression (recursive least squares with forgetting).", r);
  }

  // ---- segmentation ---------------------------------------------------------------------------
  py::class_<boundary>(m, "Boundary")
      .def_readonly("t", &boundary::t)
      .def_readonly("score", &boundary::score)
      .def_readonly("decided_at", &boundary::decided_at)
      .def("__repr__", [](const boundary& b) {
        return "Boundary(t=" + std::to_string(b.t) + ", score=" + std::to_string(b.score) +
               ", decided_at=" + std::to_string(b.decided_at) + ")";
      });

  py::class_<threshold_segmenter>(m, "ThresholdSegmenter", "Boundary where surprise > threshold (Cambrian-S VSC).")
      .def(py::init<double, std::size_t>(), py::arg("threshold"), py::arg("min_gap") = 1)
      .def("push", &threshold_segmenter::push, py::arg("surprise"), py::arg("t"))
      .def(
          "segment", [](threshold_segmenter& s, py::handle x) { return s.segment(doubles_of(x, "surprise")); },
          py::arg("surprise"))
      .def("reset", &threshold_segmenter::reset);

  py::class_<adaptive_segmenter>(m, "AdaptiveSegmenter",
                                 "Boundary where surprise > mean + gamma*std of a trailing window (EM-LLM).")
      .def(py::init([](std::size_t window, double gamma, std::size_t min_block, std::size_t max_block) {
             return adaptive_segmenter(adaptive_segmenter_params{window, gamma, min_block, max_block});
           }),
           py::arg("window") = 128, py::arg("gamma") = 1.0, py::arg("min_block") = 8, py::arg("max_block") = 128)
      .def("push", &adaptive_segmenter::push, py::arg("surprise"), py::arg("t"))
      .def(
          "segment", [](adaptive_segmenter& s, py::handle x) { return s.segment(doubles_of(x, "surprise")); },
          py::arg("surprise"));

  py::class_<peak_segmenter>(m, "PeakSegmenter",
                             "Local maxima with minimum height, prominence and separation; decision delay = lookahead.")
      .def(py::init([](double threshold, double prominence, std::size_t min_separation, std::size_t lookahead,
                       std::size_t window) {
             return peak_segmenter(peak_segmenter_params{threshold, prominence, min_separation, lookahead, window});
           }),
           py::arg("threshold") = -std::numeric_limits<double>::infinity(), py::arg("prominence") = 0.0,
           py::arg("min_separation") = 1, py::arg("lookahead") = 3, py::arg("window") = 10)
      .def("push", &peak_segmenter::push, py::arg("value"), py::arg("t"))
      .def(
          "segment", [](peak_segmenter& s, py::handle x) { return s.segment(doubles_of(x, "values")); },
          py::arg("values"));

  m.def(
      "bocpd_segment",
      [](py::handle series, double lambda, double mu0, double kappa0, double alpha0, double beta0, std::size_t lag,
         double threshold, std::size_t min_separation, const std::string& missing) {
        auto [x, dims] = series_of(series, "series");
        const auto policy = parse_missing_policy(missing);
        if (policy != missing_policy::skip) x = apply_missing_policy(x, dims, policy, "bocpd_segment").x;
        bocpd_segmenter_params p;
        p.model.lambda = lambda, p.model.mu0 = mu0, p.model.kappa0 = kappa0, p.model.alpha0 = alpha0,
        p.model.beta0 = beta0;
        p.lag = lag;
        p.peaks.threshold = threshold;
        p.peaks.min_separation = min_separation;
        py::gil_scoped_release nogil;
        return bocpd_segment(x, dims, p);
      },
      py::arg("series"), py::arg("lambda_") = 100.0, py::arg("mu0") = 0.0, py::arg("kappa0") = 1.0,
      py::arg("alpha0") = 1.0, py::arg("beta0") = 1.0, py::arg("lag") = 5, py::arg("threshold") = 0.2,
      py::arg("min_separation") = 5, py::arg("missing") = "skip",
      "BOCPD (Normal-Inverse-Gamma, constant hazard 1/lambda) + peaks of the lag-step change probability "
      "(predsense-tcpd --method bocpd_peaks). series: (n,) or (n, dims); z-score it first for TCPDBench-comparable "
      "settings. NaN is a missing step: with missing='skip' its likelihood update is skipped while the hazard "
      "keeps running (run lengths grow through the gap) and boundaries are in the original index; "
      "'interpolate' fills it linearly; 'error' raises NonFiniteError.");

  // ---- memory ---------------------------------------------------------------------------------
  py::class_<memory_t>(m, "MemoryStore",
                       "Cambrian-S memory: sensory window + long-term store under a token budget (drop_merge).")
      .def(py::init([](double threshold, std::size_t window, std::size_t budget) {
             return make_cambrian_memory(threshold, memory_config{window, budget});
           }),
           py::arg("threshold"), py::arg("window") = 32, py::arg("budget") = 8192)
      .def(
          "push",
          [](memory_t& self, py::handle frame, double surprise) {
            const auto a = as_f32(frame, "frame");
            const frame_view v = frame_of(a, "frame");
            py::gil_scoped_release nogil;
            return self.push(v, surprise);
          },
          py::arg("frame"), py::arg("surprise"))
      .def(
          "add_protected",
          [](memory_t& self, py::handle latents) {
            const auto a = as_f32(latents, "latents");
            const frame_view v = frame_of(a, "latents");
            py::gil_scoped_release nogil;
            return self.add_protected(v);
          },
          py::arg("latents"), "A prompt/text entry (tokens x dim): kept first, never evicted or merged.")
      .def(
          "flush",
          [](memory_t& self) {
            py::gil_scoped_release nogil;
            self.flush();
          },
          "End of stream: every window frame goes to long-term memory, oldest first.")
      .def_property_readonly("tokens", &memory_t::tokens)
      .def_property_readonly("frames_seen", &memory_t::frames_seen)
      .def(
          "entries",
          [](const memory_t& self) {
            py::list out;
            self.for_each([&](const memory_item& it) { out.append(entry_dict(it.entry, it.in_window)); });
            return out;
          },
          "Every entry in time order (long-term first, then the window) as dicts.")
      .def(
          "tensors",
          [](const memory_t& self) {
            py::list out;
            self.for_each([&](const memory_item& it) { out.append(to_numpy(it.data)); });
            return out;
          },
          "Every entry's tokens (a float32 copy each), in the order of entries().")
      .def(
          "window_tokens",
          [](const memory_t& self) {
            const frame_view v = self.window().tokens_view();
            if (v.empty()) return py::array_t<float>(std::vector<py::ssize_t>{0, py::ssize_t(self.dim())});
            return to_numpy(v);
          },
          "The sensory window's frames, oldest first, as one (tokens, dim) float32 array: the model "
          "input. A copy here; in C++ window().tokens_view() is the same span without a copy.")
      .def(
          "retrieve",
          [](const memory_t& self, py::handle query, std::size_t k, std::size_t contiguity, bool include_window) {
            const auto a = as_f32(query, "query");
            const frame_view q = frame_of(a, "query");
            std::vector<retrieved_entry> hits;
            {
              py::gil_scoped_release nogil;
              hits = retrieve(self, q, {.k = k, .contiguity = contiguity, .include_window = include_window});
            }
            py::list out;
            for (const auto& h : hits) {
              py::dict d = entry_dict(*h.entry, h.in_window);
              d["similarity"] = h.similarity;
              d["hit"] = h.hit;
              out.append(d);
            }
            return out;
          },
          py::arg("query"), py::arg("k") = 1, py::arg("contiguity") = 0, py::arg("include_window") = true,
          "Top-k entries by cosine of pooled keys to the pooled query (tokens x dim), in time order, "
          "plus `contiguity` neighbours on each side of every hit (hit=False).");

  // ---- pipeline -------------------------------------------------------------------------------
  py::class_<step_result>(m, "StepResult")
      .def_readonly("t", &step_result::t)
      .def_readonly("surprise", &step_result::surprise)
      .def_readonly("boundary", &step_result::boundary)
      .def_property_readonly("memory_tokens", [](const step_result& r) { return r.memory.tokens; })
      .def_property_readonly("memory_entries", [](const step_result& r) { return r.memory.entries; });

  py::class_<default_stream>(m, "Stream",
                             "Copy-last predictor -> token cosine surprise -> adaptive segmenter -> Cambrian-S memory.")
      .def(py::init([](double memory_threshold, std::size_t window, std::size_t budget, std::size_t seg_window,
                       double gamma, std::size_t min_block, std::size_t max_block) {
             return default_stream({}, {}, adaptive_segmenter({seg_window, gamma, min_block, max_block}),
                                   make_cambrian_memory(memory_threshold, memory_config{window, budget}));
           }),
           py::arg("memory_threshold") = 0.1, py::arg("window") = 32, py::arg("budget") = 8192,
           py::arg("seg_window") = 128, py::arg("gamma") = 1.0, py::arg("min_block") = 8, py::arg("max_block") = 128)
      .def(
          "step",
          [](default_stream& s, py::handle frame) {
            const auto a = as_f32(frame, "frame");
            const frame_view v = frame_of(a, "frame");
            py::gil_scoped_release nogil;
            return s.step(v);
          },
          py::arg("frame"))
      .def(
          "run",
          [](default_stream& s, py::handle frames) {
            const auto f = frames_of(frames, "frames");
            py::array_t<double> surprise(py::ssize_t(f.n));
            std::vector<std::size_t> cuts;
            double* o = surprise.mutable_data();
            {
              py::gil_scoped_release nogil;
              for (std::size_t i = 0; i < f.n; ++i) {
                const auto r = s.step(f.frame(i));
                o[i] = r.surprise;
                if (r.boundary) cuts.push_back(r.boundary->t);
              }
            }
            return py::make_tuple(surprise, py::array_t<std::size_t>(py::ssize_t(cuts.size()), cuts.data()));
          },
          py::arg("frames"), "Steps through a (frames, tokens, dim) array; returns (surprise, boundary frames).")
      .def_property_readonly("frames_seen", &default_stream::frames_seen);

  m.def(
      "tcpd_f1",
      [](py::handle annotations, std::vector<std::int64_t> predictions, std::size_t n_obs, std::int64_t margin) {
        const auto ann = annotations_of(annotations);
        const auto r = tcpd_f1(ann, predictions, n_obs, margin);
        return py::make_tuple(r.f1, r.precision, r.recall);
      },
      py::arg("annotations"), py::arg("predictions"), py::arg("n_obs"), py::arg("margin") = 5,
      "TCPDBench F1 over several annotators: returns (f1, precision, recall).");
  m.def(
      "tcpd_cover",
      [](py::handle annotations, std::vector<std::int64_t> predictions, std::size_t n_obs) {
        const auto ann = annotations_of(annotations);
        return tcpd_cover(ann, predictions, n_obs);
      },
      py::arg("annotations"), py::arg("predictions"), py::arg("n_obs"), "TCPDBench segmentation cover.");
  m.def(
      "mean_relative_accuracy",
      [](py::handle pred, py::handle gt) {
        return mean_relative_accuracy(doubles_of(pred, "pred"), doubles_of(gt, "gt"));
      },
      py::arg("pred"), py::arg("gt"), "VSI-Bench MRA: mean over c in 0.50..0.95 of [|pred-gt|/gt < 1-c].");

  // ---- counting -------------------------------------------------------------------------------
  py::class_<sum_aggregator>(m, "SumAggregator", "Cambrian-S VSC: the sum of per-segment counts.")
      .def(py::init<>())
      .def(
          "add",
          [](sum_aggregator& a, std::size_t begin, std::size_t end, std::size_t count, py::object descriptors) {
            auto s = segment_of(begin, end, count, descriptors);
            a.add(s.ans);
          },
          py::arg("begin"), py::arg("end"), py::arg("count"), py::arg("descriptors") = py::none())
      .def_property_readonly("count", &sum_aggregator::count);
  py::class_<dedup_aggregator>(m, "DedupAggregator",
                               "Distinct instances across segments: cosine matching of instance descriptors + union-find.")
      .def(py::init([](double threshold, const std::string& matching, double within_threshold, double bridge_threshold) {
             if (matching != "mutual_nearest" && matching != "greedy_assignment")
               throw invalid_argument_error("DedupAggregator: matching must be 'mutual_nearest' or "
                                            "'greedy_assignment', got '" + matching + "'");
             dedup_params p;
             p.threshold = threshold;
             p.matching = matching == "mutual_nearest" ? instance_matching::mutual_nearest
                                                       : instance_matching::greedy_assignment;
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
            auto s = segment_of(begin, end, d.is_none() ? 0 : std::size_t(py::len(d)), d);
            a.add(s.ans);
          },
          py::arg("begin"), py::arg("end"), py::arg("descriptors"),
          "Adds segment [begin, end) with its (count, dim) instance descriptors.")
      .def_property_readonly("count", &dedup_aggregator::count)
      .def_property_readonly("segments", &dedup_aggregator::segments);

  // ---- io -------------------------------------------------------------------------------------
  m.def(
      "read_npy",
      [](const std::string& path) {
        const npy_array a = read_npy(path);
        return to_numpy(a.data, a.shape);
      },
      py::arg("path"), "Reads a float32/float16/float64 .npy (C or Fortran order) as float32.");
  m.def(
      "write_npy",
      [](const std::string& path, py::handle array) {
        const auto a = as_f32(array, "array");
        std::vector<std::size_t> shape(a.shape(), a.shape() + a.ndim());
        write_npy(path, std::span<const float>(a.data(), std::size_t(a.size())), shape);
      },
      py::arg("path"), py::arg("array"), "Writes a float32 .npy atomically (temp file + rename).");
  m.def(
      "read_safetensors",
      [](const std::string& path) {
        py::dict out;
        for (const auto& [name, t] : read_safetensors(path)) out[py::str(name)] = to_numpy(t.to_floats(), t.shape);
        return out;
      },
      py::arg("path"), "Reads every tensor of a safetensors file (F32/F16/BF16) as float32 arrays.");
  m.def(
      "write_safetensors",
      [](const std::string& path, const py::dict& tensors, const std::string& dtype) {
        const auto dt = parse_dtype(dtype);
        if (!dt) throw invalid_argument_error("write_safetensors: unknown dtype '" + dtype + "' (F32, F16 or BF16)");
        tensor_map map;
        for (auto [k, v] : tensors) {
          const auto a = as_f32(v, "tensor");
          std::vector<std::size_t> shape(a.shape(), a.shape() + a.ndim());
          map[k.cast<std::string>()] =
              tensor_data::from_floats(std::span<const float>(a.data(), std::size_t(a.size())), shape, *dt);
        }
        write_safetensors(path, map);
      },
      py::arg("path"), py::arg("tensors"), py::arg("dtype") = "F32",
      "Writes {name: array} as safetensors (F32, F16 or BF16) atomically.");

  // ---- eval -----------------------------------------------------------------------------------
  m.def(
      "synthetic_stream",
      [](std::size_t frames, std::size_t tokens, std::size_t dim, std::size_t mean_scene_length, double drift,
         double noise, std::uint64_t seed) {
        const synthetic_stream s({frames, tokens, dim, mean_scene_length, drift, noise, seed});
        py::array_t<float> out({py::ssize_t(frames), py::ssize_t(tokens), py::ssize_t(dim)});
        float* o = out.mutable_data();
        for (std::size_t t = 0; t < frames; ++t) std::copy(s.frame(t).data(), s.frame(t).data() + tokens * dim, o + t * tokens * dim);
        return py::make_tuple(out, s.boundaries());
      },
      py::arg("frames") = 120, py::arg("tokens") = 16, py::arg("dim") = 64, py::arg("mean_scene_length") = 30,
      py::arg("drift") = 0.05, py::arg("noise") = 0.10, py::arg("seed") = 1,
      "Generated latents with known scene changes: returns (frames array, list of change frames).");

  // ---- offline change-point methods (bind_offline_segmentation.cpp) -------------------------
  bind_offline_segmentation(m);
}
