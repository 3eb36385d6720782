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
        s = ps.Stream(memory=("drop_merge", {"threshold": 0.1, "window": 32, "budget": 8192}))
        for t in range(64):
            s.step(frames[t % 256])
        return s

    # Wall and CPU time per frame, median of 5 rounds. `run` loops in C++ over the same frames in
    # the same process, so step/run - 1 is the binding's own per-frame cost, whatever the load.
    rounds = {"step": [], "run": [], "step_cpu": [], "run_cpu": []}
    reps = 8
    for _ in range(5):
        s = fresh()
        t0, c0 = time.perf_counter(), time.process_time()
        for _ in range(reps):
            for f in frames:
                s.step(f)
        rounds["step"].append((time.perf_counter() - t0) / (reps * 256))
        rounds["step_cpu"].append((time.process_time() - c0) / (reps * 256))
        s = fresh()
        t0, c0 = time.perf_counter(), time.process_time()
        for _ in range(reps):
            s.run(frames)
        rounds["run"].append((time.perf_counter() - t0) / (reps * 256))
        rounds["run_cpu"].append((time.process_time() - c0) / (reps * 256))
    med = {k: sorted(v)[len(v) // 2] for k, v in rounds.items()}
    return {"python_step_s": med["step"], "python_run_s": med["run"],
            "python_step_cpu_s": med["step_cpu"], "python_run_cpu_s": med["run_cpu"],
            "python_binding_overhead": med["step_cpu"] / med["run_cpu"] - 1.0, "threads": threads}


CASES = {"pipeline_64x1152": pipeline_64x1152}
