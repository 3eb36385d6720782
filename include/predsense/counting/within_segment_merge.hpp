// predsense/counting/within_segment_merge.hpp - one segment's detections -> its distinct instances.
//
// A per-frame detector sees the same object in many frames of a segment (and sometimes twice in
// one frame); counting detections would count views, not objects. Detections (one embedding
// each, row-major n x dim) are grouped by cosine similarity:
//   1. in input order, each detection joins the group whose centroid (unit-norm mean) is most
//      similar if that cosine is >= threshold, else it starts a group. Comparing with centroids
//      rather than single detections keeps view noise from chaining distinct objects together;
//   2. groups whose centroids are >= threshold apart are then joined through a union-find, so the
//      result does not depend on which detection happened to come first (transitivity);
//   3. groups with fewer than min_support detections are dropped: a one-frame glimpse is more
//      often a false positive than an object (documented skip, reported in `dropped`).
// If the detections' frame indices are given, two detections of one frame are two objects (a
// cannot-link in steps 1 and 2) unless their cosine is >= double_threshold: a detector firing
// twice on the same crop. This is what keeps look-alike objects seen together apart.
// Cost O(n g dim) for g groups, plus O(g^2 dim) for step 2; with frames, a candidate group's
// members are also scanned for same-frame detections (O(n^2) frame compares at worst, cheap next
// to the dot products for the tens of detections a segment holds).
#pragma once

#include <cstddef>
#include <limits>
#include <span>
#include <string>
#include <vector>

#include "predsense/core/error.hpp"
#include "predsense/counting/segment_answer.hpp"
#include "predsense/counting/union_find.hpp"

namespace predsense {

struct within_segment_params {
  double threshold = 0.6;          // cosine at or above which two views are the same object
  std::size_t min_support = 1;     // detections an instance needs to be counted
  double double_threshold = 0.95;  // same-frame detections at least this similar are one object
};

struct segment_instances {
  static constexpr std::size_t dropped_mark = std::numeric_limits<std::size_t>::max();
  std::size_t dim = 0;
  std::vector<float> descriptors;     // count() x dim, unit-norm centroids
  std::vector<std::size_t> support;   // detections behind each instance
  std::vector<std::size_t> group_of;  // per input detection: its instance, or dropped_mark
  std::size_t dropped = 0;            // detections in groups below min_support

  [[nodiscard]] std::size_t count() const noexcept { return support.size(); }
  // The segment's answer for the aggregators; borrows `descriptors`.
  [[nodiscard]] segment_answer answer(std::size_t begin, std::size_t end) const {
    return segment_answer{begin, end, count(), descriptors, count() ? dim : 0};
  }
};

// frames: empty, or one frame index per detection (enables the same-frame cannot-link).
inline segment_instances merge_within_segment(std::span<const float> detections, std::size_t dim,
                                              const within_segment_params& p = {},
                                              std::span<const std::size_t> frames = {}) {
  detail::require_threshold(p.threshold, "merge_within_segment");
  detail::require_threshold(p.double_threshold, "merge_within_segment (double_threshold)");
  if (p.min_support == 0) throw invalid_argument_error("predsense: merge_within_segment: min_support must be >= 1");
  segment_instances out;
  out.dim = dim;
  if (detections.empty()) return out;
  if (dim == 0) throw empty_error("predsense: merge_within_segment: detections have dim 0 (zero-length descriptors)");
  if (detections.size() % dim != 0)
    throw shape_error("predsense: merge_within_segment: " + std::to_string(detections.size()) +
                      " floats are not rows of dim " + std::to_string(dim));
  const std::size_t n = detections.size() / dim;
  if (!frames.empty() && frames.size() != n)
    throw shape_error("predsense: merge_within_segment: " + std::to_string(frames.size()) + " frame indices for " +
                      std::to_string(n) + " detections");
  // Reuse the answer validator for NaN / zero rows: it names the row and dim.
  detail::validate_segment(segment_answer{0, 1, n, detections, dim}, "merge_within_segment", true);

  std::vector<float> x(n * dim);
  for (std::size_t i = 0; i < n; ++i) detail::normalized_row(detections, dim, i, &x[i * dim]);

  // Can detection i share an instance with every detection in `members`?
  auto compatible = [&](std::size_t i, const std::vector<std::size_t>& members) {
    if (frames.empty()) return true;
    for (std::size_t j : members)
      if (frames[j] == frames[i] && detail::dot_rows(&x[i * dim], &x[j * dim], dim) < p.double_threshold) return false;
    return true;
  };

  // 1. centroid (leader) clustering in input order
  std::vector<float> sum, cen;  // g x dim running sums and unit centroids
  std::vector<std::vector<std::size_t>> members;
  std::vector<std::size_t> first_group(n);
  std::size_t g = 0;
  for (std::size_t i = 0; i < n; ++i) {
    const float* xi = &x[i * dim];
    std::size_t best = g;
    double best_s = -2.0;
    for (std::size_t k = 0; k < g; ++k) {
      const double s = detail::dot_rows(xi, &cen[k * dim], dim);
      if (s >= p.threshold && s > best_s && compatible(i, members[k])) best_s = s, best = k;
    }
    if (best == g) {
      sum.insert(sum.end(), xi, xi + dim);
      cen.insert(cen.end(), xi, xi + dim);
      members.emplace_back();
      best = g++;
    } else {
      for (std::size_t d = 0; d < dim; ++d) cen[best * dim + d] = (sum[best * dim + d] += xi[d]);
      detail::normalize_in_place(&cen[best * dim], dim);
    }
    first_group[i] = best;
    members[best].push_back(i);
  }

  // 2. join groups whose centroids match (transitive through the union-find)
  union_find uf(g);
  for (std::size_t a = 0; a < g; ++a)
    for (std::size_t b = a + 1; b < g; ++b) {
      if (detail::dot_rows(&cen[a * dim], &cen[b * dim], dim) < p.threshold) continue;
      const std::size_t ra = uf.find(a), rb = uf.find(b);
      if (ra == rb) continue;
      bool ok = true;
      for (std::size_t i : members[rb]) ok = ok && compatible(i, members[ra]);
      if (!ok) continue;
      const std::size_t r = uf.unite(ra, rb), o = r == ra ? rb : ra;
      members[r].insert(members[r].end(), members[o].begin(), members[o].end());
      members[o].clear();
    }

  // 3. final groups in order of first appearance, filtered by support
  std::vector<std::size_t> root_support(g, 0), root_index(g, segment_instances::dropped_mark);
  for (std::size_t i = 0; i < n; ++i) ++root_support[uf.find(first_group[i])];
  out.group_of.assign(n, segment_instances::dropped_mark);
  for (std::size_t i = 0; i < n; ++i) {
    const std::size_t r = uf.find(first_group[i]);
    if (root_support[r] < p.min_support) {
      ++out.dropped;
      continue;
    }
    if (root_index[r] == segment_instances::dropped_mark) {
      root_index[r] = out.support.size();
      out.support.push_back(0);
      out.descriptors.resize(out.descriptors.size() + dim, 0.0f);
    }
    const std::size_t k = root_index[r];
    out.group_of[i] = k;
    ++out.support[k];
    for (std::size_t d = 0; d < dim; ++d) out.descriptors[k * dim + d] += x[i * dim + d];
  }
  for (std::size_t k = 0; k < out.count(); ++k) detail::normalize_in_place(&out.descriptors[k * dim], dim);
  return out;
}

}  // namespace predsense
