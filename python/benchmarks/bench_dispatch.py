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
# the other kernels' users, one per binding source (bind_video, bind_memory, bind_offline_segmentation,
# bind_segmentation): which sources a build for another instruction set slows down
rng = np.random.default_rng(0)
img = rng.integers(0, 256, (128, 128, 3), dtype=np.uint8)
emb = ps.PatchEmbedder()
y = x[:600]
m = ps.MemoryStore(window=8, budget=1 << 20)
for f in y:
    m.push(f, 0.1)
m.flush()
series = np.cumsum(rng.standard_normal(4000)) * 0.1 + np.repeat(rng.standard_normal(40), 100)
out.update({
  "video_patch_embed": best(lambda: [emb.embed(img) for _ in range(200)], 3) / 200,
  "memory_retrieve_maxsim": best(lambda: [m.retrieve(y[5], k=3, scoring="late_interaction") for _ in range(5)], 3) / 5,
  "memory_retrieve_mean": best(lambda: [m.retrieve(y[5], k=3) for _ in range(50)], 3) / 50,
  "offline_pelt_meanvar": best(lambda: ps.pelt(series, cost="meanvar"), 3),
  "segmentation_bocpd": best(lambda: ps.bocpd_segment(series[:1500]), 3),
})
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
