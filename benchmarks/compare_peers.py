#!/usr/bin/python3
"""Times the peers of predsense's benchmarks: NumPy and PyTorch on the same cases, plus every
peer module in benchmarks/peers/.

Run with /usr/bin/python3 (Debian's numpy, torch and threadpoolctl live there):

    /usr/bin/python3 benchmarks/compare_peers.py [--threads N] [--quick] [--out peers_raw.json]
                                                 [--predsense build/bench/bench_kernels.json]

Built-in cases - the per-frame Cambrian-S surprise 1 - mean_t cos(pred[t], actual[t]), matching the
peer/token_cosine_* benchmarks in benchmarks/bench_kernels.cpp:
    token_cosine_64x1152_cache, token_cosine_64x1152_dram,
    token_cosine_729x1152_cache, token_cosine_196x768_cache
  torch: 1 - F.cosine_similarity(a, b, dim=-1).mean()   (under torch.no_grad, on torch.from_numpy views)
  numpy: three einsum row reductions (a.b, a.a, b.b), eps-clamped like torch; the fastest of the
         NumPy spellings tried (einsum beats (a*b).sum(-1) and norm-then-einsum by about 2x here).
The arrays are bit-identical to the C++ ones (same splitmix64 fill, same seeds, same pool size),
so each case also reports the surprise of frame pair 0, which the C++ side reports as the counter
`surprise`. "cache": the same pair every call. "dram": call i takes pair i of a pool of
max(1 GiB, 4 x L3) bytes (PREDSENSE_BENCH_POOL_MIB overrides), predictions from its first half and
actual frames from its second half. Time per call = median over repeats of (batch wall time / calls);
<peer>_cpu_s is the same in process CPU time.

Peer modules: every benchmarks/peers/<name>.py (not starting with "_") defining
    CASES = {case_name: fn}      fn(threads: int) -> dict of fields, e.g. {"torch_s": 1.2e-3}
Their fields are merged into the case of that name; a module or case that fails is recorded as
{"error": "..."} and the rest carry on.

Threads: OMP/OPENBLAS/MKL_NUM_THREADS=N and torch.set_num_threads(N) (default N=1), set before numpy
or torch is imported. OPENBLAS_CORETYPE and OPENBLAS_L2_SIZE, if set, are removed together for this
process (so OpenBLAS picks its kernel for the real CPU) unless --keep-openblas-env; the removed values
and the kernel OpenBLAS chose (threadpoolctl "architecture") are recorded under "peers".
"""
from __future__ import annotations

import argparse
import importlib.util
import json
import os
import platform
import re
import statistics
import sys
import time
import traceback
from pathlib import Path

HERE = Path(__file__).resolve().parent
PEERS_DIR = HERE / "peers"

# name -> (tokens, dim, regime); mirrors register_peers() in bench_kernels.cpp.
BUILTIN_CASES = {
    "token_cosine_64x1152_cache": (64, 1152, "cache"),
    "token_cosine_64x1152_dram": (64, 1152, "dram"),
    "token_cosine_729x1152_cache": (729, 1152, "cache"),
    "token_cosine_196x768_cache": (196, 768, "cache"),
}
EPS = 1e-8  # torch.nn.functional.cosine_similarity's default, and predsense::kernels::cosine_eps


# ---- predsense results (pure JSON; run_bench.py and bench_table.py use these too) ---------------

def _seconds(row: dict, key: str) -> float:
    scale = {"ns": 1e-9, "us": 1e-6, "ms": 1e-3, "s": 1.0}[row.get("time_unit", "ns")]
    return float(row[key]) * scale


def load_benchmark_medians(paths) -> dict:
    """Google Benchmark JSON files -> {run_name: {"real_s", "cpu_s", "bytes", "label", counters...}}.

    Uses the "median" aggregate when the run had repetitions, else the median of the iteration rows.
    Times are per iteration (per call) in seconds."""
    rows: dict[str, list] = {}
    medians: dict[str, dict] = {}
    for p in paths:
        data = json.loads(Path(p).read_text())
        for b in data.get("benchmarks", []):
            name = b.get("run_name", b["name"])
            if b.get("run_type") == "aggregate":
                if b.get("aggregate_name") == "median":
                    medians[name] = b
            elif "error_occurred" not in b or not b["error_occurred"]:
                rows.setdefault(name, []).append(b)
    out = {}
    for name in set(rows) | set(medians):
        reps = rows.get(name, [])
        if name in medians:
            m = medians[name]
            real, cpu = _seconds(m, "real_time"), _seconds(m, "cpu_time")
        else:
            real = statistics.median(_seconds(r, "real_time") for r in reps)
            cpu = statistics.median(_seconds(r, "cpu_time") for r in reps)
        src = medians.get(name) or reps[0]
        entry = {"real_s": real, "cpu_s": cpu, "repetitions": max(len(reps), 1)}
        for k in ("bytes", "surprise", "changes", "traffic_bytes", "read_bytes"):
            if k in src:
                entry[k] = float(src[k])
        label = next((r.get("label") for r in reps if r.get("label")), src.get("label"))
        if label:
            entry["label"] = label
        if reps:
            entry["real_s_min"] = min(_seconds(r, "real_time") for r in reps)
            entry["real_s_max"] = max(_seconds(r, "real_time") for r in reps)
        out[name] = entry
    return out


# ---- environment: must run before numpy/torch are imported --------------------------------------

def pin_environment(threads: int, keep_openblas_env: bool) -> dict:
    for var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
        os.environ[var] = str(threads)
    removed = {}
    if not keep_openblas_env:
        for var in ("OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE"):
            if var in os.environ:
                removed[var] = os.environ.pop(var)
    return removed


POOL_BYTES_OVERRIDE = None  # set by --pool-bytes (run_bench.py passes the C++ binary's figure)


def l3_bytes() -> int:
    """sysconf(_SC_LEVEL3_CACHE_SIZE), as bench_kernels.cpp reads it (Python's os.sysconf lacks the name)."""
    try:
        return max(0, os.sysconf("SC_LEVEL3_CACHE_SIZE"))
    except (ValueError, OSError):
        pass
    try:
        import subprocess
        out = subprocess.run(["getconf", "LEVEL3_CACHE_SIZE"], capture_output=True, text=True, check=True).stdout
        return max(0, int(out.strip() or 0))
    except (OSError, ValueError, subprocess.CalledProcessError):
        return 0


def pool_bytes() -> int:
    if POOL_BYTES_OVERRIDE:
        return POOL_BYTES_OVERRIDE
    env = os.environ.get("PREDSENSE_BENCH_POOL_MIB")
    if env:
        return int(env) << 20
    return max(1 << 30, 4 * l3_bytes())


# ---- data: bit-identical to bench_kernels.cpp's fill() ------------------------------------------

def splitmix_fill(np, out, seed: int) -> None:
    golden = np.uint64(0x9E3779B97F4A7C15)
    c1, c2 = np.uint64(0xBF58476D1CE4E5B9), np.uint64(0x94D049BB133111EB)
    scale, one = np.float32(2.0 / 16777216.0), np.float32(1.0)
    n, chunk = out.size, 1 << 22
    flat = out.reshape(-1)
    with np.errstate(over="ignore"):
        for start in range(0, n, chunk):
            m = min(chunk, n - start)
            z = np.arange(start + 1, start + m + 1, dtype=np.uint64)
            z *= golden
            z += np.uint64(seed)
            z ^= z >> np.uint64(30)
            z *= c1
            z ^= z >> np.uint64(27)
            z *= c2
            z ^= z >> np.uint64(31)
            z >>= np.uint64(40)
            v = z.astype(np.float32)
            v *= scale
            v -= one
            flat[start:start + m] = v


# ---- timing --------------------------------------------------------------------------------------

def median_per_call(fn, pairs, quick: bool) -> tuple[float, float]:
    """Median over repeats of (wall time of a batch of calls) / calls, and the same in process CPU
    time (robust to other processes on a shared machine); call i uses pairs[i % len]."""
    target = 0.02 if quick else 0.1      # seconds per batch
    repeats = 3 if quick else 9
    n_pairs = len(pairs)
    # Warm-up: at least 10 calls and `target` seconds (torch's first calls are slow).
    i, t_end = 0, time.perf_counter() + target
    while i < 10 or time.perf_counter() < t_end:
        a, b = pairs[i % n_pairs]
        fn(a, b)
        i += 1
    calls = 1
    while True:  # calibrate the batch size: double until a batch takes half the target
        t0 = time.perf_counter()
        for i in range(calls):
            a, b = pairs[i % n_pairs]
            fn(a, b)
        dt = time.perf_counter() - t0
        if dt >= target / 2 or calls >= 1 << 20:
            break
        calls *= 2
    calls = max(1, round(calls * target / max(dt, 1e-9)))
    per_call, per_call_cpu = [], []
    offset = 0
    for _ in range(repeats):
        c0, t0 = time.process_time(), time.perf_counter()
        for i in range(offset, offset + calls):
            a, b = pairs[i % n_pairs]
            fn(a, b)
        per_call.append((time.perf_counter() - t0) / calls)
        per_call_cpu.append((time.process_time() - c0) / calls)
        offset += calls
    return statistics.median(per_call), statistics.median(per_call_cpu)


def run_builtin(names, threads: int, quick: bool, log) -> dict:
    import numpy as np
    import torch
    import torch.nn.functional as F

    torch.set_num_threads(threads)

    def numpy_surprise(a, b):
        d = np.einsum("td,td->t", a, b)
        na = np.einsum("td,td->t", a, a)
        nb = np.einsum("td,td->t", b, b)
        return 1.0 - float(np.mean(d / np.maximum(np.sqrt(na * nb), EPS)))

    def torch_surprise(a, b):
        return 1.0 - F.cosine_similarity(a, b, dim=-1).mean().item()

    results = {}
    pool = None
    for name in names:
        t, d, regime = BUILTIN_CASES[name]
        if regime == "cache":
            a = np.empty((t, d), dtype=np.float32)
            b = np.empty((t, d), dtype=np.float32)
            splitmix_fill(np, a, 1)
            splitmix_fill(np, b, 2)
            np_pairs = [(a, b)]
        else:
            if pool is None:
                log(f"compare_peers: filling the {pool_bytes() >> 20} MiB DRAM pool")
                pool = np.empty(pool_bytes() // 4, dtype=np.float32)
                splitmix_fill(np, pool, 0x5EED)
            half = pool.size // 2
            count = half // (t * d)
            pa = pool[: count * t * d].reshape(count, t, d)
            pb = pool[half: half + count * t * d].reshape(count, t, d)
            np_pairs = [(pa[i], pb[i]) for i in range(count)]
        torch_pairs = [(torch.from_numpy(x), torch.from_numpy(y)) for x, y in np_pairs]
        with torch.no_grad():
            torch_s, torch_cpu_s = median_per_call(torch_surprise, torch_pairs, quick)
            torch_value = torch_surprise(*torch_pairs[0])
        numpy_s, numpy_cpu_s = median_per_call(numpy_surprise, np_pairs, quick)
        numpy_value = numpy_surprise(*np_pairs[0])
        results[name] = {
            "numpy_s": numpy_s,
            "torch_s": torch_s,
            "numpy_cpu_s": numpy_cpu_s,
            "torch_cpu_s": torch_cpu_s,
            "numpy_surprise": numpy_value,
            "torch_surprise": torch_value,
            "shape": [t, d],
            "regime": regime,
            "numpy_impl": "einsum td,td->t x3, eps-clamped",
            "torch_impl": "1 - F.cosine_similarity(a, b, dim=-1).mean()",
        }
        if regime == "dram":
            results[name]["frames"] = len(np_pairs)
        log(f"compare_peers: {name}: numpy {numpy_s * 1e6:.1f} us, torch {torch_s * 1e6:.1f} us")
    return results


# ---- peer modules --------------------------------------------------------------------------------

def discover_peers(directory: Path = PEERS_DIR):
    return sorted(p for p in directory.glob("*.py") if not p.name.startswith("_")) if directory.is_dir() else []


def run_peer_modules(threads: int, only, log, directory: Path = PEERS_DIR) -> tuple[dict, dict]:
    cases, modules = {}, {}
    for path in discover_peers(directory):
        try:
            spec = importlib.util.spec_from_file_location(f"predsense_peers_{path.stem}", path)
            mod = importlib.util.module_from_spec(spec)
            spec.loader.exec_module(mod)
            found = dict(getattr(mod, "CASES"))
        except Exception as exc:  # a broken peer module must not sink the others
            modules[path.name] = {"error": f"{type(exc).__name__}: {exc}"}
            log(f"compare_peers: {path.name} failed to load: {exc}")
            continue
        modules[path.name] = {"cases": sorted(found)}
        for name, fn in found.items():
            if only and not any(o in name for o in only):
                continue
            t0 = time.perf_counter()
            try:
                fields = dict(fn(threads))
            except Exception as exc:
                fields = {"error": f"{type(exc).__name__}: {exc}"}
                log(f"compare_peers: {path.name}:{name} failed:\n{traceback.format_exc()}")
            fields.setdefault("peer_module", path.name)
            cases.setdefault(name, {}).update(fields)
            log(f"compare_peers: {path.name}:{name} done in {time.perf_counter() - t0:.1f} s")
    return cases, modules


# ---- provenance ----------------------------------------------------------------------------------

def peer_info(threads: int, removed_env: dict) -> dict:
    info = {
        "threads": threads,
        "python": platform.python_version(),
        "openblas_env_removed": removed_env,
        "thread_env": {v: os.environ.get(v) for v in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS")},
    }
    try:
        import numpy as np
        info["numpy"] = np.__version__
    except Exception as exc:  # pragma: no cover - recorded, not fatal
        info["numpy"] = f"unavailable: {exc}"
    try:
        import torch
        info["torch"] = torch.__version__
        info["torch_threads"] = torch.get_num_threads()
        cfg = torch.__config__.show()
        m = re.search(r"\bBLAS_INFO=([^,\s]+)", cfg)
        info["torch_blas_info"] = m.group(1) if m else None
        info["torch_cpu_capability"] = next((line.split(":", 1)[1].strip() for line in cfg.splitlines()
                                             if "CPU capability usage" in line), None)
    except Exception as exc:
        info["torch"] = f"unavailable: {exc}"
    try:
        import threadpoolctl
        info["threadpoolctl"] = threadpoolctl.__version__
        info["threadpools"] = [
            {k: p.get(k) for k in ("user_api", "internal_api", "version", "architecture",
                                   "threading_layer", "num_threads", "filepath")}
            for p in threadpoolctl.threadpool_info()]
        blas = [p for p in info["threadpools"] if p["user_api"] == "blas"]
        if blas:
            info["blas"] = "; ".join(f"{p['internal_api']} {p['version']} ({p.get('architecture')} kernels, "
                                     f"{p.get('threading_layer')}, {p['num_threads']} threads)" for p in blas)
    except Exception as exc:
        info["threadpoolctl"] = f"unavailable: {exc}"
    return info


def print_ratios(results: dict, predsense_json, log) -> None:
    meds = load_benchmark_medians(predsense_json)
    for name, r in results.items():
        m = meds.get(f"peer/{name}")
        if not m:
            continue
        ps = m["real_s"]
        parts = [f"{name}: predsense {ps * 1e6:.2f} us"]
        for k in ("numpy_s", "torch_s"):
            if isinstance(r.get(k), (int, float)):
                parts.append(f"{k[:-2]}/predsense {r[k] / ps:.1f}x")
        log("  " + ", ".join(parts))


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--threads", type=int, default=1, help="threads for numpy/torch/OpenBLAS (default 1)")
    ap.add_argument("--quick", action="store_true", help="fewer, shorter repeats")
    ap.add_argument("--out", help="write the JSON here (default: stdout)")
    ap.add_argument("--cases", nargs="*", help="only cases whose name contains one of these")
    ap.add_argument("--no-peer-modules", action="store_true", help="skip benchmarks/peers/*.py")
    ap.add_argument("--peers-dir", default=str(PEERS_DIR), help="where peer modules live (default benchmarks/peers)")
    ap.add_argument("--keep-openblas-env", action="store_true",
                    help="keep OPENBLAS_CORETYPE/OPENBLAS_L2_SIZE as set in the environment")
    ap.add_argument("--pool-bytes", type=int, default=0,
                    help="DRAM pool size in bytes (default: as bench_kernels computes it)")
    ap.add_argument("--predsense", nargs="*", default=[],
                    help="Google Benchmark JSON file(s) with peer/<case> results, to print ratios")
    args = ap.parse_args(argv)

    removed = pin_environment(args.threads, args.keep_openblas_env)
    global POOL_BYTES_OVERRIDE
    POOL_BYTES_OVERRIDE = args.pool_bytes or None

    def log(msg):
        print(msg, file=sys.stderr, flush=True)

    only = args.cases or []
    names = [n for n in BUILTIN_CASES if not only or any(o in n for o in only)]
    cases = run_builtin(names, args.threads, args.quick, log)
    modules = {}
    if not args.no_peer_modules:
        peer_cases, modules = run_peer_modules(args.threads, only, log, Path(args.peers_dir))
        for name, fields in peer_cases.items():
            cases.setdefault(name, {}).update(fields)
    info = peer_info(args.threads, removed)
    info["modules"] = modules
    doc = {"cases": cases, "peers": info, "pool_bytes": pool_bytes()}
    text = json.dumps(doc, indent=2, sort_keys=True)
    if args.out:
        Path(args.out).write_text(text + "\n")
    else:
        print(text)
    if args.predsense:
        print_ratios(cases, args.predsense, log)
    return 0


if __name__ == "__main__":
    sys.exit(main())
