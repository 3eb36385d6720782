"""docs/segmentation.md is generated from predsense-tcpd --json output and is current.

Regenerates the page into a temporary file with scripts/segmentation_table.py and compares every
section except the speed numbers (machine-dependent) with the committed page; also checks the
headline claims the page makes against the regenerated JSON.
"""
import json
import os
import subprocess
import sys

import pytest

SRC = os.environ.get("PREDSENSE_SOURCE_DIR", os.path.dirname(os.path.dirname(os.path.dirname(__file__))))
BUILD = os.environ.get("PREDSENSE_BUILD_DIR", os.path.join(SRC, "build"))
EXE = os.path.join(BUILD, "bin", "predsense-tcpd")


def strip_speed(text):
    """The page without its '## Speed' section."""
    if "## Speed" not in text:
        return text
    head, rest = text.split("## Speed", 1)
    tail = rest[rest.index("## Reproduce"):]
    return head + tail


@pytest.fixture(scope="module")
def generated(tmp_path_factory):
    if not os.path.exists(EXE):
        pytest.fail(f"{EXE} not built")
    out = tmp_path_factory.mktemp("docs") / "segmentation.md"
    subprocess.run([sys.executable, os.path.join(SRC, "scripts", "segmentation_table.py"), "--build", BUILD,
                    "--out", str(out)], check=True, stdout=subprocess.DEVNULL)
    return out.read_text()


def test_committed_page_matches_regenerated(generated):
    with open(os.path.join(SRC, "docs", "segmentation.md")) as f:
        committed = f.read()
    assert strip_speed(committed) == strip_speed(generated)


def test_default_beats_published_defaults(generated):
    del generated  # the fixture wrote tcpd_results/ as a side effect
    with open(os.path.join(BUILD, "tcpd_results", "default_univariate.json")) as f:
        ours = json.load(f)
    data = os.path.join(SRC, "tests", "data", "tcpd", "published")
    with open(os.path.join(data, "default_f1_scores.json")) as f:
        pf = json.load(f)
    with open(os.path.join(data, "default_cover_scores.json")) as f:
        pc = json.load(f)
    names = list(ours["series"])
    assert len(names) == 20 and "run_log" not in names
    for m in pf[names[0]]:
        if m == "zero":
            continue
        f1 = sum(pf[n][m] or 0.0 for n in names) / len(names)
        cov = sum(pc[n][m] or 0.0 for n in names) / len(names)
        assert ours["mean_f1"] > f1, m
        assert ours["mean_cover"] > cov, m
