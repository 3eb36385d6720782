// predsense/counting/dedup_aggregator.hpp - counts distinct instances across segments, so a
// revisited place or a replayed video adds nothing.
//
// Every segment hands in one descriptor per counted instance. The aggregator keeps one cluster per
// distinct instance (unit-norm mean of its descriptors, the prototype) and, per segment:
//   1. within-segment double detections: descriptors of the segment whose cosine is >=
//      within_threshold are the same instance (joined through the union-find, so transitively).
//      A near-duplicate threshold, not the matching one: the segment's counter already separated
//      its objects, and two look-alike objects seen together must stay two;
//   2. matching: the cosine matrix between the segment's instances (k) and the prototypes (K) is
//      matched one-to-one -- mutual nearest neighbours, or greedy assignment (best pair first) --
//      keeping pairs >= threshold. One-to-one because two objects seen together in one segment
//      are two objects, however alike; unmatched instances start new clusters;
//   3. bridging (optional): if a segment instance also reaches >= bridge_threshold with a second,
//      unmatched cluster, and the two clusters never appeared in the same segment, they were one
//      object split earlier (a noisy first view) and are joined. Its threshold is stricter than
//      the matching one: a wrong match costs one descriptor, a wrong bridge fuses two objects and
//      compounds over revisits (with bridge_threshold = threshold the VSC world's 120-min, 5x
//      repeat MRA fell from 0.97 to 0.83).
// count() = number of clusters, readable after any segment. Every input descriptor is a node of a
// union-find, so same_instance(a, b) answers for any two descriptors added so far.
// Cost per segment O(k^2 dim + k K dim) (+ O(k K log(k K)) for the assignment): over a stream of
// N descriptors with K distinct instances O(N K dim); memory O(N + K dim).
// Saved and restored bit for bit by io/state_file.hpp (visit_state below); Python pickles it.
#pragma once

#include <concepts>
#include <algorithm>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <string>
#include <tuple>
#include <vector>

#include "predsense/core/error.hpp"
#include "predsense/counting/segment_answer.hpp"
#include "predsense/counting/union_find.hpp"

namespace predsense {

enum class instance_matching { mutual_nearest, greedy_assignment };

struct dedup_params {
  double threshold = 0.6;  // cosine at or above which two descriptors are the same instance
  instance_matching matching = instance_matching::mutual_nearest;
  bool merge_within = true;  // step 1
  double within_threshold = 0.9;
  bool bridge = true;             // step 3
  double bridge_threshold = 0.8;  // stricter than `threshold`: a wrong bridge joins two objects for good
};

class dedup_aggregator {
 public:
  dedup_aggregator() : dedup_aggregator(dedup_params{}) {}
  template <std::same_as<dedup_params> Params = dedup_params>
  explicit dedup_aggregator(const Params& p) : p_(p) {
    detail::require_threshold(p.threshold, "dedup_aggregator");
    detail::require_threshold(p.bridge_threshold, "dedup_aggregator (bridge_threshold)");
    detail::require_threshold(p.within_threshold, "dedup_aggregator (within_threshold)");
  }

  void add(const segment_answer& s) {
    detail::validate_segment(s, "dedup_aggregator", true);
    detail::validate_order(s, end_, segments_ > 0, "dedup_aggregator");
    if (s.count > 0) {
      if (dim_ == 0) dim_ = s.dim;
      if (s.dim != dim_)
        throw shape_error("predsense: dedup_aggregator: segment [" + std::to_string(s.begin) + ", " +
                          std::to_string(s.end) + ") has descriptors of dim " + std::to_string(s.dim) +
                          " but earlier ones have dim " + std::to_string(dim_));
      add_instances(s);
    }
    end_ = s.end;
    ++segments_;
  }

  [[nodiscard]] std::size_t count() const noexcept { return alive_; }
  [[nodiscard]] std::size_t segments() const noexcept { return segments_; }
  // Descriptors added so far (over all segments, in order): the nodes of same_instance().
  [[nodiscard]] std::size_t descriptors() const noexcept { return uf_.size(); }
  [[nodiscard]] bool same_instance(std::size_t a, std::size_t b) {
    if (a >= uf_.size() || b >= uf_.size())
      throw invalid_argument_error("predsense: dedup_aggregator: descriptor index out of range");
    return uf_.same(a, b);
  }
  void reset() { *this = dedup_aggregator(p_); }

  // State (io/state_file.hpp): the parameters, every descriptor's union-find node, each cluster
  // (root, descriptor sum, segments) and the prototypes, checked against each other on load.
  static constexpr const char* state_kind = "dedup_aggregator";
  template <class A>
  void visit_state(A& a) {
    std::int64_t matching = p_.matching == instance_matching::mutual_nearest ? 0 : 1;
    a.param("threshold", p_.threshold);
    a.param("matching", matching);
    a.param("merge_within", p_.merge_within);
    a.param("within_threshold", p_.within_threshold);
    a.param("bridge", p_.bridge);
    a.param("bridge_threshold", p_.bridge_threshold);
    a.require(matching == 0 || matching == 1, "matching", "must be 0 (mutual_nearest) or 1 (greedy_assignment)");
    p_.matching = matching == 0 ? instance_matching::mutual_nearest : instance_matching::greedy_assignment;
    a.validated([&] { *this = dedup_aggregator(p_); });
    a.field("dim", dim_);
    a.field("end", end_);
    a.field("segments", segments_);
    a.field("alive", alive_);
    a.nested("uf", uf_);
    a.each("clusters", clusters_, [](auto& b, cluster& c) {
      b.field("root", c.root);
      b.field("sum", c.sum);
      b.field("segs", c.segs);
      b.field("alive", c.alive);
    });
    a.field("proto", proto_);
    if constexpr (A::loading) {
      bool ok = proto_.size() == clusters_.size() * dim_ && alive_ == clusters_.size();
      for (const cluster& c : clusters_) {
        ok = ok && c.alive && c.root < uf_.size() && c.sum.size() == dim_ && !c.segs.empty() &&
             std::is_sorted(c.segs.begin(), c.segs.end()) && c.segs.back() < segments_;
        for (float v : c.sum) ok = ok && std::isfinite(v);
      }
      for (float v : proto_) ok = ok && std::isfinite(v);
      a.require(ok, "clusters",
                "clusters, prototypes (clusters x dim), live count, roots and segments do not fit together");
      a.require(segments_ > 0 || (uf_.size() == 0 && end_ == 0), "segments", "descriptors without segments");
    }
  }

 private:
  static constexpr std::size_t none = std::numeric_limits<std::size_t>::max();

  struct cluster {
    std::size_t root = 0;             // a union-find node of the cluster
    std::vector<float> sum;           // sum of unit descriptors
    std::vector<std::uint32_t> segs;  // segments it appeared in (ascending)
    bool alive = true;
  };

  static bool disjoint(const std::vector<std::uint32_t>& a, const std::vector<std::uint32_t>& b) {
    std::size_t i = 0, j = 0;
    while (i < a.size() && j < b.size()) {
      if (a[i] == b[j]) return false;
      (a[i] < b[j]) ? ++i : ++j;
    }
    return true;
  }

  void set_proto(std::size_t c) {
    std::copy(clusters_[c].sum.begin(), clusters_[c].sum.end(), proto_.begin() + std::ptrdiff_t(c * dim_));
    detail::normalize_in_place(&proto_[c * dim_], dim_);
  }

  void add_instances(const segment_answer& s) {
    const std::size_t n = s.count, D = dim_;
    const auto seg = static_cast<std::uint32_t>(segments_);
    const std::size_t first_node = uf_.grow(uf_.size() + n);
    std::vector<float> x(n * D);
    for (std::size_t i = 0; i < n; ++i) detail::normalized_row(s.descriptors, D, i, &x[i * D]);

    // 1. within-segment merge -> k groups (group g: representative node, unit mean in gx)
    if (p_.merge_within)
      for (std::size_t a = 0; a < n; ++a)
        for (std::size_t b = a + 1; b < n; ++b)
          if (detail::dot_rows(&x[a * D], &x[b * D], D) >= p_.within_threshold)
            uf_.unite(first_node + a, first_node + b);
    std::vector<std::size_t> rep;  // group -> a node
    std::vector<float> gx;         // group sums, then unit means
    std::vector<std::size_t> group_of_root(n, none);
    for (std::size_t i = 0; i < n; ++i) {
      const std::size_t r = uf_.find(first_node + i) - first_node;
      if (group_of_root[r] == none) {
        group_of_root[r] = rep.size();
        rep.push_back(first_node + i);
        gx.resize(gx.size() + D, 0.0f);
      }
      const std::size_t g = group_of_root[r];
      for (std::size_t d = 0; d < D; ++d) gx[g * D + d] += x[i * D + d];
    }
    const std::size_t k = rep.size();
    std::vector<float> gsum(gx);  // keep the raw sums: prototypes average descriptors, not groups
    for (std::size_t g = 0; g < k; ++g) detail::normalize_in_place(&gx[g * D], D);

    // 2. similarities to the K live prototypes, then one-to-one matching
    const std::size_t K = clusters_.size();
    std::vector<double> S(k * K);
    for (std::size_t g = 0; g < k; ++g)
      for (std::size_t c = 0; c < K; ++c) S[g * K + c] = detail::dot_rows(&gx[g * D], &proto_[c * D], D);
    std::vector<std::size_t> match(k, none), matched_by(K, none);
    if (p_.matching == instance_matching::mutual_nearest) {
      std::vector<std::size_t> best_c(k, none), best_g(K, none);
      for (std::size_t g = 0; g < k; ++g)
        for (std::size_t c = 0; c < K; ++c) {
          if (best_c[g] == none || S[g * K + c] > S[g * K + best_c[g]]) best_c[g] = c;
          if (best_g[c] == none || S[g * K + c] > S[best_g[c] * K + c]) best_g[c] = g;
        }
      for (std::size_t g = 0; g < k; ++g) {
        const std::size_t c = best_c[g];
        if (c != none && best_g[c] == g && S[g * K + c] >= p_.threshold) match[g] = c, matched_by[c] = g;
      }
    } else {
      std::vector<std::tuple<double, std::size_t, std::size_t>> pairs;
      for (std::size_t g = 0; g < k; ++g)
        for (std::size_t c = 0; c < K; ++c)
          if (S[g * K + c] >= p_.threshold) pairs.emplace_back(-S[g * K + c], g, c);
      std::sort(pairs.begin(), pairs.end());
      for (const auto& [negs, g, c] : pairs)
        if (match[g] == none && matched_by[c] == none) match[g] = c, matched_by[c] = g;
    }

    // apply: join matched groups, start clusters for the rest
    for (std::size_t g = 0; g < k; ++g) {
      std::size_t c = match[g];
      if (c == none) {
        c = clusters_.size();
        clusters_.push_back(cluster{rep[g], std::vector<float>(D, 0.0f), {}, true});
        proto_.resize(proto_.size() + D);
        ++alive_;
      } else {
        clusters_[c].root = uf_.unite(clusters_[c].root, rep[g]);
      }
      auto& cl = clusters_[c];
      for (std::size_t d = 0; d < D; ++d) cl.sum[d] += gsum[g * D + d];
      cl.segs.push_back(seg);
    }

    // 3. bridging: a matched group also close to a cluster nobody matched in this segment
    bool merged = false;
    if (p_.bridge)
      for (std::size_t g = 0; g < k; ++g) {
        const std::size_t c = match[g];
        if (c == none) continue;
        for (std::size_t c2 = 0; c2 < K; ++c2) {
          if (c2 == c || matched_by[c2] != none || !clusters_[c2].alive) continue;
          if (S[g * K + c2] < p_.bridge_threshold || !disjoint(clusters_[c].segs, clusters_[c2].segs)) continue;
          auto& a = clusters_[c];
          auto& b = clusters_[c2];
          a.root = uf_.unite(a.root, b.root);
          for (std::size_t d = 0; d < D; ++d) a.sum[d] += b.sum[d];
          std::vector<std::uint32_t> u;
          std::merge(a.segs.begin(), a.segs.end(), b.segs.begin(), b.segs.end(), std::back_inserter(u));
          a.segs = std::move(u);
          b.alive = false;
          --alive_;
          merged = true;
        }
      }
    if (merged) compact();
    for (std::size_t c = 0; c < clusters_.size(); ++c)
      if (c >= K || matched_by[c] != none || merged) set_proto(c);
  }

  void compact() {
    std::size_t w = 0;
    for (std::size_t c = 0; c < clusters_.size(); ++c)
      if (clusters_[c].alive) {
        if (w != c) clusters_[w] = std::move(clusters_[c]);
        ++w;
      }
    clusters_.resize(w);
    proto_.resize(w * dim_);
  }

  dedup_params p_;
  std::size_t dim_ = 0, end_ = 0, segments_ = 0, alive_ = 0;
  union_find uf_;
  std::vector<cluster> clusters_;
  std::vector<float> proto_;  // clusters_.size() x dim_, unit-norm prototypes
};

}  // namespace predsense
