// predsense/io/state_file.hpp - save a component's state (predictor, normalizer, segmenter,
// detector, stream) to one safetensors file and load it back bit-identically.
//
//   save_state(component, "run.state");   // atomic: temp file + rename
//   load_state(component, "run.state");   // component must have been built with the same parameters
//
// A component lists its state once, in a member template `visit_state(Archive& a)`:
//   a.param("alpha", alpha_)   a construction parameter: saved in the metadata, compared on load
//   a.field("state", state_)   a value that changes as data arrives: one tensor per field
//   a.nested("z", z_)          a part with its own visit_state (its names get the prefix "z.")
//   a.each("hist", hist_, f)   a sequence of records, f(a, record) visiting one record
//   a.require(ok, "field", why)  a consistency check run after loading (indices, sizes)
//   a.validated(f)             f() rebuilds the component from its parameters (their range check)
// Save and load go through the same function, so they cannot drift apart. `state_kind` (a static
// string) names the component; a file of another kind is refused naming both kinds.
//
// Layout: a safetensors file (io/safetensors.hpp). Fields are tensors named by their path
// ("segmenter.ring"): F64 for double, F32 for float and frame latents ([tokens, dim]), I64 for
// counts and indices, U8 for bools; a scalar is a 0-d tensor. The __metadata__ key
// "predsense.state" holds JSON (nlohmann, locale-free, doubles written shortest-round-trip):
// {"format": "predsense.state", "version": 1, "kind": ..., "params": {path: value}, "checksum": ...}
// with the same FNV-1a checksum over every tensor byte as memory checkpoints
// (memory/memory_checkpoint.hpp). A memory_store inside a stream is stored as its own memory
// checkpoint's bytes (one U8 tensor) and loaded through load_checkpoint, with all its checks.
//
// Loading treats the file as hostile: format, version, kind, every parameter, every tensor's dtype
// and rank are checked, tensors the component does not have are refused, then the component's own
// require() checks run on the loaded copy; any problem is a format_error naming the file and the
// field, and the component is unchanged (the state is loaded into a copy that replaces it at the end).
#pragma once

#include "predsense/config.hpp"
#ifndef PREDSENSE_HAS_NLOHMANN_JSON
#error "predsense/io/state_file.hpp needs nlohmann-json: install nlohmann-json3-dev (Debian)"
#endif
#include <nlohmann/json.hpp>

#include <bit>
#include <cmath>
#include <limits>
#include <concepts>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <deque>
#include <filesystem>
#include <set>
#include <span>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>

#include "predsense/core/error.hpp"
#include "predsense/core/frame_buffer.hpp"
#include "predsense/io/byte_io.hpp"
#include "predsense/io/safetensors.hpp"
#include "predsense/io/temp_files.hpp"

namespace predsense {

namespace detail {

inline constexpr const char* state_key = "predsense.state";
inline constexpr std::uint64_t state_version = 1;

// 64-bit FNV-1a over 8-byte words, as memory checkpoints (memory_checkpoint.hpp's checkpoint_hash).
inline std::uint64_t state_hash(const tensor_map& tensors) noexcept {
  constexpr std::uint64_t prime = 0x100000001B3ull;
  std::uint64_t h = 0xCBF29CE484222325ull;
  for (const auto& [name, t] : tensors) {
    const auto& b = t.bytes;
    std::size_t i = 0;
    for (; i + 8 <= b.size(); i += 8) {
      std::uint64_t w;
      std::memcpy(&w, b.data() + i, 8);
      h = (h ^ w) * prime;
    }
    for (; i < b.size(); ++i) h = (h ^ std::to_integer<std::uint64_t>(b[i])) * prime;
  }
  return h;
}

inline std::string state_hex(std::uint64_t h) {
  static constexpr char digits[] = "0123456789abcdef";
  std::string s(16, '0');
  for (int i = 15; i >= 0; --i, h >>= 4) s[static_cast<std::size_t>(i)] = digits[h & 15];
  return s;
}

template <class T>
struct is_seq : std::false_type {};
template <class T, class A>
struct is_seq<std::vector<T, A>> : std::true_type {};
template <class T, class A>
struct is_seq<std::deque<T, A>> : std::true_type {};

// The tensor dtype a stored element type maps to (counts and indices as I64).
template <class T>
constexpr tensor_dtype state_dtype() {
  if constexpr (std::is_same_v<T, double>)
    return tensor_dtype::f64;
  else if constexpr (std::is_same_v<T, float>)
    return tensor_dtype::f32;
  else if constexpr (std::is_same_v<T, bool> || std::is_same_v<T, char> || std::is_same_v<T, unsigned char> ||
                     std::is_same_v<T, std::uint8_t>)
    return tensor_dtype::u8;
  else if constexpr (std::is_integral_v<T> && sizeof(T) <= 8)
    return tensor_dtype::i64;
  else
    static_assert(sizeof(T) == 0, "predsense: state field of an unsupported type");
}

// Element as stored: integers widen to int64 (little-endian host, as checkpoints assume).
template <class T>
using stored_t = std::conditional_t<state_dtype<T>() == tensor_dtype::i64, std::int64_t,
                                    std::conditional_t<state_dtype<T>() == tensor_dtype::u8, std::uint8_t, T>>;

// A parameter as JSON: numbers as numbers, except non-finite doubles (JSON has none), which are
// the strings "inf", "-inf", "nan"; enums as their integer value.
template <class T>
nlohmann::json param_json(const T& v) {
  if constexpr (std::is_enum_v<T>) {
    return static_cast<std::int64_t>(v);
  } else if constexpr (std::is_floating_point_v<T>) {
    if (std::isnan(v)) return "nan";
    if (std::isinf(v)) return v > 0 ? "inf" : "-inf";
    return static_cast<double>(v);
  } else {
    return v;
  }
}

}  // namespace detail

// A component whose state io/state_file.hpp can save: it lists its fields in visit_state.
template <class C>
concept has_state = requires {
  C::state_kind;
};

namespace detail {

class state_writer {
 public:
  static constexpr bool loading = false;

  template <class T>
  void param(const char* name, const T& v) {
    params_[prefix_ + name] = param_json(v);
  }

  template <class T>
  void field(const char* name, const T& v) {
    static_assert(std::endian::native == std::endian::little, "state files assume a little-endian host");
    tensor_data t;
    if constexpr (std::is_same_v<T, frame_buffer>) {
      t.dtype = tensor_dtype::f32;
      t.shape = {v.tokens(), v.dim()};
      t.bytes.resize(v.size() * sizeof(float));
      if (v.size()) std::memcpy(t.bytes.data(), v.data(), t.bytes.size());
    } else if constexpr (is_seq<T>::value) {
      using E = typename T::value_type;
      using S = stored_t<E>;
      t.dtype = state_dtype<E>();
      t.shape = {v.size()};
      t.bytes.resize(v.size() * sizeof(S));
      std::size_t i = 0;
      for (const E& e : v) {
        const S s = static_cast<S>(e);
        std::memcpy(t.bytes.data() + (i++) * sizeof(S), &s, sizeof(S));
      }
    } else {
      using S = stored_t<T>;
      t.dtype = state_dtype<T>();
      t.shape = {};
      const S s = static_cast<S>(v);
      t.bytes.resize(sizeof(S));
      std::memcpy(t.bytes.data(), &s, sizeof(S));
    }
    tensors_[prefix_ + name] = std::move(t);
  }

  // Raw bytes of a part stored in its own format (a memory checkpoint inside a stream's state).
  void blob(const char* name, const std::vector<std::byte>& bytes) {
    tensor_data t;
    t.dtype = tensor_dtype::u8;
    t.shape = {bytes.size()};
    t.bytes = bytes;
    tensors_[prefix_ + name] = std::move(t);
  }

  template <class C>
  void nested(const char* name, C& c);

  template <class Seq, class F>
  void each(const char* name, Seq& s, F&& f) {
    field((std::string(name) + ".count").c_str(), static_cast<std::uint64_t>(s.size()));
    std::size_t i = 0;
    for (auto& e : s) {
      const std::string saved = prefix_;
      prefix_ += std::string(name) + "." + std::to_string(i++) + ".";
      f(*this, e);
      prefix_ = saved;
    }
  }

  void require(bool, const char*, const std::string&) const noexcept {}
  template <class F>
  void validated(F&&) const noexcept {}

  tensor_map tensors_;
  nlohmann::json params_ = nlohmann::json::object();
  std::string prefix_;
};

// Parameter adoption: load_state checks the file's parameters against the component's; the
// from-file path (Python unpickling, state_from_file) takes them over, then validated() re-checks them.
enum class state_params { compare, adopt };

class state_reader {
 public:
  static constexpr bool loading = true;

  state_reader(std::string source, tensor_map tensors, nlohmann::json params, state_params mode)
      : src_(std::move(source)), tensors_(std::move(tensors)), params_(std::move(params)), mode_(mode) {}

  template <class T>
  void param(const char* name, T& v) {
    const std::string key = prefix_ + name;
    const auto it = params_.find(key);
    if (it == params_.end()) throw_format(src_, "metadata /params/" + key + " is missing");
    used_params_.insert(key);
    const nlohmann::json mine = param_json(v);
    const nlohmann::json& file = *it;
    if (mode_ == state_params::compare) {
      if (!same(file, mine))
        throw_format(src_, "mismatched state: parameter " + key + " is " + file.dump() + " in the file but " +
                               mine.dump() + " in this component");
      return;
    }
    try {
      if constexpr (std::is_enum_v<T>)
        v = static_cast<T>(file.get<std::int64_t>());
      else if constexpr (std::is_same_v<T, bool>) {
        if (!file.is_boolean()) throw format_error("not a bool");
        v = file.get<bool>();
      } else if constexpr (std::is_integral_v<T>) {
        if (!file.is_number_integer()) throw format_error("not an integer");
        if constexpr (std::is_unsigned_v<T>)
          if (!file.is_number_unsigned()) throw format_error("negative");
        v = file.get<T>();
      } else if constexpr (std::is_floating_point_v<T>) {
        if (file.is_string()) {
          const auto& t = file.get_ref<const std::string&>();
          if (t != "inf" && t != "-inf" && t != "nan") throw format_error("not a number");
          v = t == "nan" ? std::numeric_limits<T>::quiet_NaN()
                         : (t == "inf" ? std::numeric_limits<T>::infinity() : -std::numeric_limits<T>::infinity());
        } else {
          if (!file.is_number()) throw format_error("not a number");
          v = static_cast<T>(file.get<double>());
        }
      } else {
        v = file.get<T>();
      }
    } catch (const std::exception& e) {
      throw_format(src_, "metadata /params/" + key + " = " + file.dump() + " has the wrong type (" + e.what() + ")");
    }
  }

  template <class T>
  void field(const char* name, T& v) {
    const std::string key = prefix_ + name;
    const tensor_data& t = tensor(key);
    if constexpr (std::is_same_v<T, frame_buffer>) {
      expect(key, t, tensor_dtype::f32, 2);
      v = frame_buffer();
      if (t.shape[0] != 0 || t.shape[1] != 0) {
        v.resize(t.shape[0], t.shape[1]);
        if (v.size()) std::memcpy(v.data(), t.bytes.data(), v.size() * sizeof(float));
      }
    } else if constexpr (is_seq<T>::value) {
      using E = typename T::value_type;
      using S = stored_t<E>;
      expect(key, t, state_dtype<E>(), 1);
      T out;
      if constexpr (requires { out.reserve(std::size_t{}); }) out.reserve(t.shape[0]);
      for (std::size_t i = 0; i < t.shape[0]; ++i) {
        S s;
        std::memcpy(&s, t.bytes.data() + i * sizeof(S), sizeof(S));
        out.push_back(convert<E>(s, key));
      }
      v = std::move(out);
    } else {
      using S = stored_t<T>;
      expect(key, t, state_dtype<T>(), 0);
      S s;
      std::memcpy(&s, t.bytes.data(), sizeof(S));
      v = convert<T>(s, key);
    }
  }

  const std::vector<std::byte>& blob(const char* name) {
    const std::string key = prefix_ + name;
    const tensor_data& t = tensor(key);
    expect(key, t, tensor_dtype::u8, 1);
    return t.bytes;
  }

  template <class C>
  void nested(const char* name, C& c);

  template <class Seq, class F>
  void each(const char* name, Seq& s, F&& f) {
    std::uint64_t n = 0;
    const std::string count = std::string(name) + ".count";
    field(count.c_str(), n);
    // every record has at least one tensor, so the count is bounded by the tensors present
    if (n > tensors_.size())
      throw_format(src_, "field " + prefix_ + count + " = " + std::to_string(n) + " exceeds the tensors in the file");
    Seq out(static_cast<std::size_t>(n));
    std::size_t i = 0;
    for (auto& e : out) {
      const std::string saved = prefix_;
      prefix_ += std::string(name) + "." + std::to_string(i++) + ".";
      f(*this, e);
      prefix_ = saved;
    }
    s = std::move(out);
  }

  void require(bool ok, const char* name, const std::string& why) const {
    if (!ok) throw_format(src_, "field " + prefix_ + name + ": " + why);
  }
  template <class F>
  void validated(F&& f) const {
    if (mode_ != state_params::adopt) return;  // compared equal to a component that was built from them
    try {
      f();
    } catch (const error& e) {
      throw_format(src_, std::string("parameters out of range: ") + e.what());
    }
  }

  // After the visit: every tensor and parameter in the file belongs to the component.
  void finish() const {
    for (const auto& [name, t] : tensors_)
      if (!used_.count(name)) throw_format(src_, "tensor \"" + name + "\" is not part of this component's state");
    for (const auto& [key, v] : params_.items())
      if (!used_params_.count(key)) throw_format(src_, "metadata /params/" + key + " is not a parameter here");
  }
  [[nodiscard]] const std::string& source() const noexcept { return src_; }

 private:
  static bool same(const nlohmann::json& a, const nlohmann::json& b) {
    if (a.is_number() && b.is_number()) {
      if (a.is_number_float() || b.is_number_float()) return a.get<double>() == b.get<double>();
      if (a.is_number_unsigned() && b.is_number_unsigned()) return a.get<std::uint64_t>() == b.get<std::uint64_t>();
      return a.get<std::int64_t>() == b.get<std::int64_t>();
    }
    return a == b;
  }
  const tensor_data& tensor(const std::string& key) {
    const auto it = tensors_.find(key);
    if (it == tensors_.end()) throw_format(src_, "tensor \"" + key + "\" is missing");
    used_.insert(key);
    return it->second;
  }
  void expect(const std::string& key, const tensor_data& t, tensor_dtype dt, std::size_t rank) const {
    if (t.dtype != dt || t.shape.size() != rank)
      throw_format(src_, "tensor \"" + key + "\": expected " + std::string(dtype_name(dt)) + " of rank " +
                             std::to_string(rank) + ", found " + std::string(dtype_name(t.dtype)) + " " +
                             shape_string(t.shape));
  }
  template <class E, class S>
  E convert(S s, const std::string& key) const {
    if constexpr (std::is_same_v<E, bool>) {
      if (s > 1) throw_format(src_, "tensor \"" + key + "\": a bool is 0 or 1, found " + std::to_string(s));
      return s != 0;
    } else if constexpr (std::is_integral_v<E> && std::is_unsigned_v<E> && std::is_same_v<S, std::int64_t>) {
      if (s < 0) throw_format(src_, "tensor \"" + key + "\": negative count or index " + std::to_string(s));
      return static_cast<E>(s);
    } else {
      return static_cast<E>(s);
    }
  }

  std::string src_;
  tensor_map tensors_;
  nlohmann::json params_;
  state_params mode_;
  std::set<std::string> used_, used_params_;
  std::string prefix_;
};

template <class C>
void state_writer::nested(const char* name, C& c) {
  const std::string saved = prefix_;
  prefix_ += std::string(name) + ".";
  if constexpr (has_state<C>) {
    params_[prefix_ + "kind"] = std::string(C::state_kind);
    c.visit_state(*this);
  } else if constexpr (requires { visit_state(*this, c); }) {  // a part stored in its own format
    params_[prefix_ + "kind"] = std::string(state_kind_of(c));
    visit_state(*this, c);
  } else {
    static_assert(std::is_empty_v<C>, "predsense: a component with data members needs state_kind and visit_state");
  }
  prefix_ = saved;
}

template <class C>
void state_reader::nested(const char* name, C& c) {
  const std::string saved = prefix_;
  prefix_ += std::string(name) + ".";
  auto check_kind = [&](const std::string& want) {
    const std::string key = prefix_ + "kind";
    const auto it = params_.find(key);
    if (it == params_.end() || !it->is_string())
      throw_format(src_, "metadata /params/" + key + " is missing (expected \"" + want + "\")");
    used_params_.insert(key);
    if (it->get<std::string>() != want)
      throw_format(src_, "wrong kind: " + saved + name + " is a \"" + it->get<std::string>() +
                             "\" in the file but a \"" + want + "\" here");
  };
  if constexpr (has_state<C>) {
    check_kind(C::state_kind);
    c.visit_state(*this);
  } else if constexpr (requires { visit_state(*this, c); }) {
    check_kind(state_kind_of(c));
    visit_state(*this, c);
  } else {
    static_assert(std::is_empty_v<C>, "predsense: a component with data members needs state_kind and visit_state");
  }
  prefix_ = saved;
}

// The metadata object, checked before any field is read: JSON at most 8 deep, format, version,
// a string kind equal to `kind`, an object of params, a checksum string.
inline nlohmann::json state_metadata(const safetensors_reader& r, const char* kind) {
  const std::string& src = r.source();
  const auto it = r.metadata().find(state_key);
  if (it == r.metadata().end()) {
    if (r.metadata().count("predsense.memory"))
      throw_format(src, "wrong kind: a memory checkpoint (load it with load_checkpoint / MemoryStore.load), not a \"" +
                            std::string(kind) + "\" state");
    throw_format(src, std::string("not a predsense state file (no \"") + state_key + "\" in __metadata__)");
  }
  const nlohmann::json meta = parse_json_checked(it->second, src, 8);
  if (!meta.is_object()) throw_format(src, "metadata is not a JSON object");
  auto str = [&](const char* key) {
    const auto f = meta.find(key);
    if (f == meta.end() || !f->is_string()) throw_format(src, std::string("metadata /") + key + " must be a string");
    return f->get<std::string>();
  };
  if (str("format") != "predsense.state") throw_format(src, "metadata /format is not \"predsense.state\"");
  const auto v = meta.find("version");
  if (v == meta.end() || !v->is_number_unsigned() || v->get<std::uint64_t>() != state_version)
    throw_format(src, "metadata /version: " + (v == meta.end() ? std::string("missing") : v->dump()) +
                          " is not supported (expected " + std::to_string(state_version) + ")");
  const std::string file_kind = str("kind");
  if (file_kind != kind)
    throw_format(src, "wrong kind: the file holds a \"" + file_kind + "\" state, not a \"" + kind + "\"");
  const auto p = meta.find("params");
  if (p == meta.end() || !p->is_object()) throw_format(src, "metadata /params must be an object");
  for (const auto& [k, pv] : p->items())
    if (!(pv.is_number() || pv.is_boolean() || pv.is_string()))
      throw_format(src, "metadata /params/" + k + " must be a number, bool or string, got " + pv.dump());
  str("checksum");
  return meta;
}

enum class state_checksum { verify, skip };  // skip: only for fuzzing the field checks behind it

}  // namespace detail

// The state file's bytes (what save_state writes; Python pickles these).
template <has_state C>
std::vector<std::byte> encode_state(const C& c) {
  detail::state_writer w;
  // visit_state is shared by save and load, hence non-const; the writer only reads
  const_cast<C&>(c).visit_state(w);
  const nlohmann::json meta = {{"format", "predsense.state"},
                               {"version", detail::state_version},
                               {"kind", std::string(C::state_kind)},
                               {"params", w.params_},
                               {"checksum", detail::state_hex(detail::state_hash(w.tensors_))}};
  return encode_safetensors(w.tensors_, {{detail::state_key, meta.dump()}});
}

// Writes `c`'s state to `path` atomically (temp file + rename: a crash mid-write leaves the
// previous file intact) and removes temp files an earlier crashed save of `path` left behind.
template <has_state C>
void save_state(const C& c, const std::filesystem::path& path) {
  const auto bytes = encode_state(c);
  detail::atomic_write_file(path, std::span<const std::byte>(bytes));
  detail::remove_stale_temps(path);
}

namespace detail {
template <has_state C>
void load_state_from(C& c, const safetensors_reader& r, state_params mode, state_checksum cs = state_checksum::verify) {
  const std::string& src = r.source();
  const nlohmann::json meta = state_metadata(r, C::state_kind);
  tensor_map tensors = r.read_all();
  const std::string sum = meta.at("checksum").get<std::string>();
  if (cs == state_checksum::verify && sum != state_hex(state_hash(tensors)))
    throw_format(src, "checksum mismatch (file says " + sum + ", contents hash to " + state_hex(state_hash(tensors)) +
                          "): the state file is corrupted");
  state_reader rd(src, std::move(tensors), meta.at("params"), mode);
  if constexpr (std::is_copy_assignable_v<C>) {
    C copy = c;  // loaded into a copy: `c` is unchanged when the file is refused
    copy.visit_state(rd);
    rd.finish();
    c = std::move(copy);
  } else {  // a stream holding a component by reference: loaded in place
    c.visit_state(rd);
    rd.finish();
  }
}
}  // namespace detail

// Replaces `c`'s state with the file's. `c` must have been built with the parameters the file
// records; otherwise format_error naming the parameter. Any problem with the file: format_error
// naming the file and the field; `c` is then unchanged.
template <has_state C>
void load_state(C& c, const std::filesystem::path& path) {
  detail::load_state_from(c, safetensors_reader::open(path), detail::state_params::compare);
}
template <has_state C>
void load_state(C& c, std::span<const std::byte> bytes, const std::string& source = "<state bytes>") {
  detail::load_state_from(c, safetensors_reader::from_bytes(bytes, source), detail::state_params::compare);
}

// A component rebuilt from a state file alone, parameters included (they are range-checked as
// the constructor would). `proto` gives the starting object (default-constructed by default).
template <has_state C>
C state_from_bytes(std::span<const std::byte> bytes, const std::string& source = "<state bytes>", C proto = C{}) {
  detail::load_state_from(proto, safetensors_reader::from_bytes(bytes, source), detail::state_params::adopt);
  return proto;
}

}  // namespace predsense
