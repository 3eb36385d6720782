// tools/support/video_report.hpp - what predsense-video's --report needs beside its JSON: the memory
// over time (a trace sampled while the stream runs) and where the page's generator lives.
//
// The page itself is written by python/predsense/report.py (run as a script: no compiled module
// needed), from the tool's JSON plus "memory_trace"; docs/video.md ("The report") has the page.
//
// memory_trace: after frame t (0-based) the memory's entries (in the sensory window + long-term),
// entries pooled 2x2 and at full resolution, entries that are merges of several frames, tokens held
// (against the budget) and frames dropped so far (seen - represented by an entry). Cost: one pass
// over the entries per recorded frame (at most window + budget / pooled tokens entries); the trace
// keeps at most max_points rows by doubling its stride (every frame, then every 2nd, 4th, ...), so
// a long video costs the same as a short one. Columns are parallel arrays (JSON below).
#pragma once

#include <nlohmann/json.hpp>

#include <cstdlib>
#include <filesystem>
#include <string>
#include <system_error>
#include <vector>

#include "predsense/memory/memory_store.hpp"

namespace predsense::tools {

class memory_trace {
 public:
  explicit memory_trace(std::size_t max_points = 4096) : max_(max_points < 2 ? 2 : max_points) {}

  // Call after the memory took frame `frame`; records it when it falls on the stride.
  template <class Memory>
  void record(const Memory& mem, std::size_t frame) {
    if (frame % stride_ != 0) return;
    row r;
    r.frame = frame;
    std::size_t represented = 0;
    mem.for_each([&](const predsense::memory_item& it) {
      ++r.entries;
      r.in_window += it.in_window;
      r.pooled += it.entry.compressed;
      r.merged += it.entry.merged.size() > 1;
      r.tokens += it.entry.tokens;
      represented += it.entry.merged.empty() ? 1 : it.entry.merged.size();
    });
    const auto seen = static_cast<std::size_t>(mem.frames_seen());
    r.dropped = seen > represented ? seen - represented : 0;
    rows_.push_back(r);
    if (rows_.size() >= max_) {  // keep every other row, double the stride
      std::size_t w = 0;
      for (std::size_t i = 0; i < rows_.size(); ++i)
        if (rows_[i].frame % (2 * stride_) == 0) rows_[w++] = rows_[i];
      rows_.resize(w);
      stride_ *= 2;
    }
  }

  // {"stride", "budget_tokens", "frame": [...], "entries", "in_window", "pooled", "full_resolution",
  //  "merged", "tokens", "frames_dropped"}: parallel arrays, one element per recorded frame.
  [[nodiscard]] nlohmann::ordered_json to_json(std::size_t budget_tokens) const {
    nlohmann::ordered_json j;
    j["stride"] = stride_;
    j["budget_tokens"] = budget_tokens;
    const auto col = [&](const char* name, auto get) {
      auto a = nlohmann::ordered_json::array();
      for (const auto& r : rows_) a.push_back(get(r));
      j[name] = std::move(a);
    };
    col("frame", [](const row& r) { return r.frame; });
    col("entries", [](const row& r) { return r.entries; });
    col("in_window", [](const row& r) { return r.in_window; });
    col("pooled", [](const row& r) { return r.pooled; });
    col("full_resolution", [](const row& r) { return r.entries - r.pooled; });
    col("merged", [](const row& r) { return r.merged; });
    col("tokens", [](const row& r) { return r.tokens; });
    col("frames_dropped", [](const row& r) { return r.dropped; });
    return j;
  }

 private:
  struct row {
    std::size_t frame = 0, entries = 0, in_window = 0, pooled = 0, merged = 0, tokens = 0, dropped = 0;
  };
  std::size_t max_, stride_ = 1;
  std::vector<row> rows_;
};

// python/predsense/report.py: $PREDSENSE_REPORT_SCRIPT, else beside the build's Python package
// (<build>/bin/../python/predsense), the source tree (<src>/<build>/bin/../../python/predsense), an
// installed share/predsense, or this file's source tree. Empty if none exists.
inline std::filesystem::path find_report_script(const char* argv0, const std::filesystem::path& this_source) {
  namespace fs = std::filesystem;
  if (const char* e = std::getenv("PREDSENSE_REPORT_SCRIPT")) return e;
  std::error_code ec;
  const fs::path exe = fs::read_symlink("/proc/self/exe", ec);
  const fs::path bin = ec ? fs::path(argv0).parent_path() : exe.parent_path();
  const fs::path candidates[] = {
      bin / ".." / "python" / "predsense" / "report.py", bin / ".." / ".." / "python" / "predsense" / "report.py",
      bin / ".." / "share" / "predsense" / "report.py",
      this_source.parent_path().parent_path().parent_path() / "python" / "predsense" / "report.py"};
  for (const auto& c : candidates)
    if (fs::exists(c, ec)) return c;
  return {};
}

}  // namespace predsense::tools
