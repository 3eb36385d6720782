// predsense/core/eigen.hpp - Eigen matrices as frames, without copying.
//
// Accepted zero-copy: any float Eigen object with direct storage access and row-major layout:
// Matrix<float, R, C, RowMajor>, Map<...> of one (row stride must equal cols: frame rows are
// packed), Ref<const ...> and blocks of whole rows (m.middleRows(t0, T), full-width m.block(...),
// m.row(i)); data() of a block is its own first element. Column blocks and maps with an inner or
// outer stride that leaves gaps throw shape_error (tests/test_adapters.cpp covers each). Column-major input is rejected
// at compile time, because viewing it would silently transpose tokens and dimensions; convert explicitly with
// to_frame_buffer(m), which makes the one documented copy. as_eigen(view) goes the other way (a Map, no copy).
#pragma once

#include <Eigen/Core>
#include <concepts>
#include <string>
#include <type_traits>

#include "predsense/core/error.hpp"
#include "predsense/core/frame_buffer.hpp"
#include "predsense/core/frame_view.hpp"

namespace predsense {

using row_matrix = Eigen::Matrix<float, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;

namespace detail {
template <class T>
concept eigen_direct = std::derived_from<T, Eigen::DenseBase<T>> &&
    ((int(Eigen::internal::traits<T>::Flags) & int(Eigen::DirectAccessBit)) != 0);
}  // namespace detail

template <class T>
requires detail::eigen_direct<T>
struct frame_adapter<T> {
  static_assert(std::is_same_v<typename T::Scalar, float>,
                "predsense: frames are float32. Convert first: "
                "predsense::to_frame_buffer(m) or m.template cast<float>() into a row-major matrix.");
  static_assert(T::IsRowMajor,
                "predsense: this Eigen object is column-major, but a frame is row-major T x D (one token "
                "per row). Declare it Eigen::RowMajor (predsense::row_matrix), or copy it explicitly "
                "with predsense::to_frame_buffer(m).");

  static frame_view view(const T& m) {
    if (m.innerStride() != 1 || (m.rows() > 1 && m.outerStride() != m.cols()))
      throw shape_error("predsense: Eigen " + detail::shape_str(std::size_t(m.rows()), std::size_t(m.cols())) +
                        " matrix has strided rows (outer stride " + std::to_string(m.outerStride()) +
                        ", inner stride " + std::to_string(m.innerStride()) +
                        "); frames need packed rows: copy with predsense::to_frame_buffer(m)");
    return frame_view(m.data(), std::size_t(m.rows()), std::size_t(m.cols()));
  }
};

// Explicit copy of any Eigen expression (any layout or scalar type) into a row-major frame.
template <class Derived>
[[nodiscard]] frame_buffer to_frame_buffer(const Eigen::DenseBase<Derived>& m) {
  frame_buffer out(std::size_t(m.rows()), std::size_t(m.cols()));
  Eigen::Map<row_matrix>(out.data(), m.rows(), m.cols()) = m.derived().template cast<float>();
  return out;
}

// A frame seen as an Eigen matrix (read-only, no copy).
[[nodiscard]] inline Eigen::Map<const row_matrix> as_eigen(const frame_view& f) {
  return {f.data, Eigen::Index(f.tokens), Eigen::Index(f.dim)};
}

}  // namespace predsense
