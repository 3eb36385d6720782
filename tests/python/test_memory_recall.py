"""VSR-like needle recall (tools/predsense-memory-recall.cpp), reduced to 3 streams per length: the
surprise-driven policies keep and recall all four needles at 240 minutes, FIFO and uniform stride
do not."""

import json
import os
import subprocess
from pathlib import Path

import pytest

BUILD = Path(os.environ.get("PREDSENSE_BUILD_DIR", Path(__file__).resolve().parents[2] / "build"))
RECALL = BUILD / "bin" / "predsense-memory-recall"
pytestmark = pytest.mark.skipif(not RECALL.exists(), reason=f"{RECALL} not built")


@pytest.fixture(scope="module")
def results():
    r = subprocess.run([str(RECALL), "--seeds", "3", "--minutes", "10,240", "--timeline-minutes", "240"],
                       capture_output=True, text=True, check=True)
    return json.loads(r.stdout)


def test_surprise_driven_policies_hold_at_240_minutes(results):
    res = results["results"]
    for policy in ("drop", "drop_merge", "peak_preserving"):
        assert res[policy]["240"]["kept"] == 1.0, policy
        assert res[policy]["240"]["recalled"] >= 2 / 3, policy
    assert res["drop"]["240"]["recalled"] == 1.0
    assert res["peak_preserving"]["240"]["recalled"] == 1.0  # the default policy


def test_fifo_and_uniform_stride_fail_at_240_minutes(results):
    res = results["results"]
    for policy in ("fifo", "uniform_stride", "sinks_recent"):
        assert res[policy]["240"]["recalled"] == 0.0, policy


def test_timeline_is_within_budget_and_in_order(results):
    t = results["timeline"]
    assert len(t["surprise"]) == 240 * 60
    needles = t["needles"]
    assert needles == sorted(needles) and len(needles) == 4
    for policy, v in t["policies"].items():
        assert sum(e[3] for e in v["entries"]) <= 8192 - 0, policy  # tokens of every kept entry
        firsts = [e[0] for e in v["entries"]]
        assert firsts == sorted(firsts), policy
