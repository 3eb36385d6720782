"""MemoryStore's default policy (peak_preserving: thresholds relative to the stream) and
late-interaction retrieval from Python; predsense-memory-recall --devset on a small real-footage
case (the full tables: scripts/recall_table.sh, not part of make test)."""

import json
import os
import shutil
import subprocess
from pathlib import Path

import numpy as np
import pytest

import predsense as ps

ROOT = Path(__file__).resolve().parents[2]
BUILD = Path(os.environ.get("PREDSENSE_BUILD_DIR", ROOT / "build"))
RECALL = BUILD / "bin" / "predsense-memory-recall"


def scene(seed=3, d=16):
    """40 frames of 64 tokens: two rooms; frames 7, 19 and 33 carry a 4-token object."""
    g = np.random.default_rng(seed)
    obj = g.normal(size=d).astype(np.float32)
    rooms = [g.normal(size=(8, d)).astype(np.float32) for _ in range(2)]
    frames = []
    for t in range(40):
        f = rooms[t >= 20][np.arange(64) % 8] + 0.3 * g.normal(size=(64, d)).astype(np.float32)
        if t in (7, 19, 33):
            f[[27, 28, 35, 36]] = obj + 0.3 * g.normal(size=(4, d)).astype(np.float32)
        frames.append(f)
    crop = obj + 0.3 * g.normal(size=(3, d)).astype(np.float32)
    return frames, crop


def test_default_is_peak_preserving_and_a_threshold_selects_cambrian_s():
    m = ps.MemoryStore()
    assert m.policy == "peak_preserving" and m.threshold is None
    assert m.policy_params["transient_gain"] == 16.0 and m.policy_params["z_pool"] == 1.0
    assert ps.MemoryStore(0.1).policy == "drop_merge"
    with pytest.raises(ps.InvalidArgumentError, match="threshold"):
        ps.MemoryStore(0.1, policy="peak_preserving")
    with pytest.raises(ps.InvalidArgumentError, match="z_peak"):
        ps.MemoryStore(0.1, z_peak=2.0)
    with pytest.raises(ps.NonFiniteError):
        ps.MemoryStore(z_merge=float("nan"))


def test_late_interaction_finds_the_object_best_first_or_in_time_order():
    frames, crop = scene()
    mem = ps.MemoryStore(0.0, window=0, budget=1 << 20, policy="fifo")  # every frame kept whole
    for f in frames:
        mem.push(f, 0.5)
    hits = mem.retrieve(crop, k=3, scoring="late_interaction")
    assert sorted(h["frame"] for h in hits) == [7, 19, 33]
    scores = [h["score"] for h in hits]
    assert scores == sorted(scores, reverse=True)
    assert all(h["data"].shape == (64, 16) for h in hits)
    assert np.array_equal(hits[0]["data"], frames[hits[0]["frame"]])
    timed = mem.retrieve(crop, k=3, scoring="late_interaction", order="time")
    assert [h["frame"] for h in timed] == [7, 19, 33]
    token_mean = mem.retrieve(crop, k=3)
    assert sorted(h["frame"] for h in token_mean) != [7, 19, 33]
    with pytest.raises(ps.InvalidArgumentError, match="scoring"):
        mem.retrieve(crop, scoring="maxsim")
    with pytest.raises(ps.InvalidArgumentError, match="informative"):
        mem.retrieve(crop, scoring="late_interaction", informative=0.0)


def test_late_interaction_matches_a_numpy_transcription():
    frames, crop = scene(seed=5)
    mem = ps.MemoryStore(0.0, window=0, budget=1 << 20, policy="fifo")
    for f in frames:
        mem.push(f, 0.5)
    hits = mem.retrieve(crop, k=40, scoring="late_interaction")
    e = np.stack(frames).astype(np.float64)
    e /= np.linalg.norm(e, axis=2, keepdims=True)
    q = crop.astype(np.float64) / np.linalg.norm(crop, axis=1, keepdims=True)
    want = (e @ q.T).max(axis=1).mean(axis=1)
    for h in hits:
        assert h["score"] == pytest.approx(want[h["frame"]], abs=1e-5)
    assert [h["frame"] for h in hits] == list(np.argsort(-want, kind="stable"))


def test_peak_preserving_decisions_do_not_depend_on_the_surprise_scale():
    g = np.random.default_rng(1)
    s = 0.02 + 0.01 * g.random(300)
    s[::40] = 0.8
    s[[57, 143, 211]] = 0.25
    s[[58, 144, 212]] = 0.24
    f = np.zeros((4, 4), np.float32)

    def kept(a, b):
        m = ps.MemoryStore(window=4, budget=120)
        for x in s:
            m.push(f, a * x + b)
        m.flush()
        return [(e["merged"], e["tokens"]) for e in m.entries()]

    base = kept(1.0, 0.0)
    assert kept(40.0, -3.0) == base and kept(0.01, 7.0) == base
    singles = [e[0][0] for e in base if len(e[0]) == 1]
    assert {57, 143, 211} <= set(singles)


@pytest.mark.skipif(not RECALL.exists(), reason=f"{RECALL} not built")
@pytest.mark.skipif(shutil.which("ffmpeg") is None or not Path("/usr/share/doc/opencv-doc/examples/data").exists(),
                    reason="the dev set's Debian sources are missing (scripts/install-deps.sh installs them)")
def test_devset_small_case(tmp_path):
    """Two 10-minute real-footage streams: peak_preserving keeps all four needles at budget 8192,
    late interaction ranks them above the token mean."""
    subprocess.run(["/usr/bin/python3", str(ROOT / "scripts" / "make_recall_devset.py"), str(tmp_path / "d")],
                   check=True, capture_output=True)
    out = tmp_path / "r.json"
    subprocess.run([str(RECALL), "--devset", str(tmp_path / "d"), "--minutes", "10", "--seeds", "2",
                    "--first-seed", "100", "--budgets", "8192", "-o", str(out)], check=True, capture_output=True)
    r = json.loads(out.read_text())
    assert r["results"]["peak_preserving"]["8192"]["10"]["kept"] == 1.0
    ka = r["retrieval_keep_all"]["10"]
    assert ka["late_interaction"]["top4"] > ka["token_mean"]["top4"]
    assert ka["late_interaction"]["mean_rank"] < ka["token_mean"]["mean_rank"]
    assert len(r["streams"]) == 2 and all(len(s["needles"]) == 4 for s in r["streams"])
    # another encoder (raw pixel patches, another surprise scale): the same defaults keep the needles
    pix = tmp_path / "p.json"
    subprocess.run([str(RECALL), "--devset", str(tmp_path / "d"), "--encoder", "pixels", "--minutes", "10", "--seeds",
                    "2", "--first-seed", "100", "--budgets", "8192", "-o", str(pix)], check=True, capture_output=True)
    assert json.loads(pix.read_text())["results"]["peak_preserving"]["8192"]["10"]["kept"] == 1.0
    # bad input: a manifest that does not match the files is exit 2 with the file named
    (tmp_path / "d" / "objects.u8").write_bytes(b"x")
    bad = subprocess.run([str(RECALL), "--devset", str(tmp_path / "d"), "--minutes", "10", "--seeds", "1"],
                         capture_output=True, text=True)
    assert bad.returncode == 2 and "objects.u8" in bad.stderr
