// Python bindings of the online event segmenters and BOCPD (init_segmentation).
#include <limits>
#include <string>

#include "components.hpp"
#include "predsense/segmentation/streaming/adaptive_segmenter.hpp"
#include "predsense/segmentation/streaming/bocpd_segmenter.hpp"
#include "predsense/segmentation/series/missing_values.hpp"
#include "predsense/segmentation/offline/offline_segmenter.hpp"
#include "predsense/segmentation/streaming/peak_segmenter.hpp"
#include "predsense/segmentation/streaming/threshold_segmenter.hpp"

using namespace predsense;
using namespace predsense_py;

namespace {

template <class S>
using box_class = segmenter_class<S>;

constexpr const char* rule =
    "\n\npush(value, t) -> Boundary | None; segment(values) -> list[Boundary] (a fresh copy of the "
    "segmenter's state at construction runs over the whole series; this object is not changed).\n"
    "Thread rule: per-object mutex.";

}  // namespace

void init_segmentation(py::module_& m) {
  py::class_<boundary>(m, "Boundary",
                       "An event boundary, usable as its frame index: t = first frame of the new segment (0-based "
                       "frame index; int(b), operator.index(b), arr[b] and b == 7 use it), time = seconds from the "
                       "start (t at 1 fps unless the caller knows the rate), kind ('change' for a surprise "
                       "segmenter; 'cut', 'dissolve', 'fade', 'dip' for video transitions), start/end = first and "
                       "last frame of the change (inclusive; t for a change at one frame), score = the value that "
                       "fired it, decided_at = the step at which it was decided (t + the segmenter's decision "
                       "delay).")
      .def(py::init([](std::size_t t, double score, std::optional<std::size_t> decided_at, const std::string& kind,
                       std::optional<std::size_t> start, std::optional<std::size_t> end, std::optional<double> time) {
             boundary b(t, score, decided_at.value_or(t));
             const boundary_kind kinds[] = {boundary_kind::change, boundary_kind::cut, boundary_kind::dissolve,
                                            boundary_kind::fade, boundary_kind::dip};
             bool known = false;
             for (auto k : kinds)
               if (kind == to_string(k)) b.kind = k, known = true;
             if (!known)
               throw invalid_argument_error("Boundary: kind '" + kind +
                                            "' (expected 'change', 'cut', 'dissolve', 'fade' or 'dip')");
             b.start = start.value_or(t), b.end = end.value_or(t);
             if (!(b.start <= t && t <= b.end))
               throw invalid_argument_error(
                   "Boundary: start <= t <= end is required, got start=" + std::to_string(b.start) +
                   ", t=" + std::to_string(t) + ", end=" + std::to_string(b.end));
             if (time) require_finite(*time, "Boundary: time");
             b.time = time.value_or(double(t));
             return b;
           }),
           py::arg("t"), py::arg("score") = 0.0, py::arg("decided_at") = py::none(), py::kw_only(),
           py::arg("kind") = "change", py::arg("start") = py::none(), py::arg("end") = py::none(),
           py::arg("time") = py::none())
      .def_readonly("t", &boundary::t, "First frame of the new segment (0-based frame index).")
      .def_readonly("time", &boundary::time, "Seconds from the start of the stream (t at 1 fps by default).")
      .def_property_readonly(
          "kind", [](const boundary& b) { return std::string(to_string(b.kind)); },
          "'change' (surprise segmenters) or a video transition: 'cut', 'dissolve', 'fade', 'dip'.")
      .def_readonly("start", &boundary::start, "First frame of the change (inclusive).")
      .def_readonly("end", &boundary::end, "Last frame of the change (inclusive).")
      .def_readonly("score", &boundary::score, "The value (surprise, probability) that fired the boundary.")
      .def_readonly("decided_at", &boundary::decided_at, "Step at which the boundary was decided (>= t).")
      .def(
          "__index__", [](const boundary& b) { return b.t; }, "The frame index t (arr[b], range(b), ...).")
      .def(
          "__int__", [](const boundary& b) { return b.t; }, "The frame index t.")
      .def(
          "__hash__", [](const boundary& b) { return py::hash(py::int_(b.t)); }, "hash(t), as an int equal to it.")
      .def(
          "__eq__",
          [](const boundary& a, const py::object& other) -> py::object {
            if (py::isinstance<boundary>(other)) return py::bool_(a == other.cast<boundary>());
            // an int (or numpy integer): equal when it is the frame index
            if (PyIndex_Check(other.ptr()) && !py::isinstance<py::bool_>(other))
              return py::bool_(py::int_(a.t).equal(py::reinterpret_steal<py::object>(PyNumber_Index(other.ptr()))));
            return py::reinterpret_borrow<py::object>(Py_NotImplemented);
          },
          py::arg("other"),
          "A Boundary: every field equal. An int: equal to the frame index t (so [b1, b2] == [3, 7]). "
          "Anything else compares unequal.")
      .def("__repr__", [](const boundary& b) {
        std::string r = "Boundary(t=" + std::to_string(b.t) + ", score=" + std::to_string(b.score) +
                        ", decided_at=" + std::to_string(b.decided_at);
        if (b.kind != boundary_kind::change) r += ", kind='" + std::string(to_string(b.kind)) + "'";
        if (b.start != b.t || b.end != b.t)
          r += ", start=" + std::to_string(b.start) + ", end=" + std::to_string(b.end);
        if (b.time != double(b.t)) r += ", time=" + std::to_string(b.time);
        return r + ")";
      });

  py::class_<segmenter_base, std::shared_ptr<segmenter_base>>(
      m, "Segmenter",
      "Base class of the online segmenters. A Stream also takes any Python object with push(value, t) "
      "returning None, a bool, an int frame index or a Boundary (optionally flush() and reset()); that "
      "path takes the GIL per frame. Thread rule: each C++ object holds a per-object mutex (safe to share, calls "
      "serialized); a Python object plugged into a Stream is called with the GIL held.")
      .def(
          "push",
          [](segmenter_base& self, double value, std::size_t t) {
            py::gil_scoped_release nogil;
            return self.push(value, t);
          },
          py::arg("value"), py::arg("t"),
          "Takes the value of time step t (t strictly increasing; 0-based frame index). Returns the Boundary "
          "decided at this step, or None.\nRaises NonFiniteError (NaN/Inf; BOCPD takes NaN as a missing step), "
          "InvalidArgumentError (t not after the previous t).")
      .def(
          "flush",
          [](segmenter_base& self) {
            py::gil_scoped_release nogil;
            return self.flush();
          },
          "End of series: the boundaries still pending (segmenters with a decision delay), as a list.")
      .def(
          "reset",
          [](segmenter_base& self) {
            py::gil_scoped_release nogil;
            self.reset();
          },
          "Back to the state at construction (a new series may start at any t).");

  box_class<threshold_segmenter> thr(
      m, "ThresholdSegmenter",
      (std::string("Boundary where the surprise is above a threshold (strict), at least min_gap steps after the "
                   "previous one. Default: the robust z of the value against the previous `window` values, "
                   "(value - median) / (1.4826 MAD), above z_threshold = 3.5 (Iglewicz & Hoaglin's outlier "
                   "cut-off): relative to the stream, so the same for any encoder's scale (a * s + b, a > 0). "
                   "threshold=X: value > X in the surprise's own units instead (Cambrian-S VSC segmentation). "
                   "The value at t = 0 (frame 0's conventional surprise) is ignored.\n"
                   "threshold: None (default) or a number, not NaN. min_gap: >= 1, default 1. z_threshold: "
                   "default 3.5. window: >= 3, default 50.") +
       rule)
          .c_str());
  thr.def(py::init([](std::optional<double> threshold, std::size_t min_gap, double z_threshold, std::size_t window) {
            return std::make_shared<segmenter_box<threshold_segmenter>>(
                threshold_segmenter(threshold_segmenter_params{z_threshold, threshold, window, min_gap}));
          }),
          py::arg("threshold") = py::none(), py::arg("min_gap") = 1, py::kw_only(), py::arg("z_threshold") = 3.5,
          py::arg("window") = 50);
  def_segment(thr, "surprise");

  box_class<adaptive_segmenter> ada(
      m, "AdaptiveSegmenter",
      (std::string("Boundary where value > mean + gamma*std of the trailing `window` values (EM-LLM surprise "
                   "segmentation), with blocks of min_block..max_block frames.\nwindow: >= 2, default 128. gamma: "
                   "default 1.0. min_block: default 8. max_block: default 128 (a block is closed at this length).") +
       rule)
          .c_str());
  ada.def(py::init([](std::size_t window, double gamma, std::size_t min_block, std::size_t max_block) {
            return std::make_shared<segmenter_box<adaptive_segmenter>>(
                adaptive_segmenter(adaptive_segmenter_params{window, gamma, min_block, max_block}));
          }),
          py::arg("window") = 128, py::arg("gamma") = 1.0, py::arg("min_block") = 8, py::arg("max_block") = 128);
  def_segment(ada, "surprise");

  box_class<peak_segmenter> peak(
      m, "PeakSegmenter",
      (std::string("Local maxima with height >= threshold (default -inf), prominence >= prominence (default 0, "
                   "measured over `window` steps each side, default 10) and at least min_separation steps "
                   "apart (default 1); decided `lookahead` steps later (default 3). relative_prominence=r > 0 "
                   "also requires prominence >= r * 1.4826 * MAD of the `window` values before the peak "
                   "(scale-free). The defaults find every local maximum whatever the scale; the value at t = 0 "
                   "is ignored.") +
       rule)
          .c_str());
  peak.def(py::init([](double threshold, double prominence, std::size_t min_separation, std::size_t lookahead,
                       std::size_t window, double relative_prominence) {
             return std::make_shared<segmenter_box<peak_segmenter>>(peak_segmenter(
                 peak_segmenter_params{threshold, prominence, min_separation, lookahead, window, relative_prominence}));
           }),
           py::arg("threshold") = -std::numeric_limits<double>::infinity(), py::arg("prominence") = 0.0,
           py::arg("min_separation") = 1, py::arg("lookahead") = 3, py::arg("window") = 10, py::kw_only(),
           py::arg("relative_prominence") = 0.0);
  def_segment(peak, "values");

  box_class<bocpd_segmenter> bo(
      m, "BOCPDSegmenter",
      (std::string("Online Bayesian change-point detection (Adams & MacKay; Normal-Inverse-Gamma model, constant "
                   "hazard 1/lambda_) + peaks of the lag-step change probability (threshold, min_separation). "
                   "Univariate; time steps must be consecutive from 0; NaN is a missing step (the hazard keeps "
                   "running). standardize=True (default): each value is z-scored online against the values "
                   "before it (Welford), so the prior (mu0 0, kappa0 1, alpha0 1, beta0 1: TCPDBench's default "
                   "on z-scored data) is on a unit scale for any encoder; skip_first=True (default): the value "
                   "at t = 0 (frame 0's conventional surprise) is ignored.") +
       rule)
          .c_str());
  bo.def(py::init([](double lambda, double mu0, double kappa0, double alpha0, double beta0, std::size_t lag,
                     double threshold, std::size_t min_separation, bool standardize, bool skip_first) {
           bocpd_segmenter_params p;
           p.standardize = standardize;
           p.skip_first = skip_first;
           p.model.lambda = lambda, p.model.mu0 = mu0, p.model.kappa0 = kappa0, p.model.alpha0 = alpha0,
           p.model.beta0 = beta0;
           p.lag = lag;
           p.peaks.threshold = threshold;
           p.peaks.min_separation = min_separation;
           return std::make_shared<segmenter_box<bocpd_segmenter>>(bocpd_segmenter(p, 1), true);
         }),
         py::arg("lambda_") = 100.0, py::arg("mu0") = 0.0, py::arg("kappa0") = 1.0, py::arg("alpha0") = 1.0,
         py::arg("beta0") = 1.0, py::arg("lag") = 5, py::arg("threshold") = 0.2, py::arg("min_separation") = 5,
         py::kw_only(), py::arg("standardize") = true, py::arg("skip_first") = true);
  def_segment(bo, "values");

  box_class<offline_segmenter> off(
      m, "OfflineSegmenter",
      (std::string("An offline change-point method (PELT, binary segmentation or AMOC; see pelt()) behind the "
                   "segmenter interface, so it can be a Stream's segmenter: push() keeps each value and returns "
                   "None; flush() runs the method on every value pushed since the last reset/flush (z-scored "
                   "first when standardize=True) and returns the changes as Boundary objects at the pushed t, "
                   "decided at the last t. Its decision delay is the whole stream: for finite recordings. NaN is "
                   "a missing value (missing='skip' | 'interpolate' | 'error').") +
       rule)
          .c_str());
  off.def(py::init([](const std::string& method, const std::string& cost, const std::string& penalty,
                      const py::object& pen_value, long long min_size, long long max_changes, bool standardize,
                      const std::string& missing) {
            if (min_size < 1) throw invalid_argument_error("min_size must be >= 1, got " + std::to_string(min_size));
            if (max_changes < 0)
              throw invalid_argument_error("max_changes must be >= 0, got " + std::to_string(max_changes));
            const bool manual = penalty == "manual";
            if (manual == pen_value.is_none())
              throw invalid_argument_error(manual ? "penalty='manual' needs pen_value"
                                                  : "pen_value applies only with penalty='manual'");
            offline_segmenter_params p;
            p.method.method = parse_offline_method(method);
            p.method.cost = parse_cost_kind(cost);
            double pen = 0.0;
            if (manual) {
              try {
                pen = pen_value.cast<double>();
              } catch (const py::cast_error&) {  // TypeError naming the argument (not an unnamed cast error)
                throw py::type_error("OfflineSegmenter: pen_value: expected a number, got " + type_name(pen_value));
              }
            }
            p.method.penalty = parse_penalty(penalty, pen);
            if (manual) (void)p.method.penalty.per_change(2, 1);
            p.method.min_size = static_cast<std::size_t>(min_size);
            p.method.max_changes =
                max_changes == 0 ? std::numeric_limits<std::size_t>::max() : static_cast<std::size_t>(max_changes);
            p.method.missing = parse_missing_policy(missing);
            p.standardize = standardize;
            return std::make_shared<segmenter_box<offline_segmenter>>(offline_segmenter(p), true);
          }),
          py::arg("method") = "pelt", py::kw_only(), py::arg("cost") = "mean", py::arg("penalty") = "mbic",
          py::arg("pen_value") = py::none(), py::arg("min_size") = 1, py::arg("max_changes") = 5,
          py::arg("standardize") = true, py::arg("missing") = "skip");
  def_segment(off, "values");

  m.def(
      "bocpd_segment",
      [](py::handle series, double lambda, double mu0, double kappa0, double alpha0, double beta0, std::size_t lag,
         double threshold, std::size_t min_separation, const std::string& missing, bool standardize, bool skip_first) {
        auto [x, dims] = series_of(series, "series");
        const auto policy = parse_missing_policy(missing);
        if (policy != missing_policy::skip) x = apply_missing_policy(x, dims, policy, "bocpd_segment").x;
        for (std::size_t i = 0; i < x.size(); ++i)
          if (std::isinf(x[i])) throw non_finite_error("series: infinite value at row " + std::to_string(i / dims));
        bocpd_segmenter_params p;
        p.model.lambda = lambda, p.model.mu0 = mu0, p.model.kappa0 = kappa0, p.model.alpha0 = alpha0,
        p.model.beta0 = beta0;
        p.lag = lag;
        p.peaks.threshold = threshold;
        p.peaks.min_separation = min_separation;
        p.standardize = standardize;
        p.skip_first = skip_first;
        py::gil_scoped_release nogil;
        return bocpd_segment(x, dims, p);
      },
      py::arg("series"), py::arg("lambda_") = 100.0, py::arg("mu0") = 0.0, py::arg("kappa0") = 1.0,
      py::arg("alpha0") = 1.0, py::arg("beta0") = 1.0, py::arg("lag") = 5, py::arg("threshold") = 0.2,
      py::arg("min_separation") = 5, py::arg("missing") = "skip", py::arg("standardize") = true,
      py::arg("skip_first") = true,
      "BOCPD (Normal-Inverse-Gamma, constant hazard 1/lambda_) + peaks of the lag-step change probability "
      "(predsense-tcpd --method bocpd_peaks). series: (n,) or (n, dims). standardize=True (default) z-scores each "
      "dimension online against the rows before it, so the unit-scale prior fits any scale (TCPDBench-comparable: "
      "z-score the whole series first and pass standardize=False, skip_first=False); skip_first=True ignores row 0 "
      "(frame 0's conventional surprise). Returns list[Boundary] (t = first row of the new segment, original index).\n"
      "NaN is a missing step: missing='skip' (default) skips its likelihood update while the hazard keeps "
      "running; 'interpolate' fills it linearly; 'error' raises NonFiniteError. Inf raises NonFiniteError.");
}
