// core: frame_view / frame_buffer, the Eigen and xtensor adapters, typed errors.
#include <doctest/doctest.h>

#include <array>
#include <cmath>
#include <limits>
#include <span>
#include <string>
#include <vector>

#include "predsense/core/concepts.hpp"
#include "predsense/core/eigen.hpp"
#include "predsense/core/frame_buffer.hpp"
#include "predsense/core/frame_view.hpp"
#include "predsense/core/xtensor.hpp"
#include "predsense/surprise/token_cosine_distance.hpp"

using namespace predsense;

namespace {
template <class E, class F>
std::string message_of(F&& f) {
  try {
    f();
  } catch (const E& e) {
    return e.what();
  }
  return "<no exception>";
}
}  // namespace

TEST_CASE("frame_view from vector/span/pointer + shape, with checked sizes") {
  std::vector<float> v(6);
  for (int i = 0; i < 6; ++i) v[i] = float(i);
  const frame_view f(v, 2, 3);
  CHECK(f.data == v.data());  // borrowed, not copied
  CHECK(f.tokens == 2);
  CHECK(f.dim == 3);
  CHECK(f.row(1)[0] == 3.0f);
  CHECK(frame_view(std::span<const float>(v), 3, 2).row(2)[1] == 5.0f);
  CHECK(frame_view(v.data(), 1, 6).size() == 6);

  const auto mismatch = message_of<shape_error>([&] { frame_view(v, 4, 2); });
  CHECK(mismatch.find("6 floats") != std::string::npos);
  CHECK(mismatch.find("4x2") != std::string::npos);
  CHECK_THROWS_AS(frame_view(v.data(), 0, 3), empty_error);
  CHECK_THROWS_AS(frame_view(v.data(), 2, 0), empty_error);
  CHECK_THROWS_AS(frame_view(nullptr, 2, 3), empty_error);
  CHECK(std::is_base_of_v<error, shape_error>);
}

TEST_CASE("frame_buffer owns, aligns, and views") {
  frame_buffer b(3, 5);
  CHECK(reinterpret_cast<std::uintptr_t>(b.data()) % 64 == 0);
  b(2, 4) = 7.0f;
  const frame_view v = b;
  CHECK(v.tokens == 3);
  CHECK(v.row(2)[4] == 7.0f);
  frame_buffer copy(v);
  CHECK(copy.data() != b.data());
  CHECK(copy(2, 4) == 7.0f);
  CHECK_THROWS_AS((void)frame_buffer().view(), empty_error);
  static_assert(frame_like<frame_buffer>);
  static_assert(frame_like<frame_view>);
  static_assert(!frame_like<std::vector<float>>);  // a vector has no shape: pass (vec, T, D)
}

TEST_CASE("Eigen: row-major Matrix, Map and Ref are viewed in place") {
  row_matrix m(4, 3);
  m.setRandom();
  const frame_view f = as_frame_view(m);
  CHECK(f.data == m.data());
  CHECK(f.tokens == 4);
  CHECK(f.dim == 3);

  std::vector<float> raw(12, 1.0f);
  Eigen::Map<const row_matrix> map(raw.data(), 3, 4);
  CHECK(as_frame_view(map).data == raw.data());

  Eigen::Ref<const row_matrix> ref(m);
  CHECK(as_frame_view(ref).data == m.data());

  Eigen::Matrix<float, 2, 8, Eigen::RowMajor> fixed;
  CHECK(as_frame_view(fixed).dim == 8);

  // A map whose rows are not packed (every other row of a 6x3 buffer) is refused with the strides.
  std::vector<float> big(18, 0.0f);
  Eigen::Map<const row_matrix, 0, Eigen::OuterStride<>> strided(big.data(), 3, 3, Eigen::OuterStride<>(6));
  const auto msg = message_of<shape_error>([&] { (void)as_frame_view(strided); });
  CHECK(msg.find("outer stride 6") != std::string::npos);

  // Column-major input converts through the one documented copy, transposing nothing.
  Eigen::MatrixXf cm(2, 3);
  cm << 1, 2, 3, 4, 5, 6;
  const frame_buffer fb = to_frame_buffer(cm);
  CHECK(fb(0, 2) == 3.0f);
  CHECK(fb(1, 0) == 4.0f);
  CHECK(as_eigen(fb.view())(1, 2) == 6.0f);
}

TEST_CASE("xtensor: xtensor, xarray and adapt are viewed in place") {
  xt::xtensor<float, 2> a = xt::zeros<float>({5, 7});
  a(4, 6) = 2.0f;
  const frame_view f = as_frame_view(a);
  CHECK(f.data == a.data());
  CHECK(f.row(4)[6] == 2.0f);

  xt::xarray<float> arr = xt::ones<float>({2, 3});
  CHECK(as_frame_view(arr).tokens == 2);
  xt::xarray<float> three = xt::ones<float>({2, 3, 4});
  const auto msg = message_of<shape_error>([&] { (void)as_frame_view(three); });
  CHECK(msg.find("2x3x4") != std::string::npos);

  std::vector<float> raw(6, 1.0f);
  auto ad = xt::adapt(raw, std::vector<std::size_t>{3, 2});
  CHECK(as_frame_view(ad).data == raw.data());
  CHECK(as_frame_view(ad).dim == 2);

  // Single-token and single-dim tensors (xtensor zeroes the stride of extent-1 axes).
  xt::xtensor<float, 2> row = xt::ones<float>({1, 9});
  CHECK(as_frame_view(row).dim == 9);
  xt::xtensor<float, 2> col = xt::ones<float>({9, 1});
  CHECK(as_frame_view(col).tokens == 9);

  xt::xarray<float, xt::layout_type::dynamic> dyn(std::vector<std::size_t>{3, 4}, 1.0f, xt::layout_type::column_major);
  CHECK_THROWS_AS((void)as_frame_view(dyn), shape_error);
}

TEST_CASE("non-finite values are located and named; allow_non_finite propagates them") {
  std::vector<float> a(2 * 5, 1.0f), b(2 * 5, 1.0f);
  b[1 * 5 + 3] = std::numeric_limits<float>::quiet_NaN();
  const auto msg =
      message_of<non_finite_error>([&] { (void)token_cosine_distance{}(frame_view(a, 2, 5), frame_view(b, 2, 5)); });
  CHECK(msg.find("actual") != std::string::npos);
  CHECK(msg.find("token 1, dim 3") != std::string::npos);
  const double r = token_cosine_distance<allow_non_finite>{}(frame_view(a, 2, 5), frame_view(b, 2, 5));
  CHECK(std::isnan(r));

  a[0] = std::numeric_limits<float>::infinity();
  b[1 * 5 + 3] = 1.0f;
  const auto inf =
      message_of<non_finite_error>([&] { (void)token_cosine_distance{}(frame_view(a, 2, 5), frame_view(b, 2, 5)); });
  CHECK(inf.find("prediction at token 0, dim 0") != std::string::npos);
}

TEST_CASE("shape mismatch names both shapes") {
  std::vector<float> a(64 * 4), b(32 * 8);
  const auto msg =
      message_of<shape_error>([&] { (void)token_cosine_distance{}(frame_view(a, 64, 4), frame_view(b, 32, 8)); });
  CHECK(msg.find("64x4") != std::string::npos);
  CHECK(msg.find("32x8") != std::string::npos);
  CHECK_THROWS_AS((void)token_cosine_distance{}(frame_view{}, frame_view(a, 64, 4)), empty_error);
}
