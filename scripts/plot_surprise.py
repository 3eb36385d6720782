#!/usr/bin/python3
"""Plot predsense-video's per-frame surprise with its boundaries.

    /usr/bin/python3 scripts/plot_surprise.py RESULT.json OUT.png [--cuts FILE] [--title TEXT]

RESULT.json is predsense-video --json output ({"fps", "frames", "surprise", "boundaries", ...}).
--cuts names a file of true cut frames (one per line, e.g. make_tour_video.sh's OUT.mp4.cuts),
drawn as marks under the curve. The first frame's surprise (1 by convention) is not drawn.
"""
import argparse
import json

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("result")
    ap.add_argument("out")
    ap.add_argument("--cuts", help="file with the true cut frames, one per line")
    ap.add_argument("--title")
    a = ap.parse_args()
    with open(a.result) as f:
        r = json.load(f)
    fps = float(r["fps"])
    s = r["surprise"]
    t = r.get("times") or [i / fps for i in range(len(s))]
    fig, ax = plt.subplots(figsize=(10, 3.2), dpi=110)
    ax.plot(t[1:], s[1:], lw=1.0, color="#1f5fa8", label="surprise (1 - token cosine to the prediction)")
    for k, b in enumerate(r["boundaries"]):
        ax.axvline(b["time"], color="#d62728", lw=0.9, ls="--", label="boundary found" if k == 0 else None)
    if a.cuts:
        with open(a.cuts) as f:
            cuts = [int(x) for x in f.read().split()]
        ymin = min(s[1:], default=0.0)
        ax.plot([t[c] if c < len(t) else c / fps for c in cuts], [ymin] * len(cuts), "^", color="#2ca02c", ms=7, label="true cut")
    ax.set_xlabel("time (s)")
    ax.set_ylabel("surprise")
    ax.set_xlim(0, max(t[-1], 1e-9) if t else 1)
    name = r.get("input") or r.get("features") or ""
    ax.set_title(a.title or f"{name}: {r['frames']} frames at {fps:g} fps, {len(r['boundaries'])} boundaries",
                 fontsize=10)
    ax.legend(loc="upper right", fontsize=8)
    ax.grid(alpha=0.3)
    fig.tight_layout()
    fig.savefig(a.out, format="png")


if __name__ == "__main__":
    main()
