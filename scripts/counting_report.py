#!/usr/bin/python3
"""Make docs/counting.md's table and plots from predsense-vsc's JSON.

    /usr/bin/python3 scripts/counting_report.py [--build build] [--json R.json --trace T.json]
                                                [--minutes 30] [--repeat 3] [--docs docs]

Without --json/--trace it runs <build>/bin/predsense-vsc --json --trace itself (into <build>/vsc/).
Writes
  docs/img/counting_trace.png  predicted vs true count over stream time (one world, class 0, the
                               --minutes/--repeat setting; dotted lines mark the replays),
  docs/img/counting_mra.png    MRA per aggregator against the repeat factor, one panel per length,
and replaces the table between <!-- counting-table:begin --> and <!-- counting-table:end --> in
docs/counting.md (printed too).
"""
from __future__ import annotations

import argparse
import json
import subprocess
import sys
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
AGGS = ["sum", "max", "streaming", "dedup_mnn", "dedup_assign"]
STYLE = {"sum": ("tab:red", "-"), "max": ("tab:gray", "-"), "streaming": ("tab:orange", "-"),
         "dedup_mnn": ("tab:blue", "-"), "dedup_assign": ("tab:cyan", "--")}


def run_cli(build: Path) -> tuple[Path, Path]:
    out = build / "vsc"
    out.mkdir(parents=True, exist_ok=True)
    res, tr = out / "results.json", out / "trace.json"
    cmd = [str(build / "bin" / "predsense-vsc"), "--json", str(res), "--trace", str(tr)]
    print("counting_report:", " ".join(cmd), file=sys.stderr)
    subprocess.run(cmd, check=True, stdout=sys.stderr)
    return res, tr


def table(results: dict) -> str:
    repeats = sorted({int(k.split("_")[1]) for k in results[AGGS[0]]})
    lengths = sorted({float(m) for k in results[AGGS[0]].values() for m in k["minutes"]})
    key = lambda m: str(int(m)) if m == int(m) else json.dumps(m)  # noqa: E731
    head = "| aggregator | repeat | " + " | ".join(f"{key(m)} min" for m in lengths) + " |"
    lines = [head, "|" + "---|" * (2 + len(lengths))]
    for a in AGGS:
        for k in repeats:
            cells = results[a][f"repeat_{k}"]["minutes"]
            row = [f"{cells[key(m)]['mra']:.3f}" for m in lengths]
            name = f"**{a}**" if a.startswith("dedup") else a
            lines.append(f"| {name} | {k}x | " + " | ".join(row) + " |")
    return "\n".join(lines)


def plot_trace(trace: list, minutes: float, repeat: int, out: Path) -> None:
    pick = [t for t in trace if float(t["minutes"]) == minutes and int(t["repeat"]) == repeat]
    if not pick:
        raise SystemExit(f"counting_report: no trace for minutes={minutes} repeat={repeat}")
    t = pick[0]
    fig, ax = plt.subplots(figsize=(8, 4.2))
    x = [v / 60.0 for v in t["t"]]
    ax.step(x, t["truth"], where="post", color="black", lw=2.2, label="true count")
    for a in AGGS:
        c, ls = STYLE[a]
        ax.step(x, t[a], where="post", color=c, ls=ls, lw=1.4, label=a)
    for k in range(1, repeat):
        ax.axvline(k * t["tour_frames"] / 60.0, color="k", ls=":", lw=0.8)
    ax.set_xlabel("stream time (minutes at 1 fps)")
    ax.set_ylabel(f"count of class {t['label']}")
    ax.set_title(f"VSC world, {minutes:g}-min tour played {repeat}x (seed {t['seed']}): answer after each segment")
    ax.legend(loc="upper left", fontsize=8)
    ax.grid(alpha=0.3)
    fig.tight_layout()
    fig.savefig(out, dpi=110)
    plt.close(fig)


def plot_mra(results: dict, out: Path) -> None:
    repeats = sorted({int(k.split("_")[1]) for k in results[AGGS[0]]})
    lengths = sorted({m for k in results[AGGS[0]].values() for m in k["minutes"]}, key=float)
    fig, axes = plt.subplots(1, len(lengths), figsize=(3.0 * len(lengths), 3.2), sharey=True, squeeze=False)
    for ax, m in zip(axes[0], lengths):
        for a in AGGS:
            c, ls = STYLE[a]
            ax.plot(repeats, [results[a][f"repeat_{k}"]["minutes"][m]["mra"] for k in repeats], marker="o",
                    color=c, ls=ls, label=a)
        ax.axhline(0.85, color="k", ls=":", lw=0.8)
        ax.set_title(f"{m} min")
        ax.set_xlabel("repeat")
        ax.set_xticks(repeats)
        ax.grid(alpha=0.3)
    axes[0][0].set_ylabel("MRA")
    axes[0][-1].legend(fontsize=7, loc="center right")
    fig.tight_layout()
    fig.savefig(out, dpi=110)
    plt.close(fig)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--build", type=Path, default=ROOT / "build")
    ap.add_argument("--json", type=Path)
    ap.add_argument("--trace", type=Path)
    ap.add_argument("--minutes", type=float, default=30.0)
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--docs", type=Path, default=ROOT / "docs")
    args = ap.parse_args()
    if (args.json is None) != (args.trace is None):
        ap.error("--json and --trace go together")
    res, tr = (args.json, args.trace) if args.json else run_cli(args.build)
    results = json.loads(res.read_text())
    trace = json.loads(tr.read_text())
    img = args.docs / "img"
    img.mkdir(parents=True, exist_ok=True)
    plot_trace(trace, args.minutes, args.repeat, img / "counting_trace.png")
    plot_mra(results, img / "counting_mra.png")
    tab = table(results)
    print(tab)
    page = args.docs / "counting.md"
    if page.is_file():
        text = page.read_text()
        b, e = "<!-- counting-table:begin -->", "<!-- counting-table:end -->"
        if b in text and e in text:
            pre, rest = text.split(b, 1)
            _, post = rest.split(e, 1)
            tmp = page.with_suffix(".md.tmp")
            tmp.write_text(pre + b + "\n" + tab + "\n" + e + post)
            tmp.replace(page)
    return 0


if __name__ == "__main__":
    sys.exit(main())
