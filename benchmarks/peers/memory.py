"""Peer for peer/memory_4h (benchmarks/bench_memory.cpp): the Cambrian-S VSR memory loop as the
reference writes it (Python lists, pairwise merge scans, np.argmin per eviction), in NumPy and in
PyTorch, on the same 14,400-frame stream of 64 x 1152 float32 tokens (window 32, budget 8192,
threshold 0.35, 2x2 average pooling, drop_merge, a 32-token prompt entry, end-of-stream flush).

Data, identical to the C++ benchmark:
    surprise[t] = u * u,  u = (splitmix64(0x5EED + t) >> 11) * 2**-53
    frame t     = bank[t % 16],  bank[k].flat[i] = (splitmix64(k * 73728 + i) >> 40) / 2**24 - 0.5
Per frame the loop does what the reference does to its caches: rebuild the model's input by
concatenating the runtime cache (prompt + sensory window, 2080 x 1152 floats = 9.6 MB), clone the
new frame's tensor into the runtime cache, move the oldest runtime frame out when the window
overflows, pool it if unsurprising, append it to the global cache and consolidate. These are the
headline numbers ("numpy_s", "torch_s"). predsense keeps the window contiguous, so its side of the
benchmark takes the same model input as a view and never concatenates.
The same loop without the concatenation - the cache bookkeeping alone - is timed too
("numpy_no_cat_s", "torch_no_cat_s").

Each implementation runs in a fresh subprocess so its peak RSS is its own: VmHWM is reset through
/proc/self/clear_refs just before the loop and read after it ("*_peak_rss_bytes"; the interpreter,
numpy/torch and the 4.7 MB bank are in it, "*_rss_baseline_bytes" is the RSS before the loop).
The loop is linear in the stream length (the global cache holds at most budget / 16 entries), so
the full stream is run, not a prefix (set PREDSENSE_MEMORY_PEER_FRAMES to run a prefix; results
are then scaled to 14,400 frames and "extrapolated_from" says so).

memory_4h_budget32k: the same at budget 32768 (peer/memory_4h_budget32k), the bookkeeping alone
(no concatenation).
"""
from __future__ import annotations

import json
import os
import subprocess
import sys
import time

FRAMES, TOKENS, DIM, BANK, PROMPT = 14400, 64, 1152, 16, 32
WINDOW, BUDGET, THRESHOLD = 32, 8192, 0.35
MASK = (1 << 64) - 1


def _splitmix64_np(x):
    import numpy as np
    x = (x + np.uint64(0x9E3779B97F4A7C15)) & np.uint64(MASK)
    x = (x ^ (x >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
    x = (x ^ (x >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
    return x ^ (x >> np.uint64(31))


def make_data():
    import numpy as np
    with np.errstate(over="ignore"):
        idx = np.arange(BANK * TOKENS * DIM, dtype=np.uint64)
        bank = ((_splitmix64_np(idx) >> np.uint64(40)).astype(np.float32) * np.float32(2.0 ** -24)
                - np.float32(0.5)).reshape(BANK, TOKENS, DIM)
        u = (_splitmix64_np(np.uint64(0x5EED) + np.arange(FRAMES, dtype=np.uint64)) >> np.uint64(11))
    u = u.astype(np.float64) * 2.0 ** -53
    return bank, (u * u).tolist()


def _consolidate(cache, pop, merge, argmin, budget):
    """The reference's _maybe_consolidate_global_cache, drop_merge branch, on one tensor list."""
    scores, lengths = cache["scores"], cache["lengths"]
    if sum(lengths) <= budget:
        return
    index = 1
    while index < len(scores) - 1:
        if scores[index] >= THRESHOLD and scores[index + 1] >= THRESHOLD:
            merge(cache, index)
            index -= 1
        index += 1
    while sum(lengths) > budget:
        index = argmin(scores[1:])
        pop(cache, index + 1)
        if 0 < index < len(scores) - 1 and scores[index] >= THRESHOLD and scores[index + 1] >= THRESHOLD:
            merge(cache, index)


def run(impl, frames, with_cat, budget=BUDGET):
    import numpy as np
    bank, surprise = make_data()
    if impl == "torch":
        import torch
        torch.set_num_threads(int(os.environ.get("OMP_NUM_THREADS", "1")))
        bank_t = torch.from_numpy(bank)
        frame_of = lambda t: bank_t[t % BANK].clone()  # noqa: E731  (the reference .clone()s)
        prompt = bank_t[0, :PROMPT].clone()

        def pool(x):
            g = x.reshape(1, 8, 8, DIM).permute(0, 3, 1, 2)
            return torch.nn.functional.avg_pool2d(g, 2, 2).flatten(2, 3).permute(0, 2, 1).reshape(16, DIM)
        cat = lambda xs: torch.cat(xs, dim=0)  # noqa: E731
        argmin = lambda s: int(np.array(s).argmin())  # noqa: E731
    else:
        frame_of = lambda t: bank[t % BANK].copy()  # noqa: E731
        prompt = bank[0, :PROMPT].copy()

        def pool(x):
            return x.reshape(4, 2, 4, 2, DIM).mean(axis=(1, 3), dtype=np.float32).reshape(16, DIM)
        cat = lambda xs: np.concatenate(xs, axis=0)  # noqa: E731
        argmin = lambda s: int(np.array(s).argmin())  # noqa: E731

    def pop(cache, i):
        cache["tensors"].pop(i)
        cache["lengths"].pop(i)
        cache["scores"].pop(i)

    def merge(cache, i):
        cache["tensors"][i] = (cache["tensors"][i] + cache["tensors"][i + 1]) / 2.0
        cache["scores"][i] = (cache["scores"][i] + cache["scores"][i + 1]) / 2.0
        pop(cache, i + 1)

    def leave(glob, x, score, length):
        if score < THRESHOLD:
            x = pool(x)
            length = x.shape[0]
        glob["tensors"].append(x)
        glob["lengths"].append(length)
        glob["scores"].append(score)
        _consolidate(glob, pop, merge, argmin, budget)

    glob = {"tensors": [prompt], "lengths": [PROMPT], "scores": [1.0]}
    runtime = {"tensors": [prompt], "lengths": [PROMPT], "scores": [1.0]}
    rss0 = _status("VmRSS:")
    _reset_peak()
    t0, c0 = time.perf_counter(), time.process_time()
    for t in range(frames):
        if with_cat:
            cat(runtime["tensors"])  # the model input the reference rebuilds every frame
        runtime["tensors"].append(frame_of(t))
        runtime["lengths"].append(TOKENS)
        runtime["scores"].append(surprise[t])
        if len(runtime["tensors"]) > WINDOW + 1:
            x, length, score = runtime["tensors"].pop(1), runtime["lengths"].pop(1), runtime["scores"].pop(1)
            leave(glob, x, score, length)
    for i in range(1, len(runtime["tensors"])):
        leave(glob, runtime["tensors"][i], runtime["scores"][i], runtime["lengths"][i])
    seconds, cpu = time.perf_counter() - t0, time.process_time() - c0
    return {"seconds": seconds, "cpu_seconds": cpu, "peak_rss_bytes": _status("VmHWM:"), "rss_baseline_bytes": rss0,
            "entries": len(glob["scores"]) - 1, "tokens": sum(glob["lengths"])}


def _status(key):
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith(key):
                return int(line.split()[1]) * 1024
    return 0


def _reset_peak():
    try:
        with open("/proc/self/clear_refs", "w") as f:
            f.write("5")
    except OSError:
        pass


def _child(impl, frames, with_cat, threads, budget=BUDGET):
    env = dict(os.environ, OMP_NUM_THREADS=str(threads), OPENBLAS_NUM_THREADS=str(threads),
               MKL_NUM_THREADS=str(threads))
    out = subprocess.run([sys.executable, __file__, impl, str(frames), "1" if with_cat else "0", str(budget)],
                         capture_output=True, text=True, env=env, check=True)
    return json.loads(out.stdout)


def memory_4h(threads: int, budget: int = BUDGET, with_cat: bool = True) -> dict:
    frames = int(os.environ.get("PREDSENSE_MEMORY_PEER_FRAMES", FRAMES))
    scale = FRAMES / frames
    what = ("numpy/torch: the reference loop incl. its per-frame concatenation of the window; "
            "*_no_cat: its cache bookkeeping alone" if with_cat else "the reference's cache bookkeeping (no concatenation)")
    res = {"frames": FRAMES, "note": f"{what}; full stream"
           if frames == FRAMES else f"{what}; prefix of {frames} frames, times scaled x{scale:.2f}"}
    if frames != FRAMES:
        res["extrapolated_from"] = frames
    variants = [(impl, True, impl) for impl in ("numpy", "torch")] if with_cat else []
    variants += [(impl, False, f"{impl}_no_cat" if with_cat else impl) for impl in ("numpy", "torch")]
    for impl, cat, name in variants:
        r = _child(impl, frames, cat, threads, budget)
        res[f"{name}_s"] = r["seconds"] * scale
        res[f"{name}_s_per_frame"] = r["seconds"] / frames
        res[f"{name}_cpu_s"] = r["cpu_seconds"] * scale  # run_bench divides it by predsense_cpu_s: robust to load
        res[f"{name}_peak_rss_bytes"] = r["peak_rss_bytes"]
        res[f"{name}_rss_baseline_bytes"] = r["rss_baseline_bytes"]
        res[f"{name}_entries"] = r["entries"]
    res["peak_rss_bytes"] = res["numpy_peak_rss_bytes"]
    return res


def memory_4h_budget32k(threads: int) -> dict:
    """Same stream at budget 32768 (the reference's VSR 30-minute setting): up to 4x the entries."""
    return memory_4h(threads, budget=32768, with_cat=False)


CASES = {"memory_4h": memory_4h, "memory_4h_budget32k": memory_4h_budget32k}

if __name__ == "__main__":
    impl, n, cat_flag = sys.argv[1], int(sys.argv[2]), sys.argv[3] == "1"
    budget = int(sys.argv[4]) if len(sys.argv) > 4 else BUDGET
    print(json.dumps(run(impl, n, cat_flag, budget)))
