// Python bindings of the video primitives: the patch embedder, area_downsample, the cut segmenter
// and the transition detector -- enough to rebuild predsense-video's result step by step:
//
//   emb = PatchEmbedder()                       # 8x8 = 64 tokens x 256 dims from a 128x128 rgb24 frame
//   det = TransitionDetector(scale=6)           # thumbnails 32x32x3 in [0, 1]
//   for rgb in frames:                          # (128, 128, 3) uint8, as the tool decodes them
//       z = emb.embed(rgb)                      # (64, 256) float32 latents
//       ... surprise from any predictor ...
//       events += det.push(area_downsample(rgb, 32, 32), surprise)
//   events += det.flush()
//
// Shapes: images are (height, width, channels) uint8 (any integer/real dtype is converted to uint8
// only if it already holds 0..255 integers -- otherwise ShapeError/TypeError); thumbnails (h, w, c)
// or flat (h*w*c,) float32 in [0, 1]. Transitions are dicts {"frame", "start", "end", "kind",
// "score", "decided_at"} with inclusive frame indices (the C++ header
// predsense/segmentation/transition_detector.hpp documents the method and every parameter).
// Errors: predsense.ShapeError, NonFiniteError, InvalidArgumentError (ValueError subclasses).
#include <pybind11/pybind11.h>
#include <pybind11/stl.h>

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "convert.hpp"
#include "predsense/core/frame_buffer.hpp"
#include "predsense/encoders/patch_embedder.hpp"
#include "predsense/kernels/area_downsample.hpp"
#include "predsense/segmentation/cut_segmenter.hpp"
#include "predsense/segmentation/transition_detector.hpp"

namespace py = pybind11;
using namespace predsense;
using namespace predsense_py;

namespace {

using u8_array = py::array_t<std::uint8_t, py::array::c_style | py::array::forcecast>;

// An (h, w, c) image of 8-bit values.
struct image_arg {
  u8_array arr;
  std::size_t h = 0, w = 0, c = 0;
};

image_arg image_of(const py::handle& obj, const char* name) {
  py::array a = as_ndarray(obj, name);
  require_real(a, name, obj);
  if (a.ndim() != 3 && a.ndim() != 2)
    throw shape_error(std::string(name) +
                      ": expected an image of shape (height, width, channels) or (height, width), got " + shape_of(a));
  if (a.dtype().kind() != 'u' || a.dtype().itemsize() != 1) {
    // accept other dtypes only when they hold 0..255 integers (no silent rescaling of floats in [0, 1])
    auto np = py::module_::import("numpy");
    const bool ok =
        np.attr("all")(np.attr("equal")(np.attr("round")(a), a)).cast<bool>() &&
        (a.size() == 0 || (np.attr("min")(a).cast<double>() >= 0.0 && np.attr("max")(a).cast<double>() <= 255.0));
    if (!ok)
      throw py::type_error(std::string(name) + ": expected 8-bit pixel values (uint8, or integers 0..255), got dtype " +
                           std::string(py::str(a.dtype())));
  }
  image_arg img{converted<std::uint8_t>(a, name, obj)};
  img.h = std::size_t(img.arr.shape(0));
  img.w = std::size_t(img.arr.shape(1));
  img.c = img.arr.ndim() == 3 ? std::size_t(img.arr.shape(2)) : 1;
  if (img.h == 0 || img.w == 0 || img.c == 0)
    throw empty_error(std::string(name) + ": empty image (shape " + shape_of(img.arr) + ")");
  return img;
}

py::dict to_dict(const transition& t) {
  py::dict d;
  d["frame"] = t.frame;
  d["start"] = t.start;
  d["end"] = t.end;
  d["kind"] = std::string(to_string(t.kind));
  d["score"] = t.score;
  d["decided_at"] = t.decided_at;
  return d;
}

py::list to_list(const std::vector<transition>& v) {
  py::list out;
  for (const auto& t : v) out.append(to_dict(t));
  return out;
}

}  // namespace

void bind_video(py::module_& m) {
  py::class_<patch_embedder>(m, "PatchEmbedder",
                             "Weight-free patch embedder (predsense/encoders/patch_embedder.hpp): grid x grid tokens "
                             "of `dim` dims from an rgb24 image; predsense-video uses grid 8, dim 256, seed 1 on "
                             "128x128 frames.")
      .def(py::init([](std::size_t grid, std::size_t dim, std::uint64_t seed) {
             return patch_embedder(patch_embedder_params{grid, dim, seed});
           }),
           py::arg("grid") = 8, py::arg("dim") = 256, py::arg("seed") = 1)
      .def_property_readonly("tokens", &patch_embedder::tokens)
      .def_property_readonly("dim", &patch_embedder::dim)
      .def(
          "embed",
          [](const patch_embedder& e, const py::handle& image) {
            const auto img = image_of(image, "image");
            if (img.c != 3)
              throw shape_error("image: expected 3 colour channels (rgb24), got shape " + shape_of(img.arr));
            frame_buffer out;
            e.embed(std::span<const std::uint8_t>(img.arr.data(), img.arr.size()), img.w, img.h, out);
            return to_numpy(out);
          },
          py::arg("image"), "(height, width, 3) uint8 -> (tokens, dim) float32");

  m.def(
      "area_downsample",
      [](const py::handle& image, std::size_t out_w, std::size_t out_h) {
        const auto img = image_of(image, "image");
        std::vector<float> out;
        area_downsample(std::span<const std::uint8_t>(img.arr.data(), img.arr.size()), img.w, img.h, img.c, out_w,
                        out_h, out);
        return to_numpy(out, {out_h, out_w, img.c});
      },
      py::arg("image"), py::arg("out_width"), py::arg("out_height"),
      "Box-filter downsampling of an 8-bit (h, w, c) image to (out_height, out_width, c) float32 in [0, 1].");

  py::class_<cut_segmenter>(m, "CutSegmenter",
                            "Hard cuts in a surprise stream: local peak (prominence) AND robust outlier "
                            "(median + gamma * 1.4826 * MAD of the last `window`) AND >= floor "
                            "(predsense/segmentation/cut_segmenter.hpp).")
      .def(py::init([](std::size_t window, double gamma, double prominence, double floor, std::size_t lookahead,
                       std::size_t min_gap) {
             return cut_segmenter(cut_segmenter_params{window, gamma, prominence, floor, lookahead, min_gap});
           }),
           py::arg("window") = 50, py::arg("gamma") = 6.0, py::arg("prominence") = 0.12, py::arg("floor") = 0.02,
           py::arg("lookahead") = 2, py::arg("min_gap") = 1)
      .def(
          "push",
          [](cut_segmenter& s, double surprise, std::size_t t) -> std::optional<std::size_t> {
            if (auto b = s.push(surprise, t)) return b->t;
            return std::nullopt;
          },
          py::arg("surprise"), py::arg("t"), "Push step t; returns the cut decided now (its frame) or None.")
      .def(
          "flush",
          [](cut_segmenter& s) {
            std::vector<std::size_t> out;
            for (const auto& b : s.flush()) out.push_back(b.t);
            return out;
          },
          "Decide the last `lookahead` steps; returns their cuts.");

  py::class_<transition_detector>(m, "TransitionDetector",
                                  "Shot transitions (cut, dissolve, fade, dip) with [start, end] from per-frame "
                                  "thumbnails and surprise; flashes, camera motion and occluders do not fire "
                                  "(predsense/segmentation/transition_detector.hpp).")
      .def(py::init([](std::size_t width, std::size_t height, std::size_t channels, std::size_t scale,
                       std::size_t window, const py::kwargs& kw) {
             transition_detector_params p;
             p.width = width;
             p.height = height;
             p.channels = channels;
             p.scale = scale;
             p.window = window;
             for (const auto& [k, v] : kw) {
               const std::string key = py::str(k);
               if (key == "gamma")
                 p.gamma = v.cast<double>();
               else if (key == "floor")
                 p.floor = v.cast<double>();
               else if (key == "surprise_gamma")
                 p.surprise_gamma = v.cast<double>();
               else if (key == "surprise_floor")
                 p.surprise_floor = v.cast<double>();
               else if (key == "min_change")
                 p.min_change = v.cast<double>();
               else if (key == "max_residual")
                 p.max_residual = v.cast<double>();
               else if (key == "cut_contrast")
                 p.cut_contrast = v.cast<double>();
               else if (key == "dissolve_contrast")
                 p.dissolve_contrast = v.cast<double>();
               else if (key == "solid_std")
                 p.solid_std = v.cast<double>();
               else if (key == "min_hold")
                 p.min_hold = v.cast<std::size_t>();
               else if (key == "max_span")
                 p.max_span = v.cast<std::size_t>();
               else if (key == "warmup")
                 p.warmup = v.cast<std::size_t>();
               else
                 throw invalid_argument_error("TransitionDetector: unknown parameter '" + key +
                                              "' (see predsense/segmentation/transition_detector.hpp)");
             }
             return transition_detector(p);
           }),
           py::arg("width") = 32, py::arg("height") = 32, py::arg("channels") = 3, py::arg("scale") = 6,
           py::arg("window") = 50)
      .def(
          "push",
          [](transition_detector& d, const py::handle& thumb, double surprise) {
            const auto a = as_f32(thumb, "thumbnail");
            return to_list(d.push(std::span<const float>(a.data(), a.size()), surprise));
          },
          py::arg("thumbnail"), py::arg("surprise") = 0.0,
          "Push the next frame's thumbnail ((h, w, c) or flat float32 in [0, 1]) and surprise; returns the "
          "transitions decided now (dicts).")
      .def(
          "flush", [](transition_detector& d) { return to_list(d.flush()); },
          "Close an open span at the end of the stream; returns its transitions.")
      .def_property_readonly("frames", &transition_detector::frames);
}
