"""Hugging Face sharded checkpoints (model.safetensors.index.json): the LFP head loads from a folder of
shards without the user finding the shard; broken indexes are refused naming the tensor and the index."""
import json
import math

import numpy as np
import pytest

import predsense as ps

PREFIX = "model.nfp_head."
D = 16


def make_checkpoint(folder, seed=0):
    """Three shards like a released checkpoint: backbone tensors spread over shards 1-3, the head's
    Linear 0 in shard 2 and Linear 2 in shard 3 (BF16)."""
    rng = np.random.default_rng(seed)
    head = {
        PREFIX + "0.weight": rng.normal(0, 0.3, (D, D)).astype(np.float32),
        PREFIX + "0.bias": rng.normal(0, 0.1, D).astype(np.float32),
        PREFIX + "2.weight": rng.normal(0, 0.3, (D, D)).astype(np.float32),
        PREFIX + "2.bias": rng.normal(0, 0.1, D).astype(np.float32),
    }
    shards = {
        "model-00001-of-00003.safetensors": {"model.embed_tokens.weight": rng.normal(size=(8, D)).astype(np.float32)},
        "model-00002-of-00003.safetensors": {"model.layers.0.mlp.weight": rng.normal(size=(D, D)).astype(np.float32),
                                             PREFIX + "0.weight": head[PREFIX + "0.weight"],
                                             PREFIX + "0.bias": head[PREFIX + "0.bias"]},
        "model-00003-of-00003.safetensors": {PREFIX + "2.weight": head[PREFIX + "2.weight"],
                                             PREFIX + "2.bias": head[PREFIX + "2.bias"],
                                             "lm_head.weight": rng.normal(size=(8, D)).astype(np.float32)},
    }
    weight_map = {}
    for name, tensors in shards.items():
        ps.write_safetensors(str(folder / name), tensors, dtype="BF16")
        weight_map.update({t: name for t in tensors})
    index = {"metadata": {"total_size": 0}, "weight_map": weight_map}
    (folder / "model.safetensors.index.json").write_text(json.dumps(index, indent=2))
    return head, index


def head_forward(w, x):
    """The Cambrian-S head: Linear -> GELU (erf) -> Linear."""
    h = x @ w[PREFIX + "0.weight"].T + w[PREFIX + "0.bias"]
    h = 0.5 * h * (1 + np.vectorize(math.erf)(h / math.sqrt(2)))
    return h @ w[PREFIX + "2.weight"].T + w[PREFIX + "2.bias"]


def test_lfp_head_from_a_sharded_folder(tmp_path):
    make_checkpoint(tmp_path)
    stored = ps.read_safetensors(str(tmp_path), prefix=PREFIX)  # BF16 as stored, read across shards
    assert sorted(stored) == sorted([PREFIX + s for s in ("0.weight", "0.bias", "2.weight", "2.bias")])
    x = np.random.default_rng(1).normal(size=(5, D)).astype(np.float32)
    want = head_forward({k: v.astype(np.float64) for k, v in stored.items()}, x.astype(np.float64))
    for path in (tmp_path, tmp_path / "model.safetensors.index.json"):
        p = ps.LFPPredictor.from_pretrained(str(path))
        p.observe(x)
        np.testing.assert_allclose(p.predict(), want, rtol=1e-4, atol=1e-5)
    # the same head from one file holding everything: identical predictions
    single = tmp_path / "single"
    single.mkdir()
    everything = ps.read_safetensors(str(tmp_path))
    assert len(everything) == 7
    ps.write_safetensors(str(single / "model.safetensors"), everything, dtype="BF16")
    a, b = ps.LFPPredictor.from_pretrained(str(single)), ps.LFPPredictor(weights=str(tmp_path), prefix=PREFIX,
                                                                          learn=False)
    a.observe(x)
    b.observe(x)
    np.testing.assert_array_equal(a.predict(), b.predict())
    # and it composes into a Stream like any predictor
    frames = np.random.default_rng(2).normal(size=(10, 5, D)).astype(np.float32)
    s, _ = ps.Stream(predictor=ps.LFPPredictor.from_pretrained(str(tmp_path)), memory=None).run(frames)
    assert s.shape == (10,) and np.isfinite(s).all()


def rewrite_index(folder, index, edit):
    edit(index["weight_map"])
    (folder / "model.safetensors.index.json").write_text(json.dumps(index))


def test_broken_indexes_are_refused_with_the_tensor_and_the_index(tmp_path):
    _, index = make_checkpoint(tmp_path)
    rewrite_index(tmp_path, index, lambda wm: wm.pop(PREFIX + "2.bias"))
    with pytest.raises(ps.FormatError, match=r"model\.safetensors\.index\.json.*model\.nfp_head\.2\.bias"):
        ps.LFPPredictor.from_pretrained(str(tmp_path))

    _, index = make_checkpoint(tmp_path)
    rewrite_index(tmp_path, index, lambda wm: wm.update({PREFIX + "2.bias": "model-00001-of-00003.safetensors"}))
    with pytest.raises(ps.FormatError, match=r"index\.json.*2\.bias.*model-00001-of-00003.*no such tensor"):
        ps.LFPPredictor.from_pretrained(str(tmp_path))

    _, index = make_checkpoint(tmp_path)
    rewrite_index(tmp_path, index, lambda wm: wm.update({PREFIX + "0.bias": "../outside.safetensors"}))
    with pytest.raises(ps.FormatError, match=r"must be a file name in the checkpoint folder"):
        ps.read_safetensors(str(tmp_path))

    _, index = make_checkpoint(tmp_path)
    (tmp_path / "model-00003-of-00003.safetensors").unlink()
    with pytest.raises(ps.FormatError, match=r"index\.json.*shard model-00003-of-00003\.safetensors"):
        ps.LFPPredictor.from_pretrained(str(tmp_path))

    (tmp_path / "model.safetensors.index.json").write_text('{"weight_map": {"a": ')
    with pytest.raises(ps.FormatError, match="index.json"):
        ps.read_safetensors(str(tmp_path))
    (tmp_path / "model.safetensors.index.json").write_text('{"weight_map": {"a": 3}}')
    with pytest.raises(ps.FormatError, match="weight_map/a"):
        ps.read_safetensors(str(tmp_path))
    empty = tmp_path / "empty"
    empty.mkdir()
    with pytest.raises(ps.FormatError, match="no model.safetensors.index.json"):
        ps.LFPPredictor.from_pretrained(str(empty))
