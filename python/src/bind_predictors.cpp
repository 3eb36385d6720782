// Python bindings of the latent predictors (init_predictors).
#include <filesystem>
#include <optional>
#include <algorithm>
#include <cctype>
#include <string>

#include "components.hpp"
#include "predsense/io/state_file.hpp"
#include "predsense/io/npz.hpp"
#include "predsense/io/safetensors.hpp"
#include "predsense/io/safetensors_index.hpp"
#include "predsense/predictors/copy_last.hpp"
#include "predsense/predictors/ema_predictor.hpp"
#include "predsense/predictors/lfp_predictor.hpp"
#include "predsense/predictors/rls_predictor.hpp"
#include "predsense/predictors/mini_transformer.hpp"
#include "predsense/predictors/transformer_predictor.hpp"

using namespace predsense;
using namespace predsense_py;

namespace {

template <class P>
using box_class = py::class_<predictor_box<P>, predictor_base, std::shared_ptr<predictor_box<P>>>;

// A head from a .npz, a .safetensors file, or a Hugging Face checkpoint folder / index file
// (sharded: model.safetensors.index.json names the shard of each tensor).
lfp_head load_head(const std::string& weights, const std::string& prefix) {
  const std::filesystem::path p(weights);
  std::error_code ec;
  if (p.extension() == ".npz") return lfp_head::from_npz(p, prefix);
  if (std::filesystem::is_directory(p, ec) || p.extension() == ".json")
    return lfp_head::from_safetensors(safetensors_index::open(p).subset(prefix), prefix);
  return lfp_head::from_safetensors(p, prefix);
}

// ---- the mini Qwen2 backbone ---------------------------------------------------------------
struct backbone_box : guarded {
  mini_transformer impl;
  explicit backbone_box(mini_transformer m) : impl(std::move(m)) {}
};

py::dict config_dict(const mini_transformer_params& c) {
  py::dict d;
  d["hidden"] = c.hidden;
  d["layers"] = c.layers;
  d["heads"] = c.heads;
  d["kv_heads"] = c.kv_heads;
  d["intermediate"] = c.intermediate;
  d["input_dim"] = c.input_dim;
  d["rope_theta"] = c.rope_theta;
  d["rms_eps"] = c.rms_eps;
  d["attn_block"] = c.attn_block;
  return d;
}

// Overrides of the backbone's settings that the tensors' shapes cannot give (heads) or that a
// checkpoint's config.json usually gives (rope_theta, rms_eps).
struct backbone_overrides {
  std::optional<std::size_t> heads, kv_heads;
  std::optional<double> rope_theta, rms_eps;
  std::size_t attn_block = 512;
};

// The Hugging Face config.json next to the weights (in the folder, or the folder of an index /
// file), read with the GIL (Python's json) into plain values; a Qwen2 config's fields may sit
// under "text_config". Absent file: every value empty.
struct hf_config {
  std::string source;
  std::optional<std::size_t> hidden, layers, intermediate, heads, kv_heads;
  std::optional<double> rope_theta, rms_eps;
};

template <class T>
std::optional<T> config_value(const py::dict& cfg, const char* key, const std::string& source) {
  if (!cfg.contains(key) || cfg[key].is_none()) return std::nullopt;
  try {
    return cfg[key].cast<T>();
  } catch (py::cast_error&) {
    throw format_error("predsense: " + source + ": \"" + key + "\" has the wrong type (" +
                       std::string(py::str(cfg[key])) + ")");
  }
}

hf_config read_hf_config(const std::filesystem::path& path) {
  std::error_code ec;
  const auto dir = std::filesystem::is_directory(path, ec) ? path : path.parent_path();
  hf_config out;
  const auto file = dir / "config.json";
  out.source = file.string();
  if (!std::filesystem::exists(file, ec)) return out;
  py::object cfg;
  try {
    const auto pathlib = py::module_::import("pathlib");
    const py::object text = pathlib.attr("Path")(out.source).attr("read_text")(py::arg("encoding") = "utf-8");
    cfg = py::module_::import("json").attr("loads")(text);
  } catch (py::error_already_set& e) {
    throw format_error("predsense: " + out.source + ": cannot read the model config (" + e.what() + ")");
  }
  if (!py::isinstance<py::dict>(cfg)) throw format_error("predsense: " + out.source + ": not a JSON object");
  py::dict d = cfg.cast<py::dict>();
  if (!d.contains("hidden_size") && d.contains("text_config") && py::isinstance<py::dict>(d["text_config"]))
    d = d["text_config"].cast<py::dict>();
  out.hidden = config_value<std::size_t>(d, "hidden_size", out.source);
  out.layers = config_value<std::size_t>(d, "num_hidden_layers", out.source);
  out.intermediate = config_value<std::size_t>(d, "intermediate_size", out.source);
  out.heads = config_value<std::size_t>(d, "num_attention_heads", out.source);
  out.kv_heads = config_value<std::size_t>(d, "num_key_value_heads", out.source);
  out.rope_theta = config_value<double>(d, "rope_theta", out.source);
  out.rms_eps = config_value<double>(d, "rms_norm_eps", out.source);
  return out;
}

// The backbone's tensors (prefix + layers.*, norm.weight, in_proj.*) of a checkpoint, read from the
// shards that hold them into one reader whose source() is the index file (so a missing tensor is
// reported with its name and the index).
safetensors_reader backbone_tensors(const safetensors_index& idx, const std::string& p) {
  tensor_map m;
  const auto starts = [](const std::string& s, const std::string& pre) { return s.compare(0, pre.size(), pre) == 0; };
  for (const auto& name : idx.names())
    if (starts(name, p + "layers.") || name == p + "norm.weight" || starts(name, p + "in_proj."))
      m[name] = idx.read(name);
  const auto bytes = encode_safetensors(m);
  return safetensors_reader::from_bytes(bytes, idx.source());
}

// Loads the backbone (no Python: runs without the GIL): sizes from the keywords, else config.json,
// else the tensors' shapes (heads only from the first two).
mini_transformer load_backbone(const std::string& path, std::string prefix, const backbone_overrides& o,
                               const hf_config& cfg) {
  if (!prefix.empty() && prefix.back() != '.') prefix += '.';
  const auto idx = safetensors_index::open(path);
  const auto r = backbone_tensors(idx, prefix);
  const auto shape = [&](const std::string& name, std::size_t axis) -> std::optional<std::size_t> {
    if (!r.contains(prefix + name)) return std::nullopt;
    const auto& s = r.info(prefix + name).shape;
    if (axis >= s.size())
      detail::throw_format(idx.source(), "tensor \"" + prefix + name + "\" has shape " + detail::shape_string(s) +
                                             ", expected a " + std::to_string(axis + 1) + "-D tensor");
    return s[axis];
  };
  const auto from_shape = [&](const std::optional<std::size_t>& given, const std::string& tensor, std::size_t axis,
                              const char* what) {
    if (given) return *given;
    if (auto v = shape(tensor, axis)) return *v;
    detail::throw_format(idx.source(), "no tensor named \"" + prefix + tensor + "\" (needed for the " + what +
                                           "; or give it in " + cfg.source + ")");
  };
  mini_transformer_params c;
  c.attn_block = o.attn_block;
  c.hidden = from_shape(cfg.hidden, "norm.weight", 0, "hidden size");
  std::size_t layers = 0;
  const std::string lp = prefix + "layers.";
  for (const auto& name : r.names()) {
    std::size_t i = 0, k = lp.size();
    if (k >= name.size() || !std::isdigit(static_cast<unsigned char>(name[k]))) continue;
    while (k < name.size() && std::isdigit(static_cast<unsigned char>(name[k])))
      i = i * 10 + std::size_t(name[k++] - '0');
    layers = std::max(layers, i + 1);
  }
  c.layers = cfg.layers.value_or(layers);
  if (c.layers == 0)
    detail::throw_format(idx.source(), "no tensor named \"" + lp + "0.input_layernorm.weight\" (no decoder layers)");
  c.intermediate = from_shape(cfg.intermediate, "layers.0.mlp.gate_proj.weight", 0, "intermediate size");
  c.input_dim = shape("in_proj.weight", 1).value_or(0);
  const auto heads = o.heads ? o.heads : cfg.heads;
  if (!heads || *heads == 0)
    throw invalid_argument_error(
        "heads: the number of attention heads is not in the tensors' shapes; pass heads= or put "
        "num_attention_heads in " +
        cfg.source);
  c.heads = *heads;
  if (c.hidden % c.heads != 0)
    throw invalid_argument_error("heads: " + std::to_string(c.heads) + " does not divide the hidden size " +
                                 std::to_string(c.hidden));
  if (o.kv_heads || cfg.kv_heads) {
    c.kv_heads = o.kv_heads ? *o.kv_heads : *cfg.kv_heads;
  } else {
    c.kv_heads = from_shape(std::nullopt, "layers.0.self_attn.k_proj.weight", 0, "number of key/value heads") /
                 (c.hidden / c.heads);
  }
  c.rope_theta = o.rope_theta ? *o.rope_theta : cfg.rope_theta.value_or(10000.0);
  c.rms_eps = o.rms_eps ? *o.rms_eps : cfg.rms_eps.value_or(1e-6);
  return mini_transformer::from_safetensors(r, c, prefix);
}

void check_head(const lfp_head& head, const mini_transformer& bb) {
  if (head.hidden() != bb.params().hidden)
    throw shape_error("head: hidden size " + std::to_string(head.hidden()) + " != the backbone's width " +
                      std::to_string(bb.params().hidden));
  if (head.out_dim() != bb.input_dim())
    throw shape_error("head: output dim " + std::to_string(head.out_dim()) + " != the frame dim the backbone takes (" +
                      std::to_string(bb.input_dim()) + "): its prediction could not be scored against the next frame");
}

constexpr const char* thread_rule =
    "\n\nThread rule: per-object mutex (safe to share between threads; calls are serialized).";

}  // namespace

void init_predictors(py::module_& m) {
  py::class_<predictor_base, std::shared_ptr<predictor_base>>(
      m, "Predictor",
      "Base class of the C++ latent predictors: observe(frame) takes frame t, predict() guesses frame t+1.\n"
      "A Stream also takes any Python object with observe(frame) and predict() -> (tokens, dim) array "
      "(and optionally reset()); that path takes the GIL per frame. Thread rule: each C++ object holds a per-object "
      "mutex (safe to share, calls serialized); a Python object plugged into a Stream is called with the GIL held.")
      .def(
          "observe",
          [](predictor_base& self, py::handle frame) {
            const frame_arg a = frame_of(frame, "frame");
            py::gil_scoped_release nogil;
            require_finite(a.view, "frame");
            self.observe(a.view);
          },
          py::arg("frame"),
          "Takes in the next frame: (tokens, dim) or (dim,), any real dtype or CPU tensor.\n"
          "Raises ShapeError (dim differs from earlier frames), EmptyError, NonFiniteError (NaN/Inf in the frame).")
      .def(
          "predict",
          [](predictor_base& self) {
            frame_buffer out;
            {
              py::gil_scoped_release nogil;
              self.predict(out);
            }
            return to_numpy(out);
          },
          "The guess for the next frame as a float32 (tokens, dim) array (a copy).\n"
          "Raises EmptyError before the first observe().")
      .def(
          "reset",
          [](predictor_base& self) {
            py::gil_scoped_release nogil;
            self.reset();
          },
          "Forgets every observed frame (learned predictors return to their state at construction).");

  box_class<copy_last>(m, "CopyLast",
                       (std::string("Predicts that the next frame equals the last observed one (the Cambrian-S "
                                    "adjacent-frame ablation).") +
                        thread_rule)
                           .c_str())
      .def(py::init([] { return std::make_shared<predictor_box<copy_last>>(copy_last{}); }))
      .attr("__registry__") = py::make_tuple("predictor", "copy_last", py::tuple());

  auto ema_cls = box_class<ema_predictor>(
                     m, "EMAPredictor",
                     (std::string("Per-token exponential moving average of the observed frames: s_1 = x_1, "
                                  "s_t = alpha*x_t + (1-alpha)*s_(t-1); predicts s_t.\nalpha: in (0, 1], default 0.5 "
                                  "(1 = copy-last). Raises InvalidArgumentError otherwise.") +
                      thread_rule)
                         .c_str())
                     .def(py::init([](py::args a, py::kwargs k) {
                       const auto v = values_from_python("predictor", "ema", a, k, {"alpha"}, "EMAPredictor");
                       return std::make_shared<predictor_box<ema_predictor>>(
                           std::get<ema_predictor>(reg::make_predictor("ema", v)));
                     }));
  mark_registry(ema_cls, "predictor", "ema", {"alpha"});

  const std::vector<std::string> rls_pos{"mode", "forgetting", "ridge", "residual", "bias", "token_stride"};
  auto rls_cls =
      box_class<rls_predictor>(
          m, "RLSPredictor",
          (std::string(
               "Online ridge regression (recursive least squares with forgetting) of frame t+1 on frame t; "
               "starts as copy-last (W = 0 on the residual).\n"
               "mode: 'per_token' (default; one sample per token) or 'pooled' (token means, one sample per frame).\n"
               "forgetting: in (0, 1], default 0.98. ridge: prior precision, default 1.0. residual: predict the "
               "change (default True). bias: fit an intercept (default True). token_stride: learn from every "
               "k-th token (default 1).\nRaises InvalidArgumentError for a bad mode or range.") +
           thread_rule)
              .c_str())
          .def(py::init([rls_pos](py::args a, py::kwargs k) {
            const auto v = values_from_python("predictor", "rls", a, k, rls_pos, "RLSPredictor");
            return std::make_shared<predictor_box<rls_predictor>>(
                std::get<rls_predictor>(reg::make_predictor("rls", v)));
          }));
  mark_registry(rls_cls, "predictor", "rls", rls_pos);

  box_class<lfp_predictor>(
      m, "LFPPredictor",
      (std::string(
           "The Cambrian-S latent frame prediction head (Linear(h, h) -> GELU -> Linear(h, d)) applied to "
           "the observed frame's latent (h = d), optionally trained at test time on (frame t-1 -> frame t) "
           "with Adam (loss = MSE + cosine, as Cambrian-S).\n"
           "dim: latent dim for a randomly initialised head (nn.Linear's U(+-1/sqrt(dim)), seed `seed`).\n"
           "weights: a .safetensors or .npz file, or a Hugging Face checkpoint folder (sharded, with "
           "model.safetensors.index.json) or its index file, holding <prefix>0.weight/bias and "
           "<prefix>2.weight/bias (F32/F16/BF16), instead of dim; see from_pretrained.\nlearn: train online (default "
           "True). residual: predict "
           "frame + head(frame) (default False). lr: Adam learning rate (default 1e-4).\n"
           "zero_output: zero the output layer so a residual head starts as copy-last.\n"
           "Raises InvalidArgumentError (neither or both of dim/weights), FormatError (bad file), ShapeError.") +
       thread_rule)
          .c_str())
      .def(
          py::init([](std::optional<std::size_t> dim, std::optional<std::string> weights, const std::string& prefix,
                      std::uint64_t seed, bool learn, bool residual, double lr, bool zero_output) {
            if (dim.has_value() == weights.has_value())
              throw invalid_argument_error("LFPPredictor: pass exactly one of dim= (random head) or weights= (a file)");
            lfp_head head;
            if (dim) {
              if (*dim == 0) throw invalid_argument_error("LFPPredictor: dim must be >= 1");
              head = lfp_head(*dim, *dim);
              head.init_uniform(seed);
            } else {
              head = load_head(*weights, prefix);
            }
            lfp_predictor_params c;
            c.learn = learn, c.residual = residual, c.train.lr = lr;
            lfp_predictor p(std::move(head), c);
            if (zero_output) p.zero_output_layer();
            return std::make_shared<predictor_box<lfp_predictor>>(std::move(p));
          }),
          py::arg("dim") = py::none(), py::kw_only(), py::arg("weights") = py::none(), py::arg("prefix") = "",
          py::arg("seed") = 0, py::arg("learn") = true, py::arg("residual") = false, py::arg("lr") = 1e-4,
          py::arg("zero_output") = false)
      .def_static(
          "from_pretrained",
          [](const std::string& path, const std::string& prefix, bool learn, bool residual, double lr) {
            lfp_head head;
            {
              py::gil_scoped_release nogil;
              head = load_head(path, prefix);
            }
            lfp_predictor_params c;
            c.learn = learn, c.residual = residual, c.train.lr = lr;
            return std::make_shared<predictor_box<lfp_predictor>>(lfp_predictor(std::move(head), c));
          },
          py::arg("path"), py::arg("prefix") = "model.nfp_head.", py::kw_only(), py::arg("learn") = false,
          py::arg("residual") = false, py::arg("lr") = 1e-4,
          "The LFP head of a Cambrian-S checkpoint as researchers have it: a Hugging Face folder of sharded "
          "safetensors with model.safetensors.index.json (its weight_map names the shard of each tensor), the "
          "index file itself, a folder with one model.safetensors, or a .safetensors/.npz file. prefix: the "
          "head's parameter prefix (default 'model.nfp_head.': .0.weight/.0.bias/.2.weight/.2.bias, BF16 in "
          "the released checkpoints). learn: test-time training (default False here: the released head as is).\n"
          "Raises FormatError naming the missing tensor and the index file, a shard that cannot be read, or a "
          "malformed index; ShapeError for inconsistent weights.");

  // ---- the mini Qwen2 backbone and backbone + LFP head ------------------------------------------
  const mini_transformer_params bp{};
  py::class_<backbone_box, std::shared_ptr<backbone_box>>(
      m, "MiniTransformer",
      "A minimal Qwen2-style decoder with a KV cache (predsense/predictors/mini_transformer.hpp), the backbone "
      "that turns streamed frame tokens into the hidden states the Cambrian-S LFP head reads. Per layer (Hugging "
      "Face Qwen2 semantics and parameter names): RMSNorm; grouped-query attention (kv_heads <= heads) with "
      "rotary positions (rotate_half form, theta = rope_theta), causal over everything cached; RMSNorm; SwiGLU "
      "MLP; then a final RMSNorm. step(frame) appends the frame's tokens as the next positions of the cache.\n"
      "This constructor makes a randomly initialised model (nn.Linear's U(+-1/sqrt(fan_in)), seed `seed`; norm "
      "weights 1); from_pretrained() loads a checkpoint.\n"
      "hidden: model width (default 512). layers: decoder layers (8). heads: query heads (8; hidden/heads must "
      "be even). kv_heads: key/value heads (2; must divide heads). intermediate: MLP width (1408). input_dim: "
      "> 0 adds an input projection input_dim -> hidden (model.in_proj, predsense naming); 0 (default): frames "
      "are hidden-dim tokens. rope_theta: rotary base (10000). rms_eps: RMSNorm epsilon (1e-6). attn_block: "
      "cache positions per attention block (512; a speed setting, results equal).\n"
      "Raises InvalidArgumentError for sizes that do not split into heads.\n"
      "Memory: the KV cache grows by every token stepped (layers x 2 x kv_heads x head_dim floats per token) "
      "until reset().\nThread rule: per-object mutex; the GIL is released while stepping.")
      .def(py::pickle(  // every weight and the KV cache (io/state_file.hpp)
          [](backbone_box& b) {
            const auto bytes = locked(b, [&] { return encode_state(b.impl); });
            return py::bytes(reinterpret_cast<const char*>(bytes.data()), bytes.size());
          },
          [](const py::bytes& data) {
            const std::string s = data;
            const auto* p = reinterpret_cast<const std::byte*>(s.data());
            // a small prototype: the file's parameters and weights replace it
            return std::make_shared<backbone_box>(state_from_bytes<mini_transformer>(
                std::span<const std::byte>(p, s.size()), "mini_transformer pickle",
                mini_transformer(mini_transformer_params{2, 1, 1, 1, 1, 0, 10000.0, 1e-6, 1})));
          }))
      .def(py::init([](std::size_t hidden, std::size_t layers, std::size_t heads, std::size_t kv_heads,
                       std::size_t intermediate, std::size_t input_dim, double rope_theta, double rms_eps,
                       std::size_t attn_block, std::uint64_t seed) {
             mini_transformer t(mini_transformer_params{hidden, layers, heads, kv_heads, intermediate, input_dim,
                                                        rope_theta, rms_eps, attn_block});
             t.init_random(seed);
             return std::make_shared<backbone_box>(std::move(t));
           }),
           py::arg("hidden") = bp.hidden, py::arg("layers") = bp.layers, py::arg("heads") = bp.heads,
           py::arg("kv_heads") = bp.kv_heads, py::arg("intermediate") = bp.intermediate, py::kw_only(),
           py::arg("input_dim") = bp.input_dim, py::arg("rope_theta") = bp.rope_theta, py::arg("rms_eps") = bp.rms_eps,
           py::arg("attn_block") = bp.attn_block, py::arg("seed") = 0)
      .def_static(
          "from_pretrained",
          [](const std::string& path, const std::string& prefix, std::optional<std::size_t> heads,
             std::optional<std::size_t> kv_heads, std::optional<double> rope_theta, std::optional<double> rms_eps,
             std::size_t attn_block) {
            const auto cfg = read_hf_config(path);
            const backbone_overrides o{heads, kv_heads, rope_theta, rms_eps, attn_block};
            py::gil_scoped_release nogil;
            return std::make_shared<backbone_box>(load_backbone(path, prefix, o, cfg));
          },
          py::arg("path"), py::kw_only(), py::arg("prefix") = "model.", py::arg("heads") = py::none(),
          py::arg("kv_heads") = py::none(), py::arg("rope_theta") = py::none(), py::arg("rms_eps") = py::none(),
          py::arg("attn_block") = bp.attn_block,
          "The backbone of a checkpoint as researchers have it: a Hugging Face folder of sharded safetensors with "
          "model.safetensors.index.json (its weight_map names the shard of each tensor; only the shards holding "
          "backbone tensors are read), the index file itself, a folder with one model.safetensors, or a "
          ".safetensors file. Tensors (Qwen2 names under `prefix`, default 'model.'): layers.{i}.input_layernorm."
          "weight, .self_attn.{q,k,v}_proj.{weight,bias}, .self_attn.o_proj.weight, .post_attention_layernorm."
          "weight, .mlp.{gate,up,down}_proj.weight, norm.weight, and in_proj.{weight,bias} when frames are not "
          "hidden-dim; F32/F16/BF16 (widened to float32).\n"
          "Sizes: the keyword if given, else config.json next to the weights (hidden_size, num_hidden_layers, "
          "intermediate_size, num_attention_heads, num_key_value_heads, rope_theta, rms_norm_eps; top level or "
          "under text_config), else the tensors' shapes (hidden, layers, intermediate, input_dim, kv_heads). "
          "heads is not in the shapes: it comes from heads= or config.json.\n"
          "Raises FormatError naming the missing tensor and the index file (or a tensor whose shape differs from "
          "the config, a shard that cannot be read, a malformed index or config.json), InvalidArgumentError "
          "(heads unknown or not dividing hidden).")
      .def(
          "step",
          [](backbone_box& b, py::handle frame) {
            const frame_arg a = frame_of(frame, "frame");
            frame_buffer out;
            locked(b, [&] {
              require_finite(a.view, "frame");
              if (a.view.dim != b.impl.input_dim())
                throw shape_error("frame: " + shape_of(a.arr) + " but the backbone takes " +
                                  std::to_string(b.impl.input_dim()) + "-dim tokens");
              out.resize(a.view.tokens, b.impl.params().hidden);
              b.impl.step(a.view.data, a.view.tokens, out.data());
            });
            return to_numpy(out);
          },
          py::arg("frame"),
          "Appends one frame's tokens, (tokens, input_dim) or (input_dim,), as the next positions of the KV cache "
          "and returns their final hidden states, float32 (tokens, hidden). Token j of the frame attends to every "
          "earlier position and to tokens <= j of this frame (causal, as one long sequence).\n"
          "Raises ShapeError (token dim != input_dim), EmptyError, NonFiniteError.")
      .def(
          "run",
          [](backbone_box& b, py::handle frames, bool progress) {
            const auto f = frames_of(frames, "frames");
            const std::size_t H = b.impl.params().hidden;
            if (f.d != b.impl.input_dim())
              throw shape_error("frames: " + shape_of(f.arr) + " but the backbone takes " +
                                std::to_string(b.impl.input_dim()) + "-dim tokens");
            py::array_t<float> out({py::ssize_t(f.n), py::ssize_t(f.t), py::ssize_t(H)});
            float* o = out.mutable_data();
            progress_bar bar(progress, f.n, "frame", "MiniTransformer.run");
            for_chunks(bar, f.n, [&](std::size_t start, std::size_t stop) {
              locked(b, [&] {
                for (std::size_t i = start; i < stop; ++i) {
                  require_finite(f.frame(i), "frames");
                  b.impl.step(f.frame(i).data, f.t, o + i * f.t * H);
                }
              });
            });
            return out;
          },
          py::arg("frames"), py::kw_only(), py::arg("progress") = false,
          "step() over a sequence (frames, tokens, input_dim) or (frames, input_dim): returns float32 (frames, "
          "tokens, hidden), continuing the cache. progress=True shows a tqdm bar on stderr (needs tqdm, else "
          "ImportError); same result.\nRaises ShapeError, EmptyError, NonFiniteError.")
      .def(
          "reset", [](backbone_box& b) { locked(b, [&] { b.impl.reset(); }); },
          "Empties the KV cache (weights kept): the next step starts at position 0.")
      .def_property_readonly(
          "positions", [](backbone_box& b) { return locked(b, [&] { return b.impl.positions(); }); },
          "Positions (tokens) in the KV cache.")
      .def_property_readonly(
          "input_dim", [](backbone_box& b) { return b.impl.input_dim(); },
          "Token dim of the frames it takes (input_dim, or hidden without an input projection).")
      .def_property_readonly(
          "config", [](backbone_box& b) { return config_dict(b.impl.params()); },
          "The sizes as a dict: hidden, layers, heads, kv_heads, intermediate, input_dim, rope_theta, rms_eps, "
          "attn_block.");

  box_class<transformer_predictor>(
      m, "TransformerPredictor",
      (std::string(
           "The Cambrian-S arrangement as one predictor (predsense/predictors/transformer_predictor.hpp): "
           "observe(frame) runs the frame's tokens through the MiniTransformer backbone (KV cache: every earlier "
           "frame is context); predict() maps their hidden states through the LFP head (Linear(h, h) -> GELU -> "
           "Linear(h, d)) to the predicted next frame, float32 (tokens, d). In a Stream the C++ loop runs it with "
           "no Python per frame: Stream(predictor=TransformerPredictor.from_pretrained(folder)).\n"
           "backbone: a MiniTransformer (its weights are copied; the copy starts with an empty cache).\n"
           "head_weights: the LFP head from a .safetensors/.npz file or a Hugging Face checkpoint folder / index "
           "(tensors <head_prefix>0.weight/.bias, <head_prefix>2.weight/.bias, default prefix 'model.nfp_head.'); "
           "None: a random head (nn.Linear init, seed `seed`).\nThe head's hidden size must be the backbone's "
           "width and its output dim the frame dim (ShapeError otherwise).\n"
           "learn: train the head online on (hidden states of frame t-1 -> frame t) with Adam (lr; loss MSE + "
           "cosine, as Cambrian-S); the backbone stays frozen. Default False.\n"
           "reset() empties the cache and the last hidden states (learned head weights are kept).\n"
           "Raises ShapeError, FormatError (bad file, a missing tensor named with its file or index).") +
       thread_rule)
          .c_str())
      .def(py::init([](backbone_box& backbone, std::optional<std::string> head_weights, const std::string& head_prefix,
                       std::uint64_t seed, bool learn, double lr) {
             mini_transformer bb = locked(backbone, [&] { return backbone.impl; });
             bb.reset();
             lfp_head head;
             if (head_weights) {
               py::gil_scoped_release nogil;
               head = load_head(*head_weights, head_prefix);
             } else {
               head = lfp_head(bb.params().hidden, bb.input_dim());
               head.init_uniform(seed);
             }
             check_head(head, bb);
             transformer_predictor_params c;
             c.learn = learn, c.train.lr = lr;
             return std::make_shared<predictor_box<transformer_predictor>>(
                 transformer_predictor(std::move(bb), std::move(head), c));
           }),
           py::arg("backbone"), py::arg("head_weights") = py::none(), py::kw_only(),
           py::arg("head_prefix") = "model.nfp_head.", py::arg("seed") = 0, py::arg("learn") = false,
           py::arg("lr") = 1e-4)
      .def_static(
          "from_pretrained",
          [](const std::string& path, const std::string& prefix, const std::string& head_prefix,
             std::optional<std::size_t> heads, std::optional<std::size_t> kv_heads, std::optional<double> rope_theta,
             std::optional<double> rms_eps, std::size_t attn_block, bool learn, double lr) {
            const auto cfg = read_hf_config(path);
            const backbone_overrides o{heads, kv_heads, rope_theta, rms_eps, attn_block};
            py::gil_scoped_release nogil;
            auto bb = load_backbone(path, prefix, o, cfg);
            auto head = load_head(path, head_prefix);
            check_head(head, bb);
            transformer_predictor_params c;
            c.learn = learn, c.train.lr = lr;
            return std::make_shared<predictor_box<transformer_predictor>>(
                transformer_predictor(std::move(bb), std::move(head), c));
          },
          py::arg("path"), py::kw_only(), py::arg("prefix") = "model.", py::arg("head_prefix") = "model.nfp_head.",
          py::arg("heads") = py::none(), py::arg("kv_heads") = py::none(), py::arg("rope_theta") = py::none(),
          py::arg("rms_eps") = py::none(), py::arg("attn_block") = bp.attn_block, py::arg("learn") = false,
          py::arg("lr") = 1e-4,
          "Backbone and LFP head from one checkpoint (a Hugging Face folder of sharded safetensors with "
          "model.safetensors.index.json, the index file, a folder with one model.safetensors, or a .safetensors "
          "file): the backbone as MiniTransformer.from_pretrained(path, prefix=..., heads=..., ...), the head from "
          "<head_prefix>0.weight/.bias and <head_prefix>2.weight/.bias (BF16 in the released checkpoints). Neither "
          "needs the user to find the shard.\nRaises FormatError naming the missing tensor and the index file (or "
          "a shard that cannot be read, a malformed index/config.json, a tensor of the wrong shape), "
          "InvalidArgumentError (heads unknown), ShapeError (head and backbone sizes disagree).")
      .def_property_readonly(
          "hidden_states",
          [](predictor_box<transformer_predictor>& p) {
            std::vector<float> h;
            std::size_t H = 0;
            locked(p, [&] {
              h = p.impl.hidden();
              H = p.impl.backbone().params().hidden;
            });
            return to_numpy(h, {h.size() / H, H});
          },
          "Final hidden states of the last observed frame, float32 (tokens, hidden) (a copy; (0, hidden) before "
          "the first observe()).")
      .def_property_readonly(
          "positions",
          [](predictor_box<transformer_predictor>& p) {
            return locked(p, [&] { return p.impl.backbone().positions(); });
          },
          "Positions (tokens) in the backbone's KV cache: the tokens observed since construction or reset().")
      .def_property_readonly(
          "config",
          [](predictor_box<transformer_predictor>& p) {
            const auto c = locked(p, [&] { return p.impl.backbone().params(); });
            return config_dict(c);
          },
          "The backbone's sizes as a dict (see MiniTransformer.config).");
}
