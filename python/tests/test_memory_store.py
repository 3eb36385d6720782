"""MemoryStore: every consolidation policy and its parameters, save/load (bit-identical), corruption
refused with the C++ loader's message, pickling through the same bytes."""
import pickle

import numpy as np
import pytest

import predsense as ps

POLICIES = {
    "drop_merge": {},
    "drop": {},
    "fifo": {},
    "uniform_stride": {},
    "sinks_recent": {"sinks": 3},
    "similarity_merge": {"merge_threshold": 0.9},
    "surprise_reservoir": {"seed": 7, "weight_floor": 0.01},
}


def fill(mem, n=120, seed=0, tokens=16, dim=8):
    x, _ = ps.synthetic_stream(frames=n, tokens=tokens, dim=dim, mean_scene_length=12, seed=seed)
    s = ps.copy_last_surprise(x)
    for f, v in zip(x, s):
        mem.push(f, v)
    return x, s


def long_term_tokens(mem):
    return sum(e["tokens"] for e in mem.entries() if not e["in_window"])


@pytest.mark.parametrize("policy", sorted(POLICIES))
def test_every_policy_keeps_the_budget(policy):
    mem = ps.MemoryStore(0.02, window=4, budget=96, policy=policy, **POLICIES[policy])
    fill(mem)
    assert mem.policy == policy and mem.frames_seen == 120
    assert 0 < long_term_tokens(mem) <= 96
    assert sum(e["in_window"] for e in mem.entries()) == 4
    assert len(mem) == len(mem.entries()) == len(mem.tensors())
    for k, v in POLICIES[policy].items():
        assert mem.policy_params[k] == v
    for e, t in zip(mem.entries(), mem.tensors()):
        assert t.shape == (e["tokens"], 8) and t.dtype == np.float32


def test_policies_differ_as_documented():
    keep = {}
    for policy in ("fifo", "sinks_recent", "drop"):
        mem = ps.MemoryStore(-1.0, window=0, budget=16 * 5, policy=policy)  # no pooling: 5 frames fit
        fill(mem, n=40)
        keep[policy] = [e["frame"] for e in mem.entries()]
    assert keep["fifo"] == [35, 36, 37, 38, 39]  # the newest
    assert keep["sinks_recent"][:4] == [0, 1, 2, 3] and keep["sinks_recent"][4] == 39  # 4 sinks (default) + newest
    assert keep["drop"] != keep["fifo"]


def test_policy_parameters_are_checked():
    with pytest.raises(ps.InvalidArgumentError, match="unknown policy 'lru'"):
        ps.MemoryStore(0.1, policy="lru")
    with pytest.raises(ps.InvalidArgumentError, match="sinks= does not apply to policy 'fifo'"):
        ps.MemoryStore(0.1, policy="fifo", sinks=2)
    with pytest.raises(ps.InvalidArgumentError, match="weight_floor"):
        ps.MemoryStore(0.1, policy="surprise_reservoir", weight_floor=0.0)
    with pytest.raises(TypeError):
        ps.MemoryStore(0.1, 4, 64, "fifo")  # policy is keyword-only
    with pytest.raises(TypeError):
        ps.MemoryStore(0.1, window=-1)


@pytest.mark.parametrize("policy", sorted(POLICIES))
def test_save_load_is_bit_identical_and_resumes(tmp_path, policy):
    mem = ps.MemoryStore(0.02, window=4, budget=96, policy=policy, **POLICIES[policy])
    x, s = fill(mem, n=80)
    p1, p2 = tmp_path / "a.safetensors", tmp_path / "b.safetensors"
    mem.save(str(p1))
    back = ps.MemoryStore.load(str(p1))
    assert (back.policy, back.threshold, back.window, back.budget) == (policy, 0.02, 4, 96)
    assert back.policy_params == mem.policy_params
    assert back.entries() == mem.entries()
    for a, b in zip(back.tensors(), mem.tensors()):
        np.testing.assert_array_equal(a, b)
    back.save(str(p2))
    assert p1.read_bytes() == p2.read_bytes()
    # a resumed memory continues exactly like the original
    y, _ = ps.synthetic_stream(frames=30, tokens=16, dim=8, seed=99)
    for f in y:
        mem.push(f, 0.01)
        back.push(f, 0.01)
    assert back.entries() == mem.entries()


@pytest.mark.parametrize("policy", ["drop_merge", "similarity_merge", "surprise_reservoir"])
def test_pickle_goes_through_the_checkpoint_bytes(tmp_path, policy):
    mem = ps.MemoryStore(0.02, window=4, budget=96, policy=policy, **POLICIES[policy])
    mem.add_protected(np.ones((2, 8), np.float32))
    fill(mem, n=50)
    clone = pickle.loads(pickle.dumps(mem))
    assert clone is not mem and clone.entries() == mem.entries()
    assert clone.entries()[0]["protected"] and clone.entries()[0]["frame"] == -1
    mem.save(str(tmp_path / "m.safetensors"))
    assert mem.__getstate__() == (tmp_path / "m.safetensors").read_bytes()


def test_corrupted_or_foreign_checkpoints_are_refused(tmp_path):
    mem = ps.MemoryStore(0.02, window=4, budget=96)
    fill(mem, n=40)
    p = tmp_path / "m.safetensors"
    mem.save(str(p))
    data = bytearray(p.read_bytes())
    data[-5] ^= 0x40  # a flipped bit in the tensor bytes
    bad = tmp_path / "bad.safetensors"
    bad.write_bytes(bytes(data))
    with pytest.raises(ps.FormatError, match="bad.safetensors.*checksum"):
        ps.MemoryStore.load(str(bad))
    trunc = tmp_path / "trunc.safetensors"
    trunc.write_bytes(bytes(data[: len(data) // 2]))
    with pytest.raises(ps.FormatError, match="trunc.safetensors"):
        ps.MemoryStore.load(str(trunc))
    other = tmp_path / "weights.safetensors"
    ps.write_safetensors(str(other), {"w": np.zeros((2, 2), np.float32)})
    with pytest.raises(ps.FormatError, match="not a predsense memory checkpoint"):
        ps.MemoryStore.load(str(other))
    state = bytearray(mem.__getstate__())
    state[-5] ^= 0x40
    with pytest.raises(ps.FormatError, match="checksum"):
        ps.MemoryStore.__new__(ps.MemoryStore).__setstate__(bytes(state))
    with pytest.raises(ps.FormatError, match="missing.safetensors"):
        ps.MemoryStore.load(str(tmp_path / "missing.safetensors"))
