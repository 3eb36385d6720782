// predsense/ffmpeg/frame_source.hpp - decoded video frames in process: FFmpeg's libavformat,
// libavcodec and libswscale, scaled straight to a working size as rgb24, with presentation times.
//
//   frame_source src("clip.mp4", {.width = 128, .height = 128});   // "-": standard input
//   video_frame f;
//   while (src.read(f)) use(f.rgb, f.width, f.height, f.time);      // height x width x 3 uint8
//
// Open: a file path, a named pipe or "-" (standard input); only the file and pipe protocols are
// allowed, so a playlist or a name like "http:..." never reaches the network. The video stream is
// picked by one rule, ffmpeg's own: the largest picture among the video streams that are not
// attached pictures (cover art), the first on a tie; with only attached pictures, the largest of
// them. Decoding uses the codec's own threads (frame + slice, `threads`, 0 = one per core).
// Each decoded frame is converted by libswscale from the decoder's pixel format straight to rgb24
// at width x height (SWS_AREA, the frame's own YUV matrix and range: what ffmpeg's
// `-vf scale=W:H:flags=area -pix_fmt rgb24` gives, bit for bit), then turned by the stream's display
// rotation (90/180/270 degrees and mirrors, as ffmpeg's autorotate does).
//
// Times: f.time is the frame's presentation time in seconds from the start of the file (the
// container's start time subtracted, as ffmpeg does), from the decoder's best-effort timestamp.
// Resampling: with `fps` set (a rational, e.g. {24000, 1001}), frames come out at exactly that rate
// with ffmpeg's fps filter semantics: output frame k (time (k0 + k) / fps, k0 = the first frame's
// time rounded to the nearest tick) shows the latest decoded frame whose time, rounded to the
// nearest tick, is <= that tick (frames are repeated or dropped); the last one is repeated up to the
// end of the last frame (its time + duration, rounded). f.index counts the frames given out.
// Errors (predsense::format_error naming the input): cannot open or not a media file, no video
// stream, no decoder for its codec, a picture larger than max_pixels (2^26, e.g. 8192 x 8192) or
// a side over 2^15. Decoding errors inside the stream (corrupt packets, concealed slices) are not
// thrown: decode_errors() counts them and the frames the decoder still gives come out.
// invalid_argument_error: width/height not both 0 or both in [1, 2^15], fps not positive.
// Without FFmpeg's development packages this header stops with a compile-time error.
// Model: PySceneDetect's VideoStream (one object: open, read, time of each frame).
#pragma once

#include "predsense/config.hpp"

// PREDSENSE_HAS_FFMPEG comes with the target predsense::ffmpeg (CMake found the four libraries).
#ifndef PREDSENSE_HAS_FFMPEG
#error \
    "predsense/ffmpeg/frame_source.hpp needs FFmpeg's libraries: install libavformat-dev libavcodec-dev libswscale-dev libavutil-dev (Debian) and link predsense::ffmpeg"
#endif

extern "C" {
#include <libavcodec/avcodec.h>
#include <libavformat/avformat.h>
#include <libavutil/display.h>
#include <libavutil/imgutils.h>
#include <libavutil/parseutils.h>
#include <libavutil/pixdesc.h>
#include <libswscale/swscale.h>
}

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <ctime>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "predsense/core/error.hpp"

namespace predsense {

// A frame rate as FFmpeg writes it: num / den frames per second (24000/1001, 25/1).
struct frame_rate {
  std::int64_t num = 0, den = 1;
  [[nodiscard]] double value() const noexcept { return den ? static_cast<double>(num) / static_cast<double>(den) : 0; }
};

// "25", "29.97", "24000/1001", "30000:1001" -> a rate; decimals become the nearest fraction with a
// denominator up to 1001000 (ffmpeg's av_parse_video_rate). nullopt if not a positive finite rate.
inline std::optional<frame_rate> parse_frame_rate(const std::string& text) {
  AVRational r{0, 1};
  if (text.empty() || av_parse_video_rate(&r, text.c_str()) < 0 || r.num <= 0 || r.den <= 0) return std::nullopt;
  return frame_rate{r.num, r.den};
}

struct frame_source_params {
  std::size_t width = 0, height = 0;  // output size in pixels; 0, 0: the stream's own (after rotation)
  std::optional<frame_rate> fps;      // resample to this rate (ffmpeg's fps filter); nullopt: every frame
  int threads = 0;                    // decoder threads; 0: FFmpeg's automatic choice (one per core)
  bool autorotate = true;             // apply the stream's display rotation
};

// What the container says about the stream read (before decoding).
struct video_stream_info {
  int index = -1;         // the stream's index in the container ("0:<index>" in ffmpeg's -map)
  int position = 0;       // its position among the video streams ("0:v:<position>")
  std::size_t width = 0;  // coded picture size, before rotation
  std::size_t height = 0;
  frame_rate
      average_rate;       // the stream's average frame rate (ffprobe's avg_frame_rate; else r_frame_rate), 0/1 unknown
  double duration = 0.0;  // seconds, 0 if unknown (the stream's, else the container's)
  int rotation = 0;       // display rotation applied, degrees clockwise: 0, 90, 180, 270
  std::string codec;      // decoder name
};

struct video_frame {
  std::vector<std::uint8_t> rgb;  // height x width x 3, row-major, rgb24
  std::size_t width = 0, height = 0;
  double time = 0.0;      // presentation time, seconds from the start of the file
  std::size_t index = 0;  // 0, 1, 2, ... in the order given out
};

namespace detail {

// ffmpeg's fps filter (libavfilter/vf_fps.c, round=near, eof_action=round) over frame times in the
// output time base: tick k shows the latest frame whose rounded time is <= k.
class fps_resampler {
 public:
  // A frame arrives with its rounded tick; returns how many outputs the frame held before it gets
  // (the ticks it covers up to this one; 0: this frame replaces it). The first frame starts the clock.
  std::size_t push(std::int64_t tick) {
    if (!started_) {
      started_ = true;
      next_ = tick;
      return 0;
    }
    if (tick <= next_) return 0;
    const auto n = static_cast<std::size_t>(tick - next_);
    next_ = tick;
    return n;
  }
  // End of the stream at `eof_tick`: the outputs of the last frame held (the ticks before eof_tick;
  // none when the end rounds onto the frame's own tick, as ffmpeg's eof_action=round drops it).
  std::size_t finish(std::int64_t eof_tick) {
    if (!started_ || eof_tick <= next_) return 0;
    const auto n = static_cast<std::size_t>(eof_tick - next_);
    next_ = eof_tick;
    return n;
  }
  [[nodiscard]] std::int64_t next_tick() const noexcept { return next_; }

 private:
  bool started_ = false;
  std::int64_t next_ = 0;
};

struct av_deleter {
  void operator()(AVFormatContext* p) const noexcept { avformat_close_input(&p); }
  void operator()(AVCodecContext* p) const noexcept { avcodec_free_context(&p); }
  void operator()(AVPacket* p) const noexcept { av_packet_free(&p); }
  void operator()(AVFrame* p) const noexcept { av_frame_free(&p); }
  void operator()(SwsContext* p) const noexcept { sws_freeContext(p); }
};

inline std::string av_message(int err) {
  char b[AV_ERROR_MAX_STRING_SIZE] = {};
  av_strerror(err, b, sizeof b);
  return b;
}

}  // namespace detail

class frame_source {
 public:
  static constexpr std::size_t max_side = std::size_t{1} << 15;
  static constexpr std::size_t max_pixels = std::size_t{1} << 26;

  explicit frame_source(const std::string& path, frame_source_params p = {})
      : name_(path == "-" ? "<stdin>" : path), p_(p) {
    if ((p_.width == 0) != (p_.height == 0) || p_.width > max_side || p_.height > max_side)
      throw invalid_argument_error("frame_source: width and height must both be 0 (the stream's size) or both in [1, " +
                                   std::to_string(max_side) + "]");
    if (p_.fps && (p_.fps->num <= 0 || p_.fps->den <= 0 || p_.fps->num > INT32_MAX || p_.fps->den > INT32_MAX))
      throw invalid_argument_error("frame_source: fps must be a positive rational num/den");
    if (p_.threads < 0) throw invalid_argument_error("frame_source: threads must be >= 0");
    av_log_set_level(AV_LOG_QUIET);  // errors come back as exceptions and decode_errors(), not on stderr
    open(path);
  }
  frame_source(const frame_source&) = delete;
  frame_source& operator=(const frame_source&) = delete;
  frame_source(frame_source&&) noexcept = default;
  frame_source& operator=(frame_source&&) noexcept = default;
  ~frame_source() = default;

  [[nodiscard]] const video_stream_info& info() const noexcept { return info_; }
  // Corrupt packets and frames the decoder flagged (a concealed slice, missing references).
  [[nodiscard]] std::size_t decode_errors() const noexcept { return errors_; }
  // Frames that came out of the decoder so far (before resampling).
  [[nodiscard]] std::size_t frames_decoded() const noexcept { return decoded_; }
  // CPU seconds this object's calling thread spent converting frames (libswscale + rotation): the
  // scaling share of read()'s cost, for profiles (the decoder's own threads are not in it).
  [[nodiscard]] double convert_seconds() const noexcept { return convert_s_; }
  // Output size (after rotation); known after construction.
  [[nodiscard]] std::size_t width() const noexcept { return out_w_; }
  [[nodiscard]] std::size_t height() const noexcept { return out_h_; }

  // The next frame into `out` (its buffer reused); false at the end of the stream. Errors: as the
  // constructor (a frame whose size grew past the limits mid-stream).
  bool read(video_frame& out) {
    for (;;) {
      if (repeat_ > 0) {  // the resampler gives the previous frame again
        --repeat_;
        out.rgb.assign(held_rgb_.begin(), held_rgb_.end());
        stamp(out, seconds_of_tick(out_tick_++));
        return true;
      }
      if (finished_) return false;
      if (!decode_next()) {
        finished_ = true;
        if (p_.fps && held_) {  // the last frame up to the end of the stream
          repeat_ = resampler_.finish(eof_tick());
          if (repeat_) convert(held_.get(), held_rgb_);
          held_.reset();
        }
        continue;
      }
      const std::int64_t pts = frame_pts();
      if (!p_.fps) {
        convert(frame_.get(), out.rgb);
        stamp(out, seconds(pts));
        return true;
      }
      // fps filter: a frame is held (a reference, converted only if it goes out) until the next one
      // shows how many ticks it covers
      const std::int64_t tick = to_tick(pts);
      const std::size_t n = resampler_.push(tick);
      if (!held_) {
        out_tick_ = tick;
      } else if (n > 0) {
        convert(held_.get(), held_rgb_);
        repeat_ = n;
      }
      if (!held_) held_.reset(av_frame_alloc());
      if (!held_) throw std::bad_alloc();
      av_frame_unref(held_.get());
      if (av_frame_ref(held_.get(), frame_.get()) < 0) throw std::bad_alloc();
    }
  }

 private:
  using fmt_ptr = std::unique_ptr<AVFormatContext, detail::av_deleter>;
  using codec_ptr = std::unique_ptr<AVCodecContext, detail::av_deleter>;
  using packet_ptr = std::unique_ptr<AVPacket, detail::av_deleter>;
  using frame_ptr = std::unique_ptr<AVFrame, detail::av_deleter>;
  using sws_ptr = std::unique_ptr<SwsContext, detail::av_deleter>;

  [[noreturn]] void fail(const std::string& what) const { throw format_error(name_ + ": " + what); }

  void open(const std::string& path) {
    // only local files and pipes: "-" is standard input, every other name a file (never a URL)
    const std::string url = path == "-" ? std::string("pipe:0") : "file:" + path;
    AVDictionary* opts = nullptr;
    av_dict_set(&opts, "protocol_whitelist", "file,pipe", 0);
    AVFormatContext* raw = nullptr;
    const int rc = avformat_open_input(&raw, url.c_str(), nullptr, &opts);
    av_dict_free(&opts);
    if (rc < 0) fail("cannot open it as a video (" + detail::av_message(rc) + ")");
    fmt_.reset(raw);
    if (const int r = avformat_find_stream_info(fmt_.get(), nullptr); r < 0)
      fail("cannot read its streams (" + detail::av_message(r) + ")");
    pick_stream();
    AVStream* st = fmt_->streams[info_.index];
    const AVCodecParameters* par = st->codecpar;
    const AVCodec* dec = avcodec_find_decoder(par->codec_id);
    if (!dec) fail(std::string("no decoder for its video codec (") + avcodec_get_name(par->codec_id) + ")");
    codec_.reset(avcodec_alloc_context3(dec));
    if (!codec_) throw std::bad_alloc();
    if (avcodec_parameters_to_context(codec_.get(), par) < 0) fail("bad codec parameters");
    codec_->pkt_timebase = st->time_base;
    codec_->thread_count = p_.threads;
    codec_->thread_type = FF_THREAD_FRAME | FF_THREAD_SLICE;
    if (const int r = avcodec_open2(codec_.get(), dec, nullptr); r < 0)
      fail(std::string("cannot open its ") + dec->name + " decoder (" + detail::av_message(r) + ")");
    info_.codec = dec->name;
    tb_ = st->time_base;
    // ffmpeg subtracts the container's start time from every timestamp (its ts_offset)
    start_ = fmt_->start_time != AV_NOPTS_VALUE ? av_rescale_q(fmt_->start_time, AV_TIME_BASE_Q, tb_) : 0;
    const AVRational avg =
        st->avg_frame_rate.num > 0 && st->avg_frame_rate.den > 0 ? st->avg_frame_rate : st->r_frame_rate;
    if (avg.num > 0 && avg.den > 0) info_.average_rate = {avg.num, avg.den};
    if (st->duration != AV_NOPTS_VALUE && st->duration > 0)
      info_.duration = static_cast<double>(st->duration) * av_q2d(tb_);
    else if (fmt_->duration != AV_NOPTS_VALUE && fmt_->duration > 0)
      info_.duration = static_cast<double>(fmt_->duration) / AV_TIME_BASE;
    rotation(st);
    const bool swap = info_.rotation == 90 || info_.rotation == 270;
    if (p_.width) {
      out_w_ = p_.width;
      out_h_ = p_.height;
    } else {
      out_w_ = swap ? info_.height : info_.width;
      out_h_ = swap ? info_.width : info_.height;
    }
    pkt_.reset(av_packet_alloc());
    frame_.reset(av_frame_alloc());
    if (!pkt_ || !frame_) throw std::bad_alloc();
  }

  void pick_stream() {
    int pick = -1, position = 0, pick_position = 0;
    double best = -1.0;
    bool best_real = false;
    for (unsigned k = 0; k < fmt_->nb_streams; ++k) {
      const AVStream* st = fmt_->streams[k];
      if (st->codecpar->codec_type != AVMEDIA_TYPE_VIDEO) continue;
      const bool real = !(st->disposition & AV_DISPOSITION_ATTACHED_PIC);
      const double area = static_cast<double>(st->codecpar->width) * st->codecpar->height;
      if ((real && !best_real) || (real == best_real && area > best)) {
        pick = static_cast<int>(k);
        pick_position = position;
        best = area;
        best_real = real;
      }
      ++position;
    }
    if (pick < 0) fail("not a video (no video stream found)");
    const AVCodecParameters* par = fmt_->streams[pick]->codecpar;
    if (par->width <= 0 || par->height <= 0) fail("not a video (no picture size)");
    check_size(static_cast<std::size_t>(par->width), static_cast<std::size_t>(par->height));
    info_.index = pick;
    info_.position = pick_position;
    info_.width = static_cast<std::size_t>(par->width);
    info_.height = static_cast<std::size_t>(par->height);
  }

  void check_size(std::size_t w, std::size_t h) const {
    if (w > max_side || h > max_side || w * h > max_pixels)
      fail("picture size " + std::to_string(w) + "x" + std::to_string(h) +
           " is larger than predsense reads (sides up to " + std::to_string(max_side) + ", at most " +
           std::to_string(max_pixels) + " pixels)");
  }

  // ffmpeg's autorotate (fftools: get_rotation + the transpose/flip filters it inserts)
  void rotation(const AVStream* st) {
    if (!p_.autorotate) return;
#if LIBAVFORMAT_VERSION_INT >= AV_VERSION_INT(60, 15, 100)  // side data moved to the codec parameters
    const AVPacketSideData* sd = av_packet_side_data_get(st->codecpar->coded_side_data,
                                                         st->codecpar->nb_coded_side_data, AV_PKT_DATA_DISPLAYMATRIX);
    const auto* m = sd ? reinterpret_cast<const std::int32_t*>(sd->data) : nullptr;
#else
    const auto* m =
        reinterpret_cast<const std::int32_t*>(av_stream_get_side_data(st, AV_PKT_DATA_DISPLAYMATRIX, nullptr));
#endif
    if (!m) return;
    double theta = -av_display_rotation_get(m);
    if (std::isnan(theta)) return;
    theta -= 360 * std::floor(theta / 360 + 0.9 / 360);
    if (std::fabs(theta - 90) < 1.0)
      info_.rotation = 90;
    else if (std::fabs(theta - 180) < 1.0)
      info_.rotation = 180;
    else if (std::fabs(theta - 270) < 1.0)
      info_.rotation = 270;
    vflip_first_ = info_.rotation == 90 && m[3] > 0;
    hflip_first_ = info_.rotation == 270 && m[3] < 0;
  }

  // Next decoded frame of the stream into frame_; false when the decoder is drained.
  bool decode_next() {
    for (;;) {
      {
        const int r = avcodec_receive_frame(codec_.get(), frame_.get());
        if (r == 0) {
          if (frame_->decode_error_flags || (frame_->flags & AV_FRAME_FLAG_CORRUPT)) ++errors_;
          if (frame_->width <= 0 || frame_->height <= 0) {
            ++errors_;
            continue;
          }
          check_size(static_cast<std::size_t>(frame_->width), static_cast<std::size_t>(frame_->height));
          ++decoded_;
#if LIBAVUTIL_VERSION_INT >= AV_VERSION_INT(57, 30, 100)
          last_duration_ = frame_->duration;
#else
          last_duration_ = frame_->pkt_duration;
#endif
          return true;
        }
        if (r == AVERROR_EOF) return false;
        if (r != AVERROR(EAGAIN)) {
          ++errors_;
          if (draining_) return false;
        }
        if (draining_ && r == AVERROR(EAGAIN)) return false;
      }
      // the decoder wants input
      for (;;) {
        const int r = av_read_frame(fmt_.get(), pkt_.get());
        if (r == AVERROR(EAGAIN)) continue;
        if (r < 0) {
          if (r != AVERROR_EOF && !(fmt_->pb && avio_feof(fmt_->pb))) ++errors_;  // a read error ends it too
          draining_ = true;
          avcodec_send_packet(codec_.get(), nullptr);
          break;
        }
        if (pkt_->stream_index != info_.index) {
          av_packet_unref(pkt_.get());
          continue;
        }
        if (pkt_->duration > 0) last_pkt_duration_ = pkt_->duration;
        const int s = avcodec_send_packet(codec_.get(), pkt_.get());
        av_packet_unref(pkt_.get());
        if (s < 0 && s != AVERROR(EAGAIN)) {
          ++errors_;  // corrupt packet: skipped, the next one tried
          continue;
        }
        break;
      }
    }
  }

  // The frame's presentation time in the stream's time base, start time subtracted. A frame without
  // one follows the previous frame by its duration.
  std::int64_t frame_pts() {
    std::int64_t pts = frame_->best_effort_timestamp;
    if (pts == AV_NOPTS_VALUE) {
      pts = have_last_pts_ ? last_pts_ + std::max<std::int64_t>(1, frame_step()) : 0;
    } else {
      pts -= start_;
    }
    last_pts_ = pts;
    have_last_pts_ = true;
    return pts;
  }

  // one frame's duration in the stream's time base: the frame's, its packet's, else 1 / frame rate
  std::int64_t frame_step() const {
    if (last_duration_ > 0) return last_duration_;
    if (last_pkt_duration_ > 0) return last_pkt_duration_;
    const AVRational fr = codec_->framerate.num > 0 ? codec_->framerate : fmt_->streams[info_.index]->r_frame_rate;
    if (fr.num > 0 && fr.den > 0) return av_rescale_q(1, av_inv_q(fr), tb_);
    return 1;
  }

  std::int64_t to_tick(std::int64_t pts) const {
    const AVRational out_tb{static_cast<int>(p_.fps->den), static_cast<int>(p_.fps->num)};
    return av_rescale_q_rnd(pts, tb_, out_tb, static_cast<AVRounding>(AV_ROUND_NEAR_INF | AV_ROUND_PASS_MINMAX));
  }

  // The end of the stream as ffmpeg gives it to the fps filter: the last frame's time plus its
  // duration, through microseconds (its internal clock) and back, rounded to the nearest tick.
  std::int64_t eof_tick() const {
    const std::int64_t us =
        av_rescale_q(last_pts_, tb_, AV_TIME_BASE_Q) + av_rescale_q(frame_step(), tb_, AV_TIME_BASE_Q);
    const std::int64_t pts =
        av_rescale_q_rnd(us, AV_TIME_BASE_Q, tb_, static_cast<AVRounding>(AV_ROUND_NEAR_INF | AV_ROUND_PASS_MINMAX));
    return to_tick(pts);
  }

  double seconds(std::int64_t pts) const { return static_cast<double>(pts) * av_q2d(tb_); }

  double seconds_of_tick(std::int64_t tick) const {
    return static_cast<double>(tick) * static_cast<double>(p_.fps->den) / static_cast<double>(p_.fps->num);
  }

  void stamp(video_frame& out, double time) {
    out.width = out_w_;
    out.height = out_h_;
    out.time = time;
    out.index = given_++;
  }

  // Decoded frame -> rgb24 at the output size, rotated.
  static double thread_seconds() noexcept {
    timespec ts{};
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return static_cast<double>(ts.tv_sec) + 1e-9 * static_cast<double>(ts.tv_nsec);
  }

  void convert(const AVFrame* f, std::vector<std::uint8_t>& rgb) {
    const double t0 = thread_seconds();
    convert_frame(f, rgb);
    convert_s_ += thread_seconds() - t0;
  }

  void convert_frame(const AVFrame* f, std::vector<std::uint8_t>& rgb) {
    const bool swap = info_.rotation == 90 || info_.rotation == 270;
    const int sw = static_cast<int>(swap ? out_h_ : out_w_), sh = static_cast<int>(swap ? out_w_ : out_h_);
    sws_.reset(sws_getCachedContext(sws_.release(), f->width, f->height, static_cast<AVPixelFormat>(f->format), sw, sh,
                                    AV_PIX_FMT_RGB24, SWS_AREA, nullptr, nullptr, nullptr));
    if (!sws_)
      fail(std::string("cannot convert its pixel format (") +
           (av_get_pix_fmt_name(static_cast<AVPixelFormat>(f->format))
                ? av_get_pix_fmt_name(static_cast<AVPixelFormat>(f->format))
                : "unknown") +
           ")");
    // the frame's own matrix and range, as ffmpeg's scale filter uses them (in_color_matrix=auto)
    int* inv = nullptr;
    int* tab = nullptr;
    int src_range = 0, dst_range = 0, brightness = 0, contrast = 0, saturation = 0;
    if (sws_getColorspaceDetails(sws_.get(), &inv, &src_range, &tab, &dst_range, &brightness, &contrast, &saturation) >=
        0) {
      const int* coeffs = sws_getCoefficients(f->colorspace);
      const int range = f->color_range == AVCOL_RANGE_JPEG ? 1 : (f->color_range == AVCOL_RANGE_MPEG ? 0 : src_range);
      sws_setColorspaceDetails(sws_.get(), coeffs, range, tab, dst_range, brightness, contrast, saturation);
    }
    const std::size_t bytes = static_cast<std::size_t>(sw) * static_cast<std::size_t>(sh) * 3;
    std::vector<std::uint8_t>& target = info_.rotation ? scratch_ : rgb;
    target.resize(bytes);
    std::uint8_t* dst[4] = {target.data(), nullptr, nullptr, nullptr};
    int stride[4] = {sw * 3, 0, 0, 0};
    sws_scale(sws_.get(), f->data, f->linesize, 0, f->height, dst, stride);
    if (info_.rotation) rotate(scratch_, static_cast<std::size_t>(sw), static_cast<std::size_t>(sh), rgb);
  }

  // src (w x h rgb) turned clockwise by info_.rotation into dst (with the flips autorotate adds)
  void rotate(const std::vector<std::uint8_t>& src, std::size_t w, std::size_t h,
              std::vector<std::uint8_t>& dst) const {
    const std::size_t ow = info_.rotation == 180 ? w : h, oh = info_.rotation == 180 ? h : w;
    dst.resize(ow * oh * 3);
    for (std::size_t y = 0; y < h; ++y) {
      const std::size_t sy = vflip_first_ ? h - 1 - y : y;
      for (std::size_t x = 0; x < w; ++x) {
        const std::size_t sx = hflip_first_ ? w - 1 - x : x;
        std::size_t ox = 0, oy = 0;
        if (info_.rotation == 90) {  // transpose=clock
          ox = h - 1 - y;
          oy = x;
        } else if (info_.rotation == 270) {  // transpose=cclock
          ox = y;
          oy = w - 1 - x;
        } else {  // hflip + vflip
          ox = w - 1 - x;
          oy = h - 1 - y;
        }
        std::memcpy(&dst[(oy * ow + ox) * 3], &src[(sy * w + sx) * 3], 3);
      }
    }
  }

  std::string name_;
  frame_source_params p_;
  video_stream_info info_;
  fmt_ptr fmt_;
  codec_ptr codec_;
  packet_ptr pkt_;
  frame_ptr frame_;
  sws_ptr sws_;
  AVRational tb_{1, 1};
  std::int64_t start_ = 0;
  std::size_t out_w_ = 0, out_h_ = 0;
  bool vflip_first_ = false, hflip_first_ = false;
  bool draining_ = false, finished_ = false;
  std::size_t errors_ = 0, decoded_ = 0, given_ = 0;
  double convert_s_ = 0.0;
  std::int64_t last_pts_ = 0, last_duration_ = 0, last_pkt_duration_ = 0;
  bool have_last_pts_ = false;
  // resampling (fps): the frame held until the next shows how long it lasts, its pixels when it goes out
  detail::fps_resampler resampler_;
  frame_ptr held_;
  std::vector<std::uint8_t> held_rgb_, scratch_;
  std::int64_t out_tick_ = 0;
  std::size_t repeat_ = 0;
};

}  // namespace predsense
