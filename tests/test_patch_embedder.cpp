// eval/patch_embedder: shape, determinism, hand-checked statistics, sensitivity, errors.
#include <doctest/doctest.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <vector>

#include "predsense/encoders/patch_embedder.hpp"
#include "predsense/kernels/gradient_orientation.hpp"
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

namespace {
// The statistics' definition, patch by patch with atan2 (the embedder before it computed each row's
// gradients once and binned orientations by comparison): the scalar twin of patch_embedder::features.
std::vector<float> reference_features(const std::vector<std::uint8_t>& rgb, std::size_t w, std::size_t h,
                                      std::size_t g) {
  std::vector<float> luma(w * h), out(g * g * patch_embedder::feature_count);
  for (std::size_t i = 0; i < w * h; ++i)
    luma[i] = std::fma(0.114f, static_cast<float>(rgb[3 * i + 2]),
                       std::fma(0.299f, static_cast<float>(rgb[3 * i]), 0.587f * static_cast<float>(rgb[3 * i + 1]))) *
              (1.0f / 255.0f);
  for (std::size_t py = 0; py < g; ++py)
    for (std::size_t px = 0; px < g; ++px) {
      const std::size_t y0 = py * h / g, y1 = (py + 1) * h / g, x0 = px * w / g, x1 = (px + 1) * w / g;
      float* f = out.data() + (py * g + px) * patch_embedder::feature_count;
      const double n = static_cast<double>((y1 - y0) * (x1 - x0));
      double sum[3] = {}, sq[3] = {}, hist[4] = {}, sub[4] = {}, sub_n[4] = {};
      double gsum = 0.0, ysum = 0.0, ysq = 0.0;
      const std::size_t ym = (y0 + y1) / 2, xm = (x0 + x1) / 2;
      for (std::size_t y = y0; y < y1; ++y)
        for (std::size_t x = x0; x < x1; ++x) {
          const std::size_t i = y * w + x;
          for (std::size_t c = 0; c < 3; ++c) {
            const double v = static_cast<double>(rgb[3 * i + c]) * (1.0 / 255.0);
            sum[c] += v;
            sq[c] = std::fma(v, v, sq[c]);
          }
          const double yl = luma[i];
          ysum += yl;
          ysq = std::fma(yl, yl, ysq);
          const std::size_t q = (y >= ym ? 2u : 0u) + (x >= xm ? 1u : 0u);
          sub[q] += yl;
          sub_n[q] += 1.0;
          const std::size_t xl = x > 0 ? x - 1 : x, xr = x + 1 < w ? x + 1 : x;
          const std::size_t yu = y > 0 ? y - 1 : y, yd = y + 1 < h ? y + 1 : y;
          const double gx = (luma[y * w + xr] - luma[y * w + xl]) / static_cast<double>(xr - xl);
          const double gy = (luma[yd * w + x] - luma[yu * w + x]) / static_cast<double>(yd - yu);
          const double mag = std::sqrt(gx * gx + gy * gy);
          gsum += mag;
          if (mag > 0.0) {
            double a = std::atan2(gy, gx);
            if (a < 0.0) a += 3.14159265358979323846;
            hist[static_cast<std::size_t>(std::floor(a / (3.14159265358979323846 / 4.0) + 0.5)) % 4] += mag;
          }
        }
      const double ymean = ysum / n;
      for (std::size_t c = 0; c < 3; ++c) {
        const double m = sum[c] / n;
        f[c] = static_cast<float>(2.0 * m - 1.0);
        f[3 + c] = static_cast<float>(4.0 * std::sqrt(std::max(0.0, std::fma(-m, m, sq[c] / n))) - 0.5);
      }
      f[6] = static_cast<float>(4.0 * gsum / n - 0.5);
      for (std::size_t b = 0; b < 4; ++b) f[7 + b] = static_cast<float>(8.0 * hist[b] / n - 0.25);
      for (std::size_t q = 0; q < 4; ++q)
        f[11 + q] = static_cast<float>(sub_n[q] > 0.0 ? 4.0 * (sub[q] / sub_n[q] - ymean) : 0.0);
      f[15] = static_cast<float>(4.0 * std::sqrt(std::max(0.0, std::fma(-ymean, ymean, ysq / n))) - 0.5);
    }
  return out;
}
}  // namespace

TEST_CASE("patch_embedder: features are bit-identical to the patch-by-patch atan2 definition") {
  std::uint64_t s = 12345;
  const auto rnd = [&] {  // xorshift: noise with every gradient orientation
    s ^= s << 13;
    s ^= s >> 7;
    s ^= s << 17;
    return static_cast<int>(s % 256);
  };
  struct img_case {
    std::size_t w, h, g;
    int kind;
  };
  std::size_t compared = 0;
  for (const img_case ic :
       {img_case{128, 128, 8, 0}, img_case{128, 128, 8, 1}, img_case{128, 128, 8, 2}, img_case{67, 41, 8, 0},
        img_case{8, 8, 8, 0}, img_case{2, 2, 1, 0}, img_case{129, 77, 5, 1}, img_case{256, 192, 8, 3}}) {
    std::vector<std::uint8_t> img;
    if (ic.kind == 0)  // noise
      img = image(ic.w, ic.h, [&](auto, auto, auto) { return rnd(); });
    else if (ic.kind == 1)  // smooth blobs: small gradients near every bin edge
      img = image(ic.w, ic.h, [&](std::size_t x, std::size_t y, std::size_t c) {
        return static_cast<int>(127.5 + 120 * std::sin(0.11 * static_cast<double>(x) + 0.07 * static_cast<double>(c)) *
                                            std::cos(0.09 * static_cast<double>(y)));
      });
    else if (ic.kind == 2)  // exact 45-degree and axis-aligned edges, flat areas (zero gradients)
      img = image(ic.w, ic.h, [&](std::size_t x, std::size_t y, std::size_t) {
        return (x + y) % 32 < 16 ? (x % 40 < 20 ? 30 : 200) : (y % 24 < 12 ? 90 : 90);
      });
    else
      img = scene(2, 3, ic.w, ic.h);
    const patch_embedder e({ic.g, 4, 1});
    std::vector<float> fast;
    e.features(img, ic.w, ic.h, fast);
    const auto ref = reference_features(img, ic.w, ic.h, ic.g);
    REQUIRE(fast.size() == ref.size());
    std::size_t same = 0;
    for (std::size_t i = 0; i < ref.size(); ++i) same += fast[i] == ref[i];
    CHECK(same == ref.size());
    compared += ref.size();
  }
  CHECK(compared > 3 * 64 * patch_embedder::feature_count);
}

TEST_CASE("gradient_orientation_row: SIMD path equals its scalar twin; bins partition the magnitude") {
  std::uint64_t s = 99;
  const auto rnd = [&] {
    s = s * 6364136223846793005ull + 1442695040888963407ull;
    return static_cast<float>((s >> 40) % 256) / 255.0f;
  };
  for (std::size_t w : {2u, 3u, 9u, 17u, 128u, 131u}) {
    std::vector<float> up(w), mid(w), down(w);
    for (std::size_t x = 0; x < w; ++x) {
      up[x] = rnd();
      mid[x] = x % 5 == 0 ? mid[x > 0 ? x - 1 : 0] : rnd();  // some flat runs: zero horizontal gradients
      down[x] = x % 7 == 0 ? up[x] : rnd();                  // and zero vertical ones
    }
    for (double step : {1.0, 2.0}) {
      std::vector<double> m1(w), b1(4 * w), m2(w), b2(4 * w);
      kernels::gradient_orientation_row(up.data(), mid.data(), down.data(), w, step, m1.data(), b1.data());
      kernels::gradient_orientation_row_scalar(up.data(), mid.data(), down.data(), w, step, m2.data(), b2.data());
      CHECK(m1 == m2);
      CHECK(b1 == b2);
      for (std::size_t x = 0; x < w; ++x) {
        std::size_t nonzero = 0;
        for (std::size_t b = 0; b < 4; ++b) nonzero += b1[b * w + x] != 0.0;
        CHECK(nonzero <= 1);
        CHECK(b1[x] + b1[w + x] + b1[2 * w + x] + b1[3 * w + x] == m1[x]);
      }
    }
  }
}
