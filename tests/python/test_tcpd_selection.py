"""The nested leave-one-out selection (scripts/segmentation_nested_loo.py) on a subset of the TCPD
series, checked against a direct recomputation, and the extra material's generators
(scripts/simulate_series.py, data/strucchange)."""
import json
import os
import sys

import pytest

SRC = os.environ.get("PREDSENSE_SOURCE_DIR", os.path.dirname(os.path.dirname(os.path.dirname(__file__))))
BUILD = os.environ.get("PREDSENSE_BUILD_DIR", os.path.join(SRC, "build"))
sys.path.insert(0, os.path.join(SRC, "scripts"))

import segmentation_nested_loo as nl  # noqa: E402
import simulate_series  # noqa: E402

SUBSET = ["nile", "ozone", "gdp_japan", "well_log", "us_population", "seatbelts"]


def both(scores, lab, n):
    return (scores[lab][n]["f1"] + scores[lab][n]["cover"]) / 2


@pytest.fixture(scope="module")
def subset():
    exe = os.path.join(BUILD, "bin", "predsense-tcpd")
    if not os.path.exists(exe):
        pytest.fail(f"{exe} not built")
    return nl.score_matrix(exe, os.path.join(SRC, "tests", "data", "tcpd"), SUBSET)


def test_nested_folds_never_see_the_held_out_series(subset):
    names, labels, scores = subset
    out = nl.nested(scores, labels, names)
    assert [f["series"] for f in out["folds"]] == names
    for f in out["folds"]:
        rest = [n for n in names if n != f["series"]]
        # the rule is the one with the best inner leave-one-out score on the other series only
        inner = {r: nl.loo_score(scores, labels, rest, r) for r in nl.RULES}
        assert inner[f["rule"]] == max(inner.values())
        # the candidate is that rule's best on the other series, scored on the held-out one
        key = {"both": lambda lab: (sum(both(scores, lab, n) for n in rest)),
               "f1": lambda lab: sum(scores[lab][n]["f1"] for n in rest),
               "cover": lambda lab: sum(scores[lab][n]["cover"] for n in rest)}[f["rule"]]
        assert key(f["chosen"]) == pytest.approx(max(key(lab) for lab in labels))
        assert f["f1"] == scores[f["chosen"]][f["series"]]["f1"]
    # changing the held-out series' scores cannot change its own fold's choice
    poisoned = json.loads(json.dumps(scores))
    held = names[0]
    for lab in labels:
        poisoned[lab][held] = {"f1": 1.0 if lab == "zero" else 0.0, "cover": 1.0 if lab == "zero" else 0.0}
    again = nl.nested(poisoned, labels, names)
    assert again["folds"][0]["chosen"] == out["folds"][0]["chosen"]
    assert out["nested_mean_f1"] == pytest.approx(sum(f["f1"] for f in out["folds"]) / len(names))


def test_candidates_are_the_stated_small_set():
    labels = [c[0] for c in nl.candidates()]
    assert len(labels) == 1 + 3 * len(nl.COSTS) * len(nl.PENALTIES) + 3
    assert "binseg cost=linear penalty=bic" in labels


def test_simulator_is_deterministic_and_its_truth_is_consistent(tmp_path):
    a = simulate_series.write(str(tmp_path / "a"), 12, 7)
    b = simulate_series.write(str(tmp_path / "b"), 12, 7)
    assert a == b
    counts = set()
    for name, ann in a.items():
        with open(tmp_path / "a" / "series" / f"{name}.json") as f:
            doc = json.load(f)
        n = doc["n_obs"]
        cps = ann["0"]
        counts.add(len(cps))
        assert 120 <= n <= 600 and len(doc["series"][0]["raw"]) == n
        assert cps == sorted(cps) and all(15 <= c <= n - 15 for c in cps)
        assert all(b - a >= 15 for a, b in zip(cps, cps[1:]))
    assert len(counts) > 2  # several numbers of changes, 0-5


def test_strucchange_set_is_shipped_with_its_truth():
    root = os.path.join(SRC, "data", "strucchange")
    with open(os.path.join(root, "annotations.json")) as f:
        ann = json.load(f)
    assert sorted(ann) == ["boston_homicides", "germanm1", "grossarl_fraction", "grossarl_marriages", "realint"]
    for name, coders in ann.items():
        with open(os.path.join(root, "series", f"{name}.json")) as f:
            doc = json.load(f)
        n = doc["n_obs"]
        assert len(doc["series"][0]["raw"]) == n
        for cps in coders.values():
            assert all(0 < c < n for c in cps)
    assert ann["realint"] == {"bai_perron_2003": [24, 47, 79]}
    assert os.path.exists(os.path.join(root, "README.md")) and os.path.exists(os.path.join(root, "LICENSE"))
