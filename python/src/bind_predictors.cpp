// Python bindings of the latent predictors (init_predictors).
#include <filesystem>
#include <string>

#include "components.hpp"
#include "predsense/io/npz.hpp"
#include "predsense/io/safetensors.hpp"
#include "predsense/io/safetensors_index.hpp"
#include "predsense/predictors/copy_last.hpp"
#include "predsense/predictors/ema_predictor.hpp"
#include "predsense/predictors/lfp_predictor.hpp"
#include "predsense/predictors/rls_predictor.hpp"

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
      .def(py::init([] { return std::make_shared<predictor_box<copy_last>>(copy_last{}); }));

  box_class<ema_predictor>(
      m, "EMAPredictor",
      (std::string("Per-token exponential moving average of the observed frames: s_1 = x_1, "
                   "s_t = alpha*x_t + (1-alpha)*s_(t-1); predicts s_t.\nalpha: in (0, 1], default 0.5 "
                   "(1 = copy-last). Raises InvalidArgumentError otherwise.") +
       thread_rule)
          .c_str())
      .def(py::init([](double alpha) { return std::make_shared<predictor_box<ema_predictor>>(ema_predictor(alpha)); }),
           py::arg("alpha") = 0.5);

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
      .def(py::init([](const std::string& mode, double forgetting, double ridge, bool residual, bool bias,
                       std::size_t token_stride) {
             if (mode != "per_token" && mode != "pooled")
               throw invalid_argument_error("RLSPredictor: mode must be 'per_token' or 'pooled', got '" + mode + "'");
             return std::make_shared<predictor_box<rls_predictor>>(
                 rls_predictor(rls_params{mode == "pooled" ? rls_mode::pooled : rls_mode::per_token, forgetting, ridge,
                                          residual, bias, token_stride}));
           }),
           py::arg("mode") = "per_token", py::arg("forgetting") = 0.98, py::arg("ridge") = 1.0,
           py::arg("residual") = true, py::arg("bias") = true, py::arg("token_stride") = 1);

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
}
