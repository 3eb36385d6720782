#!/usr/bin/env python3
"""Compare two predsense-video binaries output for output (stdout, --json, --scenes-csv, --edl) over a
list of videos and option sets; prints each difference. Used to check that a rewrite of the tool gives the same answers:

  /usr/bin/python3 scripts/compare_video_tool.py OLD NEW VIDEO... [--opts "--fps 2" ...]
"""
import argparse
import json
import os
import subprocess
import sys
import tempfile


def run(tool, video, opts, d, tag):
    j, c, e = (os.path.join(d, tag + x) for x in (".json", ".csv", ".edl"))
    r = subprocess.run([tool, "-q", video, "--json", j, "--scenes-csv", c, "--edl", e] + opts, capture_output=True,
                       text=True)
    out = "\n".join(l for l in r.stdout.splitlines() if not l.startswith("wrote "))
    res = {"rc": r.returncode, "stdout": out, "stderr": r.stderr.strip()}
    if r.returncode == 0:
        res["json"] = json.load(open(j))
        res["csv"] = open(c).read()
        res["edl"] = open(e).read()
    return res


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("old")
    ap.add_argument("new")
    ap.add_argument("videos", nargs="+")
    ap.add_argument("--opts", action="append", default=[])
    ap.add_argument("--tol", type=float, default=1e-9, help="time differences below this count as equal")
    a = ap.parse_args()
    optsets = [o.split() for o in a.opts] or [[]]
    same = diff = 0
    with tempfile.TemporaryDirectory() as d:
        for v in a.videos:
            for opts in optsets:
                o = run(a.old, v, opts, d, "old")
                n = run(a.new, v, opts, d, "new")
                label = "%s %s" % (v, " ".join(opts))
                notes = []
                if o["rc"] != n["rc"]:
                    notes.append("exit %d -> %d (%s | %s)" % (o["rc"], n["rc"], o["stderr"][-200:], n["stderr"][-200:]))
                elif o["rc"] == 0:
                    jo, jn = o["json"], n["json"]
                    for k in jo:
                        if k == "times":
                            dt = max((abs(x - y) for x, y in zip(jo[k], jn[k])), default=0)
                            if len(jo[k]) != len(jn[k]) or dt > a.tol:
                                notes.append("times: max |diff| %.3g s over %d/%d frames" % (dt, len(jo[k]), len(jn[k])))
                        elif k == "segments":
                            so = [{x: y for x, y in s.items() if not x.endswith("_time")} for s in jo[k]]
                            sn = [{x: y for x, y in s.items() if not x.endswith("_time")} for s in jn[k]]
                            if so != sn:
                                notes.append("segments differ")
                        elif k == "boundaries":
                            bo = [{x: y for x, y in s.items() if x != "time"} for s in jo[k]]
                            bn = [{x: y for x, y in s.items() if x != "time"} for s in jn[k]]
                            if bo != bn:
                                notes.append("boundaries: %s -> %s" % ([b["frame"] for b in jo[k]], [b["frame"] for b in jn[k]]))
                        elif jo[k] != jn.get(k):
                            s = json.dumps(jo[k])[:120], json.dumps(jn.get(k))[:120]
                            notes.append("%s: %s -> %s" % (k, *s))
                    for k in ("csv", "edl", "stdout"):
                        if o[k] != n[k]:
                            notes.append(k + " text differs")
                if notes:
                    diff += 1
                    print("DIFF", label)
                    for x in notes:
                        print("   ", x)
                else:
                    same += 1
                    print("same", label)
                sys.stdout.flush()
    print("%d identical, %d with differences" % (same, diff))


if __name__ == "__main__":
    main()
