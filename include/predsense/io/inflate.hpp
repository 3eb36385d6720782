// predsense/io/inflate.hpp - raw DEFLATE decompression (RFC 1951) of a .npz member, through zlib.
//
// inflate(data, expected, source) returns exactly `expected` bytes or throws format_error naming
// `source`: a declared size DEFLATE cannot reach from the compressed size (it expands at most
// about 1032:1) is refused before anything is allocated, so a lying header cannot make it reserve
// gigabytes; output beyond the declared size, a stream that ends short, truncated input and
// corrupt data (zlib's own message) are errors too. zlib is Debian's zlib1g-dev; without it this
// header (and io/npz.hpp) stops with a message naming the package.
#pragma once

#include "predsense/config.hpp"
#ifndef PREDSENSE_HAS_ZLIB
#error "predsense/io/inflate.hpp (and io/npz.hpp) need zlib: install zlib1g-dev (Debian) and link ZLIB::ZLIB / -lz"
#endif

#include <zlib.h>

#include <algorithm>
#include <climits>
#include <cstddef>
#include <span>
#include <string>
#include <vector>

#include "predsense/io/byte_io.hpp"

namespace predsense::detail {

inline std::vector<std::byte> inflate(std::span<const std::byte> in, std::size_t expected, const std::string& source) {
  auto fail = [&](const std::string& what) { throw_format(source, "deflate data: " + what); };
  // DEFLATE expands at most ~1032:1; a larger declared size is a lie, refuse before allocating.
  if (expected / 1032 > in.size() + 1) fail("declared size is impossible for the compressed size");
  std::vector<std::byte> out(expected + 1);  // one spare byte detects output beyond the declared size
  z_stream z{};
  if (inflateInit2(&z, -MAX_WBITS) != Z_OK) fail("zlib could not start (out of memory)");
  struct guard {
    z_stream* z;
    ~guard() { inflateEnd(z); }
  } g{&z};
  std::size_t in_pos = 0, out_pos = 0;
  int rc = Z_OK;
  while (rc != Z_STREAM_END) {
    // zlib counts in uInt: feed and drain in pieces of at most UINT_MAX bytes.
    z.next_in = reinterpret_cast<Bytef*>(const_cast<std::byte*>(in.data() + in_pos));
    z.avail_in = static_cast<uInt>(std::min<std::size_t>(in.size() - in_pos, UINT_MAX));
    z.next_out = reinterpret_cast<Bytef*>(out.data() + out_pos);
    z.avail_out = static_cast<uInt>(std::min<std::size_t>(out.size() - out_pos, UINT_MAX));
    const uInt in_before = z.avail_in, out_before = z.avail_out;
    rc = ::inflate(&z, Z_NO_FLUSH);
    in_pos += in_before - z.avail_in;
    out_pos += out_before - z.avail_out;
    if (out_pos > expected) fail("output exceeds the declared size " + std::to_string(expected));
    if (rc == Z_STREAM_END) break;
    if (rc == Z_DATA_ERROR) fail(std::string("corrupt (") + (z.msg ? z.msg : "invalid data") + ")");
    if (rc == Z_MEM_ERROR) fail("zlib ran out of memory");
    if (rc == Z_BUF_ERROR || (rc == Z_OK && in_before == z.avail_in && out_before == z.avail_out)) {
      if (in_pos == in.size()) fail("truncated (the stream ends before its final block)");
      fail("zlib made no progress");
    }
  }
  if (out_pos != expected)
    fail("inflated to " + std::to_string(out_pos) + " bytes, declared " + std::to_string(expected));
  out.resize(expected);
  return out;
}

// CRC-32 (ISO-HDLC, as zip uses) of `data`, continuing from `crc`.
inline std::uint32_t crc32(std::span<const std::byte> data, std::uint32_t crc = 0) noexcept {
  uLong c = crc;
  for (std::size_t pos = 0; pos < data.size();) {
    const auto n = static_cast<uInt>(std::min<std::size_t>(data.size() - pos, UINT_MAX));
    c = ::crc32(c, reinterpret_cast<const Bytef*>(data.data() + pos), n);
    pos += n;
  }
  return static_cast<std::uint32_t>(c);
}

}  // namespace predsense::detail
