// eval/patch_embedder: shape, determinism, hand-checked statistics, sensitivity, errors.
#include <doctest/doctest.h>

#include <cmath>
#include <cstdint>
#include <vector>

#include "predsense/encoders/patch_embedder.hpp"
#include "predsense/surprise/token_cosine_distance.hpp"

using namespace predsense;

namespace {
// w x h rgb24 image from a function (x, y, channel) -> byte.
template <class F>
std::vector<std::uint8_t> image(std::size_t w, std::size_t h, F f) {
  std::vector<std::uint8_t> img(w * h * 3);
  for (std::size_t y = 0; y < h; ++y)
    for (std::size_t x = 0; x < w; ++x)
      for (std::size_t c = 0; c < 3; ++c) img[(y * w + x) * 3 + c] = static_cast<std::uint8_t>(f(x, y, c));
  return img;
}
// A textured scene: diagonal stripes whose colour depends on `seed`, shifted by `dx` pixels.
std::vector<std::uint8_t> scene(int seed, int dx, std::size_t w = 64, std::size_t h = 48) {
  return image(w, h, [&](std::size_t x, std::size_t y, std::size_t c) {
    const int v = static_cast<int>((x + static_cast<std::size_t>(dx) + y * static_cast<std::size_t>(seed + 1)) / 5 % 2);
    return (v ? 40 + 60 * ((static_cast<int>(c) + seed) % 3) : 200 - 30 * static_cast<int>(c)) % 256;
  });
}
}  // namespace

TEST_CASE("patch_embedder: shape, determinism, projection entries") {
  const patch_embedder a({8, 256, 1}), b({8, 256, 1}), c({8, 256, 2});
  CHECK(a.tokens() == 64);
  CHECK(a.dim() == 256);
  const auto img = scene(0, 0);
  frame_buffer fa, fb, fc;
  a.embed(img, 64, 48, fa);
  b.embed(img, 64, 48, fb);
  c.embed(img, 64, 48, fc);
  CHECK(fa.tokens() == 64);
  CHECK(fa.dim() == 256);
  bool same = true, differs = false;
  for (std::size_t i = 0; i < fa.size(); ++i) {
    same = same && fa.data()[i] == fb.data()[i];
    differs = differs || fa.data()[i] != fc.data()[i];
  }
  CHECK(same);     // same seed: bit-identical
  CHECK(differs);  // another seed: another projection
  for (float p : a.projection()) CHECK(std::fabs(p) == doctest::Approx(0.25f));
}

TEST_CASE("patch_embedder: statistics of a flat patch and of a vertical edge, by hand") {
  const patch_embedder e({1, 4, 1});
  std::vector<float> f;
  // flat mid-grey (R = G = B = 51): mean 0.2, no spread, no gradient, no layout
  e.features(image(4, 4, [](auto, auto, auto) { return 51; }), 4, 4, f);
  REQUIRE(f.size() == patch_embedder::feature_count);
  for (int k = 0; k < 3; ++k) CHECK(f[static_cast<std::size_t>(k)] == doctest::Approx(2 * 0.2 - 1));
  for (int k = 3; k < 6; ++k) CHECK(f[static_cast<std::size_t>(k)] == doctest::Approx(-0.5));
  CHECK(f[6] == doctest::Approx(-0.5));
  for (int k = 7; k < 11; ++k) CHECK(f[static_cast<std::size_t>(k)] == doctest::Approx(-0.25));
  for (int k = 11; k < 15; ++k) CHECK(f[static_cast<std::size_t>(k)] == doctest::Approx(0.0));
  CHECK(f[15] == doctest::Approx(-0.5));
  // left half black, right half white: luma 0 | 1, horizontal gradient only (orientation bin 0)
  e.features(image(4, 4, [](std::size_t x, auto, auto) { return x < 2 ? 0 : 255; }), 4, 4, f);
  CHECK(f[0] == doctest::Approx(0.0));            // mean 0.5
  CHECK(f[3] == doctest::Approx(4 * 0.5 - 0.5));  // std 0.5
  // central differences: x = 1 and x = 2 see (1 - 0) / 2 = 0.5; the border columns see 0
  CHECK(f[6] == doctest::Approx(4 * (8 * 0.5 / 16) - 0.5));
  CHECK(f[7] == doctest::Approx(8 * (8 * 0.5 / 16) - 0.25));
  CHECK(f[9] == doctest::Approx(-0.25));           // nothing vertical
  CHECK(f[11] == doctest::Approx(4 * (0 - 0.5)));  // top-left sub-block darker than the mean
  CHECK(f[12] == doctest::Approx(4 * (1 - 0.5)));  // top-right brighter
}

TEST_CASE("patch_embedder: a small shift is a small surprise, another scene a large one") {
  const patch_embedder e;
  frame_buffer a, shifted, other;
  // 256 x 192: 32 x 24-pixel patches, stripes 5 pixels wide; shifted by one pixel
  e.embed(scene(0, 0, 256, 192), 256, 192, a);
  e.embed(scene(0, 1, 256, 192), 256, 192, shifted);
  e.embed(scene(1, 0, 256, 192), 256, 192, other);  // other colours, other stripe angle
  const token_cosine_distance<> d;
  CHECK(d(a, a) == doctest::Approx(0.0).epsilon(1e-6));
  const double small = d(a, shifted), large = d(a, other);
  CHECK(small < 0.1);
  CHECK(large > 0.3);
  CHECK(large > 5 * small);
}

TEST_CASE("patch_embedder: sizes that do not divide by the grid, and errors") {
  const patch_embedder e({8, 16, 1});
  frame_buffer out;
  e.embed(scene(1, 0, 67, 41), 67, 41, out);  // patch edges at floor(i * size / 8)
  CHECK(out.tokens() == 64);
  for (std::size_t i = 0; i < out.size(); ++i) CHECK(std::isfinite(out.data()[i]));
  const auto img = scene(0, 0, 8, 8);
  CHECK_THROWS_AS(e.embed(img, 16, 8, out), shape_error);                          // byte count disagrees
  CHECK_THROWS_AS(e.embed(scene(0, 0, 4, 4), 4, 4, out), invalid_argument_error);  // smaller than the grid
  CHECK_THROWS_AS(patch_embedder({0, 16, 1}), invalid_argument_error);
  CHECK_THROWS_AS(patch_embedder({8, 0, 1}), invalid_argument_error);
}
