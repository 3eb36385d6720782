// predsense/segmentation/video/transition_detector.hpp - shot transitions of every kind (cut, dissolve,
// fade, dip) as events with [start, end], and no event for what only disturbs a shot (a flash, fast
// camera motion, an object close to the lens) -- streaming, one frame at a time.
//
// Input per frame t (t = 0, 1, ... consecutive):
//   thumb     a small image of the frame: height x width x channels floats in [0, 1], row-major,
//             channels interleaved (kernels/area_downsample.hpp makes one from rgb24); channel
//             0..2 are taken as R, G, B for the luma of the "solid frame" test (one channel: grey);
//   surprise  the frame's surprise under any predictor (e.g. 1 - mean token cosine of prediction
//             and frame; pass 0 if there is none). The first frame's value is ignored.
// Output: transitions, each reported once, `decided_at - end` frames after it ends (about
// scale + gap + 1 frames for a cut).
//
// Method: "propose by surprise, verify by the frames on either side".
//  1. Proposal (twin comparison, Zhang, Kankanhalli & Smoliar 1993, "Automatic partitioning of
//     full-motion video", Multimedia Systems 1(1), sec. 2.2: a cut shows as one large frame
//     difference, a gradual transition as a run of moderate ones whose accumulated difference is
//     large). Two signals: the caller's one-step surprise s_t, and the long-scale difference
//     q_t = mean |x_t - x_{t-scale}| over the thumbnail (a gradual change of L frames gives
//     `scale` / L of its total per frame here, instead of 1 / L). A frame is *elevated* when s_t or
//     q_t exceeds the median of that signal over the last `window` quiet frames plus
//     max(gamma * 1.4826 * MAD, floor) (robust statistics as in cut_segmenter.hpp; for the
//     surprise surprise_gamma and surprise_floor, with its sigma at least the upper-tail spread
//     (Q90 - median) / 1.2816 of the last surprise_long_window surprises, busy frames included, as
//     in cut_segmenter.hpp). The surprise's rule is relative to the stream
//     itself: surprise_floor defaults to 0 (an absolute value in the surprise's units is an
//     option), and the surprise elevates no frame before its baseline holds 3 values, so any
//     encoder's surprise, or a * s + b (a > 0) of it, proposes the same frames; q and every
//     verification threshold are in thumbnail units ([0, 1] pixel values), which do not depend on
//     the encoder. A *span* is
//     a run of elevated frames in which at most `gap` consecutive frames are not elevated; it is
//     closed when the run ends or reaches `max_span` frames. Elevated frames do not enter the
//     baselines (so a stretch of shake does not raise the bar for the cut after it) unless the
//     span hit max_span (a lasting change of level becomes the new baseline).
//  2. Verification, on the frame before the span (A) and the frame after it (B):
//     * "solid" frames (luma standard deviation <= solid_std: black, white, one colour) inside
//       [A, B] mean a fade: A not solid and B solid -> fade-out [start, first frame of the hold];
//       A solid and B not -> fade-in [last frame of the hold, end], the hold's edge found by the
//       mixing coefficient of the ramp (the darkest frames of a slow fade are under solid_std but
//       still changing; a span also stays open while a fade-in's contrast keeps rising by > 2% a
//       frame, and A moves back over a fade-out's ramp); solid frames between two non-solid
//       ends: a run of >= min_hold solid frames -> a fade-out and a fade-in, a shorter one -> one
//       dip [start, end] (if A and B differ by >= min_change, else nothing: a black flash).
//     * otherwise D = mean |A - B|; the shot did not change -- a flash, an occluder that left, shake
//       that came back -- when D < min_change or D < return_ratio * max_t mean |x_t - A|: no event.
//     * the mixing coefficient alpha_t = <x_t - A, B - A> / |B - A|^2 (0 at A, 1 at B). One step
//       raising alpha by >= cut_jump is a cut at that frame (also a cut at the end of a stretch of
//       motion). A cut with one blended frame between the shots (a mix, or interlaced material cut
//       between fields) is one cut, at the first frame where the new shot dominates. Otherwise, if the frames are close
//       to the cross-fade A + alpha (B - A) -- mean |x_t - (A + clamp(alpha_t) (B - A))| <= max_residual * D -- a
//       dissolve over the frames with alpha in (0.05, 0.95), its frame the first with alpha >= 0.5; if not (camera
//       motion: shifted, blurred views are not a cross-fade of the ends), no event.
//  Frames before warmup + scale (baselines not yet formed) open a span only when q_t exceeds
//  floor + min_change (pixel units: the first frames differ from those `scale` earlier as a change of
//  shot does) and the change shows as a step (the largest recent frame-to-frame difference at least
//  cut_contrast times the median one: a camera moving from frame 0 is not a change); the first span may look back to
//  frame 0 for its A, so a cut in the first frames of a video is found.
// Conventions: a cut's frame = start = end = the first frame of the new shot; a gradual
// transition's [start, end] are frame indices (inclusive) and frame is where the new shot (or the
// solid colour, for a fade-out) dominates.
// Errors: shape_error when a thumbnail's size is not height * width * channels;
// non_finite_error for a NaN/infinite surprise or thumbnail value; invalid_argument_error for
// invalid parameters.
#pragma once

#include <concepts>
#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <cstddef>
#include <deque>
#include <cstdio>
#include <span>
#include <string>
#include <vector>

#include "predsense/core/error.hpp"
#include "predsense/registry/registry.hpp"
#include "predsense/kernels/median_mad.hpp"

// Define PREDSENSE_TRANSITION_TRACE_ON before including to print every span's analysis to stderr.
#ifdef PREDSENSE_TRANSITION_TRACE_ON
#define PREDSENSE_TRANSITION_TRACE(...) std::fprintf(stderr, __VA_ARGS__)
#else
#define PREDSENSE_TRANSITION_TRACE(...) ((void)0)
#endif

namespace predsense {

enum class transition_kind { cut, dissolve, fade, dip };

inline const char* to_string(transition_kind k) noexcept {
  switch (k) {
    case transition_kind::cut:
      return "cut";
    case transition_kind::dissolve:
      return "dissolve";
    case transition_kind::fade:
      return "fade";
    case transition_kind::dip:
      return "dip";
  }
  return "?";
}

struct transition {
  std::size_t frame = 0;  // where the new shot dominates (a cut: the first frame of the new shot)
  std::size_t start = 0;  // first frame of the change (inclusive)
  std::size_t end = 0;    // last frame of the change (inclusive); a cut: start == end == frame
  transition_kind kind = transition_kind::cut;
  double score = 0.0;          // mean |A - B| of the thumbnails before and after, in [0, 1]
  std::size_t decided_at = 0;  // the frame whose push reported it

  friend bool operator==(const transition&, const transition&) = default;
};

struct transition_detector_params {
  std::size_t width = 32, height = 32, channels = 3;  // thumbnail layout
  std::size_t scale = 6;                              // long-scale difference: x_t against x_{t-scale}
  std::size_t window = 50;                            // baseline: quiet frames considered
  std::size_t warmup = 5;                  // quiet frames of each signal before a span may open (frame warmup + scale)
  double gamma = 4.0;                      // elevated: > median + max(gamma * 1.4826 * MAD, floor)
  double floor = 0.015;                    // ... for q (thumbnail units, [0, 1])
  double surprise_gamma = 6.0;             // ... for the surprise
  double surprise_floor = 0.0;             // ... for the surprise (its own units; 0: relative rule only)
  std::size_t surprise_long_window = 500;  // surprise sigma >= upper-tail spread of this many frames (0: off)
  std::size_t gap = 2;                     // non-elevated frames allowed inside a span
  std::size_t max_span = 90;               // a span is closed at this length
  double min_change = 0.05;                // D = mean |A - B| below this: the shot did not change
  double return_ratio = 0.3;               // D below this fraction of the largest excursion: it came back
  double max_residual = 0.4;               // cross-fade residual / D at most this: a dissolve
  double solid_std = 0.025;                // luma std at most this: a solid frame
  std::size_t min_hold = 6;                // solid frames between two shots: >= this -> two fades, else a dip
  std::size_t max_shift = 4;               // camera-motion test: shifts up to this many thumbnail pixels
  double min_motion_gain = 0.7;
  double min_dissolve_change = 0.1;
  double dissolve_motion = 0.75;    // a dissolve: at most 25% of its change explained by camera motion
  double dissolve_contrast = 0.83;  // a dissolve: some frame keeps at most this of the ends' contrast
  std::size_t max_dissolve = 75;    // a dissolve lasts at most this many frames  // a dissolve changes the thumbnail by
                                    // at least this (mean |A - B|)
  double dip_level = 0.4;           // a frame this dark (luma and contrast vs both ends) makes a dip
  double cut_contrast = 2.0;  // a cut's step at least this times every other step in its interval   // a dissolve's
                              // change must not be explained by a shift (ratio >= this)

  // Every parameter checked against the registry's ranges (predsense/registry/registry.hpp, the one
  // validator: NaN refused, each parameter named), then the thumbnail's size. invalid_argument_error.
  void validate() const {
    (void)registry::resolve(registry::find("transition_detector", "transition"), values());
    const auto bad = [](const std::string& what) {
      throw invalid_argument_error("predsense: transition_detector: " + what);
    };
    // the thumbnail's value count must not wrap (2^32 x 2^32 x 1 would be 0 values) and is kept per
    // frame of a span: at most 2^24 values (a 4096 x 4096 thumbnail; predsense-video uses 32 x 32 x 3)
    if (width > (std::size_t(1) << 24) || height > (std::size_t(1) << 24) || channels > (std::size_t(1) << 24) ||
        width * height > (std::size_t(1) << 24) || width * height * channels > (std::size_t(1) << 24))
      bad("thumbnail width x height x channels must be at most 2^24 values, got " + std::to_string(width) + " x " +
          std::to_string(height) + " x " + std::to_string(channels));
  }

  // The 26 parameters by their registry names.
  registry::param_values values() const {
    auto i = [](std::size_t x) {
      return registry::param_value{static_cast<std::int64_t>(std::min<std::size_t>(x, std::size_t(1) << 62))};
    };
    return {{"width", i(width)},
            {"height", i(height)},
            {"channels", i(channels)},
            {"scale", i(scale)},
            {"window", i(window)},
            {"warmup", i(warmup)},
            {"gamma", gamma},
            {"floor", floor},
            {"surprise_gamma", surprise_gamma},
            {"surprise_floor", surprise_floor},
            {"surprise_long_window", i(surprise_long_window)},
            {"gap", i(gap)},
            {"max_span", i(max_span)},
            {"min_change", min_change},
            {"return_ratio", return_ratio},
            {"max_residual", max_residual},
            {"solid_std", solid_std},
            {"min_hold", i(min_hold)},
            {"max_shift", i(max_shift)},
            {"min_motion_gain", min_motion_gain},
            {"min_dissolve_change", min_dissolve_change},
            {"dissolve_motion", dissolve_motion},
            {"dissolve_contrast", dissolve_contrast},
            {"max_dissolve", i(max_dissolve)},
            {"dip_level", dip_level},
            {"cut_contrast", cut_contrast}};
  }
};

namespace detail {

inline double mean_abs_diff(const std::vector<float>& a, const std::vector<float>& b) {
  double s = 0.0;
  for (std::size_t i = 0; i < a.size(); ++i) s += std::fabs(static_cast<double>(a[i]) - b[i]);
  return s / static_cast<double>(a.size());
}

}  // namespace detail

class transition_detector {
 public:
  transition_detector() : transition_detector(transition_detector_params{}) {}
  template <std::same_as<transition_detector_params> Params = transition_detector_params>
  explicit transition_detector(const Params& p) : p_((p.validate(), p)) {}

  // Push frame t (= the number of frames pushed before). Returns the transitions decided now.
  std::vector<transition> push(std::span<const float> thumb, double surprise) {
    const std::size_t m = p_.width * p_.height * p_.channels;
    if (thumb.size() != m)
      throw shape_error("predsense: transition_detector: thumbnail of frame " + std::to_string(t_) + " has " +
                        std::to_string(thumb.size()) + " values, expected height x width x channels = " +
                        std::to_string(p_.height) + "x" + std::to_string(p_.width) + "x" + std::to_string(p_.channels));
    if (!std::isfinite(surprise))
      throw non_finite_error("predsense: transition_detector: surprise of frame " + std::to_string(t_) +
                             " is not finite");
    rec r;
    r.x.assign(thumb.begin(), thumb.end());
    for (float v : r.x)
      if (!std::isfinite(v))
        throw non_finite_error("predsense: transition_detector: thumbnail of frame " + std::to_string(t_) +
                               " contains NaN or infinity");
    r.contrast = luma_std(r.x, r.luma);
    r.solid = r.contrast <= p_.solid_std;
    const std::size_t t = t_++;
    r.s = t == 0 ? 0.0 : surprise;
    if (t >= 1 && p_.surprise_long_window > 0) {
      long_s_.push_back(surprise);
      if (long_s_.size() > p_.surprise_long_window) long_s_.pop_front();
    }
    hist_.push_back(std::move(r));
    rec& cur = hist_.back();
    cur.q = t >= p_.scale ? detail::mean_abs_diff(cur.x, at(t - p_.scale).x) : 0.0;
    const bool solid_change = t >= 1 && cur.solid != at(t - 1).solid;  // entering or leaving a solid frame
    const bool early = t >= p_.scale && t < p_.warmup + p_.scale;      // baselines not formed yet
    // a fade-in's ramp: from a solid frame on, while the contrast keeps rising by > 2% a frame (q
    // of a slow, dark ramp can stay under the baseline of a moving shot; its first frames are
    // still "solid"), so the span lasts until the picture has come up and B is the new shot
    const bool rising =
        t >= 1 && cur.contrast > 1.02 * at(t - 1).contrast + 1e-4 && detail::mean_abs_diff(cur.x, at(t - 1).x) >= 1e-3;
    ramp_up_ = rising && (ramp_up_ || at(t - 1).solid);
    const bool elevated =
        (early && cur.q > p_.floor + p_.min_change && early_step(t)) ||  // a change of shot in the first frames
        (t >= p_.warmup + p_.scale && (solid_change || ramp_up_ || (base_s_.size() >= 3 && surprise_above(cur.s)) ||
                                       (t >= p_.scale && above(cur.q, base_q_, p_.gamma, p_.floor))));
    std::vector<transition> out;
    PREDSENSE_TRANSITION_TRACE("t=%zu s=%.4f q=%.4f c=%.3f solid=%d elev=%d open=%d\n", t, cur.s, cur.q, cur.contrast,
                               (int)cur.solid, (int)elevated, (int)open_);
    if (open_) {
      if (elevated) last_elev_ = t;
      if (t - last_elev_ > p_.gap) {  // the run ended: B = this frame, gap + 1 after the last elevated one
        analyse(span_start_, last_elev_, t, out);
        open_ = false;
        for (std::size_t u = last_elev_ + 1; u <= t; ++u) add_baseline(at(u), u);
      } else if (t - span_start_ + 1 >= p_.max_span) {  // too long: close with B = this frame
        analyse(span_start_, t - 1, t, out);
        open_ = false;
        for (std::size_t u = span_start_; u <= t; ++u) add_baseline(at(u), u);
      }
    } else if (elevated) {
      open_ = true;
      span_start_ = last_elev_ = t;
    } else {
      add_baseline(cur, t);
    }
    trim();
    std::sort(out.begin(), out.end(), [](const transition& x, const transition& y) { return x.frame < y.frame; });
    return out;
  }

  // Close an open span at the end of the stream (B = the last frame, if it is after the span).
  std::vector<transition> flush() {
    std::vector<transition> out;
    if (open_ && span_start_ + 1 < t_) analyse(span_start_, std::min(last_elev_, t_ - 2), t_ - 1, out);
    open_ = false;
    std::sort(out.begin(), out.end(), [](const transition& x, const transition& y) { return x.frame < y.frame; });
    return out;
  }

  // Whole video offline: `thumbs` holds frames x (height x width x channels) values (frame-major),
  // `surprise` one value per frame. Same result as pushing every frame and flushing; the detector
  // is reset before and after. Errors: shape_error when the sizes disagree; as push().
  std::vector<transition> segment(std::span<const float> thumbs, std::span<const double> surprise) {
    const std::size_t m = p_.width * p_.height * p_.channels;
    if (thumbs.size() != surprise.size() * m)
      throw shape_error("predsense: transition_detector: " + std::to_string(thumbs.size()) + " thumbnail values for " +
                        std::to_string(surprise.size()) + " frames, expected frames x " + std::to_string(m));
    reset();
    std::vector<transition> out;
    for (std::size_t t = 0; t < surprise.size(); ++t)
      for (auto& tr : push(thumbs.subspan(t * m, m), surprise[t])) out.push_back(tr);
    for (auto& tr : flush()) out.push_back(tr);
    reset();
    return out;
  }
  // Forget the stream (parameters kept).
  void reset() { *this = transition_detector(p_); }

  std::size_t frames() const noexcept { return t_; }
  const transition_detector_params& params() const noexcept { return p_; }

 private:
  struct rec {
    std::vector<float> x;
    double s = 0.0, q = 0.0, contrast = 0.0, luma = 0.0;
    bool solid = false;
  };

  const rec& at(std::size_t t) const { return hist_[t - (t_ - hist_.size())]; }

  double luma_std(const std::vector<float>& x, double& mean_out) const {
    const std::size_t c = p_.channels, n = p_.width * p_.height;
    double s = 0.0, s2 = 0.0;
    for (std::size_t i = 0; i < n; ++i) {
      const float* px = x.data() + i * c;
      const double y = c >= 3 ? 0.299 * px[0] + 0.587 * px[1] + 0.114 * px[2] : px[0];
      s += y;
      s2 += y * y;
    }
    const double mean = s / static_cast<double>(n);
    mean_out = mean;
    return std::sqrt(std::max(0.0, s2 / static_cast<double>(n) - mean * mean));
  }

  // The surprise's rule: above its quiet median by surprise_gamma sigmas, sigma the larger of the
  // quiet baseline's MAD and the upper-tail spread of the last surprise_long_window frames (all of
  // them, busy ones too: the MAD of a static shot is tiny, and ordinary motion would open spans).
  bool surprise_above(double v) {
    const auto cs = kernels::robust_scale(base_s_, scratch_);
    double sigma = cs.spread;
    if (p_.surprise_long_window > 0) sigma = std::max(sigma, kernels::upper_tail_scale(long_s_, scratch_).spread);
    return v > cs.median + std::max(p_.surprise_gamma * sigma, p_.surprise_floor);
  }

  bool above(double v, const std::deque<double>& base, double gamma, double floor) {
    if (base.size() < 3) return v > floor;
    const auto cs = kernels::robust_scale(base, scratch_);
    return v > cs.median + std::max(gamma * cs.spread, floor);
  }

  void add_baseline(const rec& r, std::size_t t) {
    if (t >= 1) base_s_.push_back(r.s);
    if (t >= p_.scale) base_q_.push_back(r.q);
    if (base_s_.size() > p_.window) base_s_.pop_front();
    if (base_q_.size() > p_.window) base_q_.pop_front();
  }

  // frames of history kept: `scale` for q and the frame before a span, a fade-out's ramp before
  // its span (max_dissolve), and the open span
  std::size_t kept_frames() const {
    std::size_t keep = 2 * p_.scale + 2 + p_.max_dissolve;
    if (open_) keep = std::max(keep, t_ - span_start_ + p_.scale + 2);
    return keep;
  }

  void trim() {
    // keep: the open span and the frame before it, and `scale` frames for q
    while (hist_.size() > kept_frames()) hist_.pop_front();
  }

  double contrast(std::size_t u) const { return at(u).contrast; }

  // Before the baselines form, q alone cannot tell a change of shot from a camera that moves from
  // the first frame on (q is large for both): the change must also show as a step -- the largest
  // frame-to-frame difference of the last `scale` frames at least cut_contrast times the median
  // step since frame 1 (a cut, or a cut with one blended frame, halves at most).
  bool early_step(std::size_t t) {
    scratch_.clear();
    double recent = 0.0;
    for (std::size_t u = std::max<std::size_t>(1, t_ - hist_.size() + 1); u <= t; ++u) {
      const double d = detail::mean_abs_diff(at(u - 1).x, at(u).x);
      scratch_.push_back(d);
      if (u + p_.scale > t) recent = std::max(recent, d);
    }
    std::nth_element(scratch_.begin(), scratch_.begin() + static_cast<std::ptrdiff_t>(scratch_.size() / 2),
                     scratch_.end());
    return recent >= p_.cut_contrast * scratch_[scratch_.size() / 2];
  }

  // Where a fade's ramp meets the solid hold, by the mixing coefficient alpha_u of frame u between
  // frame p (alpha 0) and frame q (alpha 1), which averages the sensor noise of a hold away: the
  // frames of [lo, hi] are scanned from `from` (lo or hi) towards the other end and the first with
  // alpha on the hold's side of `level` is returned (`from`'s other end if none is). A fade-out
  // (p before the ramp, q in the hold) ends at the first frame with alpha >= 0.98; a fade-in
  // (p in the hold, q after the ramp) begins at the last frame with alpha <= 0.02 -- not at the
  // first / last frame under solid_std: the dark frames of a ramp still change.
  std::size_t hold_edge(std::size_t p, std::size_t q, std::size_t lo, std::size_t hi, bool fade_out) const {
    const auto& P = at(p).x;
    const auto& Q = at(q).x;
    double nn = 0.0;
    for (std::size_t i = 0; i < P.size(); ++i)
      nn += (static_cast<double>(Q[i]) - P[i]) * (static_cast<double>(Q[i]) - P[i]);
    const auto alpha = [&](std::size_t u) {
      const auto& x = at(u).x;
      double dot = 0.0;
      for (std::size_t i = 0; i < P.size(); ++i)
        dot += (static_cast<double>(x[i]) - P[i]) * (static_cast<double>(Q[i]) - P[i]);
      return nn > 0.0 ? dot / nn : (fade_out ? 1.0 : 0.0);
    };
    if (fade_out) {
      for (std::size_t u = lo; u <= hi; ++u)
        if (alpha(u) >= 0.98) return u;
      return hi;
    }
    for (std::size_t u = hi + 1; u-- > lo;)
      if (alpha(u) <= 0.02) return u;
    return lo;
  }

  // Mean over the frames strictly between x0 and x1 of |x_u - (P + clamp(alpha_u) (Q - P))|, alpha_u
  // the least-squares mixing coefficient (P = frame x0, Q = frame x1); 0 if there are none.
  double mix_residual(std::size_t x0, std::size_t x1) const {
    const rec& P = at(x0);
    const rec& Q = at(x1);
    const std::size_t m = P.x.size();
    double nn = 0.0;
    for (std::size_t i = 0; i < m; ++i)
      nn += (static_cast<double>(Q.x[i]) - P.x[i]) * (static_cast<double>(Q.x[i]) - P.x[i]);
    if (!(nn > 0.0) || x1 < x0 + 2) return 0.0;
    double total = 0.0;
    for (std::size_t u = x0 + 1; u < x1; ++u) {
      const auto& x = at(u).x;
      double dot = 0.0;
      for (std::size_t i = 0; i < m; ++i)
        dot += (static_cast<double>(x[i]) - P.x[i]) * (static_cast<double>(Q.x[i]) - P.x[i]);
      const double al = std::clamp(dot / nn, 0.0, 1.0);
      double r = 0.0;
      for (std::size_t i = 0; i < m; ++i) r += std::fabs(x[i] - (P.x[i] + al * (Q.x[i] - P.x[i])));
      total += r / static_cast<double>(m);
    }
    return total / static_cast<double>(x1 - x0 - 1);
  }

  void emit(std::vector<transition>& out, const transition& tr) {
    out.push_back(tr);
    if (tr.kind != transition_kind::cut) {
      has_emitted_ = true;
      last_end_ = std::max(last_end_, tr.end);
    }
  }

  // Span [s, e] of elevated frames, closed at frame b (> e): A = up to `scale` frames before s, B = frame b.
  void analyse(std::size_t s, [[maybe_unused]] std::size_t e, std::size_t b, std::vector<transition>& out) {
    // A: `scale` frames before the span (q rises up to `scale` frames after a change began), but
    // not before the previous span's B, the warm-up frames or the history.
    const std::size_t oldest = t_ - hist_.size();
    std::size_t a = s - 1;
    for (std::size_t k = 0; k < p_.scale && a > oldest && a > prev_b_; ++k) --a;
    s = a + 1;
    const std::size_t prev_b = prev_b_;
    prev_b_ = b;
    PREDSENSE_TRANSITION_TRACE("analyse %zu..%zu (e=%zu)\n", a, b, e);
    const std::size_t now = t_ - 1;
    std::size_t f0 = b + 1, f1 = 0;  // first and last solid frame in [a, b]
    for (std::size_t u = a; u <= b; ++u)
      if (at(u).solid) {
        f0 = std::min(f0, u);
        f1 = u;
      }
    if (f0 > b) {
      plain(a, b, out, 0);
      return;
    }
    // a fade-out's ramp may have begun before A (a slow or dark fade does not raise q): A moves back
    // to the frame before the ramp, within the history kept and after the previous span
    if (!at(a).solid)
      while (a > oldest && a > prev_b + 1 && a + p_.max_dissolve > f0 && contrast(a - 1) > 1.02 * contrast(a) + 1e-4)
        --a;
    const rec& A = at(a);
    const rec& B = at(b);
    const double D = detail::mean_abs_diff(A.x, B.x);
    // The ramps: walking away from the solid run while the contrast keeps changing by more than
    // 2% per frame; a fade-out starts at the first frame of its ramp, a fade-in ends at the first
    // frame after its ramp.
    std::size_t fs = f0;
    while (fs > a + 1 && contrast(fs - 1) > 1.02 * contrast(fs)) --fs;
    if (fs < f0 && fs > a) fs = std::min(fs + 1, f0);
    std::size_t fe = f1;
    while (fe + 1 < b && contrast(fe + 1) > 1.02 * contrast(fe)) ++fe;
    fe = std::max(fe, f1 + 1);
    PREDSENSE_TRANSITION_TRACE("  solid %zu..%zu Asolid=%d Bsolid=%d D=%.3f fs=%zu fe=%zu\n", f0, f1, (int)A.solid,
                               (int)B.solid, D, fs, fe);
    if (A.solid && B.solid) return;
    // a fade is a cross-fade with a solid frame: the end must differ from it, the frames between
    // must be mixes of the two (a box sliding off a plain background is not a fade)
    const auto is_fade = [&](std::size_t x0, std::size_t x1) {
      if (x1 < x0 + 1) return false;
      const rec& P = at(x0);
      const rec& Q = at(x1);
      const double d = detail::mean_abs_diff(P.x, Q.x);
      if (d < p_.min_change) return false;
      return mix_residual(x0, x1) <= p_.max_residual * d;
    };
    bool fade_out = false, fade_in = false;
    if (!A.solid && B.solid) {
      fade_out = true;
    } else if (A.solid && !B.solid) {
      fade_in = true;
    } else if (f1 - f0 + 1 >= p_.min_hold) {
      fade_out = fade_in = true;
    } else if (D >= p_.min_change || f0 >= fs + 2 || fe >= f1 + 3) {  // different shots, or a ramp into or out of black
      if (fs > a + 2) plain(a, fs - 1, out, 1);
      emit(out, {f1 + 1, fs, fe, transition_kind::dip, D, now});
      if (fe + 2 < b) plain(fe, b, out, 1);
      return;
    } else {
      return;
    }
    // the fades end / begin where the solid hold begins / ends (not at the first / last frame
    // under solid_std: the dark frames of a ramp are still changing)
    // (a fade-in has a non-solid B, so f1 < b and fe <= b)
    const std::size_t hold_in = fade_out ? hold_edge(fs > a ? fs - 1 : a, f1, f0, f1, true) : f0;
    const std::size_t hold_out = fade_in ? hold_edge(f0, fe, f0, f1, false) : f1;
    if (fade_out && !is_fade(fs > a ? fs - 1 : a, hold_in)) fade_out = false;
    if (fade_in && !is_fade(hold_out, fe)) fade_in = false;
    if (fade_out) {
      if (fs > a + 2) plain(a, fs - 1, out, 1);  // what happened before the fade began
      emit(out, {hold_in, fs, hold_in, transition_kind::fade, detail::mean_abs_diff(A.x, at(hold_in).x), now});
    }
    if (fade_in) {
      emit(out, {f1 + 1, hold_out, fe, transition_kind::fade, detail::mean_abs_diff(at(hold_out).x, B.x), now});
      if (fe + 2 < b) plain(fe, b, out, 1);  // what happened after it ended
    }
  }

  // Frames (a, b) between A = frame a and B = frame b, no solid frame among them: a cut, a
  // dissolve, or nothing. A cut splits the interval and both sides are examined again.
  void plain(std::size_t a, std::size_t b, std::vector<transition>& out, int depth) {
    if (b < a + 2 || depth > 4 || (depth > 0 && b < a + p_.scale + 2)) return;
    const rec& A = at(a);
    const rec& B = at(b);
    const double D = detail::mean_abs_diff(A.x, B.x);
    const std::size_t now = t_ - 1;
    // flash frames: 1-3 frames after which the content comes back
    flash_.assign(b - a + 1, 0);
    for (std::size_t u = a + 1; u < b; ++u) {
      if (flash_[u - a]) continue;
      const double jump = detail::mean_abs_diff(at(u - 1).x, at(u).x);
      if (jump < p_.min_change) continue;
      for (std::size_t L = 1; L <= 3 && u + L <= b; ++L)
        if (detail::mean_abs_diff(at(u - 1).x, at(u + L).x) < p_.return_ratio * jump) {
          for (std::size_t k = 0; k < L; ++k) flash_[u - a + k] = 1;
          break;
        }
    }
    // Cuts: a step (not into or out of a flash) of at least min_change, not explained by camera
    // motion (compensated / plain >= min_motion_gain), whose motion-compensated difference is at
    // least cut_contrast times every other step's within `scale` frames, and whose new content
    // persists for the next `scale` frames. The strongest is reported and both sides examined
    // again; a lone candidate between ends that look alike (an occluder, a blip) is not a cut.
    {
      const std::size_t n = b - a + 1;
      plain_.assign(n, -1.0);
      comp_.assign(n, -1.0);
      for (std::size_t u = a + 1; u <= b; ++u) {
        if (flash_[u - a] || (u > a + 1 && flash_[u - a - 1])) continue;
        plain_[u - a] = detail::mean_abs_diff(at(u - 1).x, at(u).x);
        if (plain_[u - a] < p_.min_change) {
          comp_[u - a] = plain_[u - a];
          continue;
        }
        const double r = step_shift_ratio(u);
        comp_[u - a] = r < 0.0 ? 0.0 : r * plain_[u - a];
      }
      std::size_t best = 0, candidates = 0;
      for (std::size_t u = a + 1; u <= b; ++u) {
        const double pl = plain_[u - a], cp = comp_[u - a];
        if (pl < p_.min_change || cp < p_.min_motion_gain * pl) continue;
        double local = 0.0;
        for (std::size_t v = (u > a + p_.scale ? u - p_.scale : a + 1); v <= std::min(b, u + p_.scale); ++v)
          if (v != u) local = std::max(local, comp_[v - a]);
        if (cp < p_.cut_contrast * local) continue;
        bool persists = true;
        for (std::size_t j = 1; j <= p_.scale && u + j <= b; ++j)
          if (!flash_[u + j - a] && detail::mean_abs_diff(at(u - 1).x, at(u + j).x) < 0.5 * pl) persists = false;
        PREDSENSE_TRANSITION_TRACE("  cut? %zu plain=%.3f comp=%.3f local=%.3f persists=%d\n", u, pl, cp, local,
                                   (int)persists);
        if (!persists) continue;
        ++candidates;
        if (best == 0 || cp > comp_[best - a]) best = u;
      }
      if (best != 0 && (D >= p_.min_change || candidates >= 2)) {
        // the cut's step may be the larger part of a cut with one blended frame (a 70/30 mix):
        // the blended frame is then left out of both sides, and the cut is where the new shot
        // dominates
        for (std::size_t k : {best - 1, best}) {
          double d2 = 0.0, beta = 0.0;
          if (k <= a || k + 1 > b || flash_[k - a] || flash_[k + 1 - a] || !blended_frame(k, d2, beta)) continue;
          const std::size_t frame = beta >= 0.5 ? k : k + 1;
          plain(a, k - 1, out, depth + 1);
          emit(out, {frame, frame, frame, transition_kind::cut, comp_[best - a], now});
          plain(k + 1, b, out, depth + 1);
          return;
        }
        plain(a, best - 1, out, depth + 1);
        emit(out, {best, best, best, transition_kind::cut, comp_[best - a], now});
        plain(best, b, out, depth + 1);
        return;
      }
      if (best == 0 && blended_cut(a, b, D, out, depth)) return;
    }
    double excursion = 0.0;
    for (std::size_t u = a + 1; u < b; ++u)
      if (!flash_[u - a]) excursion = std::max(excursion, detail::mean_abs_diff(at(u).x, A.x));
    PREDSENSE_TRANSITION_TRACE("plain %zu..%zu D=%.3f exc=%.3f\n", a, b, D, excursion);
    if (D < p_.min_change || D < p_.return_ratio * excursion) return;
    const std::size_t m = A.x.size();
    diff_.resize(m);
    double nn = 0.0;
    for (std::size_t i = 0; i < m; ++i) {
      diff_[i] = B.x[i] - A.x[i];
      nn += static_cast<double>(diff_[i]) * diff_[i];
    }
    if (!(nn > 0.0)) return;
    std::vector<double> alpha(b - a + 1, 0.0);
    alpha.back() = 1.0;
    double resid = 0.0;
    std::size_t counted = 0;
    for (std::size_t u = a + 1; u < b; ++u) {
      if (flash_[u - a]) {
        alpha[u - a] = alpha[u - a - 1];
        continue;
      }
      const auto& x = at(u).x;
      double dot = 0.0;
      for (std::size_t i = 0; i < m; ++i) dot += (static_cast<double>(x[i]) - A.x[i]) * diff_[i];
      const double al = dot / nn;
      alpha[u - a] = al;
      const double c = std::clamp(al, 0.0, 1.0);
      double r = 0.0;
      for (std::size_t i = 0; i < m; ++i) r += std::fabs(x[i] - (A.x[i] + c * diff_[i]));
      resid += r / static_cast<double>(m);
      ++counted;
    }
    resid = counted ? resid / static_cast<double>(counted) : 0.0;
    // a dip without a solid frame: the darkest frame keeps under dip_level of the ends' luma and contrast
    {
      std::size_t dk = a;
      double lo = 1e9;
      for (std::size_t u = a + 1; u < b; ++u)
        if (!flash_[u - a] && at(u).luma < lo) {
          lo = at(u).luma;
          dk = u;
        }
      const double ref_l = std::min(A.luma, B.luma), ref_c = std::min(A.contrast, B.contrast);
      if (dk > a && lo <= p_.dip_level * ref_l && at(dk).contrast <= p_.dip_level * ref_c) {
        std::size_t st = dk, en = dk;
        while (st > a + 1 && at(st - 1).contrast < 0.95 * A.contrast) --st;
        while (en + 1 < b && at(en + 1).contrast < 0.95 * B.contrast) ++en;
        if (st > a + 2) plain(a, st - 1, out, depth + 1);
        emit(out, {dk + 1 <= en ? dk + 1 : dk, st, en, transition_kind::dip, D, now});
        if (en + 2 < b) plain(en + 1, b, out, depth + 1);
        return;
      }
    }
    const double motion = shift_gain(a, b);
    // contrast dip: a mix of two different pictures has less contrast than either (the variance
    // curve of a dissolve, Alattar 1993); steady content change keeps its contrast
    double dip = 1.0;
    for (std::size_t u = a + 1; u < b; ++u) {
      if (flash_[u - a]) continue;
      const double al = std::clamp(alpha[u - a], 0.0, 1.0);
      const double ref = (1 - al) * A.contrast + al * B.contrast;
      if (ref > 1e-6) dip = std::min(dip, at(u).contrast / ref);
    }
    PREDSENSE_TRANSITION_TRACE("  resid=%.2f motion=%.2f dip=%.3f\n", resid / D, motion, dip);
    if (D < p_.min_dissolve_change || resid > p_.max_residual * D || motion < p_.dissolve_motion ||
        dip > p_.dissolve_contrast)
      return;
    std::size_t st = b, en = a, fr = b;
    for (std::size_t u = a + 1; u < b; ++u) {
      const double al = alpha[u - a];
      if (al > 0.05 && u < st) st = u;
      if (al < 0.95) en = u;
      if (al >= 0.5 && u < fr) fr = u;
    }
    if (st >= b) st = a + 1;
    if (en < st) en = b - 1;
    fr = std::clamp(fr, st, en);
    if (has_emitted_ && st <= last_end_ + p_.scale) return;  // the tail of a transition already reported
    if (en - st + 1 > p_.max_dissolve) return;               // slower change: the content, not an edit
    emit(out, {fr, st, en, transition_kind::dissolve, D, now});
  }

  // Frame k lies on the line from x_{k-1} to x_{k+1}: mixing coefficient beta in [0.15, 0.85] and
  // residual <= max_residual of the change d2 = mean |x_{k+1} - x_{k-1}| >= min_change.
  bool blended_frame(std::size_t k, double& d2, double& beta) const {
    const auto& P = at(k - 1).x;
    const auto& X = at(k).x;
    const auto& Q = at(k + 1).x;
    d2 = detail::mean_abs_diff(P, Q);
    if (d2 < p_.min_change) return false;
    double nn = 0.0, dot = 0.0;
    for (std::size_t i = 0; i < P.size(); ++i) {
      const double dq = static_cast<double>(Q[i]) - P[i];
      nn += dq * dq;
      dot += (static_cast<double>(X[i]) - P[i]) * dq;
    }
    beta = dot / nn;
    if (!(beta >= 0.15 && beta <= 0.85)) return false;
    double r = 0.0;
    for (std::size_t i = 0; i < P.size(); ++i)
      r += std::fabs(X[i] - (P[i] + beta * (static_cast<double>(Q[i]) - P[i])));
    return r / static_cast<double>(P.size()) <= p_.max_residual * d2;
  }

  // A cut with one blended frame k (a 50/50 mix of the shots, or interlaced material cut between
  // fields, which the thumbnail's area average turns into a mix): the change x_{k-1} -> x_{k+1}
  // is split over two steps, so neither passes the one-step test against the other. Tested as one
  // step of lag 2: frame k lies on the line from x_{k-1} to x_{k+1} (mixing coefficient beta in
  // [0.15, 0.85], residual <= max_residual of the change), the two-frame change is not camera
  // motion, half of it (each step's share) is cut_contrast times every other step within `scale`
  // frames (the steps of a dissolve are alike, so no pair of them stands out) and its new content
  // persists. Reported at the first frame where the new shot dominates: k if beta >= 0.5, else
  // k + 1. Returns false (nothing emitted) when no frame qualifies.
  bool blended_cut(std::size_t a, std::size_t b, double D, std::vector<transition>& out, int depth) {
    std::size_t best = 0;
    double best_comp = 0.0, best_beta = 0.0;
    for (std::size_t k = a + 1; k + 1 <= b; ++k) {
      if (flash_[k - a] || flash_[k - a - 1] || flash_[k + 1 - a]) continue;
      double d2 = 0.0, beta = 0.0;
      if (!blended_frame(k, d2, beta)) continue;
      const double ratio = step_shift_ratio(k + 1, 2);
      const double comp = ratio < 0.0 ? 0.0 : ratio * d2;
      if (comp < p_.min_motion_gain * d2) continue;
      double local = 0.0;
      for (std::size_t v = (k > a + p_.scale ? k - p_.scale : a + 1); v <= std::min(b, k + 1 + p_.scale); ++v)
        if (v != k && v != k + 1) local = std::max(local, comp_[v - a]);
      if (0.5 * comp < p_.cut_contrast * local) continue;  // half of it, per step, stands out as a cut's step
      bool persists = true;
      for (std::size_t j = 2; j <= p_.scale + 1 && k + j <= b; ++j)
        if (!flash_[k + j - a] && detail::mean_abs_diff(at(k - 1).x, at(k + j).x) < 0.5 * d2) persists = false;
      PREDSENSE_TRANSITION_TRACE("  blended cut? %zu beta=%.2f d2=%.3f comp=%.3f local=%.3f persists=%d\n", k, beta, d2,
                                 comp, local, (int)persists);
      if (!persists) continue;
      if (best == 0 || comp > best_comp) {
        best = k;
        best_comp = comp;
        best_beta = beta;
      }
    }
    if (best == 0 || D < p_.min_change) return false;
    const std::size_t frame = best_beta >= 0.5 ? best : best + 1;
    plain(a, best - 1, out, depth + 1);
    emit(out, {frame, frame, frame, transition_kind::cut, best_comp, t_ - 1});
    plain(best + 1, b, out, depth + 1);
    return true;
  }

  // How much of the frame-to-frame change in (a, b] is NOT explained by camera motion (a global
  // shift or a centred zoom of the thumbnail): sum over steps of the motion-compensated
  // difference / sum of the plain differences (1: nothing explains it, as in a cross-fade; near 0:
  // camera motion).
  double shift_gain(std::size_t a, std::size_t b) const {
    double sum = 0.0, n_d = 0.0;
    for (std::size_t u = a + 1; u <= b; ++u) {
      if (flash_[u - a] || (u > a + 1 && flash_[u - a - 1])) continue;
      const double r = step_shift_ratio(u);
      if (r < 0.0) continue;
      const double d = detail::mean_abs_diff(at(u - 1).x, at(u).x);
      sum += r * d;
      n_d += d;
    }
    return n_d > 0.0 ? sum / n_d : 1.0;
  }

  // min over shifts of |x_u - shift(x_{u-lag})| / |x_u - x_{u-lag}|; -1 when the step is ~0.
  double step_shift_ratio(std::size_t u, std::size_t lag = 1) const {
    const std::size_t W = p_.width, H = p_.height, C = p_.channels;
    const long R = static_cast<long>(p_.max_shift);
    {
      const auto& x = at(u).x;
      const auto& y = at(u - lag).x;
      const double plain_d = detail::mean_abs_diff(x, y);
      if (plain_d < 1e-4) return -1.0;
      double best = plain_d;
      for (long dy = -R; dy <= R; ++dy)
        for (long dx = -R; dx <= R; ++dx) {
          if (dx == 0 && dy == 0) continue;
          if (std::labs(dy) >= static_cast<long>(H) || std::labs(dx) >= static_cast<long>(W)) continue;
          // the overlap's value count is known, and the sum only grows: a shift whose partial mean
          // already reaches `best` cannot lower it, so it is abandoned (same result, less work)
          const auto cnt = static_cast<double>((H - static_cast<std::size_t>(std::labs(dy))) *
                                               (W - static_cast<std::size_t>(std::labs(dx))) * C);
          double acc = 0.0;
          bool beaten = false;
          for (long yy = std::max(0L, dy); yy < static_cast<long>(H) + std::min(0L, dy) && !beaten; ++yy) {
            for (long xx = std::max(0L, dx); xx < static_cast<long>(W) + std::min(0L, dx); ++xx) {
              const float* p = x.data() + (static_cast<std::size_t>(yy) * W + static_cast<std::size_t>(xx)) * C;
              const float* q =
                  y.data() + (static_cast<std::size_t>(yy - dy) * W + static_cast<std::size_t>(xx - dx)) * C;
              for (std::size_t k = 0; k < C; ++k) acc += std::fabs(p[k] - q[k]);
            }
            beaten = acc / cnt >= best;
          }
          if (!beaten) best = std::min(best, acc / cnt);
        }
      // centred zooms: x_u(p) ~ x_{u-1}(c + (p - c) / z), bilinear
      for (double z : {0.85, 0.9, 0.95, 1.05, 1.1, 1.18}) {
        double acc = 0.0;
        std::size_t cnt = 0;
        const double cx = (static_cast<double>(W) - 1) / 2, cy = (static_cast<double>(H) - 1) / 2;
        // as for the shifts: the in-picture test is separable, so the count is known before the
        // sum, and a zoom whose partial mean reaches `best` is abandoned (same result)
        std::size_t nx = 0, ny = 0;
        for (std::size_t xx = 0; xx < W; ++xx) {
          const double sx = cx + (static_cast<double>(xx) - cx) / z;
          nx += !(sx < 0 || sx > static_cast<double>(W) - 1);
        }
        for (std::size_t yy = 0; yy < H; ++yy) {
          const double sy = cy + (static_cast<double>(yy) - cy) / z;
          ny += !(sy < 0 || sy > static_cast<double>(H) - 1);
        }
        const auto total = static_cast<double>(nx * ny * C);
        bool beaten = false;
        for (std::size_t yy = 0; yy < H && !beaten; beaten = total > 0 && acc / total >= best, ++yy)
          for (std::size_t xx = 0; xx < W; ++xx) {
            const double sx = cx + (static_cast<double>(xx) - cx) / z, sy = cy + (static_cast<double>(yy) - cy) / z;
            if (sx < 0 || sy < 0 || sx > static_cast<double>(W) - 1 || sy > static_cast<double>(H) - 1) continue;
            const std::size_t x0 = std::min(static_cast<std::size_t>(sx), W - 2),
                              y0 = std::min(static_cast<std::size_t>(sy), H - 2);
            const double fx = sx - static_cast<double>(x0), fy = sy - static_cast<double>(y0);
            const float* p = x.data() + (yy * W + xx) * C;
            for (std::size_t k = 0; k < C; ++k) {
              const auto px = [&](std::size_t X, std::size_t Y) { return static_cast<double>(y[(Y * W + X) * C + k]); };
              const double v = (1 - fy) * ((1 - fx) * px(x0, y0) + fx * px(x0 + 1, y0)) +
                               fy * ((1 - fx) * px(x0, y0 + 1) + fx * px(x0 + 1, y0 + 1));
              acc += std::fabs(p[k] - v);
              cnt += 1;
            }
          }
        if (cnt && !beaten) best = std::min(best, acc / static_cast<double>(cnt));
      }
      return best / plain_d;
    }
  }

  transition_detector_params p_;
  std::size_t t_ = 0;
  std::deque<rec> hist_;
  std::deque<double> base_s_, base_q_, long_s_;
  std::vector<double> scratch_;
  std::vector<float> diff_;
  std::vector<char> flash_;
  std::vector<double> plain_, comp_;
  bool open_ = false;
  std::size_t span_start_ = 0, last_elev_ = 0, prev_b_ = 0;
  bool has_emitted_ = false;
  bool ramp_up_ = false;      // inside a fade-in's ramp (see push)
  std::size_t last_end_ = 0;  // end of the last reported gradual transition

 public:
  // State (io/state_file.hpp): every parameter, then the frame counter, the kept thumbnails with
  // their per-frame signals (the open span and the frames before it), the quiet baselines, the
  // long surprise window and the open span's bounds.
  static constexpr const char* state_kind = "transition_detector";
  template <class A>
  void visit_state(A& a) {
    a.param("width", p_.width);
    a.param("height", p_.height);
    a.param("channels", p_.channels);
    a.param("scale", p_.scale);
    a.param("window", p_.window);
    a.param("warmup", p_.warmup);
    a.param("gamma", p_.gamma);
    a.param("floor", p_.floor);
    a.param("surprise_gamma", p_.surprise_gamma);
    a.param("surprise_floor", p_.surprise_floor);
    a.param("surprise_long_window", p_.surprise_long_window);
    a.param("gap", p_.gap);
    a.param("max_span", p_.max_span);
    a.param("min_change", p_.min_change);
    a.param("return_ratio", p_.return_ratio);
    a.param("max_residual", p_.max_residual);
    a.param("solid_std", p_.solid_std);
    a.param("min_hold", p_.min_hold);
    a.param("max_shift", p_.max_shift);
    a.param("min_motion_gain", p_.min_motion_gain);
    a.param("min_dissolve_change", p_.min_dissolve_change);
    a.param("dissolve_motion", p_.dissolve_motion);
    a.param("dissolve_contrast", p_.dissolve_contrast);
    a.param("max_dissolve", p_.max_dissolve);
    a.param("dip_level", p_.dip_level);
    a.param("cut_contrast", p_.cut_contrast);
    a.validated([&] { *this = transition_detector(p_); });
    a.field("t", t_);
    a.each("hist", hist_, [](auto& ar, rec& r) {
      ar.field("x", r.x);
      ar.field("s", r.s);
      ar.field("q", r.q);
      ar.field("contrast", r.contrast);
      ar.field("luma", r.luma);
      ar.field("solid", r.solid);
    });
    a.field("base_s", base_s_);
    a.field("base_q", base_q_);
    a.field("long_s", long_s_);
    a.field("open", open_);
    a.field("span_start", span_start_);
    a.field("last_elev", last_elev_);
    a.field("prev_b", prev_b_);
    a.field("has_emitted", has_emitted_);
    a.field("ramp_up", ramp_up_);
    a.field("last_end", last_end_);
    if constexpr (A::loading) {
      const std::size_t m = p_.width * p_.height * p_.channels;
      for (const auto& r : hist_) a.require(r.x.size() == m, "hist", "a thumbnail not of width x height x channels");
      a.require(!open_ || (span_start_ <= last_elev_ && last_elev_ < t_), "span_start", "open span outside the frames");
      a.require(hist_.size() == std::min<std::size_t>(t_, kept_frames()), "hist", "not the frames the detector keeps");
      a.require(base_s_.size() <= p_.window && base_q_.size() <= p_.window && long_s_.size() <= p_.surprise_long_window,
                "base_s", "longer than its window");
      a.require(prev_b_ <= t_ && last_end_ <= t_, "prev_b", "after the last frame");
    }
  }
};

}  // namespace predsense
