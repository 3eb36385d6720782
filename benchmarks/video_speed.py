#!/usr/bin/python3
"""Frames per second of the whole predsense-video (decode + embed + predict + detect + memory) and of
ffmpeg's scene filter alone on the same files, side by side in one run, as a ratio.

    /usr/bin/python3 benchmarks/video_speed.py DEVSET_DIR [--tool build/bin/predsense-video] [--repeat 3]
        [-- extra predsense-video options]

Threads: both sides decode the same file with ffmpeg's default thread count (no -threads option on
either ffmpeg); predsense-video adds its own process with two threads (one reads the frame pipe and
computes the patch tokens and thumbnails, the main one runs predictor, surprise, memory and
detector); ffprobe runs only for inputs whose stream or rate ffmpeg's log does not settle (variable
rate, cover art first; none in the dev sets). Each file is run --repeat times
alternating the two (interleaved, so both see the same load), best wall time kept (the machine is
shared). Prints per-file frames/s, the ratio predsense / ffmpeg-scene, the CPU time (user + system,
all processes of a run) per frame of both, the commit, the machine and the load average before and
after the run.
"""
import argparse
import json
import os
import resource
import subprocess
import sys
import time
from pathlib import Path


def timed(cmd, env=None):
    """(wall seconds, CPU seconds of the command and everything it waited for)."""
    r0 = resource.getrusage(resource.RUSAGE_CHILDREN)
    t0 = time.perf_counter()
    subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env)
    wall = time.perf_counter() - t0
    r1 = resource.getrusage(resource.RUSAGE_CHILDREN)
    return wall, (r1.ru_utime - r0.ru_utime) + (r1.ru_stime - r0.ru_stime)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("devset", type=Path)
    ap.add_argument("--tool", type=Path, default=Path(__file__).resolve().parents[1] / "build" / "bin" / "predsense-video")
    ap.add_argument("--repeat", type=int, default=3, help="runs per file and side, best kept (default 3)")
    ap.add_argument("--breakdown", action="store_true",
                    help="also time predsense-video's ffmpeg command alone (decode + 128x128 rgb24 + showinfo, to "
                         "/dev/null): CPU ms per frame of it and of the rest (predsense-video's own process)")
    ap.add_argument("extra", nargs="*", help="extra predsense-video options (after --)")
    a = ap.parse_args()
    truths = sorted(a.devset.glob("*.json"))
    if not truths or not a.tool.exists():
        print("video_speed: need a dev set (scripts/make_video_devset.py) and a built predsense-video", file=sys.stderr)
        return 2
    src = Path(__file__).resolve().parents[1]
    commit = subprocess.run(["git", "-C", str(src), "describe", "--always", "--dirty"], capture_output=True,
                            text=True).stdout.strip() or "unknown"
    load0 = os.getloadavg()
    rows, tot_f, tot_p, tot_s, cpu_p, cpu_s = [], 0, 0.0, 0.0, 0.0, 0.0
    parts = {"ffmpeg decode + scale": 0.0}
    for tp in truths:
        truth = json.loads(tp.read_text())
        video = tp.with_name(truth["video"])
        n = truth["frames"]
        best_p = best_s = (float("inf"), 0.0)
        for _ in range(a.repeat):
            best_p = min(best_p, timed([str(a.tool), str(video), "-q", *a.extra]))
            best_s = min(best_s, timed(["ffmpeg", "-nostdin", "-v", "error", "-i", str(video), "-map", "0:v:0", "-vf",
                                        "select='gt(scene,0.3)'", "-fps_mode", "passthrough", "-an", "-f", "null", "-"]))
        if a.breakdown:  # the same commands as predsense-video runs, best CPU of --repeat
            dec = ["ffmpeg", "-nostdin", "-hide_banner", "-nostats", "-v", "info", "-i", str(video), "-map", "0:v:0",
                   "-vf", "scale=128:128:flags=area,showinfo=checksum=0", "-pix_fmt", "rgb24", "-fps_mode",
                   "passthrough", "-f", "rawvideo", "-"]
            parts["ffmpeg decode + scale"] += min(timed(dec)[1] for _ in range(a.repeat))
        rows.append((video.name, n, n / best_p[0], n / best_s[0], best_p[1] / n, best_s[1] / n))
        tot_f += n
        tot_p += best_p[0]
        tot_s += best_s[0]
        cpu_p += best_p[1]
        cpu_s += best_s[1]
    print("| video | frames | predsense-video frames/s | ffmpeg scene filter frames/s | ratio | "
          "CPU ms/frame predsense / ffmpeg |")
    print("|---|---|---|---|---|---|")
    for name, n, fp, fs, cp, cs in rows:
        print(f"| {name} | {n} | {fp:.0f} | {fs:.0f} | {fp / fs:.2f} | {1e3 * cp:.2f} / {1e3 * cs:.2f} |")
    print(f"| **all** | {tot_f} | {tot_f / tot_p:.0f} | {tot_f / tot_s:.0f} | **{(tot_f / tot_p) / (tot_f / tot_s):.2f}** | "
          f"{1e3 * cpu_p / tot_f:.2f} / {1e3 * cpu_s / tot_f:.2f} |")
    if a.breakdown:
        own = cpu_p - sum(parts.values())
        print("\nCPU ms per frame of predsense-video's parts: " +
              ", ".join(f"{k} {1e3 * v / tot_f:.2f}" for k, v in parts.items()) +
              f", the rest (its own process, by difference) {1e3 * own / tot_f:.2f}; ffmpeg scene filter "
              f"{1e3 * cpu_s / tot_f:.2f}")
    model = "unknown CPU"
    try:
        for line in open("/proc/cpuinfo"):
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    load1 = os.getloadavg()
    print(f"commit {commit}; {os.cpu_count()} cores ({model}); load average {load0[0]:.1f} before, {load1[0]:.1f} "
          f"after; {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}; best of {a.repeat} interleaved runs; "
          "threads: ffmpeg's default on both sides, predsense-video's own process 2")
    return 0


if __name__ == "__main__":
    sys.exit(main())
