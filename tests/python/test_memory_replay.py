"""predsense's memory vs a transcription of the Cambrian-S reference loop (reference_memory.py).

Both replay the same random surprise streams (thousands of frames, several thresholds, budgets,
windows and surprise distributions, including ties and long runs of surprising frames); the
retained entries (frame ids, token counts, merged frame lists, grids, scores) must be identical.
"""

import json
import os
import random
import subprocess
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))
import reference_memory as ref  # noqa: E402

BUILD = Path(os.environ.get("PREDSENSE_BUILD_DIR", Path(__file__).resolve().parents[2] / "build"))
REPLAY = BUILD / "bin" / "predsense-memory-replay"

pytestmark = pytest.mark.skipif(not REPLAY.exists(), reason=f"{REPLAY} not built")


def run_cpp(cfg):
    r = subprocess.run([str(REPLAY), "-"], input=json.dumps(cfg), capture_output=True, text=True, check=False)
    assert r.returncode == 0, r.stderr
    return json.loads(r.stdout)


def stream(kind, n, seed):
    rng = random.Random(seed)
    if kind == "uniform2":  # mostly low, some high
        return [rng.random() ** 2 for _ in range(n)]
    if kind == "ties":  # few distinct values: argmin tie-breaks and threshold equality matter
        return [rng.choice([0.0, 0.1, 0.2, 0.35, 0.35, 0.5, 1.0]) for _ in range(n)]
    if kind == "bursty":  # long runs of surprising frames: long merge chains
        out, hot = [], False
        for _ in range(n):
            if rng.random() < 0.05:
                hot = not hot
            out.append(rng.uniform(0.4, 1.0) if hot else rng.uniform(0.0, 0.3))
        return out
    raise ValueError(kind)


CASES = []
for seed, kind in enumerate(["uniform2", "ties", "bursty"]):
    for method in ("drop", "drop_merge"):
        for threshold in (0.0, 0.2, 0.35, 0.6, 1.1):
            for budget, window, grid, flush in ((8192, 32, (8, 8), True), (1000, 8, (7, 9), True),
                                                 (700, 16, (8, 8), False), (2048, 0, (4, 6), True)):
                CASES.append((kind, seed, method, threshold, budget, window, grid, flush))


@pytest.mark.parametrize("kind,seed,method,threshold,budget,window,grid,flush", CASES)
def test_matches_reference(kind, seed, method, threshold, budget, window, grid, flush):
    n = 4000 if budget == 8192 else 2500
    s = stream(kind, n, seed)
    cfg = dict(surprise=s, threshold=threshold, budget=budget, window=window, policy=method,
               grid=list(grid), prompt_tokens=24, flush=flush)
    got = run_cpp(cfg)
    want = ref.replay(s, threshold, budget, window, method, grid=grid, prompt_tokens=24, flush=flush)
    assert got["entries"] == want["entries"]
    assert got["window"] == want["window"]
    assert got["stats"]["long_term_tokens"] <= budget
    assert sum(e["tokens"] for e in got["entries"]) == got["stats"]["long_term_tokens"]


def test_the_replays_exercise_every_branch():
    """The exactness cases above are only worth something if they compress, merge and drop."""
    s = stream("bursty", 4000, 2)
    out = ref.replay(s, 0.35, 8192, 32, "drop_merge", prompt_tokens=24)
    entries = out["entries"][1:]
    assert any(e["compressed"] for e in entries)
    assert any(len(e["frames"]) > 2 for e in entries)  # merge chains
    kept = sum(len(e["frames"]) for e in entries)
    assert kept < 4000  # some frames were dropped
    # merged entries can span dropped frames (merge after drop joins non-adjacent frames)
    assert any(e["frames"] != list(range(e["frames"][0], e["frames"][-1] + 1)) for e in entries)


@pytest.mark.parametrize("policy", ["fifo", "uniform_stride", "sinks_recent", "similarity_merge",
                                    "surprise_reservoir"])
def test_other_policies_stay_within_budget(policy):
    s = stream("uniform2", 3000, 7)
    got = run_cpp(dict(surprise=s, threshold=0.3, budget=1500, window=16, policy=policy, dim=4, seed=3))
    assert got["stats"]["long_term_tokens"] <= 1500
    frames = [f for e in got["entries"] for f in e["frames"]]
    assert frames == sorted(frames) and len(frames) == len(set(frames))
    if policy == "fifo":  # the newest frames, contiguous up to the end
        assert frames[-1] == 2999 and frames == list(range(frames[0], 3000))
    if policy == "sinks_recent":
        assert frames[:4] == [0, 1, 2, 3] and frames[-1] == 2999


def test_reservoir_is_deterministic_by_seed():
    s = stream("uniform2", 2000, 9)
    cfg = dict(surprise=s, threshold=0.3, budget=800, window=8, policy="surprise_reservoir", seed=11)
    a, b = run_cpp(cfg), run_cpp(cfg)
    c = run_cpp(dict(cfg, seed=12))
    assert a["entries"] == b["entries"]
    assert a["entries"] != c["entries"]


@pytest.mark.parametrize("payload,field", [
    ('{"surprise": [0.1, "x"]}', '/surprise/1'),
    ('{"threshold": 0.3}', '/surprise'),
    ('{"surprise": [0.1], "budget": -5}', '/budget'),
    ('{"surprise": [0.1], "grid": [8]}', '/grid'),
    ('{"surprise": [0.1], "policy": "lru"}', '/policy'),
    ('{"surprise": [0.1], "budget": 4, "prompt_tokens": 16}', '/budget'),
    ('{"surprise": [0.1]', "not valid JSON"),
])
def test_bad_input_exits_2_and_writes_nothing(tmp_path, payload, field):
    src = tmp_path / "in.json"
    src.write_text(payload)
    dst = tmp_path / "out.json"
    r = subprocess.run([str(REPLAY), str(src), "-o", str(dst)], capture_output=True, text=True, check=False)
    assert r.returncode == 2
    assert str(src) in r.stderr and field in r.stderr
    assert not dst.exists()
    assert list(tmp_path.iterdir()) == [src]
