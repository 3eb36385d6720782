"""Memory checkpoints through predsense-memory-replay: resume == never stopped (every policy), a
writer killed mid-write leaves the previous checkpoint loadable, corrupted or mismatched
checkpoints are refused (exit 2, message naming the file, no output)."""

import json
import os
import random
import signal
import subprocess
import time
from pathlib import Path

import pytest

BUILD = Path(os.environ.get("PREDSENSE_BUILD_DIR", Path(__file__).resolve().parents[2] / "build"))
REPLAY = BUILD / "bin" / "predsense-memory-replay"
pytestmark = pytest.mark.skipif(not REPLAY.exists(), reason=f"{REPLAY} not built")

POLICIES = ["drop_merge", "drop", "fifo", "uniform_stride", "sinks_recent", "similarity_merge",
            "surprise_reservoir"]


def surprises(n, seed):
    rng = random.Random(seed)
    return [rng.random() ** 2 for _ in range(n)]


def replay(args, check=True):
    r = subprocess.run([str(REPLAY), *map(str, args)], capture_output=True, text=True, check=False)
    if check:
        assert r.returncode == 0, r.stderr
    return r


@pytest.mark.parametrize("policy", POLICIES)
def test_resume_equals_uninterrupted(tmp_path, policy):
    s = surprises(2500, 5)
    cfg = dict(surprise=s, threshold=0.35, budget=1200, window=16, policy=policy, dim=3, seed=4)
    full, part = tmp_path / "full.json", tmp_path / "part.json"
    full.write_text(json.dumps(cfg))
    part.write_text(json.dumps(dict(cfg, surprise=s[:1111], flush=False)))
    ck = tmp_path / "ck.safetensors"
    want = json.loads(replay([full]).stdout)
    replay([part, "--checkpoint", ck])
    got = json.loads(replay([full, "--resume", ck]).stdout)
    assert got["entries"] == want["entries"]
    assert got["stats"]["frames"] == 2500


def checkpoint_meta(path):
    raw = path.read_bytes()
    n = int.from_bytes(raw[:8], "little")
    header = json.loads(raw[8:8 + n])
    return json.loads(header["__metadata__"]["predsense.memory"])


def test_killed_writer_leaves_a_loadable_checkpoint(tmp_path):
    # dim 512: each checkpoint is ~16 MB, so a kill very likely lands inside a write
    s = surprises(100000, 6)
    cfg = dict(surprise=s, threshold=0.35, budget=8192, window=8, dim=512)
    src = tmp_path / "in.json"
    src.write_text(json.dumps(cfg))
    ck = tmp_path / "ck.safetensors"
    rng = random.Random(0)
    seen, torn = [], 0
    for attempt in range(20):  # at least 3 kills, and on until one has landed inside a write
        if attempt >= 3 and torn:
            break
        proc = subprocess.Popen([str(REPLAY), str(src), "--checkpoint", str(ck), "--checkpoint-every", "7"],
                                stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        deadline = time.time() + 60
        while not ck.exists() and time.time() < deadline and proc.poll() is None:
            time.sleep(0.01)
        assert ck.exists(), "the writer never produced a checkpoint"
        time.sleep(rng.uniform(0.05, 0.4))
        proc.send_signal(signal.SIGKILL)
        proc.wait()
        assert proc.returncode == -signal.SIGKILL  # killed, not finished
        # the checkpoint at the final path is whole: it loads and the stream continues from it
        frames = checkpoint_meta(ck)["frames_seen"]
        assert frames % 7 == 0 and 0 < frames < len(s)
        seen.append(frames)
        rest = tmp_path / "rest.json"
        rest.write_text(json.dumps(dict(cfg, surprise=s[:frames + 20])))
        r = replay([rest, "--resume", ck, "-o", tmp_path / "out.json"], check=False)
        assert r.returncode == 0, r.stderr
        out = json.loads((tmp_path / "out.json").read_text())
        assert out["stats"]["frames"] == frames + 20
        assert out["stats"]["long_term_tokens"] <= 8192
        for leftover in tmp_path.glob("ck.safetensors.tmp.*"):  # a killed write's temp file
            torn += 1
            leftover.unlink()
        ck.unlink()
    assert max(seen) > 7  # the kills came after several rewrites of the file
    # the writer spends nearly all its time writing: at least one kill must have torn a write,
    # or this test did not test what it claims
    assert torn >= 1


def make_ck(tmp_path, **over):
    cfg = dict(surprise=surprises(600, 1), threshold=0.35, budget=900, window=8, dim=2, flush=False)
    cfg.update(over)
    src = tmp_path / "in.json"
    src.write_text(json.dumps(cfg))
    ck = tmp_path / "ck.safetensors"
    replay([src, "--checkpoint", ck])
    return src, ck


def refused(tmp_path, src, ck, needle):
    out = tmp_path / "out.json"
    r = replay([src, "--resume", ck, "-o", out], check=False)
    assert r.returncode == 2, r.stderr
    assert str(ck) in r.stderr and needle in r.stderr
    assert not out.exists()


def test_corrupted_checkpoint_is_refused(tmp_path):
    src, ck = make_ck(tmp_path)
    data = bytearray(ck.read_bytes())
    data[-50] ^= 0x01
    ck.write_bytes(bytes(data))
    refused(tmp_path, src, ck, "checksum mismatch")


def test_truncated_checkpoint_is_refused(tmp_path):
    src, ck = make_ck(tmp_path)
    ck.write_bytes(ck.read_bytes()[:1000])
    refused(tmp_path, src, ck, "truncated")


def test_mismatched_checkpoint_is_refused(tmp_path):
    src, ck = make_ck(tmp_path)
    other = tmp_path / "other.json"
    cfg = json.loads(src.read_text())
    other.write_text(json.dumps(dict(cfg, budget=1000)))
    refused(tmp_path, other, ck, "budget")
    other.write_text(json.dumps(dict(cfg, policy="fifo")))
    refused(tmp_path, other, ck, "consolidation")
    other.write_text(json.dumps(dict(cfg, threshold=0.3)))
    refused(tmp_path, other, ck, "threshold")
