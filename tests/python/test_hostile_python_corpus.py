"""The Python API's hostile-input corpus (tests/hostile/python_corpus.py) against this build's extension:
every bad input raises its documented exception naming the argument, inputs stay unchanged, nothing is
left behind, no worker crashes. `make sanitize` runs the same corpus on an ASan + UBSan build."""
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
BUILD = Path(os.environ.get("PREDSENSE_BUILD_DIR", ROOT / "build"))
PKG = BUILD / "python"

pytestmark = pytest.mark.skipif(not any((PKG / "predsense").glob("_core*.so")),
                                reason=f"the Python extension is not built in {PKG}")


def test_python_hostile_corpus_passes():
    r = subprocess.run([sys.executable, str(ROOT / "tests" / "hostile" / "python_corpus.py"), "--pythonpath", str(PKG)],
                       capture_output=True, text=True, timeout=900)
    assert r.returncode == 0, r.stdout[-4000:] + r.stderr[-2000:]
    summary = r.stdout.strip().splitlines()[-1]
    assert " 0 failed" in summary, summary
    # the floor for tools and Python together is 150; the Python API alone has well over 80
    bad = int(summary.split("(")[1].split(" bad inputs")[0])
    assert bad >= 80, summary
