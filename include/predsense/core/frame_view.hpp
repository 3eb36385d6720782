// predsense/core/frame_view.hpp - a borrowed, row-major T x D float latent, and the adapter
// trait through which any tensor type becomes one.
//
// A frame_view never owns or copies: it points into the caller's buffer, which must outlive it.
// Rows (tokens) are contiguous and packed: element (t, d) is data[t * dim + d].
// Foreign tensor types plug in by specialising frame_adapter<T> with a static
// `frame_view view(const T&)` (see core/eigen.hpp, core/xtensor.hpp), the way nanoflann takes
// dataset adaptors: generic code calls as_frame_view(x) and accepts any frame_like type, and a
// frame_view converts implicitly from any adapted type (as std::string_view does from a string),
// so every API taking `const frame_view&` (memory_store::push, retrieve, the predictors' observe)
// takes an Eigen matrix or an xtensor view directly. Like a string_view, a view of a temporary
// dangles once the temporary is gone: bind adapted temporaries only to function arguments.
#pragma once

#include <concepts>
#include <cstddef>
#include <span>
#include <string>
#include <type_traits>

#include "predsense/core/error.hpp"

namespace predsense {

struct frame_view;

// Customisation point: specialise for a tensor type to make it frame_like.
template <class T>
struct frame_adapter;

namespace detail {
// T has a frame_adapter and no conversion of its own (frame_buffer converts itself).
template <class T>
concept adapted_frame = requires(const T& t) {
  { frame_adapter<T>::view(t) } -> std::same_as<frame_view>;
}
&&!requires(const T& t) { t.operator frame_view(); };
}  // namespace detail

struct frame_view {
  const float* data = nullptr;
  std::size_t tokens = 0;
  std::size_t dim = 0;

  constexpr frame_view() noexcept = default;

  // Raw pointer + shape. Throws empty_error for a zero-sized shape or a null pointer.
  frame_view(const float* p, std::size_t t, std::size_t d) : data(p), tokens(t), dim(d) {
    if (t == 0 || d == 0)
      throw empty_error("predsense: empty frame (shape " + detail::shape_str(t, d) +
                        "); a frame needs at least one token of at least one dimension");
    if (p == nullptr) throw empty_error("predsense: null data pointer for a " + detail::shape_str(t, d) + " frame");
  }

  // A contiguous range (std::vector, std::array, std::span) + shape; the sizes must agree.
  frame_view(std::span<const float> s, std::size_t t, std::size_t d) : frame_view(checked_data(s, t, d), t, d) {}

  // Any adapted tensor (Eigen, xtensor, yours): the adapter's checks apply (it throws
  // shape_error for storage it cannot borrow as packed row-major rows).
  template <class T>
  requires(!std::same_as<T, frame_view> && detail::adapted_frame<T>) frame_view(const T& t)
      : frame_view(frame_adapter<T>::view(t)) {}  // NOLINT: implicit by design

  [[nodiscard]] constexpr std::size_t size() const noexcept { return tokens * dim; }
  [[nodiscard]] constexpr const float* row(std::size_t t) const noexcept { return data + t * dim; }
  [[nodiscard]] constexpr std::span<const float> span() const noexcept { return {data, size()}; }
  [[nodiscard]] constexpr bool empty() const noexcept { return size() == 0; }

 private:
  static const float* checked_data(std::span<const float> s, std::size_t t, std::size_t d) {
    if (s.size() != t * d)
      throw shape_error("predsense: buffer of " + std::to_string(s.size()) + " floats cannot be viewed as a " +
                        detail::shape_str(t, d) + " frame (needs " + std::to_string(t * d) + ")");
    return s.data();
  }
};

template <>
struct frame_adapter<frame_view> {
  static frame_view view(const frame_view& f) noexcept { return f; }
};

template <class T>
concept frame_like = requires(const T& t) {
  { frame_adapter<std::remove_cvref_t<T>>::view(t) } -> std::same_as<frame_view>;
};

template <frame_like T>
[[nodiscard]] inline frame_view as_frame_view(const T& t) {
  return frame_adapter<std::remove_cvref_t<T>>::view(t);
}

namespace detail {
// Both operands of a binary metric/kernel must have the same T x D.
inline void require_same_shape(const frame_view& a, const char* name_a, const frame_view& b, const char* name_b) {
  if (a.tokens != b.tokens || a.dim != b.dim)
    throw shape_error(std::string("predsense: shape mismatch: ") + name_a + " is " + shape_str(a.tokens, a.dim) +
                      " but " + name_b + " is " + shape_str(b.tokens, b.dim));
}
inline void require_non_empty(const frame_view& f, const char* name) {
  if (f.empty())
    throw empty_error(std::string("predsense: ") + name + " is an empty frame (shape " + shape_str(f.tokens, f.dim) +
                      ")");
}

// A metric's two operands as views, checked once for every metric: non-empty, one shape.
struct frame_pair {
  frame_view pred, actual;
};
template <frame_like A, frame_like B>
[[nodiscard]] frame_pair metric_operands(const A& pred, const B& actual) {
  const frame_view p = as_frame_view(pred), a = as_frame_view(actual);
  require_non_empty(p, "prediction");
  require_same_shape(p, "prediction", a, "actual");
  return {p, a};
}
}  // namespace detail

}  // namespace predsense
