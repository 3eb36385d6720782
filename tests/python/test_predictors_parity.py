"""PyTorch parity of the LFP head (forward, one Adam step, SGD steps) through build/bin/predsense-lfp.

Random weights and inputs are saved as safetensors (under the Cambrian-S names model.nfp_head.*,
next to unrelated tensors as in a checkpoint shard), the C++ tool runs on them and its outputs are
compared with torch (tests/python/torch_reference.py). Tolerances: 1e-4 relative (max abs error /
max abs reference) for float32, 2e-2 for a bfloat16 model.
"""
import os
import subprocess
import sys

import numpy as np
import pytest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import st_io  # noqa: E402

torch = pytest.importorskip("torch")
from torch_reference import CambrianLike, lfp_loss  # noqa: E402

BUILD = os.environ.get("PREDSENSE_BUILD_DIR", os.path.join(os.path.dirname(__file__), "..", "..", "build"))
TOOL = os.path.join(BUILD, "bin", "predsense-lfp")
PREFIX = "model.nfp_head."

pytestmark = pytest.mark.skipif(not os.path.exists(TOOL), reason=f"{TOOL} not built")


def rel_err(a, ref):
    a, ref = np.asarray(a, np.float64), np.asarray(ref, np.float64)
    return float(np.max(np.abs(a - ref)) / max(np.max(np.abs(ref)), 1e-30))


def run(*args):
    r = subprocess.run([TOOL, *map(str, args)], capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    return r


def make_model(h, d, seed):
    torch.manual_seed(seed)
    m = CambrianLike(h, d)
    with torch.no_grad():  # non-trivial biases so a dropped bias cannot pass
        m.model.nfp_head[0].bias.uniform_(-0.5, 0.5)
        m.model.nfp_head[2].bias.uniform_(-0.5, 0.5)
    return m


def save_shard(path, model, dtype=None):
    sd = {k: (v.to(dtype) if dtype is not None else v) for k, v in model.state_dict().items()}
    # unrelated tensors, as in a checkpoint shard
    sd["model.layers.0.mlp.up_proj.weight"] = torch.randn(8, 4)
    sd["lm_head.weight"] = torch.randn(3, 4).to(torch.bfloat16)
    st_io.save(path, sd, {"format": "pt"})


@pytest.mark.parametrize("h,d,T", [(64, 48, 16), (96, 80, 7), (1536, 1152, 64)])
def test_forward_f32(tmp_path, h, d, T):
    m = make_model(h, d, seed=h + d)
    x = torch.randn(T, h) * 2.0
    save_shard(tmp_path / "w.safetensors", m)
    st_io.save(tmp_path / "x.safetensors", {"x": x})
    run("forward", "--weights", tmp_path / "w.safetensors", "--prefix", PREFIX, "--inputs",
        tmp_path / "x.safetensors", "--out", tmp_path / "y.safetensors")
    y, meta = st_io.load(tmp_path / "y.safetensors")
    with torch.no_grad():
        ref = m(x).numpy()
    err = rel_err(y["y"], ref)
    print(f"f32 h={h} d={d} T={T}: rel err {err:.2e} (gemm backend {meta.get('gemm_backend')})")
    assert y["y"].shape == (T, d)
    assert err < 1e-4


@pytest.mark.parametrize("dtype,name", [(torch.bfloat16, "bf16"), (torch.float16, "f16")])
def test_forward_half_weights(tmp_path, dtype, name):
    h, d, T = 128, 96, 24
    m = make_model(h, d, seed=5)
    x = torch.randn(T, h)
    save_shard(tmp_path / "w.safetensors", m, dtype)
    st_io.save(tmp_path / "x.safetensors", {"x": x})
    run("forward", "--weights", tmp_path / "w.safetensors", "--prefix", PREFIX, "--inputs",
        tmp_path / "x.safetensors", "--out", tmp_path / "y.safetensors")
    y = st_io.load(tmp_path / "y.safetensors")[0]["y"]
    # exact semantics: the same rounded weights, computed in float32 -> 1e-4
    mr = CambrianLike(h, d)
    mr.load_state_dict({k: v.to(dtype).float() for k, v in m.state_dict().items()})
    with torch.no_grad():
        ref_rounded = mr(x).numpy()
        ref_f32 = m(x).numpy()
    assert rel_err(y, ref_rounded) < 1e-4
    # against the float32 model: within the narrow type's rounding
    err = rel_err(y, ref_f32)
    print(f"{name} weights: vs rounded-weight torch {rel_err(y, ref_rounded):.2e}, vs f32 torch {err:.2e}")
    assert err < 2e-2
    if dtype == torch.bfloat16:
        # and against torch running the whole module in bfloat16
        with torch.no_grad():
            ref_bf16 = m.to(torch.bfloat16)(x.to(torch.bfloat16)).float().numpy()
        assert rel_err(y, ref_bf16) < 2e-2


def test_wrong_prefix_and_shapes_fail_cleanly(tmp_path):
    m = make_model(16, 8, seed=1)
    save_shard(tmp_path / "w.safetensors", m)
    st_io.save(tmp_path / "x.safetensors", {"x": torch.randn(3, 17)})
    r = subprocess.run([TOOL, "forward", "--weights", tmp_path / "w.safetensors", "--prefix", "model.other",
                        "--inputs", tmp_path / "x.safetensors", "--out", tmp_path / "y.safetensors"],
                       capture_output=True, text=True)
    assert r.returncode == 2 and "model.other.0.weight" in r.stderr
    r = subprocess.run([TOOL, "forward", "--weights", tmp_path / "w.safetensors", "--prefix", PREFIX,
                        "--inputs", tmp_path / "x.safetensors", "--out", tmp_path / "y.safetensors"],
                       capture_output=True, text=True)
    assert r.returncode == 2 and "expected [T, 16]" in r.stderr


def _torch_steps(m, x, target, opt, steps, mse_w, cos_w):
    losses, grads, y0 = [], None, None
    for s in range(steps):
        opt.zero_grad()
        y = m(x)
        loss = lfp_loss(y, target, mse_w, cos_w)
        loss.backward()
        if s == 0:
            y0 = y.detach().numpy().copy()
            grads = {k[len(PREFIX):]: p.grad.detach().numpy().copy() for k, p in m.named_parameters()}
        opt.step()
        losses.append(loss.item())
    params = {k[len(PREFIX):]: p.detach().numpy() for k, p in m.named_parameters()}
    return losses, grads, y0, params


@pytest.mark.parametrize("optimizer,steps", [("adam", 1), ("adam", 3), ("sgd", 3)])
def test_train_step_parity(tmp_path, optimizer, steps):
    h, d, T = 96, 64, 12
    mse_w, cos_w, lr = 1.0, 0.5, 1e-3 if optimizer == "adam" else 0.05
    m = make_model(h, d, seed=9)
    x, target = torch.randn(T, h), torch.randn(T, d)
    save_shard(tmp_path / "w.safetensors", m)
    st_io.save(tmp_path / "x.safetensors", {"x": x, "target": target})
    before = {k[len(PREFIX):]: v.numpy().copy() for k, v in m.state_dict().items()}
    extra = ["--momentum", "0.9", "--weight-decay", "0.01"] if optimizer == "sgd" else []
    run("train-step", "--weights", tmp_path / "w.safetensors", "--prefix", PREFIX, "--inputs",
        tmp_path / "x.safetensors", "--out", tmp_path / "o.safetensors", "--optimizer", optimizer,
        "--lr", lr, "--steps", steps, "--mse-weight", mse_w, "--cos-weight", cos_w, *extra)
    out = st_io.load(tmp_path / "o.safetensors")[0]
    if optimizer == "adam":
        opt = torch.optim.Adam(m.parameters(), lr=lr)
    else:
        opt = torch.optim.SGD(m.parameters(), lr=lr, momentum=0.9, weight_decay=0.01)
    losses, grads, y0, params = _torch_steps(m, x, target, opt, steps, mse_w, cos_w)

    assert rel_err(out["y"], y0) < 1e-4
    np.testing.assert_allclose(out["loss"], losses, rtol=1e-4)
    for k in grads:
        e = rel_err(out["grad." + k], grads[k])
        assert e < 1e-4, (k, e)
    for k in params:
        # the update itself (new - old) must match, not just the parameters
        e = rel_err(out[k] - before[k], params[k] - before[k])
        print(f"{optimizer} x{steps} {k}: update rel err {e:.2e}")
        assert e < 1e-3, (k, e)
        assert rel_err(out[k], params[k]) < 1e-4
    assert losses[-1] < losses[0] or steps == 1
