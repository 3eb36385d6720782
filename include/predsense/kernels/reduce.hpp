// predsense/kernels/reduce.hpp - one pairwise float reduction, written once over an operation.
//
// dot, squared_l2, squared_norm and dot_norms are the same loop: walk two float vectors, fold
// each pair into accumulators, sum the lanes, finish the tail. This header is that loop; each
// kernel is an Op (the Arch-free analogue of xsimd's kernel-per-operation style):
//
//   struct Op {
//     using acc = ...;     // SIMD accumulator state (one batch, or several for a fused op)
//     using value = ...;   // the result (float, or a struct of floats)
//     static acc zero();
//     static void step(acc&, batch x, batch y);          // fold one batch pair
//     static acc add(const acc&, const acc&);            // combine two accumulator states
//     static value lanes(const acc&);                     // horizontal sum
//     static void step(value&, float x, float y);         // fold one scalar pair (tail, twin)
//   };
//
// reduce<Unroll, Op> keeps Unroll independent accumulator states (to hide FMA latency), folds
// the remaining full batches into the first, combines them as a balanced tree ((c0 + c1) +
// (c2 + c3)), sums lanes and folds the scalar tail left to right. scalar_reduce<Op> is the twin:
// one scalar accumulator, left to right. The kernels' results are what they were before this
// header existed, bit for bit (tested against stored values of the old loops' arithmetic order).
#pragma once

#include <array>
#include <cstddef>

#include "predsense/kernels/simd.hpp"

namespace predsense::kernels {

template <class Op>
typename Op::value scalar_reduce(const float* a, const float* b, std::size_t n) noexcept {
  typename Op::value r{};
  for (std::size_t i = 0; i < n; ++i) Op::step(r, a[i], b[i]);
  return r;
}

}  // namespace predsense::kernels

#if PREDSENSE_SIMD
namespace predsense::detail {
template <class Op, std::size_t U>
typename Op::acc tree_sum(const std::array<typename Op::acc, U>& c) noexcept {
  static_assert(U == 1 || U == 2 || U == 4, "unroll by 1, 2 or 4");
  if constexpr (U == 1)
    return c[0];
  else if constexpr (U == 2)
    return Op::add(c[0], c[1]);
  else
    return Op::add(Op::add(c[0], c[1]), Op::add(c[2], c[3]));
}
}  // namespace predsense::detail
#endif

namespace predsense::kernels {

template <std::size_t Unroll, class Op>
typename Op::value reduce(const float* a, const float* b, std::size_t n) noexcept {
#if PREDSENSE_SIMD
  namespace s = predsense::detail::simd;
  constexpr std::size_t W = s::width;
  std::array<typename Op::acc, Unroll> c;
  c.fill(Op::zero());
  std::size_t i = 0;
  for (; i + Unroll * W <= n; i += Unroll * W)
    for (std::size_t u = 0; u < Unroll; ++u) Op::step(c[u], s::load(a + i + u * W), s::load(b + i + u * W));
  for (; i + W <= n; i += W) Op::step(c[0], s::load(a + i), s::load(b + i));
  typename Op::value r = Op::lanes(predsense::detail::tree_sum<Op, Unroll>(c));
  for (; i < n; ++i) Op::step(r, a[i], b[i]);
  return r;
#else
  return scalar_reduce<Op>(a, b, n);
#endif
}

}  // namespace predsense::kernels
