// progress=True on the long calls (Stream.run, segment(), copy_last_surprise, PatchEmbedder.embed_batch,
// TransitionDetector.segment, ...): a tqdm bar on stderr (Debian's python3-tqdm). tqdm is imported
// only when a bar is asked for; without it, progress=True raises ImportError saying how to get it
// and progress=False works as before.
//
// The work runs in chunks without the GIL (for_chunks); the bar is updated between chunks with the
// GIL held, so a bar never slows the loop by more than one Python call per chunk.
#pragma once
#include <algorithm>
#include <cstddef>
#include <string>

#include "convert.hpp"

namespace predsense_py {

class progress_bar {
 public:
  progress_bar(bool on, std::size_t total, const char* unit, const char* desc) : total_(total) {
    if (!on) return;
    py::module_ tqdm;
    try {
      tqdm = py::module_::import("tqdm");
    } catch (py::error_already_set& e) {
      if (!e.matches(PyExc_ImportError)) throw;
      throw py::import_error(std::string("progress=True needs tqdm, which cannot be imported (") + e.what() +
                             "); install it (Debian: apt install python3-tqdm; else: pip install tqdm) or pass "
                             "progress=False");
    }
    bar_ = tqdm.attr("tqdm")(py::arg("total") = total, py::arg("unit") = unit, py::arg("desc") = desc);
  }
  progress_bar(const progress_bar&) = delete;
  progress_bar& operator=(const progress_bar&) = delete;
  ~progress_bar() {
    try {
      close();
    } catch (...) {
    }
  }
  explicit operator bool() const noexcept { return bool(bar_); }
  // Steps per chunk: one chunk without a bar; with one, about 200 updates (1..64 steps each).
  [[nodiscard]] std::size_t chunk() const noexcept {
    if (!bar_) return std::max<std::size_t>(total_, 1);
    return std::clamp<std::size_t>(total_ / 200, 1, 64);
  }
  void update(std::size_t n) {
    if (bar_) bar_.attr("update")(n);
  }
  void close() {
    if (!bar_) return;
    py::object b = std::move(bar_);
    bar_ = py::object();
    b.attr("close")();
  }

 private:
  py::object bar_;
  std::size_t total_;
};

// body(start, stop) over [0, n) in the bar's chunks, called with the GIL held (it releases the GIL
// itself for its work); the bar advances after each chunk and is closed at the end.
template <class F>
void for_chunks(progress_bar& bar, std::size_t n, F&& body) {
  const std::size_t chunk = bar.chunk();
  for (std::size_t start = 0; start < n; start += chunk) {
    const std::size_t stop = std::min(n, start + chunk);
    body(start, stop);
    bar.update(stop - start);
  }
  bar.close();
}

}  // namespace predsense_py
