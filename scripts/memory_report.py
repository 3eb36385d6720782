#!/usr/bin/python3
"""Regenerates the recall table and figures of docs/memory.md.

    /usr/bin/python3 scripts/memory_report.py [--build build] [--seeds 20]

Runs build/bin/predsense-memory-recall (every policy, streams of 10-240 minutes, `--seeds` streams
each), prints the markdown recall table, and draws
    docs/img/memory_recall.png         fraction of streams whose four needles are recalled in order
    docs/img/memory_4h_timeline.png    what each policy keeps of one 4-hour stream
"""
from __future__ import annotations

import argparse
import json
import subprocess
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
ORDER = ["peak_preserving", "drop_merge", "drop", "similarity_merge", "surprise_reservoir", "sinks_recent",
         "uniform_stride", "fifo"]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--build", default=str(ROOT / "build"))
    ap.add_argument("--seeds", type=int, default=20)
    ap.add_argument("--out", default=str(ROOT / "docs" / "img"))
    args = ap.parse_args()
    exe = Path(args.build) / "bin" / "predsense-memory-recall"
    r = subprocess.run([str(exe), "--seeds", str(args.seeds), "--timeline-minutes", "240"],
                       capture_output=True, text=True, check=True)
    data = json.loads(r.stdout)
    res, minutes = data["results"], data["config"]["minutes"]
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)

    print(f"Streams per length: {args.seeds}; budget {data['config']['budget']} tokens, window "
          f"{data['config']['window']}, threshold {data['config']['threshold']}, dim {data['config']['dim']}.\n")
    print("| policy | " + " | ".join(f"{m} min" for m in minutes) + " |")
    print("|---|" + "---|" * len(minutes))
    for p in ORDER:
        cells = []
        for m in minutes:
            c = res[p][str(m)]
            cells.append(f"{c['recalled']:.2f}" + ("" if c["kept"] == c["recalled"] else f" (kept {c['kept']:.2f})"))
        print(f"| {p} | " + " | ".join(cells) + " |")

    fig, ax = plt.subplots(figsize=(7, 4))
    for p in ORDER:
        ax.plot(minutes, [res[p][str(m)]["recalled"] for m in minutes], marker="o", label=p)
    ax.set_xscale("log")
    ax.set_xticks(minutes)
    ax.set_xticklabels([str(m) for m in minutes])
    ax.set_xlabel("stream length (minutes at 1 fps)")
    ax.set_ylabel("streams with all 4 needles recalled in order")
    ax.set_ylim(-0.05, 1.05)
    ax.set_title(f"VSR-like needle recall, budget {data['config']['budget']} tokens")
    ax.legend(fontsize=8, loc="center left")
    ax.grid(alpha=0.3)
    fig.tight_layout()
    fig.savefig(out / "memory_recall.png", dpi=120)

    t = data["timeline"]
    n = len(t["surprise"])
    fig, axes = plt.subplots(len(ORDER) + 1, 1, figsize=(10, 1.0 + 0.75 * (len(ORDER) + 1)), sharex=True,
                             gridspec_kw={"height_ratios": [2] + [1] * len(ORDER)})
    mins = [i / 60 for i in range(n)]
    axes[0].plot(mins, t["surprise"], lw=0.4, color="0.3")
    axes[0].set_ylabel("surprise", fontsize=8)
    for a in axes:
        for nd in t["needles"]:
            a.axvline(nd / 60, color="red", lw=0.8, alpha=0.6)
    for a, p in zip(axes[1:], ORDER):
        ents = t["policies"][p]["entries"]
        full = [e for e in ents if e[3] >= 64]
        pooled = [e for e in ents if e[3] < 64]
        a.vlines([e[0] / 60 for e in pooled], 0, 0.5, color="tab:blue", lw=0.5)
        a.vlines([e[0] / 60 for e in full], 0, 1.0, color="tab:orange", lw=0.6)
        spans = [e for e in ents if e[2] > 1]
        a.hlines([1.05] * len(spans), [e[0] / 60 for e in spans], [e[1] / 60 for e in spans], color="k", lw=1.5)
        v = t["policies"][p]
        a.set_ylabel(p, rotation=0, ha="right", va="center", fontsize=8)
        a.set_yticks([])
        a.set_ylim(0, 1.15)
        a.text(1.0, 0.5, "recalled" if v["recalled"] else "missed", transform=a.transAxes, fontsize=8,
               color="green" if v["recalled"] else "red", va="center")
    axes[-1].set_xlabel("minute of the stream (red: the four needles; orange: kept at 64 tokens, "
                        "blue: pooled to 16, black: merged runs)")
    axes[0].set_title("What each policy keeps of one 4-hour stream (14,400 frames, budget 8192 tokens)")
    fig.tight_layout()
    fig.savefig(out / "memory_4h_timeline.png", dpi=120)


if __name__ == "__main__":
    main()
