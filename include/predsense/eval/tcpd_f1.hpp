// predsense/eval/tcpd_f1.hpp - the F1 score of the Turing Change Point Dataset benchmark (TCPDBench).
//
// Definition (van den Burg & Williams, "An Evaluation of Change Point Detection Algorithms", 2020):
//   - predictions are kept only if 1 <= x <= n_obs - 2, then de-duplicated;
//   - 0 is added to every annotator's set and to the predictions (the start of the series is always
//     a "change point", so a method that predicts nothing still scores P = 1);
//   - a true point tau matches the closest still-unused prediction within `margin` (ties go to the
//     smaller prediction); points are visited in increasing order;
//   - P = |TP(union of annotators)| / |X|;  R = mean over annotators k of |TP(T_k)| / |T_k|;
//   - F1 = P R / (R/2 + P/2).
// The operations are done in the reference's order so that the scores reproduce the published
// numbers to the last bit, not just approximately.
#pragma once

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <span>
#include <string>
#include <vector>

#include "predsense/core/error.hpp"

namespace predsense {

struct tcpd_f1_result {
  double precision = 0.0;
  double recall = 0.0;
  double f1 = 0.0;
};

namespace detail {

// Sorted, de-duplicated copy with 0 added.
inline std::vector<std::int64_t> tcpd_with_zero(std::span<const std::int64_t> v) {
  std::vector<std::int64_t> out(v.begin(), v.end());
  out.push_back(0);
  std::sort(out.begin(), out.end());
  out.erase(std::unique(out.begin(), out.end()), out.end());
  return out;
}

// Number of true points of `truth` matched one-to-one to `pred` within `margin`.
inline std::size_t tcpd_true_positives(const std::vector<std::int64_t>& truth, const std::vector<std::int64_t>& pred,
                                       std::int64_t margin) {
  std::vector<bool> used(pred.size(), false);
  std::size_t tp = 0;
  for (std::int64_t tau : truth) {
    std::size_t best = pred.size();
    std::int64_t best_d = std::numeric_limits<std::int64_t>::max();
    // pred is sorted ascending, so the first minimum found is the smaller prediction on a tie.
    for (std::size_t i = 0; i < pred.size(); ++i) {
      if (used[i]) continue;
      const std::int64_t d = pred[i] > tau ? pred[i] - tau : tau - pred[i];
      if (d < best_d) {
        best_d = d;
        best = i;
      }
    }
    if (best < pred.size() && best_d <= margin) {
      used[best] = true;
      ++tp;
    }
  }
  return tp;
}

// Keeps predictions a method may legitimately report: 1 <= x <= n - 2.
inline std::vector<std::int64_t> tcpd_clean_predictions(std::span<const std::int64_t> pred, std::size_t n_obs) {
  std::vector<std::int64_t> out;
  const auto n = static_cast<std::int64_t>(n_obs);
  for (std::int64_t x : pred)
    if (x >= 1 && x <= n - 2) out.push_back(x);
  return out;
}

inline void tcpd_check_inputs(std::span<const std::vector<std::int64_t>> annotations, std::size_t n_obs,
                              const char* what) {
  if (annotations.empty())
    throw empty_error(std::string("predsense: ") + what + ": no annotators (annotations is empty)");
  if (n_obs == 0) throw empty_error(std::string("predsense: ") + what + ": n_obs is 0");
  // An annotated change point outside the series would be scored silently otherwise.
  for (std::size_t a = 0; a < annotations.size(); ++a)
    for (std::int64_t x : annotations[a])
      if (x < 0 || x >= static_cast<std::int64_t>(n_obs))
        throw invalid_argument_error(std::string("predsense: ") + what + ": annotator " + std::to_string(a) +
                                     " marks " + std::to_string(x) + ", outside the series [0, " +
                                     std::to_string(n_obs) + ")");
}

}  // namespace detail

// F1, precision and recall of `predictions` against several annotators' change points.
inline tcpd_f1_result tcpd_f1(std::span<const std::vector<std::int64_t>> annotations,
                              std::span<const std::int64_t> predictions, std::size_t n_obs, std::int64_t margin = 5) {
  detail::tcpd_check_inputs(annotations, n_obs, "tcpd_f1");
  if (margin < 0) throw invalid_argument_error("predsense: tcpd_f1: margin must be >= 0");
  const auto cleaned = detail::tcpd_clean_predictions(predictions, n_obs);
  const auto X = detail::tcpd_with_zero(cleaned);

  std::vector<std::vector<std::int64_t>> Tk;
  std::vector<std::int64_t> all;
  for (const auto& a : annotations) {
    Tk.push_back(detail::tcpd_with_zero(a));
    all.insert(all.end(), Tk.back().begin(), Tk.back().end());
  }
  const auto Tstar = detail::tcpd_with_zero(all);

  const double K = static_cast<double>(Tk.size());
  const double P = static_cast<double>(detail::tcpd_true_positives(Tstar, X, margin)) / static_cast<double>(X.size());
  double sum = 0.0;
  for (const auto& T : Tk)
    sum += static_cast<double>(detail::tcpd_true_positives(T, X, margin)) / static_cast<double>(T.size());
  const double R = 1.0 / K * sum;
  tcpd_f1_result r;
  r.precision = P;
  r.recall = R;
  // alpha = 1/2 in the reference's weighted form; P and R are never both 0 since 0 always matches.
  r.f1 = P * R / (0.5 * R + (1.0 - 0.5) * P);
  return r;
}

}  // namespace predsense
