// predsense/memory/memory_checkpoint.hpp - save a memory_store to one safetensors file and load it
// back bit-identically.
//
// Layout: tensors "long_term.data" / "window.data" (F32, all entries' tokens stacked in time
// order, rows x dim) and per-entry metadata tensors "<part>.frame", ".seq", ".tokens", ".grid",
// ".merged_count", ".merged" (I64), ".surprise", ".timestamp" (F64: bit-exact scores), ".flags" (U8:
// 1 protected, 2 compressed); the store's configuration goes into the safetensors __metadata__ as
// JSON under "predsense.memory", with a 64-bit checksum of every tensor byte. One file, written to
// a temporary name and renamed (io/byte_io.hpp), so a crash mid-write leaves the previous
// checkpoint intact. Loading validates everything (structure, checksum, configuration and policy
// names/parameters against the receiving store, internal consistency) before touching the store;
// any problem throws format_error naming the file and what is wrong, and the store is unchanged.
// Policies are rebuilt by replaying on_admit over the restored entries (consolidation_policy.hpp).
#pragma once

#include <bit>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <string>
#include <utility>
#include <vector>

#include "predsense/core/error.hpp"
#include "predsense/io/mini_json.hpp"
#include "predsense/io/safetensors.hpp"
#include "predsense/memory/memory_entry.hpp"
#include "predsense/memory/memory_store.hpp"

namespace predsense {

namespace detail {

inline constexpr const char* checkpoint_key = "predsense.memory";
inline constexpr int checkpoint_version = 1;

// 64-bit FNV-1a over 8-byte words (then the tail bytes): cheap, and any flipped bit changes it.
inline std::uint64_t checkpoint_hash(std::uint64_t h, const std::vector<std::byte>& b) noexcept {
  constexpr std::uint64_t prime = 0x100000001B3ull;
  std::size_t i = 0;
  for (; i + 8 <= b.size(); i += 8) {
    std::uint64_t w;
    std::memcpy(&w, b.data() + i, 8);
    h = (h ^ w) * prime;
  }
  for (; i < b.size(); ++i) h = (h ^ std::to_integer<std::uint64_t>(b[i])) * prime;
  return h;
}

inline std::string fmt_double(double x) {
  char buf[40];
  std::snprintf(buf, sizeof buf, "%.17g", x);
  return buf;
}

// "name:key=value;..." for the parameters a policy type exposes: a checkpoint only loads into a
// memory configured the same way.
template <class P>
std::string policy_signature(const P& p) {
  std::string s(P::name);
  if constexpr (requires { p.threshold; }) s += ";threshold=" + fmt_double(static_cast<double>(p.threshold));
  if constexpr (requires { p.ratio; }) s += ";ratio=" + std::to_string(p.ratio);
  if constexpr (requires { p.edge; }) s += ";edge=" + std::to_string(static_cast<int>(p.edge));
  if constexpr (requires { p.sinks; }) s += ";sinks=" + std::to_string(p.sinks);
  if constexpr (requires { p.seed; }) s += ";seed=" + std::to_string(p.seed);
  if constexpr (requires { p.weight_floor; }) s += ";weight_floor=" + fmt_double(p.weight_floor);
  return s;
}

template <class T>
tensor_data pod_tensor(tensor_dtype dt, const std::vector<T>& v, std::vector<std::size_t> shape) {
  static_assert(std::endian::native == std::endian::little, "checkpoints assume a little-endian host");
  tensor_data t;
  t.dtype = dt;
  t.shape = std::move(shape);
  t.bytes.resize(v.size() * sizeof(T));
  if (!v.empty()) std::memcpy(t.bytes.data(), v.data(), t.bytes.size());
  return t;
}

template <class T>
std::vector<T> pod_read(const safetensors_reader& r, const std::string& name, tensor_dtype dt,
                        std::size_t n) {
  const tensor_info& ti = r.info(name);
  if (ti.dtype != dt || ti.numel() != n)
    throw_format(r.source(), "tensor \"" + name + "\": expected " + std::string(dtype_name(dt)) + " x " +
                                 std::to_string(n) + ", found " + std::string(dtype_name(ti.dtype)) +
                                 " x " + std::to_string(ti.numel()));
  const tensor_data t = r.read(name);
  std::vector<T> v(n);
  if (n) std::memcpy(v.data(), t.bytes.data(), n * sizeof(T));
  return v;
}

struct checkpoint_part {
  std::vector<memory_entry> entries;
  std::vector<float> data;  // stacked rows
};

inline void add_part(tensor_map& m, const std::string& p, const checkpoint_part& part, std::size_t dim) {
  const std::size_t n = part.entries.size();
  std::vector<std::int64_t> frame, seq, tokens, grid, mcount, merged;
  std::vector<double> surprise, ts;
  std::vector<std::uint8_t> flags;
  for (const auto& e : part.entries) {
    frame.push_back(static_cast<std::int64_t>(e.frame));
    seq.push_back(static_cast<std::int64_t>(e.seq));
    tokens.push_back(static_cast<std::int64_t>(e.tokens));
    grid.push_back(static_cast<std::int64_t>(e.grid.rows));
    grid.push_back(static_cast<std::int64_t>(e.grid.cols));
    mcount.push_back(static_cast<std::int64_t>(e.merged.size()));
    for (auto f : e.merged) merged.push_back(static_cast<std::int64_t>(f));
    surprise.push_back(e.surprise);
    ts.push_back(e.timestamp);
    flags.push_back(static_cast<std::uint8_t>((e.is_protected ? 1 : 0) | (e.compressed ? 2 : 0)));
  }
  m[p + ".frame"] = pod_tensor(tensor_dtype::i64, frame, {n});
  m[p + ".seq"] = pod_tensor(tensor_dtype::i64, seq, {n});
  m[p + ".tokens"] = pod_tensor(tensor_dtype::i64, tokens, {n});
  m[p + ".grid"] = pod_tensor(tensor_dtype::i64, grid, {n, 2});
  m[p + ".merged_count"] = pod_tensor(tensor_dtype::i64, mcount, {n});
  m[p + ".merged"] = pod_tensor(tensor_dtype::i64, merged, {merged.size()});
  m[p + ".surprise"] = pod_tensor(tensor_dtype::f64, surprise, {n});
  m[p + ".timestamp"] = pod_tensor(tensor_dtype::f64, ts, {n});
  m[p + ".flags"] = pod_tensor(tensor_dtype::u8, flags, {n});
  m[p + ".data"] = pod_tensor(tensor_dtype::f32, part.data, {dim == 0 ? 0 : part.data.size() / dim, dim});
}

inline checkpoint_part read_part(const safetensors_reader& r, const std::string& p, std::size_t n,
                                 std::size_t dim) {
  const auto& src = r.source();
  checkpoint_part part;
  const auto frame = pod_read<std::int64_t>(r, p + ".frame", tensor_dtype::i64, n);
  const auto seq = pod_read<std::int64_t>(r, p + ".seq", tensor_dtype::i64, n);
  const auto tokens = pod_read<std::int64_t>(r, p + ".tokens", tensor_dtype::i64, n);
  const auto grid = pod_read<std::int64_t>(r, p + ".grid", tensor_dtype::i64, 2 * n);
  const auto mcount = pod_read<std::int64_t>(r, p + ".merged_count", tensor_dtype::i64, n);
  const auto surprise = pod_read<double>(r, p + ".surprise", tensor_dtype::f64, n);
  const auto ts = pod_read<double>(r, p + ".timestamp", tensor_dtype::f64, n);
  const auto flags = pod_read<std::uint8_t>(r, p + ".flags", tensor_dtype::u8, n);
  std::size_t total_merged = 0, rows = 0;
  for (std::size_t i = 0; i < n; ++i) {
    if (tokens[i] <= 0 || grid[2 * i] < 0 || grid[2 * i + 1] < 0 || mcount[i] < 0 ||
        grid[2 * i] * grid[2 * i + 1] != tokens[i] || flags[i] > 3)
      throw_format(src, p + " entry " + std::to_string(i) + ": inconsistent tokens/grid/flags");
    total_merged += static_cast<std::size_t>(mcount[i]);
    rows += static_cast<std::size_t>(tokens[i]);
  }
  const auto merged = pod_read<std::int64_t>(r, p + ".merged", tensor_dtype::i64, total_merged);
  const tensor_info& di = r.info(p + ".data");
  if (di.dtype != tensor_dtype::f32 || di.shape.size() != 2 || di.shape[0] != rows || di.shape[1] != dim)
    throw_format(src, "tensor \"" + p + ".data\": expected F32 [" + std::to_string(rows) + ", " +
                          std::to_string(dim) + "], found shape " + shape_string(di.shape));
  part.data = pod_read<float>(r, p + ".data", tensor_dtype::f32, rows * dim);
  std::size_t mi = 0;
  for (std::size_t i = 0; i < n; ++i) {
    memory_entry e;
    e.frame = static_cast<std::uint64_t>(frame[i]);
    e.seq = static_cast<std::uint64_t>(seq[i]);
    e.tokens = static_cast<std::size_t>(tokens[i]);
    e.grid = {static_cast<std::size_t>(grid[2 * i]), static_cast<std::size_t>(grid[2 * i + 1])};
    e.surprise = surprise[i];
    e.timestamp = ts[i];
    e.is_protected = (flags[i] & 1) != 0;
    e.compressed = (flags[i] & 2) != 0;
    for (std::int64_t k = 0; k < mcount[i]; ++k) e.merged.push_back(static_cast<std::uint64_t>(merged[mi++]));
    // long-term entries are ordered by admission number, window frames (not admitted yet) by index
    if (i > 0 && (p == "window" ? e.frame <= part.entries.back().frame : e.seq <= part.entries.back().seq))
      throw_format(src, p + ": entries out of order");
    part.entries.push_back(std::move(e));
  }
  return part;
}

inline std::uint64_t json_uint(const json_value& j, const char* key, const std::string& src) {
  const json_value* v = j.find(key);
  if (!v || v->type != json_value::kind::number || !v->is_uint)
    throw_format(src, std::string("metadata field \"") + key + "\" missing or not a non-negative integer");
  return v->u;
}
inline std::string json_str(const json_value& j, const char* key, const std::string& src) {
  const json_value* v = j.find(key);
  if (!v || v->type != json_value::kind::string)
    throw_format(src, std::string("metadata field \"") + key + "\" missing or not a string");
  return v->text;
}

}  // namespace detail

template <class C, class P>
void save_checkpoint(const memory_store<C, P>& m, const std::filesystem::path& path) {
  const std::size_t dim = m.dim();
  detail::checkpoint_part lt, win;
  m.for_each([&](const memory_item& it) {
    auto& part = it.in_window ? win : lt;
    part.entries.push_back(it.entry);
    part.data.insert(part.data.end(), it.data.data, it.data.data + it.data.size());
  });
  tensor_map tensors;
  detail::add_part(tensors, "long_term", lt, dim);
  detail::add_part(tensors, "window", win, dim);
  std::uint64_t h = 0xCBF29CE484222325ull;
  for (const auto& [name, t] : tensors) h = detail::checkpoint_hash(h, t.bytes);
  char hex[24];
  std::snprintf(hex, sizeof hex, "%016llx", static_cast<unsigned long long>(h));
  std::string meta = "{\"format\":\"predsense.memory\",\"version\":" + std::to_string(detail::checkpoint_version);
  meta += ",\"compression\":" + detail::json_quote(detail::policy_signature(m.compression()));
  meta += ",\"consolidation\":" + detail::json_quote(detail::policy_signature(m.consolidation()));
  meta += ",\"window\":" + std::to_string(m.config().window);
  meta += ",\"budget\":" + std::to_string(m.config().budget);
  meta += ",\"dim\":" + std::to_string(dim);
  meta += ",\"frames_seen\":" + std::to_string(m.frames_seen());
  meta += ",\"next_seq\":" + std::to_string(m.long_term().next_seq());
  meta += ",\"long_term_entries\":" + std::to_string(lt.entries.size());
  meta += ",\"window_entries\":" + std::to_string(win.entries.size());
  meta += ",\"checksum\":\"" + std::string(hex) + "\"}";
  write_safetensors(path, tensors, {{detail::checkpoint_key, meta}});
}

// Replaces `m`'s state with the checkpoint's. `m` must be configured like the memory that saved
// it (window, budget, policy types and parameters); otherwise format_error, and `m` is unchanged.
template <class C, class P>
void load_checkpoint(memory_store<C, P>& m, const std::filesystem::path& path) {
  const safetensors_reader r = safetensors_reader::open(path);
  const std::string& src = r.source();
  auto it = r.metadata().find(detail::checkpoint_key);
  if (it == r.metadata().end())
    detail::throw_format(src, std::string("not a predsense memory checkpoint (no \"") + detail::checkpoint_key +
                                  "\" in __metadata__)");
  const detail::json_value meta = detail::json_parser(it->second, src + " metadata").parse();
  if (meta.type != detail::json_value::kind::object || detail::json_str(meta, "format", src) != "predsense.memory")
    detail::throw_format(src, "metadata \"format\" is not \"predsense.memory\"");
  if (detail::json_uint(meta, "version", src) != detail::checkpoint_version)
    detail::throw_format(src, "checkpoint version " + std::to_string(detail::json_uint(meta, "version", src)) +
                                  " is not supported (expected " + std::to_string(detail::checkpoint_version) + ")");
  auto require_same = [&](const char* field, const std::string& file, const std::string& mine) {
    if (file != mine)
      detail::throw_format(src, std::string("mismatched checkpoint: ") + field + " is \"" + file +
                                    "\" in the file but \"" + mine + "\" in this memory");
  };
  require_same("compression", detail::json_str(meta, "compression", src), detail::policy_signature(m.compression()));
  require_same("consolidation", detail::json_str(meta, "consolidation", src),
               detail::policy_signature(m.consolidation()));
  require_same("window", std::to_string(detail::json_uint(meta, "window", src)), std::to_string(m.config().window));
  require_same("budget", std::to_string(detail::json_uint(meta, "budget", src)), std::to_string(m.config().budget));
  const std::size_t dim = detail::json_uint(meta, "dim", src);
  if (m.dim() != 0 && dim != 0) require_same("dim", std::to_string(dim), std::to_string(m.dim()));

  // checksum over every tensor byte, in name order (as written)
  std::uint64_t h = 0xCBF29CE484222325ull;
  for (const auto& [name, t] : r.read_all()) h = detail::checkpoint_hash(h, t.bytes);
  char hex[24];
  std::snprintf(hex, sizeof hex, "%016llx", static_cast<unsigned long long>(h));
  if (detail::json_str(meta, "checksum", src) != hex)
    detail::throw_format(src, "checksum mismatch (file says " + detail::json_str(meta, "checksum", src) +
                                  ", contents hash to " + hex + "): the checkpoint is corrupted");

  const std::size_t n_lt = detail::json_uint(meta, "long_term_entries", src);
  const std::size_t n_win = detail::json_uint(meta, "window_entries", src);
  if ((n_lt + n_win) != 0 && dim == 0) detail::throw_format(src, "entries present but dim is 0");
  const auto lt = detail::read_part(r, "long_term", n_lt, dim);
  const auto win = detail::read_part(r, "window", n_win, dim);
  std::size_t lt_tokens = 0;
  for (const auto& e : lt.entries) lt_tokens += e.tokens;
  if (lt_tokens > m.config().budget)
    detail::throw_format(src, "long-term memory holds " + std::to_string(lt_tokens) + " tokens, over the budget of " +
                                  std::to_string(m.config().budget));
  if (n_win > m.config().window)
    detail::throw_format(src, std::to_string(n_win) + " window entries for a window of " +
                                  std::to_string(m.config().window));
  const std::uint64_t next_seq = detail::json_uint(meta, "next_seq", src);
  for (const auto& e : lt.entries)
    if (e.seq >= next_seq) detail::throw_format(src, "entry sequence number past next_seq");

  using access = typename memory_store<C, P>::restore_access;
  access::begin(m, detail::json_uint(meta, "frames_seen", src), dim, next_seq);
  std::size_t row = 0;
  for (const auto& e : lt.entries) {
    access::long_term(m, e, frame_view(lt.data.data() + row * dim, e.tokens, dim));
    row += e.tokens;
  }
  row = 0;
  for (const auto& e : win.entries) {
    access::window(m, e, frame_view(win.data.data() + row * dim, e.tokens, dim));
    row += e.tokens;
  }
  access::finish(m, next_seq);
}

}  // namespace predsense
