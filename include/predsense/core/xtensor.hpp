// predsense/core/xtensor.hpp - xtensor containers, adaptors and strided views as frames, without copying.
//
// Accepted: xt::xtensor<float, 2>, xt::xarray<float> (checked at run time to be 2-D), the results
// of xt::adapt over float buffers, and strided views of any of them (xt::view with integer,
// xt::all() and xt::range slices, xt::strided_view, xt::reshape_view) whose two axes are packed
// row-major: one frame of a T x D or N x T x D tensor, a range of whole rows. The frame starts at
// the address of element (0, 0) - for a view that is inside the underlying tensor (data() is the
// underlying tensor's start; data() + data_offset() is the view's). Storage that is not packed
// row-major (a column range, a transpose, a step, negative strides) throws shape_error naming the
// strides; a container declared column-major, a view without strides (xt::keep, xt::drop) or an
// expression without storage (a + b) is a compile-time error. (xtensor gives extent-1 axes
// stride 0, which is accepted.)
#pragma once

#include <cstddef>
#include <string>
#include <type_traits>
#include <xtensor/xadapt.hpp>
#include <xtensor/xarray.hpp>
#include <xtensor/xexpression.hpp>
#include <xtensor/xstrided_view.hpp>
#include <xtensor/xtensor.hpp>
#include <xtensor/xview.hpp>

#include "predsense/core/error.hpp"
#include "predsense/core/frame_view.hpp"

namespace predsense {

namespace detail {
// A strided xtensor expression over real storage: element access returns a reference into it.
template <class T>
concept xtensor_container = xt::is_xexpression<T>::value && requires(const T& t) {
  t.shape();
  t.strides();
  t.dimension();
  { t(0, 0) } -> std::same_as<const typename T::value_type&>;
};

inline std::string xtensor_shape_str(const auto& shape) {
  std::string s;
  for (auto e : shape) {
    if (!s.empty()) s.push_back('x');
    s.append(std::to_string(e));
  }
  return s;
}
}  // namespace detail

template <class T>
requires detail::xtensor_container<T>
struct frame_adapter<T> {
  static_assert(std::is_same_v<std::remove_cv_t<typename T::value_type>, float>,
                "predsense: frames are float32; build the tensor with value type float");
  static_assert(T::static_layout != xt::layout_type::column_major,
                "predsense: this xtensor container is column-major, but a frame is row-major T x D "
                "(one token per row); use xt::layout_type::row_major or copy into a row-major tensor");

  static frame_view view(const T& x) {
    if (x.dimension() != 2)
      throw shape_error("predsense: xtensor of shape (" + detail::xtensor_shape_str(x.shape()) + ") is " +
                        std::to_string(x.dimension()) + "-D; a frame is 2-D tokens x dim");
    const std::size_t t = x.shape()[0], d = x.shape()[1];
    if (t == 0 || d == 0) throw empty_error("predsense: empty xtensor frame (shape " + detail::shape_str(t, d) + ")");
    const auto& st = x.strides();
    const auto s0 = static_cast<std::ptrdiff_t>(st[0]), s1 = static_cast<std::ptrdiff_t>(st[1]);
    const bool packed = (d == 1 || s1 == 1) && (t == 1 || s0 == static_cast<std::ptrdiff_t>(d));
    if (!packed)
      throw shape_error("predsense: xtensor " + detail::shape_str(t, d) + " is not packed row-major (strides " +
                        std::to_string(s0) + ", " + std::to_string(s1) +
                        "); copy it into a row-major tensor (xt::xtensor<float, 2> copy = x)");
    // The true first element: data() of a view is its underlying tensor's start.
    const float* first = &x(0, 0);
    // Strides describe an affine layout; the last element confirms it (never trust one source).
    if (&x(t - 1, d - 1) != first + (t * d - 1))
      throw shape_error("predsense: xtensor " + detail::shape_str(t, d) +
                        " elements are not where packed row-major strides put them; copy it into a row-major tensor");
    return frame_view(first, t, d);
  }
};

}  // namespace predsense
