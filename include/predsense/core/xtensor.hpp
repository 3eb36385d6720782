// predsense/core/xtensor.hpp - xtensor containers and adaptors as frames, without copying.
//
// Accepted: xt::xtensor<float, 2>, xt::xarray<float> (checked at run time to be 2-D) and the
// results of xt::adapt over float buffers, in row-major layout. A container declared
// column-major is rejected at compile time; a dynamic-layout one that is not packed row-major at
// run time throws shape_error. (xtensor gives extent-1 axes stride 0, which is accepted.)
#pragma once

#include <string>
#include <type_traits>
#include <xtensor/xadapt.hpp>
#include <xtensor/xarray.hpp>
#include <xtensor/xexpression.hpp>
#include <xtensor/xtensor.hpp>

#include "predsense/core/error.hpp"
#include "predsense/core/frame_view.hpp"

namespace predsense {

namespace detail {
template <class T>
concept xtensor_container = xt::is_xexpression<T>::value && requires(const T& t) {
  t.data();
  t.shape();
  t.strides();
  t.dimension();
};
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
    if (x.dimension() != 2) {
      std::string s;
      for (auto e : x.shape()) {
        if (!s.empty()) s.push_back('x');
        s.append(std::to_string(e));
      }
      throw shape_error("predsense: xtensor of shape (" + s + ") is " + std::to_string(x.dimension()) +
                        "-D; a frame is 2-D tokens x dim");
    }
    const std::size_t t = x.shape()[0], d = x.shape()[1];
    const auto& st = x.strides();
    const bool packed = (d == 1 || st[1] == 1) && (t == 1 || std::size_t(st[0]) == d);
    if (!packed)
      throw shape_error("predsense: xtensor " + detail::shape_str(t, d) + " is not packed row-major (strides " +
                        std::to_string(st[0]) + ", " + std::to_string(st[1]) + "); copy it into a row-major tensor");
    return frame_view(x.data(), t, d);
  }
};

}  // namespace predsense
