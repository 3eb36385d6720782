// predsense/memory/retrieval.hpp - question-time recall: the top-k memory entries for a query
// latent (any token count: a whole frame, a crop of an object, one token), best first.
//
// Two scores:
//   token_mean        - cosine between the query's token mean and each entry's pooled key (the
//                       Cambrian-S reference; one dot product per entry, but an object covering a
//                       few tokens of a frame barely moves the frame's mean);
//   late_interaction  - ColBERT's MaxSim (Khattab & Zaharia 2020, section 3.3): each query
//                       token's best cosine over the entry's tokens, averaged over the query's
//                       tokens (kernels/max_sim.hpp); finds an object wherever it is in the frame.
// Coarse to fine: with `shortlist` > 0 only the `shortlist` best entries by token_mean are scored
// by late interaction (O(entries * dim) + O(shortlist * query tokens * entry tokens * dim)).
// `informative` < 1 keeps only that fraction of the query's tokens for late interaction: those
// least like the searched entries' mean token (background every frame shares says little).
// `calibrate` standardises each query token's best cosine against its distribution over the
// scored entries ((x - median) / (1.4826 MAD)) before averaging: a token that matches something in
// every frame (a colour, an edge) then counts for little, and one that matches rarely for much -
// the analogue of IDF weighting for late interaction. Scores are then z-units, not cosines.
// Hits come best first (ties to the older entry), or in time order (`order = time`) for
// sequential questions ("where did you see it first, then?"); with `contiguity` each hit is
// followed by its neighbours (EM-LLM's contiguity buffer: events next to a relevant one are likely
// relevant too) - each hit's group in time order, groups best first, an entry listed once.
// Errors: empty_error for an empty query, shape_error for a query whose dim differs from the
// memory's, invalid_argument_error for `informative` outside (0, 1].
#pragma once

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "predsense/core/error.hpp"
#include "predsense/core/frame_view.hpp"
#include "predsense/kernels/cosine.hpp"
#include "predsense/kernels/max_sim.hpp"
#include "predsense/memory/long_term_store.hpp"
#include "predsense/memory/memory_entry.hpp"

namespace predsense {

enum class retrieval_scoring { token_mean, late_interaction };
enum class retrieval_order { best_first, time };

struct retrieval_params {
  std::size_t k = 1;           // reference retrieval_topk default
  std::size_t contiguity = 0;  // also return this many neighbours on each side of every hit
  bool include_window = true;  // search the sensory window too, not only long-term memory
  bool include_protected = false;
  retrieval_scoring scoring = retrieval_scoring::token_mean;
  std::size_t shortlist = 0;  // late_interaction: rescore only this many token_mean best (0: all)
  double informative = 1.0;   // late_interaction: fraction of query tokens used, in (0, 1]
  bool calibrate = false;     // late_interaction: each query token's best cosine as a robust z over the entries
  retrieval_order order = retrieval_order::best_first;
};

struct retrieved_entry {
  const memory_entry* entry = nullptr;  // valid until the memory changes
  frame_view data;                      // the entry's tokens (tokens x dim), borrowed likewise
  double score = 0.0;                   // token_mean: cosine; late_interaction: MaxSim mean
  std::uint64_t frame = 0;              // entry->frame: first frame stored in the entry
  double time = 0.0;                    // entry->timestamp, seconds
  bool hit = false;                     // among the top k (false: added as a neighbour)
  bool in_window = false;
};

namespace detail {
inline double median_of(std::vector<double>& v) {
  const std::size_t h = v.size() / 2;
  std::nth_element(v.begin(), v.begin() + static_cast<std::ptrdiff_t>(h), v.end());
  const double hi = v[h];
  if (v.size() % 2) return hi;
  return (*std::max_element(v.begin(), v.begin() + static_cast<std::ptrdiff_t>(h)) + hi) / 2.0;
}
// The query's tokens to use for late interaction: the ceil(fraction * m) least similar to `mean`
// (ties to the earlier token), as indices in token order.
inline std::vector<std::size_t> informative_tokens(const frame_view& q, const std::vector<float>& mean,
                                                   double fraction) {
  std::vector<std::size_t> idx(q.tokens);
  for (std::size_t i = 0; i < idx.size(); ++i) idx[i] = i;
  const auto keep = std::max<std::size_t>(
      1, std::min(q.tokens, static_cast<std::size_t>(std::ceil(fraction * static_cast<double>(q.tokens)))));
  if (keep == q.tokens) return idx;
  std::vector<double> sim(q.tokens);
  for (std::size_t i = 0; i < q.tokens; ++i) sim[i] = kernels::cosine(q.row(i), mean.data(), q.dim);
  std::stable_sort(idx.begin(), idx.end(), [&](std::size_t a, std::size_t b) { return sim[a] < sim[b]; });
  idx.resize(keep);
  std::sort(idx.begin(), idx.end());
  return idx;
}
}  // namespace detail

// `memory` is any type with memory_store's for_each(f(const memory_item&)): every stored entry
// in time order.
template <class Memory>
[[nodiscard]] std::vector<retrieved_entry> retrieve(const Memory& memory, const frame_view& query,
                                                    const retrieval_params& opt = {}) {
  detail::require_non_empty(query, "retrieval query");
  if (!(opt.informative > 0.0 && opt.informative <= 1.0))
    throw invalid_argument_error("predsense: retrieve: informative is " + std::to_string(opt.informative) +
                                 " (must be in (0, 1])");
  std::vector<float> q(query.dim);
  detail::token_mean(query, q.data());
  std::vector<retrieved_entry> all;  // time order
  memory.for_each([&](const auto& item) {
    if (item.in_window && !opt.include_window) return;
    if (item.entry.is_protected && !opt.include_protected) return;
    if (item.data.dim != query.dim)
      throw shape_error("predsense: retrieve: query dim " + std::to_string(query.dim) + " but memory dim " +
                        std::to_string(item.data.dim));
    retrieved_entry r;
    r.entry = &item.entry;
    r.data = item.data;
    r.score = kernels::cosine(q.data(), item.key(), query.dim);
    r.frame = item.entry.frame;
    r.time = item.entry.timestamp;
    r.in_window = item.in_window;
    all.push_back(r);
  });
  if (all.empty() || opt.k == 0) return {};
  std::vector<std::size_t> order(all.size());
  for (std::size_t i = 0; i < order.size(); ++i) order[i] = i;
  auto better = [&](std::size_t a, std::size_t b) {
    return all[a].score > all[b].score || (all[a].score == all[b].score && a < b);
  };

  if (opt.scoring == retrieval_scoring::late_interaction) {
    // which entries to rescore: all, or the token_mean shortlist
    std::size_t n = all.size();
    if (opt.shortlist > 0 && opt.shortlist < n) {
      std::nth_element(order.begin(), order.begin() + static_cast<std::ptrdiff_t>(opt.shortlist), order.end(), better);
      n = opt.shortlist;
    }
    std::vector<std::size_t> toks(query.tokens);
    for (std::size_t i = 0; i < toks.size(); ++i) toks[i] = i;
    if (opt.informative < 1.0) {
      std::vector<double> acc(query.dim, 0.0);  // the searched entries' mean token (mean of keys)
      memory.for_each([&](const auto& item) {
        if ((item.in_window && !opt.include_window) || (item.entry.is_protected && !opt.include_protected)) return;
        const float* k = item.key();
        for (std::size_t d = 0; d < query.dim; ++d) acc[d] += k[d];
      });
      std::vector<float> mean(query.dim);
      for (std::size_t d = 0; d < query.dim; ++d) mean[d] = static_cast<float>(acc[d]);
      toks = detail::informative_tokens(query, mean, opt.informative);
    }
    std::vector<float> qsel(toks.size() * query.dim), q_inv(toks.size()), e_inv;
    for (std::size_t i = 0; i < toks.size(); ++i)
      std::copy(query.row(toks[i]), query.row(toks[i]) + query.dim, qsel.data() + i * query.dim);
    kernels::inverse_norms(qsel.data(), toks.size(), query.dim, q_inv.data());
    std::vector<char> rescored(all.size(), 0);
    const std::size_t m = toks.size();
    std::vector<float> best(opt.calibrate ? n * m : m);
    for (std::size_t r = 0; r < n; ++r) {
      retrieved_entry& e = all[order[r]];
      e_inv.resize(e.data.tokens);
      kernels::inverse_norms(e.data.data, e.data.tokens, e.data.dim, e_inv.data());
      float* b = opt.calibrate ? best.data() + r * m : best.data();
      kernels::max_sim_each(qsel.data(), m, q_inv.data(), e.data.data, e.data.tokens, e_inv.data(), query.dim, b);
      double sum = 0.0;
      for (std::size_t i = 0; i < m; ++i) sum += b[i];
      e.score = sum / static_cast<double>(m);
      rescored[order[r]] = 1;
    }
    if (opt.calibrate) {
      std::vector<double> col(n), med(m), scale(m);
      for (std::size_t i = 0; i < m; ++i) {
        for (std::size_t r = 0; r < n; ++r) col[r] = best[r * m + i];
        med[i] = detail::median_of(col);
        for (auto& v : col) v = std::abs(v - med[i]);
        scale[i] = 1.4826 * detail::median_of(col);
        if (!(scale[i] > 0.0)) scale[i] = 1e-6;  // a token every entry matches equally: no evidence
      }
      for (std::size_t r = 0; r < n; ++r) {
        double sum = 0.0;
        for (std::size_t i = 0; i < m; ++i) sum += (best[r * m + i] - med[i]) / scale[i];
        all[order[r]].score = sum / static_cast<double>(m);
      }
    }
    if (n < all.size()) {  // entries left out of the shortlist rank below every rescored one
      std::vector<std::size_t> kept;
      for (std::size_t i = 0; i < all.size(); ++i)
        if (rescored[i]) kept.push_back(i);
      order = kept;
    }
  }

  const std::size_t k = std::min(opt.k, order.size());
  std::partial_sort(order.begin(), order.begin() + static_cast<std::ptrdiff_t>(k), order.end(), better);
  order.resize(k);
  if (opt.order == retrieval_order::time) std::sort(order.begin(), order.end());
  for (const std::size_t i : order) all[i].hit = true;
  std::vector<char> listed(all.size(), 0);
  std::vector<retrieved_entry> out;
  out.reserve(k * (2 * opt.contiguity + 1));
  if (opt.order == retrieval_order::time && opt.contiguity > 0) {  // one pass in time order
    std::vector<char> keep(all.size(), 0);
    for (const std::size_t i : order) {
      const std::size_t lo = i >= opt.contiguity ? i - opt.contiguity : 0;
      const std::size_t hi = std::min(all.size() - 1, i + opt.contiguity);
      for (std::size_t j = lo; j <= hi; ++j) keep[j] = 1;
    }
    for (std::size_t i = 0; i < all.size(); ++i)
      if (keep[i]) out.push_back(all[i]);
    return out;
  }
  for (const std::size_t i : order) {
    const std::size_t lo = i >= opt.contiguity ? i - opt.contiguity : 0;
    const std::size_t hi = std::min(all.size() - 1, i + opt.contiguity);
    for (std::size_t j = lo; j <= hi; ++j)
      if (!listed[j] && (j == i || !all[j].hit)) {
        listed[j] = 1;
        out.push_back(all[j]);
      }
  }
  return out;
}

}  // namespace predsense
