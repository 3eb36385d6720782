// predsense-video - stream a video through the default predsense pipeline and show what it found.
//
//   predsense-video INPUT [--fps R] [--features F.npy] [--json OUT.json] [--plot OUT.png]
//                   [--sheet OUT.png] [--features-out F.npy] [--predictor copy-last|rls|rls-pooled|ema|lfp]
//                   [--lfp-lr R] [--segmenter transition|cut|adaptive|peak|threshold] [...]
//
// Decoding: in process, FFmpeg's libraries through predsense/ffmpeg/frame_source.hpp (INPUT a file,
// a named pipe or "-" for standard input): the video stream ffmpeg would pick, decoded with the
// codec's own threads, scaled straight from the decoder's pixel format to the 128x128 rgb24 working
// size, turned by its display rotation, every frame at the video's own rate or resampled to --fps
// (a number or ffmpeg's rational, 24000/1001) with ffmpeg's fps filter semantics. Each frame becomes
// 8x8 = 64 patch tokens of 256 dims through the weight-free patch_embedder
// (predsense/encoders/patch_embedder.hpp). With --features F.npy the latents come from the file
// instead (frames x T x D, or frames x D for one token per frame, e.g. SigLIP features exported from
// PyTorch, docs/video.md); they are taken to be sampled at --fps (default 1, as in Cambrian-S). With
// INPUT too, INPUT is decoded at that rate for the detector's thumbnails (frame i of the features <->
// the i-th resampled frame, at i / fps s): the surprise comes from your latents, the verification
// from the pixels. Without INPUT the scale-free cut detector runs on the surprise alone.
//
// The loop is the library's stream (pipeline/stream.hpp): predictor (copy_last by default;
// --predictor rls | rls-pooled | ema | lfp) -> token_cosine_distance surprise (Cambrian-S) -> the
// segmenter -> memory. The default segmenter is the transition detector
// (segmentation/video/transition_detector.hpp) in the stream's segmenter slot as a
// frame_aware_segmenter (transition_segmenter.hpp), fed each frame's surprise and 32x32 thumbnail
// (kernels/area_downsample.hpp): cuts, dissolves, fades and dips as events with [start, end] and
// kind, nothing for flashes, camera motion or occluders that leave (docs/video.md has the method and
// its scores, scripts/video_devset.sh). --segmenter cut: hard cuts only (segmentation/video/
// cut_segmenter.hpp), the default with --features and no INPUT; adaptive|peak|threshold: the
// library's other segmenters on the surprise. Every default rule on the surprise is relative to the
// stream, so it holds for any encoder's scale; the absolute options (--floor, --absolute-prominence,
// --threshold) are off by default. The memory is the library's relative memory (memory_store<>), or
// with --memory-threshold X the Cambrian-S memory. The first frame's surprise is 1 by convention (no
// prediction) and is not given to a surprise segmenter.
// Threads: the decoder's own threads; one thread decodes, scales, embeds and makes thumbnails up to
// 8 frames ahead, the main thread runs the stream in frame order (results do not depend on timing).
//
// Output: boundaries, a segment table and memory statistics on stdout; --json (schema in
// docs/video.md), --features-out (the latents used, frames x T x D float32), --plot
// (scripts/plot_surprise.py under /usr/bin/python3, or $PREDSENSE_PYTHON), --sheet (one frame per
// segment: ffmpeg's select + tile filters), --report (python/predsense/report.py), --scenes-csv,
// --edl, --split-video (tools/support/scene_export.hpp; ffmpeg cuts the files). Outputs are staged
// (tools/support/cli.hpp staged_outputs: synced temp files) and renamed into place only after all of
// them succeeded. A progress bar goes to stderr when stderr is a terminal.
// Signals: SIGINT or SIGTERM end the run with exit 128 + signal; a child (plot, ffmpeg for the sheet
// or the split) is stopped and waited for, and no temporary file or folder is left.
//
// Exit codes: 0 success; 2 bad input (missing/unreadable/not-a-video file, a stream without frames,
// bad option value, malformed .npy) or a failed output step, with nothing written; 1 unexpected
// failure; 130 / 143 interrupted by SIGINT / SIGTERM.
#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>

#include <fcntl.h>
#include <pthread.h>
#include <spawn.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <chrono>
#include <cmath>
#include <condition_variable>
#include <csignal>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <exception>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <memory>
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
#include "predsense/ffmpeg/frame_source.hpp"
#include "predsense/io/npy.hpp"
#include "predsense/kernels/area_downsample.hpp"
#include "predsense/memory/memory_store.hpp"
#include "predsense/pipeline/stream.hpp"
#include "predsense/predictors/copy_last.hpp"
#include "predsense/predictors/ema_predictor.hpp"
#include "predsense/predictors/lfp_predictor.hpp"
#include "predsense/predictors/rls_predictor.hpp"
#include "predsense/segmentation/streaming/adaptive_segmenter.hpp"
#include "predsense/segmentation/streaming/peak_segmenter.hpp"
#include "predsense/segmentation/streaming/threshold_segmenter.hpp"
#include "predsense/segmentation/video/cut_segmenter.hpp"
#include "predsense/segmentation/video/transition_segmenter.hpp"
#include "predsense/surprise/token_cosine_distance.hpp"
#include "support/cli.hpp"
#include "support/scene_export.hpp"
#include "support/video_report.hpp"

extern char** environ;

namespace fs = std::filesystem;
using json = nlohmann::ordered_json;  // keys in the documented order
using predsense::tools::bad_input;

namespace {

constexpr std::size_t work_w = 128, work_h = 128;

// ---- signals -----------------------------------------------------------------------------------
// SIGINT/SIGTERM are blocked in every thread and taken by one thread (sigwait). While nothing is on
// disk and no child runs (opening, decoding, the pipeline) it ends the process at once; once outputs
// are being staged it stops the running child and lets the main thread unwind (staged files and the
// split folder removed by their owners), which then exits with 128 + signal.
std::atomic<int> g_signal{0};
std::atomic<bool> g_staging{false};
std::atomic<pid_t> g_child{-1};

struct interrupted {  // not a std::exception: passes run_tool's handlers to main's
  int sig;
};

void check_signal() {
  if (const int s = g_signal.load()) throw interrupted{s};
}

void start_signal_thread() {
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGINT);
  sigaddset(&set, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &set, nullptr);  // inherited by the threads started after this
  std::thread([set] {
    int sig = 0;
    while (sigwait(&set, &sig) != 0) {
    }
    g_signal = sig;
    if (!g_staging.load()) {  // nothing to clean up: no output staged, no child
      const char* msg =
          sig == SIGINT ? "predsense-video: interrupted (SIGINT)\n" : "predsense-video: terminated (SIGTERM)\n";
      [[maybe_unused]] const auto w = ::write(2, msg, std::strlen(msg));
      std::_Exit(128 + sig);
    }
    if (const pid_t c = g_child.load(); c > 0) ::kill(c, SIGTERM);
  }).detach();
}

// ---- --profile: CPU seconds per part ----------------------------------------------------------
// Each part on the thread that runs it (CLOCK_THREAD_CPUTIME_ID); the decoder's own threads are the
// process's CPU over the decoding loop minus every part measured here.
struct part_clock {
  bool on = false;
  double scale = 0, embed = 0, thumb = 0, predict = 0, surprise = 0, segment = 0, memory = 0;
};
part_clock g_prof;

double thread_cpu() {
  timespec ts{};
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) + 1e-9 * static_cast<double>(ts.tv_nsec);
}

double process_cpu() {
  timespec ts{};
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) + 1e-9 * static_cast<double>(ts.tv_nsec);
}

// Runs f, adding its thread CPU time to `acc` when profiling.
template <class F>
decltype(auto) timed(double& acc, F&& f) {
  if (!g_prof.on) return f();
  struct add {
    double& acc;
    double t0 = thread_cpu();
    ~add() { acc += thread_cpu() - t0; }
  } a{acc};
  return f();
}

// ---- children (plot, report, sheet, split) -----------------------------------------------------

// Starts argv[0] (looked up on PATH) with stdin from /dev/null, stderr (and stdout unless captured)
// to `log`, default signal dispositions and no blocked signals. Missing program -> bad_input.
pid_t spawn(const std::vector<std::string>& args, const fs::path& log, int* out_fd = nullptr) {
  std::vector<char*> argv;
  for (const auto& a : args) argv.push_back(const_cast<char*>(a.c_str()));
  argv.push_back(nullptr);
  int fds[2] = {-1, -1};
  if (out_fd && ::pipe2(fds, O_CLOEXEC) != 0) throw bad_input(std::string("pipe: ") + std::strerror(errno));
  posix_spawn_file_actions_t fa;
  posix_spawn_file_actions_init(&fa);
  posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
  posix_spawn_file_actions_addopen(&fa, 2, log.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
  if (out_fd)
    posix_spawn_file_actions_adddup2(&fa, fds[1], 1);
  else
    posix_spawn_file_actions_adddup2(&fa, 2, 1);
  posix_spawnattr_t at;
  posix_spawnattr_init(&at);
  sigset_t none, defaults;
  sigemptyset(&none);
  sigemptyset(&defaults);
  sigaddset(&defaults, SIGPIPE);
  sigaddset(&defaults, SIGINT);
  sigaddset(&defaults, SIGTERM);
  posix_spawnattr_setsigmask(&at, &none);
  posix_spawnattr_setsigdefault(&at, &defaults);
  posix_spawnattr_setflags(&at, POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF);
  pid_t pid = -1;
  const int rc = ::posix_spawnp(&pid, argv[0], &fa, &at, argv.data(), environ);
  posix_spawn_file_actions_destroy(&fa);
  posix_spawnattr_destroy(&at);
  if (out_fd) ::close(fds[1]);
  if (rc != 0) {
    if (out_fd) ::close(fds[0]);
    if (rc == ENOENT)
      throw bad_input(args[0] + " not found on PATH" +
                      (args[0].rfind("ff", 0) == 0 ? std::string(" (install ffmpeg: apt-get install ffmpeg)") : ""));
    throw bad_input("cannot start " + args[0] + ": " + std::strerror(rc));
  }
  g_child = pid;
  if (g_signal.load()) ::kill(pid, SIGTERM);  // a signal that came before the pid was known
  if (out_fd) *out_fd = fds[0];
  return pid;
}

// Waits for the child; a signal meanwhile (the signal thread stopped the child) -> interrupted.
int wait_child(pid_t pid) {
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0)
    if (errno != EINTR) {
      status = 127 << 8;
      break;
    }
  g_child = -1;
  check_signal();
  if (WIFEXITED(status)) return WEXITSTATUS(status);
  return 128 + (WIFSIGNALED(status) ? WTERMSIG(status) : 0);
}

std::string tail_of(const fs::path& log, std::size_t max_chars = 600) {
  std::ifstream in(log);
  std::string s((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  while (!s.empty() && (s.back() == '\n' || s.back() == ' ')) s.pop_back();
  if (s.size() > max_chars) s = "..." + s.substr(s.size() - max_chars);
  return s;
}

// Runs a command to completion, returning its stdout; non-zero exit -> bad_input(what + its log).
std::string run_capture(const std::vector<std::string>& args, const fs::path& log, const std::string& what) {
  int fd = -1;
  const pid_t pid = spawn(args, log, &fd);
  std::string out;
  char buf[65536];
  for (;;) {
    const ssize_t r = ::read(fd, buf, sizeof buf);
    if (r < 0 && errno == EINTR) continue;
    if (r <= 0) break;
    out.append(buf, static_cast<std::size_t>(r));
  }
  ::close(fd);
  if (const int rc = wait_child(pid); rc != 0) {
    const std::string err = tail_of(log);
    throw bad_input(what + (err.empty() ? " (" + args[0] + " exit code " + std::to_string(rc) + ")" : ": " + err));
  }
  return out;
}

// A folder removed with everything in it when the run ends (children's logs, the plot's JSON).
struct scratch_dir {
  fs::path path;
  scratch_dir() {
    std::string tmpl = (fs::temp_directory_path() / "predsense-video.XXXXXX").string();
    if (!::mkdtemp(tmpl.data()))
      throw bad_input(std::string("cannot create a temporary directory: ") + std::strerror(errno));
    path = tmpl;
  }
  ~scratch_dir() {
    std::error_code ec;
    fs::remove_all(path, ec);
  }
  scratch_dir(const scratch_dir&) = delete;
  scratch_dir& operator=(const scratch_dir&) = delete;
};

// A staged folder (--split-video) removed unless released.
struct staged_dir {
  fs::path path;
  ~staged_dir() {
    std::error_code ec;
    if (!path.empty()) fs::remove_all(path, ec);
  }
};

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

// ---- decoding and embedding ahead --------------------------------------------------------------

// One thread decodes (frame_source), embeds and makes the detector's thumbnail up to `slots` frames
// ahead of the main thread, which runs the stream on them in order. The thread's state is shared, so
// an interrupted run can leave it blocked on a pipe while the process ends.
class decode_ahead {
 public:
  struct slot {
    predsense::video_frame frame;
    predsense::frame_buffer latent;
    std::vector<float> thumb;
  };
  decode_ahead(predsense::frame_source src, const predsense::patch_embedder& emb, bool embed, bool thumbs,
               std::size_t tw, std::size_t th, std::size_t slots = 8)
      : s_(std::make_shared<state>(std::move(src), emb, embed, thumbs, tw, th, slots)) {
    thread_ = std::thread([s = s_] { run(*s); });
  }
  decode_ahead(const decode_ahead&) = delete;
  decode_ahead& operator=(const decode_ahead&) = delete;
  ~decode_ahead() {
    {
      std::lock_guard<std::mutex> l(s_->m);
      s_->stop = true;
    }
    s_->cv.notify_all();
    if (!thread_.joinable()) return;
    if (g_signal.load())
      thread_.detach();  // it may be blocked on a pipe; the process ends
    else
      thread_.join();
  }

  // The next frame (valid until the next call), nullptr at the end; the thread's error rethrown here.
  const slot* next() {
    state& s = *s_;
    std::unique_lock<std::mutex> l(s.m);
    if (s.holding) {
      s.head = (s.head + 1) % s.ring.size();
      --s.count;
      s.holding = false;
      s.cv.notify_all();
    }
    s.cv.wait(l, [&] { return s.count > 0 || s.done; });
    if (s.count == 0) {
      if (s.err) std::rethrow_exception(s.err);
      return nullptr;
    }
    s.holding = true;
    return &s.ring[s.head];
  }
  // Read after the end (next() returned nullptr).
  [[nodiscard]] std::size_t decode_errors() const { return s_->src.decode_errors(); }
  [[nodiscard]] double convert_seconds() const { return s_->src.convert_seconds(); }

 private:
  struct state {
    state(predsense::frame_source&& s, const predsense::patch_embedder& e, bool em, bool th_on, std::size_t w,
          std::size_t h, std::size_t slots)
        : src(std::move(s)), emb(e), embed(em), thumbs(th_on), tw(w), th(h), ring(slots) {}
    predsense::frame_source src;
    predsense::patch_embedder emb;
    bool embed, thumbs;
    std::size_t tw, th;
    std::vector<slot> ring;
    std::mutex m;
    std::condition_variable cv;
    std::size_t head = 0, count = 0;
    bool holding = false, done = false, stop = false;
    std::exception_ptr err;
  };

  static void run(state& s) {
    for (;;) {
      std::size_t w = 0;
      {
        std::unique_lock<std::mutex> l(s.m);
        s.cv.wait(l, [&] { return s.stop || s.count < s.ring.size(); });
        if (s.stop) return;
        w = (s.head + s.count) % s.ring.size();
      }
      slot& sl = s.ring[w];
      std::exception_ptr err;
      bool end = false;
      try {
        if (!s.src.read(sl.frame)) {
          end = true;
        } else {
          if (s.embed) timed(g_prof.embed, [&] { s.emb.embed(sl.frame.rgb, work_w, work_h, sl.latent); });
          if (s.thumbs)
            timed(g_prof.thumb,
                  [&] { predsense::area_downsample(sl.frame.rgb, work_w, work_h, 3, s.tw, s.th, sl.thumb); });
        }
      } catch (...) {
        err = std::current_exception();
        end = true;
      }
      {
        std::lock_guard<std::mutex> l(s.m);
        if (end) {
          s.err = err;
          s.done = true;
        } else {
          ++s.count;
        }
      }
      s.cv.notify_all();
      if (end) return;
    }
  }

  std::shared_ptr<state> s_;
  std::thread thread_;
};

// ---- components --------------------------------------------------------------------------------

// The segmenter chosen on the command line, a frame_aware_segmenter: the transition detector uses
// each frame's thumbnail; the surprise segmenters ignore it and skip the first frame's conventional
// surprise.
class video_segmenter {
 public:
  using impl = std::variant<predsense::transition_segmenter, predsense::cut_segmenter, predsense::adaptive_segmenter,
                            predsense::peak_segmenter, predsense::threshold_segmenter>;
  explicit video_segmenter(impl s) : s_(std::move(s)) {}
  std::optional<predsense::boundary> push(double s, std::size_t t, std::span<const float> thumb) {
    return timed(g_prof.segment, [&] { return push_impl(s, t, thumb); });
  }
  std::optional<predsense::boundary> push_impl(double s, std::size_t t, std::span<const float> thumb) {
    if (auto* tr = std::get_if<predsense::transition_segmenter>(&s_)) return tr->push(s, t, thumb);
    if (t == 0) return std::nullopt;
    return std::visit(
        [&](auto& seg) -> std::optional<predsense::boundary> {
          if constexpr (predsense::event_segmenter<std::decay_t<decltype(seg)>>)
            return seg.push(s, t);
          else
            return std::nullopt;
        },
        s_);
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
  [[nodiscard]] const predsense::transition_segmenter* transitions() const {
    return std::get_if<predsense::transition_segmenter>(&s_);
  }

 private:
  impl s_;
};
static_assert(predsense::frame_aware_segmenter<video_segmenter>);

// The Cambrian-S LFP head (Linear-GELU-Linear, D -> D -> D) trained at test time: one Adam step
// (--lfp-lr; MSE + cosine loss) on every frame pair (t-1 -> t) before predicting t+1. Residual form
// with a zeroed output layer: it starts as copy-last and learns only what the stream shows it. Built
// at the first frame, whose D it takes.
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

class video_predictor {
 public:
  using impl = std::variant<predsense::copy_last, predsense::rls_predictor, predsense::ema_predictor, lfp_online>;
  explicit video_predictor(impl p) : p_(std::move(p)) {}
  void observe(const predsense::frame_view& f) {
    timed(g_prof.predict, [&] { std::visit([&](auto& p) { p.observe(f); }, p_); });
  }
  void predict(predsense::frame_buffer& out) {
    timed(g_prof.predict, [&] { std::visit([&](auto& p) { p.predict(out); }, p_); });
  }

 private:
  impl p_;
};

// The library's relative memory (memory_store<>), or with --memory-threshold X the Cambrian-S memory.
class video_memory {
 public:
  using relative = predsense::memory_store<>;
  using cambrian = decltype(predsense::make_cambrian_memory(0.0));
  explicit video_memory(relative m) : m_(std::move(m)) {}
  explicit video_memory(cambrian m) : m_(std::move(m)) {}
  void push(const predsense::frame_view& f, double s) {
    timed(g_prof.memory, [&] { std::visit([&](auto& m) { m.push(f, s); }, m_); });
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
// Cambrian-S's surprise, 1 - mean token cosine (surprise/token_cosine_distance.hpp), timed for --profile.
struct video_metric {
  predsense::token_cosine_distance<> d;
  double operator()(const predsense::frame_view& pred, const predsense::frame_view& actual) {
    return timed(g_prof.surprise, [&] { return static_cast<double>(d(pred, actual)); });
  }
};
using pipeline = predsense::stream<video_predictor, video_metric, video_segmenter, video_memory>;

// ---- small helpers -----------------------------------------------------------------------------

fs::path find_plot_script(const char* argv0) {
  if (const char* e = std::getenv("PREDSENSE_PLOT_SCRIPT")) return e;
  std::error_code ec;
  const fs::path exe = fs::read_symlink("/proc/self/exe", ec);
  const fs::path bin = ec ? fs::path(argv0).parent_path() : exe.parent_path();
  for (const auto& c :
       {bin / ".." / ".." / "scripts" / "plot_surprise.py", bin / ".." / "share" / "predsense" / "plot_surprise.py",
        fs::path(__FILE__).parent_path().parent_path() / "scripts" / "plot_surprise.py"})
    if (fs::exists(c, ec)) return c;
  throw bad_input("--plot: cannot find scripts/plot_surprise.py (set PREDSENSE_PLOT_SCRIPT)");
}

// A path as JSON text: JSON strings are UTF-8, a path is bytes. Valid UTF-8 is kept; every byte of
// an invalid sequence is written as the four characters \xNN (as predsense-corpus shows such names).
std::string json_path_text(const std::string& p) {
  std::string out;
  const auto* b = reinterpret_cast<const unsigned char*>(p.data());
  const std::size_t n = p.size();
  for (std::size_t i = 0; i < n;) {
    std::size_t len = b[i] < 0x80 ? 1 : (b[i] >> 5) == 0x6 ? 2 : (b[i] >> 4) == 0xE ? 3 : (b[i] >> 3) == 0x1E ? 4 : 0;
    bool ok = len > 0 && i + len <= n;
    for (std::size_t k = 1; ok && k < len; ++k) ok = (b[i + k] & 0xC0) == 0x80;
    if (ok && len > 1) {  // no overlong forms, surrogates or code points past U+10FFFF
      std::uint32_t cp = b[i] & (0xFF >> (len + 1));
      for (std::size_t k = 1; k < len; ++k) cp = (cp << 6) | (b[i + k] & 0x3F);
      ok = cp >= (len == 2 ? 0x80u : len == 3 ? 0x800u : 0x10000u) && cp <= 0x10FFFF && (cp < 0xD800 || cp > 0xDFFF);
    }
    if (ok) {
      out.append(p, i, len);
      i += len;
    } else {
      char hex[5];
      std::snprintf(hex, sizeof hex, "\\x%02X", b[i]);
      out += hex;
      ++i;
    }
  }
  return out;
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

namespace {

struct options {
  std::string input, features, features_out, json_out, plot_out, sheet_out, segmenter_name,
      predictor_name = "copy-last", report_out, csv_out, edl_out, split_dir, fps_text;
  std::optional<predsense::frame_rate> fps;
  predsense::cut_segmenter_params cut;
  predsense::transition_detector_params tp;
  double threshold = 3.5, lfp_lr = 3e-3;
  std::optional<double> absolute_threshold, floor, memory_threshold;
  std::size_t grid = 8, dim = 256, window = 32, budget = 8192;
  int threads = 0;
  bool quiet = false, profile = false;
};

video_segmenter make_segmenter(options& o) {
  if (o.floor) o.cut.floor = *o.floor;
  const auto& cut = o.cut;
  if (o.segmenter_name == "transition") return video_segmenter(predsense::transition_segmenter(o.tp));
  if (o.segmenter_name == "cut") return video_segmenter(predsense::cut_segmenter(cut));
  if (o.segmenter_name == "adaptive")
    return video_segmenter(predsense::adaptive_segmenter({cut.window, cut.gamma, cut.min_gap, 0}));
  if (o.segmenter_name == "peak") {
    predsense::peak_segmenter_params pk;
    pk.threshold = cut.floor;
    pk.prominence = cut.absolute_prominence;
    pk.relative_prominence = cut.prominence;
    pk.min_separation = cut.min_gap;
    pk.lookahead = cut.lookahead;
    pk.window = cut.window;
    return video_segmenter(predsense::peak_segmenter(pk));
  }
  if (o.absolute_threshold) return video_segmenter(predsense::threshold_segmenter(*o.absolute_threshold, cut.min_gap));
  return video_segmenter(predsense::threshold_segmenter(
      predsense::threshold_segmenter_params{o.threshold, std::nullopt, cut.window, cut.min_gap}));
}

video_predictor make_predictor(const options& o) {
  using namespace predsense;
  if (o.predictor_name == "copy-last") return video_predictor(copy_last{});
  if (o.predictor_name == "rls")
    return video_predictor(rls_predictor(rls_params{rls_mode::per_token, 0.98, 1.0, true, true, 1}));
  if (o.predictor_name == "rls-pooled")
    return video_predictor(rls_predictor(rls_params{rls_mode::pooled, 0.98, 1.0, true, true, 1}));
  if (o.predictor_name == "ema") return video_predictor(ema_predictor(0.5));
  return video_predictor(lfp_online(o.lfp_lr));
}

video_memory make_memory(const options& o) {
  if (o.memory_threshold)
    return video_memory(
        predsense::make_cambrian_memory(*o.memory_threshold, predsense::memory_params{o.window, o.budget}));
  return video_memory(video_memory::relative(predsense::memory_params{o.window, o.budget}));
}

// --fps as text: ffmpeg's rational or a decimal, in (0, 1000]
std::string rate_check(const std::string& s) {
  const auto r = predsense::parse_frame_rate(s);
  if (!r || !(r->value() > 0.0) || r->value() > 1000.0 || s.find_first_not_of("0123456789./:") != std::string::npos)
    return "must be a rate in (0, 1000] frames per second (25, 29.97 or 24000/1001), got '" + s + "'";
  return {};
}

// The frames' source: re-readable (a regular file) for the outputs that decode the input again.
bool regular_file(const std::string& path) {
  struct ::stat st {};
  return path != "-" && ::stat(path.c_str(), &st) == 0 && S_ISREG(st.st_mode);
}

void run(options& o, const char* argv0) {
  if (o.input.empty() && o.features.empty()) throw bad_input("no INPUT video (and no --features) given");
  if (!o.fps_text.empty()) o.fps = predsense::parse_frame_rate(o.fps_text);
  // Outputs never touch inputs or each other, and their directories exist: checked before any work.
  predsense::tools::io_paths paths;
  paths.input(o.input, "INPUT");
  paths.input(o.features, "--features");
  paths.output(o.json_out, "--json");
  paths.output(o.plot_out, "--plot");
  paths.output(o.sheet_out, "--sheet");
  paths.output(o.features_out, "--features-out");
  paths.output(o.report_out, "--report");
  paths.output(o.csv_out, "--scenes-csv");
  paths.output(o.edl_out, "--edl");
  paths.check();
  if (o.input.empty() && !o.sheet_out.empty()) throw bad_input("--sheet needs the INPUT video");
  if (o.input.empty() && !o.split_dir.empty()) throw bad_input("--split-video needs the INPUT video");
  if (!o.split_dir.empty()) predsense::tools::check_split_dir(o.split_dir, o.input);
  if (!o.input.empty()) {
    std::error_code ec;
    if (o.input != "-" && !fs::exists(o.input, ec)) throw bad_input(o.input + ": no such file");
    if (fs::is_directory(o.input, ec)) throw bad_input(o.input + ": is a directory, not a video");
    // the sheet, the report's thumbnails and the split read the video again: not a pipe
    for (const auto& [opt, val] : {std::pair{"--sheet", &o.sheet_out}, std::pair{"--report", &o.report_out},
                                   std::pair{"--split-video", &o.split_dir}})
      if (!val->empty() && !regular_file(o.input))
        throw bad_input(std::string(opt) + " reads the video again: INPUT must be a regular file, not " +
                        (o.input == "-" ? "standard input" : "a pipe or device (" + o.input + ")"));
  }

  // ---- pipeline ----
  if (o.segmenter_name.empty()) o.segmenter_name = o.features.empty() || !o.input.empty() ? "transition" : "cut";
  if (o.segmenter_name == "transition" && o.input.empty())
    throw bad_input(
        "--segmenter transition needs the video's frames for its thumbnails: give INPUT with --features, or use "
        "cut, adaptive, peak or threshold");
  const bool trans = o.segmenter_name == "transition";

  std::vector<double> surprise;
  std::vector<predsense::boundary> bounds;
  double rate = 0.0;
  std::vector<double> pts;        // per-frame presentation time
  std::size_t decode_errors = 0;  // corrupt packets / frames the decoder flagged (warned about, in the JSON)
  int stream_index = 0;
  std::size_t tokens = 0, token_dim = 0;
  const bool tty = !o.quiet && ::isatty(2);
  std::vector<float> latents_out;                           // --features-out: frames x T x D
  std::optional<predsense::tools::memory_trace> mem_trace;  // --report: the memory over time
  if (!o.report_out.empty()) mem_trace.emplace();
  std::optional<pipeline> pipe;
  const auto take = [&](const predsense::frame_view& f, std::span<const float> thumb) {
    if (!o.features_out.empty()) latents_out.insert(latents_out.end(), f.data, f.data + f.tokens * f.dim);
    const auto r = pipe->step(f, thumb);
    surprise.push_back(r.surprise);
    if (r.boundary && !trans) bounds.push_back(*r.boundary);
    if (mem_trace) mem_trace->record(pipe->memory(), surprise.size() - 1);
    check_signal();
  };

  predsense::npy_array a;  // --features
  std::size_t feature_frames = 0;
  const auto feature_frame = [&](std::size_t i) {
    return predsense::frame_view(a.data.data() + i * tokens * token_dim, tokens, token_dim);
  };
  if (!o.features.empty()) {
    try {
      a = predsense::read_npy(o.features);
    } catch (const predsense::error& e) {
      throw bad_input(std::string("--features: ") + e.what());
    }
    if (a.shape.size() != 3 && a.shape.size() != 2)
      throw bad_input("--features " + o.features + ": expected a frames x T x D (or frames x D) array, got " +
                      std::to_string(a.shape.size()) + " dimensions");
    feature_frames = a.shape[0];
    tokens = a.shape.size() == 3 ? a.shape[1] : 1;
    token_dim = a.shape.back();
    if (feature_frames == 0 || tokens == 0 || token_dim == 0)
      throw bad_input("--features " + o.features + ": empty array");
    for (float v : a.data)
      if (!std::isfinite(v)) throw bad_input("--features " + o.features + ": contains NaN or infinity");
    if (!o.fps) o.fps = predsense::frame_rate{1, 1};
    rate = o.fps->value();
  }
  if (!o.features.empty() && !trans) {  // the surprise alone: no frames needed
    if (!o.input.empty()) stream_index = predsense::frame_source(o.input).info().index;  // the sheet's stream
    pipe.emplace(make_predictor(o), video_metric{}, make_segmenter(o), make_memory(o));
    progress_bar bar(tty, feature_frames);
    for (std::size_t i = 0; i < feature_frames; ++i) {
      take(feature_frame(i), {});
      bar.update(i + 1);
    }
    bar.finish(feature_frames);
  } else {
    predsense::frame_source_params fp;
    fp.width = work_w;
    fp.height = work_h;
    fp.fps = o.fps;
    fp.threads = o.threads;
    predsense::frame_source src(o.input, fp);
    const auto info = src.info();
    stream_index = info.index;
    if (!feature_frames) rate = o.fps ? o.fps->value() : info.average_rate.value();
    if (!(rate > 0.0) || !std::isfinite(rate))
      throw bad_input(o.input + ": the video's frame rate is unknown; give --fps");
    if (trans)  // the long-scale comparison spans ~0.24 s: 6 frames at 25 fps, 2 at 10 fps or less
      o.tp.scale = static_cast<std::size_t>(std::clamp(std::lround(rate * 0.24), 2L, 6L));
    pipe.emplace(make_predictor(o), video_metric{}, make_segmenter(o), make_memory(o));
    const predsense::patch_embedder emb({o.grid, o.dim, 1});
    if (!feature_frames) {
      tokens = emb.tokens();
      token_dim = emb.dim();
    }
    progress_bar bar(tty, feature_frames        ? feature_frames
                          : info.duration > 0.0 ? static_cast<std::size_t>(info.duration * rate + 0.5)
                                                : 0);
    std::size_t decoded = 0;
    std::vector<float> last_thumb;  // --features: the last thumbnail, for a short video
    const double cpu0 = process_cpu();
    decode_ahead frames(std::move(src), emb, !feature_frames, trans, o.tp.width, o.tp.height);
    for (const decode_ahead::slot* f = frames.next(); f != nullptr; f = frames.next()) {
      ++decoded;
      pts.push_back(f->frame.time);
      if (feature_frames) {                               // your latents propose, this frame's thumbnail verifies
        if (surprise.size() == feature_frames) continue;  // frames past the features' end
        take(feature_frame(surprise.size()), f->thumb);
        last_thumb.assign(f->thumb.begin(), f->thumb.end());
      } else {
        take(f->latent.view(), f->thumb);
      }
      bar.update(surprise.size());
    }
    bar.finish(surprise.size());
    decode_errors = frames.decode_errors();
    if (g_prof.on && decoded) {
      const auto& p = g_prof;
      const double total = process_cpu() - cpu0, scale = frames.convert_seconds();
      const double mine = scale + p.embed + p.thumb + p.predict + p.surprise + p.segment + p.memory;
      const double k = 1e3 / static_cast<double>(decoded);
      std::fprintf(stderr,
                   "predsense-video: profile, CPU ms per frame over %zu frames: decode %.4f, scale %.4f, embed %.4f, "
                   "thumbnail %.4f, predict %.4f, surprise %.4f, segment %.4f, memory %.4f; loop total %.4f\n",
                   decoded, (total - mine) * k, scale * k, p.embed * k, p.thumb * k, p.predict * k, p.surprise * k,
                   p.segment * k, p.memory * k, total * k);
    }
    if (decoded == 0) throw bad_input(o.input + ": no video frames (its video stream has no decodable frame)");
    if (feature_frames) {
      // The features and the video must cover the same time: a sampler of one's own may round the last
      // frame differently (1 + 1% of the frames either way; missing thumbnails repeat the last one).
      const std::size_t slack = 1 + feature_frames / 100;
      if (decoded + slack < feature_frames || decoded > feature_frames + slack)
        throw bad_input("--features " + o.features + " has " + std::to_string(feature_frames) + " frames but " +
                        o.input + " gives " + std::to_string(decoded) + " frames at --fps " + fmt(rate, 6) +
                        ": give the rate the features were sampled at (--fps), or the video they came from");
      while (surprise.size() < feature_frames) take(feature_frame(surprise.size()), last_thumb);
      pts.clear();  // frame / fps
    }
    if (decode_errors > 0)
      std::cerr << "predsense-video: warning: " << o.input << ": the decoder reported " << decode_errors
                << " corrupt or undecodable packet(s) / frame(s); their frames may be concealed copies\n";
  }
  std::vector<predsense::transition> found;
  for (const auto& b : pipe->segmenter().flush())
    if (!trans) bounds.push_back(b);
  if (trans) {
    found = pipe->segmenter().transitions()->transitions();
    std::sort(found.begin(), found.end(), [](const auto& x, const auto& y) { return x.frame < y.frame; });
    for (const auto& tr : found) bounds.push_back({tr.frame, tr.score, tr.decided_at});
  } else {
    for (const auto& b : bounds)
      found.push_back({b.t, b.t, b.t, predsense::transition_kind::cut, b.score, b.decided_at});
  }
  const std::size_t n = surprise.size();
  const auto& pipe_ref = *pipe;
  const auto& window = o.window;
  const auto& budget = o.budget;
  const auto& memory_threshold = o.memory_threshold;
  const auto& input = o.input;
  const auto& features = o.features;
  const auto& predictor_name = o.predictor_name;
  const auto& segmenter_name = o.segmenter_name;
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
  const auto& mem = pipe_ref.memory();
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
  j["input"] = input.empty() ? json(nullptr) : json(json_path_text(input));
  j["features"] = features.empty() ? json(nullptr) : json(features);
  j["pipeline"] = {{"predictor", predictor_name},
                   {"metric", "token_cosine_distance"},
                   {"segmenter", segmenter_name},
                   {"embedder", features.empty() ? json("patch_embedder") : json(nullptr)}};

  std::ostringstream text;
  text << "predsense-video: " << (features.empty() ? input : features) << ": " << n << " frames at " << fmt(rate, 3)
       << " fps, " << tokens << "x" << token_dim << " tokens per frame\n";
  text << "boundaries (" << bounds.size() << "):";
  for (const auto& tr : found) {
    text << " " << tr.frame << " (" << predsense::tools::timecode_ms(time_of(tr.frame));
    if (tr.kind != predsense::transition_kind::cut)
      text << ", " << predsense::to_string(tr.kind) << " " << tr.start << "-" << tr.end;
    text << ")";
  }
  text << "\n\n  seg  start    end  frames  start_s    end_s  mean surprise  start          end\n";
  for (std::size_t k = 0; k < segs.size(); ++k) {
    char line[200];
    std::snprintf(line, sizeof line, "%5zu %6zu %6zu %7zu %8.2f %8.2f %14.4f  %s  %s\n", k, segs[k].start, segs[k].end,
                  segs[k].end - segs[k].start, time_of(segs[k].start), time_of(segs[k].end), segs[k].mean_surprise,
                  predsense::tools::timecode_ms(time_of(segs[k].start)).c_str(),
                  predsense::tools::timecode_ms(time_of(segs[k].end)).c_str());
    text << line;
  }
  text << "\nmemory (window " << window << " frames, budget " << budget << " tokens, "
       << (memory_threshold ? "Cambrian-S: pool below surprise " + fmt(*memory_threshold, 3) + ", drop_merge"
                            : std::string("pool_relative + peak_preserving: relative to the stream's surprise"))
       << "): " << mem_tokens << " tokens in " << (in_window + long_term) << " entries (" << in_window
       << " in the window, " << long_term << " long-term; " << pooled << " pooled, " << merged_entries
       << " merged) for " << mem.frames_seen() << " frames = " << static_cast<std::size_t>(mem.frames_seen()) * tokens
       << " tokens at full resolution; " << frames_kept << " frames represented, "
       << (static_cast<std::size_t>(mem.frames_seen()) - frames_kept) << " dropped\n";

  // ---- outputs: staged (synced temp files beside each target), renamed together at the end ----
  g_staging = true;  // from here a signal stops the child and unwinds: the staged files are removed
  check_signal();
  predsense::tools::staged_outputs staged;
  scratch_dir scratch;
  const fs::path log = scratch.path / "child.log";
  // replace: any other text that is not UTF-8 (a name from the file system) must not end the run
  const std::string json_text = j.dump(1, ' ', false, json::error_handler_t::replace) + "\n";
  if (!o.features_out.empty()) {
    const fs::path tmp = staged.stage(o.features_out, ".npy", "--features-out");
    predsense::tools::write_with(o.features_out, "--features-out", [&] {
      predsense::write_npy(tmp, latents_out, {n, tokens, token_dim});
    });
  }
  if (!o.json_out.empty()) staged.write(o.json_out, json_text, "--json");
  const char* py = std::getenv("PREDSENSE_PYTHON");
  if (!o.plot_out.empty()) {
    const fs::path data = scratch.path / "surprise.json";
    std::ofstream(data) << json_text;
    const fs::path tmp = staged.stage(o.plot_out, ".png", "--plot");
    if (wait_child(spawn({py ? py : "/usr/bin/python3", find_plot_script(argv0).string(), data.string(), tmp.string()},
                         log)) != 0 ||
        !fs::exists(tmp))
      throw bad_input("--plot " + o.plot_out + ": plotting failed: " + tail_of(log));
  }
  if (!o.sheet_out.empty()) {
    // One frame per segment: its middle frame, in the same frame numbering as the analysis.
    std::string sel;
    for (const auto& s : segs)
      sel += (sel.empty() ? "" : "+") + std::string("eq(n,") + std::to_string((s.start + s.end - 1) / 2) + ")";
    const std::size_t k = segs.size();
    const auto cols = static_cast<std::size_t>(std::ceil(std::sqrt(static_cast<double>(k))));
    const std::size_t rows = (k + cols - 1) / cols;
    std::string vf;
    if (o.fps) vf += "fps=" + std::to_string(o.fps->num) + "/" + std::to_string(o.fps->den) + ",";
    vf += "select='" + sel + "',scale=240:-2,tile=" + std::to_string(cols) + "x" + std::to_string(rows) +
          ":padding=4:margin=4:color=white";
    const fs::path tmp = staged.stage(o.sheet_out, ".png", "--sheet");
    if (wait_child(spawn({"ffmpeg", "-nostdin",  "-v",
                          "error",  "-y",        "-i",
                          input,    "-map",      "0:" + std::to_string(stream_index),
                          "-vf",    vf,          "-fps_mode",
                          "vfr",    "-frames:v", "1",
                          "-f",     "image2",    "-c:v",
                          "png",    tmp.string()},
                         log)) != 0 ||
        !fs::exists(tmp))
      throw bad_input("--sheet " + o.sheet_out + ": ffmpeg failed: " + tail_of(log));
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
  if (!o.csv_out.empty()) staged.write(o.csv_out, predsense::tools::scenes_csv(scenes), "--scenes-csv");
  if (!o.edl_out.empty())
    staged.write(o.edl_out,
                 predsense::tools::scenes_edl(scenes, rate, source.stem().string(), source.filename().string()),
                 "--edl");
  if (!o.report_out.empty()) {
    json rj = j;
    rj["memory_trace"] = mem_trace->to_json(budget);
    // how the page decodes its thumbnails: the frames the analysis saw, numbered the same way
    rj["decode"] = {{"map", "0:" + std::to_string(stream_index)}, {"fps", o.fps ? json(rate) : json(nullptr)}};
    const fs::path data = scratch.path / "report.json";
    std::ofstream(data) << rj.dump(-1, ' ', false, json::error_handler_t::replace) << "\n";
    const fs::path script = predsense::tools::find_report_script(argv0, __FILE__);
    if (script.empty())
      throw bad_input("--report: cannot find python/predsense/report.py (set PREDSENSE_REPORT_SCRIPT)");
    const fs::path tmp = staged.stage(o.report_out, ".html", "--report");
    if (wait_child(spawn({py ? py : "/usr/bin/python3", script.string(), data.string(), tmp.string()}, log)) != 0 ||
        !fs::exists(tmp))
      throw bad_input("--report " + o.report_out + ": writing the page failed: " + tail_of(log));
  }
  std::vector<std::string> split_files, split_copied, split_written;
  staged_dir split_stage;
  if (!o.split_dir.empty()) {
    const std::string kf =
        run_capture({"ffprobe", "-v", "error", "-select_streams", std::to_string(stream_index), "-show_entries",
                     "packet=pts_time,flags:format=start_time", "-of", "json", "--", input},
                    log, input + ": ffprobe cannot list its keyframes");
    split_stage.path = predsense::tools::split_staging(o.split_dir);
    std::error_code ec;
    fs::create_directory(split_stage.path, ec);
    if (ec) throw bad_input("--split-video " + o.split_dir + ": cannot create " + split_stage.path.string());
    const auto plan = predsense::tools::split_plan(
        scenes, predsense::tools::keyframe_times(kf, input), rate, pts.empty() ? 0.0 : pts.front(), input,
        "0:" + std::to_string(stream_index), source.stem().string(), split_stage.path.string());
    // the copy pass first; if it fails or gives other pieces than planned, every scene is re-encoded
    bool pieces_ok = false;
    if (!plan.segment_args.empty()) {
      pieces_ok = wait_child(spawn(predsense::tools::with_program("ffmpeg", plan.segment_args), log)) == 0;
      for (std::size_t i = 0; pieces_ok && i < plan.pieces; ++i)
        pieces_ok = fs::exists(split_stage.path / predsense::tools::piece_name(i));
      pieces_ok = pieces_ok && !fs::exists(split_stage.path / predsense::tools::piece_name(plan.pieces));
    }
    for (const auto& st : plan.steps) {
      if (pieces_ok && st.piece >= 0) {
        fs::rename(split_stage.path / predsense::tools::piece_name(static_cast<std::size_t>(st.piece)),
                   split_stage.path / st.file);
        split_copied.push_back(st.file);
      } else if (wait_child(spawn(predsense::tools::with_program("ffmpeg", st.encode_args), log)) != 0) {
        throw bad_input("--split-video " + o.split_dir + ": ffmpeg failed on " + st.file + ": " + tail_of(log));
      }
      split_files.push_back(st.file);
    }
    for (std::size_t i = 0; i <= plan.pieces; ++i) fs::remove(split_stage.path / predsense::tools::piece_name(i), ec);
    check_signal();
    // (checked against the inputs before anything moves)
    split_written = predsense::tools::commit_split(split_stage.path, o.split_dir, split_files, {input, features});
    if (!fs::exists(split_stage.path)) split_stage.path.clear();
  }
  check_signal();
  staged.commit();
  std::cout << text.str();
  for (const auto* t : {&o.features_out, &o.json_out, &o.plot_out, &o.sheet_out, &o.csv_out, &o.edl_out, &o.report_out})
    if (!t->empty()) std::cout << "wrote " << *t << "\n";
  for (std::size_t k = 0; k < split_written.size(); ++k)
    std::cout << "wrote " << split_written[k]
              << (std::find(split_copied.begin(), split_copied.end(), split_files[k]) != split_copied.end()
                      ? " (stream copy)\n"
                      : " (re-encoded)\n");
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{
      "Stream a video (or precomputed latents) through the default predsense pipeline: per-frame "
      "surprise, event boundaries (shot cuts and gradual transitions), segments and memory statistics."};
  options o;
  app.add_option("input", o.input, "video file, named pipe or - (standard input); optional with --features");
  app.add_option("--fps", o.fps_text,
                 "decode at this rate: frames per second, a decimal or ffmpeg's rational such as 24000/1001 (default: "
                 "every frame; with --features: the rate the features were sampled at, default 1)")
      ->check(CLI::Validator(rate_check, "RATE"));
  app.add_option("--features", o.features, "precomputed latents, frames x T x D (or frames x D) float .npy");
  app.add_option("--features-out", o.features_out,
                 "write the latents the pipeline used as a float32 .npy, frames x T x D (C order)");
  app.add_option("--json", o.json_out, "write fps, frames, surprise, boundaries, segments, memory as JSON");
  app.add_option("--plot", o.plot_out, "write a PNG of the surprise curve with the boundaries");
  app.add_option("--sheet", o.sheet_out, "write a PNG contact sheet, one frame per segment");
  app.add_option("--report", o.report_out,
                 "write a self-contained HTML page: surprise timeline with every boundary, transition cards, memory "
                 "over time, segments (python/predsense/report.py under /usr/bin/python3)");
  app.add_option("--scenes-csv", o.csv_out, "write the scene list as CSV with PySceneDetect's columns");
  app.add_option("--edl", o.edl_out, "write the scene list as a CMX 3600 edit decision list");
  app.add_option("--split-video", o.split_dir,
                 "write one file per scene into this directory (ffmpeg: stream copy when a scene starts on a "
                 "keyframe, re-encoded otherwise)");
  app.add_option("--segmenter", o.segmenter_name,
                 "transition (default with a video, also with --features: cuts, dissolves, fades, dips), cut "
                 "(hard cuts only; default with --features and no video), adaptive, peak or threshold")
      ->check(CLI::IsMember({"transition", "cut", "adaptive", "peak", "threshold"}));
  app.add_option("--predictor", o.predictor_name,
                 "copy-last (default), rls (online ridge per token), rls-pooled (on the frame's mean token), "
                 "ema (exponential moving average, alpha 0.5) or lfp (the LFP head trained on the stream with Adam)")
      ->check(CLI::IsMember({"copy-last", "rls", "rls-pooled", "ema", "lfp"}));
  app.add_option("--lfp-lr", o.lfp_lr, "lfp: Adam learning rate (default 0.003)")
      ->check(predsense::tools::real_in(0.0, 1.0));
  app.add_option("--window", o.cut.window,
                 "cut, peak, threshold: robust statistics / adaptive: mean and std over this many trailing frames")
      ->check(predsense::tools::count_in(3, 100000));
  app.add_option("--gamma", o.cut.gamma, "cut: median + gamma * 1.4826 * MAD; adaptive: mean + gamma * std")
      ->check(predsense::tools::real_in(0.0, 100.0));
  app.add_option("--prominence", o.cut.prominence,
                 "cut, peak: minimum prominence in robust sigmas (1.4826 * MAD) of the trailing window (default 6)")
      ->check(predsense::tools::real_in(0.0, 1000.0));
  app.add_option("--absolute-prominence", o.cut.absolute_prominence,
                 "cut, peak: minimum prominence in the surprise's own units (default 0: off)")
      ->check(predsense::tools::real_in(0.0, 1e6));
  app.add_option("--floor", o.floor, "cut, peak: minimum surprise of a boundary, in its own units (default: off)")
      ->check(predsense::tools::real_in(-1e6, 1e6));
  app.add_option("--min-gap", o.cut.min_gap, "minimum frames between boundaries")
      ->check(predsense::tools::count_in(1, 100000));
  app.add_option("--z-threshold", o.threshold,
                 "threshold segmenter: robust z of the surprise against the trailing --window > this (default 3.5)")
      ->check(predsense::tools::real_in(0.0, 1e6));
  app.add_option("--threshold", o.absolute_threshold,
                 "threshold segmenter: surprise > this, in its own units (the Cambrian-S rule; replaces the z rule)")
      ->check(predsense::tools::real_in(-1e6, 1e6));
  app.add_option("--grid", o.grid, "patch embedder: grid x grid tokens")->check(predsense::tools::count_in(1, 64));
  app.add_option("--dim", o.dim, "patch embedder: dimensions per token")->check(predsense::tools::count_in(1, 65536));
  app.add_option("--memory-window", o.window, "memory: sensory window (frames)")
      ->check(predsense::tools::count_in(0, 1000000));
  app.add_option("--memory-budget", o.budget, "memory: long-term token budget")
      ->check(predsense::tools::count_in(1, 1000000000));
  app.add_option("--memory-threshold", o.memory_threshold,
                 "memory: the Cambrian-S memory, frames below this surprise (its own units) pooled 2x2, drop_merge "
                 "(default: the library's relative memory, pool_relative + peak_preserving)")
      ->check(predsense::tools::real_in(-1e6, 1e6));
  app.add_option("--threads", o.threads, "decoder threads (default 0: FFmpeg's choice, one per core)")
      ->check(predsense::tools::count_in(0, 256));
  app.add_flag("-q,--quiet", o.quiet, "no progress bar");
  app.add_flag("--profile", o.profile,
               "print the CPU time per frame of each part (decode, scale, embed, thumbnail, predict, surprise, "
               "segment, memory) to stderr");
  std::signal(SIGPIPE, SIG_IGN);
  start_signal_thread();
  try {
    return predsense::tools::run_tool("predsense-video", app, argc, argv, [&] {
      g_prof.on = o.profile;
      run(o, argv[0]);
    });
  } catch (const interrupted& i) {
    std::cerr << "predsense-video: " << (i.sig == SIGINT ? "interrupted (SIGINT)" : "terminated (SIGTERM)")
              << "; no output written\n";
    std::cerr.flush();
    std::_Exit(128 + i.sig);  // (a decoding thread may still be blocked on a pipe)
  }
}
