// predsense/io/npy.hpp - read and write NumPy .npy arrays of float32/float16 (float64 read too).
//
// Format: "\x93NUMPY", version (1.0: u16 header length; 2.0/3.0: u32), then a Python dict literal
//   {'descr': '<f4', 'fortran_order': False, 'shape': (3, 4), }
// padded with spaces and a newline, then the raw array. Fortran-order arrays are converted to C
// order on read (the caller always gets row-major data). Either byte order is accepted. Structured,
// integer, complex and object dtypes are rejected with a format_error naming the file and field,
// and so is a 'shape' whose byte size over its non-zero dimensions exceeds PTRDIFF_MAX, even one
// with a zero dimension such as (0, 2^62, 2^62): it holds nothing, but NumPy cannot represent it.
//
// Why a hand-written dict parser: core headers depend only on the standard library, and the
// header is a tiny, fixed grammar (three keys, strings/booleans/int tuples); the parser is
// bounds-checked and fuzzed (fuzz/fuzz_npy.cpp).
#pragma once

#include <algorithm>
#include <bit>
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "predsense/core/error.hpp"
#include "predsense/io/byte_io.hpp"
#include "predsense/io/half_float.hpp"

namespace predsense {

enum class npy_dtype { f32, f16, f64 };

// A dense row-major float array with its shape; `stored` is the element type it had on disk
// (and the one write_npy uses).
struct npy_array {
  std::vector<std::size_t> shape;
  std::vector<float> data;
  npy_dtype stored = npy_dtype::f32;

  [[nodiscard]] std::size_t numel() const noexcept {
    std::size_t n = 1;
    for (auto s : shape) n *= s;
    return n;
  }
};

namespace detail {

// Tokeniser for the .npy header dict (a Python literal).
class npy_header_parser {
 public:
  npy_header_parser(std::string_view s, std::string source) : s_(s), source_(std::move(source)) {}

  struct result {
    std::string descr;
    bool fortran = false;
    std::vector<std::size_t> shape;
  };

  result parse() {
    result r;
    bool have_descr = false, have_fortran = false, have_shape = false;
    ws();
    expect('{');
    for (;;) {
      ws();
      if (peek() == '}') {
        ++i_;
        break;
      }
      const std::string key = str("header key");
      ws();
      expect(':');
      ws();
      if (key == "descr") {
        if (peek() != '\'' && peek() != '"')
          fail("'descr' is not a simple type string (structured dtypes are not supported)");
        r.descr = str("'descr'");
        have_descr = true;
      } else if (key == "fortran_order") {
        if (s_.substr(i_, 4) == "True") {
          r.fortran = true;
          i_ += 4;
        } else if (s_.substr(i_, 5) == "False") {
          r.fortran = false;
          i_ += 5;
        } else
          fail("'fortran_order' must be True or False");
        have_fortran = true;
      } else if (key == "shape") {
        r.shape = tuple();
        have_shape = true;
      } else {
        fail("unexpected header key '" + key + "'");
      }
      ws();
      if (peek() == ',') {
        ++i_;
        continue;
      }
      ws();
      expect('}');
      break;
    }
    ws();
    if (i_ != s_.size()) fail("unexpected characters after the header dict");
    if (!have_descr) fail("header has no 'descr'");
    if (!have_fortran) fail("header has no 'fortran_order'");
    if (!have_shape) fail("header has no 'shape'");
    return r;
  }

 private:
  std::string_view s_;
  std::string source_;
  std::size_t i_ = 0;

  [[noreturn]] void fail(const std::string& what) const {
    throw format_error("predsense: " + source_ + ": .npy header: " + what + " (at header byte " + std::to_string(i_) +
                       ")");
  }
  char peek() const { return i_ < s_.size() ? s_[i_] : '\0'; }
  void ws() {
    while (i_ < s_.size() && (s_[i_] == ' ' || s_[i_] == '\n' || s_[i_] == '\t' || s_[i_] == '\r')) ++i_;
  }
  void expect(char c) {
    if (peek() != c || i_ >= s_.size()) fail(std::string("expected '") + c + "'");
    ++i_;
  }
  std::string str(const char* what) {
    const char q = peek();
    if (q != '\'' && q != '"') fail(std::string("expected a quoted string for ") + what);
    ++i_;
    const std::size_t start = i_;
    while (i_ < s_.size() && s_[i_] != q) {
      if (s_[i_] == '\\') fail("escapes are not supported in header strings");
      ++i_;
    }
    if (i_ >= s_.size()) fail(std::string("unterminated string for ") + what);
    return std::string(s_.substr(start, i_++ - start));
  }
  std::vector<std::size_t> tuple() {
    std::vector<std::size_t> out;
    expect('(');
    for (;;) {
      ws();
      if (peek() == ')') {
        ++i_;
        return out;
      }
      if (peek() < '0' || peek() > '9') fail("'shape' must be a tuple of non-negative integers");
      std::size_t v = 0;
      while (peek() >= '0' && peek() <= '9') {
        const auto d = static_cast<std::size_t>(s_[i_] - '0');
        if (v > (SIZE_MAX - d) / 10) fail("'shape' dimension too large");
        v = v * 10 + d;
        ++i_;
      }
      if (peek() == 'L') ++i_;  // Python 2 long suffix
      out.push_back(v);
      if (out.size() > 64) fail("'shape' has more than 64 dimensions");
      ws();
      if (peek() == ',') {
        ++i_;
        continue;
      }
      ws();
      expect(')');
      return out;
    }
  }
};

inline void fortran_to_c(std::vector<float>& data, const std::vector<std::size_t>& shape) {
  if (shape.size() < 2 || data.empty()) return;
  std::vector<float> out(data.size());
  const std::size_t nd = shape.size();
  std::vector<std::size_t> idx(nd, 0), fstride(nd, 1);
  for (std::size_t k = 1; k < nd; ++k) fstride[k] = fstride[k - 1] * shape[k - 1];
  for (std::size_t c = 0; c < out.size(); ++c) {  // c walks C order; idx is its multi-index
    std::size_t f = 0;
    for (std::size_t k = 0; k < nd; ++k) f += idx[k] * fstride[k];
    out[c] = data[f];
    for (std::size_t k = nd; k-- > 0;) {
      if (++idx[k] < shape[k]) break;
      idx[k] = 0;
    }
  }
  data.swap(out);
}

}  // namespace detail

// Parses a whole .npy file held in memory; `source` names it in errors.
[[nodiscard]] inline npy_array parse_npy(std::span<const std::byte> bytes, const std::string& source) {
  detail::byte_cursor cur(bytes, source);
  const auto magic = cur.take(6, "magic string");
  if (detail::as_chars(magic) != std::string_view("\x93NUMPY", 6))
    detail::throw_format(source, "not a .npy file (bad magic string)");
  const auto major = cur.read<std::uint8_t>("version");
  (void)cur.read<std::uint8_t>("minor version");
  std::size_t hlen = 0;
  if (major == 1)
    hlen = cur.read<std::uint16_t>("header length");
  else if (major == 2 || major == 3)
    hlen = cur.read<std::uint32_t>("header length");
  else
    detail::throw_format(source, "unsupported .npy version " + std::to_string(major));
  const auto htext = detail::as_chars(cur.take(hlen, "header"));
  const auto h = detail::npy_header_parser(htext, source).parse();

  std::string_view d = h.descr;
  bool big = false;
  if (d.size() == 3 && (d[0] == '<' || d[0] == '>' || d[0] == '|' || d[0] == '=')) {
    big = d[0] == '>' || (d[0] == '=' && std::endian::native == std::endian::big);
    d.remove_prefix(1);
  }
  npy_array a;
  std::size_t item = 0;
  if (d == "f4") {
    a.stored = npy_dtype::f32;
    item = 4;
  } else if (d == "f2") {
    a.stored = npy_dtype::f16;
    item = 2;
  } else if (d == "f8") {
    a.stored = npy_dtype::f64;
    item = 8;
  } else
    detail::throw_format(
        source, "'descr' '" + h.descr + "' is not supported (expected float32 '<f4', float16 '<f2' or float64 '<f8')");
  a.shape = h.shape;
  const std::size_t n = detail::checked_numel(a.shape, item, source, "'shape'");
  const std::size_t nbytes = n * item;  // checked_numel bounds it
  if (cur.remaining() != nbytes)
    detail::throw_format(source, "array data has " + std::to_string(cur.remaining()) +
                                     " bytes but 'shape' x 'descr' needs " + std::to_string(nbytes));
  const std::byte* p = cur.take(nbytes, "array data").data();
  a.data.resize(n);
  auto load = [&](std::size_t i, auto tag) {
    using U = decltype(tag);
    if (!big) return detail::load_le<U>(p + i * sizeof(U));
    U v = 0;  // big-endian: most significant byte first
    for (std::size_t k = 0; k < sizeof(U); ++k)
      v = static_cast<U>((v << 8) | std::to_integer<unsigned>(p[i * sizeof(U) + k]));
    return v;
  };
  for (std::size_t i = 0; i < n; ++i) {
    switch (a.stored) {
      case npy_dtype::f32:
        a.data[i] = std::bit_cast<float>(load(i, std::uint32_t{}));
        break;
      case npy_dtype::f16:
        a.data[i] = f16_to_float(load(i, std::uint16_t{}));
        break;
      case npy_dtype::f64:
        a.data[i] = static_cast<float>(std::bit_cast<double>(load(i, std::uint64_t{})));
        break;
    }
  }
  if (h.fortran) detail::fortran_to_c(a.data, a.shape);
  return a;
}

[[nodiscard]] inline npy_array read_npy(const std::filesystem::path& path) {
  const auto bytes = detail::read_file_bytes(path);
  return parse_npy(bytes, path.string());
}

// Encodes row-major `data` with `shape` as a version 1.0 .npy (little-endian, C order).
[[nodiscard]] inline std::vector<std::byte> encode_npy(std::span<const float> data,
                                                       const std::vector<std::size_t>& shape,
                                                       npy_dtype dtype = npy_dtype::f32) {
  std::size_t n = 1;
  for (auto s : shape) n = detail::checked_mul(n, s, "encode_npy", "shape");
  if (n != data.size())
    throw shape_error("predsense: encode_npy: " + std::to_string(data.size()) +
                      " values do not fill the requested shape (" + std::to_string(n) + " elements)");
  std::string header = "{'descr': '";
  header += dtype == npy_dtype::f32 ? "<f4" : dtype == npy_dtype::f16 ? "<f2" : "<f8";
  header += "', 'fortran_order': False, 'shape': (";
  for (std::size_t i = 0; i < shape.size(); ++i) {
    header += std::to_string(shape[i]);
    if (shape.size() == 1 || i + 1 < shape.size()) header += ",";
    if (i + 1 < shape.size()) header += " ";
  }
  header += "), }";
  // numpy pads so that the data starts on a 64-byte boundary, ending the header with '\n'.
  const std::size_t total = 10 + header.size() + 1;
  header.append((64 - total % 64) % 64, ' ');
  header += '\n';
  if (header.size() > 0xFFFF) throw invalid_argument_error("predsense: encode_npy: shape too long");
  std::vector<std::byte> out;
  for (char c : std::string_view("\x93NUMPY\x01\x00", 8)) out.push_back(static_cast<std::byte>(c));
  detail::store_le(out, static_cast<std::uint16_t>(header.size()));
  for (char c : header) out.push_back(static_cast<std::byte>(c));
  for (float v : data) {
    switch (dtype) {
      case npy_dtype::f32:
        detail::store_le(out, std::bit_cast<std::uint32_t>(v));
        break;
      case npy_dtype::f16:
        detail::store_le(out, float_to_f16(v));
        break;
      case npy_dtype::f64:
        detail::store_le(out, std::bit_cast<std::uint64_t>(static_cast<double>(v)));
        break;
    }
  }
  return out;
}

inline void write_npy(const std::filesystem::path& path, std::span<const float> data,
                      const std::vector<std::size_t>& shape, npy_dtype dtype = npy_dtype::f32) {
  const auto bytes = encode_npy(data, shape, dtype);
  detail::atomic_write_file(path, bytes);
}

inline void write_npy(const std::filesystem::path& path, const npy_array& a) {
  write_npy(path, a.data, a.shape, a.stored);
}

}  // namespace predsense
