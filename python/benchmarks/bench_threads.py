"""Stream.run on independent objects: 2 Python threads vs 1 (the GIL is released for the whole loop).

    cd build-py && PYTHONPATH=python /usr/bin/python3 ../python/benchmarks/bench_threads.py [rounds]

Each round times one thread running one stream over F frames, then two threads each running their
own stream over their own F frames; speedup = (2 * F / t2) / (F / t1). Rounds alternate the two
measurements (the machine is shared); the median and the range are reported, with the load average
before and after, since other users' processes take cores from the 2-thread case.
"""
import os
import statistics
import sys
import threading
import time

import predsense as ps


def make_stream(kind):
    if kind == "default":  # copy-last, token cosine, adaptive segmenter, Cambrian-S memory
        return ps.Stream(window=16, budget=2048)
    if kind == "rls_no_memory":
        return ps.Stream(predictor=ps.RLSPredictor(mode="pooled"), memory=None)
    raise ValueError(kind)


def run_threads(kind, inputs):
    """Wall and process CPU seconds of len(inputs) threads, each running its own stream."""
    streams = [make_stream(kind) for _ in inputs]
    ths = [threading.Thread(target=s.run, args=(x,)) for s, x in zip(streams, inputs)]
    c0, t0 = time.process_time(), time.perf_counter()
    for t in ths:
        t.start()
    for t in ths:
        t.join()
    return time.perf_counter() - t0, time.process_time() - c0


def main():
    rounds = int(sys.argv[1]) if len(sys.argv) > 1 else 7
    frames, tokens, dim = 4000, 64, 256
    xa, _ = ps.synthetic_stream(frames=frames, tokens=tokens, dim=dim, seed=1)
    xb, _ = ps.synthetic_stream(frames=frames, tokens=tokens, dim=dim, seed=2)
    print(f"frames={frames} tokens={tokens} dim={dim} rounds={rounds} cores={os.cpu_count()} "
          f"loadavg_before={os.getloadavg()[0]:.2f}")
    print(f"build_info: simd={ps.build_info()['simd']} width={ps.build_info()['simd_width']}")
    for kind in ("default", "rls_no_memory"):
        n = frames if kind == "default" else frames // 8
        a, b = xa[:n], xb[:n]
        run_threads(kind, [a])  # warm-up
        speedups, cores = [], []
        for _ in range(rounds):
            t1, _c1 = run_threads(kind, [a])
            t2, c2 = run_threads(kind, [a, b])
            speedups.append((2 * n / t2) / (n / t1))
            cores.append(c2 / t2)  # cores busy on average during the 2-thread run (GIL held: <= ~1)
        print(f"{kind:14s} frames={n}: 2-thread/1-thread throughput median {statistics.median(speedups):.2f}x "
              f"(min {min(speedups):.2f}, max {max(speedups):.2f}); cores busy in the 2-thread run: median "
              f"{statistics.median(cores):.2f}; last 1-thread {n / t1:.0f} frames/s")
    print(f"loadavg_after={os.getloadavg()[0]:.2f}")


if __name__ == "__main__":
    main()
