"""Peer benchmarks for build/bench/peers.json, discovered by benchmarks/compare_peers.py.

Each module benchmarks/peers/<name>.py (names starting with "_" are skipped) defines

    CASES = {"<case>": fn}    # fn(threads: int) -> dict of peer fields

where <case> matches a C++ benchmark named peer/<case> in some build/bin/bench_* binary, and the
dict holds median seconds per call under keys ending in "_s" (e.g. {"torch_s": 1.2e-3,
"numpy_s": 4.0e-3}), plus any notes ("note", "<peer>_impl", versions). run_bench.py adds
"ratio_<peer>" = <peer>_s / predsense_s for every such key. The module is imported after
OMP/OPENBLAS/MKL_NUM_THREADS are pinned to `threads`; call torch.set_num_threads(threads) yourself
if you use torch. An exception is recorded as {"error": ...} for that case and the run carries on.
"""
