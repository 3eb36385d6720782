// predsense/memory/memory_checkpoint.hpp - save a memory_store to one safetensors file and load it
// back bit-identically.
//
// Layout: tensors "long_term.data" / "window.data" (F32, all entries' tokens stacked in time
// order, rows x dim) and per-entry metadata tensors "<part>.frame", ".seq", ".tokens", ".grid",
// ".merged_count", ".merged" (I64), ".surprise", ".timestamp" (F64: bit-exact scores), ".flags" (U8:
// 1 protected, 2 compressed); the store's configuration goes into the safetensors __metadata__ as
// JSON (nlohmann-json) under "predsense.memory": format, version, window, budget, dim, counters,
// each policy as {"name", "params"} from the policy's params() (memory/policies/policy_params.hpp), and a
// 64-bit checksum of every tensor byte. Numbers are written without the process locale.
// One file, written to a temporary name and renamed (io/byte_io.hpp), so a crash mid-write leaves
// the previous checkpoint intact; a successful save removes temp files a crashed save of the same
// path left behind (io/temp_files.hpp).
//
// Loading treats the file as hostile. The checksum only catches accidents (anyone can recompute
// it); the defence is that every field is checked before use: JSON types and ranges, policy names
// and parameters against the receiving store, every count, token grid (rows x cols == tokens,
// without overflow), merged-frame count and data shape against the tensors actually present,
// frame indices against frames_seen, sequence numbers against next_seq, flags, finite scores,
// the budget and the window. Any problem throws format_error naming the file and the field, and
// the store is unchanged. Policies are rebuilt by replaying on_admit over the restored entries;
// a policy with state of its own (state_kind + visit_state: pool_relative's and peak_preserving's
// trailing statistics of frames no longer held) is then given its saved state, stored since
// version 3 as its own state file's bytes (io/state_file.hpp) in the U8 tensor "compression.state"
// or "consolidation.state", loaded with load_state's checks and checked against the entries
// before the store changes. Version 2 files (no policy state) still load: the replay alone
// rebuilds the statistics from the entries held (later decisions may then differ from an
// uninterrupted run). A version 3 file without a stateful policy's tensor, or with one for a
// stateless policy, is refused naming the tensor.
// Both policies must declare params() (a policy without it does not compile here).
#pragma once

#include "predsense/config.hpp"
#ifndef PREDSENSE_HAS_NLOHMANN_JSON
#error "predsense/memory/memory_checkpoint.hpp needs nlohmann-json: install nlohmann-json3-dev (Debian)"
#endif
#include <nlohmann/json.hpp>

#include <bit>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <filesystem>
#include <limits>
#include <string>
#include <utility>
#include <vector>

#include "predsense/core/checked_size.hpp"
#include "predsense/core/error.hpp"
#include "predsense/io/safetensors.hpp"
#include "predsense/io/state_file.hpp"
#include "predsense/io/temp_files.hpp"
#include "predsense/memory/memory_entry.hpp"
#include "predsense/memory/memory_store.hpp"
#include "predsense/memory/policies/policy_params.hpp"

namespace predsense {

namespace detail {

inline constexpr const char* checkpoint_key = "predsense.memory";
// 2: policies as {name, params}, nlohmann JSON; 3: + each stateful policy's state ("<role>.state")
inline constexpr std::uint64_t checkpoint_version = 3;
inline constexpr std::uint64_t checkpoint_version_min = 2;  // read: version 2 lacks policy state

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

inline std::string hex64(std::uint64_t h) {
  static constexpr char digits[] = "0123456789abcdef";
  std::string s(16, '0');
  for (int i = 15; i >= 0; --i, h >>= 4) s[static_cast<std::size_t>(i)] = digits[h & 15];
  return s;
}

template <class P>
nlohmann::json policy_json(const P& p) {
  static_assert(
      declares_params<P>,
      "predsense: a memory policy must declare params() (memory/policies/policy_params.hpp) to be checkpointed");
  nlohmann::json params = nlohmann::json::object();
  for (const auto& q : p.params()) std::visit([&](auto v) { params[q.name] = v; }, q.value);
  return {{"name", std::string(P::name)}, {"params", params}};
}

// A policy with state (state_kind + visit_state: pool_relative, peak_preserving) stores it as its
// own state file's bytes (io/state_file.hpp), one U8 tensor "<role>.state".
template <class P>
void add_policy_state(tensor_map& m, const std::string& role, const P& p) {
  if constexpr (has_state<P>) {
    const auto bytes = encode_state(p);
    tensor_data t;
    t.dtype = tensor_dtype::u8;
    t.shape = {bytes.size()};
    t.bytes = bytes;
    m[role + ".state"] = std::move(t);
  }
}

// The policy `p` with the file's saved state (checked by load_state), or nullopt-like `false` when
// the file predates policy state (version 2: the policy is rebuilt by replay, documented rule).
template <class P>
bool read_policy_state(const safetensors_reader& r, const std::string& role, std::uint64_t version, P& p) {
  const std::string name = role + ".state";
  const bool present = r.contains(name);
  if constexpr (!has_state<P>) {
    if (present) throw_format(r.source(), "tensor \"" + name + "\": this memory's " + role + " policy has no state");
    return false;
  } else {
    if (!present) {
      if (version < 3) return false;
      throw_format(r.source(), "tensor \"" + name + "\" is missing (the " + role + " policy's state)");
    }
    const tensor_info& ti = r.info(name);
    if (ti.dtype != tensor_dtype::u8 || ti.shape.size() != 1)
      throw_format(r.source(), "tensor \"" + name + "\": expected U8 bytes, found " +
                                   std::string(dtype_name(ti.dtype)) + " " + shape_string(ti.shape));
    const tensor_data t = r.read(name);
    load_state(p, std::span<const std::byte>(t.bytes), r.source() + " (" + name + ")");
    return true;
  }
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
std::vector<T> pod_read(const safetensors_reader& r, const std::string& name, tensor_dtype dt, std::size_t n) {
  const tensor_info& ti = r.info(name);
  if (ti.dtype != dt || ti.numel() != n)
    throw_format(r.source(), "tensor \"" + name + "\": expected " + std::string(dtype_name(dt)) + " x " +
                                 std::to_string(n) + ", found " + std::string(dtype_name(ti.dtype)) + " x " +
                                 std::to_string(ti.numel()));
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

// Every per-entry field is checked against the others and against the tensors present before
// anything is allocated from it or indexed with it.
inline checkpoint_part read_part(const safetensors_reader& r, const std::string& p, std::size_t n, std::size_t dim,
                                 std::uint64_t frames_seen) {
  const auto& src = r.source();
  checkpoint_part part;
  const auto frame = pod_read<std::int64_t>(r, p + ".frame", tensor_dtype::i64, n);
  const auto seq = pod_read<std::int64_t>(r, p + ".seq", tensor_dtype::i64, n);
  const auto tokens = pod_read<std::int64_t>(r, p + ".tokens", tensor_dtype::i64, n);
  const auto grid =
      pod_read<std::int64_t>(r, p + ".grid", tensor_dtype::i64, predsense::checked_mul(2, n, p + ".grid"));
  const auto mcount = pod_read<std::int64_t>(r, p + ".merged_count", tensor_dtype::i64, n);
  const auto surprise = pod_read<double>(r, p + ".surprise", tensor_dtype::f64, n);
  const auto ts = pod_read<double>(r, p + ".timestamp", tensor_dtype::f64, n);
  const auto flags = pod_read<std::uint8_t>(r, p + ".flags", tensor_dtype::u8, n);
  const bool window = p == "window";
  std::size_t total_merged = 0, rows = 0;
  try {
    for (std::size_t i = 0; i < n; ++i) {
      const std::string at = p + " entry " + std::to_string(i);
      // protected (prompt) entries carry frame index ~0 (memory_store::protected_frame), i.e. -1 here
      const bool prompt = flags[i] == 1 && frame[i] == -1;
      if ((frame[i] < 0 && !prompt) || seq[i] < 0)
        throw_format(
            src, at + ": negative frame (" + std::to_string(frame[i]) + ") or seq (" + std::to_string(seq[i]) + ")");
      if (tokens[i] <= 0 || grid[2 * i] <= 0 || grid[2 * i + 1] <= 0 || mcount[i] < 0)
        throw_format(src, at + ": tokens, grid and merged_count must be positive (tokens " + std::to_string(tokens[i]) +
                              ", grid " + std::to_string(grid[2 * i]) + "x" + std::to_string(grid[2 * i + 1]) +
                              ", merged_count " + std::to_string(mcount[i]) + ")");
      const grid_shape g{static_cast<std::size_t>(grid[2 * i]), static_cast<std::size_t>(grid[2 * i + 1])};
      if (g.checked_tokens(at + " grid") != static_cast<std::size_t>(tokens[i]))
        throw_format(src, at + ": grid " + std::to_string(g.rows) + "x" + std::to_string(g.cols) + " does not hold " +
                              std::to_string(tokens[i]) + " tokens");
      if (flags[i] > 3) throw_format(src, at + ": flags " + std::to_string(flags[i]) + " (only bits 1 and 2 exist)");
      if (!std::isfinite(surprise[i]) || !std::isfinite(ts[i]))
        throw_format(src, at + ": surprise and timestamp must be finite");
      const bool prot = (flags[i] & 1) != 0;
      if (window && (flags[i] != 0 || mcount[i] != 1))
        throw_format(src, at + ": a window frame is one unprotected, uncompressed frame");
      if (prot != prompt) throw_format(src, at + ": a protected entry has frame -1, and only it");
      if (!prot && static_cast<std::uint64_t>(frame[i]) >= frames_seen)
        throw_format(src, at + ": frame " + std::to_string(frame[i]) + " is not below frames_seen (" +
                              std::to_string(frames_seen) + ")");
      total_merged =
          predsense::checked_add(total_merged, static_cast<std::size_t>(mcount[i]), p + ".merged_count total");
      rows = predsense::checked_add(rows, static_cast<std::size_t>(tokens[i]), p + ".tokens total");
    }
  } catch (const invalid_argument_error& e) {  // an overflowing count is a malformed file
    throw_format(src, e.what());
  }
  // sizes are now sums of checked fields; pod_read compares them with the tensors present
  const auto merged = pod_read<std::int64_t>(r, p + ".merged", tensor_dtype::i64, total_merged);
  const tensor_info& di = r.info(p + ".data");
  if (di.dtype != tensor_dtype::f32 || di.shape.size() != 2 || di.shape[0] != rows || di.shape[1] != dim)
    throw_format(src, "tensor \"" + p + ".data\": expected F32 [" + std::to_string(rows) + ", " + std::to_string(dim) +
                          "], found shape " + shape_string(di.shape));
  std::size_t cells = 0;
  try {
    cells = predsense::checked_mul(rows, dim, p + ".data rows x dim");
  } catch (const invalid_argument_error& e) {
    throw_format(src, e.what());
  }
  part.data = pod_read<float>(r, p + ".data", tensor_dtype::f32, cells);
  std::size_t mi = 0;
  for (std::size_t i = 0; i < n; ++i) {
    const std::string at = p + " entry " + std::to_string(i);
    memory_entry e;
    e.frame = static_cast<std::uint64_t>(frame[i]);
    e.seq = static_cast<std::uint64_t>(seq[i]);
    e.tokens = static_cast<std::size_t>(tokens[i]);
    e.grid = {static_cast<std::size_t>(grid[2 * i]), static_cast<std::size_t>(grid[2 * i + 1])};
    e.surprise = surprise[i];
    e.timestamp = ts[i];
    e.is_protected = (flags[i] & 1) != 0;
    e.compressed = (flags[i] & 2) != 0;
    const auto count = static_cast<std::size_t>(mcount[i]);
    e.merged.reserve(count);
    for (std::size_t k = 0; k < count; ++k) {
      const std::int64_t f = merged[mi++];
      // merged frames: increasing, already seen (a protected prompt entry's are not frames)
      if (!e.is_protected && (f < 0 || static_cast<std::uint64_t>(f) >= frames_seen ||
                              (!e.merged.empty() && static_cast<std::uint64_t>(f) <= e.merged.back())))
        throw_format(src, at + ": merged frame " + std::to_string(f) + " is out of order or not below frames_seen (" +
                              std::to_string(frames_seen) + ")");
      e.merged.push_back(static_cast<std::uint64_t>(f));
    }
    if (!e.is_protected && (e.merged.empty() || e.merged.front() != e.frame))
      throw_format(src, at + ": its first merged frame is not its frame " + std::to_string(e.frame));
    // long-term entries are ordered by admission number, window frames (not admitted yet) by index
    if (i > 0 && (window ? e.frame <= part.entries.back().frame : e.seq <= part.entries.back().seq))
      throw_format(src, p + ": entries out of order at entry " + std::to_string(i));
    part.entries.push_back(std::move(e));
  }
  return part;
}

// Metadata fields, each checked for presence and type; messages give the JSON pointer.
inline const nlohmann::json& json_field(const nlohmann::json& j, const char* key, const std::string& src) {
  const auto it = j.find(key);
  if (it == j.end()) throw_format(src, std::string("metadata field /") + key + " is missing");
  return *it;
}
inline std::uint64_t json_uint(const nlohmann::json& j, const char* key, const std::string& src) {
  const auto& v = json_field(j, key, src);
  if (!v.is_number_unsigned())
    throw_format(src, std::string("metadata field /") + key + " must be a non-negative integer, got " + v.dump());
  return v.get<std::uint64_t>();
}
inline std::string json_str(const nlohmann::json& j, const char* key, const std::string& src) {
  const auto& v = json_field(j, key, src);
  if (!v.is_string()) throw_format(src, std::string("metadata field /") + key + " must be a string, got " + v.dump());
  return v.get<std::string>();
}

// {"name": ..., "params": {...}} from the file -> the same "name;key=value" text as the memory's
// own policy gives, with values read back exactly (so the comparison is by value, not by text).
inline std::string policy_from_json(const nlohmann::json& meta, const char* key, const std::string& src) {
  const auto& p = json_field(meta, key, src);
  if (!p.is_object()) throw_format(src, std::string("metadata field /") + key + " must be an object");
  const std::string name = json_str(p, "name", src);
  const auto& params = json_field(p, "params", src);
  if (!params.is_object()) throw_format(src, std::string("metadata field /") + key + "/params must be an object");
  policy_params ps;
  for (const auto& [k, v] : params.items()) {
    if (v.is_number_unsigned())
      ps.push_back({k, v.get<std::uint64_t>()});
    else if (v.is_number_float())
      ps.push_back({k, v.get<double>()});
    else
      throw_format(src, std::string("metadata field /") + key + "/params/" + k + " must be a number, got " + v.dump());
  }
  return policy_signature(name, ps);
}

template <class P>
std::string policy_text(const P& p) {
  // through JSON and back, so both sides are ordered and typed the same way
  const nlohmann::json j = nlohmann::json::parse(policy_json(p).dump());
  return policy_from_json(nlohmann::json{{"p", j}}, "p", "");
}

// The checkpoint's metadata object, checked for what every reader needs before it reads any field:
// present, JSON nested at most 8 deep, an object, /format "predsense.memory", /version supported.
// Also used by the Python binding to rebuild a store from a file. Throws format_error naming the file.
inline nlohmann::json checkpoint_metadata(const safetensors_reader& r) {
  const std::string& src = r.source();
  auto it = r.metadata().find(checkpoint_key);
  if (it == r.metadata().end())
    throw_format(src, std::string("not a predsense memory checkpoint (no \"") + checkpoint_key + "\" in __metadata__)");
  nlohmann::json meta;
  try {
    // depth cap: the metadata is one flat object with two small ones inside
    meta = nlohmann::json::parse(it->second, [](int depth, nlohmann::json::parse_event_t, nlohmann::json&) {
      if (depth > 8) throw format_error("nesting deeper than 8");
      return true;
    });
  } catch (const std::exception& e) {
    throw_format(src, std::string("metadata is not valid JSON: ") + e.what());
  }
  if (!meta.is_object() || json_str(meta, "format", src) != "predsense.memory")
    throw_format(src, "metadata /format is not \"predsense.memory\"");
  const std::uint64_t version = json_uint(meta, "version", src);
  if (version < checkpoint_version_min || version > checkpoint_version)
    throw_format(src, "checkpoint version " + std::to_string(version) + " is not supported (expected " +
                          std::to_string(checkpoint_version) + "; re-create the checkpoint)");
  return meta;
}

}  // namespace detail

// The checkpoint's bytes (what save_checkpoint writes; a stream's state file embeds them).
template <class C, class P>
std::vector<std::byte> encode_checkpoint(const memory_store<C, P>& m) {
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
  detail::add_policy_state(tensors, "compression", m.compression());
  detail::add_policy_state(tensors, "consolidation", m.consolidation());
  std::uint64_t h = 0xCBF29CE484222325ull;
  for (const auto& [name, t] : tensors) h = detail::checkpoint_hash(h, t.bytes);
  const nlohmann::json meta = {{"format", "predsense.memory"},
                               {"version", detail::checkpoint_version},
                               {"compression", detail::policy_json(m.compression())},
                               {"consolidation", detail::policy_json(m.consolidation())},
                               {"window", m.params().window},
                               {"budget", m.params().budget},
                               {"dim", dim},
                               {"frames_seen", m.frames_seen()},
                               {"next_seq", m.long_term().next_seq()},
                               {"long_term_entries", lt.entries.size()},
                               {"window_entries", win.entries.size()},
                               {"checksum", detail::hex64(h)}};
  return encode_safetensors(tensors, {{detail::checkpoint_key, meta.dump()}});
}

template <class C, class P>
void save_checkpoint(const memory_store<C, P>& m, const std::filesystem::path& path) {
  const auto bytes = encode_checkpoint(m);
  detail::atomic_write_file(path, std::span<const std::byte>(bytes));
  detail::remove_stale_temps(path);
}

// Replaces `m`'s state with the checkpoint's. `m` must be configured like the memory that saved
// it (window, budget, policy types and parameters); otherwise format_error, and `m` is unchanged.
namespace detail {
enum class checksum_check { verify, skip };  // skip: only for fuzzing the field checks behind it

template <class C, class P>
void load_checkpoint_from(memory_store<C, P>& m, const safetensors_reader& r, checksum_check cs);
}  // namespace detail

template <class C, class P>
void load_checkpoint(memory_store<C, P>& m, const std::filesystem::path& path) {
  detail::load_checkpoint_from(m, safetensors_reader::open(path), detail::checksum_check::verify);
}

// The same from a reader over bytes already in memory (safetensors_reader::from_bytes).
template <class C, class P>
void load_checkpoint(memory_store<C, P>& m, const safetensors_reader& r) {
  detail::load_checkpoint_from(m, r, detail::checksum_check::verify);
}

template <class C, class P>
void detail::load_checkpoint_from(memory_store<C, P>& m, const safetensors_reader& r, checksum_check cs) {
  const std::string& src = r.source();
  const nlohmann::json meta = detail::checkpoint_metadata(r);
  auto require_same = [&](const char* field, const std::string& file, const std::string& mine) {
    if (file != mine)
      detail::throw_format(src, std::string("mismatched checkpoint: ") + field + " is \"" + file +
                                    "\" in the file but \"" + mine + "\" in this memory");
  };
  require_same("compression", detail::policy_from_json(meta, "compression", src), detail::policy_text(m.compression()));
  require_same("consolidation", detail::policy_from_json(meta, "consolidation", src),
               detail::policy_text(m.consolidation()));
  require_same("window", std::to_string(detail::json_uint(meta, "window", src)), std::to_string(m.params().window));
  require_same("budget", std::to_string(detail::json_uint(meta, "budget", src)), std::to_string(m.params().budget));
  const std::size_t dim = detail::json_uint(meta, "dim", src);
  if (m.dim() != 0 && dim != 0) require_same("dim", std::to_string(dim), std::to_string(m.dim()));

  // checksum over every tensor byte, in name order (as written): catches accidents, not attacks
  std::uint64_t h = 0xCBF29CE484222325ull;
  for (const auto& [name, t] : r.read_all()) h = detail::checkpoint_hash(h, t.bytes);
  const std::string file_sum = detail::json_str(meta, "checksum", src);
  if (cs == checksum_check::verify && file_sum != detail::hex64(h))
    detail::throw_format(src, "checksum mismatch (file says " + file_sum + ", contents hash to " + detail::hex64(h) +
                                  "): the checkpoint is corrupted");

  const std::uint64_t frames_seen = detail::json_uint(meta, "frames_seen", src);
  const std::uint64_t next_seq = detail::json_uint(meta, "next_seq", src);
  const std::size_t n_lt = detail::json_uint(meta, "long_term_entries", src);
  const std::size_t n_win = detail::json_uint(meta, "window_entries", src);
  if (n_win > m.params().window)
    detail::throw_format(
        src, std::to_string(n_win) + " window entries for a window of " + std::to_string(m.params().window));
  if (n_lt > m.params().budget)  // every entry holds at least one token
    detail::throw_format(src, std::to_string(n_lt) + " long-term entries for a budget of " +
                                  std::to_string(m.params().budget) + " tokens");
  if ((n_lt + n_win) != 0 && dim == 0) detail::throw_format(src, "entries present but dim is 0");
  if (n_win > frames_seen)
    detail::throw_format(src,
                         std::to_string(n_win) + " window entries but frames_seen is " + std::to_string(frames_seen));
  const auto lt = detail::read_part(r, "long_term", n_lt, dim, frames_seen);
  // policy state, loaded into copies and checked against the entries before `m` changes
  const std::uint64_t version = detail::json_uint(meta, "version", src);
  C comp = m.compression();
  P cons = m.consolidation();
  const bool comp_state = detail::read_policy_state(r, "compression", version, comp);
  const bool cons_state = detail::read_policy_state(r, "consolidation", version, cons);
  if constexpr (requires { cons.state_mismatch(std::vector<std::uint64_t>{}); }) {
    if (cons_state) {
      std::vector<std::uint64_t> live;
      for (const auto& e : lt.entries)
        if (!e.is_protected) live.push_back(e.seq);
      const std::string why = cons.state_mismatch(live);
      if (!why.empty()) detail::throw_format(src, "tensor \"consolidation.state\": " + why);
    }
  }
  const auto win = detail::read_part(r, "window", n_win, dim, frames_seen);
  std::size_t lt_tokens = 0;
  for (const auto& e : lt.entries) lt_tokens += e.tokens;  // each <= rows of a tensor present: no wrap
  if (lt_tokens > m.params().budget)
    detail::throw_format(src, "long-term memory holds " + std::to_string(lt_tokens) + " tokens, over the budget of " +
                                  std::to_string(m.params().budget));
  for (const auto& e : lt.entries)
    if (e.seq >= next_seq) detail::throw_format(src, "long_term entry sequence number past next_seq");
  if (!win.entries.empty() && win.entries.back().frame >= frames_seen)
    detail::throw_format(src, "window frame past frames_seen");

  using access = typename memory_store<C, P>::restore_access;
  access::begin(m, frames_seen, dim, next_seq);
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
  if (comp_state) access::compression(m) = std::move(comp);
  if (cons_state) {
    access::consolidation(m) = std::move(cons);
    if constexpr (requires { access::consolidation(m).rebind(access::store(m)); })
      access::consolidation(m).rebind(access::store(m));
  }
}

// A memory_store as a part of a stream's state file (io/state_file.hpp): its checkpoint's bytes as
// one tensor, loaded back through load_checkpoint with every check above.
template <class C, class P>
constexpr const char* state_kind_of(const memory_store<C, P>&) noexcept {
  return "memory_store";
}
template <class A, class C, class P>
requires requires { A::loading; }
void visit_state(A& a, memory_store<C, P>& m) {
  if constexpr (A::loading)
    load_checkpoint(m, safetensors_reader::from_bytes(a.blob("checkpoint"), a.source() + " (memory checkpoint)"));
  else
    a.blob("checkpoint", encode_checkpoint(m));
}

}  // namespace predsense
