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
#include "predsense/registry/make_component.hpp"
#include "predsense/core/concepts.hpp"
#include "progress.hpp"

namespace predsense_py {

// ---- the registry: Python values -> checked parameter values ------------------------------------
// Every component class is constructed through here (and Stream(segmenter="peak", ...) through the
// class): keywords by their registry names (a Python keyword gets a trailing '_': lambda_), the
// first positional arguments in the class's own order, deprecated spellings with a
// DeprecationWarning, every value checked by predsense::registry::resolve (the one validator:
// InvalidArgumentError naming the component and the parameter).
namespace reg = predsense::registry;

inline void warn_deprecated(const std::string& what, const std::vector<std::string>& used) {
  for (const auto& u : used) {
    const std::string msg = what + ": '" + u.substr(0, u.find(' ')) + "' is deprecated, use '" +
                            u.substr(u.rfind(' ') + 1) + "' (the registry's name; docs/registry.md)";
    if (PyErr_WarnEx(PyExc_DeprecationWarning, msg.c_str(), 2) != 0) throw py::error_already_set();
  }
}

// The Python keyword of a registry parameter (a Python keyword gets a trailing '_').
inline std::string python_keyword(const std::string& name) {
  static const char* reserved[] = {"lambda", "from", "in", "is", "global", "class", "def", "pass"};
  for (const char* r : reserved)
    if (name == r) return name + "_";
  return name;
}

inline void warn_text(const std::string& msg) {
  if (PyErr_WarnEx(PyExc_DeprecationWarning, msg.c_str(), 2) != 0) throw py::error_already_set();
}

inline reg::param_value param_of(const reg::component_spec& c, const std::string& key, const py::handle& o) {
  if (o.is_none()) return std::monostate{};
  if (PyBool_Check(o.ptr())) return o.cast<bool>();
  if (PyLong_Check(o.ptr()) || (!PyFloat_Check(o.ptr()) && PyIndex_Check(o.ptr()))) {
    int overflow = 0;
    const py::object i = py::reinterpret_steal<py::object>(PyNumber_Index(o.ptr()));
    if (!i) throw py::error_already_set();
    const long long v = PyLong_AsLongLongAndOverflow(i.ptr(), &overflow);
    if (overflow != 0)
      throw predsense::invalid_argument_error(reg::where(c, key) + " is out of range, got " + std::string(py::str(o)));
    return static_cast<std::int64_t>(v);
  }
  if (PyFloat_Check(o.ptr()) || py::hasattr(o, "__float__")) return o.cast<double>();
  if (py::isinstance<py::str>(o)) return o.cast<std::string>();
  throw py::type_error(reg::where(c, key) + ": expected a number, bool or str, got " + type_name(o));
}

// args/kwargs of a component class -> every parameter's checked value. `positional`: the names the
// positional arguments fill, in order.
inline reg::param_values values_from_python(const reg::component_spec& c, const py::args& args,
                                            const py::kwargs& kwargs, const std::vector<std::string>& positional,
                                            const std::string& who) {
  if (args.size() > positional.size())
    throw py::type_error(who + "() takes at most " + std::to_string(positional.size()) + " positional arguments (" +
                         std::to_string(args.size()) + " given)");
  reg::param_values given;
  for (std::size_t i = 0; i < args.size(); ++i) given[positional[i]] = param_of(c, positional[i], args[i]);
  for (const auto& [k, v] : kwargs) {
    std::string key = k.cast<std::string>();
    if (!key.empty() && key.back() == '_') key.pop_back();  // lambda_ -> lambda
    if (given.count(key))
      throw py::type_error(who + "() got multiple values for argument '" + k.cast<std::string>() + "'");
    bool known = false;
    for (const auto& p : c.params) {
      known = known || p.name == key;
      for (const auto& a : p.aliases) known = known || a == key;
    }
    if (!known) {
      std::string names;
      for (const auto& p : c.params) names += (names.empty() ? "" : ", ") + python_keyword(p.name);
      throw py::type_error(who + "() got an unexpected keyword argument '" + k.cast<std::string>() + "' (" + c.kind +
                           " '" + c.name + "' takes: " + (names.empty() ? "no parameters" : names) + ")");
    }
    given[key] = param_of(c, key, v);
    for (const auto& p : c.params) {  // a value of the wrong kind is a TypeError, as Python's own
      bool is_p = p.name == key;
      for (const auto& a : p.aliases) is_p = is_p || a == key;
      const bool text = std::holds_alternative<std::string>(given[key]);
      if (is_p && text != (p.type == reg::param_type::choice) && !std::holds_alternative<std::monostate>(given[key]))
        throw py::type_error(
            who + "(): " + p.name + ": expected " +
            (p.type == reg::param_type::choice ? "a name (" + reg::range_text(p) + ")" : std::string("a number")) +
            ", got " + type_name(v));
    }
  }
  std::vector<std::string> deprecated;
  auto out = reg::resolve(c, given, &deprecated);
  warn_deprecated(who, deprecated);
  return out;
}

inline reg::param_values values_from_python(const std::string& kind, const std::string& name, const py::args& args,
                                            const py::kwargs& kwargs, const std::vector<std::string>& positional,
                                            const std::string& who) {
  return values_from_python(reg::find(kind, name), args, kwargs, positional, who);
}

// The parameters of a registry component as doc lines ("name: type in range, default d (unit). doc."),
// for the class docstrings; the .pyi stubs and docs/registry.md are generated from the same table.
inline std::string registry_doc(const reg::component_spec& c, const std::vector<std::string>& positional) {
  std::string s = "\n\nRegistry name: " + c.kind + " '" + c.name + "'";
  for (const auto& a : c.aliases) s += " (deprecated alias '" + a + "')";
  s += ". Parameters (positional: ";
  std::string pos;
  for (const auto& p : positional) pos += (pos.empty() ? "" : ", ") + python_keyword(p);
  s += (pos.empty() ? "none" : pos) + "; the rest keyword-only):";
  for (const auto& p : c.params) {
    s += "\n  " + python_keyword(p.name) + ": " + reg::type_name(p.type);
    const auto range = reg::range_text(p);
    if (!range.empty()) s += (p.type == reg::param_type::choice ? ", " : " in ") + range;
    if (p.optional) s += " or None";
    s += ", default " + reg::to_text(p.def);
    if (!p.unit.empty()) s += " (" + p.unit + ")";
    s += ". " + p.doc + ".";
    for (const auto& a : p.aliases) s += " Deprecated alias: " + a + ".";
  }
  return s;
}

// Marks a class as built from the registry: cls.__registry__ = (kind, name, positional names), read
// by python/tests/stubgen.py to write the constructor's signature from the registry.
template <class Cls>
void mark_registry(Cls& cls, const std::string& kind, const std::string& name,
                   const std::vector<std::string>& positional) {
  py::tuple pos(positional.size());
  for (std::size_t i = 0; i < positional.size(); ++i) pos[i] = py::str(python_keyword(positional[i]));
  cls.attr("__registry__") = py::make_tuple(kind, name, pos);
  const py::object doc = cls.attr("__doc__");
  cls.attr("__doc__") = py::str((doc.is_none() ? std::string() : doc.cast<std::string>()) +
                                registry_doc(reg::find(kind, name), positional));
}

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

// ---- a component argument: an object, a registry name, or (name, {params}) ------------------------
// Wherever a component object is accepted, its registry name is too, with its parameters as a dict:
// Stream(segmenter="peak"), Stream(segmenter=("peak", {"min_separation": 5})). None means off (for a
// component that can be off). The name builds the registry's Python class (so the object is the
// same one a user would construct).
struct named_component {
  std::string name;
  py::dict params;
};

inline std::optional<named_component> as_named(const py::object& o, const char* kind) {
  if (py::isinstance<py::str>(o)) return named_component{o.cast<std::string>(), py::dict()};
  if (py::isinstance<py::tuple>(o) || py::isinstance<py::list>(o)) {
    const auto seq = py::reinterpret_borrow<py::sequence>(o);
    if (seq.size() == 2 && py::isinstance<py::str>(seq[0]) && (py::isinstance<py::dict>(seq[1]) || seq[1].is_none()))
      return named_component{seq[0].cast<std::string>(),
                             seq[1].is_none() ? py::dict() : py::reinterpret_borrow<py::dict>(seq[1])};
    throw py::type_error(std::string(kind) + ": expected a (name, params) pair (str, dict), got " +
                         std::string(py::repr(o)).substr(0, 80));
  }
  return std::nullopt;
}

// Builds the registry's Python object for (kind, name, params): the class (or metric function)
// named by the registry.
inline py::object build_named(const char* kind, const named_component& n) {
  std::vector<std::string> deprecated;
  const auto& c = reg::find(kind, n.name, &deprecated);
  warn_deprecated(kind, deprecated);
  const py::module_ core = py::module_::import("predsense._core");
  if (c.python_class.empty())
    throw predsense::invalid_argument_error(std::string(kind) + " '" + c.name + "' has no Python object");
  const py::object target = core.attr(c.python_class.c_str());
  if (std::string(kind) == "metric" && c.params.empty()) {
    if (py::len(n.params) != 0)
      throw predsense::invalid_argument_error("predsense: metric '" + c.name + "': takes no parameters");
    return target;  // the metric function itself
  }
  if (std::string(kind) == "memory_policy") {
    py::dict kw;
    for (const auto& [k, v] : n.params) kw[k] = v;
    kw["policy"] = c.name;
    reg::param_values given;  // checked by the registry first (ranges, NaN, unknown names)
    for (const auto& [k, v] : n.params) given[k.cast<std::string>()] = param_of(c, k.cast<std::string>(), v);
    std::vector<std::string> dep;
    (void)reg::resolve(c, given, &dep);
    warn_deprecated(kind, dep);
    return target(**kw);
  }
  return target(**n.params);
}

inline std::shared_ptr<metric_base> as_metric(const py::object& o, const char* what = "metric") {
  if (auto n = as_named(o, what)) return as_metric(build_named("metric", *n), what);
  if (py::isinstance<metric_base>(o)) return o.cast<std::shared_ptr<metric_base>>();
  const py::module_ core = py::module_::import("predsense._core");
  for (const auto* c : reg::components("metric"))  // the C++ metric itself, no Python per frame
    if (c->params.empty() && o.is(core.attr(c->python_class.c_str())))
      return std::visit(
          [](auto m) -> std::shared_ptr<metric_base> { return std::make_shared<metric_box<decltype(m)>>(m); },
          reg::make_metric(c->name));
  if (PyCallable_Check(o.ptr())) return std::make_shared<python_metric>(o);
  throw py::type_error(std::string(what) + ": expected a metric name (" + reg::names("metric") +
                       "), a (name, params) pair, a predsense metric function or GaussianNLL, or a callable "
                       "(pred, actual) -> float, got " +
                       type_name(o));
}

}  // namespace predsense_py
