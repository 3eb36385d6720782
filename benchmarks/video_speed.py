#!/usr/bin/python3
"""Frames per second of the whole predsense-video (decode, scale, embed, predict, detect, remember) and
of ffmpeg's scene filter alone on the same files, side by side in one run, as a ratio.

    /usr/bin/python3 benchmarks/video_speed.py DEVSET_DIR... [--tool build/bin/predsense-video] [--repeat 3]
        [--threads N] [--breakdown] [-- extra predsense-video options]

Threads: both sides get the same decoder thread count, --threads N (default: the machine's cores):
`ffmpeg -threads N -i FILE -vf "select='gt(scene,0.3)'" -f null -` and `predsense-video --threads N
FILE`. predsense-video decodes in process (ffmpeg/frame_source.hpp) and adds two threads of its own
(one decodes, scales, embeds and makes thumbnails ahead; the main one runs the stream); ffmpeg's
command line adds its own main thread (demuxing and the filter). Each file is run --repeat times
alternating the two (interleaved, so both see the same load), best wall time kept (the machine is
shared). Prints per-file frames/s, the ratio predsense / ffmpeg-scene, the CPU time (user + system)
per frame of both, the commit, the machine and the load average before and after the run.
--breakdown: also the CPU ms per frame of each part of predsense-video (its --profile, best of
--repeat per part): decode (the decoder's threads and demuxing), scale, embed, thumbnail, predict,
surprise, segment (the transition detector), memory.
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
    ap.add_argument("devset", type=Path, nargs="+")
    ap.add_argument("--tool", type=Path, default=Path(__file__).resolve().parents[1] / "build" / "bin" / "predsense-video")
    ap.add_argument("--repeat", type=int, default=3, help="runs per file and side, best kept (default 3)")
    ap.add_argument("--threads", type=int, default=os.cpu_count(), help="decoder threads on both sides")
    ap.add_argument("--breakdown", action="store_true",
                    help="also predsense-video's --profile: CPU ms per frame of each part")
    ap.add_argument("extra", nargs="*", help="extra predsense-video options (after --)")
    a = ap.parse_args()
    truths = sorted(t for d in a.devset for t in d.glob("dev*.json"))
    if not truths or not a.tool.exists():
        print("video_speed: need a dev set (scripts/make_video_devset.py) and a built predsense-video", file=sys.stderr)
        return 2
    src = Path(__file__).resolve().parents[1]
    commit = subprocess.run(["git", "-C", str(src), "describe", "--always", "--dirty"], capture_output=True,
                            text=True).stdout.strip() or "unknown"
    load0 = os.getloadavg()
    rows, tot_f, tot_p, tot_s, cpu_p, cpu_s = [], 0, 0.0, 0.0, 0.0, 0.0
    parts = {}
    for tp in truths:
        truth = json.loads(tp.read_text())
        video = tp.with_name(truth["video"])
        n = truth["frames"]
        best_p = best_s = (float("inf"), 0.0)
        for _ in range(a.repeat):
            best_p = min(best_p, timed([str(a.tool), str(video), "-q", "--threads", str(a.threads), *a.extra]))
            best_s = min(best_s, timed(["ffmpeg", "-nostdin", "-v", "error", "-threads", str(a.threads), "-i",
                                        str(video), "-map", "0:v:0", "-vf", "select='gt(scene,0.3)'", "-fps_mode",
                                        "passthrough", "-an", "-f", "null", "-"]))
        if a.breakdown:  # predsense-video --profile: CPU ms per frame of each part, best of --repeat per part
            best = {}
            for _ in range(a.repeat):
                err = subprocess.run([str(a.tool), str(video), "-q", "--profile", "--threads", str(a.threads),
                                      *a.extra], check=True, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                                     text=True).stderr
                line = next(l for l in err.splitlines() if "profile" in l)
                for item in line.split("frames: ", 1)[1].replace(";", ",").split(", "):
                    k, v = item.strip().rsplit(" ", 1)
                    best[k] = min(best.get(k, float("inf")), float(v))
            for k, v in best.items():
                parts[k] = parts.get(k, 0.0) + v * n / 1e3
        rows.append((video.parent.name + "/" + video.name, n, n / best_p[0], n / best_s[0], best_p[1] / n, best_s[1] / n))
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
        print("\n| part | CPU ms per frame |\n|---|---|")
        for k, v in parts.items():
            print(f"| {k} | {1e3 * v / tot_f:.3f} |")
        print(f"| (whole run, incl. start-up and outputs) | {1e3 * cpu_p / tot_f:.3f} |")
        print(f"| ffmpeg scene filter, whole run | {1e3 * cpu_s / tot_f:.3f} |")
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
          f"decoder threads {a.threads} on both sides (predsense-video adds 2 of its own, ffmpeg its main thread)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
