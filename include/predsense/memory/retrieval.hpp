// predsense/memory/retrieval.hpp - question-time recall: the top-k memory entries by cosine
// between a query latent and each entry's pooled key (mean over its tokens), returned in time
// order, optionally with each hit's neighbours (EM-LLM's contiguity buffer: events next to a
// relevant one are likely relevant too).
#pragma once

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <vector>

#include "predsense/core/frame_view.hpp"
#include "predsense/kernels/cosine.hpp"
#include "predsense/memory/long_term_store.hpp"
#include "predsense/memory/memory_entry.hpp"

namespace predsense {

struct retrieval_params {
  std::size_t k = 1;           // reference retrieval_topk default
  std::size_t contiguity = 0;  // also return this many neighbours on each side of every hit
  bool include_window = true;  // search the sensory window too, not only long-term memory
  bool include_protected = false;
};

struct retrieved_entry {
  const memory_entry* entry = nullptr;  // valid until the memory changes
  frame_view data;
  double similarity = 0.0;  // cosine of pooled key and pooled query
  bool hit = false;         // among the top k (false: added as a neighbour)
  bool in_window = false;
};

// `memory` is any type with memory_store's for_each(f(const memory_item&)): every stored entry
// in time order.
template <class Memory>
[[nodiscard]] std::vector<retrieved_entry> retrieve(const Memory& memory, const frame_view& query,
                                                    const retrieval_params& opt = {}) {
  detail::require_non_empty(query, "retrieval query");
  std::vector<float> q(query.dim);
  detail::token_mean(query, q.data());
  std::vector<retrieved_entry> all;
  memory.for_each([&](const auto& item) {
    if (item.in_window && !opt.include_window) return;
    if (item.entry.is_protected && !opt.include_protected) return;
    if (item.data.dim != query.dim)
      throw shape_error("predsense: retrieve: query dim " + std::to_string(query.dim) + " but memory dim " +
                        std::to_string(item.data.dim));
    all.push_back({&item.entry, item.data, kernels::cosine(q.data(), item.key(), query.dim), false, item.in_window});
  });
  if (all.empty() || opt.k == 0) return {};
  // Rank by similarity, ties to the older entry; `all` is in time order, so index breaks ties.
  std::vector<std::size_t> order(all.size());
  for (std::size_t i = 0; i < order.size(); ++i) order[i] = i;
  const std::size_t k = std::min(opt.k, all.size());
  std::partial_sort(order.begin(), order.begin() + static_cast<std::ptrdiff_t>(k), order.end(),
                    [&](std::size_t a, std::size_t b) {
                      return all[a].similarity > all[b].similarity || (all[a].similarity == all[b].similarity && a < b);
                    });
  std::vector<char> keep(all.size(), 0);
  for (std::size_t r = 0; r < k; ++r) {
    const std::size_t i = order[r];
    all[i].hit = true;
    const std::size_t lo = i >= opt.contiguity ? i - opt.contiguity : 0;
    const std::size_t hi = std::min(all.size() - 1, i + opt.contiguity);
    for (std::size_t j = lo; j <= hi; ++j) keep[j] = 1;
  }
  std::vector<retrieved_entry> out;
  for (std::size_t i = 0; i < all.size(); ++i)
    if (keep[i]) out.push_back(all[i]);
  return out;  // time order
}

}  // namespace predsense
