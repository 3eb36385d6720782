// predsense/io/safetensors_index.hpp - checkpoints as researchers have them: a Hugging Face folder
// of sharded safetensors files plus model.safetensors.index.json, whose "weight_map" names the
// shard of each tensor (a folder with a single model.safetensors works the same way).
//
//   const auto idx = safetensors_index::open("cambrian-s-7b/");          // folder or index file
//   const lfp_head head = lfp_head::from_safetensors(idx.subset("model.nfp_head."), "model.nfp_head.");
//   const mini_transformer lm = mini_transformer::from_safetensors(idx.subset("model."), cfg, ...);
//
// subset(prefix) reads only the tensors whose names start with `prefix` from the shards that hold
// them and returns a safetensors_reader over them (in memory, original names and dtypes), so every
// loader that takes a reader takes a sharded checkpoint without finding the shard itself. Its
// source() is the index file: a missing tensor is reported with its name and the index file.
// Untrusted input: the index is parsed with a depth limit and duplicate-key check; weight_map must
// map names to plain file names in the same folder (no directories, no "..", no absolute paths);
// a tensor listed for a shard that lacks it, a shard that cannot be opened or a malformed index
// raise format_error naming the index file, the shard and the tensor.
#pragma once

#include <algorithm>
#include <cstddef>
#include <filesystem>
#include <fstream>
#include <map>
#include <memory>
#include <sstream>
#include <string>
#include <vector>

#include "predsense/core/error.hpp"
#include "predsense/io/safetensors.hpp"

namespace predsense {

class safetensors_index {
 public:
  static constexpr const char* index_name = "model.safetensors.index.json";
  static constexpr const char* single_name = "model.safetensors";
  static constexpr std::uintmax_t max_index_bytes = 64u << 20;  // real indexes are a few hundred KB

  // A checkpoint folder (with model.safetensors.index.json, or a single model.safetensors), an
  // index file, or one .safetensors file.
  static safetensors_index open(const std::filesystem::path& path) {
    namespace fs = std::filesystem;
    std::error_code ec;
    if (fs::is_directory(path, ec)) {
      if (fs::exists(path / index_name, ec)) return from_index(path / index_name);
      if (fs::exists(path / single_name, ec)) return from_single(path / single_name);
      throw format_error("predsense: " + path.string() + ": no " + index_name + " or " + single_name +
                         " in this folder");
    }
    if (path.extension() == ".json") return from_index(path);
    return from_single(path);
  }

  [[nodiscard]] const std::string& source() const noexcept { return source_; }
  [[nodiscard]] std::vector<std::string> names() const {
    std::vector<std::string> out;
    out.reserve(map_.size());
    for (const auto& [k, v] : map_) out.push_back(k);
    return out;
  }
  [[nodiscard]] bool contains(const std::string& name) const { return map_.count(name) != 0; }
  // Shard file names, each once, sorted.
  [[nodiscard]] std::vector<std::string> shards() const {
    std::vector<std::string> out;
    for (const auto& [k, v] : map_)
      if (std::find(out.begin(), out.end(), v) == out.end()) out.push_back(v);
    std::sort(out.begin(), out.end());
    return out;
  }

  // The shard holding `name`; format_error naming the tensor and the index if there is none.
  [[nodiscard]] std::filesystem::path shard_of(const std::string& name) const {
    const auto it = map_.find(name);
    if (it == map_.end())
      detail::throw_format(
          source_, "no tensor named \"" + name + "\" in the weight_map (" + std::to_string(map_.size()) + " tensors)");
    return dir_ / it->second;
  }

  [[nodiscard]] tensor_data read(const std::string& name) const {
    const safetensors_reader& r = shard(map_.at(checked(name)));
    if (!r.contains(name))
      detail::throw_format(
          source_, "tensor \"" + name + "\" is mapped to shard " + map_.at(name) + ", which has no such tensor");
    return r.read(name);
  }

  // Every tensor whose name starts with `prefix`, as one in-memory reader whose source() is the
  // index file (so a loader's "no tensor named X" names the index).
  [[nodiscard]] safetensors_reader subset(const std::string& prefix) const {
    tensor_map m;
    for (const auto& [name, file] : map_)
      if (name.compare(0, prefix.size(), prefix) == 0) m[name] = read(name);
    const auto bytes = encode_safetensors(m);
    return safetensors_reader::from_bytes(bytes, source_);
  }

 private:
  std::filesystem::path dir_;
  std::string source_;
  std::map<std::string, std::string> map_;  // tensor name -> shard file name
  mutable std::map<std::string, std::shared_ptr<safetensors_reader>> shards_;

  const std::string& checked(const std::string& name) const {
    if (!map_.count(name)) (void)shard_of(name);  // throws, naming the tensor and the index
    return name;
  }

  const safetensors_reader& shard(const std::string& file) const {
    auto& slot = shards_[file];
    if (!slot) {
      try {
        slot = std::make_shared<safetensors_reader>(safetensors_reader::open(dir_ / file));
      } catch (const format_error& e) {
        shards_.erase(file);
        detail::throw_format(source_, "shard " + file + ": " + e.what());
      }
    }
    return *slot;
  }

  static bool plain_file_name(const std::string& f) {
    if (f.empty() || f == "." || f == "..") return false;
    return f.find('/') == std::string::npos && f.find('\\') == std::string::npos && f.find('\0') == std::string::npos;
  }

  static safetensors_index from_single(const std::filesystem::path& file) {
    safetensors_index x;
    x.dir_ = file.parent_path();
    x.source_ = file.string();
    const auto r = std::make_shared<safetensors_reader>(safetensors_reader::open(file));
    const std::string name = file.filename().string();
    for (const auto& t : r->names()) x.map_[t] = name;
    x.shards_[name] = r;
    return x;
  }

  static safetensors_index from_index(const std::filesystem::path& index) {
    namespace fs = std::filesystem;
    safetensors_index x;
    x.dir_ = index.parent_path();
    x.source_ = index.string();
    std::error_code ec;
    const auto size = fs::file_size(index, ec);
    if (ec) throw format_error("predsense: " + x.source_ + ": cannot open for reading (" + ec.message() + ")");
    if (size > max_index_bytes)
      detail::throw_format(x.source_, "index of " + std::to_string(size) + " bytes exceeds the limit of " +
                                          std::to_string(max_index_bytes));
    std::ifstream in(index, std::ios::binary);
    std::ostringstream ss;
    ss << in.rdbuf();
    if (!in && !in.eof()) throw format_error("predsense: " + x.source_ + ": read failed");
    const std::string text = ss.str();
    const nlohmann::json j = detail::parse_json_checked(text, x.source_, 8);
    if (!j.is_object()) detail::throw_format(x.source_, "the index is not a JSON object");
    const auto wm = j.find("weight_map");
    if (wm == j.end() || !wm->is_object()) detail::throw_format(x.source_, "/weight_map is missing or not an object");
    for (const auto& [name, file] : wm->items()) {
      if (!file.is_string())
        detail::throw_format(x.source_,
                             "/weight_map/" + name + " must be a shard file name (a string), got " + file.dump());
      const auto f = file.get<std::string>();
      if (!plain_file_name(f))
        detail::throw_format(
            x.source_, "/weight_map/" + name + ": shard \"" + f + "\" must be a file name in the checkpoint folder");
      x.map_[name] = f;
    }
    if (x.map_.empty()) detail::throw_format(x.source_, "/weight_map is empty");
    return x;
  }
};

}  // namespace predsense
