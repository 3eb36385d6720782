// predsense/kernels/simd.hpp - the thin shim between the kernels and xsimd 8.1.
//
// The SIMD architecture is the widest one the compiler flags enable (xsimd::default_arch), so
// -march=native on an AVX-512 machine gives 16-float batches and plain x86-64 gives SSE2.
// Define PREDSENSE_NO_XSIMD (CMake: -DPREDSENSE_USE_XSIMD=OFF) to compile every kernel through its
// scalar twin instead; without the CMake target, xsimd is used when its header is found.
#pragma once

#include <cstddef>

#if !defined(PREDSENSE_NO_XSIMD) && (defined(PREDSENSE_USE_XSIMD) || __has_include(<xsimd/xsimd.hpp>))
#include <xsimd/xsimd.hpp>
#define PREDSENSE_SIMD 1
#else
#define PREDSENSE_SIMD 0
#endif

namespace predsense::detail::simd {

#if PREDSENSE_SIMD
using batch = xsimd::batch<float>;
inline constexpr std::size_t width = batch::size;

inline batch load(const float* p) noexcept { return batch::load_unaligned(p); }
inline void store(float* p, const batch& b) noexcept { b.store_unaligned(p); }
// xsimd 8.1 spells the horizontal sum `hadd` (`reduce_add` arrived in 9.0).
inline float sum(const batch& b) noexcept { return xsimd::hadd(b); }
inline batch fma(const batch& a, const batch& b, const batch& c) noexcept { return xsimd::fma(a, b, c); }
#else
inline constexpr std::size_t width = 1;
#endif

}  // namespace predsense::detail::simd
