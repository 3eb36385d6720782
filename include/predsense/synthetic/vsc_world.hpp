// predsense/synthetic/vsc_world.hpp - a synthetic VSI-SUPER-Count-like world: rooms full of objects, a
// camera tour through them with revisits, and a `repeat` factor that plays the tour k times
// (VSC-Repeat: the true count does not change, a summing counter's answer does).
//
// World (from `seed`): `rooms` rooms, each with a scene layout (T x D unit-ish tokens), a few
// viewpoints (each a layout offset of random amplitude) and, per class, uniform{0..max_per_class}
// object instances, each visible from one or two of the room's viewpoints. An instance has an
// identity embedding: a shared class direction (weight class_share) plus its own direction; with
// twin_prob it has a look-alike twin (same class, room and viewpoints, identity cosine
// twin_similarity) that only a one-to-one matching keeps apart.
// Tour (from `seed`): visits of 2-4 dwells at viewpoints (dwell_min..dwell_max frames each); the
// next visit goes to a new room, or with probability revisit_prob back to a visited one.
// Rendering (per play, from seed and play index; identical for every play if identical_replays):
//   frame latent = room layout + amplitude * viewpoint layout + scene_noise, so a room change
//   costs about 1 of token cosine surprise and a viewpoint change a^2-ish (some cross a typical
//   threshold: over-segmentation, as with real encoders);
//   detections: every visible instance is missed with miss_prob, else detected with embedding
//   identity + view_noise * N(0, I/E) (and, with double_detection_prob, a second box on the same
//   crop: the same embedding + 0.05 noise); plus
//   false_positive_rate spurious detections per frame with fresh random identities.
// Ground truth: an instance counts once it has been visible (detected or not), so
// true_count_until(c, t) is the count a perfect observer would give after frames [0, t).
// Deterministic by seed: std::mt19937_64 + Box-Muller, identical across standard libraries.
#pragma once

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <numbers>
#include <random>
#include <span>
#include <string>
#include <utility>
#include <vector>

#include "predsense/core/error.hpp"
#include "predsense/core/frame_view.hpp"
#include "predsense/kernels/random.hpp"

namespace predsense {

struct vsc_world_params {
  double minutes = 10.0;   // length of one tour at 1 fps
  std::size_t repeat = 1;  // the tour is played this many times back to back
  std::size_t classes = 4;
  std::size_t rooms = 0;  // 0: one per 40 s of tour, at least 3
  std::size_t max_per_class = 3;
  std::size_t viewpoints = 3;  // per room
  std::size_t dwell_min = 6, dwell_max = 18;
  std::size_t dwells_min = 2, dwells_max = 4;  // dwells per visit
  double revisit_prob = 0.15;
  std::size_t tokens = 8, dim = 32;  // scene latent shape
  double scene_noise = 0.05;
  double view_amp_min = 0.3, view_amp_max = 1.0;
  std::size_t embed_dim = 128;
  double class_share = 0.4;
  double view_noise = 0.7;
  double miss_prob = 0.3;
  double double_detection_prob = 0.1;
  double false_positive_rate = 0.2;
  double twin_prob = 0.15;        // an instance gets a look-alike (same class, room and views)
  double twin_similarity = 0.75;  // cosine between the identities of twins
  bool identical_replays = false;
  std::uint64_t seed = 1;
};

struct vsc_detection {
  std::size_t frame = 0;
  std::uint32_t label = 0;
  std::int64_t instance = -1;  // -1 for a false positive
};

class vsc_world {
 public:
  static constexpr std::size_t never = std::numeric_limits<std::size_t>::max();

  explicit vsc_world(const vsc_world_params& c) : c_(c) {
    validate();
    build_world();
    build_tour();
    render();
  }

  [[nodiscard]] const vsc_world_params& params() const noexcept { return c_; }
  [[nodiscard]] std::size_t size() const noexcept { return frames_total_; }
  [[nodiscard]] std::size_t tour_frames() const noexcept { return plan_room_.size(); }
  [[nodiscard]] std::size_t rooms() const noexcept { return rooms_; }
  [[nodiscard]] frame_view frame(std::size_t t) const {
    if (t >= frames_total_)
      throw invalid_argument_error("predsense: vsc_world: frame " + std::to_string(t) + " out of range");
    return frame_view(latents_.data() + t * c_.tokens * c_.dim, c_.tokens, c_.dim);
  }
  [[nodiscard]] std::size_t room_at(std::size_t t) const { return plan_room_.at(t % tour_frames()); }
  [[nodiscard]] std::size_t viewpoint_at(std::size_t t) const { return plan_view_.at(t % tour_frames()); }

  // Detections, sorted by frame. detections_in(b, e) is the index range of frames [b, e).
  [[nodiscard]] const std::vector<vsc_detection>& detections() const noexcept { return dets_; }
  [[nodiscard]] std::pair<std::size_t, std::size_t> detections_in(std::size_t b, std::size_t e) const {
    b = std::min(b, frames_total_);
    e = std::min(std::max(e, b), frames_total_);
    return {det_offset_[b], det_offset_[e]};
  }
  [[nodiscard]] std::span<const float> embedding(std::size_t i) const {
    return {emb_.data() + i * c_.embed_dim, c_.embed_dim};
  }
  [[nodiscard]] std::size_t embed_dim() const noexcept { return c_.embed_dim; }

  [[nodiscard]] std::size_t instances() const noexcept { return inst_label_.size(); }
  [[nodiscard]] std::uint32_t instance_label(std::size_t i) const { return inst_label_.at(i); }
  [[nodiscard]] std::span<const float> identity(std::size_t i) const {
    return {identity_.data() + i * c_.embed_dim, c_.embed_dim};
  }
  // Whether the camera sees instance i at frame t (detected or not).
  [[nodiscard]] bool visible(std::size_t i, std::size_t t) const {
    return inst_room_.at(i) == room_at(t) && ((inst_views_[i] >> (viewpoint_at(t) % 64)) & 1ull);
  }
  // First frame at which the instance is visible, or `never`.
  [[nodiscard]] std::size_t first_seen(std::size_t i) const { return first_seen_.at(i); }
  // Distinct instances of `label` visible in frames [0, t).
  [[nodiscard]] std::size_t true_count_until(std::uint32_t label, std::size_t t) const {
    std::size_t n = 0;
    for (std::size_t i = 0; i < inst_label_.size(); ++i)
      if (inst_label_[i] == label && first_seen_[i] != never && first_seen_[i] < t) ++n;
    return n;
  }
  [[nodiscard]] std::size_t true_count(std::uint32_t label) const { return true_count_until(label, frames_total_); }
  // Frames (> 0) where the camera enters another room, over the whole stream (true boundaries).
  [[nodiscard]] std::vector<std::size_t> room_changes() const {
    std::vector<std::size_t> out;
    for (std::size_t t = 1; t < frames_total_; ++t)
      if (room_at(t) != room_at(t - 1)) out.push_back(t);
    return out;
  }

 private:
  struct rng {
    std::mt19937_64 g;
    explicit rng(std::uint64_t s) : g(s) {}
    double uniform() { return kernels::unit_interval(g()); }  // [0, 1)
    std::size_t below(std::size_t n) { return std::size_t(g() % n); }
    std::size_t between(std::size_t lo, std::size_t hi) { return lo + below(hi - lo + 1); }
    double gauss() {  // Box-Muller on (0, 1] x [0, 1)
      const double u1 = kernels::unit_interval(g(), true);
      return kernels::gaussian_box_muller(u1, kernels::unit_interval(g()));
    }
  };
  static std::uint64_t mix(std::uint64_t x) { return kernels::splitmix64(x); }  // independent sub-seeds

  void validate() const {
    auto bad = [](const std::string& field, const std::string& why) {
      throw invalid_argument_error("predsense: vsc_world: " + field + " " + why);
    };
    if (!(c_.minutes > 0.0) || !std::isfinite(c_.minutes) || c_.minutes * 60.0 < 1.0)
      bad("minutes", "must be finite and cover at least one frame");
    if (c_.minutes > 24.0 * 60.0) bad("minutes", "must be <= 1440");
    if (c_.repeat == 0 || c_.repeat > 100) bad("repeat", "must be in [1, 100]");
    if (c_.classes == 0 || c_.classes > 1000) bad("classes", "must be in [1, 1000]");
    if (c_.viewpoints == 0) bad("viewpoints", "must be >= 1");
    if (c_.dwell_min == 0 || c_.dwell_max < c_.dwell_min) bad("dwell_min/dwell_max", "must satisfy 1 <= min <= max");
    if (c_.dwells_min == 0 || c_.dwells_max < c_.dwells_min)
      bad("dwells_min/dwells_max", "must satisfy 1 <= min <= max");
    if (c_.tokens == 0 || c_.dim == 0 || c_.embed_dim == 0) bad("tokens/dim/embed_dim", "must be > 0");
    auto prob = [&](double p, const char* f) {
      if (!(p >= 0.0 && p <= 1.0)) bad(f, "must be a probability in [0, 1]");
    };
    prob(c_.revisit_prob, "revisit_prob");
    prob(c_.miss_prob, "miss_prob");
    prob(c_.double_detection_prob, "double_detection_prob");
    prob(c_.class_share, "class_share");
    prob(c_.twin_prob, "twin_prob");
    prob(c_.twin_similarity, "twin_similarity");
    auto nonneg = [&](double v, const char* f) {
      if (!(v >= 0.0) || !std::isfinite(v)) bad(f, "must be finite and >= 0");
    };
    nonneg(c_.scene_noise, "scene_noise");
    nonneg(c_.view_noise, "view_noise");
    nonneg(c_.false_positive_rate, "false_positive_rate");
    nonneg(c_.view_amp_min, "view_amp_min");
    if (!(c_.view_amp_max >= c_.view_amp_min) || !std::isfinite(c_.view_amp_max))
      bad("view_amp_max", "must be finite and >= view_amp_min");
  }

  void build_world() {
    rng r(mix(c_.seed ^ 0x5743'0001ull));
    const std::size_t tour = std::max<std::size_t>(1, std::size_t(std::llround(c_.minutes * 60.0)));
    rooms_ = c_.rooms ? c_.rooms : std::max<std::size_t>(3, tour / 40);
    const std::size_t L = c_.tokens * c_.dim, E = c_.embed_dim;
    const double inv_d = 1.0 / std::sqrt(double(c_.dim)), inv_e = 1.0 / std::sqrt(double(E));
    room_layout_.resize(rooms_ * L);
    for (auto& x : room_layout_) x = float(r.gauss() * inv_d);
    view_layout_.resize(rooms_ * c_.viewpoints * L);
    for (std::size_t v = 0; v < rooms_ * c_.viewpoints; ++v) {
      const double a = c_.view_amp_min + (c_.view_amp_max - c_.view_amp_min) * r.uniform();
      for (std::size_t i = 0; i < L; ++i) view_layout_[v * L + i] = float(a * r.gauss() * inv_d);
    }
    class_dir_.resize(c_.classes * E);
    for (auto& x : class_dir_) x = float(r.gauss() * inv_e);
    const double ws = std::sqrt(c_.class_share), wu = std::sqrt(1.0 - c_.class_share);
    for (std::size_t room = 0; room < rooms_; ++room)
      for (std::uint32_t cl = 0; cl < c_.classes; ++cl) {
        const std::size_t n = r.between(0, c_.max_per_class);
        for (std::size_t k = 0; k < n; ++k) {
          inst_label_.push_back(cl);
          inst_room_.push_back(room);
          // visible from one viewpoint, or two with probability 1/2
          std::uint64_t mask = 1ull << (r.below(c_.viewpoints) % 64);
          if (c_.viewpoints > 1 && r.uniform() < 0.5) mask |= 1ull << (r.below(c_.viewpoints) % 64);
          inst_views_.push_back(mask);
          const std::size_t id = identity_.size();
          for (std::size_t d = 0; d < E; ++d)
            identity_.push_back(float(ws * class_dir_[cl * E + d] + wu * r.gauss() * inv_e));
          if (r.uniform() < c_.twin_prob) {  // a look-alike next to it (a pair of identical chairs)
            inst_label_.push_back(cl);
            inst_room_.push_back(room);
            inst_views_.push_back(mask);
            const double a = c_.twin_similarity, b = std::sqrt(1.0 - a * a);
            for (std::size_t d = 0; d < E; ++d)
              identity_.push_back(float(a * identity_[id + d] + b * r.gauss() * inv_e));
          }
        }
      }
    room_instances_.assign(rooms_, {});
    for (std::size_t i = 0; i < inst_room_.size(); ++i) room_instances_[inst_room_[i]].push_back(i);
  }

  void build_tour() {
    rng r(mix(c_.seed ^ 0x5743'0002ull));
    const std::size_t need = std::max<std::size_t>(1, std::size_t(std::llround(c_.minutes * 60.0)));
    std::size_t visited = 0, current = never;
    while (plan_room_.size() < need) {
      std::size_t room;
      const bool can_revisit = visited >= 2;  // another visited room than the current one
      if (visited < rooms_ && (!can_revisit || r.uniform() >= c_.revisit_prob)) {
        room = visited++;
      } else if (visited == 1) {
        room = 0;
      } else {
        room = r.below(visited - 1);  // any visited room but the current one
        if (room >= current) ++room;
      }
      current = room;
      const std::size_t dwells = r.between(c_.dwells_min, c_.dwells_max);
      std::size_t view = never;
      for (std::size_t k = 0; k < dwells && plan_room_.size() < need; ++k) {
        std::size_t v = r.below(c_.viewpoints);
        if (c_.viewpoints > 1 && v == view) v = (v + 1) % c_.viewpoints;
        view = v;
        const std::size_t len = r.between(c_.dwell_min, c_.dwell_max);
        for (std::size_t f = 0; f < len && plan_room_.size() < need; ++f) {
          plan_room_.push_back(room);
          plan_view_.push_back(view);
        }
      }
    }
  }

  void render() {
    const std::size_t tour = plan_room_.size(), L = c_.tokens * c_.dim, E = c_.embed_dim;
    frames_total_ = tour * c_.repeat;
    const double inv_d = 1.0 / std::sqrt(double(c_.dim)), inv_e = 1.0 / std::sqrt(double(E));
    const double ws = std::sqrt(c_.class_share), wu = std::sqrt(1.0 - c_.class_share);
    latents_.resize(frames_total_ * L);
    det_offset_.assign(frames_total_ + 1, 0);
    first_seen_.assign(inst_label_.size(), never);
    for (std::size_t play = 0; play < c_.repeat; ++play) {
      rng r(mix(c_.seed ^ 0x5743'0003ull ^ mix(c_.identical_replays ? 0 : play)));
      for (std::size_t f = 0; f < tour; ++f) {
        const std::size_t t = play * tour + f, room = plan_room_[f], view = plan_view_[f];
        const float* rl = &room_layout_[room * L];
        const float* vl = &view_layout_[(room * c_.viewpoints + view) * L];
        float* out = &latents_[t * L];
        for (std::size_t i = 0; i < L; ++i) out[i] = rl[i] + vl[i] + float(c_.scene_noise * r.gauss() * inv_d);
        det_offset_[t] = dets_.size();
        for (std::size_t inst : room_instances_[room]) {
          if (!((inst_views_[inst] >> (view % 64)) & 1ull)) continue;
          if (first_seen_[inst] == never) first_seen_[inst] = t;
          if (r.uniform() < c_.miss_prob) continue;
          dets_.push_back({t, inst_label_[inst], std::int64_t(inst)});
          for (std::size_t d = 0; d < E; ++d)
            emb_.push_back(float(identity_[inst * E + d] + c_.view_noise * r.gauss() * inv_e));
          if (r.uniform() < c_.double_detection_prob) {  // a second box on the same crop
            dets_.push_back({t, inst_label_[inst], std::int64_t(inst)});
            const std::size_t prev = emb_.size() - E;
            for (std::size_t d = 0; d < E; ++d) emb_.push_back(float(emb_[prev + d] + 0.05 * r.gauss() * inv_e));
          }
        }
        std::size_t fps = std::size_t(c_.false_positive_rate);
        if (r.uniform() < c_.false_positive_rate - double(fps)) ++fps;
        for (std::size_t k = 0; k < fps; ++k) {
          const auto cl = std::uint32_t(r.below(c_.classes));
          dets_.push_back({t, cl, -1});
          for (std::size_t d = 0; d < E; ++d)
            emb_.push_back(
                float(ws * class_dir_[cl * E + d] + wu * r.gauss() * inv_e + c_.view_noise * r.gauss() * inv_e));
        }
      }
    }
    det_offset_[frames_total_] = dets_.size();
  }

  vsc_world_params c_;
  std::size_t rooms_ = 0, frames_total_ = 0;
  std::vector<float> room_layout_, view_layout_, class_dir_, identity_, latents_, emb_;
  std::vector<std::uint32_t> inst_label_;
  std::vector<std::size_t> inst_room_, first_seen_, plan_room_, plan_view_, det_offset_;
  std::vector<std::uint64_t> inst_views_;
  std::vector<std::vector<std::size_t>> room_instances_;
  std::vector<vsc_detection> dets_;
};

}  // namespace predsense
