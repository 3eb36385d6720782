#!/usr/bin/python3
"""What the Python layer costs, side by side in one run, as ratios.

    PYTHONPATH=build/python /usr/bin/python3 benchmarks/python_overhead.py --build build [--repeat 7] [--json out.json]

1. Stream.run per frame, three ways over the same latents (predsense.synthetic_stream(frames, tokens, dim)):
   - `Stream().run(frames)`: the loop in C++, the defaults (CopyLast, token cosine, AdaptiveSegmenter(),
     MemoryStore() = the relative memory, window 32, budget 8192), a fresh Stream per repetition;
   - the hand-written Python loop doing the same work with the same components, one call per component
     per frame (CopyLast.predict/observe, token_cosine_distance, AdaptiveSegmenter.push, MemoryStore.push);
   - the C++ pipeline: build/bin/bench_pipeline's python_twin/stream (stream<copy_last, token_cosine_distance<>,
     adaptive_segmenter, memory_store<>> over synthetic_stream with the same parameters, so the same frames).
   Targets: Stream.run <= the Python loop, and <= 1.10 x the C++ pipeline.
2. Argument overhead: one call of token_cosine_distance(a, b) with two tiny frames (1, 8) - the call is almost
   all argument handling - and with (16, 64) frames, for numpy float32 arrays and torch float32 tensors (plus,
   for information, the slower documented paths: torch float64, a tensor that requires grad, a tensor with the
   negative bit, a non-contiguous tensor). Target: torch float32 per call <= 2 x numpy float32.

Timing: process CPU time (time.process_time / Google Benchmark's cpu_time: robust to other processes on a
shared machine) and wall time; every variant runs --repeat times, interleaved, best kept. One thread:
OMP_NUM_THREADS=1 and torch.set_num_threads(1).
"""
from __future__ import annotations

import argparse
import datetime
import json
import os
import platform
import subprocess
import sys
import time
from pathlib import Path

os.environ.setdefault("OMP_NUM_THREADS", "1")

import numpy as np  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
SHAPES = [(2000, 16, 64), (300, 64, 1152)]  # (frames, tokens, dim); python_twin/stream has the same Args


def timed(fn):
    c0, w0 = time.process_time(), time.perf_counter()
    fn()
    return time.process_time() - c0, time.perf_counter() - w0


def best_of(variants: dict, repeat: int) -> dict:
    """{name: (best CPU s, best wall s)} over `repeat` interleaved rounds."""
    best = {k: [float("inf"), float("inf")] for k in variants}
    for _ in range(repeat):
        for name, fn in variants.items():
            c, w = timed(fn)
            best[name][0] = min(best[name][0], c)
            best[name][1] = min(best[name][1], w)
    return {k: tuple(v) for k, v in best.items()}


def cpp_twin(build: Path, shape, repeat: int):
    exe = build / "bin" / "bench_pipeline"
    if not exe.exists():
        return None
    n, t, d = shape
    out = subprocess.run(
        [str(exe), f"--benchmark_filter=^python_twin/stream/{n}/{t}/{d}/", "--benchmark_format=json",
         f"--benchmark_repetitions={repeat}"],
        check=True, capture_output=True, text=True, env=dict(os.environ, OMP_NUM_THREADS="1")).stdout
    runs = [b for b in json.loads(out)["benchmarks"] if b.get("run_type") == "iteration"]
    scale = {"ns": 1e-9, "us": 1e-6, "ms": 1e-3, "s": 1.0}
    cpu = min(b["cpu_time"] * scale[b["time_unit"]] for b in runs)
    wall = min(b["real_time"] * scale[b["time_unit"]] for b in runs)
    return cpu, wall


def stream_section(ps, build: Path, repeat: int) -> list:
    rows = []
    for shape in SHAPES:
        n, t, d = shape
        x, _ = ps.synthetic_stream(n, t, d)

        def run():
            ps.Stream().run(x)

        def loop():
            p, seg, mem = ps.CopyLast(), ps.AdaptiveSegmenter(), ps.MemoryStore()
            cuts = []
            for i, f in enumerate(x):
                s = 1.0 if i == 0 else ps.token_cosine_distance(p.predict(), f)
                p.observe(f)
                b = seg.push(s, i)
                if b is not None:
                    cuts.append(b)
                mem.push(f, s)

        def steps():
            st = ps.Stream()
            for f in x:
                st.step(f)

        got = best_of({"run": run, "python_loop": loop, "step_loop": steps}, repeat)
        row = {"shape": list(shape)}
        for k, (c, w) in got.items():
            row[k + "_us_cpu"], row[k + "_us_wall"] = c / n * 1e6, w / n * 1e6
        twin = cpp_twin(build, shape, repeat)
        if twin:
            row["cpp_us_cpu"], row["cpp_us_wall"] = twin[0] / n * 1e6, twin[1] / n * 1e6
            row["run_over_cpp_cpu"] = row["run_us_cpu"] / row["cpp_us_cpu"]
            row["run_over_cpp_wall"] = row["run_us_wall"] / row["cpp_us_wall"]
        row["run_over_loop_cpu"] = row["run_us_cpu"] / row["python_loop_us_cpu"]
        row["run_over_loop_wall"] = row["run_us_wall"] / row["python_loop_us_wall"]
        rows.append(row)
    return rows


def argument_section(ps, repeat: int) -> list:
    import torch

    torch.set_num_threads(1)
    rows = []
    for shape, calls in [((1, 8), 20000), ((16, 64), 10000)]:
        rng = np.random.default_rng(0)
        a, b = (rng.standard_normal(shape).astype(np.float32) for _ in range(2))
        ta, tb = torch.from_numpy(a.copy()), torch.from_numpy(b.copy())
        args = {
            "numpy_f32": (a, b),
            "torch_f32": (ta, tb),
            "numpy_f64": (a.astype(np.float64), b.astype(np.float64)),
            "torch_f64": (ta.double(), tb.double()),
            "torch_requires_grad": (ta.clone().requires_grad_(True), tb.clone().requires_grad_(True)),
            # imag of a conjugate view: the values of tb with torch's negative bit set
            "torch_neg_bit": (ta, torch.complex(torch.zeros_like(tb), -tb).conj().imag),
            "torch_transposed": (ta.t().contiguous().t(), tb.t().contiguous().t()),
        }
        fn = ps.token_cosine_distance

        def make(u, v):
            def go():
                for _ in range(calls):
                    fn(u, v)
            return go

        got = best_of({k: make(*v) for k, v in args.items()}, repeat)
        row = {"shape": list(shape)}
        for k, (c, w) in got.items():
            row[k + "_us_cpu"], row[k + "_us_wall"] = c / calls * 1e6, w / calls * 1e6
        for k in args:
            row[k + "_over_numpy_cpu"] = row[k + "_us_cpu"] / row["numpy_f32_us_cpu"]
        rows.append(row)
    return rows


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--build", type=Path, default=ROOT / "build")
    ap.add_argument("--repeat", type=int, default=7)
    ap.add_argument("--json", type=Path)
    args = ap.parse_args()
    sys.path.insert(0, str(args.build / "python"))
    import predsense as ps

    load0 = os.getloadavg()
    doc = {
        "stream": stream_section(ps, args.build, args.repeat),
        "arguments": argument_section(ps, args.repeat),
    }
    cpu = "unknown"
    try:
        cpu = next(ln.split(":", 1)[1].strip() for ln in Path("/proc/cpuinfo").read_text().splitlines()
                   if ln.startswith("model name"))
    except (OSError, StopIteration):
        pass
    commit = subprocess.run(["git", "-C", str(ROOT), "rev-parse", "--short", "HEAD"], capture_output=True,
                            text=True).stdout.strip()
    doc["machine"] = {"cpu": cpu, "cores": os.cpu_count(), "kernel": platform.release(),
                      "date": datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
                      "load_before": [round(v, 2) for v in load0],
                      "load_after": [round(v, 2) for v in os.getloadavg()], "commit": commit}

    print(f"# {cpu}, {os.cpu_count()} cores, {doc['machine']['date']}, commit {commit}, "
          f"load {doc['machine']['load_before'][0]} -> {doc['machine']['load_after'][0]}")
    print("\nStream, us per frame (CPU time; wall in brackets)")
    print("| frames x tokens x dim | Stream.run | Python loop | Stream.step loop | C++ pipeline | run / loop | run / C++ |")
    print("|---|---|---|---|---|---|---|")
    for r in doc["stream"]:
        cpp = f"{r['cpp_us_cpu']:.2f} ({r['cpp_us_wall']:.2f})" if "cpp_us_cpu" in r else "n/a"
        rc = f"{r['run_over_cpp_cpu']:.2f}" if "cpp_us_cpu" in r else "n/a"
        print(f"| {' x '.join(map(str, r['shape']))} | {r['run_us_cpu']:.2f} ({r['run_us_wall']:.2f}) | "
              f"{r['python_loop_us_cpu']:.2f} ({r['python_loop_us_wall']:.2f}) | "
              f"{r['step_loop_us_cpu']:.2f} ({r['step_loop_us_wall']:.2f}) | {cpp} | "
              f"{r['run_over_loop_cpu']:.2f} | {rc} |")
    print("\ntoken_cosine_distance(a, b), us per call (CPU time) and ratio to numpy float32")
    kinds = [k[:-7] for k in doc["arguments"][0] if k.endswith("_us_cpu")]
    print("| frame | " + " | ".join(kinds) + " |")
    print("|---|" + "---|" * len(kinds))
    for r in doc["arguments"]:
        cells = [f"{r[k + '_us_cpu']:.2f} ({r[k + '_over_numpy_cpu']:.2f}x)" for k in kinds]
        print(f"| {r['shape'][0]} x {r['shape'][1]} | " + " | ".join(cells) + " |")
    if args.json:
        args.json.write_text(json.dumps(doc, indent=1) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
