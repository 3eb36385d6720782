// src/memory_checkpoint.cpp - the compiled part behind predsense/memory/checkpoint_library.hpp:
// memory_checkpoint.hpp's save/load templates instantiated once for every built-in policy pair.
#include "predsense/memory/checkpoint_library.hpp"

#include "predsense/memory/memory_checkpoint.hpp"

namespace predsense {

#define PREDSENSE_CHECKPOINT_DEFINE(C, P)                                                \
  void save_checkpoint(const memory_store<C, P>& m, const std::filesystem::path& path) { \
    save_checkpoint<C, P>(m, path);                                                      \
  }                                                                                      \
  void load_checkpoint(memory_store<C, P>& m, const std::filesystem::path& path) { load_checkpoint<C, P>(m, path); }
PREDSENSE_CHECKPOINT_LIBRARY_TYPES(PREDSENSE_CHECKPOINT_DEFINE)
#undef PREDSENSE_CHECKPOINT_DEFINE

}  // namespace predsense
