// predsense/segmentation/offline/costs/penalty.hpp - the penalty per change point of offline methods.
//
// An offline method minimises  sum over segments of [C(segment) + L(segment)] + beta * (changes),
// where C is the segment cost (change_point_cost.hpp), beta the penalty per change, and L a
// segment-length term that only MBIC has. With n = number of (observed) rows and p = parameters
// per segment of the cost (dims for a change in mean, 2 dims for mean and variance):
//
//   none          beta = 0
//   sic / bic     beta = (p + 1) log n                (Schwarz 1978; p segment parameters + the location)
//   mbic          beta = (p + 2) log n, L = log(m)     (R changepoint's "MBIC", after Zhang & Siegmund
//                                                     2007; m = segment length. Their criterion is
//                                                     3k log n + sum log(m_i / n) = 2k log n + sum log m_i
//                                                     - log n: changepoint's is stricter by log n per change)
//   aic           beta = 2 (p + 1)                    (Akaike 1974)
//   hannan_quinn  beta = 2 (p + 1) log log n          (Hannan & Quinn 1979)
//   manual        beta = the value given (>= 0)
//
// These are R changepoint's definitions (penalty_decision, cost functions *_mbic; Killick & Eckley
// 2014, changepoint >= 2.3: SIC counts the change location as a parameter). For a change in mean
// of a univariate series, MBIC is 3 log n per change plus log(m) per segment, TCPDBench's default.
//
// Errors: invalid_argument_error for a negative or non-finite manual value, an unknown name, or a
// series too short for the log terms (n < 3 for hannan_quinn, n < 2 otherwise).
#pragma once

#include <cmath>
#include <cstddef>
#include <string>
#include <string_view>

#include "predsense/core/error.hpp"

namespace predsense {

enum class penalty_kind { none, bic, mbic, aic, hannan_quinn, manual };

struct penalty {
  penalty_kind kind = penalty_kind::mbic;
  double manual_value = 0.0;  // used when kind == manual

  // beta for n rows and p parameters per segment.
  double per_change(std::size_t n, std::size_t p) const {
    const double np1 = static_cast<double>(p) + 1.0;
    const double ln = std::log(static_cast<double>(n));
    switch (kind) {
      case penalty_kind::none:
        return 0.0;
      case penalty_kind::bic:
        require(n, 2);
        return np1 * ln;
      case penalty_kind::mbic:
        require(n, 2);
        return (np1 + 1.0) * ln;
      case penalty_kind::aic:
        return 2.0 * np1;
      case penalty_kind::hannan_quinn:
        require(n, 3);
        return 2.0 * np1 * std::log(ln);
      case penalty_kind::manual:
        if (!(manual_value >= 0.0) || !std::isfinite(manual_value))
          throw invalid_argument_error("predsense: manual penalty must be finite and >= 0, got " +
                                       std::to_string(manual_value));
        return manual_value;
    }
    return 0.0;
  }
  // L(m): MBIC's segment-length term, 0 for the others.
  double segment_term(std::size_t m) const {
    return kind == penalty_kind::mbic ? std::log(static_cast<double>(m)) : 0.0;
  }
  // Largest amount by which L breaks C(s,u) + C(u,t) <= C(s,t) on n rows: log(m1) + log(m2) - log(m1 + m2)
  // <= log(n / 4). PELT keeps this much slack in its pruning so that it stays exact under MBIC.
  double pruning_slack(std::size_t n) const {
    return kind == penalty_kind::mbic && n >= 4 ? std::log(static_cast<double>(n) / 4.0) : 0.0;
  }

 private:
  static void require(std::size_t n, std::size_t at_least) {
    if (n < at_least)
      throw invalid_argument_error("predsense: penalty needs a series of at least " + std::to_string(at_least) +
                                   " rows, got " + std::to_string(n));
  }
};

inline penalty parse_penalty(std::string_view name, double manual_value = 0.0) {
  if (name == "none" || name == "None") return {penalty_kind::none, 0.0};
  if (name == "bic" || name == "BIC" || name == "sic" || name == "SIC") return {penalty_kind::bic, 0.0};
  if (name == "mbic" || name == "MBIC") return {penalty_kind::mbic, 0.0};
  if (name == "aic" || name == "AIC") return {penalty_kind::aic, 0.0};
  if (name == "hannan_quinn" || name == "hq" || name == "Hannan-Quinn") return {penalty_kind::hannan_quinn, 0.0};
  if (name == "manual") return {penalty_kind::manual, manual_value};
  throw invalid_argument_error("predsense: unknown penalty '" + std::string(name) +
                               "' (known: none, bic/sic, mbic, aic, hannan_quinn, manual)");
}

inline const char* penalty_name(penalty_kind k) {
  switch (k) {
    case penalty_kind::none:
      return "none";
    case penalty_kind::bic:
      return "bic";
    case penalty_kind::mbic:
      return "mbic";
    case penalty_kind::aic:
      return "aic";
    case penalty_kind::hannan_quinn:
      return "hannan_quinn";
    case penalty_kind::manual:
      return "manual";
  }
  return "?";
}

}  // namespace predsense
