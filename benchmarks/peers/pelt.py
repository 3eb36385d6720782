"""NumPy peer of predsense's PELT (benchmarks `peer/pelt_1e4`, `peer/pelt_1e5`, `peer/pelt_1e6`).

The same algorithm and settings as the C++ benchmark (benchmarks/bench_segmentation.cpp):
Normal mean-and-variance cost from prefix sums (m (log 2 pi + log max(var, 1e-11) + 1)), MBIC
(4 log n per change + log(length) per segment), minimum segment length 2, pruning with slack
log(n / 4), a dominated candidate dropped from t + min_size on. Each step is vectorised over the
live candidates (the usual NumPy formulation); the loop over t is Python's. The series is the
same piecewise-stationary stream (splitmix64 of each index). The whole series is timed, no scaling.
`changes` is the number of change points found, to compare with the C++ benchmark's counter;
`numpy_cpu_s` is the process CPU time (robust to other load on the machine).
"""
import math
import time

import numpy as np

M64 = np.uint64(0xFFFFFFFFFFFFFFFF)


def splitmix64(x):
    with np.errstate(over="ignore"):
        z = x + np.uint64(0x9E3779B97F4A7C15)
        z = (z ^ (z >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
        z = (z ^ (z >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
        return z ^ (z >> np.uint64(31))


def unit(x):
    return (splitmix64(np.asarray(x, dtype=np.uint64)) >> np.uint64(11)).astype(np.float64) / 9007199254740992.0


def make_meanvar_stream(n):
    i = np.arange(n, dtype=np.uint64)
    noise = sum(unit(np.uint64(4) * i + np.uint64(r)) for r in range(4)) - 2.0
    x = np.empty(n)
    pos, seg = 0, 0
    base = 0x5e9000000000
    while pos < n:
        length = int(500 + 1000 * unit(base + 3 * seg))
        mean = -3.0 + 6.0 * unit(base + 3 * seg + 1)
        sd = 0.5 + 1.5 * unit(base + 3 * seg + 2)
        end = min(n, pos + length)
        x[pos:end] = mean + sd * noise[pos:end]
        pos, seg = end, seg + 1
    return x


LOG2PI = math.log(2 * math.pi)


def pelt_numpy(x, min_size=2):
    n = len(x)
    s1 = np.concatenate(([0.0], np.cumsum(x)))
    s2 = np.concatenate(([0.0], np.cumsum(x * x)))
    beta = 4.0 * math.log(n)
    slack = math.log(n / 4.0)
    alive = np.iinfo(np.int64).max
    f = np.full(n + 1, np.inf)
    last = np.zeros(n + 1, dtype=np.int64)
    f[0] = -beta
    cand = np.array([0], dtype=np.int64)
    dead = np.array([alive], dtype=np.int64)
    m = min_size
    for t in range(m, n + 1):
        keep = dead > t
        if not keep.all():
            cand, dead = cand[keep], dead[keep]
        if t >= 2 * m:
            cand = np.append(cand, t - m)
            dead = np.append(dead, alive)
        length = (t - cand).astype(np.float64)
        a = s1[t] - s1[cand]
        b = s2[t] - s2[cand]
        var = np.maximum((b - a * a / length) / length, 1e-11)
        v = f[cand] + length * (LOG2PI + np.log(var) + 1.0) + np.log(length)
        i = int(np.argmin(v))
        best = v[i] + beta
        f[t] = best
        last[t] = cand[i]
        newly = (dead == alive) & (v > best + slack)
        dead[newly] = t + m
    cps = []
    t = last[n]
    while t > 0:
        cps.append(int(t))
        t = last[t]
    return cps[::-1]


def _case(n):
    def run(threads):
        del threads  # per-step work is a few vector operations: threads do not help NumPy here
        x = make_meanvar_stream(n)
        t0, c0 = time.perf_counter(), time.process_time()
        cps = pelt_numpy(x)
        dt, dc = time.perf_counter() - t0, time.process_time() - c0
        return {"numpy_s": dt, "numpy_cpu_s": dc, "changes": len(cps)}
    return run


CASES = {"pelt_1e4": _case(10_000), "pelt_1e5": _case(100_000), "pelt_1e6": _case(1_000_000)}

if __name__ == "__main__":
    for k, fn in CASES.items():
        print(k, fn(1))
