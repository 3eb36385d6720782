// Conversions shared by the binding files (python/src/*.cpp): numpy in, checked shapes, numpy out.
#pragma once
#include <pybind11/numpy.h>
#include <pybind11/pybind11.h>
#include <pybind11/stl.h>

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "predsense/core/error.hpp"
#include "predsense/core/frame_view.hpp"

namespace predsense_py {

namespace py = pybind11;
using namespace predsense;

using f32_array = py::array_t<float, py::array::c_style | py::array::forcecast>;

// A float32 C-order array for `obj`: the same object when it already is one, else one converted
// copy. Non-real dtypes are refused.
inline f32_array as_f32(const py::handle& obj, const char* name) {
  if (!py::isinstance<py::array>(obj))
    throw py::type_error(std::string(name) + ": expected a numpy array, got " +
                         std::string(py::str(py::type::of(obj).attr("__name__"))));
  const auto arr = py::reinterpret_borrow<py::array>(obj);
  const char kind = arr.dtype().kind();
  if (kind != 'f' && kind != 'i' && kind != 'u' && kind != 'b')
    throw py::type_error(std::string(name) + ": dtype " + std::string(py::str(arr.dtype())) +
                         " is not a real number type; pass float32 (other real dtypes are converted)");
  return f32_array::ensure(arr);  // no copy for float32 C-contiguous input
}

inline std::string shape_of(const py::array& a) {
  std::string s = "(";
  for (py::ssize_t i = 0; i < a.ndim(); ++i) s += (i ? ", " : "") + std::to_string(a.shape(i));
  return s + (a.ndim() == 1 ? ",)" : ")");
}

// A 2-D T x D frame.
inline frame_view frame_of(const f32_array& a, const char* name) {
  if (a.ndim() != 2)
    throw shape_error(std::string(name) + ": expected a 2-D (tokens, dim) array, got shape " + shape_of(a));
  return frame_view(a.data(), std::size_t(a.shape(0)), std::size_t(a.shape(1)));
}

// A 3-D N x T x D stack of frames.
struct frames_arg {
  f32_array arr;
  std::size_t n, t, d;
  frame_view frame(std::size_t i) const { return frame_view(arr.data() + i * t * d, t, d); }
};
inline frames_arg frames_of(const py::handle& obj, const char* name) {
  frames_arg f{as_f32(obj, name), 0, 0, 0};
  if (f.arr.ndim() != 3)
    throw shape_error(std::string(name) + ": expected a 3-D (frames, tokens, dim) array, got shape " +
                      shape_of(f.arr));
  f.n = std::size_t(f.arr.shape(0)), f.t = std::size_t(f.arr.shape(1)), f.d = std::size_t(f.arr.shape(2));
  if (f.n == 0) throw empty_error(std::string(name) + ": no frames (shape " + shape_of(f.arr) + ")");
  return f;
}

// A 1-D series (n,) or a multivariate one (n, dims), as float64 row-major, with its dims.
inline std::pair<std::vector<double>, std::size_t> series_of(const py::handle& obj, const char* name) {
  auto a = py::array_t<double, py::array::c_style | py::array::forcecast>::ensure(obj);
  if (!a || (a.ndim() != 1 && a.ndim() != 2))
    throw shape_error(std::string(name) + ": expected a 1-D (n,) or 2-D (n, dims) array of numbers");
  const std::size_t dims = a.ndim() == 2 ? std::size_t(a.shape(1)) : 1;
  return {std::vector<double>(a.data(), a.data() + a.size()), dims};
}

inline std::vector<std::vector<std::int64_t>> annotations_of(const py::handle& obj) {
  std::vector<std::vector<std::int64_t>> out;
  for (auto ann : obj) out.push_back(ann.cast<std::vector<std::int64_t>>());
  return out;
}

inline std::vector<double> doubles_of(const py::handle& obj, const char* name) {
  auto a = py::array_t<double, py::array::c_style | py::array::forcecast>::ensure(obj);
  if (!a || a.ndim() != 1)
    throw shape_error(std::string(name) + ": expected a 1-D array of numbers");
  return std::vector<double>(a.data(), a.data() + a.size());
}

}  // namespace predsense_py
