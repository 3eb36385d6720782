#!/usr/bin/python3
"""`make bench`: run every Google Benchmark binary, then the peers, and write build/bench/peers.json.

    /usr/bin/python3 benchmarks/run_bench.py --build build [--filter REGEX] [--quick] [--threads N]

1. Every executable build/bin/bench_* runs with --benchmark_out=build/bench/<name>.json
   (--benchmark_out_format=json; the console keeps the human-readable format as progress) and
   --benchmark_repetitions=R (default 5, --quick 3), so each benchmark has a median aggregate.
   --filter is passed on as --benchmark_filter. OMP/OPENBLAS/MKL_NUM_THREADS=N for them too.
2. benchmarks/compare_peers.py (NumPy, PyTorch and every benchmarks/peers/*.py) runs in its own
   process with the same N, without OPENBLAS_CORETYPE/OPENBLAS_L2_SIZE (both removed together,
   values recorded), into build/bench/peers_raw.json.
3. build/bench/peers.json: {
     "<case>": {"predsense_s": median wall seconds per call of benchmark peer/<case>,
                "numpy_s", "torch_s", ... (peer fields), "bytes": bytes read per call,
                "ratio_torch": torch_s / predsense_s, "ratio_numpy", "ratio_<x>" for every other <x>_s,
                "ratio_<x>_cpu": <x>_cpu_s / predsense_cpu_s (process CPU time, robust to load),
                "predsense_bytes_per_s", "pct_stream": % of stream_read_bytes_per_s, ...},
     "stream_read_bytes_per_s": bytes/s of peer/stream_read (single-thread SIMD sum over >= 1 GiB),
     "machine": {...}, "peers": {versions, BLAS, threads}, "targets": {...}, "command": "..."}
   Cases come from the benchmark names peer/<case> in any binary, merged with the peers' cases;
   a case present on one side only is kept with the fields it has. The markdown table in
   docs/benchmarks.md is made from this file by scripts/bench_table.py (printed here too).
"""
from __future__ import annotations

import argparse
import datetime
import json
import os
import platform
import shlex
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "benchmarks"))
sys.path.insert(0, str(ROOT / "scripts"))
import compare_peers  # noqa: E402  (pure-JSON helpers; numpy/torch load only in its own process)

# The speed targets the kernels are held to (docs/benchmarks.md).
TARGET_CACHE_CASE, TARGET_CACHE_RATIO = "token_cosine_64x1152_cache", 5.0
TARGET_DRAM_CASE, TARGET_DRAM_PCT = "token_cosine_64x1152_dram", 70.0
# memory_4h against the floor of the bytes its semantics move (bench_memory.cpp, floor/*) and
# against the reference loop as written (with its per-frame concatenation).
TARGET_MEMORY_CASE, TARGET_MEMORY_FLOOR_X, TARGET_MEMORY_REF_X = "memory_4h", 1.5, 30.0
THREAD_VARS = ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS")


def log(msg: str) -> None:
    print(msg, file=sys.stderr, flush=True)


def bench_binaries(build: Path):
    bindir = build / "bin"
    return sorted(p for p in bindir.glob("bench_*") if p.is_file() and os.access(p, os.X_OK)) if bindir.is_dir() else []


GENERIC_OPENBLAS_CORES = {"Prescott", "Core2", "Penryn", "Dunnington", "Nehalem", "Atom", "Katmai", "Coppermine",
                          "Northwood", "Banias"}


def openblas_core_override() -> dict:
    """OpenBLAS picks its kernels from the CPU model; a CPU it does not recognise (a virtual CPU
    named "Intel(R) Xeon(R) Processor", say) gets the generic SSE3 "Prescott" kernels, several times
    slower than what the CPU can run. Peers must run at their best, so when OpenBLAS falls back like
    that on a CPU with AVX-512 (AVX2 + FMA) this returns {"detected": ..., "set": "SkylakeX"
    ("Haswell")}: run_bench then sets OPENBLAS_CORETYPE for both sides. {} when nothing to do."""
    env = {k: v for k, v in os.environ.items() if k not in ("OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE")}
    probe = ("import numpy, threadpoolctl\n"
             "print(next((i.get('architecture') or '') for i in threadpoolctl.threadpool_info() "
             "if i.get('internal_api') == 'openblas'))")
    try:
        detected = subprocess.run(["/usr/bin/python3", "-c", probe], env=env, capture_output=True, text=True,
                                  timeout=60).stdout.strip()
    except (OSError, subprocess.SubprocessError, StopIteration):
        return {}
    if detected not in GENERIC_OPENBLAS_CORES:
        return {}
    flags: set[str] = set()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("flags"):
                flags = set(line.split(":", 1)[1].split())
                break
    except OSError:
        return {}
    if {"avx512f", "avx512dq", "avx512bw", "avx512vl"} <= flags:
        return {"detected": detected, "set": "SkylakeX"}
    if {"avx2", "fma"} <= flags:
        return {"detected": detected, "set": "Haswell"}
    return {}


def run_binaries(bins, out_dir: Path, args, env) -> tuple[list, dict]:
    outputs, errors = [], {}
    for b in bins:
        out = out_dir / f"{b.name}.json"
        cmd = [str(b), f"--benchmark_out={out}", "--benchmark_out_format=json",
               f"--benchmark_repetitions={args.repetitions}", "--benchmark_display_aggregates_only=true",
               f"--benchmark_min_time={args.min_time}"]
        if args.filter:
            cmd.append(f"--benchmark_filter={args.filter}")
        log(f"run_bench: {' '.join(shlex.quote(c) for c in cmd)}")
        # The same BLAS kernel selection as the peers get: OpenBLAS's Haswell override (set in this
        # environment for old-OpenBLAS safety) goes for benchmarks on both sides, both vars together.
        bin_env = {k: v for k, v in env.items() if k not in ("OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE")}
        if args.openblas_override:  # both sides get the same override (openblas_core_override)
            bin_env["OPENBLAS_CORETYPE"] = args.openblas_override["set"]
            bin_env["PREDSENSE_BENCH_KEEP_OPENBLAS_ENV"] = "1"
        rc = subprocess.run(cmd, env=bin_env).returncode
        if rc != 0:
            errors[b.name] = f"exit status {rc}"
            log(f"run_bench: {b.name} failed with exit status {rc}; continuing")
        if out.is_file() and out.stat().st_size > 0:
            try:
                json.loads(out.read_text())
                outputs.append(out)
            except json.JSONDecodeError as exc:
                errors[b.name] = f"unreadable JSON: {exc}"
    return outputs, errors


def cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def compiler_info(build: Path) -> dict:
    info = {}
    cache = build / "CMakeCache.txt"
    if cache.is_file():
        for line in cache.read_text().splitlines():
            for key in ("CMAKE_CXX_COMPILER:", "CMAKE_BUILD_TYPE:", "CMAKE_CXX_FLAGS_RELEASE:"):
                if line.startswith(key):
                    info[key.split(":")[0]] = line.split("=", 1)[1]
    cxx = info.get("CMAKE_CXX_COMPILER")
    if cxx:
        try:
            info["version"] = subprocess.run([cxx, "--version"], capture_output=True, text=True).stdout.splitlines()[0]
        except (OSError, IndexError):
            pass
    return info


def machine_info(build: Path, contexts: dict, load_before, load_after) -> dict:
    mem_kib = 0
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                mem_kib = int(line.split()[1])
    except OSError:
        pass
    info = {
        "cpu": cpu_model(),
        "cores": os.cpu_count(),
        "l3_bytes": compare_peers.l3_bytes(),
        "mem_bytes": mem_kib * 1024,
        "kernel": platform.release(),
        "date": datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
        "load_before": [round(x, 2) for x in load_before],
        "load_after": [round(x, 2) for x in load_after],
        "compiler": compiler_info(build),
    }
    if contexts:
        ctx = next(iter(contexts.values()))
        info["benchmark_context"] = {k: ctx.get(k) for k in ("num_cpus", "mhz_per_cpu", "cpu_scaling_enabled",
                                                               "library_build_type", "load_avg", "caches")}
        info["predsense"] = {k: v for c in contexts.values() for k, v in c.items() if k.startswith("predsense_")}
    return info


def run_peers(args, out_dir: Path, pool_bytes: int) -> dict:
    raw = out_dir / "peers_raw.json"
    env = dict(os.environ)
    for v in THREAD_VARS:
        env[v] = str(args.threads)
    cmd = ["/usr/bin/python3", str(ROOT / "benchmarks" / "compare_peers.py"), "--threads", str(args.threads),
           "--out", str(raw)]
    if args.quick:
        cmd.append("--quick")
    if pool_bytes:
        cmd += ["--pool-bytes", str(pool_bytes)]
    if args.peer_cases:
        cmd += ["--cases", *args.peer_cases]
    if args.quick and not args.peer_modules:
        cmd.append("--no-peer-modules")
    if args.openblas_override:
        env["OPENBLAS_CORETYPE"] = args.openblas_override["set"]
        env.pop("OPENBLAS_L2_SIZE", None)
        cmd.append("--keep-openblas-env")
    log(f"run_bench: {' '.join(shlex.quote(c) for c in cmd)}")
    # compare_peers removes OPENBLAS_CORETYPE/OPENBLAS_L2_SIZE itself and records what it removed.
    rc = subprocess.run(cmd, env=env).returncode
    if rc != 0 or not raw.is_file():
        log(f"run_bench: compare_peers.py failed (exit status {rc}); peers.json gets predsense fields only")
        return {"cases": {}, "peers": {"error": f"compare_peers.py exit status {rc}"}}
    return json.loads(raw.read_text())


GB_SUFFIXES = ("real_time", "manual_time", "process_time")


def case_name(benchmark: str) -> str | None:
    """peer/<case>[/min_time:2.000][/iterations:2][/real_time]... -> <case> (None if not a peer)."""
    parts = benchmark.split("/")
    if len(parts) < 2 or parts[0] != "peer":
        return None
    keep = [p for p in parts[1:] if ":" not in p and p not in GB_SUFFIXES]
    return "/".join(keep) or None


def merge(medians: dict, peers: dict) -> tuple[dict, float | None, float | None]:
    by_case = {case_name(n): m for n, m in medians.items() if case_name(n)}
    stream = by_case.get("stream_read")
    stream_bps = stream["bytes"] / stream["real_s"] if stream and stream.get("bytes") else None
    two = medians.get("roofline/stream_read_2streams")
    two_bps = two["bytes"] / two["real_s"] if two and two.get("bytes") else None

    cases: dict[str, dict] = {}
    for name, m in sorted(medians.items()):
        case = case_name(name)
        if case is None or case == "stream_read":
            continue
        e = cases.setdefault(case, {})
        e["predsense_s"] = m["real_s"]
        e["predsense_cpu_s"] = m["cpu_s"]
        e["predsense_repetitions"] = m["repetitions"]
        for k_src, k_dst in (("real_s_min", "predsense_s_min"), ("real_s_max", "predsense_s_max"),
                             ("bytes", "bytes"), ("surprise", "predsense_surprise"), ("changes", "predsense_changes"),
                             ("traffic_bytes", "traffic_bytes"),
                             ("label", "predsense_impl")):
            if k_src in m:
                e[k_dst] = m[k_src]
        e["benchmark"] = name
    for name, fields in peers.get("cases", {}).items():
        e = cases.setdefault(name, {})
        for k, v in fields.items():
            if k == "predsense_s" and "predsense_s" in e:
                continue  # the C++ measurement wins over a peer module's own figure
            e[k] = v
    for e in cases.values():
        ps = e.get("predsense_s")
        if isinstance(ps, (int, float)) and ps > 0:
            pc = e.get("predsense_cpu_s")
            for k, v in list(e.items()):
                if not k.endswith("_s") or k.startswith("predsense") or not isinstance(v, (int, float)) or v <= 0:
                    continue
                if k.endswith("_cpu_s"):  # CPU time against CPU time: robust to a busy machine
                    if isinstance(pc, (int, float)) and pc > 0:
                        e[f"ratio_{k[:-2]}"] = v / pc
                else:
                    e[f"ratio_{k[:-2]}"] = v / ps
            if isinstance(e.get("bytes"), (int, float)) and e["bytes"] > 0:
                e["predsense_bytes_per_s"] = e["bytes"] / ps
                if stream_bps:
                    e["pct_stream"] = 100.0 * e["predsense_bytes_per_s"] / stream_bps
        if "predsense_surprise" in e and isinstance(e.get("torch_surprise"), (int, float)):
            e["surprise_abs_diff_torch"] = abs(e["predsense_surprise"] - e["torch_surprise"])
    return cases, stream_bps, two_bps


def targets(cases: dict, medians: dict | None = None) -> dict:
    medians = medians or {}
    out = {}
    c = cases.get(TARGET_CACHE_CASE, {})
    r = c.get("ratio_torch")
    out["cache_64x1152_vs_torch"] = {"case": TARGET_CACHE_CASE, "ratio_torch": r,
                                     "ratio_torch_cpu": c.get("ratio_torch_cpu"), "required": TARGET_CACHE_RATIO,
                                     "holds": None if r is None else r >= TARGET_CACHE_RATIO}
    d = cases.get(TARGET_DRAM_CASE, {})
    p = d.get("pct_stream")
    out["dram_64x1152_pct_stream"] = {"case": TARGET_DRAM_CASE, "pct_stream": p, "required": TARGET_DRAM_PCT,
                                      "holds": None if p is None else p >= TARGET_DRAM_PCT}
    m = cases.get(TARGET_MEMORY_CASE, {})
    out["memory_4h_vs_floor"] = memory_floor_target(m, medians)
    # the reference is PyTorch code; the NumPy transcription is shown beside it
    rt = m.get("ratio_torch")
    out["memory_4h_vs_reference"] = {"case": TARGET_MEMORY_CASE, "ratio_torch": rt, "ratio_numpy": m.get("ratio_numpy"),
                                     "ratio_torch_cpu": m.get("ratio_torch_cpu"), "required": TARGET_MEMORY_REF_X,
                                     "holds": None if rt is None else rt >= TARGET_MEMORY_REF_X}
    # the times behind the ratio and predsense's spread over its repetitions (same binary, same data)
    for k in ("predsense_s", "predsense_s_min", "predsense_s_max", "torch_s", "torch_cpu_s", "predsense_cpu_s"):
        if isinstance(m.get(k), (int, float)):
            out["memory_4h_vs_reference"][k] = m[k]
    return out


def memory_floor_target(m: dict, medians: dict) -> dict:
    """memory_4h's time as a multiple of a memcpy of the bytes it moves (two floors: the copies
    placed where the store's go, and the same bytes within L2)."""
    def floor(prefix: str):
        hits = [v for n, v in medians.items() if n.split("/min_time")[0] == prefix]
        return hits[0] if hits else None
    placed, hot = floor("floor/memory_4h_memcpy"), floor("floor/memory_4h_memcpy_hot")
    reads = floor("floor/memory_4h_reads")
    ps = m.get("predsense_s")
    out = {"case": TARGET_MEMORY_CASE, "required": TARGET_MEMORY_FLOOR_X, "predsense_s": ps,
           "traffic_bytes": m.get("traffic_bytes")}
    if reads and reads.get("read_bytes"):
        out["floor_reads_bytes"] = reads["read_bytes"]
    for key, f in (("placed", placed), ("hot", hot), ("reads", reads)):
        if f and isinstance(ps, (int, float)):
            out[f"floor_{key}_s"] = f["real_s"]
            out[f"x_floor_{key}"] = ps / f["real_s"]
            if m.get("predsense_cpu_s") and f.get("cpu_s"):
                out[f"x_floor_{key}_cpu"] = m["predsense_cpu_s"] / f["cpu_s"]
    x = out.get("x_floor_placed")
    out["holds"] = None if x is None else x <= TARGET_MEMORY_FLOOR_X
    return out


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--build", default="build", help="CMake build directory (binaries in <build>/bin)")
    ap.add_argument("--out-dir", help="where the JSON goes (default <build>/bench)")
    ap.add_argument("--filter", help="passed to every binary as --benchmark_filter")
    ap.add_argument("--quick", action="store_true",
                    help="3 short repetitions, quick NumPy/PyTorch timing, no benchmarks/peers/*.py: a smoke run")
    ap.add_argument("--peer-modules", action="store_true", help="run benchmarks/peers/*.py even with --quick")
    ap.add_argument("--threads", type=int, default=1, help="threads for predsense and the peers (default 1)")
    ap.add_argument("--repetitions", type=int, help="benchmark repetitions (default 5, --quick 3)")
    ap.add_argument("--min-time", type=float, help="--benchmark_min_time seconds (default 0.1, --quick 0.02)")
    ap.add_argument("--no-peers", action="store_true", help="skip compare_peers.py")
    ap.add_argument("--peer-cases", nargs="*", help="only peer cases containing one of these strings")
    args = ap.parse_args(argv)
    args.repetitions = args.repetitions or (3 if args.quick else 5)
    args.min_time = args.min_time if args.min_time is not None else (0.02 if args.quick else 0.1)

    build = Path(args.build)
    if not build.is_absolute():
        build = (Path.cwd() / build).resolve()
    out_dir = Path(args.out_dir) if args.out_dir else build / "bench"
    out_dir.mkdir(parents=True, exist_ok=True)

    env = dict(os.environ)
    for v in THREAD_VARS:
        env[v] = str(args.threads)
    args.openblas_override = openblas_core_override()
    if args.openblas_override:
        log(f"run_bench: OpenBLAS detects this CPU as {args.openblas_override['detected']} (generic kernels); "
            f"OPENBLAS_CORETYPE={args.openblas_override['set']} for predsense and the peers")
    bins = bench_binaries(build)
    if not bins:
        log(f"run_bench: no {build}/bin/bench_* binaries; build first (make bench does)")
    load_before = os.getloadavg()
    outputs, errors = run_binaries(bins, out_dir, args, env)
    medians = compare_peers.load_benchmark_medians(outputs)
    contexts = {p.stem: json.loads(p.read_text()).get("context", {}) for p in outputs}
    pool_bytes = 0
    for ctx in contexts.values():
        if ctx.get("predsense_pool_bytes"):
            pool_bytes = int(ctx["predsense_pool_bytes"])
    peers = {"cases": {}, "peers": {"skipped": True}} if args.no_peers else run_peers(args, out_dir, pool_bytes)
    load_after = os.getloadavg()

    cases, stream_bps, two_bps = merge(medians, peers)
    doc = dict(sorted(cases.items()))
    doc["stream_read_bytes_per_s"] = stream_bps
    doc["stream_read_2streams_bytes_per_s"] = two_bps
    doc["machine"] = machine_info(build, contexts, load_before, load_after)
    doc["peers"] = peers.get("peers", {})
    doc["peers"]["predsense_threads"] = args.threads
    if args.openblas_override:
        doc["peers"]["openblas_coretype_override"] = args.openblas_override
    doc["targets"] = targets(cases, medians)
    doc["command"] = "make bench" if os.environ.get("MAKELEVEL") else \
        "/usr/bin/python3 benchmarks/run_bench.py " + " ".join(shlex.quote(a) for a in (argv or sys.argv[1:]))
    doc["settings"] = {"repetitions": args.repetitions, "min_time_s": args.min_time, "quick": args.quick,
                       "filter": args.filter, "threads": args.threads}
    doc["files"] = [p.name for p in outputs]
    if errors:
        doc["errors"] = errors
    out = out_dir / "peers.json"
    out.write_text(json.dumps(doc, indent=2) + "\n")
    log(f"run_bench: wrote {out}")

    try:
        import bench_table
        print(bench_table.render(doc, out_dir, command=None))
    except Exception as exc:  # the JSON is the product; the printout is a courtesy
        log(f"run_bench: could not render the table: {exc}")
    for name, t in doc["targets"].items():
        log(f"run_bench: target {name}: {t}")
    return 1 if errors and not outputs else 0


if __name__ == "__main__":
    sys.exit(main())
