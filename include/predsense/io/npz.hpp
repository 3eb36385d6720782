// predsense/io/npz.hpp - read and write NumPy .npz archives (a zip of .npy members).
//
// Reading follows the zip central directory (zip64 included: numpy writes its members with
// force_zip64), checks every local header against it, verifies each member's CRC-32 and parses
// the member with parse_npy. Members stored uncompressed (np.savez) and deflated
// (np.savez_compressed) are read; DEFLATE and CRC-32 are zlib's (io/inflate.hpp), so this header
// needs zlib (Debian zlib1g-dev; a compile-time error names it otherwise). Encrypted members and
// other methods are rejected. Writing produces an uncompressed archive like np.savez, atomically
// (temp + rename). Keys drop the ".npy" suffix, as np.load does.
//
// The zip container itself (end of central directory, zip64 records, local headers) is read here:
// the archive is already in memory, and this walk checks every offset and size against the bytes
// present, which minizip's file-handle API would hide. It is fuzzed (fuzz/fuzz_npz.cpp).
#pragma once

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <map>
#include <span>
#include <string>
#include <vector>

#include "predsense/core/error.hpp"
#include "predsense/io/byte_io.hpp"
#include "predsense/io/inflate.hpp"
#include "predsense/io/npy.hpp"

namespace predsense {

using npz_map = std::map<std::string, npy_array>;

namespace detail {

struct zip_entry {
  std::string name;
  std::uint16_t flags = 0, method = 0;
  std::uint32_t crc = 0;
  std::uint64_t csize = 0, usize = 0, local_offset = 0;
};

// Reads the zip64 extended-information extra field: only the fields whose 32-bit slot was
// 0xFFFFFFFF are present, in the order usize, csize, offset.
inline void apply_zip64_extra(std::span<const std::byte> extra, zip_entry& e, bool u64, bool c64, bool o64,
                              const std::string& source) {
  byte_cursor x(extra, source);
  while (x.remaining() >= 4) {
    const auto id = x.read<std::uint16_t>("extra field id");
    const auto len = x.read<std::uint16_t>("extra field length");
    auto body = x.take(len, "extra field");
    if (id != 0x0001) continue;
    byte_cursor z(body, source + ": member \"" + e.name + "\" zip64 extra");
    if (u64) e.usize = z.read<std::uint64_t>("uncompressed size");
    if (c64) e.csize = z.read<std::uint64_t>("compressed size");
    if (o64) e.local_offset = z.read<std::uint64_t>("local header offset");
    return;
  }
  if (u64 || c64 || o64) throw_format(source, "member \"" + e.name + "\" needs a zip64 extra field but has none");
}

inline std::vector<zip_entry> read_central_directory(std::span<const std::byte> bytes, const std::string& source) {
  if (bytes.size() < 22)
    throw_format(source, "truncated: too short for a zip archive (" + std::to_string(bytes.size()) + " bytes)");
  // End of central directory: the last "PK\5\6" within the final 22 + 65535 bytes.
  std::size_t eocd = SIZE_MAX;
  const std::size_t lowest = bytes.size() > 22 + 65535 ? bytes.size() - 22 - 65535 : 0;
  for (std::size_t p = bytes.size() - 22 + 1; p-- > lowest;)
    if (load_le<std::uint32_t>(bytes.data() + p) == 0x06054b50u) {
      eocd = p;
      break;
    }
  if (eocd == SIZE_MAX) throw_format(source, "not a zip archive (no end-of-central-directory record)");
  byte_cursor c(bytes, source);
  c.seek(eocd + 4, "end of central directory");
  const auto disk = c.read<std::uint16_t>("disk number");
  const auto cd_disk = c.read<std::uint16_t>("central directory disk");
  (void)c.read<std::uint16_t>("entries on this disk");
  std::uint64_t count = c.read<std::uint16_t>("entry count");
  std::uint64_t cd_size = c.read<std::uint32_t>("central directory size");
  std::uint64_t cd_off = c.read<std::uint32_t>("central directory offset");
  if ((disk != 0 && disk != 0xFFFF) || (cd_disk != 0 && cd_disk != 0xFFFF))
    throw_format(source, "multi-disk zip archives are not supported");
  if (count == 0xFFFF || cd_size == 0xFFFFFFFFu || cd_off == 0xFFFFFFFFu) {
    if (eocd < 20) throw_format(source, "zip64 end-of-central-directory locator missing");
    c.seek(eocd - 20, "zip64 locator");
    if (c.read<std::uint32_t>("zip64 locator signature") != 0x07064b50u)
      throw_format(source, "zip64 end-of-central-directory locator missing");
    (void)c.read<std::uint32_t>("zip64 disk");
    const std::uint64_t z_off = c.read<std::uint64_t>("zip64 record offset");
    if (z_off > bytes.size()) throw_format(source, "zip64 record offset beyond the end of the file");
    c.seek(static_cast<std::size_t>(z_off), "zip64 record offset");
    if (c.read<std::uint32_t>("zip64 record signature") != 0x06064b50u)
      throw_format(source, "bad zip64 end-of-central-directory signature");
    c.take(8 + 2 + 2 + 4 + 4 + 8, "zip64 record");
    count = c.read<std::uint64_t>("zip64 entry count");
    cd_size = c.read<std::uint64_t>("zip64 central directory size");
    cd_off = c.read<std::uint64_t>("zip64 central directory offset");
  }
  if (cd_off > bytes.size() || cd_size > bytes.size() - cd_off)
    throw_format(source, "central directory (offset " + std::to_string(cd_off) + ", size " + std::to_string(cd_size) +
                             ") lies outside the file");
  byte_cursor cd(bytes.subspan(static_cast<std::size_t>(cd_off), static_cast<std::size_t>(cd_size)),
                 source + ": central directory");
  std::vector<zip_entry> out;
  for (std::uint64_t i = 0; i < count; ++i) {
    if (cd.read<std::uint32_t>("entry signature") != 0x02014b50u)
      throw_format(source, "central directory entry " + std::to_string(i) + " has a bad signature");
    zip_entry e;
    cd.take(4, "entry versions");
    e.flags = cd.read<std::uint16_t>("entry flags");
    e.method = cd.read<std::uint16_t>("entry method");
    cd.take(4, "entry time");
    e.crc = cd.read<std::uint32_t>("entry crc");
    e.csize = cd.read<std::uint32_t>("entry compressed size");
    e.usize = cd.read<std::uint32_t>("entry size");
    const auto nlen = cd.read<std::uint16_t>("entry name length");
    const auto xlen = cd.read<std::uint16_t>("entry extra length");
    const auto clen = cd.read<std::uint16_t>("entry comment length");
    cd.take(8, "entry attributes");
    e.local_offset = cd.read<std::uint32_t>("entry local header offset");
    e.name = std::string(as_chars(cd.take(nlen, "entry name")));
    apply_zip64_extra(cd.take(xlen, "entry extra"), e, e.usize == 0xFFFFFFFFu, e.csize == 0xFFFFFFFFu,
                      e.local_offset == 0xFFFFFFFFu, source);
    cd.take(clen, "entry comment");
    out.push_back(std::move(e));
  }
  return out;
}

// The member's data (still compressed if method != 0), located through its local header.
inline std::span<const std::byte> member_data(std::span<const std::byte> bytes, const zip_entry& e,
                                              const std::string& source) {
  const std::string field = "member \"" + e.name + "\"";
  if (e.local_offset > bytes.size()) throw_format(source, field + ": local header offset beyond the end of the file");
  byte_cursor c(bytes, source + ": " + field);
  c.seek(static_cast<std::size_t>(e.local_offset), "local header offset");
  if (c.read<std::uint32_t>("local header signature") != 0x04034b50u)
    throw_format(source, field + ": bad local header signature");
  c.take(22, "local header");
  const auto nlen = c.read<std::uint16_t>("local name length");
  const auto xlen = c.read<std::uint16_t>("local extra length");
  const auto name = as_chars(c.take(nlen, "local name"));
  if (name != e.name) throw_format(source, field + ": local header names \"" + std::string(name) + "\"");
  c.take(xlen, "local extra");
  if (e.csize > c.remaining())
    throw_format(source, field + ": truncated (" + std::to_string(e.csize) + " compressed bytes, " +
                             std::to_string(c.remaining()) + " left in the file)");
  return c.take(static_cast<std::size_t>(e.csize), "member data");
}

}  // namespace detail

[[nodiscard]] inline npz_map parse_npz(std::span<const std::byte> bytes, const std::string& source,
                                       std::size_t max_member_bytes = std::size_t{1} << 34) {
  npz_map out;
  for (const auto& e : detail::read_central_directory(bytes, source)) {
    const std::string field = "member \"" + e.name + "\"";
    if (e.flags & 0x1u) detail::throw_format(source, field + " is encrypted");
    if (e.name.empty() || e.name.back() == '/') continue;  // directory entries
    std::string key = e.name;
    if (key.size() > 4 && key.compare(key.size() - 4, 4, ".npy") == 0) key.resize(key.size() - 4);
    if (out.count(key)) detail::throw_format(source, field + " appears twice");
    const auto data = detail::member_data(bytes, e, source);
    std::vector<std::byte> inflated;
    std::span<const std::byte> raw;
    if (e.method == 0) {
      if (e.csize != e.usize)
        detail::throw_format(source, field + ": stored member with compressed size " + std::to_string(e.csize) +
                                         " != size " + std::to_string(e.usize));
      raw = data;
    } else if (e.method == 8) {
      if (e.usize > max_member_bytes)
        detail::throw_format(source, field + ": declared size " + std::to_string(e.usize) + " exceeds the limit");
      inflated = detail::inflate(data, static_cast<std::size_t>(e.usize), source + ": " + field);
      raw = inflated;
    } else {
      detail::throw_format(source, field + ": compression method " + std::to_string(e.method) +
                                       " is not supported (stored or deflate only)");
    }
    if (detail::crc32(raw) != e.crc) detail::throw_format(source, field + ": CRC-32 mismatch");
    out.emplace(std::move(key), parse_npy(raw, source + ": " + field));
  }
  return out;
}

[[nodiscard]] inline npz_map read_npz(const std::filesystem::path& path) {
  const auto bytes = detail::read_file_bytes(path);
  return parse_npz(bytes, path.string());
}

// An uncompressed archive (like np.savez); each key gets the ".npy" suffix.
[[nodiscard]] inline std::vector<std::byte> encode_npz(const npz_map& arrays) {
  std::vector<std::byte> out, cd;
  std::uint16_t n = 0;
  for (const auto& [key, a] : arrays) {
    const std::string name = key + ".npy";
    if (name.size() > 0xFFFF) throw invalid_argument_error("predsense: encode_npz: key too long");
    const auto member = encode_npy(a.data, a.shape, a.stored);
    if (member.size() >= 0xFFFFFFFFu || out.size() >= 0xFFFFFFFFu || n == 0xFFFF)
      throw invalid_argument_error("predsense: encode_npz: archive too large (zip64 writing is not supported)");
    const auto crc = detail::crc32(member);
    const auto offset = static_cast<std::uint32_t>(out.size());
    auto header = [&](std::vector<std::byte>& v, bool central) {
      detail::store_le<std::uint32_t>(v, central ? 0x02014b50u : 0x04034b50u);
      if (central) detail::store_le<std::uint16_t>(v, 20);  // version made by
      detail::store_le<std::uint16_t>(v, 20);               // version needed
      detail::store_le<std::uint16_t>(v, 0);                // flags
      detail::store_le<std::uint16_t>(v, 0);                // stored
      detail::store_le<std::uint16_t>(v, 0);                // time
      detail::store_le<std::uint16_t>(v, 0x21);             // date 1980-01-01
      detail::store_le<std::uint32_t>(v, crc);
      detail::store_le<std::uint32_t>(v, static_cast<std::uint32_t>(member.size()));
      detail::store_le<std::uint32_t>(v, static_cast<std::uint32_t>(member.size()));
      detail::store_le<std::uint16_t>(v, static_cast<std::uint16_t>(name.size()));
      detail::store_le<std::uint16_t>(v, 0);  // extra length
      if (central) {
        detail::store_le<std::uint16_t>(v, 0);  // comment length
        detail::store_le<std::uint16_t>(v, 0);  // disk
        detail::store_le<std::uint16_t>(v, 0);  // internal attributes
        detail::store_le<std::uint32_t>(v, 0);  // external attributes
        detail::store_le<std::uint32_t>(v, offset);
      }
      for (char ch : name) v.push_back(static_cast<std::byte>(ch));
    };
    header(out, false);
    out.insert(out.end(), member.begin(), member.end());
    header(cd, true);
    ++n;
  }
  if (out.size() >= 0xFFFFFFFFu) throw invalid_argument_error("predsense: encode_npz: archive too large");
  const auto cd_off = static_cast<std::uint32_t>(out.size());
  out.insert(out.end(), cd.begin(), cd.end());
  detail::store_le<std::uint32_t>(out, 0x06054b50u);
  detail::store_le<std::uint16_t>(out, 0);
  detail::store_le<std::uint16_t>(out, 0);
  detail::store_le<std::uint16_t>(out, n);
  detail::store_le<std::uint16_t>(out, n);
  detail::store_le<std::uint32_t>(out, static_cast<std::uint32_t>(cd.size()));
  detail::store_le<std::uint32_t>(out, cd_off);
  detail::store_le<std::uint16_t>(out, 0);
  return out;
}

inline void write_npz(const std::filesystem::path& path, const npz_map& arrays) {
  const auto bytes = encode_npz(arrays);
  detail::atomic_write_file(path, bytes);
}

}  // namespace predsense
