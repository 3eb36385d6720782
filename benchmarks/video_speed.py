#!/usr/bin/python3
"""Frames per second of the whole predsense-video (decode + embed + predict + detect + memory) and of
ffmpeg's scene filter alone on the same files, side by side in one run, as a ratio.

    /usr/bin/python3 benchmarks/video_speed.py DEVSET_DIR [--tool build/bin/predsense-video] [--repeat 3]
        [-- extra predsense-video options]

Both sides decode the same file with ffmpeg's default thread count (predsense-video's ffmpeg child
and the peer's ffmpeg get the same options); predsense-video's own work runs on one thread. Each file
is run --repeat times alternating the two, best time kept (the machine is shared). Prints per-file
frames/s and the ratio predsense / ffmpeg-scene, with the load average at the end of the run.
"""
import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path


def timed(cmd, env=None):
    t0 = time.perf_counter()
    subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env)
    return time.perf_counter() - t0


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("devset", type=Path)
    ap.add_argument("--tool", type=Path, default=Path(__file__).resolve().parents[1] / "build" / "bin" / "predsense-video")
    ap.add_argument("--repeat", type=int, default=3, help="runs per file and side, best kept (default 3)")
    ap.add_argument("extra", nargs="*", help="extra predsense-video options (after --)")
    a = ap.parse_args()
    truths = sorted(a.devset.glob("*.json"))
    if not truths or not a.tool.exists():
        print("video_speed: need a dev set (scripts/make_video_devset.py) and a built predsense-video", file=sys.stderr)
        return 2
    rows, tot_f, tot_p, tot_s = [], 0, 0.0, 0.0
    for tp in truths:
        truth = json.loads(tp.read_text())
        video = tp.with_name(truth["video"])
        n = truth["frames"]
        best_p = best_s = float("inf")
        for _ in range(a.repeat):
            best_p = min(best_p, timed([str(a.tool), str(video), "-q", *a.extra]))
            best_s = min(best_s, timed(["ffmpeg", "-nostdin", "-v", "error", "-i", str(video), "-map", "0:v:0", "-vf",
                                        "select='gt(scene,0.3)'", "-fps_mode", "passthrough", "-an", "-f", "null", "-"]))
        rows.append((video.name, n, n / best_p, n / best_s))
        tot_f += n
        tot_p += best_p
        tot_s += best_s
    print("| video | frames | predsense-video frames/s | ffmpeg scene filter frames/s | ratio |")
    print("|---|---|---|---|---|")
    for name, n, fp, fs in rows:
        print(f"| {name} | {n} | {fp:.0f} | {fs:.0f} | {fp / fs:.2f} |")
    print(f"| **all** | {tot_f} | {tot_f / tot_p:.0f} | {tot_f / tot_s:.0f} | **{(tot_f / tot_p) / (tot_f / tot_s):.2f}** |")
    print(f"machine: {os.cpu_count()} cores; load average {os.getloadavg()[0]:.1f}; "
          f"{time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}; ffmpeg threads: its default on both sides")
    return 0


if __name__ == "__main__":
    sys.exit(main())
