"""PyTorch parity of the mini Qwen2 backbone (KV-cached streaming) and backbone -> LFP head.

The C++ decoder streams F frames of T tokens through its KV cache (build/bin/predsense-lfp
backbone); torch (tests/python/torch_reference.py: Qwen2Mini, Hugging Face parameter names) runs the
whole F*T sequence at once under a causal mask. Equal outputs mean the cache, the rotary positions
of later frames, grouped-query attention and the blocked online softmax are all right.
"""
import os
import subprocess
import sys

import numpy as np
import pytest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import st_io  # noqa: E402

torch = pytest.importorskip("torch")
from torch_reference import LFPHead, Qwen2Mini  # noqa: E402

BUILD = os.environ.get("PREDSENSE_BUILD_DIR", os.path.join(os.path.dirname(__file__), "..", "..", "build"))
TOOL = os.path.join(BUILD, "bin", "predsense-lfp")
pytestmark = pytest.mark.skipif(not os.path.exists(TOOL), reason=f"{TOOL} not built")


def rel_err(a, ref):
    a, ref = np.asarray(a, np.float64), np.asarray(ref, np.float64)
    return float(np.max(np.abs(a - ref)) / max(np.max(np.abs(ref)), 1e-30))


def make(cfg, seed):
    torch.manual_seed(seed)
    m = Qwen2Mini(**cfg)
    with torch.no_grad():  # non-trivial norm weights so a skipped norm weight cannot pass
        for name, p in m.named_parameters():
            if "layernorm" in name or name.endswith("norm.weight"):
                p.uniform_(0.5, 1.5)
    return m


@pytest.mark.parametrize("attn_block", [512, 3])
@pytest.mark.parametrize("cfg", [
    dict(hidden=64, layers=2, heads=4, kv_heads=2, intermediate=96, input_dim=48),
    dict(hidden=96, layers=3, heads=6, kv_heads=1, intermediate=160, input_dim=0, rope_theta=1e6),
])
def test_backbone_streaming_matches_full_sequence(tmp_path, cfg, attn_block):
    F_, T = 4, 5
    m = make(cfg, seed=cfg["hidden"])
    in_dim = cfg["input_dim"] or cfg["hidden"]
    frames = torch.randn(F_, T, in_dim)
    st_io.save(tmp_path / "w.safetensors", m.state_dict())
    st_io.save(tmp_path / "x.safetensors", {"frames": frames})
    args = [TOOL, "backbone", "--weights", tmp_path / "w.safetensors", "--inputs", tmp_path / "x.safetensors",
            "--out", tmp_path / "h.safetensors", "--hidden", cfg["hidden"], "--layers", cfg["layers"],
            "--heads", cfg["heads"], "--kv-heads", cfg["kv_heads"], "--intermediate", cfg["intermediate"],
            "--input-dim", cfg["input_dim"], "--rope-theta", cfg.get("rope_theta", 10000.0),
            "--attn-block", attn_block]
    r = subprocess.run([str(a) for a in args], capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    h = st_io.load(tmp_path / "h.safetensors")[0]["hidden"]
    with torch.no_grad():
        ref = m(frames.reshape(F_ * T, in_dim)).reshape(F_, T, -1).numpy()
    err = rel_err(h, ref)
    print(f"backbone {cfg} block {attn_block}: rel err {err:.2e}")
    assert err < 1e-4
    # the last frame attends to all earlier ones: a model without the cache would differ
    with torch.no_grad():
        alone = m(frames[-1]).numpy()
    assert rel_err(alone, ref[-1]) > 1e-2


def test_backbone_then_head_prediction(tmp_path):
    cfg = dict(hidden=64, layers=2, heads=4, kv_heads=2, intermediate=96, input_dim=40)
    F_, T = 3, 6
    m = make(cfg, seed=3)
    torch.manual_seed(4)
    head = LFPHead(64, 40)
    frames = torch.randn(F_, T, 40)
    st_io.save(tmp_path / "w.safetensors", m.state_dict())
    st_io.save(tmp_path / "head.safetensors", {"model.nfp_head." + k[len("net."):]: v
                                               for k, v in head.state_dict().items()})
    st_io.save(tmp_path / "x.safetensors", {"frames": frames})
    args = [TOOL, "backbone", "--weights", tmp_path / "w.safetensors", "--inputs", tmp_path / "x.safetensors",
            "--out", tmp_path / "o.safetensors", "--hidden", 64, "--layers", 2, "--heads", 4, "--kv-heads", 2,
            "--intermediate", 96, "--input-dim", 40, "--head-weights", tmp_path / "head.safetensors",
            "--head-prefix", "model.nfp_head"]
    r = subprocess.run([str(a) for a in args], capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    pred = st_io.load(tmp_path / "o.safetensors")[0]["pred"]
    with torch.no_grad():
        ref = head(m(frames.reshape(F_ * T, 40))).reshape(F_, T, 40).numpy()
    assert pred.shape == (F_, T, 40)
    err = rel_err(pred, ref)
    print(f"backbone -> head: rel err {err:.2e}")
    assert err < 1e-4


def test_backbone_shape_mismatch_is_named(tmp_path):
    cfg = dict(hidden=64, layers=1, heads=4, kv_heads=2, intermediate=96, input_dim=0)
    m = make(cfg, seed=1)
    st_io.save(tmp_path / "w.safetensors", m.state_dict())
    st_io.save(tmp_path / "x.safetensors", {"frames": torch.randn(1, 2, 64)})
    args = [TOOL, "backbone", "--weights", tmp_path / "w.safetensors", "--inputs", tmp_path / "x.safetensors",
            "--out", tmp_path / "o.safetensors", "--hidden", 64, "--layers", 1, "--heads", 4, "--kv-heads", 2,
            "--intermediate", 128]
    r = subprocess.run([str(a) for a in args], capture_output=True, text=True)
    assert r.returncode == 2  # a mismatched file is bad input
    assert "model.layers.0.mlp.gate_proj.weight" in r.stderr and "[128, 64]" in r.stderr
