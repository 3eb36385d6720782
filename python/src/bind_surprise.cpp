// Python bindings of the surprise metrics and normalizers (init_surprise).
#include <string>

#include "components.hpp"
#include "predsense/surprise/ema_normalizer.hpp"
#include "predsense/surprise/gaussian_nll.hpp"
#include "predsense/surprise/l2_distance.hpp"
#include "predsense/surprise/mse.hpp"
#include "predsense/surprise/pooled_cosine_distance.hpp"
#include "predsense/surprise/token_cosine_distance.hpp"
#include "predsense/surprise/zscore_normalizer.hpp"

using namespace predsense;
using namespace predsense_py;

namespace {

constexpr const char* metric_doc_tail =
    "\n\npred, actual: one frame each, (tokens, dim) or (dim,) (= one token), same shape; any real dtype "
    "or CPU tensor (float32 C-contiguous is read in place).\nReturns a Python float.\n"
    "Raises ShapeError (shapes differ or not 1-/2-D), EmptyError (0 tokens or dim), NonFiniteError "
    "(NaN/Inf in either frame, naming the token and dim), TypeError (not an array of real numbers).\n"
    "Thread-safe (stateless; releases the GIL).";

template <class Metric>
void def_metric(py::module_& m, const char* name, const std::string& doc) {
  m.def(
      name,
      [](py::handle pred, py::handle actual) {
        const frame_arg p = frame_of(pred, "pred"), a = frame_of(actual, "actual");
        py::gil_scoped_release nogil;
        Metric metric;
        return double(metric(p.view, a.view));
      },
      py::arg("pred"), py::arg("actual"), (doc + metric_doc_tail).c_str());
}

}  // namespace

void init_surprise(py::module_& m) {
  def_metric<token_cosine_distance<>>(
      m, "token_cosine_distance",
      "Cambrian-S surprise: 1 - mean over tokens t of cos(pred[t], actual[t]); in [0, 2]. A token whose "
      "norm is 0 in either frame scores cosine 0 (distance 1).");
  def_metric<pooled_cosine_distance<>>(
      m, "pooled_cosine_distance", "1 - cos(mean_t pred[t], mean_t actual[t]): cosine of the token means; in [0, 2].");
  def_metric<mse<>>(m, "mse", "Mean squared error over all tokens x dim elements.");
  def_metric<l2_distance<>>(m, "l2_distance", "Frobenius norm ||pred - actual|| over all tokens x dim elements.");

  m.def(
      "copy_last_surprise",
      [](py::handle frames, const py::object& metric_arg, bool progress) {
        std::shared_ptr<metric_base> metric;
        try {
          metric = as_metric(metric_arg, "copy_last_surprise: metric");
        } catch (const invalid_argument_error& e) {
          throw invalid_argument_error(std::string("copy_last_surprise: metric: ") + e.what());
        }
        const auto f = frames_of(frames, "frames");
        py::array_t<double> out(py::ssize_t(f.n));
        double* o = out.mutable_data();
        o[0] = 1.0;
        progress_bar bar(progress, f.n, "frame", "copy_last_surprise");
        for_chunks(bar, f.n, [&](std::size_t start, std::size_t stop) {
          py::gil_scoped_release nogil;
          for (std::size_t i = std::max<std::size_t>(start, 1); i < stop; ++i) try {
              o[i] = metric->score(f.frame(i - 1), f.frame(i));
            } catch (const non_finite_error& e) {  // say which frame: the metric only knows its two operands
              std::string what = e.what();
              if (what.rfind("predsense: ", 0) == 0) what.erase(0, 11);
              throw non_finite_error("predsense: copy_last_surprise: frames[" + std::to_string(i) +
                                     "] against frames[" + std::to_string(i - 1) + "] (actual = frames[" +
                                     std::to_string(i) + "], predicted = frames[" + std::to_string(i - 1) +
                                     "]): " + what);
            }
        });
        return out;
      },
      py::arg("frames"), py::arg("metric") = "token_cosine", py::kw_only(), py::arg("progress") = false,
      "Surprise of every frame against the previous one: the adjacent-frame (copy-last) baseline.\n\n"
      "frames: (frames, tokens, dim) or (frames, dim) (one token per frame).\n"
      "metric: as Stream's: a registry name ('token_cosine' (default, Cambrian-S), 'pooled_cosine', 'mse', 'l2', "
      "'gaussian_nll'), a (name, params) pair, a metric function (ps.mse, ...), a GaussianNLL, or a callable "
      "(pred, actual) -> float.\n"
      "progress: True shows a tqdm bar on stderr (needs tqdm, else ImportError); same result.\n"
      "Returns float64 (frames,); out[0] = 1.0 by convention (frame 0 has no prediction, as in Cambrian-S).\n"
      "Raises ShapeError, EmptyError (no frames), NonFiniteError (naming the frame, token and dim), "
      "InvalidArgumentError (unknown metric).");

  // ---- stateful metric and normalizers: objects a Stream can hold ------------------------------
  py::class_<metric_base, std::shared_ptr<metric_base>>(
      m, "Metric",
      "Base class of the stateful C++ surprise metrics (GaussianNLL). A Stream also takes a metric name "
      "('token_cosine', 'pooled_cosine', 'mse', 'l2'), one of the metric functions, or any Python callable "
      "(pred, actual) -> float (slower path: the GIL is taken per frame). Thread rule: each C++ object holds a "
      "per-object mutex (safe to share, calls serialized); a Python object plugged into a Stream is called with the "
      "GIL held.")
      .def(
          "reset",
          [](metric_base& self) {
            py::gil_scoped_release nogil;
            self.reset();
          },
          "Forgets the running statistics.");

  using nll_box = metric_box<gaussian_nll<>>;
  py::class_<nll_box, metric_base, std::shared_ptr<nll_box>> nll_cls =
      py::class_<nll_box, metric_base, std::shared_ptr<nll_box>>(
          m, "GaussianNLL",
          "Diagonal-Gaussian negative log-likelihood of actual under N(pred, var), var = running per-dim "
          "variance of past residuals (floored at min_var; prior_var until a dim has 2 samples). Stateful: "
          "call once per frame in stream order; reset() starts a new stream.\n\n"
          "prior_var: variance before 2 samples (default 1.0). min_var: floor (default 1e-6).\n"
          "Thread rule: per-object mutex (safe to share; calls are serialized).")
          .def(py::init([](py::args a, py::kwargs k) {
            const auto v = values_from_python("metric", "gaussian_nll", a, k, {"prior_var", "min_var"}, "GaussianNLL");
            return std::make_shared<nll_box>(std::get<gaussian_nll<>>(reg::make_metric("gaussian_nll", v)));
          }))
          .def(
              "__call__",
              [](nll_box& self, py::handle pred, py::handle actual) {
                const frame_arg p = frame_of(pred, "pred"), a = frame_of(actual, "actual");
                py::gil_scoped_release nogil;
                return self.score(p.view, a.view);
              },
              py::arg("pred"), py::arg("actual"),
              "NLL (nats, mean over tokens x dim) of one frame; pred/actual (tokens, dim) or (dim,). "
              "Raises ShapeError (shape differs from earlier frames), NonFiniteError.")
          .def_property_readonly(
              "samples", [](nll_box& self) { return locked(self, [&] { return self.impl.samples(); }); },
              "Frames seen since construction or reset().");
  mark_registry(nll_cls, "metric", "gaussian_nll", {"prior_var", "min_var"});

  py::class_<normalizer_base, std::shared_ptr<normalizer_base>>(
      m, "Normalizer",
      "Base class of the surprise normalizers. A Stream also takes any Python callable float -> float (slower path). "
      "Thread rule: each C++ object holds a per-object mutex (safe to share, calls serialized); a Python object "
      "plugged into a Stream is called with the GIL held.")
      .def(
          "__call__",
          [](normalizer_base& self, double x) {
            py::gil_scoped_release nogil;
            return self.apply(x);
          },
          py::arg("x"), "Normalized x against the values before it. Raises NonFiniteError for NaN/Inf.")
      .def(
          "reset",
          [](normalizer_base& self) {
            py::gil_scoped_release nogil;
            self.reset();
          },
          "Forgets every earlier value.");

  using z_box = normalizer_box<zscore_normalizer>;
  py::class_<z_box, normalizer_base, std::shared_ptr<z_box>> z_cls =
      py::class_<z_box, normalizer_base, std::shared_ptr<z_box>>(
          m, "ZScoreNormalizer",
          "Running z-score of x against every earlier value (Welford): (x - mean) / max(std, min_std); 0 for the "
          "first value. min_std: default 1e-12. Thread rule: per-object mutex.")
          .def(py::init([](py::args a, py::kwargs k) {
            const auto v = values_from_python("normalizer", "zscore", a, k, {"min_std"}, "ZScoreNormalizer");
            return std::make_shared<z_box>(std::get<zscore_normalizer>(reg::make_normalizer("zscore", v)));
          }));
  mark_registry(z_cls, "normalizer", "zscore", {"min_std"});
  using e_box = normalizer_box<ema_normalizer>;
  py::class_<e_box, normalizer_base, std::shared_ptr<e_box>> e_cls =
      py::class_<e_box, normalizer_base, std::shared_ptr<e_box>>(
          m, "EMANormalizer",
          "z-score of x against an exponentially weighted mean/variance of the earlier values (weight alpha for "
          "the newest; default 0.05), eps added to the variance (default 1e-12). Raises InvalidArgumentError "
          "for alpha outside (0, 1] or eps <= 0. Thread rule: per-object mutex.")
          .def(py::init([](py::args a, py::kwargs k) {
            const auto v = values_from_python("normalizer", "ema", a, k, {"alpha", "eps"}, "EMANormalizer");
            return std::make_shared<e_box>(std::get<ema_normalizer>(reg::make_normalizer("ema", v)));
          }));
  mark_registry(e_cls, "normalizer", "ema", {"alpha", "eps"});
}
