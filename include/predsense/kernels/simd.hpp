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

// GCC 12 reports -Wmaybe-uninitialized inside xsimd's AVX-512 intrinsics (a false positive of its
// own headers). Wrap SIMD code in these so -Werror builds stay clean; other compilers see nothing.
#if defined(__GNUC__) && !defined(__clang__)
#define PREDSENSE_SIMD_DIAGNOSTICS_BEGIN \
  _Pragma("GCC diagnostic push") _Pragma("GCC diagnostic ignored \"-Wmaybe-uninitialized\"")
#define PREDSENSE_SIMD_DIAGNOSTICS_END _Pragma("GCC diagnostic pop")
#else
#define PREDSENSE_SIMD_DIAGNOSTICS_BEGIN
#define PREDSENSE_SIMD_DIAGNOSTICS_END
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
// Double precision, for the change-point costs.
using dbatch = xsimd::batch<double>;
inline constexpr std::size_t dwidth = dbatch::size;
inline dbatch dload(const double* p) noexcept { return dbatch::load_unaligned(p); }
inline void dstore(double* p, const dbatch& b) noexcept { b.store_unaligned(p); }
inline dbatch log(const dbatch& b) noexcept { return xsimd::log(b); }
#else
inline constexpr std::size_t width = 1;
inline constexpr std::size_t dwidth = 1;
#endif

}  // namespace predsense::detail::simd
