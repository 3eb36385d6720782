// Python binding of the in-process video decoder (predsense/ffmpeg/frame_source.hpp):
//
//   for rgb, t in predsense.FrameSource("clip.mp4", width=128, height=128, fps="24000/1001"):
//       ...   # rgb: (height, width, 3) uint8 numpy array (a new array per frame); t: seconds
//
// FrameSource(path, width=0, height=0, fps=None, threads=0, autorotate=True): path a file, a named
// pipe or "-" (standard input); width/height 0: the stream's own size; fps a number or a string
// ("25", "29.97", "24000/1001": ffmpeg's notation) resamples as ffmpeg's fps filter; threads the
// decoder's (0: one per core). Properties: info (dict: index, position, width, height, fps,
// duration, rotation, codec), width, height, decode_errors, frames_decoded.
// Errors: predsense.FormatError (cannot open, not a video, picture too large), InvalidArgumentError
// (bad size or rate). Thread rule: one object per thread at a time (a per-object mutex); the GIL is
// released while a frame is decoded.
// Built only when FFmpeg's libraries were found (predsense::ffmpeg); predsense.build_info()["ffmpeg"].
#ifdef PREDSENSE_HAS_FFMPEG
#include <pybind11/numpy.h>
#include <pybind11/pybind11.h>

#include <cstdint>
#include <cstring>
#include <memory>
#include <optional>
#include <string>

#include "convert.hpp"
#include "predsense/core/error.hpp"
#include "predsense/ffmpeg/frame_source.hpp"

namespace py = pybind11;
using namespace predsense;
using namespace predsense_py;

namespace {

struct source_box : guarded {
  std::optional<frame_source> impl;
};

std::optional<frame_rate> rate_of(const py::object& fps) {
  if (fps.is_none()) return std::nullopt;
  std::string text;
  if (py::isinstance<py::str>(fps)) {
    text = fps.cast<std::string>();
  } else if (py::isinstance<py::int_>(fps) || py::isinstance<py::float_>(fps)) {
    text = py::str(fps).cast<std::string>();
  } else {
    throw py::type_error("FrameSource: fps must be a number or a string such as '24000/1001'");
  }
  const auto r = parse_frame_rate(text);
  if (!r)
    throw invalid_argument_error("FrameSource: fps must be a positive rate (e.g. 25, 29.97, '24000/1001'), got '" +
                                 text + "'");
  return r;
}

}  // namespace

void bind_frame_source(py::module_& m) {
  py::class_<source_box, std::shared_ptr<source_box>>(
      m, "FrameSource",
      "Decoded video frames in process (FFmpeg's libraries): iterate to get (rgb, time) pairs, rgb a (height, width, "
      "3) uint8 array, time the presentation time in seconds. The video stream is the largest that is not cover art; "
      "frames are scaled straight from the decoder's format (area filter) and turned by the display rotation, as "
      "`ffmpeg -vf scale=W:H:flags=area -pix_fmt rgb24` gives them; fps resamples as ffmpeg's fps filter.\n"
      "path: a file, a named pipe or '-' (standard input). width, height: output size (0, 0: the stream's own). fps: "
      "a number or ffmpeg's notation ('24000/1001'); None: every frame. threads: decoder threads (0: one per core). "
      "autorotate: apply the display rotation.\n"
      "Raises FormatError (cannot open, not a video, picture too large), InvalidArgumentError (bad size or rate), "
      "TypeError (fps of another type).\n"
      "Thread rule: per-object mutex; the GIL is released while a frame is decoded.")
      .def(py::init([](const std::string& path, std::size_t width, std::size_t height, const py::object& fps,
                       int threads, bool autorotate) {
             frame_source_params p;
             p.width = width;
             p.height = height;
             p.fps = rate_of(fps);
             p.threads = threads;
             p.autorotate = autorotate;
             auto box = std::make_shared<source_box>();
             {
               py::gil_scoped_release nogil;
               box->impl.emplace(path, p);
             }
             return box;
           }),
           py::arg("path"), py::arg("width") = 0, py::arg("height") = 0, py::arg("fps") = py::none(),
           py::arg("threads") = 0, py::arg("autorotate") = true)
      .def("__iter__", [](std::shared_ptr<source_box> self) { return self; })
      .def("__next__",
           [](source_box& self) {
             bool ok = false;
             video_frame f;  // this call's own frame: another thread's next() cannot overwrite it
             {
               py::gil_scoped_release nogil;
               std::lock_guard<std::mutex> lk(self.mu);
               ok = self.impl->read(f);
             }
             if (!ok) throw py::stop_iteration();
             py::array_t<std::uint8_t> a(
                 {static_cast<py::ssize_t>(f.height), static_cast<py::ssize_t>(f.width), py::ssize_t{3}});
             std::memcpy(a.mutable_data(), f.rgb.data(), f.rgb.size());
             return py::make_tuple(std::move(a), f.time);
           })
      .def_property_readonly(
          "width", [](const source_box& s) { return s.impl->width(); }, "output width in pixels (after rotation)")
      .def_property_readonly(
          "height", [](const source_box& s) { return s.impl->height(); }, "output height in pixels (after rotation)")
      .def_property_readonly(
          "decode_errors", [](const source_box& s) { return locked(s, [&] { return s.impl->decode_errors(); }); },
          "corrupt packets and frames the decoder flagged so far")
      .def_property_readonly(
          "frames_decoded", [](const source_box& s) { return locked(s, [&] { return s.impl->frames_decoded(); }); },
          "frames out of the decoder so far (before resampling)")
      .def_property_readonly(
          "info",
          [](const source_box& s) {
            const auto& i = s.impl->info();
            py::dict d;
            d["index"] = i.index;
            d["position"] = i.position;
            d["width"] = i.width;
            d["height"] = i.height;
            d["fps"] = i.average_rate.value();
            d["duration"] = i.duration;
            d["rotation"] = i.rotation;
            d["codec"] = i.codec;
            return d;
          },
          "the stream read: index (in the container), position (among its video streams), coded width and height, "
          "average fps (0 unknown), duration in s (0 unknown), rotation applied (degrees clockwise), codec");
}
#endif
