// Python binding of the streaming pipeline composed at run time (init_stream).
//
// The loop is pipeline/stream.hpp's step (predict, score, observe, segment, remember) over the
// type-erased components of components.hpp; it runs in C++ without the GIL. Components that are
// Python objects take the GIL for their own calls only.
#include <atomic>
#include <string>
#include <thread>

#include "components.hpp"
#include "predsense/pipeline/stream.hpp"

using namespace predsense;
using namespace predsense_py;

namespace {

py::module_ core() { return py::module_::import("predsense._core"); }

std::shared_ptr<predictor_base> as_predictor(const py::object& o) {
  if (o.is_none())
    throw invalid_argument_error("Stream: predictor=None: a Stream needs a predictor (registry names: " +
                                 reg::names("predictor") + "; default 'copy_last')");
  if (auto n = as_named(o, "predictor")) return as_predictor(build_named("predictor", *n));
  if (py::isinstance<predictor_base>(o)) return o.cast<std::shared_ptr<predictor_base>>();
  if (py::hasattr(o, "observe") && py::hasattr(o, "predict")) return std::make_shared<python_predictor>(o);
  throw py::type_error(
      "predictor: expected a registry name (" + reg::names("predictor") +
      ") or (name, params), a predsense predictor (CopyLast, EMAPredictor, RLSPredictor, LFPPredictor, "
      "TransformerPredictor) or an object with observe(frame) and predict(), got " +
      type_name(o));
}

std::shared_ptr<normalizer_base> as_normalizer(const py::object& o) {
  if (o.is_none()) return nullptr;
  if (auto n = as_named(o, "normalizer")) return as_normalizer(build_named("normalizer", *n));
  if (py::isinstance<normalizer_base>(o)) return o.cast<std::shared_ptr<normalizer_base>>();
  if (PyCallable_Check(o.ptr())) return std::make_shared<python_normalizer>(o);
  throw py::type_error("normalizer: expected None (off), a registry name (" + reg::names("normalizer") +
                       ") or (name, params), ZScoreNormalizer, EMANormalizer or a callable float -> float, got " +
                       type_name(o));
}

std::shared_ptr<segmenter_base> as_segmenter(const py::object& o) {
  if (o.is_none()) return nullptr;
  if (auto n = as_named(o, "segmenter")) return as_segmenter(build_named("segmenter", *n));
  if (py::isinstance<segmenter_base>(o)) return o.cast<std::shared_ptr<segmenter_base>>();
  if (py::isinstance(o, core().attr("TransitionDetector")))
    throw py::type_error(
        "segmenter: a TransitionDetector needs each frame's thumbnail (an image), which a Stream of latents does "
        "not have; run it beside the stream (push(thumbnail, surprise) per frame, or segment(thumbnails, "
        "surprise) with the surprise Stream.run returns), or use CutSegmenter for cuts from the surprise alone");
  if (py::hasattr(o, "push")) return std::make_shared<python_segmenter>(o);
  throw py::type_error("segmenter: expected None (off), a registry name (" + reg::names("segmenter") +
                       ") or (name, params), a predsense segmenter (ThresholdSegmenter, AdaptiveSegmenter, "
                       "PeakSegmenter, BOCPDSegmenter, OfflineSegmenter, CutSegmenter) or an object with "
                       "push(value, t), got " +
                       type_name(o));
}

std::shared_ptr<memory_base> as_memory(const py::object& o) {
  if (o.is_none()) return nullptr;
  if (auto n = as_named(o, "memory")) return as_memory(build_named("memory_policy", *n));
  if (py::isinstance<memory_base>(o)) return o.cast<std::shared_ptr<memory_base>>();
  if (py::hasattr(o, "push")) return std::make_shared<python_memory>(o);
  throw py::type_error("memory: expected None (off), a memory policy name (" + reg::names("memory_policy") +
                       ") or (name, params), a MemoryStore, or an object with push(frame, surprise), got " +
                       type_name(o));
}

// The object a component argument stands for: a name or (name, params) becomes the registry's object.
py::object built(const py::object& o, const char* kind) {
  if (auto n = as_named(o, kind)) return build_named(kind, *n);
  return o;
}

struct dyn_stream;

// locked() for a Stream, refusing re-entry: a Python component runs while its stream holds the
// stream's mutex, so a call from it back into the same stream (stream.step inside predict(), ...)
// would wait for that mutex forever. The thread holding the mutex is recorded; a call from it raises.
template <class F>
decltype(auto) stream_locked(dyn_stream& s, const char* method, F&& f);

struct dyn_stream : guarded {
  std::atomic<std::thread::id> owner{};  // the thread inside a locked call, if any
  std::shared_ptr<predictor_base> predictor;
  std::shared_ptr<metric_base> metric;
  std::shared_ptr<normalizer_base> normalizer;
  std::shared_ptr<segmenter_base> segmenter;
  std::shared_ptr<memory_base> memory;
  py::object predictor_obj, metric_obj, normalizer_obj, segmenter_obj, memory_obj;
  double first_surprise = 1.0;
  frame_buffer guess;
  std::size_t t = 0;

  // One frame; called with `mu` held and without the GIL.
  step_result step(const frame_view& f) {
    require_finite(f, "frame");
    step_result r;
    r.t = t;
    if (t == 0) {
      r.surprise = first_surprise;
    } else {
      r.surprise = predictor->score_guess(*metric, f, guess);
      if (normalizer) r.surprise = normalizer->apply(r.surprise);
    }
    predictor->observe(f);
    if (segmenter) r.boundary = segmenter->push(r.surprise, t);
    if (memory) {
      memory->push(f, r.surprise);
      r.memory.tokens = memory->tokens();
      r.memory.entries = memory->entries();
    }
    ++t;
    return r;
  }
};

template <class F>
decltype(auto) stream_locked(dyn_stream& s, const char* method, F&& f) {
  if (s.owner.load() == std::this_thread::get_id())  // only this thread stores its own id here
    throw py::value_error(std::string("Stream.") + method +
                          ": called from inside a step of the same Stream (one of its Python components - "
                          "predictor, metric, normalizer, segmenter or memory - called back into it); a component "
                          "must not call the Stream that holds it");
  return locked(s, [&]() -> decltype(auto) {
    s.owner.store(std::this_thread::get_id());
    struct clear {
      dyn_stream& s;
      ~clear() { s.owner.store(std::thread::id{}); }
    } on_exit{s};
    return f();
  });
}

}  // namespace

void init_stream(py::module_& m) {
  py::class_<step_result>(m, "StepResult",
                          "One Stream.step: t (0-based frame index), surprise (float; frame 0 scores first_surprise), "
                          "boundary (Boundary or None), memory_tokens, memory_entries (0 without a memory).")
      .def_readonly("t", &step_result::t, "0-based index of the frame in the stream.")
      .def_readonly("surprise", &step_result::surprise, "The frame's surprise (first_surprise for frame 0).")
      .def_readonly("boundary", &step_result::boundary, "The Boundary decided at this step, or None.")
      .def_property_readonly(
          "memory_tokens", [](const step_result& r) { return r.memory.tokens; },
          "Tokens the memory holds after the step.")
      .def_property_readonly(
          "memory_entries", [](const step_result& r) { return r.memory.entries; },
          "Entries the memory holds (0 without a memory or for a Python memory).")
      .def("__repr__", [](const step_result& r) {
        return "StepResult(t=" + std::to_string(r.t) + ", surprise=" + std::to_string(r.surprise) +
               ", boundary=" + (r.boundary ? std::to_string(r.boundary->t) : std::string("None")) +
               ", memory_tokens=" + std::to_string(r.memory.tokens) + ")";
      });

  py::class_<dyn_stream, std::shared_ptr<dyn_stream>>(
      m, "Stream",
      "The predictive-sensing loop: per frame t the predictor's guess (from frames < t) is scored against the "
      "frame by the metric (then the optional normalizer), the predictor observes the frame, the segmenter gets "
      "the surprise and the memory takes the frame with its surprise. Frame 0 has no guess and scores "
      "first_surprise (default 1.0, the Cambrian-S convention). The loop runs in C++ without the GIL.\n\n"
      "Every component argument takes an object, its registry name, or (name, {params}) with the parameters "
      "by their registry names (predsense.registry(kind); docs/registry.md): Stream(predictor='rls', "
      "segmenter=('peak', {'min_separation': 5})). None means off (normalizer, segmenter, memory; a Stream needs "
      "a predictor and a metric).\n"
      "predictor: 'copy_last' (default), 'ema', 'rls', a predictor object (CopyLast, EMAPredictor, RLSPredictor, "
      "LFPPredictor, TransformerPredictor), or a Python object with observe(frame) and predict().\n"
      "metric: 'token_cosine' (default, Cambrian-S), 'pooled_cosine', 'mse', 'l2', 'gaussian_nll', one of the "
      "metric functions (ps.mse, ...), a GaussianNLL, or a Python callable (pred, actual) -> float.\n"
      "normalizer: None (default: off), 'zscore', 'ema', ZScoreNormalizer, EMANormalizer or a callable float -> "
      "float; applied from frame 1 on.\n"
      "segmenter: 'adaptive' (default: AdaptiveSegmenter()), 'threshold', 'peak', 'bocpd', 'cut', 'offline', a "
      "segmenter object (TransitionDetector needs thumbnails and is not one), a Python object with push(value, "
      "t), or None (no boundaries).\n"
      "memory: a memory policy name - 'peak_preserving' (default: MemoryStore(), thresholds relative to the "
      "stream's own surprise, so any encoder works), 'drop_merge' (Cambrian-S; needs {'threshold': X}), 'drop', "
      "'fifo', 'uniform_stride', 'sinks_recent', 'similarity_merge', 'surprise_reservoir' - with its parameters "
      "(window, budget, ...), a MemoryStore, a Python object with push(frame, surprise), or None (no memory).\n"
      "Deprecated keywords (DeprecationWarning; same meaning as before): seg_window, gamma, min_block, max_block "
      "(the default segmenter's window, gamma, min_block, max_block) and memory_threshold, window, budget (the "
      "default memory's; memory_threshold=X gives the Cambrian-S memory, drop_merge).\n"
      "Python components are the slower path: the GIL is taken for each of their calls.\n"
      "The parts are the same objects afterwards: stream.predictor, .metric, .normalizer, .segmenter, .memory.\n"
      "Thread rule: per-object mutex (a stream used from two threads serializes); independent streams run "
      "in parallel. A Python component must not call back into the stream that holds it (ValueError: it would "
      "wait for itself).")
      .def(py::init([](py::object predictor, py::object metric, py::object segmenter, py::object memory,
                       py::object normalizer, double first_surprise, py::object memory_threshold, py::object window,
                       py::object budget, py::object seg_window, py::object gamma, py::object min_block,
                       py::object max_block) {
             auto s = std::make_shared<dyn_stream>();
             const auto mod = core();
             const auto is_default = [](const py::object& o, const char* name) {
               return py::isinstance<py::str>(o) && o.cast<std::string>() == name;
             };
             // Deprecated keywords of the default segmenter (the registry's adaptive segmenter's window, gamma,
             // min_block, max_block): still accepted, with a DeprecationWarning.
             const std::pair<const char*, py::object*> seg_kw[] = {
                 {"window", &seg_window}, {"gamma", &gamma}, {"min_block", &min_block}, {"max_block", &max_block}};
             py::dict seg_params;
             std::string seg_given;
             for (const auto& [name, v] : seg_kw)
               if (!v->is_none()) {
                 seg_params[name] = *v;
                 seg_given += std::string(seg_given.empty() ? "" : ", ") +
                              (std::string(name) == "window" ? "seg_window" : name) + "=" + std::string(py::str(*v));
               }
             if (!seg_given.empty()) {
               if (!is_default(segmenter, "adaptive") && !segmenter.is(py::ellipsis()))
                 throw invalid_argument_error("Stream: " + seg_given +
                                              " apply only to the default segmenter 'adaptive'; pass "
                                              "segmenter=('adaptive', {...}) or set them on the segmenter object");
               warn_text(
                   "Stream(seg_window=, gamma=, min_block=, max_block=) is deprecated: use "
                   "segmenter=('adaptive', {'window': ..., 'gamma': ..., 'min_block': ..., 'max_block': ...})");
               try {  // checked here so that the error names Stream's own keywords
                 (void)values_from_python("segmenter", "adaptive", py::args(), py::kwargs(std::move(seg_params)), {},
                                          "AdaptiveSegmenter");
               } catch (const invalid_argument_error& e) {
                 throw invalid_argument_error("Stream: " + seg_given +
                                              " for the default AdaptiveSegmenter: " + e.what());
               }
               py::dict again;
               for (const auto& [name, v] : seg_kw)
                 if (!v->is_none()) again[name] = *v;
               segmenter = mod.attr("AdaptiveSegmenter")(**again);
             }
             if (segmenter.is(py::ellipsis())) segmenter = py::str("adaptive");
             // Deprecated keywords of the default memory (MemoryStore's threshold, window, budget).
             if (!memory_threshold.is_none() || !window.is_none() || !budget.is_none()) {
               if (!is_default(memory, "peak_preserving") && !memory.is(py::ellipsis()))
                 throw invalid_argument_error(
                     "Stream: memory_threshold=, window=, budget= apply only to the default memory; pass "
                     "memory=(policy, "
                     "{'threshold': ..., 'window': ..., 'budget': ...}) or a MemoryStore");
               warn_text(
                   "Stream(memory_threshold=, window=, budget=) is deprecated: use memory=('drop_merge', "
                   "{'threshold': ..., 'window': ..., 'budget': ...}) (or ('peak_preserving', {'window': ..., "
                   "'budget': ...}))");
               memory = mod.attr("MemoryStore")(memory_threshold, window.is_none() ? py::int_(32) : window,
                                                budget.is_none() ? py::int_(8192) : budget);
             }
             if (memory.is(py::ellipsis())) memory = py::str("peak_preserving");
             require_finite(first_surprise, "first_surprise");
             predictor = built(predictor, "predictor");
             normalizer = built(normalizer, "normalizer");
             segmenter = built(segmenter, "segmenter");
             memory = as_named(memory, "memory") ? build_named("memory_policy", *as_named(memory, "memory")) : memory;
             s->predictor = as_predictor(predictor);
             s->metric = as_metric(metric);
             s->normalizer = as_normalizer(normalizer);
             s->segmenter = as_segmenter(segmenter);
             s->memory = as_memory(memory);
             s->predictor_obj = predictor, s->metric_obj = metric, s->normalizer_obj = normalizer;
             s->segmenter_obj = segmenter, s->memory_obj = memory;
             s->first_surprise = first_surprise;
             return s;
           }),
           py::arg("predictor") = "copy_last", py::arg("metric") = "token_cosine", py::arg("segmenter") = "adaptive",
           py::arg("memory") = "peak_preserving", py::kw_only(), py::arg("normalizer") = py::none(),
           py::arg("first_surprise") = 1.0, py::arg("memory_threshold") = py::none(), py::arg("window") = py::none(),
           py::arg("budget") = py::none(), py::arg("seg_window") = py::none(), py::arg("gamma") = py::none(),
           py::arg("min_block") = py::none(), py::arg("max_block") = py::none())
      .def_property(
          "_resume_state", [](dyn_stream& s) { return py::make_tuple(s.t, s.first_surprise); },
          [](dyn_stream& s, const py::tuple& st) {  // for unpickling (bind_state.cpp): the frame counter
            if (st.size() != 2) throw invalid_argument_error("Stream._resume_state: expected (frames, first_surprise)");
            s.t = st[0].cast<std::size_t>();
          },
          "(frames seen, first_surprise): what pickling adds to the parts' own state.")
      .def(
          "step",
          [](dyn_stream& s, py::handle frame) {
            const frame_arg a = frame_of(frame, "frame");
            return stream_locked(s, "step", [&] { return s.step(a.view); });
          },
          py::arg("frame"),
          "One frame, (tokens, dim) or (dim,); returns a StepResult. Raises ShapeError, NonFiniteError (NaN/Inf in "
          "the frame), and whatever a component raises.")
      .def(
          "run",
          [](dyn_stream& s, py::handle frames, bool progress) {
            const auto f = frames_of(frames, "frames");
            py::array_t<double> surprise(py::ssize_t(f.n));
            std::vector<std::size_t> cuts;
            double* o = surprise.mutable_data();
            progress_bar bar(progress, f.n, "frame", "Stream.run");
            for_chunks(bar, f.n, [&](std::size_t start, std::size_t stop) {
              stream_locked(s, "run", [&] {
                for (std::size_t i = start; i < stop; ++i) {
                  const auto r = s.step(f.frame(i));
                  o[i] = r.surprise;
                  if (r.boundary) cuts.push_back(r.boundary->t);
                }
              });
            });
            return py::make_tuple(surprise, to_index_array(cuts));
          },
          py::arg("frames"), py::arg("progress") = false,
          "Steps through a sequence (frames, tokens, dim) or (frames, dim). Returns (surprise float64 (frames,), "
          "boundaries int64: first frames of new segments decided during the run, in the stream's frame index). "
          "progress=True shows a tqdm bar on stderr (needs tqdm, else ImportError; same result). Segmenters with a "
          "decision delay: call flush() at the end of the stream.")
      .def(
          "flush",
          [](dyn_stream& s) {
            const auto b =
                stream_locked(s, "flush", [&] { return s.segmenter ? s.segmenter->flush() : std::vector<boundary>{}; });
            return b;
          },
          "End of stream: the segmenter's pending boundaries (list[Boundary]).")
      .def(
          "reset",
          [](dyn_stream& s) {
            stream_locked(s, "reset", [&] {
              s.predictor->reset();
              s.metric->reset();
              if (s.normalizer) s.normalizer->reset();
              if (s.segmenter) s.segmenter->reset();
              s.t = 0;
            });
          },
          "Starts a new stream: resets the predictor, metric, normalizer and segmenter and the frame count; "
          "the memory is kept (call memory.clear() to forget it too).")
      .def_property_readonly(
          "frames_seen", [](dyn_stream& s) { return stream_locked(s, "frames_seen", [&] { return s.t; }); },
          "Frames stepped so far.")
      .def_property_readonly(
          "predictor", [](const dyn_stream& s) { return s.predictor_obj; },
          "The predictor object (the one passed in or built from its name).")
      .def_property_readonly(
          "metric", [](const dyn_stream& s) { return s.metric_obj; },
          "The metric as passed in (a name, a function, a GaussianNLL or a callable).")
      .def_property_readonly(
          "normalizer", [](const dyn_stream& s) { return s.normalizer_obj; }, "The normalizer object, or None.")
      .def_property_readonly(
          "segmenter", [](const dyn_stream& s) { return s.segmenter_obj; },
          "The segmenter object (the one passed in or built from its name), or None.")
      .def_property_readonly(
          "memory", [](const dyn_stream& s) { return s.memory_obj; },
          "The memory object (the one passed in or built from its policy name), or None.")
      .def_property_readonly(
          "first_surprise", [](const dyn_stream& s) { return s.first_surprise; },
          "Surprise given to frame 0 (no prediction exists; 1.0 in Cambrian-S).");
}
