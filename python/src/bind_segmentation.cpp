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
      (std::string("Boundary where the surprise is above a threshold (strict), at least min_separation steps after "
                   "the previous one. Default: the robust z of the value against the previous `window` values, "
                   "(value - median) / (1.4826 MAD), above z_threshold = 3.5 (Iglewicz & Hoaglin's outlier "
                   "cut-off): relative to the stream, so the same for any encoder's scale (a * s + b, a > 0). "
                   "threshold=X: value > X in the surprise's own units instead (Cambrian-S VSC segmentation). "
                   "The value at t = 0 (frame 0's conventional surprise) is ignored.\n"
                   "Parameters below (from the registry).") +
       rule)
          .c_str());
  const std::vector<std::string> thr_pos{"threshold", "min_separation"};
  thr.def(py::init([thr_pos](py::args a, py::kwargs k) {
    const auto v = values_from_python("segmenter", "threshold", a, k, thr_pos, "ThresholdSegmenter");
    return std::make_shared<segmenter_box<threshold_segmenter>>(threshold_segmenter(reg::threshold_params(v)));
  }));
  mark_registry(thr, "segmenter", "threshold", thr_pos);
  def_segment(thr, "surprise");

  box_class<adaptive_segmenter> ada(
      m, "AdaptiveSegmenter",
      (std::string("Boundary where value > mean + gamma*std of the trailing `window` values (EM-LLM surprise "
                   "segmentation), with blocks of min_block..max_block frames.\nwindow: >= 2, default 128. gamma: "
                   "default 1.0. min_block: default 8. max_block: default 128 (a block is closed at this length).") +
       rule)
          .c_str());
  const std::vector<std::string> ada_pos{"window", "gamma", "min_block", "max_block"};
  ada.def(py::init([ada_pos](py::args a, py::kwargs k) {
    const auto v = values_from_python("segmenter", "adaptive", a, k, ada_pos, "AdaptiveSegmenter");
    return std::make_shared<segmenter_box<adaptive_segmenter>>(adaptive_segmenter(reg::adaptive_params(v)));
  }));
  mark_registry(ada, "segmenter", "adaptive", ada_pos);
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
  const std::vector<std::string> peak_pos{"threshold", "prominence", "min_separation", "lookahead", "window"};
  peak.def(py::init([peak_pos](py::args a, py::kwargs k) {
    const auto v = values_from_python("segmenter", "peak", a, k, peak_pos, "PeakSegmenter");
    return std::make_shared<segmenter_box<peak_segmenter>>(peak_segmenter(reg::peak_params(v)));
  }));
  mark_registry(peak, "segmenter", "peak", peak_pos);
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
  const std::vector<std::string> bo_pos{"lambda", "mu0", "kappa0",    "alpha0",
                                        "beta0",  "lag", "threshold", "min_separation"};
  bo.def(py::init([bo_pos](py::args a, py::kwargs k) {
    const auto v = values_from_python("segmenter", "bocpd", a, k, bo_pos, "BOCPDSegmenter");
    return std::make_shared<segmenter_box<bocpd_segmenter>>(bocpd_segmenter(reg::bocpd_params_of(v), 1), true);
  }));
  mark_registry(bo, "segmenter", "bocpd", bo_pos);
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
  const std::vector<std::string> off_pos{"method"};
  off.def(py::init([off_pos](py::args a, py::kwargs k) {
    const auto v = values_from_python("segmenter", "offline", a, k, off_pos, "OfflineSegmenter");
    return std::make_shared<segmenter_box<offline_segmenter>>(offline_segmenter(reg::offline_params_of(v)), true);
  }));
  mark_registry(off, "segmenter", "offline", off_pos);
  def_segment(off, "values");

  m.def(
      "bocpd_segment",
      [bo_pos](py::handle series, py::args a, py::kwargs k) {
        std::string missing = "skip";
        if (k.contains("missing")) {
          missing = k["missing"].cast<std::string>();
          PyDict_DelItemString(k.ptr(), "missing");
        }
        const auto v = values_from_python("segmenter", "bocpd", a, k, bo_pos, "bocpd_segment");
        auto [x, dims] = series_of(series, "series");
        const auto policy = parse_missing_policy(missing);
        if (policy != missing_policy::skip) x = apply_missing_policy(x, dims, policy, "bocpd_segment").x;
        for (std::size_t i = 0; i < x.size(); ++i)
          if (std::isinf(x[i])) throw non_finite_error("series: infinite value at row " + std::to_string(i / dims));
        const auto p = reg::bocpd_params_of(v);
        py::gil_scoped_release nogil;
        return bocpd_segment(x, dims, p);
      },
      py::arg("series"),
      "BOCPD (Normal-Inverse-Gamma, constant hazard 1/lambda_) + peaks of the lag-step change probability "
      "(predsense-tcpd --method bocpd_peaks). series: (n,) or (n, dims). standardize=True (default) z-scores each "
      "dimension online against the rows before it, so the unit-scale prior fits any scale (TCPDBench-comparable: "
      "z-score the whole series first and pass standardize=False, skip_first=False); skip_first=True ignores row 0 "
      "(frame 0's conventional surprise). Returns list[Boundary] (t = first row of the new segment, original index).\n"
      "Parameters: those of BOCPDSegmenter (the registry's segmenter 'bocpd'), plus missing. "
      "NaN is a missing step: missing='skip' (default) skips its likelihood update while the hazard keeps "
      "running; 'interpolate' fills it linearly; 'error' raises NonFiniteError. Inf raises NonFiniteError.");
}
