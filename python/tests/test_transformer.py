"""The mini Qwen2 backbone and backbone + LFP head (TransformerPredictor) in Python, loaded from a Hugging
Face-style sharded checkpoint folder written here (several shards + model.safetensors.index.json +
config.json), compared with a PyTorch re-implementation of the forward pass run on the whole sequence at
once (no KV cache): equal outputs mean the shards were found, the cache, the rotary positions of later
frames, grouped-query attention and the head are right, and Stream runs the predictor in its C++ loop."""
import json
import math

import numpy as np
import pytest

import predsense as ps

torch = pytest.importorskip("torch")
F = torch.nn.functional

CFG = dict(hidden=64, layers=2, heads=4, kv_heads=2, intermediate=96, input_dim=40, rope_theta=10000.0)
HEAD = "model.nfp_head."


def qwen2_forward(w, x, cfg, eps=1e-6):
    """Qwen2 decoder (HF semantics) over a whole sequence x (n, input_dim) with a causal mask."""
    H, nh, nkv = cfg["hidden"], cfg["heads"], cfg["kv_heads"]
    hd = H // nh
    n = x.shape[0]
    t = {k: torch.from_numpy(np.asarray(v, np.float32)).double() for k, v in w.items()}
    x = torch.from_numpy(x).double()

    def rms(h, g):
        return g * (h * torch.rsqrt(h.pow(2).mean(-1, keepdim=True) + eps))

    inv_freq = 1.0 / (cfg["rope_theta"] ** (torch.arange(0, hd, 2).float() / hd))
    freqs = torch.outer(torch.arange(n).float(), inv_freq)
    emb = torch.cat([freqs, freqs], -1)
    cos, sin = emb.cos().double(), emb.sin().double()

    def rope(v):  # heads x n x hd
        v1, v2 = v[..., : hd // 2], v[..., hd // 2:]
        return v * cos + torch.cat([-v2, v1], -1) * sin

    h = x @ t["model.in_proj.weight"].T + t["model.in_proj.bias"] if cfg["input_dim"] else x
    mask = torch.ones(n, n, dtype=torch.bool).tril()
    for i in range(cfg["layers"]):
        p = f"model.layers.{i}."
        a = rms(h, t[p + "input_layernorm.weight"])
        lin = lambda z, name, bias=True: z @ t[p + name + ".weight"].T + (t[p + name + ".bias"] if bias else 0)
        q = rope(lin(a, "self_attn.q_proj").view(n, nh, hd).transpose(0, 1))
        k = rope(lin(a, "self_attn.k_proj").view(n, nkv, hd).transpose(0, 1))
        v = lin(a, "self_attn.v_proj").view(n, nkv, hd).transpose(0, 1)
        k, v = k.repeat_interleave(nh // nkv, 0), v.repeat_interleave(nh // nkv, 0)
        s = (q @ k.transpose(1, 2)) / math.sqrt(hd)
        att = s.masked_fill(~mask, float("-inf")).softmax(-1)
        h = h + lin((att @ v).transpose(0, 1).reshape(n, -1), "self_attn.o_proj", bias=False)
        m = rms(h, t[p + "post_attention_layernorm.weight"])
        h = h + lin(F.silu(lin(m, "mlp.gate_proj", False)) * lin(m, "mlp.up_proj", False), "mlp.down_proj", False)
    return rms(h, t["model.norm.weight"]).numpy()


def head_forward(w, h):
    """The Cambrian-S LFP head: Linear -> GELU (erf) -> Linear."""
    t = {k: torch.from_numpy(np.asarray(v, np.float32)).double() for k, v in w.items() if k.startswith(HEAD)}
    z = F.gelu(torch.from_numpy(h).double() @ t[HEAD + "0.weight"].T + t[HEAD + "0.bias"])
    return (z @ t[HEAD + "2.weight"].T + t[HEAD + "2.bias"]).numpy()


def make_weights(cfg, seed=0):
    rng = np.random.default_rng(seed)
    H, I, hd = cfg["hidden"], cfg["intermediate"], cfg["hidden"] // cfg["heads"]
    kv = cfg["kv_heads"] * hd
    u = lambda *shape: rng.uniform(-1, 1, shape).astype(np.float32) / math.sqrt(shape[-1])
    w = {}
    if cfg["input_dim"]:
        w["model.in_proj.weight"], w["model.in_proj.bias"] = u(H, cfg["input_dim"]), u(H)
    for i in range(cfg["layers"]):
        p = f"model.layers.{i}."
        w[p + "input_layernorm.weight"] = rng.uniform(0.5, 1.5, H).astype(np.float32)  # not 1: a skipped norm shows
        w[p + "post_attention_layernorm.weight"] = rng.uniform(0.5, 1.5, H).astype(np.float32)
        w[p + "self_attn.q_proj.weight"], w[p + "self_attn.q_proj.bias"] = u(H, H), u(H)
        w[p + "self_attn.k_proj.weight"], w[p + "self_attn.k_proj.bias"] = u(kv, H), u(kv)
        w[p + "self_attn.v_proj.weight"], w[p + "self_attn.v_proj.bias"] = u(kv, H), u(kv)
        w[p + "self_attn.o_proj.weight"] = u(H, H)
        w[p + "mlp.gate_proj.weight"], w[p + "mlp.up_proj.weight"] = u(I, H), u(I, H)
        w[p + "mlp.down_proj.weight"] = u(H, I)
    w["model.norm.weight"] = rng.uniform(0.5, 1.5, H).astype(np.float32)
    d = cfg["input_dim"] or H
    w[HEAD + "0.weight"], w[HEAD + "0.bias"] = u(H, H), u(H)
    w[HEAD + "2.weight"], w[HEAD + "2.bias"] = u(d, H), u(d)
    w["model.embed_tokens.weight"] = u(11, H)  # a real checkpoint's other tensors: not read
    w["lm_head.weight"] = u(11, H)
    return w


def write_checkpoint(folder, w, cfg, shards=3, config=True, head_dtype="BF16"):
    """Tensors spread round-robin over `shards` files (so layers, the norm and the head are split across
    shards); the head's shard in BF16 as the released checkpoints. Returns the index dict."""
    names = sorted(w)
    files = [f"model-{i + 1:05d}-of-{shards:05d}.safetensors" for i in range(shards)]
    parts = {f: {} for f in files}
    for j, name in enumerate(names):
        parts[files[j % shards]][name] = w[name]
    weight_map = {}
    for f, tensors in parts.items():
        dtype = head_dtype if any(k.startswith(HEAD) for k in tensors) else "F32"
        ps.write_safetensors(str(folder / f), tensors, dtype=dtype)
        weight_map.update({k: f for k in tensors})
    index = {"metadata": {"total_size": 0}, "weight_map": weight_map}
    (folder / "model.safetensors.index.json").write_text(json.dumps(index, indent=1))
    if config:
        (folder / "config.json").write_text(json.dumps({
            "architectures": ["CambrianQwenForCausalLM"], "hidden_size": cfg["hidden"],
            "num_hidden_layers": cfg["layers"], "num_attention_heads": cfg["heads"],
            "num_key_value_heads": cfg["kv_heads"], "intermediate_size": cfg["intermediate"],
            "rope_theta": cfg["rope_theta"], "rms_norm_eps": 1e-6}))
    return index


def rel_err(a, ref):
    a, ref = np.asarray(a, np.float64), np.asarray(ref, np.float64)
    return float(np.max(np.abs(a - ref)) / max(np.max(np.abs(ref)), 1e-30))


@pytest.fixture()
def checkpoint(tmp_path):
    w = make_weights(CFG)
    write_checkpoint(tmp_path, w, CFG)
    stored = ps.read_safetensors(str(tmp_path))  # the values as stored (the head rounded to BF16)
    assert len({f for f in json.loads((tmp_path / "model.safetensors.index.json").read_text())["weight_map"].values()}) == 3
    return tmp_path, stored


def test_backbone_from_a_sharded_folder_matches_torch(checkpoint):
    folder, w = checkpoint
    Fr, T = 4, 5
    frames = np.random.default_rng(1).normal(size=(Fr, T, CFG["input_dim"])).astype(np.float32)
    ref = qwen2_forward(w, frames.reshape(Fr * T, -1), CFG).reshape(Fr, T, -1)
    for path in (folder, folder / "model.safetensors.index.json"):
        bb = ps.MiniTransformer.from_pretrained(str(path))
        assert bb.config == dict(CFG, rms_eps=1e-6, attn_block=512)
        h = bb.run(frames)
        assert h.shape == (Fr, T, CFG["hidden"]) and h.dtype == np.float32 and bb.positions == Fr * T
        assert rel_err(h, ref) < 1e-4, rel_err(h, ref)
    # frame by frame through the cache = the same; a small attention block = the same
    bb = ps.MiniTransformer.from_pretrained(str(folder), attn_block=3)
    steps = np.stack([bb.step(f) for f in frames])
    assert rel_err(steps, ref) < 1e-4
    # the last frame attends to the earlier ones: without the cache it would differ (the test can fail)
    bb.reset()
    assert bb.positions == 0
    assert rel_err(bb.step(frames[-1]), ref[-1]) > 1e-2


def test_transformer_predictor_in_a_stream_matches_torch(checkpoint):
    folder, w = checkpoint
    Fr, T, D = 6, 5, CFG["input_dim"]
    frames = np.random.default_rng(2).normal(size=(Fr, T, D)).astype(np.float32)
    hidden = qwen2_forward(w, frames.reshape(Fr * T, D), CFG).reshape(Fr, T, -1)
    pred = np.stack([head_forward(w, hidden[i]) for i in range(Fr)])  # pred[i] = guess for frame i + 1
    want_mse = np.concatenate([[1.0], ((pred[:-1] - frames[1:].astype(np.float64)) ** 2).mean(axis=(1, 2))])

    p = ps.TransformerPredictor.from_pretrained(str(folder))
    st = ps.Stream(predictor=p, metric="mse", memory=None)
    s, _ = st.run(frames)
    assert st.predictor is p and p.positions == Fr * T
    np.testing.assert_allclose(s, want_mse, rtol=1e-4)
    assert rel_err(p.predict(), pred[-1]) < 1e-4
    assert rel_err(p.hidden_states, hidden[-1]) < 1e-4
    # the default metric (token cosine) too, against the same torch predictions
    cos = lambda a, b: 1 - np.mean(np.sum(a * b, -1) / (np.linalg.norm(a, axis=-1) * np.linalg.norm(b, axis=-1)))
    want_cos = [1.0] + [cos(pred[i - 1], frames[i].astype(np.float64)) for i in range(1, Fr)]
    p.reset()
    assert p.positions == 0 and p.hidden_states.shape == (0, CFG["hidden"])
    s2, _ = ps.Stream(predictor=p, memory=None).run(frames)
    np.testing.assert_allclose(s2, want_cos, rtol=1e-4, atol=1e-6)
    # the same weights given as a MiniTransformer + the head's file: identical predictions
    q = ps.TransformerPredictor(ps.MiniTransformer.from_pretrained(str(folder)), str(folder))
    s3, _ = ps.Stream(predictor=q, metric="mse", memory=None).run(frames)
    np.testing.assert_array_equal(s3, s)


def test_sizes_from_keywords_config_or_shapes(tmp_path):
    w = make_weights(CFG, seed=3)
    write_checkpoint(tmp_path, w, CFG, config=False)
    with pytest.raises(ps.InvalidArgumentError, match="heads"):
        ps.TransformerPredictor.from_pretrained(str(tmp_path))  # heads is not in any tensor's shape
    bb = ps.MiniTransformer.from_pretrained(str(tmp_path), heads=4)  # the rest from the shapes
    assert bb.config == dict(CFG, rms_eps=1e-6, attn_block=512)
    x = np.random.default_rng(4).normal(size=(3, CFG["input_dim"])).astype(np.float32)
    assert rel_err(bb.step(x), qwen2_forward(ps.read_safetensors(str(tmp_path)), x, CFG)) < 1e-4
    # a wrong head count (the shapes still fit) gives another model: the comparison can fail
    other = ps.MiniTransformer.from_pretrained(str(tmp_path), heads=2, kv_heads=1)
    assert rel_err(other.step(x), qwen2_forward(ps.read_safetensors(str(tmp_path)), x, CFG)) > 1e-3
    with pytest.raises(ps.InvalidArgumentError, match="heads"):
        ps.MiniTransformer.from_pretrained(str(tmp_path), heads=5)


def test_missing_or_misshapen_tensors_are_named_with_the_index(checkpoint):
    folder, _ = checkpoint
    index_file = folder / "model.safetensors.index.json"
    index = json.loads(index_file.read_text())
    for missing in ("model.layers.1.mlp.down_proj.weight", "model.layers.0.self_attn.k_proj.bias",
                    HEAD + "2.weight"):
        wm = dict(index["weight_map"])
        wm.pop(missing)
        index_file.write_text(json.dumps({"weight_map": wm}))
        with pytest.raises(ps.FormatError) as e:
            ps.TransformerPredictor.from_pretrained(str(folder))
        assert "model.safetensors.index.json" in str(e.value) and missing in str(e.value), str(e.value)
    index_file.write_text(json.dumps(index))
    # config.json disagreeing with a tensor: the tensor and both shapes are named
    cfg = json.loads((folder / "config.json").read_text())
    (folder / "config.json").write_text(json.dumps(dict(cfg, intermediate_size=128)))
    with pytest.raises(ps.FormatError, match=r"model\.layers\.0\.mlp\.gate_proj\.weight.*\[96, 64\].*\[128, 64\]"):
        ps.MiniTransformer.from_pretrained(str(folder))
    (folder / "config.json").write_text("{not json")
    with pytest.raises(ps.FormatError, match="config.json"):
        ps.MiniTransformer.from_pretrained(str(folder))


def test_construction_and_bad_input_errors(tmp_path):
    bb = ps.MiniTransformer(64, 1, 4, 2, 96, input_dim=40, seed=1)
    p = ps.TransformerPredictor(bb, seed=2)
    with pytest.raises(ps.EmptyError):
        p.predict()
    with pytest.raises(ps.ShapeError, match="40"):
        p.observe(np.zeros((3, 64), np.float32))
    with pytest.raises(ps.ShapeError, match="40"):
        bb.step(np.zeros((3, 41), np.float32))
    with pytest.raises(ps.NonFiniteError):
        bb.step(np.full((3, 40), np.nan, np.float32))
    with pytest.raises(ps.InvalidArgumentError):
        ps.MiniTransformer(64, 1, 5, 1, 96)  # 64 does not split into 5 heads
    # a head whose output dim is not the frame dim cannot be scored against the next frame
    rng = np.random.default_rng(0)
    ps.write_safetensors(str(tmp_path / "head.safetensors"), {
        HEAD + "0.weight": rng.normal(size=(64, 64)), HEAD + "0.bias": np.zeros(64),
        HEAD + "2.weight": rng.normal(size=(64, 64)), HEAD + "2.bias": np.zeros(64)})
    with pytest.raises(ps.ShapeError, match="output dim 64"):
        ps.TransformerPredictor(bb, str(tmp_path / "head.safetensors"))
    # the predictor holds a copy of the backbone: stepping the original does not move it
    bb.step(rng.normal(size=(2, 40)))
    assert bb.positions == 2 and p.positions == 0
    with pytest.raises(TypeError):
        ps.TransformerPredictor("not a backbone")


def test_online_head_training_changes_the_head_only(checkpoint):
    folder, _ = checkpoint
    frames = np.random.default_rng(5).normal(size=(8, 5, CFG["input_dim"])).astype(np.float32)
    fixed = ps.TransformerPredictor.from_pretrained(str(folder))
    learned = ps.TransformerPredictor.from_pretrained(str(folder), learn=True, lr=1e-2)
    s_fixed, _ = ps.Stream(predictor=fixed, metric="mse", memory=None).run(frames)
    s_learn, _ = ps.Stream(predictor=learned, metric="mse", memory=None).run(frames)
    np.testing.assert_array_equal(s_fixed[:2], s_learn[:2])  # no training before the second frame
    assert not np.allclose(s_fixed[2:], s_learn[2:])
    np.testing.assert_allclose(fixed.hidden_states, learned.hidden_states, rtol=1e-6)  # backbone frozen


def test_single_file_checkpoint_folder_and_file(tmp_path):
    # a folder with one model.safetensors (no index) + config.json, by folder and by file: the same model
    w = make_weights(CFG, seed=6)
    write_checkpoint(tmp_path, w, CFG, shards=1)
    (tmp_path / "model.safetensors.index.json").unlink()
    (tmp_path / "model-00001-of-00001.safetensors").rename(tmp_path / "model.safetensors")
    stored = ps.read_safetensors(str(tmp_path / "model.safetensors"))
    x = np.random.default_rng(7).normal(size=(2, 4, CFG["input_dim"])).astype(np.float32)
    ref = qwen2_forward(stored, x.reshape(8, -1), CFG).reshape(2, 4, -1)
    for path in (tmp_path, tmp_path / "model.safetensors"):
        p = ps.TransformerPredictor.from_pretrained(str(path))  # sizes from the config.json beside the file
        for f in x:
            p.observe(f)
        assert rel_err(p.hidden_states, ref[-1]) < 1e-4
        assert rel_err(p.predict(), head_forward(stored, ref[-1])) < 1e-4
