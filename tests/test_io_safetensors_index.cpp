// Tests for predsense/io/safetensors_index.hpp: a Hugging Face-style sharded checkpoint folder
// (several shards + model.safetensors.index.json) loads the backbone and the LFP head exactly as
// one model.safetensors with the same tensors does, and a broken index is refused by name.
#include <doctest/doctest.h>

#include <cmath>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <map>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "predsense/io/safetensors.hpp"
#include "predsense/io/safetensors_index.hpp"
#include "predsense/kernels/random.hpp"
#include "predsense/predictors/lfp_head.hpp"
#include "predsense/predictors/mini_transformer.hpp"

using namespace predsense;
namespace fs = std::filesystem;

namespace {

// A Qwen2-named backbone (hidden 16, 2 layers, 4 heads / 2 KV heads) and an LFP head 16 -> 16,
// as a Cambrian-S checkpoint names them ("model." and "model.nfp_head."), the head in BF16.
mini_transformer_params small_config() {
  return {.hidden = 16, .layers = 2, .heads = 4, .kv_heads = 2, .intermediate = 24, .input_dim = 0};
}

tensor_map checkpoint_tensors() {
  const auto c = small_config();
  const std::size_t H = c.hidden, hd = H / c.heads, q = c.heads * hd, kv = c.kv_heads * hd, I = c.intermediate;
  std::uint64_t seed = 11;
  auto rnd = [&](std::vector<std::size_t> shape, float scale, tensor_dtype dt = tensor_dtype::f32) {
    std::size_t n = 1;
    for (auto s : shape) n *= s;
    std::vector<float> v(n);
    for (auto& x : v) x = scale * static_cast<float>(kernels::unit_interval(kernels::splitmix64(seed++)) - 0.5);
    return tensor_data::from_floats(v, std::move(shape), dt);
  };
  tensor_map m;
  for (std::size_t i = 0; i < c.layers; ++i) {
    const std::string b = "model.layers." + std::to_string(i) + ".";
    m[b + "input_layernorm.weight"] = rnd({H}, 0.2f);
    m[b + "post_attention_layernorm.weight"] = rnd({H}, 0.2f);
    m[b + "self_attn.q_proj.weight"] = rnd({q, H}, 0.5f);
    m[b + "self_attn.q_proj.bias"] = rnd({q}, 0.1f);
    m[b + "self_attn.k_proj.weight"] = rnd({kv, H}, 0.5f);
    m[b + "self_attn.k_proj.bias"] = rnd({kv}, 0.1f);
    m[b + "self_attn.v_proj.weight"] = rnd({kv, H}, 0.5f);
    m[b + "self_attn.v_proj.bias"] = rnd({kv}, 0.1f);
    m[b + "self_attn.o_proj.weight"] = rnd({H, q}, 0.5f);
    m[b + "mlp.gate_proj.weight"] = rnd({I, H}, 0.5f);
    m[b + "mlp.up_proj.weight"] = rnd({I, H}, 0.5f);
    m[b + "mlp.down_proj.weight"] = rnd({H, I}, 0.5f);
  }
  m["model.norm.weight"] = rnd({H}, 0.2f);
  m["model.nfp_head.0.weight"] = rnd({H, H}, 0.5f, tensor_dtype::bf16);
  m["model.nfp_head.0.bias"] = rnd({H}, 0.1f, tensor_dtype::bf16);
  m["model.nfp_head.2.weight"] = rnd({H, H}, 0.5f, tensor_dtype::bf16);
  m["model.nfp_head.2.bias"] = rnd({H}, 0.1f, tensor_dtype::bf16);
  return m;
}

// Writes the tensors round-robin over `shards` files plus the index; returns the folder.
fs::path write_sharded(const fs::path& dir, const tensor_map& all, std::size_t shards) {
  fs::create_directories(dir);
  std::vector<tensor_map> parts(shards);
  nlohmann::json index = {{"metadata", {{"total_size", 0}}}, {"weight_map", nlohmann::json::object()}};
  std::size_t i = 0;
  for (const auto& [name, t] : all) {
    const std::size_t s = i++ % shards;
    parts[s][name] = t;
    index["weight_map"][name] =
        "model-0000" + std::to_string(s + 1) + "-of-0000" + std::to_string(shards) + ".safetensors";
  }
  for (std::size_t s = 0; s < shards; ++s)
    write_safetensors(
        dir / ("model-0000" + std::to_string(s + 1) + "-of-0000" + std::to_string(shards) + ".safetensors"), parts[s]);
  std::ofstream(dir / safetensors_index::index_name) << index.dump(2);
  return dir;
}

std::vector<float> run_backbone(mini_transformer m) {
  constexpr std::size_t T = 3, frames = 4;
  const std::size_t H = small_config().hidden;
  std::vector<float> out, x(T * H), h(T * H);
  for (std::size_t f = 0; f < frames; ++f) {
    for (std::size_t k = 0; k < x.size(); ++k) x[k] = static_cast<float>((k * 7 + f * 3) % 11) / 11.0f - 0.5f;
    m.step(x.data(), T, h.data());
    out.insert(out.end(), h.begin(), h.end());
  }
  return out;
}

struct scratch_dir {
  fs::path path;
  explicit scratch_dir(const std::string& name) : path(fs::temp_directory_path() / name) {
    fs::remove_all(path);
    fs::create_directories(path);
  }
  ~scratch_dir() {
    std::error_code ec;
    fs::remove_all(path, ec);
  }
};

}  // namespace

TEST_CASE("safetensors_index: a 3-shard folder loads the backbone and the BF16 LFP head as one file does") {
  const scratch_dir tmp("predsense_test_sharded_index");
  const tensor_map all = checkpoint_tensors();
  fs::create_directories(tmp.path / "single");
  write_safetensors(tmp.path / "single" / safetensors_index::single_name, all);
  const fs::path sharded = write_sharded(tmp.path / "sharded", all, 3);

  const auto one = safetensors_index::open(tmp.path / "single");
  const auto idx = safetensors_index::open(sharded);
  CHECK(idx.names().size() == all.size());
  CHECK(idx.source().find(safetensors_index::index_name) != std::string::npos);

  // backbone: identical hidden states over 4 frames with the KV cache
  const auto a = run_backbone(mini_transformer::from_safetensors(idx.subset("model."), small_config(), "model."));
  const auto b = run_backbone(mini_transformer::from_safetensors(one.subset("model."), small_config(), "model."));
  REQUIRE(a.size() == b.size());
  CHECK(a == b);
  bool finite_nonzero = false;
  for (float v : a) {
    REQUIRE(std::isfinite(v));
    finite_nonzero |= v != 0.0f;
  }
  CHECK(finite_nonzero);

  // LFP head (BF16 in the file): identical outputs, and equal to the BF16 values computed by hand
  lfp_head hs = lfp_head::from_safetensors(idx.subset("model.nfp_head."), "model.nfp_head.");
  lfp_head h1 = lfp_head::from_safetensors(one.subset("model.nfp_head."), "model.nfp_head.");
  const std::size_t H = small_config().hidden;
  std::vector<float> in(2 * H), o1(2 * H), o2(2 * H);
  for (std::size_t k = 0; k < in.size(); ++k) in[k] = static_cast<float>(k % 5) * 0.25f - 0.5f;
  hs.forward(in.data(), 2, o1.data());
  h1.forward(in.data(), 2, o2.data());
  CHECK(o1 == o2);
  const auto w0 = all.at("model.nfp_head.0.weight").to_floats(), b0 = all.at("model.nfp_head.0.bias").to_floats();
  const auto w2 = all.at("model.nfp_head.2.weight").to_floats(), b2 = all.at("model.nfp_head.2.bias").to_floats();
  for (std::size_t t = 0; t < 2; ++t) {  // y = W2 gelu(W0 x + b0) + b2, exact erf GELU
    std::vector<double> hid(H);
    for (std::size_t r = 0; r < H; ++r) {
      double z = b0[r];
      for (std::size_t c = 0; c < H; ++c) z += static_cast<double>(w0[r * H + c]) * in[t * H + c];
      hid[r] = 0.5 * z * (1.0 + std::erf(z / std::sqrt(2.0)));
    }
    for (std::size_t r = 0; r < H; ++r) {
      double y = b2[r];
      for (std::size_t c = 0; c < H; ++c) y += static_cast<double>(w2[r * H + c]) * hid[c];
      CHECK(o1[t * H + r] == doctest::Approx(y).epsilon(1e-4));
    }
  }
}

TEST_CASE("safetensors_index: a missing tensor, a shard without it and an escaping shard name are refused by name") {
  const scratch_dir tmp("predsense_test_sharded_index_bad");
  tensor_map all = checkpoint_tensors();
  const fs::path dir = write_sharded(tmp.path / "ok", all, 3);
  const auto idx = safetensors_index::open(dir);

  // a tensor the backbone needs is not in the index at all: named, with the index file
  {
    tensor_map less = all;
    less.erase("model.layers.1.mlp.gate_proj.weight");
    const fs::path d2 = write_sharded(tmp.path / "less", less, 2);
    try {
      (void)mini_transformer::from_safetensors(safetensors_index::open(d2).subset("model."), small_config(), "model.");
      FAIL("a missing tensor was accepted");
    } catch (const format_error& e) {
      const std::string msg = e.what();
      CHECK(msg.find("model.layers.1.mlp.gate_proj.weight") != std::string::npos);
      CHECK(msg.find(safetensors_index::index_name) != std::string::npos);
    }
  }
  // the index says a shard holds a tensor it does not
  {
    nlohmann::json j = nlohmann::json::parse(std::ifstream(dir / safetensors_index::index_name));
    j["weight_map"]["model.extra.weight"] = j["weight_map"]["model.norm.weight"];
    std::ofstream(dir / safetensors_index::index_name) << j.dump();
    try {
      (void)safetensors_index::open(dir).subset("model.");
      FAIL("a tensor missing from its shard was accepted");
    } catch (const format_error& e) {
      CHECK(std::string(e.what()).find("model.extra.weight") != std::string::npos);
    }
  }
  // a shard name that leaves the folder
  {
    nlohmann::json j = nlohmann::json::parse(std::ifstream(dir / safetensors_index::index_name));
    j["weight_map"].erase("model.extra.weight");
    j["weight_map"]["model.norm.weight"] = "../outside.safetensors";
    std::ofstream(dir / safetensors_index::index_name) << j.dump();
    CHECK_THROWS_AS((void)safetensors_index::open(dir), format_error);
  }
  CHECK(idx.names().size() == all.size());  // the index read before the edits is unaffected
}
