// adapters: Eigen and xtensor views, ranges, strided views, blocks and strided maps are borrowed at
// their true first element (each compared element by element with a copied frame) or refused with
// shape_error; every API that takes a frame takes them directly and agrees with the copied frame.
#include <doctest/doctest.h>

#include <cstddef>
#include <vector>

#include "predsense/core/eigen.hpp"
#include "predsense/core/frame_buffer.hpp"
#include "predsense/core/xtensor.hpp"
#include "predsense/memory/memory_store.hpp"
#include "predsense/memory/retrieval.hpp"
#include "predsense/pipeline/stream.hpp"
#include "predsense/predictors/copy_last.hpp"
#include "predsense/predictors/ema_predictor.hpp"
#include "predsense/predictors/rls_predictor.hpp"
#include "predsense/segmentation/streaming/adaptive_segmenter.hpp"
#include "predsense/surprise/mse.hpp"
#include "predsense/surprise/token_cosine_distance.hpp"

using namespace predsense;

namespace {
constexpr std::size_t N = 6, T = 4, D = 5;  // frames x tokens x dims

// Every element distinct and not a simple function of the flat index within a frame, so a view
// that starts at the wrong frame, row or column can never match by accident. Exact in float (an
// integer times 0.25), so the copy and the tensor hold the same bits whatever the compiler contracts.
float value(std::size_t n, std::size_t t, std::size_t d) {
  return static_cast<float>(4000 * n + 148 * t + 4 * d + (n * 7 + t * 3 + d) % 11) * 0.25f;
}

xt::xtensor<float, 3> make_video() {
  xt::xtensor<float, 3> v = xt::zeros<float>({N, T, D});
  for (std::size_t n = 0; n < N; ++n)
    for (std::size_t t = 0; t < T; ++t)
      for (std::size_t d = 0; d < D; ++d) v(n, t, d) = value(n, t, d);
  return v;
}

// The copy a user would make by hand: element (n, t0 + t, d) for t < rows.
frame_buffer copied(std::size_t n, std::size_t t0 = 0, std::size_t rows = T) {
  frame_buffer f(rows, D);
  for (std::size_t t = 0; t < rows; ++t)
    for (std::size_t d = 0; d < D; ++d) f(t, d) = value(n, t0 + t, d);
  return f;
}

void check_equal(const frame_view& got, const frame_buffer& want) {
  REQUIRE(got.tokens == want.tokens());
  REQUIRE(got.dim == want.dim());
  for (std::size_t t = 0; t < want.tokens(); ++t)
    for (std::size_t d = 0; d < want.dim(); ++d) {
      INFO("token " << t << " dim " << d);
      CHECK(got.data[t * got.dim + d] == want(t, d));
    }
}
}  // namespace

TEST_CASE("xtensor: xt::view of one frame of a 3-D tensor starts at that frame") {
  const auto video = make_video();
  for (std::size_t n = 0; n < N; ++n) {
    INFO("frame " << n);
    check_equal(as_frame_view(xt::view(video, n, xt::all(), xt::all())), copied(n));
    check_equal(as_frame_view(xt::view(video, n)), copied(n));             // trailing axes implied
    const frame_view implicit = xt::view(video, n, xt::all(), xt::all());  // the implicit conversion
    check_equal(implicit, copied(n));
  }
}

TEST_CASE("xtensor: xt::range of rows, xt::strided_view and reshape_view borrow their first element") {
  const auto video = make_video();
  check_equal(as_frame_view(xt::view(video, 3, xt::range(1, 3), xt::all())), copied(3, 1, 2));
  check_equal(as_frame_view(xt::view(video, 5, xt::range(2, T), xt::all())), copied(5, 2, T - 2));
  check_equal(as_frame_view(xt::strided_view(video, {4, xt::all(), xt::all()})), copied(4));
  check_equal(as_frame_view(xt::strided_view(video, {2, xt::range(1, 4), xt::all()})), copied(2, 1, 3));

  // a view of a view: frame 2 of frames [1, 5)
  auto frames = xt::view(video, xt::range(1, 5), xt::all(), xt::all());
  check_equal(as_frame_view(xt::view(frames, 2, xt::all(), xt::all())), copied(3));

  // a 2-D (N*T) x D matrix of all tokens: a range of rows is one frame
  xt::xtensor<float, 2> flat = xt::reshape_view(video, {N * T, D});
  check_equal(as_frame_view(xt::view(flat, xt::range(2 * T, 3 * T), xt::all())), copied(2));
  auto reshaped = xt::reshape_view(xt::view(video, 1, xt::all(), xt::all()), {T, D});
  check_equal(as_frame_view(reshaped), copied(1));
}

TEST_CASE("xtensor: storage that is not packed row-major is refused with shape_error") {
  const auto video = make_video();
  // a column range: rows are D apart but only 3 wide
  CHECK_THROWS_AS((void)as_frame_view(xt::view(video, 1, xt::all(), xt::range(1, 4))), shape_error);
  // every other token
  CHECK_THROWS_AS((void)as_frame_view(xt::view(video, 1, xt::range(0, T, 2), xt::all())), shape_error);
  // tokens in reverse
  CHECK_THROWS_AS((void)as_frame_view(xt::view(video, 1, xt::range(T - 1, 0, -1), xt::all())), shape_error);
  // a transposed frame
  CHECK_THROWS_AS((void)as_frame_view(xt::transpose(xt::view(video, 1, xt::all(), xt::all()))), shape_error);
  // one token across frames: axis 0 is frames (stride T*D)
  CHECK_THROWS_AS((void)as_frame_view(xt::view(video, xt::all(), 2, xt::all())), shape_error);
  // 3-D
  CHECK_THROWS_AS((void)as_frame_view(xt::view(video, xt::range(0, 2), xt::all(), xt::all())), shape_error);
  // an empty range is empty_error, not a view of nothing
  CHECK_THROWS_AS((void)as_frame_view(xt::view(video, 1, xt::range(2, 2), xt::all())), empty_error);
}

TEST_CASE("Eigen: row blocks, full-width blocks and maps at an offset borrow their first element") {
  row_matrix all(N * T, D);
  for (std::size_t n = 0; n < N; ++n)
    for (std::size_t t = 0; t < T; ++t)
      for (std::size_t d = 0; d < D; ++d) all(Eigen::Index(n * T + t), Eigen::Index(d)) = value(n, t, d);
  const auto ti = Eigen::Index(T), di = Eigen::Index(D);
  for (std::size_t n = 0; n < N; ++n) {
    INFO("frame " << n);
    const auto ni = Eigen::Index(n);
    check_equal(as_frame_view(all.middleRows(ni * ti, ti)), copied(n));
    check_equal(as_frame_view(all.block(ni * ti, 0, ti, di)), copied(n));
    check_equal(as_frame_view(all.block<T, D>(ni * ti, 0)), copied(n));
    const Eigen::Map<const row_matrix> m(all.data() + n * T * D, ti, di);
    check_equal(as_frame_view(m), copied(n));
    // a Map with a run-time outer stride equal to the width is packed
    const Eigen::Map<const row_matrix, 0, Eigen::OuterStride<>> ms(all.data() + n * T * D, ti, di,
                                                                   Eigen::OuterStride<>(di));
    check_equal(as_frame_view(ms), copied(n));
    const Eigen::Ref<const row_matrix> ref = all.middleRows(ni * ti, ti);
    check_equal(as_frame_view(ref), copied(n));
  }
  check_equal(as_frame_view(all.middleRows(Eigen::Index(4 * T + 1), 2)), copied(4, 1, 2));
  check_equal(as_frame_view(all.row(Eigen::Index(2 * T + 3))), copied(2, 3, 1));
}

TEST_CASE("Eigen: column blocks and strided maps are refused with shape_error") {
  row_matrix all = row_matrix::Zero(Eigen::Index(N * T), Eigen::Index(D));
  CHECK_THROWS_AS((void)as_frame_view(all.block(0, 1, Eigen::Index(T), Eigen::Index(D - 1))), shape_error);
  CHECK_THROWS_AS((void)as_frame_view(all.leftCols(2)), shape_error);
  // every other row: outer stride 2 * D
  const Eigen::Map<const row_matrix, 0, Eigen::OuterStride<>> skip(all.data(), Eigen::Index(T), Eigen::Index(D),
                                                                   Eigen::OuterStride<>(Eigen::Index(2 * D)));
  CHECK_THROWS_AS((void)as_frame_view(skip), shape_error);
  // every other element in a row
  const Eigen::Map<const row_matrix, 0, Eigen::Stride<Eigen::Dynamic, Eigen::Dynamic>> inner(
      all.data(), 2, 2, Eigen::Stride<Eigen::Dynamic, Eigen::Dynamic>(Eigen::Index(D), 2));
  CHECK_THROWS_AS((void)as_frame_view(inner), shape_error);
  // an Eigen::Ref bound to a column block keeps its stride and is refused too
  const Eigen::Ref<const row_matrix, 0, Eigen::OuterStride<>> cols = all.rightCols(3);
  CHECK_THROWS_AS((void)as_frame_view(cols), shape_error);
}

TEST_CASE("every API taking a frame takes adapter types and agrees with the copied frames") {
  const auto video = make_video();
  row_matrix all(N * T, D);
  for (std::size_t n = 0; n < N; ++n)
    for (std::size_t t = 0; t < T; ++t)
      for (std::size_t d = 0; d < D; ++d) all(Eigen::Index(n * T + t), Eigen::Index(d)) = value(n, t, d);
  auto eigen_frame = [&](std::size_t n) { return all.middleRows(Eigen::Index(n * T), Eigen::Index(T)); };
  auto xt_frame = [&](std::size_t n) { return xt::view(video, n, xt::all(), xt::all()); };

  SUBCASE("predictors observe views") {
    rls_predictor from_xt, from_eigen, from_copy;
    ema_predictor ema_xt(0.3), ema_copy(0.3);
    copy_last last_xt;
    for (std::size_t n = 0; n < N; ++n) {
      from_xt.observe(xt_frame(n));
      from_eigen.observe(eigen_frame(n));
      from_copy.observe(copied(n));
      ema_xt.observe(xt_frame(n));
      ema_copy.observe(copied(n));
      last_xt.observe(xt_frame(n));
    }
    frame_buffer a, b, c;
    from_xt.predict(a);
    from_eigen.predict(b);
    from_copy.predict(c);
    check_equal(a, c);
    check_equal(b, c);
    ema_xt.predict(a);
    ema_copy.predict(c);
    check_equal(a, c);
    last_xt.predict(a);
    check_equal(a, copied(N - 1));
  }

  SUBCASE("memory_store::push and retrieve") {
    memory_store<> from_xt(memory_params{.window = 2, .budget = 64}),
        from_copy(memory_params{.window = 2, .budget = 64});
    for (std::size_t n = 0; n < N; ++n) {
      const double s = 0.1 * double(n % 3);
      from_xt.push(xt_frame(n), s);
      from_copy.push(copied(n), s);
    }
    std::vector<frame_buffer> held_xt, held_copy;
    from_xt.for_each([&](const memory_item& it) { held_xt.emplace_back(it.data); });
    from_copy.for_each([&](const memory_item& it) { held_copy.emplace_back(it.data); });
    REQUIRE(held_xt.size() == held_copy.size());
    for (std::size_t i = 0; i < held_xt.size(); ++i) check_equal(held_xt[i], held_copy[i]);
    // the newest frame is in the window unpooled: it equals frame N-1, not frame 0
    check_equal(held_xt.back(), copied(N - 1));

    for (std::size_t q = 0; q < N; ++q) {
      INFO("query frame " << q);
      const auto by_eigen = retrieve(from_xt, eigen_frame(q), {.k = 2});
      const auto by_xt = retrieve(from_xt, xt_frame(q), {.k = 2});
      const auto by_copy = retrieve(from_xt, copied(q), {.k = 2});
      REQUIRE(by_eigen.size() == by_copy.size());
      REQUIRE(by_xt.size() == by_copy.size());
      for (std::size_t i = 0; i < by_copy.size(); ++i) {
        CHECK(by_eigen[i].entry->frame == by_copy[i].entry->frame);
        CHECK(by_xt[i].entry->frame == by_copy[i].entry->frame);
        CHECK(by_eigen[i].score == by_copy[i].score);
      }
    }
  }

  SUBCASE("stream::step over xt::view frames equals stream::step over copies") {
    using S = stream<copy_last, mse<>, adaptive_segmenter, memory_store<>>;
    S over_views, over_copies;
    double total = 0.0;
    for (std::size_t n = 0; n < N; ++n) {
      const step_result a = over_views.step(xt_frame(n));
      const step_result b = over_copies.step(copied(n));
      CHECK(a == b);
      if (n > 0) {
        // the failure: every step read frame 0, so every surprise was 0
        frame_buffer prev = copied(n - 1);
        CHECK(a.surprise == doctest::Approx(mse<>{}(prev, copied(n))));
        total += a.surprise;
      }
    }
    CHECK(total > 0.0);
  }
}
