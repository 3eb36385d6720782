// predsense/kernels/gemm.hpp - the row-major SGEMM/DGEMM the learned predictors run on.
//
//   C (M x N) = alpha * op(A) * op(B) + beta * C,  op(X) = X or X^T, all row-major.
//
// Backends, chosen at compile time:
//   PREDSENSE_HAS_CBLAS  - cblas_sgemm / cblas_dgemm (OpenBLAS on Debian through libblas.so.3):
//                          machine peak and OpenBLAS's own threads; the project's targets define it
//                          when CMake finds a BLAS and <cblas.h> (users define it and link -lblas);
//   otherwise            - gemm_plain: a loop nest ordered so the inner loop is a contiguous
//                          dot/axpy the compiler vectorises (correct everywhere, several times slower).
// The LFP head's layers are one call each over all T tokens, so T x h x h work reaches BLAS in
// one piece instead of T matrix-vector products.
#pragma once

#include <cstddef>

#if defined(PREDSENSE_HAS_CBLAS) && __has_include(<cblas.h>)
#include <cblas.h>
#define PREDSENSE_GEMM_BACKEND_CBLAS 1
#endif

#include "predsense/kernels/dot.hpp"

namespace predsense::kernels {

enum class gemm_op { none, transpose };

inline constexpr const char* gemm_backend_name() noexcept {
#if defined(PREDSENSE_GEMM_BACKEND_CBLAS)
  return "cblas";
#else
  return "plain";
#endif
}

// The plain backend: the scalar twin the tests compare BLAS against, and the fallback.
inline void gemm_plain(gemm_op ta, gemm_op tb, std::size_t M, std::size_t N, std::size_t K, float alpha, const float* A,
                       std::size_t lda, const float* B, std::size_t ldb, float beta, float* C,
                       std::size_t ldc) noexcept {
  for (std::size_t i = 0; i < M; ++i)
    for (std::size_t j = 0; j < N; ++j) C[i * ldc + j] = beta == 0.0f ? 0.0f : beta * C[i * ldc + j];
  if (ta == gemm_op::none && tb == gemm_op::transpose) {  // rows of A . rows of B
    for (std::size_t i = 0; i < M; ++i)
      for (std::size_t j = 0; j < N; ++j) C[i * ldc + j] += alpha * kernels::dot(A + i * lda, B + j * ldb, K);
  } else if (ta == gemm_op::none && tb == gemm_op::none) {  // axpy rows of B into rows of C
    for (std::size_t i = 0; i < M; ++i)
      for (std::size_t k = 0; k < K; ++k) {
        const float a = alpha * A[i * lda + k];
        const float* b = B + k * ldb;
        float* c = C + i * ldc;
        for (std::size_t j = 0; j < N; ++j) c[j] += a * b[j];
      }
  } else if (ta == gemm_op::transpose && tb == gemm_op::none) {
    for (std::size_t k = 0; k < K; ++k)
      for (std::size_t i = 0; i < M; ++i) {
        const float a = alpha * A[k * lda + i];
        const float* b = B + k * ldb;
        float* c = C + i * ldc;
        for (std::size_t j = 0; j < N; ++j) c[j] += a * b[j];
      }
  } else {
    for (std::size_t i = 0; i < M; ++i)
      for (std::size_t j = 0; j < N; ++j) {
        float s = 0.0f;
        for (std::size_t k = 0; k < K; ++k) s += A[k * lda + i] * B[j * ldb + k];
        C[i * ldc + j] += alpha * s;
      }
  }
}

inline void gemm(gemm_op ta, gemm_op tb, std::size_t M, std::size_t N, std::size_t K, float alpha, const float* A,
                 std::size_t lda, const float* B, std::size_t ldb, float beta, float* C, std::size_t ldc) noexcept {
  if (M == 0 || N == 0) return;
#if defined(PREDSENSE_GEMM_BACKEND_CBLAS)
  cblas_sgemm(CblasRowMajor, ta == gemm_op::none ? CblasNoTrans : CblasTrans,
              tb == gemm_op::none ? CblasNoTrans : CblasTrans, static_cast<int>(M), static_cast<int>(N),
              static_cast<int>(K), alpha, A, static_cast<int>(lda), B, static_cast<int>(ldb), beta, C,
              static_cast<int>(ldc));
#else
  gemm_plain(ta, tb, M, N, K, alpha, A, lda, B, ldb, beta, C, ldc);
#endif
}

// Double-precision C = alpha op(A) op(B) + beta C (row-major), for the RLS predictor's block updates.
inline void dgemm(gemm_op ta, gemm_op tb, std::size_t M, std::size_t N, std::size_t K, double alpha, const double* A,
                  std::size_t lda, const double* B, std::size_t ldb, double beta, double* C, std::size_t ldc) noexcept {
  if (M == 0 || N == 0) return;
#if defined(PREDSENSE_GEMM_BACKEND_CBLAS)
  cblas_dgemm(CblasRowMajor, ta == gemm_op::none ? CblasNoTrans : CblasTrans,
              tb == gemm_op::none ? CblasNoTrans : CblasTrans, static_cast<int>(M), static_cast<int>(N),
              static_cast<int>(K), alpha, A, static_cast<int>(lda), B, static_cast<int>(ldb), beta, C,
              static_cast<int>(ldc));
#else
  for (std::size_t i = 0; i < M; ++i)
    for (std::size_t j = 0; j < N; ++j) C[i * ldc + j] = beta == 0.0 ? 0.0 : beta * C[i * ldc + j];
  for (std::size_t i = 0; i < M; ++i)
    for (std::size_t k = 0; k < K; ++k) {
      const double a = alpha * (ta == gemm_op::none ? A[i * lda + k] : A[k * lda + i]);
      if (tb == gemm_op::none) {
        const double* b = B + k * ldb;
        for (std::size_t j = 0; j < N; ++j) C[i * ldc + j] += a * b[j];
      } else {
        for (std::size_t j = 0; j < N; ++j) C[i * ldc + j] += a * B[j * ldb + k];
      }
    }
#endif
}

// The bias epilogue of a Linear layer: y[r, :] += bias for every row.
inline void add_bias_rows(float* y, const float* bias, std::size_t rows, std::size_t n) noexcept {
  for (std::size_t r = 0; r < rows; ++r) {
    float* p = y + r * n;
    for (std::size_t i = 0; i < n; ++i) p[i] += bias[i];
  }
}

}  // namespace predsense::kernels
