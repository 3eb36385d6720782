"""Peer for peer/retrieval_late_3600 (benchmarks/bench_retrieval.cpp): late-interaction retrieval
(ColBERT MaxSim) transcribed in NumPy and PyTorch on the same shapes - 3600 entries of 64 tokens x
256 dims, a 16-token query, top 4. Per call, like predsense, each entry's tokens are normalised
(the memory stores raw latents), every query token's best cosine over each entry's tokens is taken
and averaged, and the 4 best entries are selected. NumPy: one batched matmul (BLAS); PyTorch: the
same with torch.einsum, torch.topk.
"""
from __future__ import annotations

import time

ENTRIES, TOKENS, DIM, QUERY, K = 3600, 64, 256, 16, 4


def _median_time(fn, rounds=5):
    """(median wall seconds, median process CPU seconds) per call."""
    ts, cs = [], []
    fn()
    for _ in range(rounds):
        t0, c0 = time.perf_counter(), time.process_time()
        fn()
        ts.append(time.perf_counter() - t0)
        cs.append(time.process_time() - c0)
    ts.sort()
    cs.sort()
    return ts[len(ts) // 2], cs[len(cs) // 2]


def retrieval_late_3600(threads: int) -> dict:
    import numpy as np
    import torch

    torch.set_num_threads(threads)
    rng = np.random.default_rng(0)
    mem = (rng.random((ENTRIES, TOKENS, DIM), dtype=np.float32) - 0.5)
    q = (rng.random((QUERY, DIM), dtype=np.float32) - 0.5)

    def numpy_late():
        e = mem / np.maximum(np.linalg.norm(mem, axis=2, keepdims=True), 1e-12)
        qq = q / np.linalg.norm(q, axis=1, keepdims=True)
        s = (e @ qq.T).max(axis=1).mean(axis=1)  # (entries,)
        top = np.argpartition(-s, K)[:K]
        return top[np.argsort(-s[top])]

    tm, tq = torch.from_numpy(mem), torch.from_numpy(q)

    def torch_late():
        with torch.no_grad():
            e = torch.nn.functional.normalize(tm, dim=2)
            qq = torch.nn.functional.normalize(tq, dim=1)
            s = torch.einsum("etd,qd->etq", e, qq).amax(dim=1).mean(dim=1)
            return torch.topk(s, K).indices

    (np_s, np_cpu), (th_s, th_cpu) = _median_time(numpy_late), _median_time(torch_late)
    return {"numpy_s": np_s, "numpy_cpu_s": np_cpu, "torch_s": th_s, "torch_cpu_s": th_cpu,
            "note": "3600 entries x 64 tokens x 256 dims, 16-token query, top 4; normalisation per call"}


CASES = {"retrieval_late_3600": retrieval_late_3600}
