#!/usr/bin/python3
"""Stand-in encoders over the real-footage development set (scripts/make_video_devset.py): the
latents a researcher's own encoder would give predsense-video through --features, at the native
rate and resampled to a few frames per second, with the truth mapped to the sampled frames.

    /usr/bin/python3 scripts/make_encoder_features.py DEVSET [--rates native,5,2,1] [--encoders a,b]
        [--jobs 2]

Per video and rate the video is decoded once by ffmpeg through a pipe, exactly as predsense-video
decodes it: `-vf [fps=R,]scale=128:128:flags=area -pix_fmt rgb24 -fps_mode passthrough` (with
`--fps R` the tool puts ffmpeg's fps filter first, R printed "%.6f"); "native" is every decoded
frame. Every encoder runs on those 128x128 rgb24 frames (smaller inputs: area resampling):

  pixels-32       raw pixel patches: mean RGB per cell of a 32x32 grid (0-255, not normalised),
                  grouped into 8x8 tokens of 4x4 cells -> 64 x 48
  hist-4x4        colour histogram per cell: 4x4 cells of a 64x64 frame, joint RGB histogram with
                  4 levels per channel, raw pixel counts (0-256 per bin) -> 16 x 64
  cnn-w16         random-init ConvNet (torch, seed 16, eval mode), 4 conv3x3 stride-2 + ReLU
                  stages of 16-32-64-64 channels on the 128x128 frame, ImageNet mean/std input
                  -> 8x8 grid x 64
  cnn-w64-7x7     random-init ConvNet (seed 64), 64-128-256-256 channels on a 112x112 frame,
                  last stage without ReLU (signed features) -> 7x7 grid x 256
  cnn-pooled      random-init ConvNet (seed 128), 32-64-128-256-512 channels, 5 stages, input in
                  raw 0-255 (not normalised: large activations), global average pool -> one
                  token per frame, saved as frames x 512 (2-D)
  patch-g4-f16    predsense's own PatchEmbedder at another size (grid 4, dim 96, seed 7) on a
                  64x64 frame, rounded through float16 -> 16 x 96

Every file is float32 (float16 values stored as float32), C order, frames x T x D (cnn-pooled:
frames x D), at DEVSET/features/<encoder>/<rate>/<video stem>.npy, rate "native" or "<R>fps".

Truth at rate R, DEVSET/features/_truth/<rate>/<video stem>.json: the video's truth JSON with every
frame index mapped to the sampled frames, plus "fps" R (native: the video's own rate), "frames"
(sampled frames), "source_frame" (per sampled frame, the index of the decoded frame it shows) and
"video" (the file's path relative to the _truth folder's devset). Which decoded frame a sampled frame
shows is what ffmpeg's fps filter picks (round "near": the last frame whose time rounds to at most
the slot); it is predicted from the frame times and then confirmed, frame by frame, by finding the
identical 128x128 native frame (the script stops if one is not found). Mapping (map_truth):
  cut at frame c          -> the first sampled frame that shows frame c or later;
  gradual [start, end]    -> the sampled frames showing frames in [start, end]; if none (shorter
                             than the sampling step), the first sampled frame after end, [k, k];
                             its "frame" the first sampled frame showing "frame" or later, clamped;
  distractor [start, end] -> the sampled frames showing it; dropped if none (a 1-frame flash at
                             1 fps is usually not in the sampled video at all);
  anything after the last sampled frame is dropped.

Cached: a (video, rate) whose files all exist is skipped; every file is written to a temporary name
and renamed. Runs 2 videos in parallel at most, torch with one thread each. The whole set (8 videos,
native + 5, 2, 1 fps, 192 files, 0.8 GB) took 18.5 min wall on 2 cores shared with other builds
(load 9-17), 3.4 min of CPU; every one of the 32 (video, rate) frame choices matched the prediction.
"""

import argparse
import json
import os
import subprocess
import sys
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import numpy as np

WORK = 128  # predsense-video's working size
ENCODERS = ["pixels-32", "hist-4x4", "cnn-w16", "cnn-w64-7x7", "cnn-pooled", "patch-g4-f16"]
DEFAULT_RATES = ["native", "5", "2", "1"]
IMAGENET_MEAN = np.array([0.485, 0.456, 0.406], np.float32)
IMAGENET_STD = np.array([0.229, 0.224, 0.225], np.float32)


def rate_dir(rate):
    return "native" if rate == "native" else f"{float(rate):g}fps"


# ---------------------------------------------------------------- encoders (frames: n x 128 x 128 x 3 uint8)

def resize(frames, size):
    """Area resampling of square frames: exact block means (rounded) for a divisor of the size, else cv2 INTER_AREA."""
    if frames.shape[1] == size:
        return frames
    if frames.shape[1] % size == 0:
        b = frames.shape[1] // size
        m = frames.reshape(len(frames), size, b, size, b, 3).astype(np.float32).mean(axis=(2, 4))
        return np.rint(m).astype(np.uint8)
    import cv2
    return np.stack([cv2.resize(f, (size, size), interpolation=cv2.INTER_AREA) for f in frames])


def pixels_32(frames):
    """Mean RGB per cell of a 32x32 grid (area average of the 128x128 frame: exact 4x4 means), 8x8 tokens of
    4x4 cells x RGB -> (n, 64, 48), raw 0-255."""
    n = len(frames)
    cells = frames.reshape(n, 32, 4, 32, 4, 3).astype(np.float32).mean(axis=(2, 4))  # n x 32 x 32 x 3
    tok = cells.reshape(n, 8, 4, 8, 4, 3).transpose(0, 1, 3, 2, 4, 5)  # n x 8 x 8 x 4 x 4 x 3
    return tok.reshape(n, 64, 48)


def hist_4x4(frames):
    """Joint RGB histogram (4 levels per channel: 64 bins) per cell of a 4x4 grid over a 64x64 frame, counts."""
    small = resize(frames, 64)
    n = len(small)
    q = (small // 64).astype(np.int64)  # 0..3 per channel
    code = q[..., 0] * 16 + q[..., 1] * 4 + q[..., 2]  # n x 64 x 64
    cell = code.reshape(n, 4, 16, 4, 16).transpose(0, 1, 3, 2, 4).reshape(n, 16, 256)
    flat = (np.arange(n * 16)[:, None] * 64 + cell.reshape(n * 16, 256)).ravel()
    out = np.bincount(flat, minlength=n * 16 * 64).astype(np.float32).reshape(n, 16, 64)
    return out


_NETS = {}


def _net(name):
    import torch
    from torch import nn
    if name in _NETS:
        return _NETS[name]
    torch.manual_seed({"cnn-w16": 16, "cnn-w64-7x7": 64, "cnn-pooled": 128}[name])
    widths = {"cnn-w16": [16, 32, 64, 64], "cnn-w64-7x7": [64, 128, 256, 256],
              "cnn-pooled": [32, 64, 128, 256, 512]}[name]
    layers, c = [], 3
    for i, w in enumerate(widths):
        layers.append(nn.Conv2d(c, w, 3, stride=2, padding=1))  # PyTorch's default (Kaiming-uniform) init
        if not (name == "cnn-w64-7x7" and i == len(widths) - 1):
            layers.append(nn.ReLU())
        c = w
    net = nn.Sequential(*layers).eval()
    _NETS[name] = net
    return net


def cnn(frames, name, batch=64):
    import torch
    size = 112 if name == "cnn-w64-7x7" else WORK
    x = resize(frames, size).astype(np.float32)
    if name != "cnn-pooled":
        x = (x / 255.0 - IMAGENET_MEAN) / IMAGENET_STD
    net = _net(name)
    outs = []
    with torch.no_grad():
        for i in range(0, len(x), batch):
            t = torch.from_numpy(np.ascontiguousarray(x[i:i + batch].transpose(0, 3, 1, 2)))
            y = net(t)  # b x C x g x g
            if name == "cnn-pooled":
                outs.append(y.mean(dim=(2, 3)).numpy())
            else:
                outs.append(y.flatten(2).transpose(1, 2).numpy())  # b x g*g x C, row-major grid
    return np.ascontiguousarray(np.concatenate(outs), np.float32)


def to_float16(a):
    """Values rounded through IEEE half precision, stored as float32 (the tool reads float32 .npy)."""
    with np.errstate(over="ignore"):  # beyond 65504: inf, as a float16 export would give
        return np.asarray(a, np.float32).astype(np.float16).astype(np.float32)


def patch_g4_f16(frames):
    import predsense
    emb = predsense.PatchEmbedder(grid=4, dim=96, seed=7)
    return to_float16(emb.embed_batch(np.ascontiguousarray(resize(frames, 64))))


def encode(name, frames):
    """frames: (n, 128, 128, 3) uint8 -> float32 latents (n, T, D), or (n, D) for cnn-pooled."""
    if name == "pixels-32":
        out = pixels_32(frames)
    elif name == "hist-4x4":
        out = hist_4x4(frames)
    elif name in ("cnn-w16", "cnn-w64-7x7", "cnn-pooled"):
        out = cnn(frames, name)
    elif name == "patch-g4-f16":
        out = patch_g4_f16(frames)
    else:
        raise ValueError(f"unknown encoder {name!r} (known: {', '.join(ENCODERS)})")
    return np.ascontiguousarray(out, np.float32)


# ---------------------------------------------------------------- decoding and the sampled frames

def decode(video, rate):
    """Frames (n x 128 x 128 x 3 uint8) as predsense-video decodes them, and each frame's time (s) from showinfo."""
    vf = f"scale={WORK}:{WORK}:flags=area,showinfo=checksum=0"
    if rate != "native":
        vf = f"fps={float(rate):.6f}," + vf
    p = subprocess.run(["ffmpeg", "-nostdin", "-hide_banner", "-nostats", "-v", "info", "-i", str(video), "-map", "0:v:0",
                        "-vf", vf, "-pix_fmt", "rgb24", "-fps_mode", "passthrough", "-f", "rawvideo", "-"],
                       capture_output=True)
    if p.returncode != 0:
        raise RuntimeError(f"ffmpeg failed on {video}: {p.stderr.decode(errors='replace')[-500:]}")
    frames = np.frombuffer(p.stdout, np.uint8).reshape(-1, WORK, WORK, 3)
    times = []
    for line in p.stderr.decode(errors="replace").splitlines():
        if "Parsed_showinfo" in line and " n:" in line and "pts_time:" in line:
            times.append(float(line.split("pts_time:")[1].split()[0]))
    if len(times) != len(frames):
        raise RuntimeError(f"{video}: {len(frames)} frames but {len(times)} showinfo times")
    return frames, np.asarray(times)


def fps_filter_sources(times, rate, n_out):
    """Which input frame each of n_out outputs of ffmpeg's fps=rate filter shows (round=near): slot k
    (counted from the first frame's slot) shows the last input frame whose time * rate rounds to <= slot."""
    slots = np.floor(np.asarray(times) * rate + 0.5).astype(np.int64)  # round half up (times >= 0)
    slots -= slots[0]
    src = np.searchsorted(slots, np.arange(n_out), side="right") - 1
    return np.clip(src, 0, len(times) - 1)


def confirm_sources(sampled, native, predicted, reach=3):
    """Each sampled frame's source: the identical native frame nearest to the prediction (within reach)."""
    src = np.empty(len(sampled), np.int64)
    moved = 0
    for k, f in enumerate(sampled):
        p = int(predicted[k])
        for d in [0] + [s for r in range(1, reach + 1) for s in (r, -r)]:
            i = p + d
            if 0 <= i < len(native) and np.array_equal(native[i], f):
                src[k] = i
                moved += d != 0
                break
        else:
            raise RuntimeError(f"sampled frame {k}: no identical decoded frame within {reach} of {p}")
    return src, moved


def map_truth(truth, src, fps):
    """The truth (frame indices of the decoded video) on the sampled frames; src[k] = the decoded frame that
    sampled frame k shows (non-decreasing). See the module docstring for the rules."""
    src = np.asarray(src)
    n = len(src)

    def first_at_or_after(f):
        k = int(np.searchsorted(src, f, side="left"))
        return k if k < n else None

    def span(s, e):
        a, b = int(np.searchsorted(src, s, side="left")), int(np.searchsorted(src, e, side="right")) - 1
        return (a, b) if a <= b else None

    out = {k: v for k, v in truth.items() if k not in ("transitions", "distractors", "frames", "fps")}
    out["fps"], out["frames"], out["source_frame"] = fps, n, [int(s) for s in src]
    out["transitions"], out["distractors"] = [], []
    for t in truth["transitions"]:
        m = dict(t)
        if t["kind"] == "cut":
            k = first_at_or_after(t["frame"])
            if k is None:
                continue
            m["frame"] = m["start"] = m["end"] = k
        else:
            sp = span(t["start"], t["end"])
            if sp is None:
                k = first_at_or_after(t["end"] + 1)
                if k is None:
                    continue
                sp = (k, k)
            m["start"], m["end"] = sp
            f = first_at_or_after(t["frame"])
            m["frame"] = min(max(f if f is not None else sp[1], sp[0]), sp[1])
        out["transitions"].append(m)
    for d in truth["distractors"]:
        sp = span(d["start"], d["end"])
        if sp is not None:
            m = dict(d)
            m["start"], m["end"] = sp
            out["distractors"].append(m)
    return out


# ---------------------------------------------------------------- driver

def save_npy(path, a):
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp.npy")
    np.save(tmp, np.ascontiguousarray(a, np.float32))
    os.replace(tmp, path)


def save_json(path, obj):
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(json.dumps(obj) + "\n")
    os.replace(tmp, path)


def job(devset, truth_path, rates, encoders):
    import torch
    torch.set_num_threads(1)
    truth = json.loads(truth_path.read_text())
    video = truth_path.with_name(truth["video"])
    stem = Path(truth["video"]).stem
    feat = devset / "features"
    todo = []
    for r in rates:
        want = [feat / e / rate_dir(r) / f"{stem}.npy" for e in encoders] + [feat / "_truth" / rate_dir(r) / f"{stem}.json"]
        if not all(p.exists() for p in want):
            todo.append(r)
    if not todo:
        return f"{stem}: cached"
    native, times = decode(video, "native")
    if len(native) != truth["frames"]:
        raise RuntimeError(f"{video}: decoded {len(native)} frames, truth has {truth['frames']}")
    log = []
    for r in todo:
        if r == "native":
            frames, src, moved, fps = native, np.arange(len(native)), 0, truth["fps"]
        else:
            frames, _ = decode(video, r)
            fps = float(r)
            src, moved = confirm_sources(frames, native, fps_filter_sources(times, fps, len(frames)))
        mt = map_truth(truth, src, fps)
        mt["video"] = f"../../../{truth['video']}"
        for e in encoders:
            p = feat / e / rate_dir(r) / f"{stem}.npy"
            if not p.exists():
                save_npy(p, encode(e, frames))
        save_json(feat / "_truth" / rate_dir(r) / f"{stem}.json", mt)
        log.append(f"{rate_dir(r)} {len(frames)} frames ({moved} sources off the fps-filter prediction), "
                   f"{len(mt['transitions'])}/{len(truth['transitions'])} transitions")
    return f"{stem}: " + "; ".join(log)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("devset", type=Path)
    ap.add_argument("--rates", default=",".join(DEFAULT_RATES), help="native and/or frames per second (default %(default)s)")
    ap.add_argument("--encoders", default=",".join(ENCODERS), help="default: all (%(default)s)")
    ap.add_argument("--jobs", type=int, default=2, help="(video) jobs in parallel, at most 2 (default 2)")
    a = ap.parse_args()
    truths = sorted(p for p in a.devset.glob("*.json"))
    if not truths:
        print(f"make_encoder_features: no VIDEO.json truth files in {a.devset} (run scripts/make_video_devset.py)",
              file=sys.stderr)
        return 2
    rates = [r.strip() for r in a.rates.split(",") if r.strip()]
    for r in rates:
        if r != "native":
            try:
                ok = 0 < float(r) <= 120
            except ValueError:
                ok = False
            if not ok:
                print(f"make_encoder_features: --rates: '{r}' is neither 'native' nor a rate in (0, 120]", file=sys.stderr)
                return 2
    encoders = [e.strip() for e in a.encoders.split(",") if e.strip()]
    bad = [e for e in encoders if e not in ENCODERS]
    if bad:
        print(f"make_encoder_features: --encoders: unknown {bad} (known: {', '.join(ENCODERS)})", file=sys.stderr)
        return 2
    with ProcessPoolExecutor(max(1, min(2, a.jobs))) as ex:
        for line in ex.map(job, [a.devset] * len(truths), truths, [rates] * len(truths), [encoders] * len(truths)):
            print(line, flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
