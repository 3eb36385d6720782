#!/usr/bin/env python3
"""Nested leave-one-series-out estimate of predsense-tcpd's default rule (docs/segmentation.md).

CANDIDATES is a small set fixed on principle before any score was seen: the three offline
search methods (PELT, binary segmentation with Q = 5, AMOC) x the six costs (mean, meanvar, ed,
linear, linearvar, ar1; each at its own minimum segment length) x the two penalties R changepoint
defaults to (MBIC, BIC), plus predicting no change and TCPDBench's three published default
configurations exactly as published (cost mean, MBIC, R's variants and index convention).

A *selection rule* turns the scores of the candidates on some training series into one
candidate: RULES are "the best mean (F1 + cover) / 2", "the best mean F1" and "the best mean
cover" (ties: the other score, then the earlier candidate). The estimate is nested: for each
series held out in turn (outer fold), the rule itself is chosen by leave-one-out on the other 19
(inner folds: a rule picks a candidate on 18 series and is scored on the 19th), the chosen rule
then picks a candidate on all 19, and that candidate alone is scored on the held-out series.
Nothing chosen for a fold reads that fold's annotations. The default's rule is what the same
procedure picks on all 20 series.

    /usr/bin/python3 scripts/segmentation_nested_loo.py --build build [--json out.json]
        [--data tests/data/tcpd] [--series nile,ozone,...]   # a subset (what `make test` runs)
"""
import argparse
import json
import os
import subprocess
import sys
import tempfile

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
COSTS = ("mean", "meanvar", "ed", "linear", "linearvar", "ar1")
PENALTIES = ("mbic", "bic")


def candidates():
    """(label, method, [--param ...]); predsense's index convention and exact PELT unless stated."""
    c = [("zero", "zero", [])]
    for method in ("pelt", "binseg", "amoc"):
        for cost in COSTS:
            for pen in PENALTIES:
                params = [f"cost={cost}", f"penalty={pen}", "min_size=1", "tcpdbench_index=0"]
                if method != "binseg":
                    params.append("r_compatible=0")
                c.append((f"{method} cost={cost} penalty={pen}", method, params))
    for method in ("pelt", "binseg", "amoc"):  # TCPDBench's published defaults, as published
        c.append((f"{method} TCPDBench default", method, []))
    return c


RULES = ("both", "f1", "cover")


def run(exe, annotations, method, params, files):
    with tempfile.TemporaryDirectory() as d:
        out = os.path.join(d, "r.json")
        cmd = [exe, "--annotations", annotations, "--method", method, "--json", out]
        for p in params:
            cmd += ["--param", p]
        subprocess.run(cmd + files, check=True, stdout=subprocess.DEVNULL)
        with open(out) as f:
            return json.load(f)


def score_matrix(exe, data, names=None, cands=None):
    """{label: {series: {"f1", "cover", "cps"}}} for every candidate on the univariate series."""
    series_dir = os.path.join(data, "series")
    all_names = sorted(f[:-5] for f in os.listdir(series_dir) if f.endswith(".json"))
    names = [n for n in (names or all_names) if n != "run_log"]
    files = [os.path.join(series_dir, n + ".json") for n in names]
    ann = os.path.join(data, "annotations.json")
    cands = cands or candidates()
    scores = {}
    for label, method, params in cands:
        r = run(exe, ann, method, params, files)
        scores[label] = {n: r["series"][n] for n in names}
    return names, [c[0] for c in cands], scores


def mean(xs):
    return sum(xs) / len(xs)


def pick(scores, labels, names, rule):
    """The candidate a rule picks on `names`."""
    best, key = None, None
    for i, lab in enumerate(labels):
        f1 = mean([scores[lab][n]["f1"] for n in names])
        cover = mean([scores[lab][n]["cover"] for n in names])
        k = {"both": ((f1 + cover) / 2, f1), "f1": (f1, cover), "cover": (cover, f1)}[rule] + (-i,)
        if key is None or k > key:
            best, key = lab, k
    return best


def loo_score(scores, labels, names, rule):
    """Plain leave-one-out mean (F1 + cover) / 2 of a rule on `names` (the inner loop)."""
    vals = []
    for held in names:
        lab = pick(scores, labels, [n for n in names if n != held], rule)
        vals.append((scores[lab][held]["f1"] + scores[lab][held]["cover"]) / 2)
    return mean(vals)


def choose_rule(scores, labels, names):
    best, key = None, None
    for i, rule in enumerate(RULES):
        k = (loo_score(scores, labels, names, rule), -i)
        if key is None or k > key:
            best, key = rule, k
    return best


def nested(scores, labels, names):
    folds = []
    for held in names:
        rest = [n for n in names if n != held]
        rule = choose_rule(scores, labels, rest)
        lab = pick(scores, labels, rest, rule)
        e = scores[lab][held]
        folds.append({"series": held, "rule": rule, "chosen": lab, "f1": e["f1"], "cover": e["cover"]})
    rule = choose_rule(scores, labels, names)
    default = pick(scores, labels, names, rule)
    return {
        "nested_mean_f1": mean([f["f1"] for f in folds]),
        "nested_mean_cover": mean([f["cover"] for f in folds]),
        "folds": folds,
        "rule_on_all": rule,
        "default": default,
        "in_sample_f1": mean([scores[default][n]["f1"] for n in names]),
        "in_sample_cover": mean([scores[default][n]["cover"] for n in names]),
        "candidates": len(labels),
    }


def compute(build, data, names=None):
    exe = os.path.join(build, "bin", "predsense-tcpd")
    if not os.path.exists(exe):
        sys.exit(f"{exe} not found: build the predsense-tcpd target first")
    names, labels, scores = score_matrix(exe, data, names)
    out = nested(scores, labels, names)
    out["scores"] = scores
    out["labels"] = labels
    return out


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--build", default=os.path.join(ROOT, "build"))
    ap.add_argument("--data", default=os.path.join(ROOT, "tests", "data", "tcpd"))
    ap.add_argument("--series", default=None, help="comma-separated subset of the series")
    ap.add_argument("--json", default=None)
    args = ap.parse_args()
    out = compute(args.build, args.data, args.series.split(",") if args.series else None)
    print(f"{out['candidates']} candidates, rules {', '.join(RULES)}")
    for f in out["folds"]:
        print(f"  held out {f['series']:20s} F1 {f['f1']:.3f} cover {f['cover']:.3f}  rule {f['rule']:5s} {f['chosen']}")
    print(f"nested LOO mean F1 {out['nested_mean_f1']:.4f} cover {out['nested_mean_cover']:.4f}")
    print(f"on all: rule {out['rule_on_all']} -> {out['default']} (in-sample F1 {out['in_sample_f1']:.4f} "
          f"cover {out['in_sample_cover']:.4f})")
    if args.json:
        with open(args.json, "w") as f:
            json.dump(out, f, indent=1)


if __name__ == "__main__":
    main()
