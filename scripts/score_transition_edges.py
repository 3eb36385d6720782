#!/usr/bin/env python3
"""How well predsense-video places the edges of gradual transitions (fades and dips) on the
development sets of scripts/make_video_devset.py: for each true fade / dip that a tool finds (its
reported frame inside [start - 2, end + 2], the hit rule of score_video_devset.py), the absolute
error of the reported start and end frames. Several tools (e.g. two builds) are scored in one run.

    /usr/bin/python3 scripts/score_transition_edges.py DEVSET [DEVSET ...] --tool NAME=PATH [--tool ...]
"""
import argparse
import glob
import json
import subprocess
import sys
import tempfile


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("devsets", nargs="+")
    ap.add_argument("--tool", action="append", required=True, help="NAME=PATH of a predsense-video")
    args = ap.parse_args()
    tools = dict(t.split("=", 1) for t in args.tool)
    errors = {name: [] for name in tools}
    for devset in args.devsets:
        for truth_file in sorted(glob.glob(devset + "/dev*.json")):
            video = truth_file[:-len(".json")]
            truth = [t for t in json.load(open(truth_file))["transitions"] if t["kind"] in ("fade", "dip")]
            for name, tool in tools.items():
                with tempfile.TemporaryDirectory() as d:
                    subprocess.run([tool, video, "--json", d + "/r.json"], capture_output=True, check=True)
                    found = json.load(open(d + "/r.json"))["boundaries"]
                for t in truth:
                    hits = [b for b in found if b["kind"] == t["kind"] and t["start"] - 2 <= b["frame"] <= t["end"] + 2]
                    if hits:
                        errors[name].append((abs(hits[0]["start"] - t["start"]), abs(hits[0]["end"] - t["end"])))
    print("| tool | fades + dips found | mean abs start error (frames) | mean abs end error | start off by > 2 |")
    print("|---|---|---|---|---|")
    for name, e in errors.items():
        n = max(len(e), 1)
        print(f"| {name} | {len(e)} | {sum(s for s, _ in e) / n:.2f} | {sum(x for _, x in e) / n:.2f} | "
              f"{sum(s > 2 for s, _ in e)} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
