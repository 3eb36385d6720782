"""The portable build (import-time choice among SSE2 / AVX2 / AVX-512 builds) against a -march=native
build, on a kernel case and the pipeline.

    /usr/bin/python3 python/benchmarks/bench_dispatch.py NATIVE_PYTHONPATH DISPATCH_PYTHONPATH [rounds]
    e.g. build-py/python (cmake default) and build-pyd/python (cmake -DPREDSENSE_NATIVE=OFF -DPREDSENSE_PY_DISPATCH=ON)

Each measurement runs in a fresh interpreter (two builds cannot share a process); rounds alternate
native / dispatched; each case reports the median over rounds of dispatched time / native time
(1.00 = same speed, < 1.10 = within 10%). Times are process CPU seconds (best of 3-5 repeats), less
sensitive than wall time to other users on a shared machine; the load average is printed too.
"""
import json
import os
import statistics
import subprocess
import sys

CHILD = r"""
import json, sys, time
import numpy as np
import predsense as ps
x, _ = ps.synthetic_stream(frames=1200, tokens=64, dim=256, seed=3)
a, b = x[0], x[1]
def best(f, reps):
    ts = []
    for _ in range(reps):
        t0 = time.process_time(); f(); ts.append(time.process_time() - t0)
    return min(ts)
out = {
  "variant": ps.build_info()["variant"], "simd": ps.build_info()["simd"],
  "kernel_token_cosine_64x256": best(lambda: [ps.token_cosine_distance(a, b) for _ in range(2000)], 5) / 2000,
  "kernel_copy_last_surprise": best(lambda: ps.copy_last_surprise(x), 5) / len(x),
  "pipeline_stream_run": best(lambda: ps.Stream(window=16, budget=2048).run(x), 3) / len(x),
  "pipeline_rls_stream": best(lambda: ps.Stream(predictor=ps.RLSPredictor(mode="pooled"), memory=None).run(x[:300]), 3) / 300,
}
print(json.dumps(out))
"""


def measure(pythonpath):
    env = dict(os.environ, PYTHONPATH=pythonpath)
    env.pop("PREDSENSE_SIMD", None)
    r = subprocess.run([sys.executable, "-c", CHILD], env=env, capture_output=True, text=True, check=True)
    return json.loads(r.stdout)


def main():
    native, dispatch = sys.argv[1], sys.argv[2]
    rounds = int(sys.argv[3]) if len(sys.argv) > 3 else 5
    print(f"loadavg_before={os.getloadavg()[0]:.2f} cores={os.cpu_count()}")
    ratios, info = {}, {}
    for _ in range(rounds):
        n, d = measure(native), measure(dispatch)
        info = {"native": (n["variant"], n["simd"]), "dispatched": (d["variant"], d["simd"])}
        for k in n:
            if k not in ("variant", "simd"):
                ratios.setdefault(k, []).append(d[k] / n[k])
    print(f"native build: {info['native']}, dispatched build chose: {info['dispatched']}")
    for k, v in ratios.items():
        print(f"{k:30s} dispatched/native time: median {statistics.median(v):.3f} (min {min(v):.3f}, max {max(v):.3f})")
    print(f"loadavg_after={os.getloadavg()[0]:.2f}")


if __name__ == "__main__":
    main()
