// predsense/io/temp_files.hpp - cleaning up after a writer that crashed mid-write.
//
// atomic_write_file (io/byte_io.hpp) writes "<target>.tmp.<stamp>.<n>" and renames it over
// <target>; a process killed between the two leaves the temp file behind. After the next
// successful write of the same target, remove_stale_temps(target) deletes every such leftover.
// Assumes one writer per target at a time (a second concurrent writer's temp file would be
// removed under it, and its rename would then fail with an error, never a torn file).
#pragma once

#include <filesystem>
#include <string>
#include <system_error>

namespace predsense::detail {

// Removes "<target>.tmp.*" files next to `target`; returns how many. Never throws: a leftover
// that cannot be removed is left for the next attempt.
inline std::size_t remove_stale_temps(const std::filesystem::path& target) noexcept {
  std::size_t removed = 0;
  try {
    std::error_code ec;
    const auto dir = target.has_parent_path() ? target.parent_path() : std::filesystem::path(".");
    const std::string prefix = target.filename().string() + ".tmp.";
    for (std::filesystem::directory_iterator it(dir, ec), end; !ec && it != end; it.increment(ec)) {
      const std::string name = it->path().filename().string();
      if (name.size() > prefix.size() && name.compare(0, prefix.size(), prefix) == 0 && it->is_regular_file(ec) &&
          std::filesystem::remove(it->path(), ec))
        ++removed;
    }
  } catch (...) {  // allocation failure while listing: leave the files for the next save
  }
  return removed;
}

}  // namespace predsense::detail
