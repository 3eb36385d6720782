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
// predsense/segmentation/video/transition_detector.hpp documents the method and every parameter).
// CutSegmenter is a Segmenter (segmenter_box, components.hpp): it plugs into a Stream. The
// transition detector needs a thumbnail per frame, which a latent Stream does not have: it is used
// on its own (push/flush, or segment() over a whole video).
// Thread rule: PatchEmbedder and TransitionDetector hold a per-object mutex (they keep scratch /
// stream state) and release the GIL for their work.
// Errors: predsense.ShapeError, NonFiniteError, InvalidArgumentError (ValueError subclasses).
#include <pybind11/pybind11.h>
#include <pybind11/stl.h>

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "components.hpp"
#include "predsense/io/state_file.hpp"
#include "predsense/core/frame_buffer.hpp"
#include "predsense/encoders/patch_embedder.hpp"
#include "predsense/kernels/area_downsample.hpp"
#include "predsense/segmentation/video/cut_segmenter.hpp"
#include "predsense/segmentation/video/transition_detector.hpp"

namespace py = pybind11;
using namespace predsense;
using namespace predsense_py;

namespace {

using u8_array = py::array_t<std::uint8_t, py::array::c_style | py::array::forcecast>;

// 8-bit pixels: uint8, or another real dtype holding integers 0..255 (no silent rescaling of
// floats in [0, 1]: TypeError).
u8_array pixels_of(const py::handle& obj, const char* name, const py::array& a) {
  if (a.dtype().kind() != 'u' || a.dtype().itemsize() != 1) {
    auto np = py::module_::import("numpy");
    const bool ok =
        np.attr("all")(np.attr("equal")(np.attr("round")(a), a)).cast<bool>() &&
        (a.size() == 0 || (np.attr("min")(a).cast<double>() >= 0.0 && np.attr("max")(a).cast<double>() <= 255.0));
    if (!ok)
      throw py::type_error(std::string(name) + ": expected 8-bit pixel values (uint8, or integers 0..255), got dtype " +
                           std::string(py::str(a.dtype())));
  }
  return converted<std::uint8_t>(a, name, obj);
}

// An (h, w, c) or (h, w) image of 8-bit values.
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
  image_arg img{pixels_of(obj, name, a)};
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

struct embedder_box : guarded {
  patch_embedder impl;
  explicit embedder_box(const patch_embedder_params& p) : impl(p) {}
};

struct detector_box : guarded {
  transition_detector impl;
  explicit detector_box(const transition_detector_params& p) : impl(p) {}
};

constexpr const char* transition_dicts =
    "Transitions are dicts {'frame', 'start', 'end', 'kind', 'score', 'decided_at'}: kind 'cut' | 'dissolve' | "
    "'fade' | 'dip'; frame = where the new shot (or the solid colour of a fade-out) dominates, a cut's first frame "
    "of the new shot; [start, end] inclusive 0-based frame indices (a cut: start == end == frame); score = mean "
    "|A - B| of the thumbnails before and after, in [0, 1]; decided_at = the frame whose push reported it.";

}  // namespace

void bind_video(py::module_& m) {
  const patch_embedder_params pe{};
  py::class_<embedder_box, std::shared_ptr<embedder_box>>(
      m, "PatchEmbedder",
      "Weight-free patch embedder, a stand-in for a vision encoder (predsense/encoders/patch_embedder.hpp): an "
      "rgb24 image is cut into grid x grid patches (edges at floor(i * size / grid), row-major grid order); per "
      "patch 16 colour/gradient/layout statistics go through a fixed random +-1/4 projection (seeded splitmix64, "
      "bit-identical everywhere) to `dim` dims. Deterministic, no state between frames. predsense-video uses "
      "grid 8, dim 256, seed 1 on 128x128 frames (64 tokens x 256 dims). A baseline for hard cuts, not a semantic "
      "encoder (docs/video.md).\n"
      "grid: patches per side (>= 1, default 8). dim: token dimension (>= 1, default 256). seed: projection seed "
      "(default 1).\nRaises InvalidArgumentError for grid or dim 0.\n"
      "Thread rule: per-object mutex (scratch buffers); the GIL is released while embedding.")
      .def(py::init([](std::size_t grid, std::size_t dim, std::uint64_t seed) {
             // sizes checked before patch_embedder allocates its 16 x dim projection (16 x 2^62 wraps to
             // 0) and before embed() makes grid^2 x dim outputs: dim <= 2^24, grid^2 x dim <= 2^28 values
             if (grid != 0 && dim != 0 &&
                 (dim > (std::size_t(1) << 24) || grid > (std::size_t(1) << 14) ||
                  grid * grid > (std::size_t(1) << 28) / dim))
               throw invalid_argument_error("PatchEmbedder: grid " + std::to_string(grid) + ", dim " +
                                            std::to_string(dim) +
                                            ": dim must be <= 2^24 and grid x grid x dim <= 2^28 values");
             return std::make_shared<embedder_box>(patch_embedder_params{grid, dim, seed});
           }),
           py::arg("grid") = pe.grid, py::arg("dim") = pe.dim, py::arg("seed") = pe.seed)
      .def(py::pickle(  // no state between frames: the parameters rebuild it (through the checks above)
          [](const embedder_box& e) {
            const auto& p = e.impl.params();
            return py::make_tuple(p.grid, p.dim, p.seed);
          },
          [](const py::tuple& t) {
            if (t.size() != 3) throw format_error("predsense: PatchEmbedder pickle: expected (grid, dim, seed)");
            return py::module_::import("predsense._core")
                .attr("PatchEmbedder")(t[0], t[1], t[2])
                .cast<std::shared_ptr<embedder_box>>();
          }))
      .def_property_readonly(
          "tokens", [](const embedder_box& e) { return e.impl.tokens(); }, "Tokens per frame: grid * grid.")
      .def_property_readonly(
          "dim", [](const embedder_box& e) { return e.impl.dim(); }, "Dimension of each token.")
      .def(
          "embed",
          [](embedder_box& e, const py::handle& image) {
            const auto img = image_of(image, "image");
            if (img.c != 3)
              throw shape_error("image: expected 3 colour channels (rgb24), got shape " + shape_of(img.arr));
            if (img.h < e.impl.params().grid || img.w < e.impl.params().grid)
              throw shape_error("image: " + shape_of(img.arr) + " is smaller than the " +
                                std::to_string(e.impl.params().grid) + "x" + std::to_string(e.impl.params().grid) +
                                " patch grid");
            frame_buffer out;
            locked(e, [&] {
              e.impl.embed(std::span<const std::uint8_t>(img.arr.data(), img.arr.size()), img.w, img.h, out);
            });
            return to_numpy(out);
          },
          py::arg("image"),
          "One rgb24 frame (height, width, 3) uint8 (or integers 0..255; height, width >= grid) -> (tokens, dim) "
          "float32 latents, tokens in row-major patch order.\nRaises ShapeError (not (h, w, 3), or smaller than "
          "the grid), EmptyError, TypeError (floats that are not 0..255 integers).")
      .def(
          "embed_batch",
          [](embedder_box& e, const py::handle& images, bool progress) {
            py::array a = as_ndarray(images, "images");
            require_real(a, "images", images);
            if (a.ndim() != 4 || a.shape(3) != 3)
              throw shape_error("images: expected a video batch of shape (frames, height, width, 3) rgb24, got " +
                                shape_of(a));
            const auto px = pixels_of(images, "images", a);
            const std::size_t n = std::size_t(px.shape(0)), h = std::size_t(px.shape(1)), w = std::size_t(px.shape(2));
            if (n == 0 || h == 0 || w == 0) throw empty_error("images: empty video batch (shape " + shape_of(px) + ")");
            if (h < e.impl.params().grid || w < e.impl.params().grid)
              throw shape_error("images: frames " + shape_of(px) + " are smaller than the " +
                                std::to_string(e.impl.params().grid) + "x" + std::to_string(e.impl.params().grid) +
                                " patch grid");
            const std::size_t T = e.impl.tokens(), D = e.impl.dim(), bytes = h * w * 3;
            py::array_t<float> out({py::ssize_t(n), py::ssize_t(T), py::ssize_t(D)});
            float* o = out.mutable_data();
            progress_bar bar(progress, n, "frame", "PatchEmbedder.embed_batch");
            for_chunks(bar, n, [&](std::size_t start, std::size_t stop) {
              locked(e, [&] {
                frame_buffer z;
                for (std::size_t i = start; i < stop; ++i) {
                  e.impl.embed(std::span<const std::uint8_t>(px.data() + i * bytes, bytes), w, h, z);
                  std::copy_n(z.data(), T * D, o + i * T * D);
                }
              });
            });
            return out;
          },
          py::arg("images"), py::kw_only(), py::arg("progress") = false,
          "A video batch (frames, height, width, 3) uint8 -> (frames, tokens, dim) float32: embed() of every frame. "
          "progress=True shows a tqdm bar on stderr (needs tqdm, else ImportError); same result.\nRaises "
          "ShapeError (not 4-D with 3 channels, frames smaller than the grid), EmptyError, TypeError.");

  m.def(
      "area_downsample",
      [](const py::handle& image, std::size_t out_w, std::size_t out_h) {
        const auto img = image_of(image, "image");
        std::vector<float> out;
        {
          py::gil_scoped_release nogil;
          area_downsample(std::span<const std::uint8_t>(img.arr.data(), img.arr.size()), img.w, img.h, img.c, out_w,
                          out_h, out);
        }
        return to_numpy(out, {out_h, out_w, img.c});
      },
      py::arg("image"), py::arg("out_width"), py::arg("out_height"),
      "Box-filter (area) downsampling of an 8-bit image (height, width, channels) or (height, width) (uint8, or "
      "integers 0..255) to (out_height, out_width, channels) float32 in [0, 1] (value / 255, each output pixel "
      "the exact area-weighted mean of the source pixels it covers, as ffmpeg's scale=flags=area); predsense-video "
      "makes the transition detector's 32x32 thumbnails this way.\nRaises ShapeError (output size 0 or larger "
      "than the input, not 2-D/3-D), EmptyError, TypeError (floats that are not 0..255 integers).");

  segmenter_class<cut_segmenter> cut(
      m, "CutSegmenter",
      "Hard shot cuts in a surprise stream (predsense/segmentation/video/cut_segmenter.hpp): a boundary at step t (the "
      "first frame of the new shot, 0-based frame index) when s_t is an outlier against the previous `window` "
      "values (s_t > median + gamma * sigma, sigma = 1.4826 * MAD: EM-LLM's surprise rule, Fountas et al. 2024 "
      "sec. 3.1, with robust statistics; sigma at least the upper-tail spread (Q90 - median) / 1.2816 of the "
      "previous `long_window` values, so motion after a static shot is not an outlier), a local peak of prominence >= "
      "prominence * sigma (decided `lookahead` "
      "steps later) and >= absolute_prominence, >= `floor`, and >= min_separation steps after the previous boundary. "
      "The "
      "defaults are relative to the stream: a * s + b (a > 0) gives the same cuts, whatever the encoder. A "
      "Segmenter: push(value, t) -> Boundary | None, flush(), reset(), segment(surprise); plugs into "
      "Stream(segmenter=CutSegmenter()). The value at t = 0 is ignored.\n"
      "window: >= 3 (default 50). long_window: default 500 (0: off). min_history: values before the first "
      "possible cut, in [3, window] (default 10). gamma: >= 0 (default 6.0). prominence: >= 0, in sigma (default 6.0). "
      "absolute_prominence: >= 0, surprise units (default 0: off). floor: surprise units (default -inf: off). "
      "lookahead: decision delay in steps (default 2). min_separation: >= 1 (default 1; was min_gap).\n"
      "Raises InvalidArgumentError for a bad setting; push raises NonFiniteError for NaN/Inf, "
      "InvalidArgumentError when t does not increase.\nThread rule: per-object mutex.");
  const std::vector<std::string> cut_pos{"window", "gamma", "prominence", "floor", "lookahead", "min_separation"};
  cut.def(py::init([cut_pos](py::args a, py::kwargs k) {
    const auto v = values_from_python("segmenter", "cut", a, k, cut_pos, "CutSegmenter");
    return std::make_shared<segmenter_box<cut_segmenter>>(cut_segmenter(reg::cut_params(v)));
  }));
  mark_registry(cut, "segmenter", "cut", cut_pos);
  def_segment(cut, "surprise");

  py::class_<detector_box, std::shared_ptr<detector_box>> td =
      py::class_<detector_box, std::shared_ptr<detector_box>>(
          m, "TransitionDetector",
          (std::string(
               "Shot transitions of every kind (cut, dissolve, fade, dip) with [start, end], from a thumbnail and a "
               "surprise per frame; flashes, camera motion and occluders do not fire "
               "(predsense/segmentation/video/transition_detector.hpp: proposals by twin comparison, Zhang, "
               "Kankanhalli & "
               "Smoliar 1993 sec. 2.2, verified on the frames either side).\n"
               "Not a Stream segmenter: it needs each frame's thumbnail (an image), which a latent Stream does not "
               "have. Use push()/flush() frame by frame, or segment() over a whole video.\n"
               "width, height, channels: thumbnail layout (default 32 x 32 x 3; values in [0, 1], see "
               "area_downsample). scale: long-scale difference x_t vs x_(t-scale), in frames (default 6, ~0.24 s at 25 "
               "fps). window: quiet frames in the baselines (default 50). All 26 parameters are listed below, from the "
               "registry (transition_detector 'transition'); surprise_floor = 0 keeps the surprise rule relative to "
               "its "
               "own trailing median and MAD, so any encoder's surprise works.\n") +
           transition_dicts +
           "\nRaises InvalidArgumentError for invalid parameters.\nThread rule: per-object mutex; the GIL is "
           "released while detecting.")
              .c_str())
          .def(py::init([](py::args a, py::kwargs k) {
            const auto v = values_from_python("transition_detector", "transition", a, k,
                                              {"width", "height", "channels", "scale", "window"}, "TransitionDetector");
            return std::make_shared<detector_box>(reg::transition_params(v));
          }))
          .def(
              "push",
              [](detector_box& d, const py::handle& thumb, double surprise) {
                const auto a = as_f32(thumb, "thumbnail");
                const auto out =
                    locked(d, [&] { return d.impl.push(std::span<const float>(a.data(), a.size()), surprise); });
                return to_list(out);
              },
              py::arg("thumbnail"), py::arg("surprise") = 0.0,
              "Pushes the next frame (frame index = frames pushed before): its thumbnail, (height, width, channels) or "
              "flat (height*width*channels,) float32 in [0, 1], and its surprise (any predictor's, e.g. 1 - mean token "
              "cosine; 0 if there is none; frame 0's is ignored). Returns the transitions decided now (list of dicts; "
              "about scale + gap + 1 frames after a cut).\nRaises ShapeError (thumbnail size != "
              "height*width*channels), "
              "NonFiniteError (NaN/Inf in the surprise or the thumbnail).")
          .def(
              "flush",
              [](detector_box& d) {
                const auto out = locked(d, [&] { return d.impl.flush(); });
                return to_list(out);
              },
              "End of the video: closes an open span (its B = the last frame) and returns its transitions (list of "
              "dicts).")
          .def(
              "reset", [](detector_box& d) { locked(d, [&] { d.impl.reset(); }); },
              "Forgets the stream (frames pushed, baselines, open span); the parameters are kept.")
          .def(
              "segment",
              [](detector_box& d, const py::handle& thumbnails, const py::handle& surprise, bool progress) {
                const auto th = as_f32(thumbnails, "thumbnails");
                const auto s = doubles_of(surprise, "surprise");
                const auto& p = d.impl.params();
                const std::size_t m = p.width * p.height * p.channels;
                const std::size_t n = th.ndim() >= 1 ? std::size_t(th.shape(0)) : 0;
                if (th.ndim() < 2 || std::size_t(th.size()) != n * m)
                  throw shape_error("thumbnails: expected (frames, " + std::to_string(p.height) + ", " +
                                    std::to_string(p.width) + ", " + std::to_string(p.channels) + ") or (frames, " +
                                    std::to_string(m) + "), got " + shape_of(th));
                if (s.size() != n)
                  throw shape_error("surprise: " + std::to_string(s.size()) + " values for " + std::to_string(n) +
                                    " thumbnails (one per frame)");
                std::vector<transition> out;
                if (!progress) {
                  out = locked(d, [&] {
                    return d.impl.segment(std::span<const float>(th.data(), th.size()), std::span<const double>(s));
                  });
                  return to_list(out);
                }
                // the same steps as transition_detector::segment (reset, push every frame, flush, reset), in chunks
                progress_bar bar(progress, n, "frame", "TransitionDetector.segment");
                std::unique_lock<std::mutex> lk(d.mu, std::defer_lock);
                {
                  py::gil_scoped_release nogil;
                  lk.lock();  // held for the whole video: no other call interleaves
                  d.impl.reset();
                }
                for_chunks(bar, n, [&](std::size_t start, std::size_t stop) {
                  py::gil_scoped_release nogil;
                  for (std::size_t t = start; t < stop; ++t)
                    for (auto& tr : d.impl.push(std::span<const float>(th.data() + t * m, m), s[t])) out.push_back(tr);
                });
                {
                  py::gil_scoped_release nogil;
                  for (auto& tr : d.impl.flush()) out.push_back(tr);
                  d.impl.reset();
                }
                return to_list(out);
              },
              py::arg("thumbnails"), py::arg("surprise"), py::kw_only(), py::arg("progress") = false,
              "A whole video offline: thumbnails (frames, height, width, channels) or (frames, height*width*channels) "
              "float32 in [0, 1], surprise (frames,) (frame 0's is ignored). Same result as reset(), push() of every "
              "frame, flush(); the detector is reset before and after (a stream pushed so far is forgotten). Returns "
              "the transitions (list of dicts, in the order push/flush report them).\nprogress=True shows a tqdm bar "
              "on stderr (needs tqdm, else ImportError); same result.\nRaises ShapeError (layout, or surprise length "
              "!= "
              "frames), NonFiniteError.")
          .def_property_readonly(
              "frames", [](detector_box& d) { return locked(d, [&] { return d.impl.frames(); }); },
              "Frames pushed since construction or the last reset().");
  // state (io/state_file.hpp): the kept thumbnails, baselines and open span, as docs/python.md
  td.def(
        "save",
        [](detector_box& d, const std::string& path) {
          const auto bytes = locked(d, [&] { return encode_state(d.impl); });
          py::gil_scoped_release nogil;
          detail::atomic_write_file(path, std::span<const std::byte>(bytes));
          detail::remove_stale_temps(path);
        },
        py::arg("path"), "Writes the detector's state to `path` atomically (docs/python.md 'Saving and resuming').")
      .def(
          "restore",
          [](detector_box& d, const std::string& path) {
            locked(d, [&] { load_state(d.impl, std::filesystem::path(path)); });
          },
          py::arg("path"),
          "The file's state into this detector (same parameters; FormatError naming the file and the field or "
          "parameter otherwise, and the detector is unchanged).")
      .def_static(
          "load",
          [](const std::string& path) {
            const auto bytes = detail::read_file_bytes(path);
            auto d = std::make_shared<detector_box>(transition_detector_params{});
            d->impl = state_from_bytes<transition_detector>(bytes, path);
            return d;
          },
          py::arg("path"), "A detector rebuilt from a state file alone (parameters from the file).")
      .def(py::pickle(
          [](detector_box& d) {
            const auto b = locked(d, [&] { return encode_state(d.impl); });
            return py::bytes(reinterpret_cast<const char*>(b.data()), b.size());
          },
          [](const py::bytes& b) {
            const std::string s = b;
            const auto* p = reinterpret_cast<const std::byte*>(s.data());
            auto d = std::make_shared<detector_box>(transition_detector_params{});
            d->impl = state_from_bytes<transition_detector>(std::span<const std::byte>(p, s.size()),
                                                            "transition_detector pickle");
            return d;
          }));
  mark_registry(td, "transition_detector", "transition", {"width", "height", "channels", "scale", "window"});
}
