"""predsense-tcpd with missing values (null), the offline methods' options, and bad input: exit 2
with a message naming the file and field, nothing written."""
import json
import os
import subprocess

import numpy as np
import pytest

SRC = os.environ.get("PREDSENSE_SOURCE_DIR", os.path.dirname(os.path.dirname(os.path.dirname(__file__))))
BUILD = os.environ.get("PREDSENSE_BUILD_DIR", os.path.join(SRC, "build"))
EXE = os.path.join(BUILD, "bin", "predsense-tcpd")
SHARED_FIELD = os.path.join(SRC, "..", "shared", "data", "field")


def write_series(path, values, name="s", n_obs=None):
    doc = {"name": name, "n_obs": len(values) if n_obs is None else n_obs, "n_dim": 1,
           "series": [{"label": "V1", "type": "float", "raw": values}]}
    path.write_text(json.dumps(doc))
    return str(path)


def run(*args):
    return subprocess.run([EXE, *args], capture_output=True, text=True)


@pytest.fixture()
def gap_pair(tmp_path):
    rng = np.random.default_rng(5)
    full = np.r_[rng.normal(10, 0.5, 30), rng.normal(4, 0.5, 30)].round(3).tolist()
    gappy = list(full)
    for i in (9, 40, 41):
        gappy[i] = None
    ann = tmp_path / "ann.json"
    ann.write_text(json.dumps({"g": {"1": [30]}, "f": {"1": [30]}}))
    return write_series(tmp_path / "g.json", gappy, "g"), write_series(tmp_path / "f.json", full, "f"), str(ann)


@pytest.mark.parametrize("method", ["default", "pelt", "binseg", "amoc", "bocpd", "bocpd_peaks", "peak", "zero"])
def test_gaps_segment_like_the_complete_series(gap_pair, tmp_path, method):
    g, f, ann = gap_pair
    out = tmp_path / "o.json"
    r = run("--annotations", ann, "--method", method, "--json", str(out), g, f)
    assert r.returncode == 0, r.stderr
    res = json.loads(out.read_text())
    assert res["missing"] == "skip"
    assert res["series"]["g"]["cps"] == res["series"]["f"]["cps"]
    if method == "default":
        assert res["series"]["g"]["cps"] == [30]


def test_interpolate_and_error(gap_pair, tmp_path):
    g, f, ann = gap_pair
    r = run("--annotations", ann, "--missing", "interpolate", g)
    assert r.returncode == 0 and "cps=[30]" in r.stdout
    out = tmp_path / "o.json"
    r = run("--annotations", ann, "--missing", "error", "--json", str(out), g)
    assert r.returncode == 2
    assert "series[0].raw[9]" in r.stderr and "missing" in r.stderr
    assert not out.exists()
    r = run("--annotations", ann, "--missing", "bogus", g)
    assert r.returncode == 2 and "skip, interpolate or error" in r.stderr


def test_all_missing_too_few_observed_and_infinity(tmp_path, gap_pair):
    _, _, ann = gap_pair
    r = run("--annotations", ann, write_series(tmp_path / "a.json", [None] * 10, "a"))
    assert r.returncode == 2 and "every value" in r.stderr
    few = write_series(tmp_path / "b.json", [1.0, None, 2.0, None, None], "b")
    r = run("--annotations", ann, "--method", "pelt", "--param", "min_size=3", few)
    assert r.returncode == 2 and "2 observed" in r.stderr
    r = run("--annotations", ann, write_series(tmp_path / "c.json", [1.0, "Infinity", 2.0], "c"))
    assert r.returncode == 2 and "infinite" in r.stderr and "raw[1]" in r.stderr


def test_lengths_are_checked_before_allocating(tmp_path, gap_pair):
    _, _, ann = gap_pair
    r = run("--annotations", ann, write_series(tmp_path / "d.json", [1.0] * 60, "d", n_obs=1_000_000_000))
    assert r.returncode == 2 and "60 values but 'n_obs' is 1000000000" in r.stderr


def test_offline_options(tmp_path, gap_pair):
    g, f, ann = gap_pair
    for args in (["--param", "penalty=bogus"], ["--param", "cost=bogus"], ["--param", "min_size=0"],
                 ["--param", "penalty=manual", "--param", "pen_value=-1"], ["--param", "Q=-1"]):
        r = run("--annotations", ann, "--method", "binseg", *args, f)
        assert r.returncode == 2, (args, r.stdout)
    r = run("--annotations", ann, "--method", "pelt", "--param", "cost=meanvar", "--param", "penalty=bic",
            "--param", "min_size=2", "--param", "tcpdbench_index=0", f)
    assert r.returncode == 0 and "cps=[30]" in r.stdout
    r = run("--list-methods")
    assert "penalty = mbic  (str, one of: mbic, bic, aic, hannan_quinn, none, manual)" in r.stdout


@pytest.mark.skipif(not os.path.exists(os.path.join(SHARED_FIELD, "c01_gap_series.json")),
                    reason="the shared field data is not next to this checkout")
def test_field_gap_series():
    r = run("--annotations", os.path.join(SHARED_FIELD, "c01_annotations.json"),
            os.path.join(SHARED_FIELD, "c01_gap_series.json"))
    assert r.returncode == 0 and "gap_series: cps=[30]" in r.stdout
