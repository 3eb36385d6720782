"""The hostile-input corpus (tests/hostile/hostile_corpus.py) against this build's tools: every bad
input exits 2 with a message naming the problem, inputs stay byte-identical, nothing is left
behind; the controls exit 0. `make sanitize` runs the same corpus under ASan + UBSan."""
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
BUILD = Path(os.environ.get("PREDSENSE_BUILD_DIR", ROOT / "build"))
TOOLS = ["predsense-memory-replay", "predsense-memory-recall", "predsense-predictor-eval", "predsense-vsc",
         "predsense-tcpd", "predsense-lfp"]

pytestmark = pytest.mark.skipif(not all((BUILD / "bin" / t).exists() for t in TOOLS),
                                reason=f"the tools are not built in {BUILD}")


def test_hostile_corpus_passes():
    r = subprocess.run([sys.executable, str(ROOT / "tests" / "hostile" / "hostile_corpus.py"), "--build", str(BUILD)],
                       capture_output=True, text=True)
    assert r.returncode == 0, r.stdout[-4000:] + r.stderr[-2000:]
    # the floor: at least 150 bad inputs over the tools
    summary = r.stdout.strip().splitlines()[-1]
    bad = int(summary.split("(")[1].split(" bad inputs")[0])
    assert bad >= 150, summary
