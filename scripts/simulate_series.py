#!/usr/bin/env python3
"""A simulator of realistic change-point series with known truth, written as TCPD-format files.

Each series (length 120-600) is built from parts a real recording has, drawn at random:
  - a piecewise level and a piecewise linear trend: 0-5 change points, at least 15 rows apart and
    from either end; at each one, by chance, the level jumps (1-4 noise scales), the slope changes,
    the noise scale changes (x 0.3-3), or two of these at once;
  - seasonality (half the series): a sine of period 4-24 rows, amplitude up to 1.5 noise scales,
    the same across changes (a season is not a change);
  - AR(1) noise with coefficient 0-0.7 (serial correlation);
  - outliers (a third of the series): 0.5-2% of the rows get a spike of 5-10 noise scales;
  - missing stretches (a quarter of the series): 1-3 runs of 2-10 rows set to null.
The truth is the list of change points (first row of each new regime), written as the one
annotator "0" in annotations.json. The draws come from numpy's default_rng(seed), so a seed gives
the same files on every machine.

    /usr/bin/python3 scripts/simulate_series.py OUT_DIR [--count 60] [--seed 2026]
writes OUT_DIR/series/sim_XXX.json and OUT_DIR/annotations.json.
"""
import argparse
import json
import os

import numpy as np


def one_series(rng):
    n = int(rng.integers(120, 601))
    k = int(rng.integers(0, 6))
    cps = []
    for _ in range(200):  # rejection: changes at least 15 rows apart and from the ends
        if len(cps) == k:
            break
        c = int(rng.integers(15, n - 15))
        if all(abs(c - d) >= 15 for d in cps):
            cps.append(c)
    cps.sort()
    bounds = [0] + cps + [n]
    level, slope, scale = rng.normal(0, 2), rng.normal(0, 0.01), 1.0
    mean = np.empty(n)
    sd = np.empty(n)
    for i in range(len(bounds) - 1):
        a, b = bounds[i], bounds[i + 1]
        if i > 0:
            kinds = rng.choice(["level", "slope", "scale"], size=int(rng.integers(1, 3)), replace=False)
            if "level" in kinds:
                level += rng.choice([-1, 1]) * rng.uniform(1, 4) * scale
            if "slope" in kinds:
                slope += rng.choice([-1, 1]) * rng.uniform(0.02, 0.08) * scale
            if "scale" in kinds:
                scale *= float(np.exp(rng.choice([-1, 1]) * rng.uniform(np.log(1.5), np.log(3.0))))
        t = np.arange(b - a)
        mean[a:b] = level + slope * t
        sd[a:b] = scale
        level = level + slope * (b - a)  # the trend is continuous unless the level jumps
    phi = rng.uniform(0, 0.7)
    e = np.empty(n)
    e[0] = rng.normal()
    for i in range(1, n):
        e[i] = phi * e[i - 1] + np.sqrt(1 - phi * phi) * rng.normal()
    x = mean + sd * e
    if rng.random() < 0.5:
        period = rng.uniform(4, 24)
        x += rng.uniform(0.3, 1.5) * np.sin(2 * np.pi * np.arange(n) / period + rng.uniform(0, 2 * np.pi))
    if rng.random() < 1 / 3:
        m = max(1, int(n * rng.uniform(0.005, 0.02)))
        idx = rng.choice(n, size=m, replace=False)
        x[idx] += rng.choice([-1, 1], size=m) * rng.uniform(5, 10, size=m) * sd[idx]
    values = [float(v) for v in x]
    if rng.random() < 0.25:
        for _ in range(int(rng.integers(1, 4))):
            a = int(rng.integers(1, n - 11))
            for i in range(a, a + int(rng.integers(2, 11))):
                values[i] = None
    return values, cps


def write(out, count, seed):
    rng = np.random.default_rng(seed)
    os.makedirs(os.path.join(out, "series"), exist_ok=True)
    annotations = {}
    for j in range(count):
        values, cps = one_series(rng)
        name = f"sim_{j:03d}"
        doc = {"name": name, "longname": f"simulated series {j}", "n_obs": len(values), "n_dim": 1,
               "time": {"index": list(range(len(values)))},
               "series": [{"label": "V1", "type": "float", "raw": values}]}
        with open(os.path.join(out, "series", name + ".json"), "w") as f:
            json.dump(doc, f)
        annotations[name] = {"0": cps}
    with open(os.path.join(out, "annotations.json"), "w") as f:
        json.dump(annotations, f, indent=1)
    return annotations


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("out")
    ap.add_argument("--count", type=int, default=60)
    ap.add_argument("--seed", type=int, default=2026)
    args = ap.parse_args()
    write(args.out, args.count, args.seed)


if __name__ == "__main__":
    main()
