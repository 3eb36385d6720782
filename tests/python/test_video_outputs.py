"""predsense-video's outputs never touch its inputs or each other; failures are exit 2 with nothing
written (the tools' shared contract, tools/support/cli.hpp)."""
import os
import subprocess

import numpy as np

SRC = os.environ.get("PREDSENSE_SOURCE_DIR", os.path.dirname(os.path.dirname(os.path.dirname(__file__))))
BUILD = os.environ.get("PREDSENSE_BUILD_DIR", os.path.join(SRC, "build"))
EXE = os.path.join(BUILD, "bin", "predsense-video")


def run(*args, stdout=subprocess.PIPE):
    return subprocess.run([EXE, "-q", *args], stdout=stdout, stderr=subprocess.PIPE, text=True)


def test_outputs_refused_before_any_work(tmp_path):
    feats = tmp_path / "f.npy"
    np.save(feats, np.random.default_rng(0).normal(size=(12, 4, 8)).astype(np.float32))
    before = feats.read_bytes()
    r = run("--features", str(feats), "--json", str(feats))
    assert r.returncode == 2 and "refusing to overwrite an input" in r.stderr
    assert feats.read_bytes() == before
    r = run("--features", str(feats), "--json", str(tmp_path / "a"), "--features-out", str(tmp_path / "a"))
    assert r.returncode == 2 and "two outputs cannot share a file" in r.stderr
    r = run("--features", str(feats), "--json", str(tmp_path / "missing" / "o.json"))
    assert r.returncode == 2 and "does not exist" in r.stderr
    assert sorted(p.name for p in tmp_path.iterdir()) == ["f.npy"]  # nothing left behind
    with open("/dev/full", "w") as full:
        r = run("--features", str(feats), stdout=full)
    assert r.returncode == 2 and "standard output" in r.stderr
    ok = run("--features", str(feats), "--json", str(tmp_path / "ok.json"))
    assert ok.returncode == 0 and (tmp_path / "ok.json").is_file()
