#!/usr/bin/python3
"""Build the predsense-video development set: real footage and photographs from Debian packages,
edited into videos whose every shot transition (and every non-transition distractor) is known to
the frame.

    /usr/bin/python3 scripts/make_video_devset.py OUT_DIR [--videos N] [--quick]

Sources (read-only, from Debian packages; scripts/install-deps.sh bench installs them):
  opencv-doc      /usr/share/doc/opencv-doc/examples/data: Megamind.avi (4 shots of a trailer),
                  vtest.avi (fixed street camera), tree.avi (a hand waving in front of a tree),
                  photographs (baboon, fruits, building, home, messi5, starry_night, ...)
  python3-skimage skimage/data: astronaut, coffee, chelsea, rocket, motorcycle_left, hubble, ...

A "shot" is either a span of one of the real clips (never across one of Megamind's own cuts) or a
virtual camera over a photograph (slow pan and zoom, sensor noise). Shots are joined by
  cut       the first frame of the new shot is the truth frame;
  dissolve  10-30 frames of (1 - a) * A + a * B, both shots playing (ffmpeg xfade=fade's formula);
  fade      a fade-out of A to black or white (6-20 frames), a hold of 8-24 solid frames, a
            fade-in of B: two events of kind "fade", [first faded frame, first solid frame] and
            [last solid frame, last faded frame];
  dip       a fade-out to black and straight back in (3-8 frames each, hold 0-2): one event.
Inside shots, distractors that are not transitions (labelled so that false alarms on them can be
counted): flash (1-3 frames whitened), motion (whip pan, fast zoom, 20-50 frames of hand-held
shake, sometimes ending in a cut), occluder (a blurred dark blob close to the lens crossing the
frame, or tree.avi's real hand).

Frames are composed in numpy (so the truth is exact) and encoded by ffmpeg with a different size,
frame rate and codec per video. Each VIDEO gets VIDEO.json:
  {"frames": N, "fps": r, "width": w, "height": h, "codec": c,
   "transitions": [{"kind": "cut"|"dissolve"|"fade"|"dip", "frame": f, "start": s, "end": e}, ...],
   "distractors": [{"kind": "flash"|"motion"|"occluder", "what": ..., "start": s, "end": e}, ...]}
Frame indices count decoded frames from 0; for a cut start == end == frame (the first frame of the
new shot); for a gradual transition [start, end] are its first and last mixed frames and frame is
the first frame where the new content dominates. Deterministic for a given seed.
"""

import argparse
import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np

try:
    import cv2
except ImportError:
    sys.exit("make_video_devset: needs python3-opencv (scripts/install-deps.sh bench)")

OPENCV_DATA = Path("/usr/share/doc/opencv-doc/examples/data")
SKIMAGE_DATA = Path("/usr/lib/python3/dist-packages/skimage/data")

PHOTOS = [OPENCV_DATA / p for p in ["baboon.jpg", "fruits.jpg", "building.jpg", "home.jpg", "messi5.jpg",
                                    "starry_night.jpg", "aero1.jpg", "graf1.png", "leuvenA.jpg", "HappyFish.jpg",
                                    "butterfly.jpg", "smarties.png", "orange.jpg", "squirrel_cls.jpg",
                                    "Blender_Suzanne1.jpg", "board.jpg", "lena.jpg", "apple.jpg"]]
PHOTOS += [SKIMAGE_DATA / p for p in ["astronaut.png", "coffee.png", "chelsea.png", "rocket.jpg",
                                      "motorcycle_left.png", "hubble_deep_field.jpg", "retina.jpg", "color.png"]]

# (width, height, fps, codec args, container)
FORMATS = [
    (640, 360, 25.0, ["-c:v", "libx264", "-preset", "veryfast", "-crf", "20", "-pix_fmt", "yuv420p"], "mp4"),
    (480, 272, 30.0, ["-c:v", "mpeg4", "-q:v", "4"], "avi"),
    (320, 240, 24.0, ["-c:v", "mjpeg", "-q:v", "5", "-pix_fmt", "yuvj420p"], "avi"),
    (720, 404, 29.97, ["-c:v", "libvpx", "-b:v", "2M", "-deadline", "realtime", "-cpu-used", "8"], "webm"),
    (352, 288, 25.0, ["-c:v", "mpeg2video", "-q:v", "4"], "mpg"),
    (426, 240, 15.0, ["-c:v", "libx264", "-preset", "veryfast", "-crf", "26", "-pix_fmt", "yuv420p"], "mkv"),
    (560, 420, 23.976, ["-c:v", "libx264", "-preset", "veryfast", "-crf", "23", "-pix_fmt", "yuv420p"], "mov"),
    (400, 300, 20.0, ["-c:v", "msmpeg4", "-q:v", "4"], "avi"),
]


def read_clip(path):
    cap = cv2.VideoCapture(str(path))
    frames = []
    while True:
        ok, f = cap.read()
        if not ok:
            break
        frames.append(cv2.cvtColor(f, cv2.COLOR_BGR2RGB))
    cap.release()
    if not frames:
        sys.exit(f"make_video_devset: cannot read {path} (is opencv-doc installed?)")
    return frames


def fit(img, w, h):
    """Centre-crop img to the aspect ratio w:h, resize to w x h."""
    ih, iw = img.shape[:2]
    if iw * h > ih * w:
        cw = ih * w // h
        x0 = (iw - cw) // 2
        img = img[:, x0:x0 + cw]
    else:
        ch = iw * h // w
        y0 = (ih - ch) // 2
        img = img[y0:y0 + ch]
    return cv2.resize(img, (w, h), interpolation=cv2.INTER_AREA)


class Sources:
    def __init__(self):
        self.clips = {}
        mm = read_clip(OPENCV_DATA / "Megamind.avi")
        # Megamind.avi: frame 0 black, shots start at 1, 98, 154, 200 (docs/video.md)
        for k, (a, b) in enumerate([(1, 98), (98, 154), (154, 200), (200, len(mm))]):
            self.clips[f"megamind{k}"] = mm[a:b]
        self.clips["vtest"] = read_clip(OPENCV_DATA / "vtest.avi")
        self.clips["tree"] = read_clip(OPENCV_DATA / "tree.avi")
        self.photos = {}
        for p in PHOTOS:
            if not p.exists():
                continue
            img = cv2.imread(str(p), cv2.IMREAD_COLOR)
            if img is None or min(img.shape[:2]) < 200:
                continue
            self.photos[p.stem] = cv2.cvtColor(img, cv2.COLOR_BGR2RGB)
        if len(self.photos) < 8:
            sys.exit("make_video_devset: too few photographs found (opencv-doc, python3-skimage)")


def render_crop(photo, cx, cy, scale, w, h):
    """The w x h view of photo centred at (cx, cy) (source pixels), scale source px per output px."""
    m = np.array([[scale, 0.0, cx - scale * (w - 1) / 2.0], [0.0, scale, cy - scale * (h - 1) / 2.0]])
    return cv2.warpAffine(photo, m, (w, h), flags=cv2.INTER_LINEAR | cv2.WARP_INVERSE_MAP,
                          borderMode=cv2.BORDER_REFLECT)


class PhotoShot:
    """A virtual camera over a photograph: a camera path (cx, cy, scale) per frame."""

    def __init__(self, rng, photo, n, w, h):
        ph, pw = photo.shape[:2]
        self.photo, self.w, self.h = photo, w, h
        base = min(pw / w, ph / h)  # the whole photo's shorter side fills the frame
        s0 = base * rng.uniform(0.55, 0.8)
        s1 = s0 * rng.uniform(0.9, 1.1)
        # slow drift, staying inside the photo
        def inside(s):
            mx, my = s * w / 2, s * h / 2
            return rng.uniform(mx, pw - mx), rng.uniform(my, ph - my)
        c0, c1 = inside(max(s0, s1)), inside(max(s0, s1))
        a = np.linspace(0, 1, n)
        drift = rng.uniform(0.05, 0.25)  # fraction of the way from c0 to c1 over the shot
        self.path = [(c0[0] + drift * t * (c1[0] - c0[0]), c0[1] + drift * t * (c1[1] - c0[1]),
                      s0 + t * (s1 - s0)) for t in a]
        self.blur = [1] * n
        self.noise = rng.uniform(1.0, 3.0)
        self.rng = rng
        self.base = base

    def frame(self, i):
        cx, cy, s = self.path[i]
        k = self.blur[i]
        if k <= 1:
            img = render_crop(self.photo, cx, cy, s, self.w, self.h).astype(np.float32)
        else:  # motion blur: average of sub-frame views between the previous and this camera
            px, py, ps = self.path[max(0, i - 1)]
            acc = np.zeros((self.h, self.w, 3), np.float32)
            for j in range(k):
                u = (j + 1) / k
                acc += render_crop(self.photo, px + u * (cx - px), py + u * (cy - py), ps + u * (s - ps), self.w, self.h)
            img = acc / k
        img += self.rng.normal(0.0, self.noise, img.shape).astype(np.float32)
        return img

    def __len__(self):
        return len(self.path)


class ClipShot:
    def __init__(self, frames, start, n, w, h):
        src = frames[start:start + n]
        if len(src) < n:  # ping-pong to length
            seq = frames + frames[-2:0:-1]
            src = [seq[(start + i) % len(seq)] for i in range(n)]
        self.frames = [fit(f, w, h) for f in src]

    def frame(self, i):
        return self.frames[i].astype(np.float32)

    def __len__(self):
        return len(self.frames)


def add_motion(rng, shot, kind, at, n):
    """Overwrite the camera path of a PhotoShot over [at, at + n) with a whip pan, fast zoom or shake."""
    ph, pw = shot.photo.shape[:2]
    cx, cy, s = shot.path[at]
    if kind == "whip":
        mx = s * shot.w / 2
        tx = pw - mx - 1 if cx < pw / 2 else mx + 1
        for j in range(n):
            u = 0.5 - 0.5 * np.cos(np.pi * (j + 1) / n)
            shot.path[at + j] = (cx + u * (tx - cx), cy, s)
            shot.blur[at + j] = 6
        for j in range(at + n, len(shot)):
            shot.path[j] = (tx, cy, shot.path[j][2])
    elif kind == "zoom":
        target = s * rng.choice([0.45, 2.0]) if s * 2.0 * shot.w / 2 < min(pw, ph * shot.w / shot.h) / 2 else s * 0.45
        for j in range(n):
            u = 0.5 - 0.5 * np.cos(np.pi * (j + 1) / n)
            shot.path[at + j] = (cx, cy, s + u * (target - s))
            shot.blur[at + j] = 4
        for j in range(at + n, len(shot)):
            shot.path[j] = (shot.path[j][0], shot.path[j][1], target)
    elif kind == "shake":
        amp = s * shot.w * rng.uniform(0.04, 0.08)
        for j in range(n):
            p = shot.path[at + j]
            shot.path[at + j] = (p[0] + rng.normal(0, amp), p[1] + rng.normal(0, amp * 0.7), p[2])
            shot.blur[at + j] = 3
    else:
        raise ValueError(kind)


def occlude(rng, frames, at, n):
    """A dark, defocused blob close to the lens sweeps in from one side and back out (frames float)."""
    h, w = frames[0].shape[:2]
    colour = np.array(rng.choice([[70, 50, 40], [150, 110, 90], [30, 30, 35]]), np.float32)
    side = rng.choice([-1, 1])
    yy, xx = np.mgrid[0:h, 0:w].astype(np.float32)
    for j in range(n):
        u = np.sin(np.pi * (j + 0.5) / n)  # 0 -> 1 -> 0
        cx = w / 2 + side * (1.0 - u) * w * 0.9
        cy = h * (0.6 + 0.1 * np.sin(j * 0.7))
        rx, ry = w * 0.35, h * 0.55
        d = ((xx - cx) / rx) ** 2 + ((yy - cy) / ry) ** 2
        alpha = np.clip((1.15 - d) / 0.35, 0, 1)[..., None]
        shade = colour * (0.85 + 0.15 * np.clip(1 - d, 0, 1))[..., None]
        frames[at + j] = frames[at + j] * (1 - alpha) + shade * alpha


def solid(colour, h, w):
    return np.full((h, w, 3), 255.0 if colour == "white" else 0.0, np.float32)


def build_video(src, rng, w, h, n_shots, quick):
    """Compose one video: a list of float frames, transitions and distractors."""
    frames, transitions, distractors = [], [], []
    joins = ["cut", "dissolve", "cut", "fade", "dip", "cut", "dissolve", "cut", "dip", "dissolve", "fade", "cut"]
    rng.shuffle(joins)
    inner = ["flash", "none", "whip", "occluder", "flash", "zoom", "shake_cut", "shake", "none", "flash", "tree", "none"]
    rng.shuffle(inner)
    photo_names = sorted(src.photos)
    rng.shuffle(photo_names)
    clip_names = ["megamind0", "megamind1", "megamind2", "megamind3", "vtest"]
    history = []  # shots already used: one is revisited later
    pending_cut_after_shake = False
    for k in range(n_shots):
        n = int(rng.integers(45, 100)) if not quick else int(rng.integers(30, 45))
        what = inner[k % len(inner)]
        if what == "tree":
            tree = src.clips["tree"]
            shot = ClipShot(tree, 0, min(n, len(tree)), w, h)
            label = "tree.avi"
        elif k >= 4 and history and rng.random() < 0.2:  # a shot revisited later (a new camera on an earlier photo)
            kind_, name = history[int(rng.integers(0, len(history)))]
            if kind_ == "photo":
                shot = PhotoShot(rng, src.photos[name], n, w, h)
            else:
                clip = src.clips[name]
                shot = ClipShot(clip, int(rng.integers(0, max(1, len(clip) - n))), n, w, h)
            label = f"revisit {name}"
        elif rng.random() < 0.3 and what not in ("whip", "zoom", "shake", "shake_cut"):
            name = clip_names[int(rng.integers(0, len(clip_names)))]
            clip = src.clips[name]
            shot = ClipShot(clip, int(rng.integers(0, max(1, len(clip) - n))), n, w, h)
            history.append(("clip", name))
            label = name
        else:
            name = photo_names[k % len(photo_names)]
            shot = PhotoShot(rng, src.photos[name], n, w, h)
            history.append(("photo", name))
            label = name
        n = len(shot)
        # distractor inside this shot (its placement avoids the first and last 12 frames)
        dist = None
        if what in ("whip", "zoom", "shake", "shake_cut") and isinstance(shot, PhotoShot):
            m = {"whip": int(rng.integers(6, 11)), "zoom": int(rng.integers(8, 15)), "shake": int(rng.integers(20, 40)),
                 "shake_cut": min(50, n - 14)}[what]
            at = n - m if what == "shake_cut" else int(rng.integers(12, max(13, n - m - 12)))
            add_motion(rng, shot, "shake" if what == "shake_cut" else what, at, m)
            dist = ("motion", what, at, at + m - 1)
        shot_frames = [shot.frame(i) for i in range(n)]
        if what == "flash":
            L = int(rng.integers(1, 4))
            at = int(rng.integers(12, n - 12 - L))
            strength = rng.uniform(0.5, 0.85)
            for j in range(at, at + L):
                shot_frames[j] = shot_frames[j] + (255.0 - shot_frames[j]) * strength
            dist = ("flash", f"{L} frames", at, at + L - 1)
        elif what == "occluder":
            m = int(rng.integers(14, 26))
            at = int(rng.integers(12, max(13, n - m - 12)))
            occlude(rng, shot_frames, at, m)
            dist = ("occluder", "blob", at, at + m - 1)
        elif what == "tree":
            dist = ("occluder", "tree.avi hand", 0, n - 1)

        # join to the previous shot
        if k == 0:
            offset = 0
            frames.extend(shot_frames)
        else:
            join = "cut" if pending_cut_after_shake else joins[k % len(joins)]
            pending_cut_after_shake = False
            if join == "cut":
                offset = len(frames)
                transitions.append({"kind": "cut", "frame": offset, "start": offset, "end": offset})
                frames.extend(shot_frames)
            elif join == "dissolve":
                L = int(rng.integers(10, 31)) if not quick else int(rng.integers(10, 16))
                L = min(L, n - 12, len(frames) - 12)
                s = len(frames) - L  # the last L frames of A mix with the first L of B
                for j in range(L):
                    a = (j + 1) / (L + 1)
                    frames[s + j] = (1 - a) * frames[s + j] + a * shot_frames[j]
                dom = s + next(j for j in range(L) if (j + 1) / (L + 1) >= 0.5)
                transitions.append({"kind": "dissolve", "frame": dom, "start": s, "end": s + L - 1})
                offset = s
                frames.extend(shot_frames[L:])
            elif join == "fade":
                colour = "black" if rng.random() < 0.6 else "white"
                lo, li, hold = int(rng.integers(6, 21)), int(rng.integers(6, 21)), int(rng.integers(8, 25))
                s = len(frames) - lo
                for j in range(lo):
                    a = (j + 1) / (lo + 1)
                    frames[s + j] = (1 - a) * frames[s + j] + a * solid(colour, h, w)
                first_solid = len(frames)
                frames.extend([solid(colour, h, w) for _ in range(hold)])
                transitions.append({"kind": "fade", "frame": first_solid, "start": s, "end": first_solid,
                                    "colour": colour, "direction": "out"})
                b0 = len(frames)
                for j in range(li):
                    a = (j + 1) / (li + 1)
                    shot_frames[j] = (1 - a) * solid(colour, h, w) + a * shot_frames[j]
                transitions.append({"kind": "fade", "frame": b0, "start": b0 - 1, "end": b0 + li - 1,
                                    "colour": colour, "direction": "in"})
                offset = b0
                frames.extend(shot_frames)
            else:  # dip to black
                lo, li, hold = int(rng.integers(3, 9)), int(rng.integers(3, 9)), int(rng.integers(0, 3))
                s = len(frames) - lo
                for j in range(lo):
                    a = (j + 1) / (lo + 1)
                    frames[s + j] = (1 - a) * frames[s + j]
                frames.extend([solid("black", h, w) for _ in range(hold)])
                b0 = len(frames)
                for j in range(li):
                    a = (j + 1) / (li + 1)
                    shot_frames[j] = a * shot_frames[j]
                transitions.append({"kind": "dip", "frame": b0, "start": s, "end": b0 + li - 1})
                offset = b0
                frames.extend(shot_frames)
        if dist:
            kind, what_, a, b = dist
            distractors.append({"kind": kind, "what": what_, "start": offset + a, "end": offset + b, "shot": label})
        if what == "shake_cut":
            pending_cut_after_shake = True
    # Distractors overlapped by a gradual transition's mixing are dropped from the labels.
    keep = []
    for d in distractors:
        if any(t["start"] - 2 <= d["end"] and d["start"] <= t["end"] + 2 for t in transitions if t["kind"] != "cut"):
            continue
        keep.append(d)
    return frames, transitions, keep


def encode(frames, path, fps, codec):
    h, w = frames[0].shape[:2]
    tmp = path.with_name(path.stem + ".tmp" + path.suffix)
    cmd = ["ffmpeg", "-nostdin", "-v", "error", "-y", "-f", "rawvideo", "-pix_fmt", "rgb24", "-s", f"{w}x{h}",
           "-r", f"{fps}", "-i", "-", *codec, "-an", str(tmp)]
    p = subprocess.Popen(cmd, stdin=subprocess.PIPE)
    try:
        for f in frames:
            p.stdin.write(np.clip(np.rint(f), 0, 255).astype(np.uint8).tobytes())
        p.stdin.close()
    except BrokenPipeError:
        pass
    if p.wait() != 0:
        tmp.unlink(missing_ok=True)
        sys.exit(f"make_video_devset: ffmpeg failed to encode {path}")
    os.replace(tmp, path)


def count_frames(path):
    out = subprocess.run(["ffprobe", "-v", "error", "-count_frames", "-select_streams", "v:0", "-show_entries",
                          "stream=nb_read_frames", "-of", "csv=p=0", str(path)], capture_output=True, text=True)
    return int(out.stdout.strip().split(",")[0])


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("out", type=Path)
    ap.add_argument("--videos", type=int, default=8, help="how many videos (default 8, at most %d)" % len(FORMATS))
    ap.add_argument("--seed", type=int, default=2511, help="base seed (default 2511)")
    ap.add_argument("--quick", action="store_true", help="short shots (for tests)")
    a = ap.parse_args()
    if not 1 <= a.videos <= len(FORMATS):
        print(f"make_video_devset: --videos must be in 1..{len(FORMATS)}", file=sys.stderr)
        return 2
    a.out.mkdir(parents=True, exist_ok=True)
    src = Sources()
    total = 0
    for v in range(a.videos):
        w, h, fps, codec, ext = FORMATS[v]
        rng = np.random.default_rng(a.seed + v)
        frames, transitions, distractors = build_video(src, rng, w, h, 6 if a.quick else 12, a.quick)
        path = a.out / f"dev{v}.{ext}"
        encode(frames, path, fps, codec)
        n = count_frames(path)
        if n != len(frames):
            sys.exit(f"make_video_devset: {path}: encoded {len(frames)} frames but ffprobe counts {n}")
        truth = {"video": path.name, "frames": n, "fps": fps, "width": w, "height": h, "codec": codec[1],
                 "transitions": transitions, "distractors": distractors}
        tmp = path.with_suffix(".json.tmp")
        tmp.write_text(json.dumps(truth, indent=1) + "\n")
        os.replace(tmp, path.with_name(path.name + ".json"))
        kinds = {}
        for t in transitions:
            kinds[t["kind"]] = kinds.get(t["kind"], 0) + 1
        print(f"{path}: {n} frames {w}x{h} {fps} fps {codec[1]}; transitions {kinds}; "
              f"distractors {[d['kind'] + ':' + d['what'] for d in distractors]}")
        total += n
    print(f"{a.videos} videos, {total} frames")
    return 0


if __name__ == "__main__":
    sys.exit(main())
