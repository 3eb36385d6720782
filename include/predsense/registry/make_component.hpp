// predsense/registry/make_component.hpp - builds a registered component from its name and values.
//
// The factories of the registry (predsense/registry/registry.hpp): each takes a component name (or
// deprecated alias) and the given parameter values, resolves them through the one validator
// (registry::resolve: types, ranges, NaN refused, defaults filled) and returns the component, or
// its parameter block where the component needs more than parameters (a transition detector's
// thumbnails, a memory store's policy template). Deprecated names used are appended to
// `deprecated` ("old -> new") for the caller to warn about.
//
// A segmenter is one of the streaming segmenter types (std::variant segmenter_variant); a
// predictor, metric or normalizer likewise. Memory policies are built by the Python MemoryStore
// (one store type per policy) from the resolved values.
// Errors: invalid_argument_error (unknown name, unknown parameter, value out of range or NaN).
#pragma once

#include <limits>
#include <string>
#include <variant>
#include <vector>

#include "predsense/predictors/copy_last.hpp"
#include "predsense/predictors/ema_predictor.hpp"
#include "predsense/predictors/rls_predictor.hpp"
#include "predsense/registry/registry.hpp"
#include "predsense/segmentation/offline/costs/penalty.hpp"
#include "predsense/segmentation/offline/offline_change_points.hpp"
#include "predsense/segmentation/offline/offline_segmenter.hpp"
#include "predsense/segmentation/series/missing_values.hpp"
#include "predsense/segmentation/streaming/adaptive_segmenter.hpp"
#include "predsense/segmentation/streaming/bocpd_segmenter.hpp"
#include "predsense/segmentation/streaming/peak_segmenter.hpp"
#include "predsense/segmentation/streaming/threshold_segmenter.hpp"
#include "predsense/segmentation/video/cut_segmenter.hpp"
#include "predsense/segmentation/video/transition_detector.hpp"
#include "predsense/surprise/ema_normalizer.hpp"
#include "predsense/surprise/gaussian_nll.hpp"
#include "predsense/surprise/l2_distance.hpp"
#include "predsense/surprise/mse.hpp"
#include "predsense/surprise/pooled_cosine_distance.hpp"
#include "predsense/surprise/token_cosine_distance.hpp"
#include "predsense/surprise/zscore_normalizer.hpp"

namespace predsense::registry {

// ---- parameter blocks from resolved values (registry names -> the C++ fields) --------------------
inline threshold_segmenter_params threshold_params(const param_values& v) {
  threshold_segmenter_params p;
  if (!is_none(v, "threshold")) p.threshold = real(v, "threshold");
  p.min_gap = size(v, "min_separation");
  p.z_threshold = real(v, "z_threshold");
  p.window = size(v, "window");
  return p;
}
inline adaptive_segmenter_params adaptive_params(const param_values& v) {
  return {size(v, "window"), real(v, "gamma"), size(v, "min_block"), size(v, "max_block"), size(v, "min_history")};
}
inline peak_segmenter_params peak_params(const param_values& v) {
  return {real(v, "threshold"), real(v, "prominence"), size(v, "min_separation"),
          size(v, "lookahead"), size(v, "window"),     real(v, "relative_prominence")};
}
inline bocpd_params bocpd_model_params(const param_values& v) {
  bocpd_params b;
  b.lambda = real(v, "lambda"), b.mu0 = real(v, "mu0"), b.kappa0 = real(v, "kappa0"), b.alpha0 = real(v, "alpha0");
  b.beta0 = real(v, "beta0"), b.prune_mass = real(v, "prune_mass");
  return b;
}
inline bocpd_segmenter_params bocpd_params_of(const param_values& v) {
  bocpd_segmenter_params p;
  p.model = bocpd_model_params(v);
  p.lag = size(v, "lag");
  p.peaks.threshold = real(v, "threshold");
  p.peaks.prominence = real(v, "prominence");
  p.peaks.min_separation = size(v, "min_separation");
  p.peaks.lookahead = size(v, "lookahead");
  p.standardize = flag(v, "standardize");
  p.skip_first = flag(v, "skip_first");
  p.max_abs_z = real(v, "max_abs_z");
  return p;
}
inline cut_segmenter_params cut_params(const param_values& v) {
  cut_segmenter_params p;
  p.window = size(v, "window"), p.long_window = size(v, "long_window"), p.min_history = size(v, "min_history");
  p.gamma = real(v, "gamma"), p.prominence = real(v, "prominence");
  p.absolute_prominence = real(v, "absolute_prominence"), p.floor = real(v, "floor");
  p.lookahead = size(v, "lookahead"), p.min_gap = size(v, "min_separation");
  return p;
}
// penalty 'manual' needs pen_value; the others refuse it.
inline penalty penalty_of(const std::string& name, const param_values& v) {
  const auto& c = find("penalty", name);
  const bool manual = c.name == "manual";
  const bool given = v.count("pen_value") && !is_none(v, "pen_value");
  if (manual && !given) throw invalid_argument_error("predsense: penalty 'manual': parameter 'pen_value' is required");
  if (!manual && given)
    throw invalid_argument_error("predsense: penalty '" + c.name + "': parameter 'pen_value' applies only to 'manual'");
  return parse_penalty(c.name, manual ? real(v, "pen_value") : 0.0);
}
inline offline_segmenter_params offline_params_of(const param_values& v) {
  offline_segmenter_params p;
  p.method.method = parse_offline_method(text(v, "method"));
  p.method.cost = parse_cost_kind(text(v, "cost"));
  p.method.penalty = penalty_of(text(v, "penalty"), v);
  p.method.min_size = size(v, "min_size");
  const auto q = size(v, "max_changes");
  p.method.max_changes = q == 0 ? std::numeric_limits<std::size_t>::max() : q;
  p.method.missing = parse_missing_policy(text(v, "missing"));
  p.standardize = flag(v, "standardize");
  return p;
}
inline transition_detector_params transition_params(const param_values& v) {
  transition_detector_params p;
  p.width = size(v, "width"), p.height = size(v, "height"), p.channels = size(v, "channels");
  p.scale = size(v, "scale"), p.window = size(v, "window"), p.warmup = size(v, "warmup");
  p.gamma = real(v, "gamma"), p.floor = real(v, "floor"), p.surprise_gamma = real(v, "surprise_gamma");
  p.surprise_floor = real(v, "surprise_floor"), p.surprise_long_window = size(v, "surprise_long_window");
  p.gap = size(v, "gap"), p.max_span = size(v, "max_span"), p.min_change = real(v, "min_change");
  p.return_ratio = real(v, "return_ratio"), p.max_residual = real(v, "max_residual");
  p.solid_std = real(v, "solid_std"), p.min_hold = size(v, "min_hold"), p.max_shift = size(v, "max_shift");
  p.min_motion_gain = real(v, "min_motion_gain"), p.min_dissolve_change = real(v, "min_dissolve_change");
  p.dissolve_motion = real(v, "dissolve_motion"), p.dissolve_contrast = real(v, "dissolve_contrast");
  p.max_dissolve = size(v, "max_dissolve"), p.dip_level = real(v, "dip_level");
  p.cut_contrast = real(v, "cut_contrast");
  return p;
}
// Every parameter of a transition_detector_params checked by the registry (the one validator).
inline void validate(const transition_detector_params& p) {
  p.validate();  // registry::resolve of p.values(), then the thumbnail size
}

// ---- components -------------------------------------------------------------------------------
using segmenter_variant = std::variant<threshold_segmenter, adaptive_segmenter, peak_segmenter, bocpd_segmenter,
                                       cut_segmenter, offline_segmenter>;
using predictor_variant = std::variant<copy_last, ema_predictor, rls_predictor>;
using metric_variant =
    std::variant<token_cosine_distance<>, pooled_cosine_distance<>, mse<>, l2_distance<>, gaussian_nll<>>;
using normalizer_variant = std::variant<zscore_normalizer, ema_normalizer>;

inline segmenter_variant make_segmenter(const std::string& name, const param_values& given = {},
                                        std::vector<std::string>* deprecated = nullptr) {
  const auto r = resolve("segmenter", name, given, deprecated);
  const auto& n = r.spec->name;
  const auto& v = r.values;
  if (n == "threshold") return threshold_segmenter(threshold_params(v));
  if (n == "adaptive") return adaptive_segmenter(adaptive_params(v));
  if (n == "peak") return peak_segmenter(peak_params(v));
  if (n == "bocpd") return bocpd_segmenter(bocpd_params_of(v), 1);
  if (n == "cut") return cut_segmenter(cut_params(v));
  return offline_segmenter(offline_params_of(v));  // "offline"
}

inline predictor_variant make_predictor(const std::string& name, const param_values& given = {},
                                        std::vector<std::string>* deprecated = nullptr) {
  const auto r = resolve("predictor", name, given, deprecated);
  const auto& v = r.values;
  if (r.spec->name == "copy_last") return copy_last{};
  if (r.spec->name == "ema") return ema_predictor(real(v, "alpha"));
  return rls_predictor(rls_params{text(v, "mode") == "pooled" ? rls_mode::pooled : rls_mode::per_token,
                                  real(v, "forgetting"), real(v, "ridge"), flag(v, "residual"), flag(v, "bias"),
                                  size(v, "token_stride")});
}

inline metric_variant make_metric(const std::string& name, const param_values& given = {},
                                  std::vector<std::string>* deprecated = nullptr) {
  const auto r = resolve("metric", name, given, deprecated);
  const auto& n = r.spec->name;
  if (n == "token_cosine") return token_cosine_distance<>{};
  if (n == "pooled_cosine") return pooled_cosine_distance<>{};
  if (n == "mse") return mse<>{};
  if (n == "l2") return l2_distance<>{};
  return gaussian_nll<>(real(r.values, "prior_var"), real(r.values, "min_var"));
}

inline normalizer_variant make_normalizer(const std::string& name, const param_values& given = {},
                                          std::vector<std::string>* deprecated = nullptr) {
  const auto r = resolve("normalizer", name, given, deprecated);
  if (r.spec->name == "zscore") return zscore_normalizer(real(r.values, "min_std"));
  return ema_normalizer(real(r.values, "alpha"), real(r.values, "eps"));
}

inline cost_kind make_cost(const std::string& name, std::vector<std::string>* deprecated = nullptr) {
  return parse_cost_kind(find("offline_cost", name, deprecated).name);
}

inline penalty make_penalty(const std::string& name, const param_values& given = {},
                            std::vector<std::string>* deprecated = nullptr) {
  const auto r = resolve("penalty", name, given, deprecated);
  return penalty_of(r.spec->name, r.values);
}

}  // namespace predsense::registry
