"""Peer for peer/pipeline_64x1152 (benchmarks/bench_pipeline.cpp): the same default pipeline driven
from Python through the predsense bindings (`Stream.step` once per frame on a float32 64 x 1152
array, and `Stream.run` over a whole (frames, 64, 1152) block), so ratio_python_step - 1 is the
per-frame overhead the binding adds over C++ (target < 10%).

Frames come from predsense.synthetic_stream with the C++ benchmark's settings (256 frames,
mean scene length 30, seed 42), cycled; the extension is loaded from $PREDSENSE_BUILD_DIR/python
(default build/python).
"""
from __future__ import annotations

import os
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def _import_predsense():
    build = Path(os.environ.get("PREDSENSE_BUILD_DIR", ROOT / "build"))
    sys.path.insert(0, str(build / "python"))
    import predsense

    return predsense


def pipeline_64x1152(threads: int) -> dict:
    ps = _import_predsense()
    frames, _ = ps.synthetic_stream(frames=256, tokens=64, dim=1152, mean_scene_length=30, seed=42)

    def fresh():
        s = ps.Stream(memory_threshold=0.1, window=32, budget=8192)
        for t in range(64):
            s.step(frames[t % 256])
        return s

    step_times, run_times = [], []
    n = 2000
    for _ in range(3):
        s = fresh()
        t0 = time.perf_counter()
        for t in range(64, 64 + n):
            s.step(frames[t % 256])
        step_times.append((time.perf_counter() - t0) / n)
        s = fresh()
        block = frames[:256]
        t0 = time.perf_counter()
        for _ in range(n // 256):
            s.run(block)
        run_times.append((time.perf_counter() - t0) / (256 * (n // 256)))
    step_times.sort()
    run_times.sort()
    return {"python_step_s": step_times[1], "python_run_s": run_times[1], "threads": threads}


CASES = {"pipeline_64x1152": pipeline_64x1152}
