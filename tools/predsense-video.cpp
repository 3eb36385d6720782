// predsense-video - stream a video through the default predsense pipeline and show what it found.
//
//   predsense-video INPUT [--fps N] [--features F.npy] [--json OUT.json] [--plot OUT.png]
//                   [--sheet OUT.png] [--features-out F.npy] [--predictor copy-last|rls|rls-pooled|ema|lfp]
//                   [--lfp-lr R] [--segmenter transition|cut|adaptive|peak|threshold] [...]
//
// Decoding: ffmpeg runs as a subprocess (no shell) and writes raw rgb24 frames, scaled to a fixed
// 128x128 working size, through a pipe (at --fps if given, else every frame at the video's own
// rate; ffprobe reports that rate). Each frame becomes 8x8 = 64 patch tokens of 256 dims through the
// weight-free patch_embedder (predsense/encoders/patch_embedder.hpp). With --features F.npy the
// latents come from the file instead (frames x T x D, or frames x D for one token per frame, e.g.
// SigLIP features exported from PyTorch, docs/video.md); they are taken to be sampled at --fps
// (default 1, as in Cambrian-S). With INPUT too, INPUT is decoded at that rate for the detector's
// thumbnails (frame i of the features <-> the i-th frame ffmpeg's fps filter gives, at i / fps s):
// the surprise comes from your latents, the verification from the pixels. Without INPUT the
// scale-free cut detector runs on the surprise alone.
//
// Default pipeline: copy_last predictor (--predictor rls | rls-pooled | ema | lfp: online ridge per
// token, on the mean token, exponential moving average, the Cambrian-S LFP head trained on the
// stream by Adam at --lfp-lr) -> token_cosine_distance surprise (Cambrian-S) -> the transition
// detector (predsense/segmentation/video/transition_detector.hpp) fed with that surprise and a 32x32
// thumbnail of each frame (kernels/area_downsample.hpp) -> Cambrian-S memory (sensory window 32,
// budget 8192 tokens, drop_merge). The detector reports cuts, dissolves, fades and dips as events
// with [start, end] and kind, and nothing for flashes, camera motion or occluders that leave
// (comparing the frames before and after each burst of surprise; docs/video.md has the method and
// its scores on a real-footage dev set, scripts/video_devset.sh). --segmenter cut selects the
// previous default, hard cuts only (predsense/segmentation/video/cut_segmenter.hpp: a local peak of the
// surprise that is also a robust outlier against the last --window values); it is the default with
// --features and no INPUT (no frames to take thumbnails from). --segmenter adaptive|peak|threshold:
// the library's other segmenters on the surprise. Every default rule on the surprise is relative to
// the stream (robust statistics over a trailing window), so it holds for any encoder's scale; the
// absolute options (--floor, --absolute-prominence, --threshold) are off by default.
// Threads: ffmpeg decodes in its own process (its default thread count); here one thread reads the
// frame pipe and computes tokens and thumbnails ahead, the main thread runs the rest in frame order.
// The first frame's surprise is 1 by convention (no prediction) and is not given to a segmenter.
//
// --features-out F.npy writes the latents the pipeline used (frames x T x D float32, C order; the
// patch embedder's on video input), so Python can rebuild the result step by step (docs/video.md).
// Output: boundaries, a segment table and memory statistics on stdout; --json (schema in
// docs/video.md), --plot (scripts/plot_surprise.py under /usr/bin/python3, or $PREDSENSE_PYTHON),
// --sheet (one frame per segment, ffmpeg's select + tile filters), --report (an HTML page written by
// python/predsense/report.py from the JSON plus the memory sampled every frame), --scenes-csv, --edl,
// --split-video (tools/support/scene_export.hpp: PySceneDetect's CSV, CMX 3600, one file per scene).
// Every output is written to a temporary file and renamed into place only after all of them
// succeeded. A progress bar goes to stderr when stderr is a terminal.
//
// Exit codes: 0 success; 2 bad input (missing/unreadable/not-a-video file, bad option value, missing
// ffmpeg, malformed .npy) or a failed output step, with nothing written; 1 unexpected failure.
#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>

#include <fcntl.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <condition_variable>
#include <cmath>
#include <csignal>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <deque>
#include <exception>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <mutex>
#include <optional>
#include <sstream>
#include <string>
#include <thread>
#include <variant>
#include <vector>

#include "predsense/core/boundary.hpp"
#include "predsense/core/error.hpp"
#include "predsense/core/frame_buffer.hpp"
#include "predsense/core/frame_view.hpp"
#include "predsense/encoders/patch_embedder.hpp"
#include "predsense/io/npy.hpp"
#include "predsense/memory/memory_store.hpp"
#include "predsense/pipeline/stream.hpp"
#include "predsense/predictors/copy_last.hpp"
#include "predsense/predictors/ema_predictor.hpp"
#include "predsense/predictors/lfp_predictor.hpp"
#include "predsense/predictors/rls_predictor.hpp"
#include "predsense/kernels/area_downsample.hpp"
#include "predsense/segmentation/streaming/adaptive_segmenter.hpp"
#include "predsense/segmentation/video/cut_segmenter.hpp"
#include "predsense/segmentation/streaming/peak_segmenter.hpp"
#include "predsense/segmentation/streaming/threshold_segmenter.hpp"
#include "predsense/segmentation/video/transition_detector.hpp"
#include "support/cli.hpp"
#include "support/scene_export.hpp"
#include "support/video_report.hpp"
#include "predsense/surprise/token_cosine_distance.hpp"

extern char** environ;

namespace fs = std::filesystem;
using json = nlohmann::ordered_json;  // keys in the documented order

namespace {

// Anything the user can fix (input, options, missing programs) -> exit 2.
struct tool_error : predsense::error {
  using predsense::error::error;
};

constexpr std::size_t work_w = 128, work_h = 128;

// ---- subprocesses ------------------------------------------------------------------------------

// A scratch directory removed on exit (ffmpeg's stderr, temporary JSON for the plot).
struct scratch_dir {
  fs::path path;
  scratch_dir() {
    std::string tmpl = (fs::temp_directory_path() / "predsense-video.XXXXXX").string();
    if (!::mkdtemp(tmpl.data()))
      throw tool_error(std::string("cannot create a temporary directory: ") + std::strerror(errno));
    path = tmpl;
  }
  ~scratch_dir() {
    std::error_code ec;
    fs::remove_all(path, ec);
  }
  scratch_dir(const scratch_dir&) = delete;
  scratch_dir& operator=(const scratch_dir&) = delete;
};

struct child {
  pid_t pid = -1;
  int out = -1;  // read end of its stdout (-1 if not captured)
};

// Starts argv[0] (looked up on PATH) with stdin from /dev/null, stderr (and stdout unless captured)
// to `log`. A program that cannot be started is a tool_error naming it.
child spawn(const std::vector<std::string>& args, bool capture_stdout, const fs::path& log) {
  std::vector<char*> argv;
  for (const auto& a : args) argv.push_back(const_cast<char*>(a.c_str()));
  argv.push_back(nullptr);
  int fds[2] = {-1, -1};
  if (capture_stdout && ::pipe2(fds, O_CLOEXEC) != 0) throw tool_error(std::string("pipe: ") + std::strerror(errno));
  posix_spawn_file_actions_t fa;
  posix_spawn_file_actions_init(&fa);
  posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
  posix_spawn_file_actions_addopen(&fa, 2, log.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
  if (capture_stdout)
    posix_spawn_file_actions_adddup2(&fa, fds[1], 1);
  else
    posix_spawn_file_actions_adddup2(&fa, 2, 1);
  child c;
  const int rc = ::posix_spawnp(&c.pid, argv[0], &fa, nullptr, argv.data(), environ);
  posix_spawn_file_actions_destroy(&fa);
  if (capture_stdout) ::close(fds[1]);
  if (rc != 0) {
    if (capture_stdout) ::close(fds[0]);
    if (rc == ENOENT)
      throw tool_error(
          args[0] + " not found on PATH" +
          (args[0].rfind("ff", 0) == 0 ? std::string(" (install ffmpeg: apt-get install ffmpeg)") : std::string()));
    throw tool_error("cannot start " + args[0] + ": " + std::strerror(rc));
  }
  c.out = capture_stdout ? fds[0] : -1;
  return c;
}

int wait_child(pid_t pid) {
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0)
    if (errno != EINTR) return 127;
  if (WIFEXITED(status)) return WEXITSTATUS(status);
  return 128 + (WIFSIGNALED(status) ? WTERMSIG(status) : 0);
}

// The end of a child's log, without showinfo's per-frame lines.
std::string tail_of(const fs::path& log, std::size_t max_chars = 600) {
  std::ifstream in(log);
  std::string s, line;
  while (std::getline(in, line))
    if (line.find("Parsed_showinfo") == std::string::npos) s += line + "\n";
  while (!s.empty() && (s.back() == '\n' || s.back() == ' ')) s.pop_back();
  if (s.size() > max_chars) s = "..." + s.substr(s.size() - max_chars);
  return s;
}

// Presentation times (seconds) of the frames, from ffmpeg's showinfo lines in the log.
// Decoder complaints in ffmpeg's log (a corrupt frame, a concealed slice, invalid data).
std::size_t count_decode_errors(const fs::path& log, const std::string& input) {
  std::ifstream in(log);
  std::size_t n = 0;
  std::string line;
  while (std::getline(in, line)) {
    if (line.find("Parsed_showinfo") != std::string::npos) continue;
    // ffmpeg echoes the input's name (e.g. "Input #0, ... from 'x.mp4'"): a path that happens to
    // contain "corrupt" is not a decoder message.
    if (!input.empty()) {
      for (std::size_t at = line.find(input); at != std::string::npos; at = line.find(input))
        line.erase(at, input.size());
    }
    for (const char* key : {"corrupt", "concealing", "error while decoding", "Invalid data", "illegal", "damaged"})
      if (line.find(key) != std::string::npos) {
        ++n;
        break;
      }
  }
  return n;
}

std::vector<double> frame_times(const fs::path& log) {
  std::ifstream in(log);
  std::vector<double> t;
  std::string line;
  while (std::getline(in, line)) {
    if (line.find("Parsed_showinfo") == std::string::npos) continue;
    const auto p = line.find("pts_time:");
    if (p == std::string::npos) continue;
    try {
      t.push_back(std::stod(line.substr(p + 9)));
    } catch (const std::exception&) {
      return {};
    }
  }
  return t;
}

// Reads up to n bytes; returns how many (less than n only at end of stream).
std::size_t read_full(int fd, unsigned char* p, std::size_t n) {
  std::size_t got = 0;
  while (got < n) {
    const ssize_t r = ::read(fd, p + got, n - got);
    if (r == 0) break;
    if (r < 0) {
      if (errno == EINTR) continue;
      throw tool_error(std::string("reading from ffmpeg: ") + std::strerror(errno));
    }
    got += static_cast<std::size_t>(r);
  }
  return got;
}

// Reads a started child's stdout to its end and waits for it; non-zero exit -> tool_error(what +
// the end of its log).
std::string finish_capture(child c, const std::string& program, const fs::path& log, const std::string& what) {
  std::string out;
  unsigned char buf[4096];
  for (;;) {
    const std::size_t n = read_full(c.out, buf, sizeof buf);
    out.append(reinterpret_cast<const char*>(buf), n);
    if (n < sizeof buf) break;
  }
  ::close(c.out);
  const int rc = wait_child(c.pid);
  if (rc != 0) {
    const std::string err = tail_of(log);
    throw tool_error(what + (err.empty() ? " (" + program + " exit code " + std::to_string(rc) + ")" : ": " + err));
  }
  return out;
}

// Runs a command to completion, returning its stdout; non-zero exit -> tool_error(what + stderr).
std::string run_capture(const std::vector<std::string>& args, const fs::path& log, const std::string& what) {
  return finish_capture(spawn(args, true, log), args[0], log, what);
}

// ---- probing -----------------------------------------------------------------------------------

struct video_info {
  std::size_t index = 0;     // ffprobe's stream index of the video stream used (not cover art)
  std::size_t position = 0;  // its position among the video streams (0: the first, "0:v:0")
  std::size_t width = 0, height = 0;
  double fps = 0.0;       // the stream's average frame rate (0 if unknown)
  double duration = 0.0;  // seconds (0 if unknown)
};

double parse_rate(const std::string& r) {
  const auto slash = r.find('/');
  try {
    if (slash == std::string::npos) return std::stod(r);
    const double num = std::stod(r.substr(0, slash)), den = std::stod(r.substr(slash + 1));
    return den > 0.0 ? num / den : 0.0;
  } catch (const std::exception&) {
    return 0.0;
  }
}

double json_number(const json& j, const char* key) {
  if (!j.contains(key)) return 0.0;
  const auto& v = j[key];
  if (v.is_number()) return v.get<double>();
  if (v.is_string()) return parse_rate(v.get<std::string>());
  return 0.0;
}

void check_readable(const std::string& input) {
  std::error_code ec;
  if (!fs::exists(input, ec)) throw tool_error(input + ": no such file");
  if (fs::is_directory(input, ec)) throw tool_error(input + ": is a directory, not a video");
  std::ifstream f(input, std::ios::binary);
  if (!f) throw tool_error(input + ": cannot open (" + std::strerror(errno) + ")");
}

std::vector<std::string> probe_args(const std::string& input) {
  return {
      "ffprobe",
      "-v",
      "error",
      "-select_streams",
      "v",
      "-show_entries",
      "stream=index,width,height,avg_frame_rate,r_frame_rate,duration:stream_disposition=attached_pic:format=duration",
      "-of",
      "json",
      "--",
      input};
}

std::string probe_failed(const std::string& input) { return input + ": ffprobe cannot read it as a video"; }

video_info parse_probe(const std::string& out, const std::string& input);

video_info probe(const std::string& input, const fs::path& log) {
  check_readable(input);
  return parse_probe(run_capture(probe_args(input), log, probe_failed(input)), input);
}

// ffprobe's JSON -> the stream to decode (see below), its rate and duration.
video_info parse_probe(const std::string& out, const std::string& input) {
  json j;
  try {
    j = json::parse(out);
  } catch (const json::parse_error&) {
    throw tool_error(input + ": ffprobe gave unreadable output");
  }
  if (!j.contains("streams") || !j["streams"].is_array() || j["streams"].empty())
    throw tool_error(input + ": not a video (no video stream found)");
  // The stream plain ffmpeg would choose: the largest picture among the video streams that are not
  // attached pictures (cover art), the first on a tie; only attached pictures: the largest of them.
  std::size_t pick = 0;
  double best = -1.0;
  bool best_real = false;
  for (std::size_t k = 0; k < j["streams"].size(); ++k) {
    const json& st = j["streams"][k];
    const json& d = st.contains("disposition") ? st["disposition"] : json::object();
    const bool real =
        !(d.contains("attached_pic") && d["attached_pic"].is_number() && d["attached_pic"].get<int>() == 1);
    const double area = json_number(st, "width") * json_number(st, "height");
    if ((real && !best_real) || (real == best_real && area > best)) {
      pick = k;
      best = area;
      best_real = real;
    }
  }
  const json& s = j["streams"][pick];
  video_info v;
  v.index = static_cast<std::size_t>(json_number(s, "index"));
  v.position = pick;
  v.width = static_cast<std::size_t>(json_number(s, "width"));
  v.height = static_cast<std::size_t>(json_number(s, "height"));
  v.fps = json_number(s, "avg_frame_rate");
  if (!(v.fps > 0.0) || !std::isfinite(v.fps)) v.fps = json_number(s, "r_frame_rate");
  v.duration = json_number(s, "duration");
  if (!(v.duration > 0.0) && j.contains("format")) v.duration = json_number(j["format"], "duration");
  if (v.width == 0 || v.height == 0) throw tool_error(input + ": not a video (no picture size)");
  return v;
}

// ffmpeg's own report of the input (its log at -v info, written before the first frame comes out
// of the pipe): the same facts as ffprobe for the usual file, without starting ffprobe (~0.1 ms of
// CPU per frame on a short clip, mostly loading its libraries). nullopt whenever anything is not
// plainly there, and the caller asks ffprobe instead.
//   "  Duration: 00:00:31.91, start: ..."                       -> duration
//   "  Stream #0:K...: Video: codec, pixfmt, WxH ..., R fps, R tbr, ... [(attached pic)]"
//   "config in time_base: 1/11988, frame_rate: 2997/125"        (showinfo: the exact rational)
// The rate must be the average rate as ffprobe reports it: ffmpeg prints it rounded ("23.98 fps"),
// so showinfo's exact frame_rate is taken when it prints the same (a constant-rate file), else
// nullopt (variable rate: ffprobe); with no "fps", the "tbr" rate (ffprobe's r_frame_rate) alike.
// need_rate false (--fps given): only the stream and the duration are wanted.
std::string ffmpeg_rate_text(double d) {  // libavformat's print_fps, without the postfix
  char b[64];
  const auto v = static_cast<std::uint64_t>(std::lrintf(static_cast<float>(d * 100)));
  if (!v)
    std::snprintf(b, sizeof b, "%1.4f", d);
  else if (v % 100)
    std::snprintf(b, sizeof b, "%3.2f", d);
  else if (v % (100 * 1000))
    std::snprintf(b, sizeof b, "%1.0f", d);
  else
    std::snprintf(b, sizeof b, "%1.0fk", d / 1000);
  return b;
}

std::optional<video_info> parse_ffmpeg_header(const fs::path& log, bool need_rate) {
  std::ifstream in(log);
  std::string line, showinfo_rate;
  struct stream {
    std::size_t index = 0, width = 0, height = 0;
    bool real = true;
    std::string fps, tbr;
  };
  std::vector<stream> vs;
  double duration = 0.0;
  bool input = false, header_done = false;
  const auto token_before = [](const std::string& l, const std::string& unit) -> std::string {
    const auto at = l.find(" " + unit);
    if (at == std::string::npos) return {};
    const auto comma = l.rfind(", ", at);
    if (comma == std::string::npos) return {};
    return l.substr(comma + 2, at - comma - 2);
  };
  while (std::getline(in, line)) {
    if (line.rfind("Input #0,", 0) == 0) input = true;
    if (line.rfind("Input #1", 0) == 0 || line.rfind("Output #", 0) == 0 || line.rfind("Stream mapping:", 0) == 0)
      header_done = true;
    if (input && !header_done) {
      if (line.rfind("  Duration: ", 0) == 0) {
        int h = 0, m = 0;
        double sec = 0.0;
        if (std::sscanf(line.c_str(), "  Duration: %d:%d:%lf", &h, &m, &sec) == 3)
          duration = h * 3600.0 + m * 60.0 + sec;
      }
      if (line.rfind("  Stream #0:", 0) == 0 && line.find(": Video: ") != std::string::npos) {
        stream st;
        st.index = std::strtoul(line.c_str() + 12, nullptr, 10);
        const std::string v = line.substr(line.find(": Video: "));
        // the picture size: the first ", WxH" followed by a space, a comma or the end
        for (std::size_t at = v.find(", "); at != std::string::npos && st.width == 0; at = v.find(", ", at + 1)) {
          unsigned w = 0, h = 0;
          int used = 0;
          if (std::sscanf(v.c_str() + at + 2, "%ux%u%n", &w, &h, &used) == 2 && w > 0 && h > 0 &&
              std::isdigit(static_cast<unsigned char>(v[at + 2])) &&
              (at + 2 + used == v.size() || v[at + 2 + used] == ' ' || v[at + 2 + used] == ',')) {
            st.width = w;
            st.height = h;
          }
        }
        st.real = line.find("(attached pic)") == std::string::npos;
        st.fps = token_before(v, "fps");
        st.tbr = token_before(v, "tbr");
        vs.push_back(st);
      }
    }
    const auto cfg = line.find("config in time_base: ");
    if (line.find("Parsed_showinfo") != std::string::npos && cfg != std::string::npos) {
      const auto fr = line.find("frame_rate: ", cfg);
      if (fr != std::string::npos) showinfo_rate = line.substr(fr + 12);
    }
  }
  if (!input || vs.empty()) return std::nullopt;
  std::size_t pick = 0;  // the rule of parse_probe
  double best = -1.0;
  bool best_real = false;
  for (std::size_t k = 0; k < vs.size(); ++k) {
    const double area = static_cast<double>(vs[k].width) * static_cast<double>(vs[k].height);
    if ((vs[k].real && !best_real) || (vs[k].real == best_real && area > best)) {
      pick = k;
      best = area;
      best_real = vs[k].real;
    }
  }
  const stream& st = vs[pick];
  if (st.width == 0 || st.height == 0) return std::nullopt;
  const double exact = showinfo_rate.empty() ? 0.0 : parse_rate(showinfo_rate);
  const std::string& printed = !st.fps.empty() ? st.fps : st.tbr;
  if (need_rate && (printed.empty() || printed.back() == 'k')) return std::nullopt;
  // showinfo's exact rate is the average rate when ffmpeg prints the same (a constant-rate file);
  // otherwise (variable rate) only ffprobe has the exact average
  const bool exact_ok = exact > 0.0 && std::isfinite(exact) && ffmpeg_rate_text(exact) == printed;
  if (need_rate && !exact_ok) return std::nullopt;
  const double rate = exact_ok ? exact : 0.0;  // (with --fps showinfo sees the resampled rate)
  video_info v;
  v.index = st.index;
  v.position = pick;
  v.width = st.width;
  v.height = st.height;
  v.fps = rate;
  v.duration = duration;
  return v;
}

// ---- progress ----------------------------------------------------------------------------------

class progress_bar {
 public:
  progress_bar(bool on, std::size_t total) : on_(on), total_(total) {}
  void update(std::size_t done) {
    if (!on_ || (done % 8 != 0)) return;
    draw(done);
  }
  void finish(std::size_t done) {
    if (!on_) return;
    draw(done);
    std::fputc('\n', stderr);
  }

 private:
  void draw(std::size_t done) const {
    constexpr int width = 40;
    if (total_ > 0) {
      const double f = std::min(1.0, static_cast<double>(done) / static_cast<double>(total_));
      const int fill = static_cast<int>(f * width);
      std::fprintf(stderr, "\rpredsense-video [%.*s%*s] %zu/~%zu frames", fill,
                   "========================================", width - fill, "", done, total_);
    } else {
      std::fprintf(stderr, "\rpredsense-video %zu frames", done);
    }
    std::fflush(stderr);
  }
  bool on_;
  std::size_t total_;
};

// ---- reading and embedding ahead ---------------------------------------------------------------

// Reads ffmpeg's frames from the pipe and computes each one's patch tokens and detector thumbnail
// on a second thread, up to `slots` frames ahead of the main thread, which runs the predictor,
// surprise, memory and detector on them in order (so the results do not depend on the timing).
// ffmpeg decodes in its own process meanwhile: decoding, embedding and the rest overlap.
class embed_ahead {
 public:
  struct slot {
    std::vector<std::uint8_t> rgb;
    predsense::frame_buffer latent;
    std::vector<float> thumb;
  };
  embed_ahead(int fd, const predsense::patch_embedder& emb, std::size_t frame_bytes, bool thumbs, std::size_t tw,
              std::size_t th, std::size_t slots = 8)
      : fd_(fd), emb_(emb), bytes_(frame_bytes), thumbs_(thumbs), tw_(tw), th_(th), ring_(slots) {
    for (auto& s : ring_) s.rgb.resize(bytes_);
    thread_ = std::thread([this] { run(); });
  }
  embed_ahead(const embed_ahead&) = delete;
  embed_ahead& operator=(const embed_ahead&) = delete;
  ~embed_ahead() { stop(); }

  // The next frame (valid until the next call), or nullptr at the end of the stream; an error of
  // the reading thread is rethrown here.
  const slot* next() {
    std::unique_lock<std::mutex> l(m_);
    if (holding_) {
      head_ = (head_ + 1) % ring_.size();
      --count_;
      holding_ = false;
      cv_.notify_all();
    }
    cv_.wait(l, [&] { return count_ > 0 || done_; });
    if (count_ == 0) {
      if (err_) std::rethrow_exception(err_);
      return nullptr;
    }
    holding_ = true;
    return &ring_[head_];
  }

  // Stops the thread (it finishes the frame at hand; a read blocked on the pipe returns when
  // ffmpeg exits) and joins it.
  void stop() {
    {
      std::lock_guard<std::mutex> l(m_);
      stop_ = true;
    }
    cv_.notify_all();
    if (thread_.joinable()) thread_.join();
  }

 private:
  void run() {
    for (;;) {
      std::size_t w = 0;
      {
        std::unique_lock<std::mutex> l(m_);
        cv_.wait(l, [&] { return stop_ || count_ < ring_.size(); });
        if (stop_) return;
        w = (head_ + count_) % ring_.size();  // free: not among the slots handed out or ready
      }
      slot& s = ring_[w];
      try {
        if (read_full(fd_, s.rgb.data(), bytes_) < bytes_) {
          finish(nullptr);
          return;
        }
        emb_.embed(s.rgb, work_w, work_h, s.latent);
        if (thumbs_) predsense::area_downsample(s.rgb, work_w, work_h, 3, tw_, th_, s.thumb);
      } catch (...) {
        finish(std::current_exception());
        return;
      }
      {
        std::lock_guard<std::mutex> l(m_);
        ++count_;
      }
      cv_.notify_all();
    }
  }
  void finish(std::exception_ptr e) {
    {
      std::lock_guard<std::mutex> l(m_);
      err_ = std::move(e);
      done_ = true;
    }
    cv_.notify_all();
  }

  int fd_;
  const predsense::patch_embedder& emb_;
  std::size_t bytes_;
  bool thumbs_;
  std::size_t tw_, th_;
  std::vector<slot> ring_;
  std::mutex m_;
  std::condition_variable cv_;
  std::size_t head_ = 0, count_ = 0;  // ring_[head_] is the oldest ready (or handed-out) frame
  bool holding_ = false, done_ = false, stop_ = false;
  std::exception_ptr err_;
  std::thread thread_;
};

// ---- segmenters --------------------------------------------------------------------------------

// Stand-in for the pipeline's segmenter slot when the transition detector runs beside the stream.
struct no_segmenter {
  std::optional<predsense::boundary> push(double, std::size_t) { return std::nullopt; }
};

// The segmenter chosen on the command line; skips the first frame's conventional surprise.
class video_segmenter {
 public:
  using impl = std::variant<predsense::cut_segmenter, predsense::adaptive_segmenter, predsense::peak_segmenter,
                            predsense::threshold_segmenter, no_segmenter>;
  explicit video_segmenter(impl s) : s_(std::move(s)) {}
  std::optional<predsense::boundary> push(double s, std::size_t t) {
    if (first_) {
      first_ = false;
      return std::nullopt;
    }
    return std::visit([&](auto& seg) { return seg.push(s, t); }, s_);
  }
  std::vector<predsense::boundary> flush() {
    return std::visit(
        [](auto& seg) -> std::vector<predsense::boundary> {
          if constexpr (requires { seg.flush(); })
            return seg.flush();
          else
            return {};
        },
        s_);
  }

 private:
  impl s_;
  bool first_ = true;
};

// The Cambrian-S LFP head (Linear-GELU-Linear, D -> D -> D) trained at test time: one Adam step
// (--lfp-lr, 3e-3 by default; MSE + cosine loss) on every frame pair (t-1 -> t) before predicting
// t+1. Residual form with a zeroed output layer, so it starts as copy-last and learns only what the
// stream shows it (the configuration of predsense-predictor-eval). Built at the first frame, whose
// D it takes (the patch embedder's 256 or the --features file's).
class lfp_online {
 public:
  explicit lfp_online(double lr) : lr_(lr) {}
  void observe(const predsense::frame_view& f) {
    if (!p_) {
      predsense::lfp_head head(f.dim, f.dim);
      head.init_uniform(7);
      predsense::lfp_predictor_params c;
      c.residual = true;
      c.train.lr = lr_;
      p_.emplace(std::move(head), c);
      p_->zero_output_layer();
    }
    p_->observe(f);
  }
  void predict(predsense::frame_buffer& out) { p_->predict(out); }

 private:
  double lr_;
  std::optional<predsense::lfp_predictor> p_;
};

// The predictor chosen on the command line (copy-last, online ridge over tokens or pooled, EMA, the
// LFP head trained on the stream).
class video_predictor {
 public:
  using impl = std::variant<predsense::copy_last, predsense::rls_predictor, predsense::ema_predictor, lfp_online>;
  explicit video_predictor(impl p) : p_(std::move(p)) {}
  void observe(const predsense::frame_view& f) {
    std::visit([&](auto& p) { p.observe(f); }, p_);
  }
  void predict(predsense::frame_buffer& out) {
    std::visit([&](auto& p) { p.predict(out); }, p_);
  }

 private:
  impl p_;
};

// The memory: the library's default (memory_store<>: pool_relative + peak_preserving, every threshold
// a robust z-score of the stream's own surprise, so it holds for any encoder), or with
// --memory-threshold X the Cambrian-S memory (pooling below the absolute surprise X, drop_merge).
class video_memory {
 public:
  using relative = predsense::memory_store<>;
  using cambrian = decltype(predsense::make_cambrian_memory(0.0));
  explicit video_memory(relative m) : m_(std::move(m)) {}
  explicit video_memory(cambrian m) : m_(std::move(m)) {}
  void push(const predsense::frame_view& f, double s) {
    std::visit([&](auto& m) { m.push(f, s); }, m_);
  }
  [[nodiscard]] std::size_t tokens() const {
    return std::visit([](const auto& m) { return static_cast<std::size_t>(m.tokens()); }, m_);
  }
  [[nodiscard]] std::uint64_t frames_seen() const {
    return std::visit([](const auto& m) { return static_cast<std::uint64_t>(m.frames_seen()); }, m_);
  }
  template <class F>
  void for_each(F&& f) const {
    std::visit([&](const auto& m) { m.for_each(f); }, m_);
  }

 private:
  std::variant<relative, cambrian> m_;
};
using memory_type = video_memory;
using pipeline = predsense::stream<video_predictor, predsense::token_cosine_distance<>, video_segmenter, memory_type>;

// ---- outputs -----------------------------------------------------------------------------------

fs::path temp_beside(const std::string& target, const std::string& ext) {
  const fs::path t(target);
  return t.parent_path() / (t.filename().string() + ".tmp." + std::to_string(::getpid()) + ext);
}

void write_text(const fs::path& path, const std::string& text, const std::string& target) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  if (!out) throw tool_error(target + ": cannot write (" + std::strerror(errno) + ")");
  out << text;
  out.flush();
  if (!out) throw tool_error(target + ": write failed");
}

fs::path find_plot_script(const char* argv0) {
  if (const char* e = std::getenv("PREDSENSE_PLOT_SCRIPT")) return e;
  std::vector<fs::path> candidates;
  std::error_code ec;
  const fs::path exe = fs::read_symlink("/proc/self/exe", ec);
  const fs::path bin = ec ? fs::path(argv0).parent_path() : exe.parent_path();
  candidates.push_back(bin / ".." / ".." / "scripts" / "plot_surprise.py");       // <src>/<build>/bin
  candidates.push_back(bin / ".." / "share" / "predsense" / "plot_surprise.py");  // installed
  candidates.push_back(fs::path(__FILE__).parent_path().parent_path() / "scripts" / "plot_surprise.py");
  for (const auto& c : candidates)
    if (fs::exists(c, ec)) return c;
  throw tool_error("--plot: cannot find scripts/plot_surprise.py (set PREDSENSE_PLOT_SCRIPT)");
}

std::string fmt(double v, int prec = 3) {
  char b[64];
  std::snprintf(b, sizeof b, "%.*f", prec, v);
  return b;
}

struct segment {
  std::size_t start = 0, end = 0;  // frames [start, end)
  double mean_surprise = 0.0;
};

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{
      "Stream a video (or precomputed latents) through the default predsense pipeline: per-frame "
      "surprise, event boundaries (shot cuts), segments and memory statistics."};
  std::string input, features, features_out, json_out, plot_out, sheet_out, segmenter_name,
      predictor_name = "copy-last", report_out, csv_out, edl_out, split_dir;
  std::optional<double> fps;
  predsense::cut_segmenter_params cut;
  predsense::transition_detector_params tp;
  double threshold = 3.5, lfp_lr = 3e-3;
  std::optional<double> absolute_threshold, floor, memory_threshold;
  std::size_t grid = 8, dim = 256, window = 32, budget = 8192;
  bool quiet = false;
  const auto finite_positive = [](const std::string& s) -> std::string {
    try {
      std::size_t pos = 0;
      const double v = std::stod(s, &pos);
      if (pos != s.size() || !std::isfinite(v) || v <= 0.0 || v > 1000.0)
        return "must be a number of frames per second in (0, 1000], got '" + s + "'";
    } catch (const std::exception&) {
      return "must be a number of frames per second in (0, 1000], got '" + s + "'";
    }
    return {};
  };
  app.add_option("input", input, "video file (anything ffmpeg reads); optional with --features");
  app.add_option("--fps", fps,
                 "decode at this many frames per second (default: every frame; with --features: the "
                 "rate the features were sampled at, default 1)")
      ->check(CLI::Validator(finite_positive, "FPS"));
  app.add_option("--features", features, "precomputed latents, frames x T x D (or frames x D) float .npy");
  app.add_option("--features-out", features_out,
                 "write the latents the pipeline used as a float32 .npy, frames x T x D (C order)");
  app.add_option("--json", json_out, "write fps, frames, surprise, boundaries, segments, memory as JSON");
  app.add_option("--plot", plot_out, "write a PNG of the surprise curve with the boundaries");
  app.add_option("--sheet", sheet_out, "write a PNG contact sheet, one frame per segment");
  app.add_option("--report", report_out,
                 "write a self-contained HTML page: surprise timeline with every boundary, transition cards, memory "
                 "over time, segments (python/predsense/report.py under /usr/bin/python3)");
  app.add_option("--scenes-csv", csv_out, "write the scene list as CSV with PySceneDetect's columns");
  app.add_option("--edl", edl_out, "write the scene list as a CMX 3600 edit decision list");
  app.add_option("--split-video", split_dir,
                 "write one file per scene into this directory (ffmpeg: stream copy when a scene starts on a "
                 "keyframe, re-encoded otherwise)");
  app.add_option("--segmenter", segmenter_name,
                 "transition (default with a video, also with --features: cuts, dissolves, fades, dips), cut "
                 "(hard cuts only; default with --features and no video), adaptive, peak or threshold")
      ->check(CLI::IsMember({"transition", "cut", "adaptive", "peak", "threshold"}));
  app.add_option("--predictor", predictor_name,
                 "copy-last (default), rls (online ridge per token), rls-pooled (on the frame's mean token), "
                 "ema (exponential moving average, alpha 0.5) or lfp (the LFP head trained on the stream with Adam)")
      ->check(CLI::IsMember({"copy-last", "rls", "rls-pooled", "ema", "lfp"}));
  app.add_option("--lfp-lr", lfp_lr, "lfp: Adam learning rate (default 0.003)")
      ->check(predsense::tools::real_in(0.0, 1.0));
  app.add_option("--window", cut.window,
                 "cut, peak, threshold: robust statistics / adaptive: mean and std over this many trailing frames")
      ->check(predsense::tools::count_in(3, 100000));
  app.add_option("--gamma", cut.gamma, "cut: median + gamma * 1.4826 * MAD; adaptive: mean + gamma * std")
      ->check(predsense::tools::real_in(0.0, 100.0));
  app.add_option("--prominence", cut.prominence,
                 "cut, peak: minimum prominence in robust sigmas (1.4826 * MAD) of the trailing window (default 6)")
      ->check(predsense::tools::real_in(0.0, 1000.0));
  app.add_option("--absolute-prominence", cut.absolute_prominence,
                 "cut, peak: minimum prominence in the surprise's own units (default 0: off)")
      ->check(predsense::tools::real_in(0.0, 1e6));
  app.add_option("--floor", floor, "cut, peak: minimum surprise of a boundary, in its own units (default: off)")
      ->check(predsense::tools::real_in(-1e6, 1e6));
  app.add_option("--min-gap", cut.min_gap, "minimum frames between boundaries")
      ->check(predsense::tools::count_in(1, 100000));
  app.add_option("--z-threshold", threshold,
                 "threshold segmenter: robust z of the surprise against the trailing --window > this (default 3.5)")
      ->check(predsense::tools::real_in(0.0, 1e6));
  app.add_option("--threshold", absolute_threshold,
                 "threshold segmenter: surprise > this, in its own units (the Cambrian-S rule; replaces the z rule)")
      ->check(predsense::tools::real_in(-1e6, 1e6));
  app.add_option("--grid", grid, "patch embedder: grid x grid tokens")->check(predsense::tools::count_in(1, 64));
  app.add_option("--dim", dim, "patch embedder: dimensions per token")->check(predsense::tools::count_in(1, 65536));
  app.add_option("--memory-window", window, "memory: sensory window (frames)")
      ->check(predsense::tools::count_in(0, 1000000));
  app.add_option("--memory-budget", budget, "memory: long-term token budget")
      ->check(predsense::tools::count_in(1, 1000000000));
  app.add_option("--memory-threshold", memory_threshold,
                 "memory: the Cambrian-S memory, frames below this surprise (its own units) pooled 2x2, drop_merge "
                 "(default: the library's relative memory, pool_relative + peak_preserving)")
      ->check(predsense::tools::real_in(-1e6, 1e6));
  app.add_flag("-q,--quiet", quiet, "no progress bar");
  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp& e) {
    return app.exit(e);
  } catch (const CLI::ParseError& e) {
    std::cerr << "predsense-video: error: " << e.what() << "\n";
    return 2;
  }
  std::signal(SIGPIPE, SIG_IGN);

  std::vector<fs::path> temps;  // outputs written so far, renamed only when all succeeded
  const auto cleanup = [&] {
    std::error_code ec;
    for (const auto& t : temps) fs::remove_all(t, ec);  // (--split-video stages a directory)
  };
  try {
    if (input.empty() && features.empty()) throw tool_error("no INPUT video (and no --features) given");
    // Outputs never touch inputs or each other, and their directories exist: checked before any work.
    predsense::tools::io_paths paths;
    paths.input(input, "INPUT");
    paths.input(features, "--features");
    paths.output(json_out, "--json");
    paths.output(plot_out, "--plot");
    paths.output(sheet_out, "--sheet");
    paths.output(features_out, "--features-out");
    paths.output(report_out, "--report");
    paths.output(csv_out, "--scenes-csv");
    paths.output(edl_out, "--edl");
    paths.check();
    if (input.empty() && !sheet_out.empty()) throw tool_error("--sheet needs the INPUT video");
    if (input.empty() && !split_dir.empty()) throw tool_error("--split-video needs the INPUT video");
    if (!split_dir.empty()) predsense::tools::check_split_dir(split_dir, input);
    scratch_dir scratch;
    const fs::path log = scratch.path / "child.log";

    // ---- pipeline ----
    if (segmenter_name.empty()) segmenter_name = features.empty() || !input.empty() ? "transition" : "cut";
    if (segmenter_name == "transition" && input.empty())
      throw tool_error(
          "--segmenter transition needs the video's frames for its thumbnails: give INPUT with --features, or use "
          "cut, adaptive, peak or threshold");
    if (floor) cut.floor = *floor;
    std::optional<predsense::transition_detector> trans;
    std::vector<predsense::transition> found;
    std::optional<video_segmenter> seg;
    if (segmenter_name == "transition") {
      trans.emplace(tp);
      seg.emplace(no_segmenter{});
    } else if (segmenter_name == "cut")
      seg.emplace(predsense::cut_segmenter(cut));
    else if (segmenter_name == "adaptive")
      seg.emplace(predsense::adaptive_segmenter({cut.window, cut.gamma, cut.min_gap, 0}));
    else if (segmenter_name == "peak") {
      predsense::peak_segmenter_params pk;
      pk.threshold = cut.floor;
      pk.prominence = cut.absolute_prominence;
      pk.relative_prominence = cut.prominence;
      pk.min_separation = cut.min_gap;
      pk.lookahead = cut.lookahead;
      pk.window = cut.window;
      seg.emplace(predsense::peak_segmenter(pk));
    } else if (absolute_threshold)
      seg.emplace(predsense::threshold_segmenter(*absolute_threshold, cut.min_gap));
    else
      seg.emplace(predsense::threshold_segmenter(
          predsense::threshold_segmenter_params{threshold, std::nullopt, cut.window, cut.min_gap}));
    std::optional<video_predictor> pred;
    if (predictor_name == "copy-last")
      pred.emplace(predsense::copy_last{});
    else if (predictor_name == "rls")
      pred.emplace(
          predsense::rls_predictor(predsense::rls_params{predsense::rls_mode::per_token, 0.98, 1.0, true, true, 1}));
    else if (predictor_name == "rls-pooled")
      pred.emplace(
          predsense::rls_predictor(predsense::rls_params{predsense::rls_mode::pooled, 0.98, 1.0, true, true, 1}));
    else if (predictor_name == "ema")
      pred.emplace(predsense::ema_predictor(0.5));
    else
      pred.emplace(lfp_online(lfp_lr));
    pipeline pipe(std::move(*pred), predsense::token_cosine_distance<>{}, std::move(*seg),
                  memory_threshold ? video_memory(predsense::make_cambrian_memory(
                                         *memory_threshold, predsense::memory_params{window, budget}))
                                   : video_memory(video_memory::relative(predsense::memory_params{window, budget})));

    std::vector<double> surprise;
    std::vector<predsense::boundary> bounds;
    double rate = 0.0;
    std::vector<double> pts;        // per-frame presentation time when ffmpeg reported it
    std::size_t decode_errors = 0;  // decoder messages about corrupt data (warned about, in the JSON)
    std::size_t stream_index = 0;
    std::size_t tokens = 0, token_dim = 0;
    const bool tty = !quiet && ::isatty(2);
    std::vector<float> latents_out;                           // --features-out: every frame's latents, frames x T x D
    std::optional<predsense::tools::memory_trace> mem_trace;  // --report: the memory over time
    if (!report_out.empty()) mem_trace.emplace();
    const auto take = [&](const predsense::frame_view& f) {
      if (!features_out.empty()) latents_out.insert(latents_out.end(), f.data, f.data + f.tokens * f.dim);
      const auto r = pipe.step(f);
      surprise.push_back(r.surprise);
      if (r.boundary) bounds.push_back(*r.boundary);
      if (mem_trace) mem_trace->record(pipe.memory(), surprise.size() - 1);
    };

    predsense::npy_array a;  // --features
    std::size_t feature_frames = 0;
    const auto feature_frame = [&](std::size_t i) {
      return predsense::frame_view(a.data.data() + i * tokens * token_dim, tokens, token_dim);
    };
    if (!features.empty()) {
      try {
        a = predsense::read_npy(features);
      } catch (const predsense::error& e) {
        throw tool_error(std::string("--features: ") + e.what());
      }
      if (a.shape.size() != 3 && a.shape.size() != 2)
        throw tool_error("--features " + features + ": expected a frames x T x D (or frames x D) array, got " +
                         std::to_string(a.shape.size()) + " dimensions");
      const std::size_t n = a.shape[0];
      tokens = a.shape.size() == 3 ? a.shape[1] : 1;
      token_dim = a.shape.back();
      if (n == 0 || tokens == 0 || token_dim == 0) throw tool_error("--features " + features + ": empty array");
      for (float v : a.data)
        if (!std::isfinite(v)) throw tool_error("--features " + features + ": contains NaN or infinity");
      rate = fps.value_or(1.0);
      feature_frames = n;
    }
    if (!features.empty() && !trans) {                             // the surprise alone: no frames needed
      if (!input.empty()) stream_index = probe(input, log).index;  // the sheet needs a readable video
      progress_bar bar(tty, feature_frames);
      for (std::size_t i = 0; i < feature_frames; ++i) {
        take(feature_frame(i));
        bar.update(i + 1);
      }
      bar.finish(feature_frames);
    } else {
      // The input's stream, rate and duration come from ffmpeg's own log (parse_ffmpeg_header), read
      // once the first frame is out of the pipe; ffmpeg starts on the first video stream, the usual
      // pick. ffprobe runs only when that log does not settle it (another stream is the pick, no
      // frame came out: it then gives the errors it always gave); ffmpeg is restarted on ffprobe's
      // pick when that is another stream.
      check_readable(input);
      const fs::path probe_log = scratch.path / "probe.log";
      std::string vf = "scale=" + std::to_string(work_w) + ":" + std::to_string(work_h) + ":flags=area";
      if (fps || feature_frames) vf = "fps=" + fmt(fps.value_or(rate), 6) + "," + vf;
      // per-frame presentation times (variable-rate and AVI-with-null-frames inputs); checksum=0:
      // no per-frame checksum and plane statistics, only the times are read
      vf += ",showinfo=checksum=0";
      const auto start_decoder = [&](const std::string& map) {
        child d = spawn({"ffmpeg", "-nostdin", "-hide_banner", "-nostats", "-v", "info", "-i", input, "-map", map,
                         "-vf", vf, "-pix_fmt", "rgb24", "-fps_mode", "passthrough", "-f", "rawvideo", "-"},
                        true, log);
        // a 1 MiB pipe (~21 frames) instead of 64 KiB lets ffmpeg decode ahead while a frame is
        // processed here; the default is kept if the system refuses
        ::fcntl(d.out, F_SETPIPE_SZ, 1 << 20);
        return d;
      };
      const predsense::patch_embedder emb({grid, dim, 1});
      if (!feature_frames) {
        tokens = emb.tokens();
        token_dim = emb.dim();
      }
      const std::size_t frame_bytes = work_w * work_h * 3;
      std::size_t decoded = 0;        // frames that came out of ffmpeg
      std::vector<float> last_thumb;  // --features: the last thumbnail, for a short video
      child c = start_decoder("0:v:0");
      std::optional<embed_ahead> frames;
      std::optional<progress_bar> bar;
      const auto abandon = [&] {  // stops ffmpeg and the reading thread (a failure, or the wrong stream)
        ::kill(c.pid, SIGTERM);   // the reading thread sees the end of the pipe
        if (frames) frames->stop();
        frames.reset();
        ::close(c.out);
        wait_child(c.pid);
      };
      try {
        frames.emplace(c.out, emb, frame_bytes, trans.has_value(), tp.width, tp.height);
        const embed_ahead::slot* first = frames->next();
        std::optional<video_info> header;
        if (first) header = parse_ffmpeg_header(log, !fps);
        video_info info;
        if (header && header->position == 0) {
          info = *header;
        } else {
          info = probe(input, probe_log);
          if (info.position != 0) {
            abandon();
            c = start_decoder("0:" + std::to_string(info.index));
            frames.emplace(c.out, emb, frame_bytes, trans.has_value(), tp.width, tp.height);
            first = frames->next();
          }
        }
        stream_index = info.index;
        if (!feature_frames) rate = fps.value_or(info.fps);
        if (!(rate > 0.0) || !std::isfinite(rate))
          throw tool_error(input + ": the video's frame rate is unknown; give --fps");
        if (trans) {  // the long-scale comparison spans ~0.24 s: 6 frames at 25 fps, 2 at 10 fps or less
          tp.scale = static_cast<std::size_t>(std::clamp(std::lround(rate * 0.24), 2L, 6L));
          trans.emplace(tp);
        }
        bar.emplace(tty, feature_frames        ? feature_frames
                         : info.duration > 0.0 ? static_cast<std::size_t>(info.duration * rate + 0.5)
                                               : 0);
        for (const embed_ahead::slot* f = first; f != nullptr; f = frames->next()) {
          ++decoded;
          if (feature_frames) {                               // your latents propose, this frame's thumbnail verifies
            if (surprise.size() == feature_frames) continue;  // frames past the features' end
            take(feature_frame(surprise.size()));
          } else {
            take(f->latent.view());
          }
          if (trans)
            for (auto& tr : trans->push(f->thumb, surprise.back())) found.push_back(tr);
          if (feature_frames) last_thumb.assign(f->thumb.begin(), f->thumb.end());
          bar->update(surprise.size());
        }
        frames->stop();
        frames.reset();
      } catch (...) {
        abandon();
        throw;
      }
      ::close(c.out);
      const int rc = wait_child(c.pid);
      bar->finish(surprise.size());
      // no frame at all is said as such first: ffmpeg then fails with a log about an empty output
      // ("Output file ... does not contain any stream") that does not tell the user what is wrong
      if (decoded == 0) throw tool_error(input + ": no video frames (its video stream has no decodable frame)");
      if (rc != 0) throw tool_error(input + ": ffmpeg failed to decode it: " + tail_of(log));
      if (feature_frames) {
        // The features and the video must cover the same time: a sampler of one's own may round the
        // last frame differently (1 + 1% of the frames are allowed either way; the missing last
        // thumbnails repeat the last decoded one).
        const std::size_t slack = 1 + feature_frames / 100;
        if (decoded + slack < feature_frames || decoded > feature_frames + slack)
          throw tool_error("--features " + features + " has " + std::to_string(feature_frames) + " frames but " +
                           input + " gives " + std::to_string(decoded) + " frames at --fps " + fmt(rate, 6) +
                           ": give the rate the features were sampled at (--fps), or the video they came from");
        while (surprise.size() < feature_frames) {
          take(feature_frame(surprise.size()));
          if (trans)
            for (auto& tr : trans->push(last_thumb, surprise.back())) found.push_back(tr);
        }
      }
      pts = frame_times(log);
      decode_errors = count_decode_errors(log, input);
      if (decode_errors > 0)
        std::cerr << "predsense-video: warning: " << input << ": the decoder reported " << decode_errors
                  << " corrupt or undecodable frame(s) / slice(s); their frames may be concealed copies\n";
      if (pts.size() != surprise.size() || feature_frames) pts.clear();  // frame / fps
    }
    for (const auto& b : pipe.segmenter().flush()) bounds.push_back(b);
    if (trans) {
      for (auto& tr : trans->flush()) found.push_back(tr);
      std::sort(found.begin(), found.end(), [](const auto& x, const auto& y) { return x.frame < y.frame; });
      for (const auto& tr : found) bounds.push_back({tr.frame, tr.score, tr.decided_at});
    } else {
      for (const auto& b : bounds)
        found.push_back({b.t, b.t, b.t, predsense::transition_kind::cut, b.score, b.decided_at});
    }
    const std::size_t n = surprise.size();

    // ---- segments ----
    std::vector<segment> segs;
    std::size_t start = 0;
    for (std::size_t k = 0; k <= bounds.size(); ++k) {
      const std::size_t end = k < bounds.size() ? bounds[k].t : n;
      if (end <= start) continue;
      segment s{start, end, 0.0};
      for (std::size_t t = start; t < end; ++t) s.mean_surprise += t == 0 ? 0.0 : surprise[t];
      const std::size_t counted = end - start - (start == 0 ? 1 : 0);
      s.mean_surprise = counted ? s.mean_surprise / static_cast<double>(counted) : 0.0;
      segs.push_back(s);
      start = end;
    }

    // ---- memory ----
    const auto& mem = pipe.memory();
    std::size_t in_window = 0, long_term = 0, pooled = 0, merged_entries = 0, frames_kept = 0, mem_tokens = 0;
    mem.for_each([&](const predsense::memory_item& it) {
      (it.in_window ? in_window : long_term) += 1;
      pooled += it.entry.compressed;
      merged_entries += it.entry.merged.size() > 1;
      frames_kept += std::max<std::size_t>(1, it.entry.merged.size());
      mem_tokens += it.entry.tokens;
    });
    const json memory_json = {
        {"window_frames", window},
        {"budget_tokens", budget},
        {"policy", memory_threshold ? "pool_when_unsurprising+drop_merge" : "pool_relative+peak_preserving"},
        {"threshold", memory_threshold ? json(*memory_threshold) : json(nullptr)},
        {"frames_seen", mem.frames_seen()},
        {"entries_in_window", in_window},
        {"entries_long_term", long_term},
        {"entries_pooled", pooled},
        {"entries_merged", merged_entries},
        {"frames_represented", frames_kept},
        {"frames_dropped", static_cast<std::size_t>(mem.frames_seen()) - frames_kept},
        {"tokens", mem_tokens},
        {"tokens_full_resolution", static_cast<std::size_t>(mem.frames_seen()) * tokens}};

    // ---- report ----
    // Seconds from the first frame: its presentation time when known, else frame / fps; t == n is
    // the end of the last frame.
    const auto time_of = [&](std::size_t t) {
      if (pts.empty()) return static_cast<double>(t) / rate;
      if (t < pts.size()) return pts[t] - pts[0];
      return pts.back() - pts[0] + 1.0 / rate;
    };
    json j;
    j["fps"] = rate;
    j["frames"] = n;
    j["surprise"] = surprise;
    j["times"] = json::array();
    for (std::size_t t = 0; t < n; ++t) j["times"].push_back(time_of(t));
    j["boundaries"] = json::array();
    for (const auto& tr : found)
      j["boundaries"].push_back({{"frame", tr.frame},
                                 {"time", time_of(tr.frame)},
                                 {"surprise", surprise[tr.frame]},
                                 {"start", tr.start},
                                 {"end", tr.end},
                                 {"kind", predsense::to_string(tr.kind)}});
    j["segments"] = json::array();
    for (std::size_t k = 0; k < segs.size(); ++k)
      j["segments"].push_back({{"index", k},
                               {"start_frame", segs[k].start},
                               {"end_frame", segs[k].end},
                               {"frames", segs[k].end - segs[k].start},
                               {"start_time", time_of(segs[k].start)},
                               {"end_time", time_of(segs[k].end)},
                               {"mean_surprise", segs[k].mean_surprise}});
    j["memory"] = memory_json;
    j["decode_errors"] = decode_errors;
    j["tokens"] = tokens;
    j["dim"] = token_dim;
    j["input"] = input.empty() ? json(nullptr) : json(input);
    j["features"] = features.empty() ? json(nullptr) : json(features);
    j["pipeline"] = {{"predictor", predictor_name},
                     {"metric", "token_cosine_distance"},
                     {"segmenter", segmenter_name},
                     {"embedder", features.empty() ? json("patch_embedder") : json(nullptr)}};

    std::ostringstream o;
    o << "predsense-video: " << (features.empty() ? input : features) << ": " << n << " frames at " << fmt(rate, 3)
      << " fps, " << tokens << "x" << token_dim << " tokens per frame\n";
    o << "boundaries (" << bounds.size() << "):";
    for (const auto& tr : found) {
      o << " " << tr.frame << " (" << predsense::tools::timecode_ms(time_of(tr.frame));
      if (tr.kind != predsense::transition_kind::cut)
        o << ", " << predsense::to_string(tr.kind) << " " << tr.start << "-" << tr.end;
      o << ")";
    }
    o << "\n\n  seg  start    end  frames  start_s    end_s  mean surprise  start          end\n";
    for (std::size_t k = 0; k < segs.size(); ++k) {
      char line[200];
      std::snprintf(line, sizeof line, "%5zu %6zu %6zu %7zu %8.2f %8.2f %14.4f  %s  %s\n", k, segs[k].start,
                    segs[k].end, segs[k].end - segs[k].start, time_of(segs[k].start), time_of(segs[k].end),
                    segs[k].mean_surprise, predsense::tools::timecode_ms(time_of(segs[k].start)).c_str(),
                    predsense::tools::timecode_ms(time_of(segs[k].end)).c_str());
      o << line;
    }
    o << "\nmemory (window " << window << " frames, budget " << budget << " tokens, "
      << (memory_threshold ? "Cambrian-S: pool below surprise " + fmt(*memory_threshold, 3) + ", drop_merge"
                           : std::string("pool_relative + peak_preserving: relative to the stream's surprise"))
      << "): " << mem_tokens << " tokens in " << (in_window + long_term) << " entries (" << in_window
      << " in the window, " << long_term << " long-term; " << pooled << " pooled, " << merged_entries << " merged) for "
      << mem.frames_seen() << " frames = " << static_cast<std::size_t>(mem.frames_seen()) * tokens
      << " tokens at full resolution; " << frames_kept << " frames represented, "
      << (static_cast<std::size_t>(mem.frames_seen()) - frames_kept) << " dropped\n";

    // ---- outputs (temporary files, renamed at the end) ----
    std::vector<std::pair<fs::path, std::string>> renames;
    const std::string json_text = j.dump(1) + "\n";
    if (!features_out.empty()) {
      const fs::path tmp = temp_beside(features_out, ".npy");
      temps.push_back(tmp);
      try {
        predsense::write_npy(tmp, latents_out, {n, tokens, token_dim});
      } catch (const predsense::error& e) {
        throw tool_error("--features-out " + features_out + ": " + e.what());
      }
      renames.emplace_back(tmp, features_out);
    }
    if (!json_out.empty()) {
      const fs::path tmp = temp_beside(json_out, ".json");
      temps.push_back(tmp);
      write_text(tmp, json_text, json_out);
      renames.emplace_back(tmp, json_out);
    }
    if (!plot_out.empty()) {
      const fs::path data = scratch.path / "surprise.json";
      write_text(data, json_text, data.string());
      const fs::path tmp = temp_beside(plot_out, ".png");
      temps.push_back(tmp);
      const char* py = std::getenv("PREDSENSE_PYTHON");
      child c = spawn({py ? py : "/usr/bin/python3", find_plot_script(argv[0]).string(), data.string(), tmp.string()},
                      false, log);
      if (wait_child(c.pid) != 0 || !fs::exists(tmp))
        throw tool_error("--plot " + plot_out + ": plotting failed: " + tail_of(log));
      renames.emplace_back(tmp, plot_out);
    }
    if (!sheet_out.empty()) {
      // One frame per segment: its middle frame, in the same frame numbering as the analysis.
      std::string sel;
      for (const auto& s : segs)
        sel += (sel.empty() ? "" : "+") + std::string("eq(n,") + std::to_string((s.start + s.end - 1) / 2) + ")";
      const std::size_t k = segs.size();
      const auto cols = static_cast<std::size_t>(std::ceil(std::sqrt(static_cast<double>(k))));
      const std::size_t rows = (k + cols - 1) / cols;
      std::string vf;
      if (fps || !features.empty()) vf += "fps=" + fmt(rate, 6) + ",";
      vf += "select='" + sel + "',scale=240:-2,tile=" + std::to_string(cols) + "x" + std::to_string(rows) +
            ":padding=4:margin=4:color=white";
      const fs::path tmp = temp_beside(sheet_out, ".png");
      temps.push_back(tmp);
      child c = spawn({"ffmpeg", "-nostdin",  "-v",
                       "error",  "-y",        "-i",
                       input,    "-map",      "0:" + std::to_string(stream_index),
                       "-vf",    vf,          "-fps_mode",
                       "vfr",    "-frames:v", "1",
                       "-f",     "image2",    "-c:v",
                       "png",    tmp.string()},
                      false, log);
      if (wait_child(c.pid) != 0 || !fs::exists(tmp))
        throw tool_error("--sheet " + sheet_out + ": ffmpeg failed: " + tail_of(log));
      renames.emplace_back(tmp, sheet_out);
    }
    // ---- scene lists, report, split (tools/support/scene_export.hpp, video_report.hpp) ----
    std::vector<predsense::tools::scene> scenes;
    for (const auto& sg : segs) {
      std::string kind;
      for (const auto& tr : found)
        if (sg.start > 0 && tr.frame == sg.start) kind = predsense::to_string(tr.kind);
      scenes.push_back({sg.start, sg.end, time_of(sg.start), time_of(sg.end), kind});
    }
    const fs::path source(input.empty() ? features : input);
    if (!csv_out.empty()) {
      const fs::path tmp = temp_beside(csv_out, ".csv");
      temps.push_back(tmp);
      write_text(tmp, predsense::tools::scenes_csv(scenes), csv_out);
      renames.emplace_back(tmp, csv_out);
    }
    if (!edl_out.empty()) {
      const fs::path tmp = temp_beside(edl_out, ".edl");
      temps.push_back(tmp);
      write_text(tmp, predsense::tools::scenes_edl(scenes, rate, source.stem().string(), source.filename().string()),
                 edl_out);
      renames.emplace_back(tmp, edl_out);
    }
    if (!report_out.empty()) {
      json rj = j;
      rj["memory_trace"] = mem_trace->to_json(budget);
      // how the page decodes its thumbnails: the frames the analysis saw, numbered the same way
      rj["decode"] = {{"map", "0:" + std::to_string(stream_index)},
                      {"fps", fps || !features.empty() ? json(rate) : json(nullptr)}};
      const fs::path data = scratch.path / "report.json";
      write_text(data, rj.dump() + "\n", data.string());
      const fs::path script = predsense::tools::find_report_script(argv[0], __FILE__);
      if (script.empty())
        throw tool_error("--report: cannot find python/predsense/report.py (set PREDSENSE_REPORT_SCRIPT)");
      const fs::path tmp = temp_beside(report_out, ".html");
      temps.push_back(tmp);
      const char* py = std::getenv("PREDSENSE_PYTHON");
      child c = spawn({py ? py : "/usr/bin/python3", script.string(), data.string(), tmp.string()}, false, log);
      if (wait_child(c.pid) != 0 || !fs::exists(tmp))
        throw tool_error("--report " + report_out + ": writing the page failed: " + tail_of(log));
      renames.emplace_back(tmp, report_out);
    }
    std::vector<std::string> split_files, split_copied;
    fs::path split_stage;
    if (!split_dir.empty()) {
      const std::string kf =
          run_capture({"ffprobe", "-v", "error", "-select_streams", std::to_string(stream_index), "-show_entries",
                       "packet=pts_time,flags:format=start_time", "-of", "json", "--", input},
                      log, input + ": ffprobe cannot list its keyframes");
      split_stage = predsense::tools::split_staging(split_dir);
      temps.push_back(split_stage);
      std::error_code ec;
      fs::create_directory(split_stage, ec);
      if (ec) throw tool_error("--split-video " + split_dir + ": cannot create " + split_stage.string());
      const auto plan = predsense::tools::split_plan(
          scenes, predsense::tools::keyframe_times(kf, input), rate, pts.empty() ? 0.0 : pts.front(), input,
          "0:" + std::to_string(stream_index), source.stem().string(), split_stage.string());
      // the copy pass first; if it fails or gives other pieces than planned, every scene is re-encoded
      bool pieces_ok = false;
      if (!plan.segment_args.empty()) {
        pieces_ok = wait_child(spawn(predsense::tools::with_program("ffmpeg", plan.segment_args), false, log).pid) == 0;
        for (std::size_t i = 0; pieces_ok && i < plan.pieces; ++i)
          pieces_ok = fs::exists(split_stage / predsense::tools::piece_name(i));
        pieces_ok = pieces_ok && !fs::exists(split_stage / predsense::tools::piece_name(plan.pieces));
      }
      for (const auto& st : plan.steps) {
        if (pieces_ok && st.piece >= 0) {
          fs::rename(split_stage / predsense::tools::piece_name(static_cast<std::size_t>(st.piece)),
                     split_stage / st.file);
          split_copied.push_back(st.file);
        } else if (wait_child(spawn(predsense::tools::with_program("ffmpeg", st.encode_args), false, log).pid) != 0) {
          throw tool_error("--split-video " + split_dir + ": ffmpeg failed on " + st.file + ": " + tail_of(log));
        }
        split_files.push_back(st.file);
      }
      for (std::size_t i = 0; i <= plan.pieces; ++i) fs::remove(split_stage / predsense::tools::piece_name(i), ec);
    }
    std::vector<std::string> split_written;  // (checked against the inputs before anything moves)
    if (!split_dir.empty())
      split_written = predsense::tools::commit_split(split_stage, split_dir, split_files, {input, features});
    for (const auto& [tmp, target] : renames) {
      std::error_code ec;
      fs::rename(tmp, target, ec);
      if (ec) throw tool_error(target + ": cannot move the temporary file into place: " + ec.message());
    }
    temps.clear();
    std::cout << o.str();
    for (const auto& [tmp, target] : renames) std::cout << "wrote " << target << "\n";
    for (std::size_t k = 0; k < split_written.size(); ++k)
      std::cout << "wrote " << split_written[k]
                << (std::find(split_copied.begin(), split_copied.end(), split_files[k]) != split_copied.end()
                        ? " (stream copy)\n"
                        : " (re-encoded)\n");
    if (!predsense::tools::stdout_ok()) {  // a full disk or closed pipe on stdout is a failure too
      std::cerr << "predsense-video: error: writing to standard output failed\n";
      return 2;
    }
    return 0;
  } catch (const predsense::tools::bad_input& e) {
    cleanup();
    std::cerr << "predsense-video: error: " << e.what() << "\n";
    return 2;
  } catch (const predsense::error& e) {
    cleanup();
    std::cerr << "predsense-video: error: " << e.what() << "\n";
    return 2;
  } catch (const std::exception& e) {
    cleanup();
    std::cerr << "predsense-video: unexpected error: " << e.what() << "\n";
    return 1;
  }
}
