// predsense._core - arrays in, numpy out. One init_<area>(m) per binding file (python/src/bind_*.cpp).
//
// Arrays: python/src/convert.hpp (numpy, CPU tensors via DLPack zero-copy, lists, __array__; one
// shape rule). Threads: every object whose methods release the GIL holds a per-object mutex
// (convert.hpp, "the thread rule"). predsense's C++ errors map to Python exception classes
// deriving from ValueError (ShapeError, EmptyError, NonFiniteError, InvalidArgumentError,
// FormatError); a wrong type raises TypeError.
#include <pybind11/pybind11.h>

#include <string>

#include "convert.hpp"
#include "predsense/config.hpp"
#include "predsense/core/error.hpp"
#include "predsense/kernels/simd.hpp"

namespace py = pybind11;
using namespace predsense;

void init_surprise(py::module_& m);
void init_predictors(py::module_& m);
void init_segmentation(py::module_& m);
void init_memory(py::module_& m);
void init_stream(py::module_& m);
void init_eval_io(py::module_& m);
void init_state(py::module_& m);
void init_registry(py::module_& m);
void bind_offline_segmentation(py::module_& m);
void bind_video(py::module_& m);
#ifdef PREDSENSE_HAS_FFMPEG
void bind_frame_source(py::module_& m);
#endif

namespace {

py::dict build_info() {
  py::dict d;
#if PREDSENSE_SIMD
  d["simd"] = std::string(xsimd::default_arch::name());
#else
  d["simd"] = "scalar";
#endif
  d["simd_width"] = detail::simd::width;
#ifdef PREDSENSE_HAS_FFMPEG
  d["ffmpeg"] = true;  // FrameSource (in-process decoding) is available
#else
  d["ffmpeg"] = false;
#endif
#ifdef PREDSENSE_PY_VARIANT
  d["variant"] = std::string(PREDSENSE_PY_VARIANT);
  d["dispatch"] =
      "import-time: predsense/__init__.py loads the build for the widest instruction set this CPU "
      "runs (x86-64-v4 AVX-512, x86-64-v3 AVX2, x86-64 SSE2; PREDSENSE_SIMD=sse2|avx2|avx512 forces one)";
#else
  d["variant"] = "single";
  d["dispatch"] = "none: one build; its kernels use the widest instruction set its compiler flags enable";
#endif
#if defined(__AVX512F__)
  d["compiled_for"] = "avx512f";
#elif defined(__AVX2__)
  d["compiled_for"] = "avx2";
#elif defined(__SSE4_2__)
  d["compiled_for"] = "sse4.2";
#elif defined(__SSE2__)
  d["compiled_for"] = "sse2";
#else
  d["compiled_for"] = "generic";
#endif
  py::dict cpu;
#if defined(__x86_64__) || defined(__i386__)
  __builtin_cpu_init();
  cpu["sse2"] = bool(__builtin_cpu_supports("sse2"));
  cpu["sse4.2"] = bool(__builtin_cpu_supports("sse4.2"));
  cpu["avx"] = bool(__builtin_cpu_supports("avx"));
  cpu["avx2"] = bool(__builtin_cpu_supports("avx2"));
  cpu["fma"] = bool(__builtin_cpu_supports("fma"));
  cpu["avx512f"] = bool(__builtin_cpu_supports("avx512f"));
  cpu["x86-64-v3"] = bool(__builtin_cpu_supports("x86-64-v3"));
  cpu["x86-64-v4"] = bool(__builtin_cpu_supports("x86-64-v4"));
#endif
  d["cpu"] = cpu;
#if defined(__VERSION__)
  d["compiler"] = std::string(__VERSION__);
#endif
#if defined(NDEBUG)
  d["debug"] = false;
#else
  d["debug"] = true;
#endif
  return d;
}

}  // namespace

// One module, or one of several builds of it for different instruction sets (PREDSENSE_PY_VARIANT,
// python/CMakeLists.txt PREDSENSE_PY_DISPATCH and setup.py): predsense/__init__.py imports the best
// build the CPU runs, and every build names its types predsense._core.* (pickles move between them).
#ifndef PREDSENSE_PY_MODULE
#define PREDSENSE_PY_MODULE _core
#endif

PYBIND11_MODULE(PREDSENSE_PY_MODULE, m) {
#ifdef PREDSENSE_PY_VARIANT
  m.attr("__name__") = "predsense._core";
#endif
  m.doc() = "predsense: predictive-sensing primitives (C++ core)";
  // The version as written once, in predsense/config.hpp.
  m.attr("__version__") = std::to_string(PREDSENSE_VERSION_MAJOR) + "." + std::to_string(PREDSENSE_VERSION_MINOR) +
                          "." + std::to_string(PREDSENSE_VERSION_PATCH);

  auto base = py::register_exception<error>(m, "Error", PyExc_ValueError);
  py::register_exception<shape_error>(m, "ShapeError", base.ptr());
  py::register_exception<empty_error>(m, "EmptyError", base.ptr());
  py::register_exception<non_finite_error>(m, "NonFiniteError", base.ptr());
  py::register_exception<invalid_argument_error>(m, "InvalidArgumentError", base.ptr());
  py::register_exception<format_error>(m, "FormatError", base.ptr());
  // A value pybind11 cannot convert where the binding casts it (a Python component returning a str
  // where a float is due, a kwarg of the wrong type) is a wrong type: TypeError, not pybind11's
  // default RuntimeError. Local: only this module's functions.
  py::register_local_exception_translator([](std::exception_ptr p) {
    try {
      if (p) std::rethrow_exception(p);
    } catch (const py::cast_error& e) {
      PyErr_SetString(PyExc_TypeError, (std::string("wrong type: ") + e.what()).c_str());
    }
  });

  m.attr("simd_width") = detail::simd::width;
  m.def("build_info", &build_info,
        "What this build of the C++ core was compiled with: simd (xsimd architecture), simd_width (floats per "
        "batch), compiled_for, dispatch, cpu (features of the running CPU), compiler, debug.");
  m.def(
      "_frame_address",
      [](py::handle frame) {
        const auto a = predsense_py::frame_of(frame, "frame");
        return reinterpret_cast<std::uintptr_t>(a.view.data);
      },
      py::arg("frame"), "Testing hook: the address of the float32 data the C++ core reads for `frame`.");

  init_registry(m);
  init_surprise(m);
  init_predictors(m);
  init_segmentation(m);
  init_memory(m);
  init_stream(m);
  init_eval_io(m);
  bind_offline_segmentation(m);
  bind_video(m);
#ifdef PREDSENSE_HAS_FFMPEG
  bind_frame_source(m);  // predsense/ffmpeg/frame_source.hpp (built when FFmpeg was found)
#endif
  init_state(m);  // after every class it extends
}
