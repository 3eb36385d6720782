"""Thumbnails of a video at a rate, and shot transitions from any encoder's latents plus those thumbnails.

The transition detector proposes with the surprise of *your* latents and verifies with the pixels of
the frames on either side, so it needs one small image per latent frame. ``video_thumbnails`` makes
them as predsense-video does (ffmpeg decodes, resamples to ``fps`` with its fps filter, scales to
128x128 with area averaging; ``area_downsample`` to 32x32 in [0, 1]), so frame i of features sampled
at ``fps`` lines up with thumbnail i (time i / fps s). ``transitions`` runs the detector::

    import predsense as ps
    thumbs, times = ps.video_thumbnails("clip.mp4", fps=1.0)          # (n, 32, 32, 3) float32, (n,) s
    events = ps.transitions(my_latents, thumbs, fps=1.0)               # my_latents: (n, T, D) or (n, D)

Needs the ``ffmpeg`` program on PATH (Debian package ffmpeg). Errors: FileNotFoundError (no file, no
ffmpeg), predsense.FormatError (ffmpeg cannot decode it, or no video frame), predsense.ShapeError
(latents and thumbnails of different lengths beyond a sampler's rounding), ValueError (bad fps).
"""
import math
import os
import shutil
import subprocess

import numpy as np

from . import _core

WORK = 128  # predsense-video's working size: frames are scaled to 128 x 128 before the thumbnail


def _rate_of(path):
    """The video's average frame rate from ffprobe (frames per second)."""
    out = subprocess.run(["ffprobe", "-v", "error", "-select_streams", "v:0", "-show_entries",
                          "stream=avg_frame_rate,r_frame_rate", "-of", "default=nw=1:nk=1", os.fspath(path)],
                         capture_output=True, text=True)
    for line in out.stdout.split():
        num, _, den = line.partition("/")
        try:
            r = float(num) / float(den or 1)
        except (ValueError, ZeroDivisionError):
            continue
        if r > 0 and math.isfinite(r):
            return r
    raise _core.FormatError(f"{path}: the video's frame rate is unknown; give fps")


def video_thumbnails(path, fps=None, *, width=32, height=32):
    """Decode ``path`` and return ``(thumbnails, times)``: thumbnails (frames, height, width, 3) float32 in
    [0, 1] (each the area average of the 128x128 working frame, as predsense-video), times (frames,)
    float64 seconds from the first frame. ``fps``: resample to this many frames per second (ffmpeg's fps
    filter: frame i at i / fps s); None keeps every frame at the video's own rate."""
    path = os.fspath(path)
    if fps is not None and not (isinstance(fps, (int, float)) and math.isfinite(fps) and 0 < fps <= 1000):
        raise ValueError(f"fps: expected a rate in (0, 1000] frames per second, got {fps!r}")
    if not os.path.exists(path):
        raise FileNotFoundError(f"{path}: no such file")
    if shutil.which("ffmpeg") is None:
        raise FileNotFoundError("ffmpeg: not found on PATH (Debian package ffmpeg)")
    vf = f"scale={WORK}:{WORK}:flags=area"
    if fps is not None:
        vf = f"fps={fps:.6f}," + vf
    cmd = ["ffmpeg", "-nostdin", "-hide_banner", "-v", "error", "-i", path, "-map", "0:v:0", "-vf", vf,
           "-pix_fmt", "rgb24", "-fps_mode", "passthrough", "-f", "rawvideo", "-"]
    proc = subprocess.run(cmd, capture_output=True)
    if proc.returncode != 0:
        raise _core.FormatError(f"{path}: ffmpeg cannot decode it: {proc.stderr.decode(errors='replace').strip()[-400:]}")
    frame = WORK * WORK * 3
    n = len(proc.stdout) // frame
    if n == 0:
        raise _core.FormatError(f"{path}: no video frames")
    rgb = np.frombuffer(proc.stdout, np.uint8, count=n * frame).reshape(n, WORK, WORK, 3)
    thumbs = np.stack([_core.area_downsample(f, width, height) for f in rgb])
    rate = float(fps) if fps is not None else _rate_of(path)
    return thumbs, np.arange(n, dtype=np.float64) / rate


def detector_scale(fps):
    """The transition detector's long-scale step (frames) for a rate, as predsense-video chooses it.

    About 0.24 s of video: round(0.24 * fps) frames, at least 2 and at most 6 (6 at 25 fps, 2 at 10 fps or
    less); fps in frames per second."""
    return int(min(6, max(2, round(fps * 0.24))))


def transitions(latents, thumbnails, fps, *, surprise=None, **detector_options):
    """Shot transitions (list of dicts: frame, start, end, kind, score, decided_at) of a video from your
    latents (frames, T, D) or (frames, D) and its thumbnails (frames, h, w, 3), both at ``fps``.
    The surprise is copy-last's token-mean cosine distance of the latents unless ``surprise`` (frames,)
    is given (any predictor's). A sampler of your own may round the last frame differently: up to
    1 + 1% of the frames may differ, the shorter side is padded by repeating its last frame (as
    predsense-video does). ``detector_options`` go to TransitionDetector (scale defaults to
    detector_scale(fps))."""
    thumbs = np.asarray(thumbnails, dtype=np.float32)
    if thumbs.ndim != 4:
        raise _core.ShapeError(f"thumbnails: expected (frames, height, width, channels), got shape {thumbs.shape}")
    if surprise is None:
        surprise = _core.copy_last_surprise(latents)
    s = np.asarray(surprise, dtype=np.float64)
    n, m = len(s), len(thumbs)
    if abs(n - m) > 1 + max(n, m) // 100:
        raise _core.ShapeError(f"latents have {n} frames but thumbnails {m}: sample both at the same fps")
    if m < n:
        thumbs = np.concatenate([thumbs, np.repeat(thumbs[-1:], n - m, axis=0)])
    thumbs = thumbs[:n]
    h, w, c = thumbs.shape[1:]
    opts = {"scale": detector_scale(fps), **detector_options}
    det = _core.TransitionDetector(w, h, c, **opts)
    return det.segment(thumbs, s)
