// predsense/config.hpp - the version, and every macro predsense reads or defines.
//
// The version is written here only: CMake (project(... VERSION)) and python/setup.py read these
// three lines.
#pragma once

#define PREDSENSE_VERSION_MAJOR 0
#define PREDSENSE_VERSION_MINOR 2
#define PREDSENSE_VERSION_PATCH 0
// One number for comparisons: major * 10000 + minor * 100 + patch.
#define PREDSENSE_VERSION (PREDSENSE_VERSION_MAJOR * 10000 + PREDSENSE_VERSION_MINOR * 100 + PREDSENSE_VERSION_PATCH)

// Optional dependencies, detected where the headers are (CMake links them when it finds them);
// PREDSENSE_NO_ZLIB / PREDSENSE_NO_NLOHMANN_JSON build as if they were absent.
#if __has_include(<zlib.h>) && !defined(PREDSENSE_NO_ZLIB)
#define PREDSENSE_HAS_ZLIB 1
#endif
#if __has_include(<nlohmann/json.hpp>) && !defined(PREDSENSE_NO_NLOHMANN_JSON)
#define PREDSENSE_HAS_NLOHMANN_JSON 1
#endif

// Macros a user may define before including predsense (the CMake target sets them for you):
//   PREDSENSE_NO_XSIMD     compile every kernel through its scalar twin (CMake: PREDSENSE_USE_XSIMD=OFF)
//   PREDSENSE_USE_XSIMD    use xsimd even where <xsimd/xsimd.hpp> is not found by __has_include
//   PREDSENSE_HAS_CBLAS    run kernels/gemm.hpp through cblas_sgemm/cblas_dgemm (link -lblas)
//   PREDSENSE_NO_ZLIB, PREDSENSE_NO_NLOHMANN_JSON
//                          treat zlib / nlohmann-json as absent even where installed: the headers
//                          that need them stop with an error naming the Debian package
//                          (tests/compile_fail/*_without_*.cpp check the message)
//   PREDSENSE_MEMORY_CHECKS          check memory_store's invariants after every admission (on by
//                                    default when NDEBUG is not defined; memory/memory_store.hpp)
//   PREDSENSE_TRANSITION_TRACE_ON    print every span transition_detector analyses to stderr
//
// Macros predsense defines for its own use and documents here:
//   PREDSENSE_SIMD                        1 when the xsimd kernels are compiled (kernels/simd.hpp)
//   PREDSENSE_SIMD_DIAGNOSTICS_BEGIN/END  the one GCC pragma block around SIMD code (kernels/simd.hpp)
//   PREDSENSE_GEMM_BACKEND_CBLAS          1 when kernels/gemm.hpp uses CBLAS
//   PREDSENSE_IO_HAS_FSYNC                1 where io/byte_io.hpp can fsync (POSIX)
//   PREDSENSE_HAS_ZLIB                    1 when <zlib.h> is found: io/npz.hpp and the .npz loaders exist
//   PREDSENSE_HAS_NLOHMANN_JSON           1 when <nlohmann/json.hpp> is found: io/safetensors.hpp and
//                                         the safetensors / checkpoint loaders exist
//
// Set by the Python build only (python/CMakeLists.txt, setup.py): PREDSENSE_PY_MODULE (the
// extension's module name) and PREDSENSE_PY_VARIANT (its instruction set, for build_info()).
//
// CMake options (not macros): PREDSENSE_USE_XSIMD, PREDSENSE_BUILD_TESTS, _BENCHMARKS, _EXAMPLES,
// _PYTHON, PREDSENSE_NATIVE (-march=native for the project's own binaries), PREDSENSE_WERROR,
// PREDSENSE_USE_BLAS (CBLAS GEMMs, carried by the installed target), PREDSENSE_INSTALL_ONLY (only
// the library and its install rules), PREDSENSE_CHECKPOINT_LIBRARY (the compiled checkpoint part).
