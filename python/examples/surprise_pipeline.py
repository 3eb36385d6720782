"""Run the default predsense pipeline over a generated latent stream and plot its surprise.

    PYTHONPATH=build/python /usr/bin/python3 python/examples/surprise_pipeline.py [--plot out.png]
"""
import argparse

import numpy as np

import predsense as ps


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--plot", help="write a PNG of surprise with detected and true boundaries")
    ap.add_argument("--frames", type=int, default=300)
    args = ap.parse_args()

    frames, truth = ps.synthetic_stream(frames=args.frames, tokens=64, dim=256, mean_scene_length=40, seed=11)
    stream = ps.Stream(segmenter=("adaptive", {"window": 64, "min_block": 8}),
                       memory=("drop_merge", {"threshold": 0.1, "window": 16, "budget": 2048}))
    surprise, found = stream.run(frames)
    print(f"{len(frames)} frames, true changes {list(truth)}")
    print(f"detected boundaries {list(found)}")
    hits = len(set(found.tolist()) & set(truth))
    print(f"{hits} of {len(truth)} changes found, {len(found) - hits} false alarms")

    if args.plot:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt

        fig, ax = plt.subplots(figsize=(9, 3))
        ax.plot(np.arange(len(surprise))[1:], surprise[1:], lw=1, label="surprise (copy-last, token cosine)")
        for i, b in enumerate(truth):
            ax.axvline(b, color="k", ls=":", lw=1, label="true change" if i == 0 else None)
        ax.plot(found, surprise[found], "rv", label="detected")
        ax.set_xlabel("frame")
        ax.set_yscale("log")
        ax.legend(loc="upper right", fontsize=8)
        fig.tight_layout()
        fig.savefig(args.plot, dpi=120)
        print(f"wrote {args.plot}")
    return 0 if hits == len(truth) else 1


if __name__ == "__main__":
    raise SystemExit(main())
