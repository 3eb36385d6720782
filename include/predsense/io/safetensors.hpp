// predsense/io/safetensors.hpp - read and write the safetensors format.
//
// Layout: u64 little-endian header length N, N bytes of JSON
//   {name: {"dtype": "F32", "shape": [..], "data_offsets": [begin, end]}, "__metadata__": {str: str}}
// then the byte buffer (offsets are relative to its start).
//
// Writing: write_safetensors(path, map name -> tensor_data{dtype, shape, bytes}) writes a temp
// file and renames it over `path` (atomic: readers never see a torn file).
// Reading: safetensors_reader::open(path) reads and validates only the header; read()/read_floats()
// then fetch one tensor, so a head can be taken out of a multi-GB checkpoint shard without
// loading the shard. Every read goes to the file open() opened (kept open by the reader and its
// copies), so a checkpoint re-saved by atomic rename while it is being loaded is read whole from
// the old file, never mixed with the new one. read_floats converts F32/F16/BF16/F64 to float.
//
// Validation (all before any tensor byte is touched): header length within the file and <= 100 MB;
// JSON well formed; every dtype known; shape x dtype size == data_offsets span (overflow-checked);
// offsets inside the buffer, contiguous and non-overlapping, covering it exactly (as the
// reference implementation requires); a shape whose byte size, over its non-zero dimensions,
// exceeds PTRDIFF_MAX is refused even when it holds no element (NumPy could not represent it).
// Any violation throws format_error naming file and field.
// The header is parsed by nlohmann-json (Debian nlohmann-json3-dev; a compile-time error names it
// when it is missing), nesting limited to 64 levels before any value is built.
#pragma once

#include "predsense/config.hpp"
#ifndef PREDSENSE_HAS_NLOHMANN_JSON
#error "predsense/io/safetensors.hpp needs nlohmann-json: install nlohmann-json3-dev (Debian)"
#endif
#include <nlohmann/json.hpp>

#include <algorithm>
#include <bit>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <unordered_set>
#include <utility>
#include <vector>

#include "predsense/core/error.hpp"
#include "predsense/io/byte_io.hpp"
#include "predsense/io/half_float.hpp"

namespace predsense {

namespace detail {
// A JSON string literal for `s` (quotes and escapes), as the header writer needs.
inline std::string json_quote(const std::string& s) { return nlohmann::json(s).dump(); }

// Parses untrusted JSON text, checked as the parser goes (before anything is built): at most
// `max_depth` nested arrays/objects, and no key twice in one object (JSON leaves that undefined;
// a later duplicate would silently replace a tensor's entry). Errors are format_error naming
// `source`; nlohmann's own message gives the byte position of a syntax error.
inline nlohmann::json parse_json_checked(std::string_view text, const std::string& source, int max_depth = 64) {
  using event = nlohmann::json::parse_event_t;
  std::vector<std::unordered_set<std::string>> keys;  // keys seen per open object
  const nlohmann::json::parser_callback_t check = [&](int depth, event ev, nlohmann::json& parsed) {
    if ((ev == event::object_start || ev == event::array_start) && depth >= max_depth)
      throw_format(source, "JSON nesting deeper than " + std::to_string(max_depth) + " levels");
    if (ev == event::object_start) keys.emplace_back();
    if (ev == event::object_end && !keys.empty()) keys.pop_back();
    if (ev == event::key && !keys.empty()) {
      const auto& k = parsed.get_ref<const std::string&>();
      if (!keys.back().insert(k).second) throw_format(source, "duplicate key \"" + k + "\" in one JSON object");
    }
    return true;
  };
  try {
    return nlohmann::json::parse(text.begin(), text.end(), check);
  } catch (const nlohmann::json::exception& e) {
    throw_format(source, std::string("malformed JSON header: ") + e.what());
  }
  return {};
}
}  // namespace detail

namespace detail {
// A file opened once and read at offsets (safetensors_reader::open): the reads see the file that was
// opened even if its path is renamed over. The mutex serialises the seek + read of concurrent
// readers sharing it (tensor reads are const and may come from several threads).
class open_file {
 public:
  explicit open_file(const std::filesystem::path& path) : in_(path, std::ios::binary) {}
  [[nodiscard]] bool is_open() const { return static_cast<bool>(in_); }
  // Bytes in the file; uint64_t(-1) if unknown.
  [[nodiscard]] std::uint64_t size() {
    std::lock_guard<std::mutex> lk(mu_);
    in_.clear();
    in_.seekg(0, std::ios::end);
    const auto end = in_.tellg();
    return end < 0 ? std::uint64_t(-1) : static_cast<std::uint64_t>(end);
  }
  // n bytes at `offset` into out; false if the file is shorter or the read fails.
  [[nodiscard]] bool read_at(std::uint64_t offset, std::byte* out, std::size_t n) {
    std::lock_guard<std::mutex> lk(mu_);
    in_.clear();
    in_.seekg(static_cast<std::streamoff>(offset));
    return static_cast<bool>(in_.read(reinterpret_cast<char*>(out), static_cast<std::streamsize>(n)));
  }

 private:
  std::mutex mu_;
  std::ifstream in_;
};
}  // namespace detail

enum class tensor_dtype { f64, f32, f16, bf16, i64, i32, i16, i8, u8, boolean };

[[nodiscard]] constexpr std::size_t dtype_size(tensor_dtype t) noexcept {
  switch (t) {
    case tensor_dtype::f64:
    case tensor_dtype::i64:
      return 8;
    case tensor_dtype::f32:
    case tensor_dtype::i32:
      return 4;
    case tensor_dtype::f16:
    case tensor_dtype::bf16:
    case tensor_dtype::i16:
      return 2;
    default:
      return 1;
  }
}

[[nodiscard]] constexpr std::string_view dtype_name(tensor_dtype t) noexcept {
  switch (t) {
    case tensor_dtype::f64:
      return "F64";
    case tensor_dtype::f32:
      return "F32";
    case tensor_dtype::f16:
      return "F16";
    case tensor_dtype::bf16:
      return "BF16";
    case tensor_dtype::i64:
      return "I64";
    case tensor_dtype::i32:
      return "I32";
    case tensor_dtype::i16:
      return "I16";
    case tensor_dtype::i8:
      return "I8";
    case tensor_dtype::u8:
      return "U8";
    case tensor_dtype::boolean:
      return "BOOL";
  }
  return "?";
}

[[nodiscard]] inline std::optional<tensor_dtype> parse_dtype(std::string_view s) noexcept {
  for (auto t : {tensor_dtype::f64, tensor_dtype::f32, tensor_dtype::f16, tensor_dtype::bf16, tensor_dtype::i64,
                 tensor_dtype::i32, tensor_dtype::i16, tensor_dtype::i8, tensor_dtype::u8, tensor_dtype::boolean})
    if (dtype_name(t) == s) return t;
  return std::nullopt;
}

namespace detail {
inline std::size_t shape_numel(const std::vector<std::size_t>& shape, const std::string& source, const char* field) {
  std::size_t n = 1;
  for (auto s : shape) n = checked_mul(n, s, source, field);
  return n;
}
inline std::string shape_string(const std::vector<std::size_t>& shape) {
  std::string s = "[";
  for (std::size_t i = 0; i < shape.size(); ++i) {
    if (i) s += ", ";
    s += std::to_string(shape[i]);
  }
  return s + "]";
}

// bytes of `dtype` -> floats; `n` elements at `p` (unaligned, little-endian).
inline void convert_to_floats(tensor_dtype dtype, const std::byte* p, std::size_t n, float* out,
                              const std::string& source, const std::string& field) {
  switch (dtype) {
    case tensor_dtype::f32:
      for (std::size_t i = 0; i < n; ++i) out[i] = std::bit_cast<float>(load_le<std::uint32_t>(p + 4 * i));
      return;
    case tensor_dtype::f16:
      for (std::size_t i = 0; i < n; ++i) out[i] = f16_to_float(load_le<std::uint16_t>(p + 2 * i));
      return;
    case tensor_dtype::bf16:
      for (std::size_t i = 0; i < n; ++i) out[i] = bf16_to_float(load_le<std::uint16_t>(p + 2 * i));
      return;
    case tensor_dtype::f64:
      for (std::size_t i = 0; i < n; ++i)
        out[i] = static_cast<float>(std::bit_cast<double>(load_le<std::uint64_t>(p + 8 * i)));
      return;
    default:
      throw_format(source, field + ": dtype " + std::string(dtype_name(dtype)) +
                               " is not a floating-point type (expected F32, F16, BF16 or F64)");
  }
}
}  // namespace detail

// One tensor's dtype, shape and raw little-endian bytes (row-major).
struct tensor_data {
  tensor_dtype dtype = tensor_dtype::f32;
  std::vector<std::size_t> shape;
  std::vector<std::byte> bytes;

  [[nodiscard]] std::size_t numel() const { return detail::shape_numel(shape, "tensor_data", "shape"); }

  // Floats -> F32 / F16 / BF16 bytes (round to nearest even for the narrow types).
  static tensor_data from_floats(std::span<const float> values, std::vector<std::size_t> shape,
                                 tensor_dtype dtype = tensor_dtype::f32) {
    tensor_data t;
    t.dtype = dtype;
    t.shape = std::move(shape);
    if (t.numel() != values.size())
      throw shape_error("predsense: tensor_data::from_floats: " + std::to_string(values.size()) + " values for shape " +
                        detail::shape_string(t.shape));
    t.bytes.reserve(values.size() * dtype_size(dtype));
    for (float v : values) {
      switch (dtype) {
        case tensor_dtype::f32:
          detail::store_le(t.bytes, std::bit_cast<std::uint32_t>(v));
          break;
        case tensor_dtype::f16:
          detail::store_le(t.bytes, float_to_f16(v));
          break;
        case tensor_dtype::bf16:
          detail::store_le(t.bytes, float_to_bf16(v));
          break;
        default:
          throw invalid_argument_error("predsense: tensor_data::from_floats: target dtype " +
                                       std::string(dtype_name(dtype)) + " must be F32, F16 or BF16");
      }
    }
    return t;
  }

  // F32 / F16 / BF16 / F64 -> floats.
  [[nodiscard]] std::vector<float> to_floats() const {
    const std::size_t n = numel();
    if (bytes.size() != detail::checked_mul(n, dtype_size(dtype), "tensor_data", "byte count"))
      throw shape_error("predsense: tensor_data: " + std::to_string(bytes.size()) + " bytes do not hold shape " +
                        detail::shape_string(shape) + " of " + std::string(dtype_name(dtype)));
    std::vector<float> out(n);
    detail::convert_to_floats(dtype, bytes.data(), n, out.data(), "tensor_data", "to_floats");
    return out;
  }
};

using tensor_map = std::map<std::string, tensor_data>;
using metadata_map = std::map<std::string, std::string>;

// Where a tensor lives in a file: offsets relative to the start of the data buffer.
struct tensor_info {
  tensor_dtype dtype = tensor_dtype::f32;
  std::vector<std::size_t> shape;
  std::size_t begin = 0, end = 0;
  [[nodiscard]] std::size_t numel() const { return detail::shape_numel(shape, "tensor_info", "shape"); }
  [[nodiscard]] std::size_t nbytes() const noexcept { return end - begin; }
};

// Serialises to the safetensors byte layout (header padded with spaces to 8 bytes, tensors in
// name order, contiguous). Throws shape_error if a tensor's bytes do not match its shape.
inline std::vector<std::byte> encode_safetensors(const tensor_map& tensors, const metadata_map& metadata = {}) {
  std::string header = "{";
  bool first = true;
  if (!metadata.empty()) {
    header += "\"__metadata__\":{";
    bool f2 = true;
    for (const auto& [k, v] : metadata) {
      if (!f2) header += ',';
      header += detail::json_quote(k);
      header += ':';
      header += detail::json_quote(v);
      f2 = false;
    }
    header += "}";
    first = false;
  }
  std::size_t offset = 0;
  for (const auto& [name, t] : tensors) {
    if (name == "__metadata__")
      throw invalid_argument_error("predsense: safetensors: \"__metadata__\" is reserved, not a tensor name");
    const std::size_t want = detail::checked_mul(t.numel(), dtype_size(t.dtype), name, "byte count");
    if (t.bytes.size() != want)
      throw shape_error("predsense: safetensors: tensor \"" + name + "\" has " + std::to_string(t.bytes.size()) +
                        " bytes but shape " + detail::shape_string(t.shape) + " of " +
                        std::string(dtype_name(t.dtype)) + " needs " + std::to_string(want));
    // appended piecewise: GCC 12 warns (-Wrestrict, a false positive) on `"lit" + std::string`
    if (!first) header += ',';
    header += detail::json_quote(name);
    header += ":{\"dtype\":\"";
    header += dtype_name(t.dtype);
    header += "\",\"shape\":";
    header += detail::shape_string(t.shape);
    header += ",\"data_offsets\":[";
    header += std::to_string(offset);
    header += ',';
    header += std::to_string(offset + want);
    header += "]}";
    offset += want;
    first = false;
  }
  header += "}";
  while (header.size() % 8 != 0) header += ' ';  // keeps the data buffer 8-byte aligned

  std::vector<std::byte> out;
  out.reserve(8 + header.size() + offset);
  detail::store_le(out, static_cast<std::uint64_t>(header.size()));
  for (char c : header) out.push_back(static_cast<std::byte>(c));
  for (const auto& [name, t] : tensors) out.insert(out.end(), t.bytes.begin(), t.bytes.end());
  return out;
}

// Atomic write (temp file in the same directory + rename).
inline void write_safetensors(const std::filesystem::path& path, const tensor_map& tensors,
                              const metadata_map& metadata = {}) {
  const auto bytes = encode_safetensors(tensors, metadata);
  detail::atomic_write_file(path, bytes);
}

class safetensors_reader {
 public:
  static constexpr std::uint64_t max_header_bytes = 100'000'000;  // same cap as the reference

  // Reads and validates the header of `path`; tensor bytes are read on demand, from the same open
  // file (copies of the reader share it), so a writer that replaces `path` meanwhile (a checkpoint
  // re-saved by atomic rename) cannot pair this header with another file's bytes.
  static safetensors_reader open(const std::filesystem::path& path) {
    safetensors_reader r;
    r.source_ = path.string();
    r.file_ = std::make_shared<detail::open_file>(path);
    if (!r.file_->is_open()) throw format_error("predsense: " + r.source_ + ": cannot open for reading");
    const std::uint64_t file_size = r.file_->size();
    if (file_size == std::uint64_t(-1)) throw format_error("predsense: " + r.source_ + ": cannot determine file size");
    std::byte len8[8];
    if (file_size < 8 || !r.file_->read_at(0, len8, 8))
      detail::throw_format(r.source_, "truncated: header length needs 8 bytes, file has " + std::to_string(file_size));
    const std::uint64_t n = detail::load_le<std::uint64_t>(len8);
    check_header_len(r.source_, n, file_size);
    std::string header(static_cast<std::size_t>(n), '\0');
    if (n && !r.file_->read_at(8, reinterpret_cast<std::byte*>(header.data()), static_cast<std::size_t>(n)))
      detail::throw_format(r.source_, "read of the header failed");
    r.data_start_ = 8 + n;
    r.parse_header(header, file_size - 8 - n);
    return r;
  }

  // Parses an in-memory file (copied); `source` names it in errors. Used by tests and the fuzzer.
  static safetensors_reader from_bytes(std::span<const std::byte> bytes, std::string source = "<memory>") {
    safetensors_reader r;
    r.source_ = std::move(source);
    if (bytes.size() < 8)
      detail::throw_format(r.source_,
                           "truncated: header length needs 8 bytes, data has " + std::to_string(bytes.size()));
    const std::uint64_t n = detail::load_le<std::uint64_t>(bytes.data());
    check_header_len(r.source_, n, bytes.size());
    r.data_start_ = 8 + n;
    r.mem_ = std::make_shared<std::vector<std::byte>>(bytes.begin(), bytes.end());
    r.parse_header(detail::as_chars(bytes.subspan(8, static_cast<std::size_t>(n))), bytes.size() - 8 - n);
    return r;
  }

  [[nodiscard]] const std::string& source() const noexcept { return source_; }
  // Tensor names in file (offset) order.
  [[nodiscard]] const std::vector<std::string>& names() const noexcept { return order_; }
  [[nodiscard]] bool contains(const std::string& name) const { return infos_.count(name) != 0; }
  [[nodiscard]] const metadata_map& metadata() const noexcept { return metadata_; }

  // Throws format_error naming the file if there is no such tensor.
  [[nodiscard]] const tensor_info& info(const std::string& name) const {
    auto it = infos_.find(name);
    if (it == infos_.end())
      detail::throw_format(source_,
                           "no tensor named \"" + name + "\" (file has " + std::to_string(infos_.size()) + " tensors)");
    return it->second;
  }

  [[nodiscard]] tensor_data read(const std::string& name) const {
    const tensor_info& ti = info(name);
    tensor_data t;
    t.dtype = ti.dtype;
    t.shape = ti.shape;
    t.bytes.resize(ti.nbytes());
    fetch(ti, t.bytes.data(), name);
    return t;
  }

  // F32/F16/BF16/F64 -> float; throws format_error for integer dtypes.
  [[nodiscard]] std::vector<float> read_floats(const std::string& name) const {
    const tensor_info& ti = info(name);
    std::vector<std::byte> raw(ti.nbytes());
    fetch(ti, raw.data(), name);
    std::vector<float> out(ti.numel());
    detail::convert_to_floats(ti.dtype, raw.data(), out.size(), out.data(), source_, "tensor \"" + name + "\"");
    return out;
  }

  [[nodiscard]] tensor_map read_all() const {
    tensor_map m;
    for (const auto& n : order_) m.emplace(n, read(n));
    return m;
  }

 private:
  std::string source_;
  std::shared_ptr<detail::open_file> file_;  // open(): the file, shared by copies
  std::shared_ptr<const std::vector<std::byte>> mem_;
  std::uint64_t data_start_ = 0;
  std::map<std::string, tensor_info> infos_;
  std::vector<std::string> order_;
  metadata_map metadata_;

  static void check_header_len(const std::string& source, std::uint64_t n, std::uint64_t total) {
    if (n > max_header_bytes)
      detail::throw_format(source, "header length " + std::to_string(n) + " exceeds the " +
                                       std::to_string(max_header_bytes) + "-byte limit");
    if (n > total - 8)
      detail::throw_format(source, "truncated: header length " + std::to_string(n) + " but only " +
                                       std::to_string(total - 8) + " bytes follow the length field");
  }

  void fetch(const tensor_info& ti, std::byte* out, const std::string& name) const {
    if (ti.nbytes() == 0) return;
    if (mem_) {
      std::memcpy(out, mem_->data() + data_start_ + ti.begin, ti.nbytes());
      return;
    }
    if (!file_->read_at(data_start_ + ti.begin, out, ti.nbytes()))
      detail::throw_format(source_, "tensor \"" + name + "\": file shrank or read failed");
  }

  static std::size_t as_size(const nlohmann::json& v, const std::string& source, const std::string& field) {
    if (!v.is_number_unsigned()) detail::throw_format(source, field + " must be a non-negative integer");
    const auto u = v.get<std::uint64_t>();
    if (u > static_cast<std::uint64_t>(SIZE_MAX)) detail::throw_format(source, field + " too large");
    return static_cast<std::size_t>(u);
  }

  void parse_header(std::string_view text, std::uint64_t buffer_size) {
    const nlohmann::json root = detail::parse_json_checked(text, source_ + ": header");
    if (!root.is_object()) detail::throw_format(source_, "header is not a JSON object");
    std::vector<std::pair<std::size_t, std::string>> by_offset;
    for (const auto& [name, v] : root.items()) {
      if (name == "__metadata__") {
        if (!v.is_object()) detail::throw_format(source_, "__metadata__ must be an object");
        for (const auto& [k, mv] : v.items()) {
          if (!mv.is_string()) detail::throw_format(source_, "__metadata__[\"" + k + "\"] must be a string");
          metadata_[k] = mv.get<std::string>();
        }
        continue;
      }
      const std::string field = "tensor \"" + name + "\"";
      if (!v.is_object()) detail::throw_format(source_, field + " is not an object");
      const auto dt = v.find("dtype");
      const auto sh = v.find("shape");
      const auto off = v.find("data_offsets");
      if (dt == v.end() || !dt->is_string()) detail::throw_format(source_, field + ": missing or non-string \"dtype\"");
      if (sh == v.end() || !sh->is_array()) detail::throw_format(source_, field + ": missing or non-array \"shape\"");
      if (off == v.end() || !off->is_array() || off->size() != 2)
        detail::throw_format(source_, field + ": \"data_offsets\" must be [begin, end]");
      const std::string dtype_text = dt->get<std::string>();
      tensor_info ti;
      const auto parsed = parse_dtype(dtype_text);
      if (!parsed) detail::throw_format(source_, field + ": unknown dtype \"" + dtype_text + "\"");
      ti.dtype = *parsed;
      for (std::size_t i = 0; i < sh->size(); ++i)
        ti.shape.push_back(as_size((*sh)[i], source_, field + ": shape[" + std::to_string(i) + "]"));
      ti.begin = as_size((*off)[0], source_, field + ": data_offsets[0]");
      ti.end = as_size((*off)[1], source_, field + ": data_offsets[1]");
      if (ti.begin > ti.end)
        detail::throw_format(
            source_, field + ": data_offsets begin " + std::to_string(ti.begin) + " > end " + std::to_string(ti.end));
      if (ti.end > buffer_size)
        detail::throw_format(source_, field + ": data_offsets end " + std::to_string(ti.end) + " beyond the " +
                                          std::to_string(buffer_size) + "-byte data buffer");
      // bounded as NumPy bounds an array (zero dimensions included), so every tensor read converts
      const std::size_t numel =
          detail::checked_numel(ti.shape, dtype_size(ti.dtype), source_, (field + ": shape").c_str());
      const std::size_t want = numel * dtype_size(ti.dtype);
      if (want != ti.nbytes())
        detail::throw_format(source_, field + ": shape " + detail::shape_string(ti.shape) + " of " + dtype_text +
                                          " needs " + std::to_string(want) + " bytes but data_offsets span " +
                                          std::to_string(ti.nbytes()));
      by_offset.emplace_back(ti.begin, name);
      infos_.emplace(name, std::move(ti));
    }
    // Tensors must tile the buffer: sorted by offset, each starts where the previous ended.
    std::sort(by_offset.begin(), by_offset.end(), [&](const auto& a, const auto& b) {
      return a.first != b.first ? a.first < b.first : infos_[a.second].end < infos_[b.second].end;
    });
    std::size_t expect = 0;
    for (const auto& [begin, name] : by_offset) {
      if (begin != expect)
        detail::throw_format(source_, "tensor \"" + name + "\": data_offsets begin " + std::to_string(begin) +
                                          (begin < expect ? " overlaps" : " leaves a gap after") +
                                          " the previous tensor (ending at " + std::to_string(expect) + ")");
      expect = infos_[name].end;
      order_.push_back(name);
    }
    if (expect != buffer_size)
      detail::throw_format(source_, "data buffer has " + std::to_string(buffer_size) + " bytes but the tensors cover " +
                                        std::to_string(expect));
  }
};

inline tensor_map read_safetensors(const std::filesystem::path& path) {
  return safetensors_reader::open(path).read_all();
}

}  // namespace predsense
