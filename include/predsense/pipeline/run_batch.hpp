// predsense/pipeline/run_batch.hpp - many independent streams in parallel, one per thread.
//
// streams[i] consumes sequences[i] frame by frame. With OpenMP (compile with -fopenmp, or link
// OpenMP::OpenMP_CXX) streams are spread over threads with dynamic scheduling; without it they
// run one after another. Streams share nothing, so results are identical to running each alone,
// whatever the thread count. An exception in any stream is rethrown (the first by stream index)
// after all threads finish.
#pragma once

#include <cstddef>
#include <exception>
#include <span>
#include <string>
#include <vector>

#include "predsense/core/error.hpp"
#include "predsense/core/frame_view.hpp"
#include "predsense/pipeline/stream.hpp"

namespace predsense {

// A borrowed, packed frames x T x D float array (e.g. a whole clip's latents).
struct frame_sequence {
  const float* data = nullptr;
  std::size_t frames = 0, tokens = 0, dim = 0;

  [[nodiscard]] frame_view frame(std::size_t i) const { return frame_view(data + i * tokens * dim, tokens, dim); }
};

template <class Stream>
std::vector<std::vector<step_result>> run_batch(std::span<Stream> streams, std::span<const frame_sequence> sequences) {
  if (streams.size() != sequences.size())
    throw shape_error("run_batch: " + std::to_string(streams.size()) + " streams but " +
                      std::to_string(sequences.size()) + " frame sequences");
  const std::ptrdiff_t n = static_cast<std::ptrdiff_t>(streams.size());
  std::vector<std::vector<step_result>> out(streams.size());
  std::vector<std::exception_ptr> errors(streams.size());
#if defined(_OPENMP)
#pragma omp parallel for schedule(dynamic, 1)
#endif
  for (std::ptrdiff_t i = 0; i < n; ++i) {
    try {
      const frame_sequence& seq = sequences[std::size_t(i)];
      auto& res = out[std::size_t(i)];
      res.reserve(seq.frames);
      for (std::size_t f = 0; f < seq.frames; ++f) res.push_back(streams[std::size_t(i)].step(seq.frame(f)));
    } catch (...) {
      errors[std::size_t(i)] = std::current_exception();
    }
  }
  for (auto& e : errors)
    if (e) std::rethrow_exception(e);
  return out;
}

}  // namespace predsense
