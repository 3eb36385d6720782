// tools/recall_devset.hpp - the real-footage recall development set of predsense-memory-recall
// (--devset DIR): long 1 fps streams rendered from Debian-packaged photographs and videos
// (scripts/make_recall_devset.py writes DIR), by seed.
//
// A stream is a tour: room visits (a photograph seen through a slow virtual camera that pans and
// zooms over it, 1-4 minutes; 8 rooms per stream, so rooms are revisited) and, a quarter of the
// time, moving footage (a sample video played frame by frame, 30-90 s) as distractors. Frames are
// 128 x 128 RGB with +-3 levels of sensor noise. One object cut-out (alpha-blended ellipse, 40-64 px: 8-20%
// of the frame) is pasted into one frame of a room visit in each quarter of the stream, at its own
// place and size. The question's latent is a crop of the object (its opaque centre) at the
// frame's patch scale: 48 x 48 pixels, 3 x 3 tokens by default.
// Encoders: "patch" (predsense's patch embedder, 8 x 8 tokens of 64 dims) or "pixels" (each 16 x 16
// patch averaged to 4 x 4 x 3 values, centred: 48 dims), to check that nothing depends on one
// encoder's scale.
#pragma once

#include <algorithm>
#include <array>
#include <cmath>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "predsense/core/frame_buffer.hpp"
#include "predsense/encoders/patch_embedder.hpp"
#include "predsense/kernels/random.hpp"
#include "support/cli.hpp"

namespace recall_devset {

inline constexpr std::size_t room_side = 384, frame_side = 128, obj_side = 96, query_side = 48, grid = 8;

struct sources {
  std::vector<std::uint8_t> rooms, clips, objects;
  std::size_t n_rooms = 0, n_clip_frames = 0, n_objects = 0;
  std::vector<std::size_t> clip_start, clip_len;
};

inline std::vector<std::uint8_t> read_u8(const std::filesystem::path& p, std::size_t bytes) {
  namespace t = predsense::tools;
  std::error_code ec;
  const auto size = std::filesystem::file_size(p, ec);
  if (ec) throw t::bad_input(p.string() + ": cannot read (" + ec.message() + ")");
  if (size != bytes)
    throw t::bad_input(p.string() + ": " + std::to_string(size) + " bytes but manifest.json's shape needs " +
                       std::to_string(bytes));
  std::vector<std::uint8_t> v(bytes);
  std::ifstream f(p, std::ios::binary);
  if (!f.read(reinterpret_cast<char*>(v.data()), static_cast<std::streamsize>(bytes)))
    throw t::bad_input(p.string() + ": short read");
  return v;
}

inline sources load(const std::filesystem::path& dir) {
  namespace t = predsense::tools;
  const auto mpath = dir / "manifest.json";
  std::ifstream f(mpath);
  if (!f) throw t::bad_input(mpath.string() + ": cannot open (run scripts/make_recall_devset.py " + dir.string() + ")");
  t::json m;
  try {
    m = t::json::parse(f);
  } catch (const std::exception& e) {
    throw t::bad_input(mpath.string() + ": not JSON (" + e.what() + ")");
  }
  auto shape = [&](const char* key, std::size_t rank, std::array<std::size_t, 3> tail) {
    const auto& s = m.at(key).at("shape");
    if (!s.is_array() || s.size() != rank) throw t::bad_input(mpath.string() + ": /" + key + "/shape: wrong rank");
    for (std::size_t i = 1; i < rank; ++i)
      if (s[i].get<std::size_t>() != tail[i - 1])
        throw t::bad_input(mpath.string() + ": /" + key + "/shape: unexpected frame size");
    const auto n = s[0].get<std::size_t>();
    if (n == 0 || n > 100000) throw t::bad_input(mpath.string() + ": /" + key + "/shape/0: out of range");
    return n;
  };
  sources s;
  try {
    s.n_rooms = shape("rooms", 4, {room_side, room_side, 3});
    s.n_clip_frames = shape("clips", 4, {frame_side, frame_side, 3});
    s.n_objects = shape("objects", 4, {obj_side, obj_side, 4});
    std::size_t at = 0;
    for (const auto& l : m.at("clips").at("lengths")) {
      const auto n = l.get<std::size_t>();
      if (n == 0) throw t::bad_input(mpath.string() + ": /clips/lengths: an empty clip");
      s.clip_start.push_back(at);
      s.clip_len.push_back(n);
      at += n;
    }
    if (at != s.n_clip_frames) throw t::bad_input(mpath.string() + ": /clips/lengths do not add up to the shape");
  } catch (const t::json::exception& e) {
    throw t::bad_input(mpath.string() + ": " + e.what());
  }
  s.rooms = read_u8(dir / "rooms.u8", s.n_rooms * room_side * room_side * 3);
  s.clips = read_u8(dir / "clips.u8", s.n_clip_frames * frame_side * frame_side * 3);
  s.objects = read_u8(dir / "objects.u8", s.n_objects * obj_side * obj_side * 4);
  return s;
}

struct rng {
  std::uint64_t s;
  std::uint64_t next() {
    s += predsense::kernels::splitmix64_increment;
    return predsense::kernels::splitmix64(s - predsense::kernels::splitmix64_increment);
  }
  double uniform() { return predsense::kernels::unit_interval(next()); }
  std::size_t below(std::size_t n) { return static_cast<std::size_t>(uniform() * static_cast<double>(n)) % n; }
};

struct segment {
  bool clip = false;
  std::size_t source = 0;  // room index, or clip index
  std::size_t start = 0, len = 0, clip_offset = 0;
  double cx0 = 0, cy0 = 0, c0 = 0, cx1 = 0, cy1 = 0, c1 = 0;  // camera: centre and crop side, start -> end
};

struct paste {
  std::size_t frame = 0, x = 0, y = 0, size = 0;
};

class stream {
 public:
  std::size_t frames;
  std::size_t object;
  std::array<paste, 4> needles{};
  std::vector<segment> segs;

  stream(const sources& src, std::size_t n, std::uint64_t seed)
      : frames(n), src_(src), rng_{seed * 0x9E3779B97F4A7C15ull + 7} {
    object = rng_.below(src.n_objects);
    std::vector<std::size_t> rooms(src.n_rooms);
    for (std::size_t i = 0; i < rooms.size(); ++i) rooms[i] = i;
    for (std::size_t i = 0; i + 1 < rooms.size(); ++i) std::swap(rooms[i], rooms[i + rng_.below(rooms.size() - i)]);
    rooms.resize(std::min<std::size_t>(8, rooms.size()));
    std::size_t t = 0, last_room = ~std::size_t{0};
    while (t < n) {
      segment g;
      g.start = t;
      g.clip = rng_.uniform() < 0.25;
      if (g.clip) {
        g.source = rng_.below(src.clip_len.size());
        g.len = 30 + rng_.below(61);
        g.clip_offset = rng_.below(src.clip_len[g.source]);
      } else {
        do g.source = rooms[rng_.below(rooms.size())];
        while (g.source == last_room && rooms.size() > 1);
        last_room = g.source;
        g.len = 60 + rng_.below(181);
        g.c0 = 200 + 100 * rng_.uniform();
        g.c1 = std::clamp(g.c0 + 60 * (rng_.uniform() - 0.5), 180.0, 320.0);
        auto centre = [&](double c) { return c / 2 + (room_side - c) * rng_.uniform(); };
        g.cx0 = centre(g.c0), g.cy0 = centre(g.c0);
        g.cx1 = std::clamp(g.cx0 + 80 * (rng_.uniform() - 0.5), g.c1 / 2, room_side - g.c1 / 2);
        g.cy1 = std::clamp(g.cy0 + 80 * (rng_.uniform() - 0.5), g.c1 / 2, room_side - g.c1 / 2);
      }
      g.len = std::min(g.len, n - t);
      t += g.len;
      segs.push_back(g);
    }
    for (std::size_t q = 0; q < 4; ++q) {
      paste p;
      for (int tries = 0;; ++tries) {
        p.frame = q * n / 4 + rng_.below(n / 4);
        const segment& g = at(p.frame);
        if (!g.clip && p.frame >= g.start + 2 && p.frame + 2 < g.start + g.len) break;
        if (tries > 10000) throw predsense::tools::bad_input("recall devset: no room frame in a quarter");
      }
      p.size = 40 + rng_.below(25);
      p.x = rng_.below(frame_side - p.size);
      p.y = rng_.below(frame_side - p.size);
      needles[q] = p;
    }
  }

  [[nodiscard]] const segment& at(std::size_t t) const {
    auto it =
        std::upper_bound(segs.begin(), segs.end(), t, [](std::size_t v, const segment& g) { return v < g.start; });
    return *(it - 1);
  }
  [[nodiscard]] bool is_needle(std::uint64_t t) const {
    return std::any_of(needles.begin(), needles.end(), [&](const paste& p) { return p.frame == t; });
  }

  // Frame t as 128 x 128 x 3 bytes.
  void render(std::size_t t, std::vector<std::uint8_t>& out) {
    out.resize(frame_side * frame_side * 3);
    const segment& g = at(t);
    if (g.clip) {
      const std::size_t f = src_.clip_start[g.source] + (g.clip_offset + t - g.start) % src_.clip_len[g.source];
      std::copy_n(src_.clips.data() + f * out.size(), out.size(), out.data());
    } else {
      const double a = g.len > 1 ? static_cast<double>(t - g.start) / static_cast<double>(g.len - 1) : 0.0;
      const double c = g.c0 + a * (g.c1 - g.c0), cx = g.cx0 + a * (g.cx1 - g.cx0), cy = g.cy0 + a * (g.cy1 - g.cy0);
      const std::uint8_t* img = src_.rooms.data() + g.source * room_side * room_side * 3;
      const double step = c / frame_side, x0 = cx - c / 2, y0 = cy - c / 2;
      for (std::size_t y = 0; y < frame_side; ++y) {
        const double sy = std::clamp(y0 + (static_cast<double>(y) + 0.5) * step - 0.5, 0.0, room_side - 1.001);
        const auto iy = static_cast<std::size_t>(sy);
        const double fy = sy - static_cast<double>(iy);
        for (std::size_t x = 0; x < frame_side; ++x) {
          const double sx = std::clamp(x0 + (static_cast<double>(x) + 0.5) * step - 0.5, 0.0, room_side - 1.001);
          const auto ix = static_cast<std::size_t>(sx);
          const double fx = sx - static_cast<double>(ix);
          const std::uint8_t* p = img + (iy * room_side + ix) * 3;
          for (std::size_t ch = 0; ch < 3; ++ch) {
            const double v = (1 - fy) * ((1 - fx) * p[ch] + fx * p[3 + ch]) +
                             fy * ((1 - fx) * p[room_side * 3 + ch] + fx * p[room_side * 3 + 3 + ch]);
            out[(y * frame_side + x) * 3 + ch] = static_cast<std::uint8_t>(std::clamp(v + 0.5, 0.0, 255.0));
          }
        }
      }
    }
    std::uint64_t ns = rng_.next();  // sensor noise, +-3 levels
    for (auto& v : out) {
      ns ^= ns << 13, ns ^= ns >> 7, ns ^= ns << 17;
      v = static_cast<std::uint8_t>(std::clamp(static_cast<int>(v) + static_cast<int>(ns % 7) - 3, 0, 255));
    }
    for (const paste& p : needles)
      if (p.frame == t) blend(out.data(), frame_side, p.x, p.y, p.size);
  }

  // The question: a crop of the object (its inner `inner` fraction, where the cut-out is opaque)
  // at `side` x `side` pixels.
  [[nodiscard]] std::vector<std::uint8_t> query_image(std::size_t side, double inner) const {
    std::vector<std::uint8_t> q(side * side * 3);
    const std::uint8_t* o = src_.objects.data() + object * obj_side * obj_side * 4;
    const double lo = (1.0 - inner) / 2.0 * obj_side, span = inner * obj_side;
    for (std::size_t v = 0; v < side; ++v)
      for (std::size_t u = 0; u < side; ++u) {
        const auto ou =
            static_cast<std::size_t>(lo + (static_cast<double>(u) + 0.5) * span / static_cast<double>(side));
        const auto ov =
            static_cast<std::size_t>(lo + (static_cast<double>(v) + 0.5) * span / static_cast<double>(side));
        for (std::size_t ch = 0; ch < 3; ++ch) q[(v * side + u) * 3 + ch] = o[(ov * obj_side + ou) * 4 + ch];
      }
    return q;
  }

 private:
  const sources& src_;
  rng rng_;

  // Alpha-blends the object, resized (nearest-area) to size x size, into img (side x side x 3) at (x, y).
  void blend(std::uint8_t* img, std::size_t side, std::size_t x, std::size_t y, std::size_t size) const {
    const std::uint8_t* o = src_.objects.data() + object * obj_side * obj_side * 4;
    for (std::size_t v = 0; v < size; ++v)
      for (std::size_t u = 0; u < size; ++u) {
        const std::size_t ou = u * obj_side / size, ov = v * obj_side / size;
        const std::uint8_t* p = o + (ov * obj_side + ou) * 4;
        const double al = p[3] / 255.0;
        std::uint8_t* d = img + ((y + v) * side + x + u) * 3;
        for (std::size_t ch = 0; ch < 3; ++ch)
          d[ch] = static_cast<std::uint8_t>(std::clamp(al * p[ch] + (1 - al) * d[ch] + 0.5, 0.0, 255.0));
      }
  }
};

// Raw pixel patches: each of the grid x grid patches averaged to 4 x 4 cells x RGB, centred (48 dims).
inline void pixel_patches(const std::uint8_t* rgb, std::size_t side, std::size_t g, predsense::frame_buffer& out) {
  const std::size_t d = 48;
  out.resize(g * g, d);
  const std::size_t ps = side / g, cs = ps / 4;
  for (std::size_t ty = 0; ty < g; ++ty)
    for (std::size_t tx = 0; tx < g; ++tx) {
      float* o = out.data() + (ty * g + tx) * d;
      for (std::size_t cy = 0; cy < 4; ++cy)
        for (std::size_t cx = 0; cx < 4; ++cx)
          for (std::size_t ch = 0; ch < 3; ++ch) {
            double s = 0;
            for (std::size_t y = 0; y < cs; ++y)
              for (std::size_t x = 0; x < cs; ++x)
                s += rgb[((ty * ps + cy * cs + y) * side + tx * ps + cx * cs + x) * 3 + ch];
            o[(cy * 4 + cx) * 3 + ch] = static_cast<float>(s / static_cast<double>(cs * cs) / 255.0 - 0.5);
          }
    }
}

}  // namespace recall_devset
