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
void bind_offline_segmentation(py::module_& m);

namespace {

py::dict build_info() {
  py::dict d;
#if PREDSENSE_SIMD
  d["simd"] = std::string(xsimd::default_arch::name());
#else
  d["simd"] = "scalar";
#endif
  d["simd_width"] = detail::simd::width;
  d["dispatch"] = "compile-time (the kernels use the widest instruction set the compiler flags enable)";
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

PYBIND11_MODULE(_core, m) {
  m.doc() = "predsense: predictive-sensing primitives (C++ core)";

  auto base = py::register_exception<error>(m, "Error", PyExc_ValueError);
  py::register_exception<shape_error>(m, "ShapeError", base.ptr());
  py::register_exception<empty_error>(m, "EmptyError", base.ptr());
  py::register_exception<non_finite_error>(m, "NonFiniteError", base.ptr());
  py::register_exception<invalid_argument_error>(m, "InvalidArgumentError", base.ptr());
  py::register_exception<format_error>(m, "FormatError", base.ptr());

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

  init_surprise(m);
  init_predictors(m);
  init_segmentation(m);
  init_memory(m);
  init_stream(m);
  init_eval_io(m);
  bind_offline_segmentation(m);
}
