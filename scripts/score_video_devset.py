#!/usr/bin/python3
"""Score shot-transition detectors on the development set of scripts/make_video_devset.py, all in
one run: predsense-video (one or more configurations), ffmpeg's scene filter and a
ContentDetector-style HSV frame-difference peer.

    /usr/bin/python3 scripts/score_video_devset.py DEVSET_DIR [--tool build/bin/predsense-video]
        [--config NAME=ARGS ...] [--markdown OUT.md] [--jobs N]
    /usr/bin/python3 scripts/score_video_devset.py DEVSET_DIR --encoders [--rates native,5,2,1]
        [--ablation-rates native,2] [--markdown OUT.md] [--jobs N]

Without --config the predsense configurations are "predsense" (the tool's defaults) and
"copy-last cut" (--segmenter cut, the previous default: hard cuts only).

Scoring: a truth cut is hit by a detection within +-2 frames of its frame; a gradual
transition (dissolve, fade, dip) by a detection anywhere in [start - 2, end + 2]; detections and
truths are matched one to one (maximum bipartite matching). A detection is its "frame" (for
predsense, every boundary's "frame"). Per video: precision, recall, F1; per kind: recall, and F1 with
the unmatched detections counted against the kind they claim (predsense reports a kind with every
boundary; the peers report cuts only). False
alarms that fall in a distractor's [start - 2, end + 2] (flash, motion, occluder; not transitions)
are counted per distractor kind, and reported per 500 distractor frames, where a distractor's
frames are its own plus 10 on either side (the part of the shot it disturbs).

--encoders: the encoder x rate grid over the stand-in encoders' latents of
scripts/make_encoder_features.py (DEVSET/features/<encoder>/<rate>/<video>.npy, the truth mapped to
the sampled frames in DEVSET/features/_truth/<rate>/). Per rate R the built-in embedder is
`predsense-video VIDEO --fps R` (native: `predsense-video VIDEO`) and encoder E is
`predsense-video VIDEO --features E/R/VIDEO.npy --fps R` (native: the video's own rate from its truth
JSON), every other option at its default. At the --ablation-rates every one of them also runs with
`--predictor rls` and `--predictor lfp` (the paper's ablation: copy-last against online learned
predictors). Scoring as above, in sampled frames (+-2 sampled frames around a cut).

Peers:
  ffmpeg scene   ffmpeg -vf "setpts=N,select='gt(scene,0.3)',metadata=print" (frame of each selected
                 frame; setpts=N only renumbers timestamps so they are frame indices)
  content-hsv    PySceneDetect's ContentDetector rule written with numpy/opencv: frames decoded by
                 ffmpeg at width 256, converted to HSV (cv2), score = mean over H, S, V of the mean
                 absolute difference to the previous frame; a cut where score >= 27 and at least 15
                 frames after the previous cut (min_scene_len).
"""

import argparse
import json
import os
import shlex
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np

KINDS = ["cut", "dissolve", "fade", "dip"]
DKINDS = ["flash", "motion", "occluder"]
CONTEXT = 10


def ffmpeg_scene(video, threshold=0.3):
    out = subprocess.run(["ffmpeg", "-nostdin", "-hide_banner", "-v", "error", "-i", str(video), "-map", "0:v:0",
                          "-vf", f"setpts=N,select='gt(scene,{threshold})',metadata=print:file=-",
                          "-fps_mode", "passthrough", "-an", "-f", "null", "-"],
                         capture_output=True, text=True, check=True).stdout
    frames = []
    for line in out.splitlines():
        if line.startswith("frame:"):
            for tok in line.split():
                if tok.startswith("pts:"):
                    frames.append(int(tok[4:]))
    return frames


def decode(video, width=256):
    info = subprocess.run(["ffprobe", "-v", "error", "-select_streams", "v:0", "-show_entries", "stream=width,height",
                           "-of", "json", str(video)], capture_output=True, text=True, check=True).stdout
    s = json.loads(info)["streams"][0]
    w = width
    h = int(round(s["height"] * width / s["width"] / 2)) * 2
    raw = subprocess.run(["ffmpeg", "-nostdin", "-v", "error", "-i", str(video), "-map", "0:v:0", "-vf",
                          f"scale={w}:{h}", "-pix_fmt", "bgr24", "-fps_mode", "passthrough", "-f", "rawvideo", "-"],
                         capture_output=True, check=True).stdout
    return np.frombuffer(raw, np.uint8).reshape(-1, h, w, 3)


def content_hsv(video, threshold=27.0, min_scene_len=15):
    import cv2
    frames = decode(video)
    cuts, last, prev = [], 0, None
    for t, f in enumerate(frames):
        hsv = cv2.cvtColor(f, cv2.COLOR_BGR2HSV).astype(np.int16)
        if prev is not None:
            score = float(np.abs(hsv - prev).reshape(-1, 3).mean(axis=0).mean())
            if score >= threshold and t - last >= min_scene_len:
                cuts.append(t)
                last = t
        prev = hsv
    return cuts


def run_predsense(tool, video, args):
    with tempfile.TemporaryDirectory() as d:
        out = Path(d) / "r.json"
        video_arg = [] if video is None else [str(video)]  # None: the latents alone (--features, no frames)
        p = subprocess.run([str(tool), *video_arg, "-q", "--json", str(out), *args], capture_output=True, text=True)
        if p.returncode != 0:
            raise RuntimeError(f"predsense-video failed on {video}: {p.stderr.strip()}")
        j = json.loads(out.read_text())
    return [b["frame"] for b in j["boundaries"]], j, [b.get("kind", "cut") for b in j["boundaries"]]


def window(t):
    return (t["frame"] - 2, t["frame"] + 2) if t["kind"] == "cut" else (t["start"] - 2, t["end"] + 2)


def match(truths, dets):
    """Maximum one-to-one matching (Kuhn); returns det index per truth (or -1)."""
    adj = [[j for j, d in enumerate(dets) if window(t)[0] <= d <= window(t)[1]] for t in truths]
    owner = [-1] * len(dets)

    def aug(i, seen):
        for j in adj[i]:
            if j in seen:
                continue
            seen.add(j)
            if owner[j] < 0 or aug(owner[j], seen):
                owner[j] = i
                return True
        return False

    for i in range(len(truths)):
        aug(i, set())
    got = [-1] * len(truths)
    for j, i in enumerate(owner):
        if i >= 0:
            got[i] = j
    return got


def score(truth, dets, det_kinds=None):
    ts = truth["transitions"]
    got = match(ts, dets)
    matched = {j for j in got if j >= 0}
    tp = len(matched)
    fa = [d for j, d in enumerate(dets) if j not in matched]
    fa_kind = {k: 0 for k in DKINDS}
    for d in fa:
        for x in truth["distractors"]:
            if x["start"] - 2 <= d <= x["end"] + 2:
                fa_kind[x["kind"]] += 1
                break
    per_kind = {k: [0, 0] for k in KINDS}
    for t, j in zip(ts, got):
        per_kind[t["kind"]][1] += 1
        per_kind[t["kind"]][0] += j >= 0
    # an unmatched detection is a false alarm of the kind it claims (the peers claim only cuts)
    fa_as = {k: 0 for k in KINDS}
    for j in range(len(dets)):
        if j not in matched:
            fa_as[det_kinds[j] if det_kinds else "cut"] += 1
    p = tp / len(dets) if dets else (1.0 if not ts else 0.0)
    r = tp / len(ts) if ts else 1.0
    f1 = 2 * p * r / (p + r) if p + r > 0 else 0.0
    return {"p": p, "r": r, "f1": f1, "tp": tp, "n_det": len(dets), "n_true": len(ts), "fa": len(fa),
            "fa_kind": fa_kind, "per_kind": per_kind, "fa_as": fa_as}


def auroc(scores, labels):
    scores = np.asarray(scores, float)
    labels = np.asarray(labels, bool)
    npos, nneg = labels.sum(), (~labels).sum()
    if npos == 0 or nneg == 0:
        return float("nan")
    order = np.argsort(scores, kind="mergesort")
    ranks = np.empty(len(scores))
    s = scores[order]
    i = 0
    while i < len(s):  # average ranks over ties
        j = i
        while j + 1 < len(s) and s[j + 1] == s[i]:
            j += 1
        ranks[order[i:j + 1]] = (i + j) / 2 + 1
        i = j + 1
    return float((ranks[labels].sum() - npos * (npos + 1) / 2) / (npos * nneg))


def frame_labels(truth, n):
    """Per frame: the transition kind it belongs to (a cut: its first frame; a gradual one: [start, end]), else ''."""
    lab = [""] * n
    for t in truth["transitions"]:
        a, b = (t["frame"], t["frame"]) if t["kind"] == "cut" else (t["start"], t["end"])
        for i in range(max(1, a), min(n - 1, b) + 1):
            lab[i] = t["kind"]
    return lab


def kind_cells(scores):
    """Recall 'hit/true' and F1 per kind, summed over videos."""
    rec, f1 = [], []
    for k in KINDS:
        hit = sum(s["per_kind"][k][0] for s in scores)
        tot = sum(s["per_kind"][k][1] for s in scores)
        fa = sum(s["fa_as"][k] for s in scores)
        pr, rc = (hit / (hit + fa) if hit + fa else 0.0), (hit / tot if tot else 0.0)
        rec.append(f"{rc:.2f} ({hit}/{tot})" if tot else "-")
        f1.append(f"{2 * pr * rc / (pr + rc):.2f}" if pr + rc > 0 else "0.00")
    return rec, f1


def surprise_auroc(runs):
    """AUROC per kind and over all transitions; runs: [(truth, surprise)]."""
    allsc, alllab = [], []
    for truth, s in runs:
        allsc += s[1:]
        alllab += frame_labels(truth, len(s))[1:]
    allsc, alllab = np.asarray(allsc), np.asarray(alllab)
    neg = alllab == ""
    out = {}
    for k in KINDS + ["all"]:
        pos = alllab != "" if k == "all" else alllab == k
        sel = pos | neg
        out[k] = auroc(allsc[sel], pos[sel])
    return out


def rate_name(r):
    return "native" if r == "native" else f"{float(r):g}fps"


def encoder_grid(a):
    """The encoder x rate tables (see the module docstring, --encoders)."""
    feat = a.devset / "features"
    rates = [r.strip() for r in a.rates.split(",") if r.strip()]
    ab_rates = [r.strip() for r in a.ablation_rates.split(",") if r.strip()]
    for r in ab_rates:
        if r not in rates:
            rates.append(r)
    encoders = sorted(p.name for p in feat.iterdir() if p.is_dir() and not p.name.startswith("_")) if feat.is_dir() else []
    if not encoders:
        print(f"score_video_devset: no encoder features in {feat} (run scripts/make_encoder_features.py)", file=sys.stderr)
        return 2
    methods = ["built-in"] + encoders
    predictors = {"copy-last": [], "rls": ["--predictor", "rls"], "lfp": ["--predictor", "lfp"]}
    tasks = []  # (rate, predictor, method, video, truth, args)
    for r in rates:
        tdir = feat / "_truth" / rate_name(r)
        truths = sorted(tdir.glob("*.json"))
        if not truths:
            print(f"score_video_devset: no mapped truth in {tdir} (run scripts/make_encoder_features.py --rates "
                  f"{r})", file=sys.stderr)
            return 2
        for tp in truths:
            truth = json.loads(tp.read_text())
            video = (tp.parent / truth["video"]).resolve()
            for pred in (predictors if r in ab_rates else ["copy-last"]):
                for m in methods:
                    if m == "built-in":
                        args = [] if r == "native" else ["--fps", f"{float(r):g}"]
                    else:
                        f = feat / m / rate_name(r) / (tp.stem + ".npy")
                        if not f.exists():
                            print(f"score_video_devset: {f} is missing (run scripts/make_encoder_features.py)",
                                  file=sys.stderr)
                            return 2
                        args = ["--features", str(f), "--fps", f"{truth['fps']:g}" if r == "native" else f"{float(r):g}"]
                    tasks.append((r, pred, m, video, truth, args + predictors[pred]))

    def work(t):
        r, pred, m, video, truth, args = t
        t0 = time.perf_counter()
        alone = a.features_only and m != "built-in"
        dets, j, kinds = run_predsense(a.tool, None if alone else video, args)
        secs = time.perf_counter() - t0
        if j["frames"] != truth["frames"]:
            raise RuntimeError(f"{video} {args}: predsense-video saw {j['frames']} frames, the mapped truth has "
                               f"{truth['frames']}")
        return (r, pred, m), truth, score(truth, dets, kinds), j["surprise"], secs

    t_start = time.perf_counter()
    res = {}
    with ThreadPoolExecutor(max(1, a.jobs)) as ex:
        for key, truth, sc, sur, secs in ex.map(work, tasks):
            res.setdefault(key, []).append((truth, sc, sur, secs))
    wall = time.perf_counter() - t_start

    lines = []
    emit = lines.append
    n0 = {r: (len(res[(r, "copy-last", "built-in")]), sum(t["frames"] for t, _, _, _ in res[(r, "copy-last", "built-in")]),
              sum(len(t["transitions"]) for t, _, _, _ in res[(r, "copy-last", "built-in")]))
          for r in rates}
    emit("Sampled frames and transitions per rate: " +
         "; ".join(f"{rate_name(r)}: {n0[r][0]} videos, {n0[r][1]} frames, {n0[r][2]} transitions" for r in rates))
    emit("")
    emit("Encoders (scripts/make_encoder_features.py): " + ", ".join(
        f"{m} ({'x'.join(str(x) for x in np.load(feat / m / rate_name(rates[0]) / (Path(res[(rates[0], 'copy-last', m)][0][0]['video']).stem + '.npy'), mmap_mode='r').shape[1:])})"
        for m in encoders))
    emit("")
    emit("Mean F1 over the videos (P / R / **F1**), copy-last surprise, every option at its default:")
    emit("")
    emit("| encoder | " + " | ".join(rate_name(r) for r in rates) + " |")
    emit("|---|" + "---|" * len(rates))
    for m in methods:
        cells = []
        for r in rates:
            sc = [x[1] for x in res[(r, "copy-last", m)]]
            cells.append(f"{np.mean([s['p'] for s in sc]):.2f} / {np.mean([s['r'] for s in sc]):.2f} / "
                         f"**{np.mean([s['f1'] for s in sc]):.2f}**")
        emit(f"| {m} | " + " | ".join(cells) + " |")
    emit("")
    emit("Per transition kind: recall (hit / true) and F1; false alarms on distractors (flash, motion, occluder); "
         "AUROC of the per-frame surprise over all transitions:")
    emit("")
    emit("| encoder | rate | " + " | ".join(f"{k} recall" for k in KINDS) + " | " +
         " | ".join(f"{k} F1" for k in KINDS) + " | false alarms (on distractors) | surprise AUROC |")
    emit("|---|---|" + "---|" * (2 * len(KINDS) + 2))
    for m in methods:
        for r in rates:
            runs = res[(r, "copy-last", m)]
            sc = [x[1] for x in runs]
            rec, f1 = kind_cells(sc)
            fa = sum(s["fa"] for s in sc)
            dfa = sum(sum(s["fa_kind"].values()) for s in sc)
            au = surprise_auroc([(x[0], x[2]) for x in runs])
            emit(f"| {m} | {rate_name(r)} | " + " | ".join(rec) + " | " + " | ".join(f1) +
                 f" | {fa} ({dfa}) | {au['all']:.3f} |")
    emit("")
    emit("AUROC of the per-frame surprise per kind (frames of transitions of a kind against all frames outside any "
         "transition; a cut is its first sampled frame, a gradual transition its sampled [start, end]):")
    emit("")
    emit("| encoder | rate | " + " | ".join(KINDS) + " | all |")
    emit("|---|---|" + "---|" * (len(KINDS) + 1))
    for m in methods:
        for r in rates:
            au = surprise_auroc([(x[0], x[2]) for x in res[(r, "copy-last", m)]])
            emit(f"| {m} | {rate_name(r)} | " + " | ".join(f"{au[k]:.3f}" for k in KINDS + ["all"]) + " |")
    if ab_rates:
        emit("")
        emit("The paper's ablation per encoder: copy-last against the online learned predictors (`--predictor rls`: "
             "ridge regression per token; `--predictor lfp`: the Cambrian-S LFP head trained on the stream). "
             "Surprise AUROC over all transitions (per kind: cut / dissolve / fade / dip) and mean F1:")
        emit("")
        hdr = []
        for r in ab_rates:
            hdr += [f"{rate_name(r)} AUROC {p}" for p in predictors] + [f"{rate_name(r)} F1 {p}" for p in predictors]
        emit("| encoder | " + " | ".join(hdr) + " |")
        emit("|---|" + "---|" * len(hdr))
        for m in methods:
            cells = []
            for r in ab_rates:
                for p in predictors:
                    au = surprise_auroc([(x[0], x[2]) for x in res[(r, p, m)]])
                    cells.append(f"**{au['all']:.3f}** ({' / '.join(f'{au[k]:.2f}' for k in KINDS)})")
                for p in predictors:
                    cells.append(f"{np.mean([x[1]['f1'] for x in res[(r, p, m)]]):.2f}")
            emit(f"| {m} | " + " | ".join(cells) + " |")
    emit("")
    emit("Tool time summed over the videos (s): " + "; ".join(
        f"{rate_name(r)}: " + ", ".join(f"{m} {sum(x[3] for x in res[(r, 'copy-last', m)]):.1f}" for m in methods)
        for r in rates))
    emit(f"Wall time of the grid: {wall:.0f} s with {a.jobs} job(s), {len(tasks)} runs of predsense-video.")
    text = "\n".join(lines)
    print(text)
    if a.markdown:
        tmp = a.markdown.with_name(a.markdown.name + ".tmp")
        tmp.write_text(text + "\n")
        os.replace(tmp, a.markdown)
    return 0


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("devset", type=Path)
    ap.add_argument("--tool", type=Path, default=Path(__file__).resolve().parents[1] / "build" / "bin" / "predsense-video")
    ap.add_argument("--config", action="append", default=[], metavar="NAME=ARGS",
                    help="a predsense configuration: a name and predsense-video options (repeatable)")
    ap.add_argument("--markdown", type=Path, help="also write the tables to this file")
    ap.add_argument("--jobs", type=int, default=1, help="videos scored in parallel (default 1)")
    ap.add_argument("--details", action="store_true", help="list the misses and false alarms of the first config")
    ap.add_argument("--encoders", action="store_true",
                    help="score the encoder x rate grid of scripts/make_encoder_features.py instead")
    ap.add_argument("--rates", default="native,5,2,1", help="--encoders: rates (default %(default)s)")
    ap.add_argument("--features-only", action="store_true",
                    help="--encoders: run each encoder's features without the video (the cut segmenter on the "
                         "surprise alone; the built-in row keeps its video)")
    ap.add_argument("--ablation-rates", default="native,2",
                    help="--encoders: rates of the copy-last / rls / lfp ablation (default %(default)s; '' for none)")
    a = ap.parse_args()
    if not a.tool.exists():
        print(f"score_video_devset: {a.tool} not found (build predsense-video or pass --tool)", file=sys.stderr)
        return 2
    if a.encoders:
        return encoder_grid(a)
    truths = sorted(a.devset.glob("*.json"))
    if not truths:
        print(f"score_video_devset: no VIDEO.json truth files in {a.devset} (run scripts/make_video_devset.py)",
              file=sys.stderr)
        return 2
    if not a.tool.exists():
        print(f"score_video_devset: {a.tool} not found (build predsense-video or pass --tool)", file=sys.stderr)
        return 2
    configs = []
    for c in a.config or ["predsense=", "copy-last cut=--segmenter cut"]:
        if "=" not in c:
            print(f"score_video_devset: --config '{c}': expected NAME=ARGS", file=sys.stderr)
            return 2
        name, args = c.split("=", 1)
        configs.append((name, shlex.split(args)))
    methods = [n for n, _ in configs] + ["ffmpeg scene>0.3", "content-hsv 27"]

    videos = []
    for tp in truths:
        truth = json.loads(tp.read_text())
        video = tp.with_name(truth["video"])
        if not video.exists():
            print(f"score_video_devset: {video} (named in {tp}) is missing", file=sys.stderr)
            return 2
        videos.append((video, truth))

    def work(item):
        video, truth = item
        res, surprise, secs, kinds = {}, {}, {}, {}
        for name, args in configs:
            t0 = time.perf_counter()
            dets, j, kinds[name] = run_predsense(a.tool, video, args)
            secs[name] = time.perf_counter() - t0
            if j["frames"] != truth["frames"]:
                raise RuntimeError(f"{video}: predsense-video saw {j['frames']} frames, truth has {truth['frames']}")
            res[name] = dets
            surprise[name] = j["surprise"]
        t0 = time.perf_counter()
        res["ffmpeg scene>0.3"] = ffmpeg_scene(video)
        secs["ffmpeg scene>0.3"] = time.perf_counter() - t0
        t0 = time.perf_counter()
        res["content-hsv 27"] = content_hsv(video)
        secs["content-hsv 27"] = time.perf_counter() - t0
        res["kinds"] = kinds
        return video, truth, res, surprise, secs

    with ThreadPoolExecutor(max(1, a.jobs)) as ex:
        results = list(ex.map(work, videos))

    lines = []
    emit = lines.append
    total_frames = sum(t["frames"] for _, t, _, _, _ in results)
    emit(f"{len(results)} videos, {total_frames} frames, "
         f"{sum(len(t['transitions']) for _, t, _, _, _ in results)} transitions, "
         f"{sum(len(t['distractors']) for _, t, _, _, _ in results)} distractors")
    emit("")
    emit("| video | frames | " + " | ".join(f"{m} P / R / F1" for m in methods) + " |")
    emit("|---|---|" + "---|" * len(methods))
    scores = {m: [] for m in methods}
    for video, truth, res, _, _ in results:
        row = [video.name + f" ({truth['width']}x{truth['height']} {truth['fps']:g} fps {truth['codec']})",
               str(truth["frames"])]
        for m in methods:
            s = score(truth, res[m], res["kinds"].get(m))
            scores[m].append(s)
            row.append(f"{s['p']:.2f} / {s['r']:.2f} / **{s['f1']:.2f}**")
        emit("| " + " | ".join(row) + " |")
    emit("| **mean** | " + str(total_frames) + " | " +
         " | ".join(f"{np.mean([s['p'] for s in scores[m]]):.2f} / {np.mean([s['r'] for s in scores[m]]):.2f} / "
                    f"**{np.mean([s['f1'] for s in scores[m]]):.2f}**" for m in methods) + " |")
    emit("")
    emit("Recall per transition kind (hit / true), false alarms on distractors (per 500 distractor frames):")
    emit("")
    emit("| method | " + " | ".join(KINDS) + " | false alarms | on flash | on motion | on occluder | per 500 distractor frames |")
    emit("|---|" + "---|" * (len(KINDS) + 5))
    dframes = sum(d["end"] - d["start"] + 1 + 2 * CONTEXT for _, t, _, _, _ in results for d in t["distractors"])
    for m in methods:
        cells = []
        for k in KINDS:
            hit = sum(s["per_kind"][k][0] for s in scores[m])
            tot = sum(s["per_kind"][k][1] for s in scores[m])
            cells.append(f"{hit / tot:.2f} ({hit}/{tot})" if tot else "-")
        fa = sum(s["fa"] for s in scores[m])
        fk = {k: sum(s["fa_kind"][k] for s in scores[m]) for k in DKINDS}
        dfa = sum(fk.values())
        cells += [str(fa), str(fk["flash"]), str(fk["motion"]), str(fk["occluder"]), f"{500 * dfa / dframes:.2f}"]
        emit(f"| {m} | " + " | ".join(cells) + " |")
    emit("")
    emit("F1 per transition kind (recall of the kind's transitions; precision: the hits among them over the hits "
         "plus the unmatched detections that claim that kind, the peers' detections all claiming a cut):")
    emit("")
    emit("| method | " + " | ".join(KINDS) + " |")
    emit("|---|" + "---|" * len(KINDS))
    for m in methods:
        cells = []
        for k in KINDS:
            hit = sum(s["per_kind"][k][0] for s in scores[m])
            tot = sum(s["per_kind"][k][1] for s in scores[m])
            fa = sum(s["fa_as"][k] for s in scores[m])
            pr, rc = (hit / (hit + fa) if hit + fa else 0.0), (hit / tot if tot else 0.0)
            cells.append(f"{2 * pr * rc / (pr + rc):.2f}" if pr + rc > 0 else "0.00")
        emit(f"| {m} | " + " | ".join(cells) + " |")
    emit("")
    emit("AUROC of the per-frame surprise (frames of transitions of a kind against all frames outside any "
         "transition; a cut is its first frame, a gradual transition its [start, end]):")
    emit("")
    emit("| predsense config | " + " | ".join(KINDS) + " | all |")
    emit("|---|" + "---|" * (len(KINDS) + 1))
    for name, _ in configs:
        allsc, alllab = [], []
        for _, truth, _, surprise, _ in results:
            s = surprise[name]
            allsc += s[1:]
            alllab += frame_labels(truth, len(s))[1:]
        allsc = np.asarray(allsc)
        alllab = np.asarray(alllab)
        neg = alllab == ""
        cells = []
        for k in KINDS + ["all"]:
            pos = alllab != "" if k == "all" else alllab == k
            sel = pos | neg
            cells.append(f"{auroc(allsc[sel], pos[sel]):.3f}")
        emit(f"| {name} | " + " | ".join(cells) + " |")
    emit("")
    emit("Wall time over the set (s, one process at a time): " +
         ", ".join(f"{m} {sum(r[4][m] for r in results):.1f}" for m in methods))
    if a.details:
        name = configs[0][0]
        for video, truth, res, _, _ in results:
            dets = res[name]
            got = match(truth["transitions"], dets)
            used = {j for j in got if j >= 0}
            miss = [f"{t['kind']}@{t['frame']}[{t['start']}-{t['end']}]" for t, j in zip(truth["transitions"], got) if j < 0]
            fas = []
            for j, d in enumerate(dets):
                if j in used:
                    continue
                on = [f"{x['kind']}:{x['what']}[{x['start']}-{x['end']}]" for x in truth["distractors"]
                      if x["start"] - 2 <= d <= x["end"] + 2]
                fas.append(f"{d}" + (f" ({on[0]})" if on else ""))
            emit(f"{video.name}: missed {miss}; false alarms {fas}")
    text = "\n".join(lines)
    print(text)
    if a.markdown:
        tmp = a.markdown.with_name(a.markdown.name + ".tmp")
        tmp.write_text(text + "\n")
        os.replace(tmp, a.markdown)
    return 0


if __name__ == "__main__":
    sys.exit(main())
