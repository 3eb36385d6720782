// Conversions shared by the binding files (python/src/*.cpp): arrays in, checked shapes, numpy out.
//
// One array caster (as_f32 / as_f64) for every binding:
//   * a numpy array: float32 C-order is viewed in place; other real dtypes are converted once;
//   * anything exporting DLPack (torch tensors, jax, cupy, ...): its "dltensor" capsule is read
//     directly (zero-copy; a float32 C-contiguous torch tensor is read at its own data_ptr());
//     a torch tensor with the negative bit (z.conj().imag) is resolved first (one copy), never
//     read with the wrong sign; a tensor on another device raises TypeError naming the device;
//   * anything numpy.asarray accepts (lists, scalars, __array__, __array_interface__, buffers).
// Complex, object and string dtypes raise TypeError; a conversion that fails inside numpy
// (MemoryError, ...) re-raises that Python error (never a null array).
// One shape rule: a frame is (T, D) or (D,) = one token; a sequence is (frames, T, D) or
// (frames, D) = one token per frame.
#pragma once
#include <pybind11/numpy.h>
#include <pybind11/pybind11.h>
#include <pybind11/stl.h>

#include <dlpack/dlpack.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <mutex>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "predsense/core/error.hpp"
#include "predsense/core/frame_buffer.hpp"
#include "predsense/core/frame_view.hpp"

namespace predsense_py {

namespace py = pybind11;
using namespace predsense;

using f32_array = py::array_t<float, py::array::c_style | py::array::forcecast>;
using f64_array = py::array_t<double, py::array::c_style | py::array::forcecast>;

inline std::string type_name(const py::handle& obj) { return std::string(py::str(py::type::of(obj).attr("__name__"))); }

inline std::string shape_of(const py::array& a) {
  std::string s = "(";
  for (py::ssize_t i = 0; i < a.ndim(); ++i) s += (i ? ", " : "") + std::to_string(a.shape(i));
  return s + (a.ndim() == 1 ? ",)" : ")");
}

// ---- DLPack ------------------------------------------------------------------------------------
// A "dltensor" capsule (the DLPack exchange protocol, https://dmlc.github.io/dlpack/latest/python_spec.html)
// read directly: the DLManagedTensor's memory viewed as a numpy array whose base owns the tensor
// (its deleter runs when the view dies). The C structs come from Debian's libdlpack-dev
// (<dlpack/dlpack.h>, DLPack 0.6, the unversioned ABI torch 1.13 exports).
namespace dlpack {

inline constexpr std::uint8_t dl_bool = 6;  // kDLBool, added in DLPack 0.8 (after the header we build with)

// The numpy dtype of a DLPack element type; nullopt for types numpy cannot hold (bfloat16,
// complex, opaque handles, vector lanes).
inline std::optional<py::dtype> numpy_dtype_of(const DLDataType& t) {
  if (t.lanes != 1) return std::nullopt;
  switch (t.code) {
    case kDLFloat:
      if (t.bits == 32) return py::dtype::of<float>();
      if (t.bits == 64) return py::dtype::of<double>();
      if (t.bits == 16) return py::dtype("float16");
      return std::nullopt;
    case kDLInt:
      if (t.bits == 8) return py::dtype::of<std::int8_t>();
      if (t.bits == 16) return py::dtype::of<std::int16_t>();
      if (t.bits == 32) return py::dtype::of<std::int32_t>();
      if (t.bits == 64) return py::dtype::of<std::int64_t>();
      return std::nullopt;
    case kDLUInt:
      if (t.bits == 8) return py::dtype::of<std::uint8_t>();
      if (t.bits == 16) return py::dtype::of<std::uint16_t>();
      if (t.bits == 32) return py::dtype::of<std::uint32_t>();
      if (t.bits == 64) return py::dtype::of<std::uint64_t>();
      return std::nullopt;
    default:
      if (t.code == dl_bool && t.bits == 8) return py::dtype::of<bool>();
      return std::nullopt;
  }
}

inline std::string dl_type_name(const DLDataType& t) {
  const char* code = t.code == kDLFloat     ? "float"
                     : t.code == kDLInt     ? "int"
                     : t.code == kDLUInt    ? "uint"
                     : t.code == kDLBfloat  ? "bfloat"
                     : t.code == kDLComplex ? "complex"
                     : t.code == dl_bool    ? "bool"
                                            : "opaque";
  return std::string(code) + std::to_string(t.bits) + (t.lanes != 1 ? "x" + std::to_string(t.lanes) : "");
}

// Takes the DLManagedTensor out of a "dltensor" capsule: the capsule is renamed "used_dltensor"
// (the protocol's rule: its destructor then leaves the tensor alone) and the returned capsule
// owns it, calling its deleter once when the last view of the memory is gone.
inline py::capsule take_dltensor(const py::object& cap, const char* name, const py::handle& obj) {
  auto* m = static_cast<DLManagedTensor*>(PyCapsule_GetPointer(cap.ptr(), "dltensor"));
  if (m == nullptr) {
    PyErr_Clear();
    throw py::type_error(std::string(name) + ": " + type_name(obj) +
                         ".__dlpack__() did not return an unused 'dltensor' capsule");
  }
  if (PyCapsule_SetName(cap.ptr(), "used_dltensor") != 0) throw py::error_already_set();
  return py::capsule(m, [](void* p) {
    auto* t = static_cast<DLManagedTensor*>(p);
    if (t->deleter) t->deleter(t);
  });
}

// CPU memory or CUDA/ROCm pinned host memory, else TypeError naming the device.
inline void require_host(int device_type, const char* name, const py::handle& obj) {
  if (device_type == kDLCPU || device_type == kDLCUDAHost || device_type == kDLROCMHost) return;
  std::string where = "DLPack device type " + std::to_string(device_type);
  if (py::hasattr(obj, "device")) where = std::string(py::str(obj.attr("device")));
  throw py::type_error(std::string(name) + ": a " + type_name(obj) + " on device " + where +
                       "; predsense reads CPU memory: pass tensor.cpu() (or .detach().cpu())");
}

// The tensor's memory as a numpy array (no copy), refusing what predsense cannot read: another
// device (TypeError naming it), complex, and element types numpy lacks; bfloat16 is widened to
// float32 here (one copy: numpy has no bfloat16).
inline py::array array_of_dltensor(const py::capsule& owner, const char* name, const py::handle& obj) {
  const DLTensor& t = static_cast<DLManagedTensor*>(owner.get_pointer())->dl_tensor;
  require_host(int(t.device.device_type), name, obj);
  if (t.ndim < 0 || (t.ndim > 0 && t.shape == nullptr))
    throw py::type_error(std::string(name) + ": " + type_name(obj) + " exported a malformed DLPack tensor");
  const auto bytes = py::ssize_t((t.dtype.bits + 7) / 8);
  std::vector<py::ssize_t> shape(t.shape, t.shape + t.ndim), strides(std::size_t(t.ndim));
  for (int i = t.ndim - 1; i >= 0; --i)  // DLPack strides count elements; NULL = C order
    strides[std::size_t(i)] = t.strides         ? py::ssize_t(t.strides[i]) * bytes
                              : i == t.ndim - 1 ? bytes
                                                : strides[std::size_t(i) + 1] * shape[std::size_t(i) + 1];
  void* data = static_cast<char*>(t.data) + t.byte_offset;
  if (auto dt = numpy_dtype_of(t.dtype)) {
    py::array a(*dt, std::move(shape), std::move(strides), data, owner);
    // read-only: predsense never writes into an argument
    py::detail::array_proxy(a.ptr())->flags &= ~py::detail::npy_api::NPY_ARRAY_WRITEABLE_;
    return a;
  }
  if (t.dtype.code == kDLBfloat && t.dtype.bits == 16 && t.dtype.lanes == 1) {
    // bfloat16 is the top half of a float32: view it as uint16, compact it, widen it
    const auto u16 =
        py::module_::import("numpy")
            .attr("ascontiguousarray")(py::array(py::dtype::of<std::uint16_t>(), shape, strides, data, owner))
            .cast<py::array_t<std::uint16_t>>();
    py::array_t<float> out(shape);
    const std::uint16_t* in = u16.data();
    float* o = out.mutable_data();
    for (py::ssize_t i = 0; i < u16.size(); ++i) {
      const std::uint32_t bits = std::uint32_t(in[i]) << 16;
      std::memcpy(o + i, &bits, sizeof bits);
    }
    return out;
  }
  throw py::type_error(std::string(name) + ": dtype " + dl_type_name(t.dtype) + " (from " + type_name(obj) +
                       ") is not a real number type; pass float32 (other real dtypes are converted)");
}

// torch, once the user has imported it: torch.Tensor and torch.to_dlpack (the C exporter that
// Tensor.__dlpack__ wraps in Python-level checks). Borrowed for the life of the process (torch
// is never unloaded); filled under the GIL, no static guard (a guard held across a call into
// Python can deadlock with the GIL).
struct torch_api {
  PyObject* tensor = nullptr;
  PyObject* to_dlpack = nullptr;
};
inline const torch_api& torch_if_imported() {
  static torch_api api;  // constant-initialized
  if (api.tensor == nullptr) {
    PyObject* mod = PyDict_GetItemString(PyImport_GetModuleDict(), "torch");  // borrowed; no import
    if (mod == nullptr) return api;
    PyObject* tensor = PyObject_GetAttrString(mod, "Tensor");
    PyObject* export_fn = tensor ? PyObject_GetAttrString(mod, "to_dlpack") : nullptr;
    if (tensor && export_fn && PyType_Check(tensor)) {
      api.to_dlpack = export_fn;
      api.tensor = tensor;
    } else {  // torch half-imported (we are inside its own import): try again next time
      Py_XDECREF(tensor);
      Py_XDECREF(export_fn);
      PyErr_Clear();
    }
  }
  return api;
}

// A torch tensor's memory. DLPack carries no negative bit (torch 1.13 exports a tensor with the bit
// set as its positive storage: z.conj().imag would be read with the wrong sign), so such a tensor is
// resolved first (resolve_neg(): one copy). A tensor that requires grad is read as it is (reading
// does not touch the graph; Tensor.__dlpack__ would refuse it). The conjugate bit exists only on
// complex tensors, which are refused by their dtype (TypeError naming the argument).
inline py::array array_of_torch(const torch_api& torch, const py::handle& obj, const char* name) {
  py::object t = py::reinterpret_borrow<py::object>(obj);
  try {
    if (t.attr("is_neg")().cast<bool>()) t = t.attr("resolve_neg")();
  } catch (py::error_already_set& e) {
    throw py::type_error(std::string(name) + ": could not read the " + type_name(obj) + " (" + e.what() + ")");
  }
  PyObject* cap = PyObject_CallOneArg(torch.to_dlpack, t.ptr());
  if (cap == nullptr) {  // bool (torch 1.13 has no DLPack bool), sparse, quantized, ...: the array protocol
    const py::error_already_set e;
    try {
      return py::module_::import("numpy").attr("asarray")(t).cast<py::array>();
    } catch (py::error_already_set&) {
      throw py::type_error(std::string(name) + ": " + type_name(obj) + " cannot be exported through DLPack (" +
                           e.what() + "); pass a dense CPU tensor of real numbers");
    }
  }
  return array_of_dltensor(take_dltensor(py::reinterpret_steal<py::object>(cap), name, obj), name, obj);
}

}  // namespace dlpack

// Any array-like as a numpy array (no copy where numpy can avoid one). TypeError on failure.
inline py::array as_ndarray(const py::handle& obj, const char* name) {
  if (py::isinstance<py::array>(obj)) return py::reinterpret_borrow<py::array>(obj);
  const auto& torch = dlpack::torch_if_imported();
  if (torch.tensor != nullptr && PyObject_TypeCheck(obj.ptr(), reinterpret_cast<PyTypeObject*>(torch.tensor)))
    return dlpack::array_of_torch(torch, obj, name);
  const bool has_dlpack = py::hasattr(obj, "__dlpack__");
  if (has_dlpack || py::hasattr(obj, "__dlpack_device__")) {  // jax, cupy, ...: the producer's own export
    if (py::hasattr(obj, "__dlpack_device__")) {              // the protocol: the device first, then the capsule
      int dev_type = 0;
      try {
        dev_type = obj.attr("__dlpack_device__")().cast<py::tuple>()[0].cast<int>();
      } catch (py::error_already_set& e) {
        throw py::type_error(std::string(name) + ": " + type_name(obj) + ".__dlpack_device__() failed: " + e.what());
      }
      dlpack::require_host(dev_type, name, obj);
    }
    py::object cap;
    try {
      if (has_dlpack) cap = obj.attr("__dlpack__")();
    } catch (py::error_already_set& e) {
      if (e.matches(PyExc_MemoryError)) throw;  // else: the array protocol below may still read it
    }
    if (cap) return dlpack::array_of_dltensor(dlpack::take_dltensor(cap, name, obj), name, obj);
  }
  try {
    return py::module_::import("numpy").attr("asarray")(obj).cast<py::array>();
  } catch (py::error_already_set& e) {
    if (e.matches(PyExc_MemoryError)) throw;
    throw py::type_error(std::string(name) + ": expected an array (numpy array, CPU tensor, list of numbers), got " +
                         type_name(obj) + " (" + e.what() + ")");
  }
}

inline void require_real(const py::array& arr, const char* name, const py::handle& obj) {
  const char kind = arr.dtype().kind();
  if (kind != 'f' && kind != 'i' && kind != 'u' && kind != 'b')
    throw py::type_error(std::string(name) + ": dtype " + std::string(py::str(arr.dtype())) + " (from " +
                         type_name(obj) +
                         ") is not a real number type; pass float32 (other real dtypes are converted)");
}

// `arr` as a C-order array of T: the same array when it already is one, else one copy made by
// numpy.ascontiguousarray (so a failure raises numpy's own error, MemoryError included; pybind11's
// array_t::ensure would clear it and hand back a null array).
template <class T>
py::array_t<T, py::array::c_style | py::array::forcecast> converted(const py::array& arr, const char* name,
                                                                    const py::handle& obj) {
  using out_t = py::array_t<T, py::array::c_style | py::array::forcecast>;
  require_real(arr, name, obj);
  py::array src = arr;
  if (!(py::isinstance<out_t>(arr) && (arr.flags() & py::array::c_style)))
    src = py::module_::import("numpy").attr("ascontiguousarray")(arr, py::dtype::of<T>()).template cast<py::array>();
  auto out = out_t::ensure(src);  // no copy now
  if (!out) throw py::type_error(std::string(name) + ": could not be viewed as a C-order array");
  return out;
}

// A float32 C-order array for `obj`: the same memory when it already is one, else one converted copy.
inline f32_array as_f32(const py::handle& obj, const char* name) {
  return converted<float>(as_ndarray(obj, name), name, obj);
}

inline f64_array as_f64(const py::handle& obj, const char* name) {
  return converted<double>(as_ndarray(obj, name), name, obj);
}

// A frame: (T, D), or (D,) = one token. Keeps the array alive with its view.
struct frame_arg {
  f32_array arr;
  frame_view view;
};
inline frame_arg frame_of(const py::handle& obj, const char* name) {
  frame_arg f{as_f32(obj, name), {}};
  const auto& a = f.arr;
  if (a.ndim() != 1 && a.ndim() != 2)
    throw shape_error(std::string(name) + ": expected a frame of shape (tokens, dim) or (dim,), got shape " +
                      shape_of(a));
  const std::size_t t = a.ndim() == 2 ? std::size_t(a.shape(0)) : 1, d = std::size_t(a.shape(a.ndim() - 1));
  // checked here, before frame_view's own check, so the message names the argument
  if (t == 0 || d == 0)
    throw empty_error(std::string(name) + ": empty frame (shape " + shape_of(a) +
                      "); a frame needs at least one token of at least one dimension");
  f.view = frame_view(a.data(), t, d);
  return f;
}

// A sequence of frames: (N, T, D), or (N, D) = one token per frame.
struct frames_arg {
  f32_array arr;
  std::size_t n = 0, t = 0, d = 0;
  frame_view frame(std::size_t i) const { return frame_view(arr.data() + i * t * d, t, d); }
};
inline frames_arg frames_of(const py::handle& obj, const char* name) {
  frames_arg f{as_f32(obj, name)};
  const auto& a = f.arr;
  if (a.ndim() == 3)
    f.n = std::size_t(a.shape(0)), f.t = std::size_t(a.shape(1)), f.d = std::size_t(a.shape(2));
  else if (a.ndim() == 2)
    f.n = std::size_t(a.shape(0)), f.t = 1, f.d = std::size_t(a.shape(1));
  else
    throw shape_error(std::string(name) +
                      ": expected a sequence of shape (frames, tokens, dim) or (frames, dim), got shape " +
                      shape_of(a));
  if (f.n == 0) throw empty_error(std::string(name) + ": no frames (shape " + shape_of(a) + ")");
  if (f.t == 0 || f.d == 0) throw empty_error(std::string(name) + ": empty frames (shape " + shape_of(a) + ")");
  return f;
}

// A 1-D series (n,) or a multivariate one (n, dims), as float64 row-major, with its dims.
inline std::pair<std::vector<double>, std::size_t> series_of(const py::handle& obj, const char* name) {
  const auto a = as_f64(obj, name);
  if (a.ndim() != 1 && a.ndim() != 2)
    throw shape_error(std::string(name) + ": expected a 1-D (n,) or 2-D (n, dims) array of numbers, got shape " +
                      shape_of(a));
  const std::size_t dims = a.ndim() == 2 ? std::size_t(a.shape(1)) : 1;
  return {std::vector<double>(a.data(), a.data() + a.size()), dims};
}

// Change indices per annotator: an iterable of lists of ints, else TypeError naming the argument
// (pybind11's own cast_error would surface as an unnamed RuntimeError).
inline std::vector<std::vector<std::int64_t>> annotations_of(const py::handle& obj) {
  std::vector<std::vector<std::int64_t>> out;
  const auto refuse = [&](const std::string& why) {
    return py::type_error("annotations: expected one list of int change indices per annotator, got " + type_name(obj) +
                          why);
  };
  try {
    for (auto ann : obj) out.push_back(ann.cast<std::vector<std::int64_t>>());
  } catch (const py::cast_error&) {
    throw refuse(" holding something other than lists of ints");
  } catch (py::error_already_set& e) {
    if (!e.matches(PyExc_TypeError)) throw;
    throw refuse(std::string(" (") + e.what() + ")");
  }
  return out;
}

// A 1-D array of numbers; a scalar counts as one value.
inline std::vector<double> doubles_of(const py::handle& obj, const char* name) {
  const auto a = as_f64(obj, name);
  if (a.ndim() > 1)
    throw shape_error(std::string(name) + ": expected a 1-D array of numbers, got shape " + shape_of(a));
  return std::vector<double>(a.data(), a.data() + a.size());
}

// Every value finite, else NonFiniteError naming the argument and position.
inline void require_finite(const std::vector<double>& x, const char* name) {
  for (std::size_t i = 0; i < x.size(); ++i)
    if (!std::isfinite(x[i]))
      throw non_finite_error(std::string(name) + ": non-finite value " + std::to_string(x[i]) + " at index " +
                             std::to_string(i));
}
inline void require_finite(double x, const char* name) {
  if (!std::isfinite(x)) throw non_finite_error(std::string(name) + " is " + std::to_string(x) + " (must be finite)");
}
inline void require_finite(const frame_view& f, const char* name) {
  // one pass the compiler vectorizes: |x| as bits, max-reduced; Inf/NaN have every exponent bit set
  std::uint32_t largest = 0;
  for (std::size_t i = 0; i < f.size(); ++i) {
    std::uint32_t b;
    std::memcpy(&b, f.data + i, sizeof b);
    largest = std::max(largest, b & 0x7fffffffu);
  }
  if (largest < 0x7f800000u) return;
  for (std::size_t i = 0; i < f.size(); ++i)
    if (!std::isfinite(f.data[i]))
      throw non_finite_error(std::string(name) + ": non-finite value " + std::to_string(f.data[i]) + " at token " +
                             std::to_string(i / f.dim) + ", dim " + std::to_string(i % f.dim) + " (frame " +
                             std::to_string(f.tokens) + "x" + std::to_string(f.dim) + ")");
}

inline py::array_t<float> to_numpy(const frame_view& v) {
  py::array_t<float> out({py::ssize_t(v.tokens), py::ssize_t(v.dim)});
  if (v.size() != 0) std::copy(v.data, v.data + v.size(), out.mutable_data());
  return out;
}
inline py::array_t<float> to_numpy(const frame_buffer& b) { return to_numpy(b.view()); }
inline py::array_t<float> to_numpy(const std::vector<float>& data, const std::vector<std::size_t>& shape) {
  std::vector<py::ssize_t> sh(shape.begin(), shape.end());
  py::array_t<float> out(sh);
  if (!data.empty()) std::copy(data.begin(), data.end(), out.mutable_data());
  return out;
}
template <class T>
py::array_t<std::int64_t> to_index_array(const std::vector<T>& v) {
  py::array_t<std::int64_t> out(static_cast<py::ssize_t>(v.size()));
  auto* o = out.mutable_data();
  for (std::size_t i = 0; i < v.size(); ++i) o[i] = static_cast<std::int64_t>(v[i]);
  return out;
}

// ---- the thread rule ---------------------------------------------------------------------------
// Every bound object whose methods release the GIL carries a mutex. Methods convert their Python
// arguments with the GIL held, then release the GIL, then take the object's mutex (never the
// other way round: a thread never waits for a mutex while holding the GIL, so a thread holding a
// mutex can always get the GIL back for a Python component). Concurrent calls on one object are
// serialized; calls on different objects run in parallel.
struct guarded {
  mutable std::mutex mu;
};

// Runs f() without the GIL and under `g`'s mutex; f must not touch Python objects.
template <class F>
decltype(auto) locked(const guarded& g, F&& f) {
  py::gil_scoped_release nogil;
  std::lock_guard<std::mutex> lk(g.mu);
  return f();
}

}  // namespace predsense_py
