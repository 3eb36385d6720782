// Run-time composition for the Python bindings: one abstract interface per component kind
// (predictor, metric, normalizer, segmenter, memory), a box per C++ type holding it with its
// mutex, and an adapter per kind for a Python object implementing the same protocol.
//
// Every interface method is called WITHOUT the GIL (python/src/convert.hpp states the rule); a
// box takes its own mutex, an adapter takes the GIL and calls Python (the slower documented path).
#pragma once
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "convert.hpp"
#include "predsense/core/boundary.hpp"
#include "predsense/core/concepts.hpp"
#include "progress.hpp"

namespace predsense_py {

struct metric_base;

// ---- predictors --------------------------------------------------------------------------------
struct predictor_base : guarded {
  virtual ~predictor_base() = default;
  virtual void observe(const frame_view& f) = 0;
  virtual void predict(frame_buffer& out) = 0;
  virtual void reset() = 0;
  // The metric's score of the guess against `actual`; `scratch` holds the guess when the predictor
  // must make one (a viewing_predictor's guess is scored in place, under its lock: no copy).
  virtual double score_guess(metric_base& m, const frame_view& actual, frame_buffer& scratch);
};

// reset(): the predictor's own reset() when it has one, else the state it was constructed with.
template <class P>
struct predictor_box final : predictor_base {
  P impl;
  std::optional<P> initial;
  explicit predictor_box(P p) : impl(std::move(p)) {
    if constexpr (!requires { impl.reset(); }) initial.emplace(impl);
  }
  void observe(const frame_view& f) override {
    std::lock_guard<std::mutex> lk(mu);
    impl.observe(f);
  }
  void predict(frame_buffer& out) override {
    std::lock_guard<std::mutex> lk(mu);
    impl.predict(out);
  }
  void reset() override {
    std::lock_guard<std::mutex> lk(mu);
    if constexpr (requires { impl.reset(); })
      impl.reset();
    else
      impl = *initial;
  }
  double score_guess(metric_base& m, const frame_view& actual, frame_buffer& scratch) override;
};

// What a Python component returned, as T: TypeError naming the component and what it returned
// (pybind11's cast_error would not say which component or value).
template <class T>
T returned_as(const py::object& r, const char* what, const char* expected) {
  try {
    return r.cast<T>();
  } catch (const py::cast_error&) {
    throw py::type_error(std::string(what) + " must be " + expected + ", got " + type_name(r) + " " +
                         std::string(py::repr(r)).substr(0, 80));
  }
}

// Holds a Python object; drops its reference with the GIL held.
struct python_component {
  py::object obj;
  explicit python_component(py::object o) : obj(std::move(o)) {}
  python_component(const python_component&) = delete;
  python_component& operator=(const python_component&) = delete;
  ~python_component() {
    py::gil_scoped_acquire gil;
    obj = py::object();
  }
};

struct python_predictor final : predictor_base, python_component {
  using python_component::python_component;
  void observe(const frame_view& f) override {
    py::gil_scoped_acquire gil;
    obj.attr("observe")(to_numpy(f));
  }
  void predict(frame_buffer& out) override {
    py::gil_scoped_acquire gil;
    const py::object r = obj.attr("predict")();
    const frame_arg a = frame_of(r, "predictor.predict() result");
    out.assign(a.view);
  }
  void reset() override {
    py::gil_scoped_acquire gil;
    if (py::hasattr(obj, "reset")) obj.attr("reset")();
  }
};

// ---- surprise metrics --------------------------------------------------------------------------
struct metric_base : guarded {
  virtual ~metric_base() = default;
  virtual double score(const frame_view& pred, const frame_view& actual) = 0;
  virtual void reset() {}
};

template <class M>
struct metric_box final : metric_base {
  M impl;
  explicit metric_box(M m = {}) : impl(std::move(m)) {}
  double score(const frame_view& pred, const frame_view& actual) override {
    std::lock_guard<std::mutex> lk(mu);
    return static_cast<double>(impl(pred, actual));
  }
  void reset() override {
    if constexpr (requires { impl.reset(); }) {
      std::lock_guard<std::mutex> lk(mu);
      impl.reset();
    }
  }
};

struct python_metric final : metric_base, python_component {
  using python_component::python_component;
  double score(const frame_view& pred, const frame_view& actual) override {
    py::gil_scoped_acquire gil;
    return returned_as<double>(obj(to_numpy(pred), to_numpy(actual)), "metric(pred, actual)", "a float");
  }
  void reset() override {
    py::gil_scoped_acquire gil;
    if (py::hasattr(obj, "reset")) obj.attr("reset")();
  }
};

inline double predictor_base::score_guess(metric_base& m, const frame_view& actual, frame_buffer& scratch) {
  predict(scratch);
  return m.score(scratch.view(), actual);
}
template <class P>
double predictor_box<P>::score_guess(metric_base& m, const frame_view& actual, frame_buffer& scratch) {
  if constexpr (viewing_predictor<P>) {
    std::lock_guard<std::mutex> lk(mu);  // the view lives until this predictor's next observe
    return m.score(impl.prediction(), actual);
  } else {
    return predictor_base::score_guess(m, actual, scratch);
  }
}

// ---- surprise normalizers ----------------------------------------------------------------------
struct normalizer_base : guarded {
  virtual ~normalizer_base() = default;
  virtual double apply(double x) = 0;
  virtual void reset() = 0;
};

template <class N>
struct normalizer_box final : normalizer_base {
  N impl;
  explicit normalizer_box(N n) : impl(std::move(n)) {}
  double apply(double x) override {
    std::lock_guard<std::mutex> lk(mu);
    return impl(x);
  }
  void reset() override {
    std::lock_guard<std::mutex> lk(mu);
    impl.reset();
  }
};

struct python_normalizer final : normalizer_base, python_component {
  using python_component::python_component;
  double apply(double x) override {
    py::gil_scoped_acquire gil;
    return returned_as<double>(obj(x), "normalizer(x)", "a float");
  }
  void reset() override {
    py::gil_scoped_acquire gil;
    if (py::hasattr(obj, "reset")) obj.attr("reset")();
  }
};

// ---- segmenters --------------------------------------------------------------------------------
struct segmenter_base : guarded {
  virtual ~segmenter_base() = default;
  virtual std::optional<boundary> push(double value, std::size_t t) = 0;
  virtual std::vector<boundary> flush() { return {}; }
  virtual void reset() = 0;
};

// Online segmenters behind one check: time strictly increasing; NaN refused unless the
// segmenter treats it as a missing step (BOCPD).
template <class S>
struct segmenter_box final : segmenter_base {
  S impl;
  bool nan_is_missing = false;
  bool has_t = false;
  std::size_t last_t = 0;
  explicit segmenter_box(S s, bool nan_missing = false) : impl(s), nan_is_missing(nan_missing), initial(std::move(s)) {}
  std::optional<boundary> push(double value, std::size_t t) override {
    std::lock_guard<std::mutex> lk(mu);
    if (!(nan_is_missing && std::isnan(value)) && !std::isfinite(value))
      throw non_finite_error("push: value " + std::to_string(value) + " at t=" + std::to_string(t) + " is not finite" +
                             (nan_is_missing ? " (NaN marks a missing step; Inf is refused)" : ""));
    if (has_t && t <= last_t)
      throw invalid_argument_error("push: t=" + std::to_string(t) + " after t=" + std::to_string(last_t) +
                                   ": time must increase (call reset() to start a new series)");
    auto b = impl.push(value, t);
    has_t = true, last_t = t;
    return b;
  }
  std::vector<boundary> flush() override {
    std::lock_guard<std::mutex> lk(mu);
    if constexpr (requires { impl.flush(); })
      return impl.flush();
    else
      return {};
  }
  void reset() override {
    std::lock_guard<std::mutex> lk(mu);
    impl = initial;  // the state it was constructed with
    has_t = false;
  }
  S initial;
};

template <class S>
using segmenter_class = py::class_<segmenter_box<S>, segmenter_base, std::shared_ptr<segmenter_box<S>>>;

// segment(): a fresh copy of the state at construction runs over the whole series (t = 0..n-1):
// every value pushed, then flush(); this object is not changed. The loop runs without the GIL, in
// chunks when a progress bar is shown.
template <class S>
std::vector<boundary> segment_copy(const segmenter_box<S>& self, const std::vector<double>& x, progress_bar& bar) {
  segmenter_box<S> fresh(self.initial, self.nan_is_missing);
  std::vector<boundary> out;
  for_chunks(bar, x.size(), [&](std::size_t start, std::size_t stop) {
    py::gil_scoped_release nogil;
    for (std::size_t t = start; t < stop; ++t)
      if (auto b = fresh.push(x[t], t)) out.push_back(*b);
  });
  py::gil_scoped_release nogil;
  for (const auto& b : fresh.flush()) out.push_back(b);
  return out;
}

template <class S>
void def_segment(segmenter_class<S>& c, const char* arg) {
  c.def(
      "segment",
      [arg](const segmenter_box<S>& self, py::handle values, bool progress) {
        const auto x = doubles_of(values, arg);
        progress_bar bar(progress, x.size(), "value", "segment");
        return segment_copy(self, x, bar);
      },
      py::arg(arg), py::kw_only(), py::arg("progress") = false,
      "Boundaries of a whole 1-D series (index = time step = 0-based frame index), as pushing every value "
      "into a fresh copy of this segmenter (its state at construction) then flush(); this object is not "
      "changed. Returns list[Boundary].\nprogress=True shows a tqdm bar over the values pushed (needs tqdm: "
      "ImportError otherwise); the result is the same.\nRaises NonFiniteError for NaN/Inf (BOCPD and "
      "OfflineSegmenter: NaN = missing step), ShapeError (not 1-D).");
}

struct python_segmenter final : segmenter_base, python_component {
  using python_component::python_component;
  std::optional<boundary> push(double value, std::size_t t) override {
    py::gil_scoped_acquire gil;
    const py::object r = obj.attr("push")(value, t);
    return boundary_of(r, t, value);
  }
  std::vector<boundary> flush() override {
    py::gil_scoped_acquire gil;
    std::vector<boundary> out;
    if (!py::hasattr(obj, "flush")) return out;
    const py::object r = obj.attr("flush")();
    if (r.is_none()) return out;
    for (auto b : r)
      if (auto x = boundary_of(py::reinterpret_borrow<py::object>(b), 0, 0.0)) out.push_back(*x);
    return out;
  }
  void reset() override {
    py::gil_scoped_acquire gil;
    if (py::hasattr(obj, "reset")) obj.attr("reset")();
  }
  // None -> no boundary; a Boundary; or an int frame index (score = value, decided now).
  static std::optional<boundary> boundary_of(const py::object& r, std::size_t t, double value) {
    if (r.is_none()) return std::nullopt;
    if (py::isinstance<boundary>(r)) return r.cast<boundary>();
    if (py::isinstance<py::bool_>(r)) {
      if (!r.cast<bool>()) return std::nullopt;
      return boundary{t, value, t};
    }
    try {
      const auto i = r.cast<std::size_t>();
      return boundary{i, value, t};
    } catch (py::cast_error&) {
      throw py::type_error(
          "segmenter.push() must return None, a bool, an int frame index or a predsense.Boundary, got " + type_name(r));
    }
  }
};

// ---- memory ------------------------------------------------------------------------------------
struct memory_base : guarded {
  virtual ~memory_base() = default;
  virtual void push(const frame_view& f, double surprise) = 0;
  virtual std::size_t tokens() = 0;
  virtual std::size_t entries() = 0;
};

struct python_memory final : memory_base, python_component {
  using python_component::python_component;
  void push(const frame_view& f, double surprise) override {
    py::gil_scoped_acquire gil;
    obj.attr("push")(to_numpy(f), surprise);
  }
  std::size_t tokens() override {
    py::gil_scoped_acquire gil;
    return py::hasattr(obj, "tokens") ? returned_as<std::size_t>(obj.attr("tokens"), "memory.tokens", "an int >= 0")
                                      : 0;
  }
  std::size_t entries() override { return 0; }
};

}  // namespace predsense_py
