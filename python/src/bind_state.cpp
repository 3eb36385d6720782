// Python binding of component state (io/state_file.hpp): save(path) / load(path) and pickling
// for every predictor, normalizer, GaussianNLL and streaming segmenter, and pickling for Stream.
//
// Added to the classes the other bind_*.cpp files define (looked up on the module), so those files
// stay as they are. A component's pickle is its state file's bytes (the same validated format as
// save() writes); unpickling rebuilds it with the file's parameters.
#include <cstring>
#include <set>
#include <string>
#include <utility>

#include "components.hpp"
#include "predsense/counting/dedup_aggregator.hpp"
#include "predsense/counting/sum_aggregator.hpp"
#include "predsense/io/state_file.hpp"
#include "predsense/predictors/copy_last.hpp"
#include "predsense/predictors/ema_predictor.hpp"
#include "predsense/predictors/lfp_predictor.hpp"
#include "predsense/predictors/rls_predictor.hpp"
#include "predsense/predictors/transformer_predictor.hpp"
#include "predsense/segmentation/streaming/adaptive_segmenter.hpp"
#include "predsense/segmentation/streaming/bocpd_segmenter.hpp"
#include "predsense/segmentation/streaming/peak_segmenter.hpp"
#include "predsense/segmentation/streaming/threshold_segmenter.hpp"
#include "predsense/segmentation/offline/offline_segmenter.hpp"
#include "predsense/segmentation/video/cut_segmenter.hpp"
#include "predsense/surprise/ema_normalizer.hpp"
#include "predsense/surprise/gaussian_nll.hpp"
#include "predsense/surprise/zscore_normalizer.hpp"

using namespace predsense;
using namespace predsense_py;

namespace {

py::bytes as_bytes(const std::vector<std::byte>& b) {
  return py::bytes(reinterpret_cast<const char*>(b.data()), b.size());
}
std::vector<std::byte> of_bytes(const py::bytes& b) {
  const std::string s = b;
  std::vector<std::byte> out(s.size());
  if (!s.empty()) std::memcpy(out.data(), s.data(), s.size());
  return out;
}

// save / load / pickling for a box holding `impl` (predictor_box, normalizer_box, metric_box).
template <class Box, class C, class Base>
void def_state(py::module_& m, const char* name) {
  using cls_t = py::class_<Box, Base, std::shared_ptr<Box>>;
  auto cls = py::reinterpret_borrow<cls_t>(m.attr(name));
  cls.def(
         "save",
         [](Box& self, const std::string& path) {
           std::vector<std::byte> bytes;
           {
             std::lock_guard<std::mutex> lk(self.mu);
             bytes = encode_state(self.impl);
           }
           py::gil_scoped_release nogil;
           detail::atomic_write_file(path, std::span<const std::byte>(bytes));
           detail::remove_stale_temps(path);
         },
         py::arg("path"),
         "Writes this object's state (parameters and everything it has learned or buffered) to `path`, atomically "
         "(temp file + rename). Format: docs/python.md 'Saving and resuming'.")
      .def(
          "restore",
          [](Box& self, const std::string& path) {
            std::lock_guard<std::mutex> lk(self.mu);
            load_state(self.impl, std::filesystem::path(path));
          },
          py::arg("path"),
          "Replaces this object's state with the file's. The file must come from an object of the same class built "
          "with the same parameters: FormatError naming the file and the field (or the mismatching parameter) "
          "otherwise, and this object is unchanged.")
      .def_static(
          "load",
          [](const std::string& path) {
            const auto bytes = detail::read_file_bytes(path);
            return std::make_shared<Box>(state_from_bytes<C>(bytes, path));
          },
          py::arg("path"),
          "A new object rebuilt from a state file alone, with the parameters the file records (range-checked as "
          "the constructor would). FormatError naming the file and the field for a bad or foreign file.")
      .def(py::pickle(
          [](Box& self) {
            std::lock_guard<std::mutex> lk(self.mu);
            return as_bytes(encode_state(self.impl));
          },
          [](const py::bytes& b) {
            const auto bytes = of_bytes(b);
            return std::make_shared<Box>(state_from_bytes<C>(bytes, std::string(C::state_kind) + " pickle"));
          }));
}

// Segmenters also carry the box's own time check and the state at construction (reset, segment()).
template <class S>
void def_segmenter_state(py::module_& m, const char* name) {
  using Box = segmenter_box<S>;
  auto cls = py::reinterpret_borrow<segmenter_class<S>>(m.attr(name));
  auto encode = [](Box& self) {
    // the state file holds the live segmenter; the tuple adds the construction state and the time check
    std::lock_guard<std::mutex> lk(self.mu);
    return py::make_tuple(as_bytes(encode_state(self.impl)), as_bytes(encode_state(self.initial)), self.has_t,
                          self.last_t, self.nan_is_missing);
  };
  cls.def(
         "save",
         [](Box& self, const std::string& path) {
           std::vector<std::byte> bytes;
           {
             std::lock_guard<std::mutex> lk(self.mu);
             bytes = encode_state(self.impl);
           }
           py::gil_scoped_release nogil;
           detail::atomic_write_file(path, std::span<const std::byte>(bytes));
           detail::remove_stale_temps(path);
         },
         py::arg("path"),
         "Writes this segmenter's state (parameters, buffered look-ahead values, pending decisions) to `path`, "
         "atomically. Format: docs/python.md 'Saving and resuming'.")
      .def(
          "restore",
          [](Box& self, const std::string& path) {
            std::lock_guard<std::mutex> lk(self.mu);
            load_state(self.impl, std::filesystem::path(path));
            self.has_t = false;  // the next push continues the loaded stream
          },
          py::arg("path"),
          "Replaces this segmenter's state with the file's (same class, same parameters; FormatError naming the "
          "file and the field or parameter otherwise, and the segmenter is unchanged).")
      .def_static(
          "load",
          [](const std::string& path) {
            const auto bytes = detail::read_file_bytes(path);
            auto s = state_from_bytes<S>(bytes, path);
            return std::make_shared<Box>(s);  // reset() / segment() start from the loaded state
          },
          py::arg("path"),
          "A new segmenter rebuilt from a state file alone (parameters from the file); reset() and segment() "
          "start from the loaded state. FormatError naming the file and the field for a bad or foreign file.")
      .def(py::pickle(encode, [](const py::tuple& t) {
        if (t.size() != 5) throw format_error("predsense: segmenter pickle: expected a 5-tuple");
        const auto live = of_bytes(t[0].cast<py::bytes>()), init = of_bytes(t[1].cast<py::bytes>());
        auto box = std::make_shared<Box>(state_from_bytes<S>(init, std::string(S::state_kind) + " pickle (initial)"),
                                         t[4].cast<bool>());
        box->impl = state_from_bytes<S>(live, std::string(S::state_kind) + " pickle");
        box->has_t = t[2].cast<bool>();
        box->last_t = t[3].cast<std::size_t>();
        return box;
      }));
}

// pybind11's pickle factory constructs into a fresh instance; called on an object that already
// exists it would not replace its state. Wrapped so that it raises instead of doing nothing.
void guard_setstate(const py::object& cls, const char* name) {
  const py::object original = cls.attr("__setstate__");
  cls.attr("__setstate__") = py::cpp_function(
      [original, name](py::handle self, py::object state) {
        auto* inst = reinterpret_cast<py::detail::instance*>(self.ptr());
        auto vh = py::detail::values_and_holders(inst).begin();
        if (vh->holder_constructed())
          throw py::type_error(std::string(name) +
                               ".__setstate__ on an existing object would not replace its state: use "
                               "pickle.loads(...), " +
                               name + ".load(path) or obj.restore(path)");
        return original(self, state);
      },
      py::is_method(cls));
}

}  // namespace

void init_state(py::module_& m) {
  def_state<predictor_box<copy_last>, copy_last, predictor_base>(m, "CopyLast");
  def_state<predictor_box<ema_predictor>, ema_predictor, predictor_base>(m, "EMAPredictor");
  def_state<predictor_box<rls_predictor>, rls_predictor, predictor_base>(m, "RLSPredictor");
  def_state<predictor_box<lfp_predictor>, lfp_predictor, predictor_base>(m, "LFPPredictor");
  def_state<predictor_box<transformer_predictor>, transformer_predictor, predictor_base>(m, "TransformerPredictor");
  def_state<normalizer_box<zscore_normalizer>, zscore_normalizer, normalizer_base>(m, "ZScoreNormalizer");
  def_state<normalizer_box<ema_normalizer>, ema_normalizer, normalizer_base>(m, "EMANormalizer");
  def_state<metric_box<gaussian_nll<>>, gaussian_nll<>, metric_base>(m, "GaussianNLL");
  def_segmenter_state<threshold_segmenter>(m, "ThresholdSegmenter");
  def_segmenter_state<adaptive_segmenter>(m, "AdaptiveSegmenter");
  def_segmenter_state<peak_segmenter>(m, "PeakSegmenter");
  def_segmenter_state<bocpd_segmenter>(m, "BOCPDSegmenter");
  def_segmenter_state<cut_segmenter>(m, "CutSegmenter");
  def_segmenter_state<offline_segmenter>(m, "OfflineSegmenter");

  py::reinterpret_borrow<py::class_<sum_aggregator>>(m.attr("SumAggregator"))
      .def(py::pickle([](const sum_aggregator& a) { return as_bytes(encode_state(a)); },
                      [](const py::bytes& b) {
                        const auto bytes = of_bytes(b);
                        return state_from_bytes<sum_aggregator>(bytes, "sum_aggregator pickle");
                      }));

  py::reinterpret_borrow<py::class_<dedup_aggregator>>(m.attr("DedupAggregator"))
      .def(py::pickle([](const dedup_aggregator& a) { return as_bytes(encode_state(a)); },
                      [](const py::bytes& b) {
                        const auto bytes = of_bytes(b);
                        return state_from_bytes<dedup_aggregator>(bytes, "dedup_aggregator pickle");
                      }));

  for (const char* name :
       {"CopyLast", "EMAPredictor", "RLSPredictor", "LFPPredictor", "TransformerPredictor", "ZScoreNormalizer",
        "EMANormalizer", "GaussianNLL", "ThresholdSegmenter", "AdaptiveSegmenter", "PeakSegmenter", "BOCPDSegmenter",
        "CutSegmenter", "OfflineSegmenter", "MemoryStore", "TransitionDetector", "MiniTransformer", "PatchEmbedder"})
    guard_setstate(m.attr(name), name);

  // Stream: its parts pickle themselves; the stream adds the frame counter and first_surprise.
  auto stream_cls = m.attr("Stream");
  stream_cls.attr("__reduce__") = py::cpp_function(
      [stream_cls](py::object self) {
        const py::tuple st = self.attr("_resume_state");
        py::dict kw;
        kw["normalizer"] = self.attr("normalizer");
        kw["first_surprise"] = st[1];
        const py::object partial = py::module_::import("functools").attr("partial");
        return py::make_tuple(
            partial(stream_cls, **kw),
            py::make_tuple(self.attr("predictor"), self.attr("metric"), self.attr("segmenter"), self.attr("memory")),
            st);
      },
      py::is_method(stream_cls));
  stream_cls.attr("__setstate__") = py::cpp_function(
      [](py::object self, py::tuple st) { self.attr("_resume_state") = st; }, py::is_method(stream_cls));

  // Stream.save(path): one state file holding each part's own state bytes (U8 tensors) and, in the
  // metadata, each part's class (predsense classes only: a Python component cannot be saved) and the
  // frame counter. Stream.load(path) rebuilds the parts from those bytes through their validated
  // loaders; no pickle is ever read from a file.
  stream_cls.attr("save") = py::cpp_function(
      [m](py::object self, const std::string& path) {
        const py::object core = m;
        tensor_map tensors;
        nlohmann::json parts = nlohmann::json::object();
        auto put = [&](const char* slot, const std::string& suffix, const py::bytes& b) {
          const std::string str = b;
          tensor_data t;
          t.dtype = tensor_dtype::u8;
          t.shape = {str.size()};
          t.bytes.resize(str.size());
          if (!str.empty()) std::memcpy(t.bytes.data(), str.data(), str.size());
          tensors[std::string(slot) + suffix] = std::move(t);
        };
        for (const char* slot : {"predictor", "metric", "normalizer", "segmenter", "memory"}) {
          const py::object part = self.attr(slot);
          if (part.is_none()) {
            parts[slot] = nullptr;
            continue;
          }
          if (py::isinstance<py::str>(part)) {  // a metric by name
            parts[slot] = {{"name", part.cast<std::string>()}};
            continue;
          }
          const std::string cls = py::str(part.get_type().attr("__name__"));
          if (!py::hasattr(core, cls.c_str()) || !part.get_type().is(core.attr(cls.c_str())) ||
              !py::hasattr(part, "__getstate__"))
            throw py::type_error(std::string("Stream.save: the ") + slot + " (" + cls +
                                 ") is not a predsense component with a saved state; pickle the stream instead");
          const py::object st = part.attr("__getstate__")();
          if (py::isinstance<py::tuple>(st)) {  // a segmenter: (live, initial, has_t, last_t, nan_is_missing)
            const py::tuple t = st;
            put(slot, "", t[0]);
            put(slot, ".initial", t[1]);
            parts[slot] = {{"class", cls},
                           {"has_t", t[2].cast<bool>()},
                           {"last_t", t[3].cast<std::size_t>()},
                           {"nan_is_missing", t[4].cast<bool>()}};
          } else {
            put(slot, "", st);
            parts[slot] = {{"class", cls}};
          }
        }
        const py::tuple rs = self.attr("_resume_state");
        const nlohmann::json meta = {{"format", "predsense.state"},
                                     {"version", detail::state_version},
                                     {"kind", "python.stream"},
                                     {"params", nlohmann::json::object()},
                                     {"parts", parts},
                                     {"frames", rs[0].cast<std::size_t>()},
                                     {"first_surprise", rs[1].cast<double>()},
                                     {"checksum", detail::state_hex(detail::state_hash(tensors))}};
        const auto bytes = encode_safetensors(tensors, {{detail::state_key, meta.dump()}});
        py::gil_scoped_release nogil;
        detail::atomic_write_file(path, std::span<const std::byte>(bytes));
        detail::remove_stale_temps(path);
      },
      py::is_method(stream_cls), py::arg("path"),
      "Writes the stream's state (every part's, the frame counter) to `path` atomically. Parts must be predsense "
      "components (a Python component: TypeError; pickle the stream instead).");
  stream_cls.attr("load") = py::staticmethod(py::cpp_function(
      [m, stream_cls](const std::string& path) {
        const py::object core = m;
        const auto r = safetensors_reader::open(path);
        const std::string& src = r.source();
        const nlohmann::json meta = detail::state_metadata(r, "python.stream");
        tensor_map tensors = r.read_all();
        if (meta.at("checksum").get<std::string>() != detail::state_hex(detail::state_hash(tensors)))
          detail::throw_format(src, "checksum mismatch: the state file is corrupted");
        const auto parts = meta.find("parts");
        const auto frames = meta.find("frames");
        const auto first = meta.find("first_surprise");
        if (parts == meta.end() || !parts->is_object() || frames == meta.end() || !frames->is_number_unsigned() ||
            first == meta.end() || !first->is_number())
          detail::throw_format(src, "metadata /parts, /frames or /first_surprise missing or of the wrong type");
        auto blob = [&](const std::string& name) {
          const auto it = tensors.find(name);
          if (it == tensors.end() || it->second.dtype != tensor_dtype::u8)
            detail::throw_format(src, "tensor \"" + name + "\" is missing or not U8");
          return py::bytes(reinterpret_cast<const char*>(it->second.bytes.data()), it->second.bytes.size());
        };
        static const std::set<std::string> allowed = {
            "CopyLast",          "EMAPredictor",  "RLSPredictor",   "LFPPredictor", "TransformerPredictor",
            "ZScoreNormalizer",  "EMANormalizer", "GaussianNLL",    "MemoryStore",  "ThresholdSegmenter",
            "AdaptiveSegmenter", "PeakSegmenter", "BOCPDSegmenter", "CutSegmenter", "OfflineSegmenter"};
        py::dict kw;
        for (const char* slot : {"predictor", "metric", "normalizer", "segmenter", "memory"}) {
          const auto p = parts->find(slot);
          if (p == parts->end()) detail::throw_format(src, std::string("metadata /parts/") + slot + " is missing");
          if (p->is_null()) {
            kw[slot] = py::none();
            continue;
          }
          if (!p->is_object()) detail::throw_format(src, std::string("metadata /parts/") + slot + " is not an object");
          if (p->contains("name") && p->at("name").is_string()) {
            kw[slot] = py::str(p->at("name").get<std::string>());
            continue;
          }
          if (!p->contains("class") || !p->at("class").is_string() || !allowed.count(p->at("class").get<std::string>()))
            detail::throw_format(src, std::string("metadata /parts/") + slot + "/class is not a predsense component");
          const py::object cls = core.attr(p->at("class").get<std::string>().c_str());
          py::object obj = cls.attr("__new__")(cls);
          if (p->contains("has_t")) {
            const auto& j = *p;
            if (!j.at("has_t").is_boolean() || !j.contains("last_t") || !j.at("last_t").is_number_unsigned() ||
                !j.contains("nan_is_missing") || !j.at("nan_is_missing").is_boolean())
              detail::throw_format(src,
                                   std::string("metadata /parts/") + slot + ": segmenter fields of the wrong type");
            obj.attr("__setstate__")(py::make_tuple(blob(slot), blob(std::string(slot) + ".initial"),
                                                    j.at("has_t").get<bool>(), j.at("last_t").get<std::size_t>(),
                                                    j.at("nan_is_missing").get<bool>()));
          } else {
            obj.attr("__setstate__")(blob(slot));
          }
          kw[slot] = obj;
        }
        py::object s =
            stream_cls(kw["predictor"], kw["metric"], kw["segmenter"], kw["memory"],
                       py::arg("normalizer") = kw["normalizer"], py::arg("first_surprise") = first->get<double>());
        s.attr("_resume_state") = py::make_tuple(frames->get<std::size_t>(), first->get<double>());
        return s;
      },
      py::name("load"), py::arg("path"),
      "A Stream rebuilt from Stream.save's file: every part through its own validated loader. FormatError naming "
      "the file and the field for a bad file."));
}
