#!/usr/bin/python3
"""Corpus throughput of predsense.corpus: 1 and 2 Dask workers, and a projection.

    /usr/bin/python3 benchmarks/bench_corpus.py --build BUILD [--quick] [--repeat R]

Generates (once, cached in BUILD/bench/corpus-inputs/) a corpus per mode:
  video24   N clips of S s, 640x360 H.264 at 24 fps, every frame through the pipeline (tool default)
  video24@1 the same clips with --fps 1 (every frame is still decoded, 1 per second goes through)
  video1    N clips of 60*S s encoded at 1 fps (a corpus already sampled at 1 fps), every frame
  features  N .npy of F frames x 64 x 256 float32 (the embedder's shape; no decoding)
and runs predsense.corpus.run on each, in a fresh output folder, with
  1w/1core  a LocalCluster of 1 worker, the process pinned to one core (ffmpeg then decodes on one
            thread): the per-core cost
  1w        1 worker, both cores allowed (ffmpeg's decoder threads use the second core)
  2w        2 workers (one per core), both cores
Each configuration runs in its own process (affinity set before Dask starts); R rounds of the three
in turn, per configuration and mode the fastest round kept (others share this machine). Cluster start-up is timed separately, not in throughput.
Writes BUILD/bench/corpus.json and prints the tables of docs/corpus.md (throughput, scaling, and the
projection for H hours of video on K machines of C cores from the per-core cost and the measured
2-core efficiency).
"""
from __future__ import annotations

import argparse
import datetime
import json
import os
import platform
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SOURCES = ["testsrc2", "mandelbrot", "life=mold=10:ratio=0.5:seed=7:size=640x360", "smptehdbars",
           "cellauto=rule=110:size=640x360", "rgbtestsrc", "testsrc", "mandelbrot=start_scale=1.5"]


def log(msg):
    print(msg, file=sys.stderr, flush=True)


def make_inputs(base: Path, n: int, seconds: float, frames: int) -> dict:
    d = base / f"videos-n{n}-s{seconds}"
    fd = base / f"features-n{n}-f{frames}"
    d.mkdir(parents=True, exist_ok=True)
    fd.mkdir(parents=True, exist_ok=True)
    out = {"video24": [], "video1": [], "features": []}
    for i in range(n):
        name, _, opts = SOURCES[i % len(SOURCES)].partition("=")
        opts = ":".join(o for o in opts.split(":") if o and not o.startswith("size="))
        for mode, rate, dur in (("video24", 24, seconds), ("video1", 1, 60 * seconds)):
            p = d / f"{mode}_{i:02d}.mp4"
            if not p.exists():
                src = f"{name}=size=640x360:rate={rate}" + (f":{opts}" if opts else "")
                # two shots per clip: the source, then its hue-rotated copy
                graph = (f"{src},trim=duration={dur / 2}[a];{src},trim=duration={dur / 2},hue=h=120[b];"
                         "[a][b]concat=n=2:v=1")
                tmp = p.with_suffix(".tmp.mp4")
                subprocess.run(["ffmpeg", "-v", "error", "-y", "-f", "lavfi", "-i", graph, "-pix_fmt", "yuv420p",
                                "-c:v", "libx264", "-preset", "veryfast", "-g", str(max(rate * 2, 2)), str(tmp)],
                               check=True)
                tmp.rename(p)
            out[mode].append(p)
        p = fd / f"features_{i:02d}.npy"
        if not p.exists():
            import numpy as np
            rng = np.random.default_rng(i)
            scenes = rng.standard_normal((8, 64, 256)).astype(np.float32)
            a = np.repeat(scenes, frames // 8, axis=0)
            a += 0.1 * rng.standard_normal(a.shape).astype(np.float32)
            np.save(p.with_suffix(".tmp.npy"), a)
            p.with_suffix(".tmp.npy").rename(p)
        out["features"].append(p)
    return out


def machine_busy():
    """(busy, total) CPU seconds of the whole machine so far (/proc/stat, all cores)."""
    with open("/proc/stat") as f:
        v = [int(x) for x in f.readline().split()[1:]]
    hz = os.sysconf("SC_CLK_TCK")
    idle = v[3] + v[4]  # idle + iowait
    return (sum(v[:8]) - idle) / hz, sum(v[:8]) / hz


def wait_quiet(max_wait: float, busy_cores: float = 0.3) -> float:
    """Waits (at most max_wait s) until the other users' processes use < busy_cores cores over 2 s;
    returns the cores they used in the last sample."""
    end = time.monotonic() + max_wait
    while True:
        b0, t0 = machine_busy()
        time.sleep(2.0)
        b1, t1 = machine_busy()
        others = (b1 - b0) / 2.0
        if others < busy_cores or time.monotonic() > end:
            return others


def child(args) -> None:
    """One configuration: pin, start a LocalCluster, run every mode R times, print JSON."""
    if args.cpus:
        os.sched_setaffinity(0, {int(c) for c in args.cpus.split(",")})
    if args.nice:
        os.setpriority(os.PRIO_PROCESS, 0, args.nice)  # before any thread: Dask, the tools, ffmpeg inherit it
    import logging
    from distributed import Client, LocalCluster
    import predsense.corpus as pc
    spec = json.loads(Path(args.spec).read_text())
    t0 = time.perf_counter()
    cluster = LocalCluster(n_workers=args.workers, threads_per_worker=1, processes=True, dashboard_address=":0",
                           silence_logs=logging.ERROR, env={"OMP_NUM_THREADS": "1",
                                                            "PYTHONPATH": os.environ.get("PYTHONPATH", "")})
    client = Client(cluster)
    startup = time.perf_counter() - t0
    res = {"startup_s": startup, "modes": {}}
    with tempfile.TemporaryDirectory(prefix="bench-corpus.") as tmp:
        for mode, inputs in spec["modes"].items():
            cfg = pc.Config(fps=1.0) if mode == "video24@1" else pc.Config()
            runs = []
            for r in range(args.repeat):
                out = Path(tmp) / f"{mode}-{r}"
                before = wait_quiet(args.max_wait)
                b0, _ = machine_busy()
                t = time.perf_counter()
                df = pc.run(inputs, cfg, out, client=client, tool=spec["tool"])
                wall = time.perf_counter() - t
                b1, _ = machine_busy()
                if not (df["status"] == "done").all():
                    raise SystemExit(f"bench_corpus: {mode}: {df[df.status != 'done'][['input', 'error']]}")
                runs.append({"wall_s": wall, "frames": int(df["frames"].sum()), "inputs": len(df),
                             "cpu_s": float(df["cpu_s"].sum()), "task_wall_s": float(df["wall_s"].sum()),
                             # other users' CPU: the machine's busy time minus our tools' (Dask's own is
                             # counted as theirs, so this is an upper bound), in cores
                             "others_cores_before": before,
                             "others_cores": max(0.0, (b1 - b0) - float(df["cpu_s"].sum())) / wall})
            best = min(runs, key=lambda x: x["wall_s"])
            res["modes"][mode] = {**best, "all_wall_s": [x["wall_s"] for x in runs]}
    client.close()
    cluster.close()
    print(json.dumps(res))


def fmt_dur(s: float) -> str:
    if s < 120:
        return f"{s:.0f} s"
    if s < 2 * 3600:
        return f"{s / 60:.0f} min"
    if s < 3 * 86400:
        return f"{s / 3600:.1f} h"
    return f"{s / 86400:.1f} days"


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--build", default="build")
    ap.add_argument("--quick", action="store_true", help="fewer, shorter inputs (a smoke run)")
    ap.add_argument("--repeat", type=int, default=3, help="rounds (the fastest is kept)")
    ap.add_argument("--report", metavar="JSON", help="print the tables of an earlier run's corpus.json again")
    ap.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    ap.add_argument("--workers", type=int, help=argparse.SUPPRESS)
    ap.add_argument("--cpus", help=argparse.SUPPRESS)
    ap.add_argument("--nice", type=int, default=0,
                    help="niceness of the measured processes; e.g. -10 (root) so that they get the cores ahead of "
                         "other users' jobs on a shared machine (recorded)")
    ap.add_argument("--max-wait", type=float, default=60.0,
                    help="before each measurement wait up to this many seconds for other users' load to drop")
    ap.add_argument("--spec", help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.child:
        return child(args)
    if args.report:
        out = json.loads(Path(args.report).read_text())
        report(out)
        print(out["table"])
        return None

    build = Path(args.build).absolute()
    tool = build / "bin" / "predsense-video"
    if not tool.exists():
        raise SystemExit(f"bench_corpus: {tool} not built")
    n, seconds, frames = (4, 6, 160) if args.quick else (8, 20, 1200)
    inputs = make_inputs(build / "bench" / "corpus-inputs", n, seconds, frames)
    # the 1 fps clips are 60x longer: half of them are enough
    modes = {"video24": inputs["video24"], "video24@1": inputs["video24"], "video1": inputs["video1"][: max(2, n // 2)],
             "features": inputs["features"]}
    spec = {"tool": str(tool), "modes": {m: [str(p) for p in v] for m, v in modes.items()}}
    cpus = sorted(os.sched_getaffinity(0))
    env = dict(os.environ, PYTHONPATH=str(build / "python"), OMP_NUM_THREADS="1")
    load0 = os.getloadavg()
    results = {}
    with tempfile.NamedTemporaryFile("w", suffix=".json") as sf:
        json.dump(spec, sf)
        sf.flush()
        # rounds of the three configurations in turn, so that other users' load hits all of them alike;
        # per configuration and mode the fastest round is kept
        for rnd in range(args.repeat):
            for name, workers, pin in (("1w/1core", 1, str(cpus[0])), ("1w", 1, None), ("2w", 2, None)):
                log(f"bench_corpus: round {rnd + 1}/{args.repeat}: {name} (load {os.getloadavg()[0]:.2f}) ...")
                cmd = [sys.executable, __file__, "--child", "--workers", str(workers), "--spec", sf.name,
                       "--repeat", "1", "--max-wait", str(args.max_wait), "--nice", str(args.nice)] + (["--cpus", pin] if pin else [])
                r = subprocess.run(cmd, env=env, capture_output=True, text=True)
                if r.returncode != 0:
                    raise SystemExit(f"bench_corpus: {name} failed:\n{r.stderr[-3000:]}")
                got = json.loads(r.stdout.strip().splitlines()[-1])
                if name not in results:
                    results[name] = got
                    continue
                results[name]["startup_s"] = min(results[name]["startup_s"], got["startup_s"])
                for mode, m in got["modes"].items():
                    old = results[name]["modes"][mode]
                    walls = old["all_wall_s"] + m["all_wall_s"]
                    results[name]["modes"][mode] = {**(m if m["wall_s"] < old["wall_s"] else old), "all_wall_s": walls}
    load1 = os.getloadavg()
    machine = {"cpu": next((l.split(":", 1)[1].strip() for l in open("/proc/cpuinfo") if l.startswith("model name")), "?"),
               "cores": os.cpu_count(), "python": platform.python_version(),
               "date": datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
               "load_before": [round(x, 2) for x in load0], "load_after": [round(x, 2) for x in load1],
               "nice": args.nice}
    out = {"machine": machine, "inputs": {"n": n, "seconds": seconds, "feature_frames": frames, "size": "640x360",
                                          "codec": "h264 (libx264 veryfast)", "repeat": args.repeat,
                                          "per_mode": {m: len(v) for m, v in modes.items()},
                                          "bytes": {m: sum(Path(p).stat().st_size for p in v) for m, v in modes.items()}},
           "raw": results, "command": " ".join(["/usr/bin/python3", "benchmarks/bench_corpus.py"] + sys.argv[1:]),
           # the tool measured (its detector and defaults change between commits)
           "tool": {"path": str(tool), "sha256": __import__("hashlib").sha256(tool.read_bytes()).hexdigest(),
                    "mtime": datetime.datetime.fromtimestamp(tool.stat().st_mtime, datetime.timezone.utc).isoformat(),
                    "source_commit": subprocess.run(["git", "-C", str(ROOT), "rev-parse", "--short", "HEAD"],
                                                    capture_output=True, text=True).stdout.strip()}}
    report(out)
    dst = build / "bench" / "corpus.json"
    dst.parent.mkdir(parents=True, exist_ok=True)
    tmp = dst.with_suffix(".json.tmp")
    tmp.write_text(json.dumps(out, indent=1) + "\n")
    tmp.rename(dst)
    print(out["table"])
    print(f"\nwrote {dst}")


def report(out: dict) -> None:
    """Adds "modes", "projection_s_for_1000_hours", "io_mb_per_video_s" and "table" to `out` from its
    "raw" measurements (also: --report BUILD/bench/corpus.json, to print them again)."""
    results, machine, inp = out["raw"], out["machine"], out["inputs"]
    seconds, frames, n_in = inp["seconds"], inp["feature_frames"], inp["per_mode"]
    # source seconds per input (the tool's own frame count / rate would be equivalent)
    src_s = {"video24": seconds, "video24@1": seconds, "video1": 60 * seconds, "features": None}
    rows = {}
    for mode in n_in:
        row = {}
        for name in results:
            m = results[name]["modes"][mode]
            row[name] = {"frames_per_s": m["frames"] / m["wall_s"], "inputs_per_s": m["inputs"] / m["wall_s"],
                         "wall_s": m["wall_s"], "cpu_s_per_frame": m["cpu_s"] / m["frames"],
                         "video_s_per_s": (src_s[mode] * m["inputs"] / m["wall_s"]) if src_s[mode] else None,
                         "video_s_per_cpu_s": (src_s[mode] * m["inputs"] / m["cpu_s"]) if src_s[mode] else None,
                         # fraction of the run the workers spent inside tasks (1.0: the engine kept them busy)
                         "busy": m["task_wall_s"] / (m["wall_s"] * (2 if name == "2w" else 1)),
                         "others_cores": m["others_cores"]}
        row["speedup_2w_vs_1core"] = row["2w"]["frames_per_s"] / row["1w/1core"]["frames_per_s"]
        row["speedup_2w_vs_1w"] = row["2w"]["frames_per_s"] / row["1w"]["frames_per_s"]
        # What an idle machine would give, derived (not measured): 2 cores x the workers' busy fraction
        # relative to the 1-core run's x the CPU cost per frame relative to it. Both factors are
        # ratios of CPU and in-task times, which other users' load changes little.
        row["speedup_derived"] = (2 * row["2w"]["busy"] / row["1w/1core"]["busy"]
                                  * row["1w/1core"]["cpu_s_per_frame"] / row["2w"]["cpu_s_per_frame"])
        rows[mode] = row
    out["modes"] = rows
    load0, load1 = machine["load_before"], machine["load_after"]
    lines = [f"machine: {machine['cpu']}, {machine['cores']} cores; {machine['date']}; load average before "
             f"{load0[0]:.2f}, after {load1[0]:.2f} (other users share this machine); measured at nice {machine['nice']}",
             f"corpus: inputs per mode {n_in}; videos 640x360 H.264, {seconds} s at 24 fps or {60 * seconds} s at 1 fps; "
             f"features {frames} x 64 x 256 float32; best of {inp['repeat']}; LocalCluster start-up " +
             ", ".join(f"{k} {v['startup_s']:.1f} s" for k, v in results.items()), "",
             "| mode | frames | 1 worker, 1 core: frames/s (inputs/s) | 1 worker: frames/s | 2 workers: frames/s (inputs/s) "
             "| 2w / 1w-1core | 2w / 1w | busy (1 core / 2 workers) | CPU ms per frame (1 core / 2 workers) "
             "| derived 2w / 1 core on an idle machine | others' cores (1w-1core / 1w / 2w) |",
             "|---|---|---|---|---|---|---|---|---|---|---|"]
    for mode, row in rows.items():
        a, b, c = row["1w/1core"], row["1w"], row["2w"]
        frames_total = results["2w"]["modes"][mode]["frames"]
        lines.append(f"| {mode} | {frames_total} | {a['frames_per_s']:.0f} ({a['inputs_per_s']:.2f}) | {b['frames_per_s']:.0f} "
                     f"| {c['frames_per_s']:.0f} ({c['inputs_per_s']:.2f}) | {row['speedup_2w_vs_1core']:.2f}x "
                     f"| {row['speedup_2w_vs_1w']:.2f}x | {100 * a['busy']:.0f}% / {100 * c['busy']:.0f}% "
                     f"| {1000 * a['cpu_s_per_frame']:.2f} / {1000 * c['cpu_s_per_frame']:.2f} | {row['speedup_derived']:.2f}x "
                     f"| {a['others_cores']:.2f} / {b['others_cores']:.2f} / {c['others_cores']:.2f} |")

    # Projection from CPU time, which other users' load barely changes: a core processes
    # video_s_per_cpu_s seconds of video per second (tool + ffmpeg CPU of the 2-worker run: two
    # pipelines side by side, as on a full machine), times K*C cores, times the efficiency = the
    # 2-worker run's busy fraction (scheduling gaps, start-up, the last inputs' tail).
    proj = {}
    lines += ["", "Projection for 1000 hours of video: hours * 3600 / (video s per CPU s * K * C * efficiency):", "",
              "| video | video s per CPU s | efficiency | 1 x 2 cores | 1 x 32 cores | 10 x 32 cores | 100 x 32 cores |",
              "|---|---|---|---|---|---|---|"]
    labels = {"video24": "24 fps, every frame", "video24@1": "24 fps, sampled at 1 fps (--fps 1)",
              "video1": "1 fps file, every frame"}
    hours = 1000
    for mode in ("video24", "video24@1", "video1"):
        per_core, eff = rows[mode]["2w"]["video_s_per_cpu_s"], min(1.0, rows[mode]["2w"]["busy"])
        cells = []
        for k, c in ((1, 2), (1, 32), (10, 32), (100, 32)):
            t = hours * 3600 / (per_core * k * c * eff)
            proj.setdefault(mode, {})[f"{k}x{c}"] = t
            cells.append(fmt_dur(t))
        lines.append(f"| {labels[mode]} | {per_core:.1f} | {eff:.2f} | " + " | ".join(cells) + " |")
    out["io_mb_per_video_s"] = {}
    for mode in ("video24", "video1"):
        mb = inp["bytes"][mode] / 1e6 / (src_s[mode] * n_in[mode])
        per_machine = mb * rows[mode]["2w"]["video_s_per_cpu_s"] * 32 * min(1.0, rows[mode]["2w"]["busy"])
        out["io_mb_per_video_s"][mode] = mb
        lines.append(f"\nI/O, {labels[mode]}: {mb:.3f} MB per video second at 640x360 -> a 32-core machine reads "
                     f"{per_machine:.0f} MB/s at that throughput")
    fe = rows["features"]["2w"]
    lines.append(f"\nfeatures (64 x 256 float32 per frame = 64 KiB, no decoding): {1 / fe['cpu_s_per_frame']:.0f} frames "
                 f"per CPU s = {1 / fe['cpu_s_per_frame'] / 3600:.1f} hours of 1 fps features per second per core")
    out["projection_s_for_1000_hours"] = proj
    out["table"] = "\n".join(lines)


if __name__ == "__main__":
    main()
