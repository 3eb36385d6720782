// predsense/memory/checkpoint_library.hpp - memory checkpoints from the compiled part: the same
// save_checkpoint / load_checkpoint as memory/memory_checkpoint.hpp, for every built-in pair of
// compression and consolidation policies, declared here without nlohmann-json or safetensors and
// defined once in the predsense::checkpoint library (src/memory_checkpoint.cpp, built when CMake
// runs with PREDSENSE_CHECKPOINT_LIBRARY=ON, the default of a full build).
//
// Why: the JSON and safetensors work of a checkpoint is most of the compile time of a program
// that saves one (docs/cpp.md, "Compile time"). Include this header instead of
// memory_checkpoint.hpp and link predsense::checkpoint; behaviour, file format and errors
// (format_error naming the file and field; the store unchanged on failure) are identical, because
// the library's functions are memory_checkpoint.hpp's templates instantiated for these types.
// Other policy types need memory_checkpoint.hpp (a call here with one does not compile).
#pragma once

#include <filesystem>

#include "predsense/memory/memory_store.hpp"
#include "predsense/memory/policies/compression_policy.hpp"
#include "predsense/memory/policies/drop_least_surprising.hpp"
#include "predsense/memory/policies/drop_merge.hpp"
#include "predsense/memory/policies/fifo.hpp"
#include "predsense/memory/policies/peak_preserving.hpp"
#include "predsense/memory/policies/pool_relative.hpp"
#include "predsense/memory/policies/similarity_merge.hpp"
#include "predsense/memory/policies/sinks_recent.hpp"
#include "predsense/memory/policies/surprise_reservoir.hpp"
#include "predsense/memory/policies/uniform_stride.hpp"

// X(compression, consolidation) for every built-in pair the library instantiates.
#define PREDSENSE_CHECKPOINT_LIBRARY_TYPES(X)      \
  X(pool_relative, peak_preserving)                \
  X(pool_relative, drop_merge)                     \
  X(pool_relative, drop_least_surprising)          \
  X(pool_relative, fifo)                           \
  X(pool_when_unsurprising, peak_preserving)       \
  X(no_compression, peak_preserving)               \
  X(pool_when_unsurprising, drop_merge)            \
  X(pool_when_unsurprising, drop_least_surprising) \
  X(pool_when_unsurprising, fifo)                  \
  X(pool_when_unsurprising, similarity_merge)      \
  X(pool_when_unsurprising, sinks_recent)          \
  X(pool_when_unsurprising, surprise_reservoir)    \
  X(pool_when_unsurprising, uniform_stride)        \
  X(no_compression, drop_merge)                    \
  X(no_compression, drop_least_surprising)         \
  X(no_compression, fifo)                          \
  X(no_compression, similarity_merge)              \
  X(no_compression, sinks_recent)                  \
  X(no_compression, surprise_reservoir)            \
  X(no_compression, uniform_stride)

namespace predsense {

#define PREDSENSE_CHECKPOINT_DECLARE(C, P)                                              \
  void save_checkpoint(const memory_store<C, P>& m, const std::filesystem::path& path); \
  void load_checkpoint(memory_store<C, P>& m, const std::filesystem::path& path);
PREDSENSE_CHECKPOINT_LIBRARY_TYPES(PREDSENSE_CHECKPOINT_DECLARE)
#undef PREDSENSE_CHECKPOINT_DECLARE

}  // namespace predsense
