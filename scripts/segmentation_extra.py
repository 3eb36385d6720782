#!/usr/bin/env python3
"""Score predsense-tcpd's default against TCPDBench's default configurations on material that is not
TCPD (docs/segmentation.md, "Extra material"): the five strucchange series in data/strucchange
(scripts/make_strucchange_set.py) and simulated series with known truth (scripts/simulate_series.py,
written to a folder of the caller's choice). Nothing here feeds the choice of the default.

    /usr/bin/python3 scripts/segmentation_extra.py --build build [--count 60] [--seed 2026] [--json out.json]
"""
import argparse
import json
import os
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import simulate_series  # noqa: E402

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
STRUCCHANGE = os.path.join(ROOT, "data", "strucchange")
SEED, COUNT = 2026, 60

# (label, method, --param list)
METHODS = [
    ("default", "default", []),
    ("binseg (TCPDBench default)", "binseg", []),
    ("pelt (TCPDBench default)", "pelt", []),
    ("zero", "zero", []),
]


def run(exe, data, method, params):
    series_dir = os.path.join(data, "series")
    files = sorted(os.path.join(series_dir, f) for f in os.listdir(series_dir) if f.endswith(".json"))
    with tempfile.TemporaryDirectory() as d:
        out = os.path.join(d, "r.json")
        cmd = [exe, "--annotations", os.path.join(data, "annotations.json"), "--method", method, "--json", out]
        for p in params:
            cmd += ["--param", p]
        subprocess.run(cmd + files, check=True, stdout=subprocess.DEVNULL)
        with open(out) as f:
            return json.load(f)["series"]


def compute(build, sim_dir, count=COUNT, seed=SEED):
    exe = os.path.join(build, "bin", "predsense-tcpd")
    if not os.path.exists(exe):
        sys.exit(f"{exe} not found: build the predsense-tcpd target first")
    simulate_series.write(sim_dir, count, seed)
    res = {mat: {lab: run(exe, d, m, p) for lab, m, p in METHODS}
           for mat, d in (("strucchange", STRUCCHANGE), ("simulated", sim_dir))}
    means = {}
    for mat in ("strucchange", "simulated", "both"):
        mats = ("strucchange", "simulated") if mat == "both" else (mat,)
        row = {}
        for lab, _, _ in METHODS:
            vals = [e for x in mats for e in res[x][lab].values()]
            row[lab] = {k: sum(v[k] for v in vals) / len(vals) for k in ("f1", "cover")}
        row["count"] = len(vals)
        means[mat] = row
    with open(os.path.join(STRUCCHANGE, "annotations.json")) as f:
        truth = json.load(f)
    per = {n: {"truth": truth[n], **{lab: res["strucchange"][lab][n] for lab, _, _ in METHODS}}
           for n in sorted(truth)}
    return {"means": means, "strucchange": per, "simulated_count": count, "seed": seed}


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--build", default=os.path.join(ROOT, "build"))
    ap.add_argument("--count", type=int, default=COUNT)
    ap.add_argument("--seed", type=int, default=SEED)
    ap.add_argument("--json", default=None)
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as d:
        out = compute(args.build, d, args.count, args.seed)
    for mat, row in out["means"].items():
        print(f"{mat} ({row['count']} series): " +
              "; ".join(f"{lab} F1 {row[lab]['f1']:.3f} cover {row[lab]['cover']:.3f}" for lab, _, _ in METHODS))
    if args.json:
        with open(args.json, "w") as f:
            json.dump(out, f, indent=1)


if __name__ == "__main__":
    main()
