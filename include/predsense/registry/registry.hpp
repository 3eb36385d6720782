// predsense/registry/registry.hpp - the one table of component names and their parameters.
//
// Per component kind (predictor, metric, normalizer, segmenter, transition_detector,
// memory_policy, offline_cost, penalty) the registry lists each component's name, its parameters
// (name, type, range, default, unit, one-line doc; predsense/registry/param_spec.hpp) and the old
// spellings still accepted as deprecated aliases. predsense-tcpd's options, the Python keyword
// arguments (Stream(segmenter="peak"), PeakSegmenter(...)), the .pyi stubs and the parameter
// tables of docs/registry.md are generated from it; predsense/registry/make_component.hpp builds
// the components from resolved values.
//
// Conventions (docs/concepts.md, "The registry"):
// - one name per concept, the field's term: min_separation (steps between two reported
//   boundaries; was min_gap / separation), gamma (in standard deviations of the recent surprise:
//   sample sd for adaptive, the robust sd 1.4826 * MAD for cut and transition), lambda (BOCPD's
//   expected run length; Python keyword lambda_);
// - every numeric range is checked by resolve(); NaN is refused for every parameter;
// - an optional parameter's None means off.
// Errors: find() throws invalid_argument_error for an unknown kind or name, listing the known ones.
#pragma once

#include <limits>
#include <string>
#include <vector>

#include "predsense/registry/param_spec.hpp"

namespace predsense::registry {

inline const std::vector<std::string>& kinds() {
  static const std::vector<std::string> k{"predictor",           "metric",        "normalizer",   "segmenter",
                                          "transition_detector", "memory_policy", "offline_cost", "penalty"};
  return k;
}

namespace detail {

constexpr double inf = std::numeric_limits<double>::infinity();

inline param_spec integer(std::string name, std::int64_t def, std::int64_t lo, std::string unit, std::string doc,
                          std::vector<std::string> aliases = {}) {
  param_spec p;
  p.name = std::move(name), p.type = param_type::integer, p.lo = static_cast<double>(lo), p.hi = inf;
  p.def = def, p.unit = std::move(unit), p.doc = std::move(doc), p.aliases = std::move(aliases);
  return p;
}
inline param_spec real(std::string name, double def, double lo, double hi, std::string unit, std::string doc,
                       bool lo_open = false, bool hi_open = false, std::vector<std::string> aliases = {}) {
  param_spec p;
  p.name = std::move(name), p.type = param_type::real, p.lo = lo, p.hi = hi, p.lo_open = lo_open, p.hi_open = hi_open;
  p.def = def, p.unit = std::move(unit), p.doc = std::move(doc), p.aliases = std::move(aliases);
  return p;
}
// A real that must be finite (and >= lo, or > lo when lo_open).
inline param_spec finite(std::string name, double def, double lo, std::string unit, std::string doc,
                         bool lo_open = false, std::vector<std::string> aliases = {}) {
  auto p = real(std::move(name), def, lo, inf, std::move(unit), std::move(doc), lo_open || lo == -inf, true,
                std::move(aliases));
  return p;
}
inline param_spec boolean(std::string name, bool def, std::string doc) {
  param_spec p;
  p.name = std::move(name), p.type = param_type::boolean, p.def = def, p.doc = std::move(doc);
  return p;
}
inline param_spec choice(std::string name, std::string def, std::vector<std::string> choices, std::string doc) {
  param_spec p;
  p.name = std::move(name), p.type = param_type::choice, p.def = std::move(def), p.choices = std::move(choices);
  p.doc = std::move(doc);
  return p;
}
inline param_spec optional(param_spec p) {
  p.optional = true, p.def = std::monostate{};
  return p;
}
inline param_spec required(param_spec p) {
  p.def = std::monostate{};
  return p;
}

inline component_spec component(std::string kind, std::string name, std::string doc, std::vector<param_spec> params,
                                std::string python_class, std::string cpp_type, std::vector<std::string> aliases = {}) {
  return component_spec{std::move(kind),    std::move(name),         std::move(doc),     std::move(params),
                        std::move(aliases), std::move(python_class), std::move(cpp_type)};
}

inline std::vector<std::string> offline_cost_names() { return {"mean", "meanvar", "ed", "linear", "linearvar", "ar1"}; }
inline std::vector<std::string> penalty_names() { return {"mbic", "bic", "aic", "hannan_quinn", "none", "manual"}; }

inline std::vector<component_spec> build_table() {
  std::vector<component_spec> t;
  // ---- predictors (LFPPredictor and TransformerPredictor need weights: built from their classes)
  t.push_back(component("predictor", "copy_last", "the next frame equals the last one (Cambrian-S ablation)", {},
                        "CopyLast", "predsense::copy_last"));
  t.push_back(component("predictor", "ema", "exponential moving average of the observed frames",
                        {real("alpha", 0.5, 0.0, 1.0, "", "weight of the newest frame (1: copy-last)", true)},
                        "EMAPredictor", "predsense::ema_predictor"));
  t.push_back(component(
      "predictor", "rls", "online ridge regression of frame t+1 on frame t (recursive least squares, forgetting)",
      {choice("mode", "per_token", {"per_token", "pooled"}, "one sample per token, or per frame (token means)"),
       real("forgetting", 0.98, 0.0, 1.0, "", "forgetting factor per frame", true),
       finite("ridge", 1.0, 0.0, "", "prior precision (P0 = I / ridge)", true),
       boolean("residual", true, "learn the change (prior: copy-last)"), boolean("bias", true, "fit an intercept"),
       integer("token_stride", 1, 1, "tokens", "per_token: learn from every k-th token")},
      "RLSPredictor", "predsense::rls_predictor"));
  // ---- surprise metrics (Stream(metric=...), copy_last_surprise(metric=...))
  t.push_back(component("metric", "token_cosine", "1 - mean over tokens of cos(pred, actual) (Cambrian-S); [0, 2]", {},
                        "token_cosine_distance", "predsense::token_cosine_distance<>"));
  t.push_back(component("metric", "pooled_cosine", "1 - cos of the token means; [0, 2]", {}, "pooled_cosine_distance",
                        "predsense::pooled_cosine_distance<>"));
  t.push_back(component("metric", "mse", "mean squared error over tokens x dim", {}, "mse", "predsense::mse<>"));
  t.push_back(
      component("metric", "l2", "Frobenius norm of pred - actual", {}, "l2_distance", "predsense::l2_distance<>"));
  t.push_back(
      component("metric", "gaussian_nll", "diagonal-Gaussian NLL under the running residual variance (stateful); nats",
                {finite("prior_var", 1.0, 0.0, "latent units^2", "variance before a dimension has 2 samples", true),
                 finite("min_var", 1e-6, 0.0, "latent units^2", "variance floor", true)},
                "GaussianNLL", "predsense::gaussian_nll<>"));
  // ---- surprise normalizers (None: off)
  t.push_back(component("normalizer", "zscore", "running z-score against every earlier value (Welford)",
                        {finite("min_std", 1e-12, 0.0, "surprise units", "floor of the standard deviation", true)},
                        "ZScoreNormalizer", "predsense::zscore_normalizer"));
  t.push_back(component("normalizer", "ema", "z-score against an exponentially weighted mean and variance",
                        {real("alpha", 0.05, 0.0, 1.0, "", "weight of the newest value", true),
                         finite("eps", 1e-12, 0.0, "surprise units^2", "added to the variance", true)},
                        "EMANormalizer", "predsense::ema_normalizer"));
  // ---- streaming segmenters (None: no segmenter)
  t.push_back(
      component("segmenter", "threshold",
                "surprise above a threshold: robust z against the trailing window by default, an absolute one if given",
                {optional(real("threshold", 0.0, -inf, inf, "surprise units",
                               "absolute threshold (Cambrian-S VSC); None: the robust-z rule")),
                 integer("min_separation", 1, 1, "steps", "minimum steps between two reported boundaries", {"min_gap"}),
                 real("z_threshold", 3.5, -inf, inf, "sd", "robust z a boundary must exceed (Iglewicz & Hoaglin)"),
                 integer("window", 50, 3, "steps", "trailing values of the median / MAD")},
                "ThresholdSegmenter", "predsense::threshold_segmenter"));
  t.push_back(component(
      "segmenter", "adaptive", "surprise > mean + gamma * sd of the trailing window (EM-LLM), in blocks",
      {integer("window", 128, 2, "steps", "trailing surprises the threshold is computed from", {"seg_window"}),
       finite("gamma", 1.0, -inf, "sd", "threshold = mean + gamma * sample sd"),
       integer("min_block", 8, 0, "frames", "shortest event (earlier candidates are merged forward)"),
       integer("max_block", 128, 0, "frames", "longest event before a forced split (0: never split)"),
       integer("min_history", 10, 0, "steps", "surprises seen before the first boundary (capped at window)")},
      "AdaptiveSegmenter", "predsense::adaptive_segmenter"));
  t.push_back(component(
      "segmenter", "peak", "local maxima of the surprise, decided lookahead steps later",
      {real("threshold", -inf, -inf, inf, "surprise units", "minimum height"),
       finite("prominence", 0.0, 0.0, "surprise units", "minimum prominence"),
       integer("min_separation", 1, 1, "steps", "minimum steps between two reported boundaries", {"separation"}),
       integer("lookahead", 3, 0, "steps", "right context = decision delay"),
       integer("window", 10, 0, "steps", "left context for the prominence"),
       finite("relative_prominence", 0.0, 0.0, "sd", "minimum prominence in robust sd of the left context (0: off)")},
      "PeakSegmenter", "predsense::peak_segmenter", {"peaks"}));
  t.push_back(component(
      "segmenter", "bocpd",
      "online Bayesian change-point detection (Adams & MacKay 2007) + peaks of the lag-step change probability",
      {real("lambda", 100.0, 1.0, inf, "steps", "expected run length: hazard 1/lambda (Python: lambda_)", true, true),
       finite("mu0", 0.0, -inf, "", "prior mean (unit scale when standardize)"),
       finite("kappa0", 1.0, 0.0, "", "prior pseudo-count of the mean", true, {"k"}),
       finite("alpha0", 1.0, 0.0, "", "Inverse-Gamma shape of the variance", true, {"a"}),
       finite("beta0", 1.0, 0.0, "", "Inverse-Gamma rate of the variance", true, {"b"}),
       real("prune_mass", 1e-4, 0.0, 1.0, "probability", "run lengths with less posterior mass are dropped", false,
            true, {"prune"}),
       integer("lag", 5, 0, "steps", "change probability read lag steps after the change"),
       real("threshold", 0.2, -inf, inf, "probability", "minimum change probability of a boundary"),
       finite("prominence", 0.0, 0.0, "probability", "minimum prominence of a change-probability peak"),
       integer("min_separation", 5, 1, "steps", "minimum steps between two reported boundaries", {"separation"}),
       integer("lookahead", 5, 0, "steps", "peak picker's right context"),
       boolean("standardize", true, "z-score each value online against the earlier ones (unit-scale prior)"),
       boolean("skip_first", true, "ignore the value at t = 0 (frame 0 has no prediction)"),
       real("max_abs_z", 1e3, 0.0, inf, "sd", "cap on a standardized value", true)},
      "BOCPDSegmenter", "predsense::bocpd_segmenter"));
  t.push_back(component(
      "segmenter", "cut", "hard cuts: robust outlier of the surprise that is also a local peak (scale-free)",
      {integer("window", 50, 3, "steps", "outlier rule: previous surprises considered"),
       integer("long_window", 500, 0, "steps", "sd >= the upper-tail spread of this many values (0: off)"),
       integer("min_history", 10, 3, "steps", "values needed before a step can be an outlier (<= window)"),
       finite("gamma", 6.0, 0.0, "sd", "outlier: > median + gamma * robust sd (1.4826 * MAD)"),
       finite("prominence", 6.0, 0.0, "sd", "peak rule: minimum prominence"),
       finite("absolute_prominence", 0.0, 0.0, "surprise units", "peak rule: minimum prominence (0: off)"),
       real("floor", -inf, -inf, inf, "surprise units", "minimum surprise of a boundary (-inf: off)", false, true),
       integer("lookahead", 2, 0, "steps", "peak rule: right context = decision delay"),
       integer("min_separation", 1, 1, "steps", "minimum steps between two reported boundaries", {"min_gap"})},
      "CutSegmenter", "predsense::cut_segmenter"));
  t.push_back(
      component("segmenter", "offline", "an offline method (PELT, binary segmentation, AMOC) deciding at flush()",
                {choice("method", "pelt", {"pelt", "binseg", "amoc"}, "search method"),
                 choice("cost", "mean", offline_cost_names(), "segment cost (registry kind offline_cost)"),
                 choice("penalty", "mbic", penalty_names(), "penalty per change (registry kind penalty)"),
                 optional(finite("pen_value", 0.0, 0.0, "cost units", "penalty='manual': the penalty per change")),
                 integer("min_size", 1, 1, "steps", "shortest segment (the cost's own minimum applies if larger)"),
                 integer("max_changes", 5, 0, "changes", "binseg: at most this many changes (0: no limit)", {"Q"}),
                 boolean("standardize", true, "z-score the series first"),
                 choice("missing", "skip", {"skip", "interpolate", "error"}, "missing values (NaN)")},
                "OfflineSegmenter", "predsense::offline_segmenter"));
  // ---- video transition detector (thumbnails + surprise)
  t.push_back(component(
      "transition_detector", "transition",
      "gradual transitions and cuts from thumbnails and surprise: fades, dissolves, dips, cuts",
      {integer("width", 32, 1, "pixels", "thumbnail width"),
       integer("height", 32, 1, "pixels", "thumbnail height"),
       integer("channels", 3, 1, "", "thumbnail channels"),
       integer("scale", 6, 1, "frames", "long-scale difference: x_t against x_(t-scale)"),
       integer("window", 50, 3, "frames", "baseline: quiet frames considered"),
       integer("warmup", 5, 0, "frames", "quiet frames of each signal before a span may open"),
       finite("gamma", 4.0, 0.0, "sd", "elevated: > median + max(gamma * robust sd, floor)"),
       finite("floor", 0.015, 0.0, "thumbnail units", "minimum elevation of the thumbnail difference"),
       finite("surprise_gamma", 6.0, 0.0, "sd", "as gamma, for the surprise"),
       finite("surprise_floor", 0.0, 0.0, "surprise units", "as floor, for the surprise (0: relative rule only)"),
       integer("surprise_long_window", 500, 0, "frames", "surprise sd >= upper-tail spread of this many (0: off)"),
       integer("gap", 2, 0, "frames", "non-elevated frames allowed inside a span"),
       integer("max_span", 90, 2, "frames", "a span is closed at this length"),
       finite("min_change", 0.05, 0.0, "thumbnail units", "mean |A - B| below this: the shot did not change"),
       finite("return_ratio", 0.3, 0.0, "", "D below this fraction of the largest excursion: it came back"),
       finite("max_residual", 0.4, 0.0, "", "cross-fade residual / D at most this: a dissolve"),
       finite("solid_std", 0.025, 0.0, "thumbnail units", "luma sd at most this: a solid frame"),
       integer("min_hold", 6, 0, "frames", "solid frames between two shots: >= this -> two fades, else a dip"),
       integer("max_shift", 4, 0, "pixels", "camera-motion test: shifts up to this many thumbnail pixels"),
       finite("min_motion_gain", 0.7, 0.0, "", "a shift explains the change when it removes at least this much"),
       finite("min_dissolve_change", 0.1, 0.0, "thumbnail units", "a dissolve changes the thumbnail by at least this"),
       finite("dissolve_motion", 0.75, 0.0, "", "a dissolve: at most 1 - this of its change explained by motion"),
       finite("dissolve_contrast", 0.83, 0.0, "", "a dissolve: some frame keeps at most this of the ends' contrast"),
       integer("max_dissolve", 75, 1, "frames", "a dissolve lasts at most this many frames"),
       finite("dip_level", 0.4, 0.0, "", "a frame this dark (vs both ends) makes a dip"),
       finite("cut_contrast", 2.0, 0.0, "", "a cut's step at least this times every other step in its interval")},
      "TransitionDetector", "predsense::transition_detector"));
  // ---- memory policies (MemoryStore(policy=...); Stream(memory=...))
  const auto store_params = [](std::vector<param_spec> extra, bool threshold) {
    std::vector<param_spec> p;
    if (threshold)
      p.push_back(required(finite("threshold", 0.0, -inf, "surprise units",
                                  "absolute surprise threshold: pooling below it, merging (Cambrian-S)")));
    p.push_back(integer("window", 32, 1, "frames", "sensory window (Cambrian-S sensory_window_size)"));
    p.push_back(integer("budget", 8192, 0, "tokens", "long-term budget (Cambrian-S consolidation_mem_budget)"));
    for (auto& e : extra) p.push_back(std::move(e));
    return p;
  };
  t.push_back(component(
      "memory_policy", "peak_preserving",
      "thresholds relative to the stream's own surprise (robust z): pool quiet frames, keep peaks (the default)",
      store_params({finite("z_pool", 1.0, -inf, "sd", "pool a frame 2x2 when its z < z_pool"),
                    finite("z_peak", 3.0, -inf, "sd", "a local peak at or above this is never merged"),
                    finite("z_merge", 2.0, -inf, "sd", "runs of z >= this merge over budget"),
                    finite("transient_gain", 16.0, -inf, "", "weight of a one-frame event's two spikes"),
                    integer("radius", 5, 0, "frames", "neighbourhood each side for eviction"),
                    integer("trailing", 120, 1, "frames", "frames of the robust z")},
                   false),
      "MemoryStore", "predsense::memory_store<pool_relative, peak_preserving>"));
  t.push_back(component("memory_policy", "drop_merge",
                        "Cambrian-S: merge the least surprising neighbours (threshold shared with pooling)",
                        store_params({}, true), "MemoryStore", "predsense::drop_merge"));
  t.push_back(component("memory_policy", "drop", "evict the least surprising entry", store_params({}, true),
                        "MemoryStore", "predsense::drop_least_surprising"));
  t.push_back(component("memory_policy", "fifo", "evict the oldest entry", store_params({}, true), "MemoryStore",
                        "predsense::fifo"));
  t.push_back(component("memory_policy", "uniform_stride", "keep entries evenly spread over the stream",
                        store_params({}, true), "MemoryStore", "predsense::uniform_stride"));
  t.push_back(component("memory_policy", "sinks_recent", "keep the first `sinks` entries and the newest",
                        store_params({integer("sinks", 4, 0, "entries", "first entries always kept")}, true),
                        "MemoryStore", "predsense::sinks_recent"));
  t.push_back(
      component("memory_policy", "similarity_merge", "merge adjacent entries whose pooled keys are similar",
                store_params({real("merge_threshold", 0.83, -1.0, 1.0, "cosine", "merge when cosine >= this")}, true),
                "MemoryStore", "predsense::similarity_merge"));
  t.push_back(
      component("memory_policy", "surprise_reservoir", "weighted reservoir sample by surprise",
                store_params({integer("seed", 0, 0, "", "random seed"),
                              finite("weight_floor", 1e-3, 0.0, "surprise units", "added to each weight", true)},
                             true),
                "MemoryStore", "predsense::surprise_reservoir"));
  // ---- offline costs and penalties (OfflineSegmenter(cost=..., penalty=...), pelt(...), --method pelt)
  t.push_back(component("offline_cost", "mean", "Gaussian change in mean, unit variance (min segment 1)", {}, "",
                        "predsense::normal_mean_cost", {"normal_mean"}));
  t.push_back(component("offline_cost", "meanvar", "Gaussian change in mean and variance (min segment 2)", {}, "",
                        "predsense::normal_meanvar_cost", {"normal_meanvar"}));
  t.push_back(component("offline_cost", "ed", "empirical distribution, nonparametric (min segment 1)", {}, "",
                        "predsense::empirical_distribution_cost", {"empirical_distribution"}));
  t.push_back(component("offline_cost", "linear", "piecewise linear trend, unit variance (min segment 2)", {}, "",
                        "predsense::normal_linear_trend_cost", {"normal_linear_trend"}));
  t.push_back(component("offline_cost", "linearvar", "piecewise linear trend, own variance (min segment 3)", {}, "",
                        "predsense::normal_linear_trend_var_cost", {"normal_linear_trend_var"}));
  t.push_back(component("offline_cost", "ar1", "Gaussian AR(1) per segment (min segment 3)", {}, "",
                        "predsense::normal_ar1_cost", {"normal_ar1"}));
  t.push_back(component("penalty", "mbic", "modified BIC (Zhang & Siegmund 2007; R changepoint's default)", {}, "",
                        "predsense::penalty_kind::mbic"));
  t.push_back(component("penalty", "bic", "Schwarz: (params per change) * log n", {}, "",
                        "predsense::penalty_kind::bic", {"sic"}));
  t.push_back(component("penalty", "aic", "Akaike: 2 * (params per change)", {}, "", "predsense::penalty_kind::aic"));
  t.push_back(component("penalty", "hannan_quinn", "Hannan-Quinn: 2 * (params per change) * log log n", {}, "",
                        "predsense::penalty_kind::hannan_quinn", {"hq"}));
  t.push_back(component("penalty", "none", "no penalty (binseg with max_changes; AMOC's plain test)", {}, "",
                        "predsense::penalty_kind::none"));
  t.push_back(component("penalty", "manual", "a given penalty per change",
                        {required(finite("pen_value", 0.0, 0.0, "cost units", "the penalty per change"))}, "",
                        "predsense::penalty_kind::manual"));
  return t;
}

}  // namespace detail

// Every registered component, in the order of kinds().
inline const std::vector<component_spec>& all() {
  static const std::vector<component_spec> t = detail::build_table();
  return t;
}

// The components of one kind. invalid_argument_error for an unknown kind.
inline std::vector<const component_spec*> components(const std::string& kind) {
  bool known = false;
  for (const auto& k : kinds()) known = known || k == kind;
  if (!known) {
    std::string list;
    for (const auto& k : kinds()) list += (list.empty() ? "" : ", ") + k;
    throw invalid_argument_error("predsense: registry: unknown kind '" + kind + "' (known: " + list + ")");
  }
  std::vector<const component_spec*> out;
  for (const auto& c : all())
    if (c.kind == kind) out.push_back(&c);
  return out;
}

// The names of one kind, comma-separated (for messages and help).
inline std::string names(const std::string& kind) {
  std::string s;
  for (const auto* c : components(kind)) s += (s.empty() ? "" : ", ") + c->name;
  return s;
}

// A component by name or deprecated alias (reported in `deprecated` as "old -> new").
// invalid_argument_error for an unknown name, listing the known ones.
inline const component_spec& find(const std::string& kind, const std::string& name,
                                  std::vector<std::string>* deprecated = nullptr) {
  for (const auto* c : components(kind)) {
    if (c->name == name) return *c;
    for (const auto& a : c->aliases)
      if (a == name) {
        if (deprecated) deprecated->push_back(name + " -> " + c->name);
        return *c;
      }
  }
  throw invalid_argument_error("predsense: " + kind + ": unknown " + kind + " '" + name + "' (known: " + names(kind) +
                               ")");
}

// find() + resolve(): the component's spec and every parameter's checked value.
struct resolved {
  const component_spec* spec = nullptr;
  param_values values;
};
inline resolved resolve(const std::string& kind, const std::string& name, const param_values& given,
                        std::vector<std::string>* deprecated = nullptr) {
  const auto& c = find(kind, name, deprecated);
  return {&c, resolve(c, given, deprecated)};
}

}  // namespace predsense::registry
