"""NumPy peer of predsense's BOCPD (benchmark `peer/bocpd_1e6`).

The same model and settings as the C++ benchmark: constant hazard 1/100, Normal-Inverse-Gamma
prior (mu0 0, kappa0 1, alpha0 1, beta0 1), Student-t predictive, log-space recursion, the oldest
run lengths pruned while their cumulative posterior mass stays below 1e-4; filtering only.
Every step is vectorised over the live run lengths (the usual NumPy formulation).

Timing: the NumPy version needs tens of microseconds per step, so it times the first
`STEPS` steps of the same 1e6-step stream and scales linearly to 1e6 steps (the per-step cost
depends on the number of live run lengths, which is stationary on this stream: segment lengths
are drawn from the same range throughout). `numpy_s` is the scaled time for 1e6 steps.
"""
import math
import time

import numpy as np

N_TOTAL = 1_000_000
STEPS = 50_000


def make_stream(n):
    """Same generator as benchmarks/bench_segmentation.cpp (64-bit LCG, sum of 12 uniforms)."""
    mask = (1 << 64) - 1
    s = 42
    out = []

    def uniform():
        nonlocal s
        s = (s * 6364136223846793005 + 1442695040888963407) & mask
        return (s >> 11) / 9007199254740992.0

    while len(out) < n:
        length = int(100 + 900 * uniform())
        mean = -3.0 + 6.0 * uniform()
        for _ in range(length):
            if len(out) >= n:
                break
            a = 0.0
            for _ in range(12):
                a += uniform()
            out.append(mean + a - 6.0)
    return np.asarray(out)


def bocpd_numpy(x, lam=100.0, mu0=0.0, k0=1.0, a0=1.0, b0=1.0, prune=1e-4):
    log_h = -math.log(lam)
    log_1mh = math.log1p(-1.0 / lam)
    # live runs, oldest first: number of observations, mean, beta, log posterior
    n = np.zeros(0)
    mu = np.zeros(0)
    beta = np.zeros(0)
    logp = np.zeros(0)
    total = 0.0
    lgamma_prior = math.lgamma(a0 + 0.5) - math.lgamma(a0)

    for v in x:
        lp0 = lgamma_prior - 0.5 * math.log(2 * a0 * math.pi * b0 * (k0 + 1) / (a0 * k0)) - (
            a0 + 0.5) * math.log1p((v - mu0) ** 2 * k0 / (2 * b0 * (k0 + 1)))
        if logp.size == 0:
            ev = lp0
            new_logp = np.zeros(1)
        else:
            kappa = k0 + n
            alpha = a0 + 0.5 * n
            lp = (LGAMMA_HALF(alpha) - 0.5 * np.log(np.pi * 2.0 * beta * (kappa + 1.0) / kappa)
                  - (alpha + 0.5) * np.log1p((v - mu) ** 2 * kappa / (2.0 * beta * (kappa + 1.0))))
            g = logp + log_1mh + lp
            cp = log_h + lp0
            m = max(g.max(), cp)
            ev = m + math.log(np.exp(g - m).sum() + math.exp(cp - m))
            new_logp = np.concatenate((g - ev, [cp - ev]))
            # NIG update of the existing runs
            beta = beta + kappa * (v - mu) ** 2 / (2.0 * (kappa + 1.0))
            mu = (kappa * mu + v) / (kappa + 1.0)
            n = n + 1.0
        # the new run, started at v
        n = np.concatenate((n, [1.0]))
        mu = np.concatenate((mu, [(k0 * mu0 + v) / (k0 + 1.0)]))
        beta = np.concatenate((beta, [b0 + k0 * (v - mu0) ** 2 / (2.0 * (k0 + 1.0))]))
        logp = new_logp
        # prune the oldest runs while their cumulative mass stays below `prune`
        cum = np.cumsum(np.exp(logp[:-1]))
        drop = int(np.searchsorted(cum, prune, side="left"))
        if drop:
            dropped = cum[drop - 1]
            n, mu, beta, logp = n[drop:], mu[drop:], beta[drop:], logp[drop:]
            logp = logp - math.log1p(-min(dropped, 0.5))
        total += -ev
    return total, logp.size


def _lgamma_half_factory():
    """lgamma(alpha + 1/2) - lgamma(alpha) for alpha = a0 + n/2, tabulated by n (NumPy has no
    vectorised lgamma; the table is built once with math.lgamma, as the C++ code does)."""
    cache = {}

    def f(alpha):
        t = cache.get("table")
        if t is None or t.size < 2 * (alpha.max() + 1):
            size = int(2 * (alpha.max() + 1)) * 2 + 16
            t = np.array([math.lgamma(h / 2 + 0.5) - math.lgamma(h / 2) if h > 0 else 0.0
                          for h in range(size)])
            cache["table"] = t
        return t[np.rint(2 * alpha).astype(np.int64)]

    return f


LGAMMA_HALF = _lgamma_half_factory()


def bocpd_1e6(threads: int) -> dict:
    del threads  # NumPy's per-step work is too small for threads to matter
    x = make_stream(STEPS)
    t0 = time.perf_counter()
    bocpd_numpy(x)
    dt = time.perf_counter() - t0
    return {"numpy_s": dt * N_TOTAL / STEPS, "numpy_steps_timed": STEPS}


CASES = {"bocpd_1e6": bocpd_1e6}

if __name__ == "__main__":
    print(bocpd_1e6(1))
