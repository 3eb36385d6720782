// ffmpeg/frame_source.hpp against the ffmpeg program: small videos generated here (ffmpeg's testsrc2
// and mandelbrot sources), decoded in process and by `ffmpeg -vf [fps=R,]scale=W:H:flags=area
// -pix_fmt rgb24 -f rawvideo`; the frames must be the same bytes, the same count, the same times.
// Also: the stream rule (cover art and a smaller second stream are not picked), display rotation,
// the fps filter's arithmetic on its own, and the errors (missing file, not a video, a huge picture
// size, a stream with no frames).
#include <doctest/doctest.h>

#include <sys/stat.h>
#include <unistd.h>

#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <optional>
#include <string>
#include <vector>

#include "predsense/core/error.hpp"
#include "predsense/ffmpeg/frame_source.hpp"

namespace fs = std::filesystem;
using predsense::frame_source;
using predsense::frame_source_params;
using predsense::video_frame;

namespace {

struct scratch {
  fs::path dir;
  scratch() {
    std::string t = (fs::temp_directory_path() / "predsense-frame-source.XXXXXX").string();
    REQUIRE(::mkdtemp(t.data()) != nullptr);
    dir = t;
  }
  ~scratch() {
    std::error_code ec;
    fs::remove_all(dir, ec);
  }
  [[nodiscard]] std::string operator/(const std::string& name) const { return (dir / name).string(); }
};

frame_source_params sized(std::size_t w, std::size_t h, std::optional<predsense::frame_rate> fps = std::nullopt) {
  frame_source_params p;
  p.width = w;
  p.height = h;
  p.fps = fps;
  return p;
}

bool have_ffmpeg() { return std::system("ffmpeg -version >/dev/null 2>&1") == 0; }

void run(const std::string& cmd) {
  INFO(cmd);
  REQUIRE(std::system((cmd + " >/dev/null 2>&1").c_str()) == 0);
}

std::vector<std::uint8_t> slurp(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

// ffmpeg's frames: rgb24 at w x h after `vf` (the reference the frame source must equal)
std::vector<std::uint8_t> ffmpeg_frames(const scratch& s, const std::string& in, const std::string& vf) {
  const std::string out = s / "ref.rgb";
  run("ffmpeg -nostdin -v error -y -i " + in + " -map 0:v:0 -vf " + vf +
      " -pix_fmt rgb24 -fps_mode passthrough -f rawvideo " + out);
  return slurp(out);
}

std::vector<video_frame> all_frames(frame_source& src) {
  std::vector<video_frame> v;
  video_frame f;
  while (src.read(f)) v.push_back(f);
  return v;
}

std::vector<std::uint8_t> concat(const std::vector<video_frame>& v) {
  std::vector<std::uint8_t> out;
  for (const auto& f : v) out.insert(out.end(), f.rgb.begin(), f.rgb.end());
  return out;
}

// The first frame index where two frame sequences differ (for a readable failure), or -1.
long first_difference(const std::vector<std::uint8_t>& a, const std::vector<std::uint8_t>& b, std::size_t frame_bytes) {
  for (std::size_t i = 0; i < std::min(a.size(), b.size()); ++i)
    if (a[i] != b[i]) return static_cast<long>(i / frame_bytes);
  return a.size() == b.size() ? -1 : static_cast<long>(std::min(a.size(), b.size()) / frame_bytes);
}

}  // namespace

TEST_CASE("fps_resampler follows ffmpeg's fps filter: latest frame at or before each tick, end rounded") {
  predsense::detail::fps_resampler r;
  // frames at ticks 0, 0, 1, 3, 3, 7: outputs per push = ticks the held frame covers
  CHECK(r.push(0) == 0);
  CHECK(r.push(0) == 0);  // replaces the held frame (dropped)
  CHECK(r.push(1) == 1);  // the held frame shown at tick 0
  CHECK(r.push(3) == 2);  // ticks 1, 2
  CHECK(r.push(3) == 0);
  CHECK(r.push(7) == 4);  // ticks 3..6 (duplicated)
  CHECK(r.finish(9) == 2);
  predsense::detail::fps_resampler e;
  CHECK(e.push(5) == 0);
  CHECK(e.finish(5) == 0);  // the end rounds onto the last frame's own tick: ffmpeg drops it
}

TEST_CASE("parse_frame_rate: integers, decimals and ffmpeg's rationals") {
  CHECK(predsense::parse_frame_rate("24000/1001")->num == 24000);
  CHECK(predsense::parse_frame_rate("24000/1001")->den == 1001);
  CHECK(predsense::parse_frame_rate("25")->value() == doctest::Approx(25.0));
  CHECK(predsense::parse_frame_rate("29.97")->value() == doctest::Approx(29.97));
  CHECK(!predsense::parse_frame_rate("0"));
  CHECK(!predsense::parse_frame_rate("-5"));
  CHECK(!predsense::parse_frame_rate("abc"));
  CHECK(!predsense::parse_frame_rate(""));
}

TEST_CASE("frame_source equals ffmpeg's scale=128:128:flags=area rgb24 frame for frame, with its times") {
  if (!have_ffmpeg()) return;
  scratch s;
  struct clip {
    std::string name, make;
  };
  const std::vector<clip> clips = {
      {"h264.mp4", "-f lavfi -i testsrc2=size=320x240:rate=25:duration=2 -c:v libx264 -pix_fmt yuv420p -g 12 -bf 2"},
      {"mpeg4.avi", "-f lavfi -i mandelbrot=size=176x144:rate=15 -t 2 -c:v mpeg4 -q:v 5"},
      {"vp9.webm",
       "-f lavfi -i testsrc2=size=200x150:rate=30:duration=1 -c:v libvpx-vp9 -deadline realtime -cpu-used 8"},
      {"mjpeg.mkv", "-f lavfi -i testsrc2=size=160x120:rate=10:duration=2 -c:v mjpeg -pix_fmt yuvj422p"},
  };
  for (const auto& c : clips) {
    CAPTURE(c.name);
    const std::string in = s / c.name;
    if (std::system(("ffmpeg -nostdin -v error -y " + c.make + " " + in + " >/dev/null 2>&1").c_str()) != 0)
      continue;  // an encoder this ffmpeg lacks
    const auto ref = ffmpeg_frames(s, in, "scale=128:128:flags=area");
    frame_source src(in, sized(128, 128));
    CHECK(src.info().width > 0);
    const auto got = all_frames(src);
    REQUIRE(!got.empty());
    CHECK(got.size() * 128 * 128 * 3 == ref.size());
    CHECK(first_difference(concat(got), ref, 128 * 128 * 3) == -1);
    // times: frame k of a constant-rate clip at k / rate from the start (to the container's time
    // base: WebM and Matroska store milliseconds)
    const double rate = src.info().average_rate.value();
    REQUIRE(rate > 0);
    for (std::size_t k = 0; k < got.size(); ++k) {
      CHECK(got[k].index == k);
      CHECK(std::abs(got[k].time - static_cast<double>(k) / rate) <= 5.01e-4);
    }
    CHECK(src.decode_errors() == 0);
  }
}

TEST_CASE("frame_source resamples as ffmpeg's fps filter: 24000/1001, 2, 7.5 and 60 fps") {
  if (!have_ffmpeg()) return;
  scratch s;
  const std::string in = s / "v.mp4";
  run("ffmpeg -nostdin -v error -y -f lavfi -i testsrc2=size=192x108:rate=25:duration=3 -c:v libx264 -g 10 " + in);
  for (const std::string fps : {"24000/1001", "2", "7.5", "60"}) {
    CAPTURE(fps);
    const auto ref = ffmpeg_frames(s, in, "fps=" + fps + ",scale=64:48:flags=area");
    frame_source src(in, sized(64, 48, predsense::parse_frame_rate(fps)));
    const auto got = all_frames(src);
    CHECK(got.size() * 64 * 48 * 3 == ref.size());
    CHECK(first_difference(concat(got), ref, 64 * 48 * 3) == -1);
    const double r = predsense::parse_frame_rate(fps)->value();
    for (std::size_t k = 0; k < got.size(); ++k) CHECK(got[k].time == doctest::Approx(static_cast<double>(k) / r));
  }
}

TEST_CASE("frame_source picks the largest video stream that is not cover art, and turns rotated video") {
  if (!have_ffmpeg()) return;
  scratch s;
  const std::string small = s / "small.mp4", big = s / "big.mp4", two = s / "two.mkv";
  run("ffmpeg -nostdin -v error -y -f lavfi -i testsrc2=size=96x64:rate=10:duration=1 -c:v libx264 " + small);
  run("ffmpeg -nostdin -v error -y -f lavfi -i mandelbrot=size=160x120:rate=10 -t 1 -c:v libx264 " + big);
  run("ffmpeg -nostdin -v error -y -i " + small + " -i " + big + " -map 0 -map 1 -c copy " + two);
  frame_source src(two, sized(32, 32));
  CHECK(src.info().index == 1);
  CHECK(src.info().position == 1);
  CHECK(src.info().width == 160);
  const auto ref = ffmpeg_frames(s, big, "scale=32:32:flags=area");
  CHECK(concat(all_frames(src)) == ref);

  // a display matrix (the rotate=90 tag of a phone's .mp4, 90 degrees counter-clockwise in FFmpeg's
  // convention): ffmpeg autorotates (transpose=cclock) before scaling
  const std::string rot = s / "rot.mp4";
  run("ffmpeg -nostdin -v error -y -i " + small + " -c copy -metadata:s:v:0 rotate=90 " + rot);
  frame_source r(rot, {});
  CHECK(r.info().rotation == 270);
  CHECK(r.width() == 64);  // the picture is 96 x 64 stored, 64 x 96 shown
  CHECK(r.height() == 96);
  const std::string raw = s / "rot.rgb";
  run("ffmpeg -nostdin -v error -y -i " + rot + " -pix_fmt rgb24 -f rawvideo " + raw);
  const auto got = all_frames(r);
  const auto want = slurp(raw);
  REQUIRE(got.size() * 64 * 96 * 3 == want.size());
  // same orientation as ffmpeg's: the rotation is applied after the colour conversion here, before it
  // there, so pixels may differ by the conversion's rounding but not by a misplaced picture
  double err = 0;
  const auto mine = concat(got);
  for (std::size_t i = 0; i < mine.size(); ++i) err += std::abs(int(mine[i]) - int(want[i]));
  CHECK(err / static_cast<double>(mine.size()) < 3.0);
}

TEST_CASE("frame_source errors name the input: missing, not a video, huge picture size; no frames is no frames") {
  scratch s;
  CHECK_THROWS_AS(frame_source(s / "missing.mp4"), predsense::format_error);
  {
    std::ofstream(s / "text.mp4") << "this is not a video\n";
    CHECK_THROWS_AS(frame_source(s / "text.mp4"), predsense::format_error);
  }
  {
    // a raw YUV4MPEG header claiming 30000 x 30000 pixels
    std::ofstream(s / "huge.y4m", std::ios::binary) << "YUV4MPEG2 W30000 H30000 F25:1 Ip A1:1 C420jpeg\nFRAME\nabc";
    try {
      frame_source f(s / "huge.y4m");
      FAIL("a 30000 x 30000 picture was accepted");
    } catch (const predsense::format_error& e) {
      CHECK(std::string(e.what()).find("huge.y4m") != std::string::npos);
    }
  }
  CHECK_THROWS_AS(frame_source(s / "x.mp4", sized(10, 0)), predsense::invalid_argument_error);
  if (!have_ffmpeg()) return;
  // a video stream without a single frame: opens, gives nothing
  const std::string empty = s / "empty.y4m";
  { std::ofstream(empty, std::ios::binary) << "YUV4MPEG2 W64 H48 F25:1 Ip A1:1 C420jpeg\n"; }
  frame_source e(empty, sized(16, 16));
  video_frame f;
  CHECK(!e.read(f));
  CHECK(e.frames_decoded() == 0);
}

TEST_CASE("frame_source reads a named pipe and standard input ('-') once, start to end") {
  if (!have_ffmpeg()) return;
  scratch s;
  const std::string in = s / "v.mkv";
  run("ffmpeg -nostdin -v error -y -f lavfi -i testsrc2=size=128x96:rate=10:duration=1 -c:v libx264 " + in);
  const auto ref = ffmpeg_frames(s, in, "scale=32:32:flags=area");
  const std::string fifo = s / "fifo";
  REQUIRE(::mkfifo(fifo.c_str(), 0600) == 0);
  REQUIRE(std::system(("cat " + in + " > " + fifo + " &").c_str()) == 0);
  frame_source p(fifo, sized(32, 32));
  CHECK(concat(all_frames(p)) == ref);
}
