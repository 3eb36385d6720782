#!/usr/bin/env python3
"""Markdown tables from predsense-memory-recall --devset JSON (docs/memory.md).

  /usr/bin/python3 scripts/recall_report.py out.json [more.json ...]
"""
import json
import sys


def main() -> int:
    for path in sys.argv[1:]:
        r = json.load(open(path))
        c = r["config"]
        mins = [str(m) for m in c["minutes"]]
        print(f"\n{path}: encoder {c['encoder']}, seeds {c['first_seed']}..{c['first_seed'] + c['seeds'] - 1}, "
              f"window {c['window']}, threshold {c['threshold']} (absolute-threshold policies)\n")
        head = " | ".join(f"{m} min kept / recall / rank" for m in mins)
        print(f"| policy | budget | {head} |")
        print("|---|---|" + "---|" * len(mins))
        res = r["results"]
        order = ["peak_preserving", "drop_merge", "drop", "fifo", "uniform_stride", "keep_all"]
        for p in order:
            for b, per in res.get(p, {}).items():
                cells = []
                for m in mins:
                    v = per[m]
                    cells.append(f"{v['kept'] * 100:.0f}% / {v['recalled'] * 100:.0f}% / {v['mean_rank']:.1f}")
                print(f"| {p} | {b} | " + " | ".join(cells) + " |")
        print("\nWith every frame kept, needles in the top 4 (and their mean rank):\n")
        print("| retrieval | " + " | ".join(f"{m} min" for m in mins) + " |")
        print("|---|" + "---|" * len(mins))
        for k in ("token_mean", "late_interaction", "coarse_to_fine"):
            cells = [f"{r['retrieval_keep_all'][m][k]['top4'] * 100:.0f}% ({r['retrieval_keep_all'][m][k]['mean_rank']:.1f})"
                     for m in mins]
            print(f"| {k} | " + " | ".join(cells) + " |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
