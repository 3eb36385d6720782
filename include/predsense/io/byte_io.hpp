// predsense/io/byte_io.hpp - the byte-level plumbing shared by the .npy/.npz/safetensors readers:
// bounds-checked little-endian loads, whole-file reads and atomic writes (temp file + rename).
//
// Every reader in io/ parses from a std::span of bytes through byte_cursor, which checks each
// read against the span's end and throws format_error naming the file and the field, so a
// truncated or lying file can never make a parser read out of bounds.
#pragma once

#include <atomic>
#include <cerrno>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <limits>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "predsense/core/error.hpp"

#if defined(__unix__) || defined(__APPLE__)
#include <unistd.h>  // fsync: the temp file's bytes reach the disk before the rename publishes it
#define PREDSENSE_IO_HAS_FSYNC 1
#endif

namespace predsense::detail {

[[noreturn]] inline void throw_format(const std::string& source, const std::string& what) {
  throw format_error("predsense: " + source + ": " + what);
}

// a * b, throwing format_error (naming `field`) instead of wrapping around.
inline std::size_t checked_mul(std::size_t a, std::size_t b, const std::string& source, const char* field) {
  if (a != 0 && b > std::numeric_limits<std::size_t>::max() / a)
    throw_format(source, std::string(field) + " overflows (" + std::to_string(a) + " x " + std::to_string(b) + ")");
  return a * b;
}

// Elements of an array of `shape` with `item`-byte elements, refusing (format_error naming `field`)
// a shape whose byte size, counted over its non-zero dimensions, exceeds PTRDIFF_MAX. Zero
// dimensions are skipped in that bound on purpose: (0, 2^62, 2^62) holds no element, yet no array
// library can describe it (NumPy raises "array is too big"), so a reader must refuse it as a bad
// file rather than hand it on. The element count itself is then exact (0 for any zero dimension).
inline std::size_t checked_numel(std::span<const std::size_t> shape, std::size_t item, const std::string& source,
                                 const char* field) {
  constexpr auto limit = static_cast<std::size_t>(std::numeric_limits<std::ptrdiff_t>::max());
  std::size_t bytes = item == 0 ? 1 : item, n = 1;
  for (auto d : shape) {
    if (d == 0) {
      n = 0;
      continue;
    }
    if (d > limit / bytes)
      throw_format(source, std::string(field) + " overflows: " + std::to_string(d) + " x " + std::to_string(bytes) +
                               " bytes exceeds the largest array size (" + std::to_string(limit) + " bytes)");
    bytes *= d;
    n *= d;  // <= bytes, cannot wrap
  }
  return n;
}

template <class U>
inline U load_le(const std::byte* p) noexcept {
  static_assert(std::is_unsigned_v<U>);
  U v = 0;
  for (std::size_t i = 0; i < sizeof(U); ++i)
    v |= static_cast<U>(static_cast<U>(std::to_integer<unsigned>(p[i])) << (8 * i));
  return v;
}

template <class U>
inline void store_le(std::vector<std::byte>& out, U v) {
  static_assert(std::is_unsigned_v<U>);
  for (std::size_t i = 0; i < sizeof(U); ++i) out.push_back(static_cast<std::byte>((v >> (8 * i)) & 0xFFu));
}

// A read position in a byte span; every read is checked against the end.
class byte_cursor {
 public:
  byte_cursor(std::span<const std::byte> bytes, std::string source) : bytes_(bytes), source_(std::move(source)) {}

  [[nodiscard]] std::size_t pos() const noexcept { return pos_; }
  [[nodiscard]] std::size_t remaining() const noexcept { return bytes_.size() - pos_; }
  [[nodiscard]] const std::string& source() const noexcept { return source_; }

  void seek(std::size_t p, const char* field) {
    if (p > bytes_.size())
      throw_format(source_, std::string(field) + " points to byte " + std::to_string(p) +
                                " past the end of the data (" + std::to_string(bytes_.size()) + " bytes)");
    pos_ = p;
  }
  void require(std::size_t n, const char* field) const {
    if (n > remaining())
      throw_format(source_, std::string("truncated: ") + field + " needs " + std::to_string(n) + " bytes at offset " +
                                std::to_string(pos_) + " but only " + std::to_string(remaining()) + " remain");
  }
  std::span<const std::byte> take(std::size_t n, const char* field) {
    require(n, field);
    auto s = bytes_.subspan(pos_, n);
    pos_ += n;
    return s;
  }
  template <class U>
  U read(const char* field) {
    auto s = take(sizeof(U), field);
    return load_le<U>(s.data());
  }

 private:
  std::span<const std::byte> bytes_;
  std::string source_;
  std::size_t pos_ = 0;
};

inline std::string_view as_chars(std::span<const std::byte> s) noexcept {
  return {reinterpret_cast<const char*>(s.data()), s.size()};
}

// Whole file into memory. Throws format_error (naming the file) if it cannot be opened or read.
inline std::vector<std::byte> read_file_bytes(const std::filesystem::path& path) {
  // a directory opens as a stream on Linux and reports a size near 2^63: refuse anything that is not
  // a regular file before sizing a buffer from it
  std::error_code ec;
  if (std::filesystem::exists(path, ec) && !std::filesystem::is_regular_file(path, ec))
    throw format_error("predsense: " + path.string() + ": not a regular file");
  std::ifstream in(path, std::ios::binary);
  if (!in) throw format_error("predsense: " + path.string() + ": cannot open for reading");
  in.seekg(0, std::ios::end);
  const auto end = in.tellg();
  if (end < 0) throw format_error("predsense: " + path.string() + ": cannot determine file size");
  in.seekg(0, std::ios::beg);
  std::vector<std::byte> buf(static_cast<std::size_t>(end));
  if (!buf.empty() && !in.read(reinterpret_cast<char*>(buf.data()), static_cast<std::streamsize>(buf.size())))
    throw format_error("predsense: " + path.string() + ": read failed");
  return buf;
}

// Writes `chunks` to `path` atomically: a temp file in the same directory is written, flushed,
// synced and renamed over `path`, so a reader (or a crash) sees either the old file or the whole
// new one, never a torn write. The temp file is removed on failure.
inline void atomic_write_file(const std::filesystem::path& path, std::span<const std::span<const std::byte>> chunks) {
  static std::atomic<unsigned long long> counter{0};
  const auto stamp = static_cast<unsigned long long>(std::chrono::steady_clock::now().time_since_epoch().count());
  std::filesystem::path tmp = path;
  tmp += ".tmp." + std::to_string(stamp) + "." + std::to_string(counter.fetch_add(1));
  // the reason (errno of the first failing call: e.g. "No space left on device", "Read-only file
  // system") goes into the message, so a user can tell a full disk from a permission problem
  std::FILE* f = std::fopen(tmp.string().c_str(), "wb");
  if (!f)
    throw error("predsense: " + path.string() + ": cannot create temp file " + tmp.string() + " (" +
                std::strerror(errno) + ")");
  int why = 0;
  auto fail = [&](bool failed) {
    if (failed && why == 0) why = errno ? errno : EIO;
  };
  for (auto c : chunks)
    if (why == 0 && !c.empty()) fail(std::fwrite(c.data(), 1, c.size(), f) != c.size());
  fail(std::fflush(f) != 0);
#ifdef PREDSENSE_IO_HAS_FSYNC
  if (why == 0) fail(::fsync(::fileno(f)) != 0);
#endif
  fail(std::fclose(f) != 0);
  std::error_code ec;
  if (why == 0) std::filesystem::rename(tmp, path, ec);
  if (why != 0 || ec) {
    const std::string reason = why != 0 ? std::strerror(why) : ec.message();
    std::filesystem::remove(tmp, ec);
    throw error("predsense: " + path.string() + ": write failed (" + reason + "; temp file " + tmp.string() +
                " removed)");
  }
}

inline void atomic_write_file(const std::filesystem::path& path, std::span<const std::byte> bytes) {
  const std::span<const std::byte> one[1] = {bytes};
  atomic_write_file(path, std::span<const std::span<const std::byte>>(one, 1));
}

}  // namespace predsense::detail
