"""predsense.video: a video's scenes in one call, and a plot of any signal with its boundaries.

    scenes = predsense.video.detect("clip.mp4")                 # the tool's defaults and results
    scenes = predsense.video.detect("clip.mp4", fps=5, report="run.html", scenes_csv="scenes.csv")
    predsense.video.display(scenes.result["surprise"], scenes, truth=[30, 55])

detect() runs the built ``predsense-video`` (the same binary, options and defaults as the command
line; its JSON is parsed), so its scenes are the tool's by construction. display() draws a signal
with predicted boundaries as dashed lines over alternating shaded true segments, as ruptures'
``display`` does.
"""
import json
import math
import os
import shutil
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path

from . import _tools

__all__ = ["Scene", "SceneList", "detect", "display", "find_tool"]


@dataclass(frozen=True)
class Scene:
    """Frames [start_frame, end_frame) (0-based, end exclusive, in the frames the pipeline saw), their
    times in seconds from the first frame, and the kind of the transition that opens the scene
    ("cut", "dissolve", "fade", "dip"; None for the first scene)."""
    start_frame: int
    end_frame: int
    start_time: float
    end_time: float
    kind: object = None

    @property
    def frames(self):
        return self.end_frame - self.start_frame

    @property
    def duration(self):
        return self.end_time - self.start_time

    @property
    def start_timecode(self):
        return timecode(self.start_time)

    @property
    def end_timecode(self):
        return timecode(self.end_time)


class SceneList(list):
    """A list of Scene with the run behind it: ``result`` (predsense-video's JSON as a dict:
    surprise, times, boundaries, segments, memory; docs/video.md) and ``fps``."""

    def __init__(self, scenes, result):
        super().__init__(scenes)
        self.result = result
        self.fps = result.get("fps")

    @property
    def boundaries(self):
        """First frames of every scene after the first."""
        return [s.start_frame for s in self[1:]]


def timecode(seconds):
    """HH:MM:SS.mmm (as the tool prints and PySceneDetect writes)."""
    ms = round(max(0.0, float(seconds)) * 1000)
    return f"{ms // 3600000:02d}:{ms // 60000 % 60:02d}:{ms // 1000 % 60:02d}.{ms % 1000:03d}"


def find_tool(explicit=None):
    """predsense-video: ``explicit``, else $PREDSENSE_VIDEO, else the one this installed package
    carries (predsense/bin), else the build tree this package sits in (<build>/python/predsense ->
    <build>/bin), else PATH. FileNotFoundError when none exists."""
    try:
        return _tools.find("predsense-video", explicit, "PREDSENSE_VIDEO")[0]
    except FileNotFoundError as e:
        raise FileNotFoundError(f"{e}: build it (cmake --build build --target predsense-video), install the "
                                "wheel or set PREDSENSE_VIDEO") from None


def _args(options):
    out = []
    for k, v in options.items():
        if v is None or v is False:
            continue
        flag = "--" + k.replace("_", "-")
        if v is True:
            out.append(flag)
        else:
            if isinstance(v, float) and not math.isfinite(v):
                raise ValueError(f"{k}={v!r}: must be finite")
            out += [flag, os.fspath(v) if isinstance(v, os.PathLike) else str(v)]
    return out


def scenes_of(result):
    """predsense-video's JSON (a dict) -> SceneList: one Scene per segment, opened by the boundary at
    its first frame."""
    kinds = {int(b["frame"]): b.get("kind", "cut") for b in result.get("boundaries", [])}
    scenes = [Scene(int(s["start_frame"]), int(s["end_frame"]), float(s["start_time"]), float(s["end_time"]),
                    kinds.get(int(s["start_frame"])) if int(s["start_frame"]) > 0 else None)
              for s in result.get("segments", [])]
    return SceneList(scenes, result)


def detect(path, *, tool=None, timeout=None, **options):
    """The scenes of the video at ``path`` as predsense-video finds them (its defaults unless options
    say otherwise). Options are the tool's, in Python spelling: ``fps=5``, ``segmenter="cut"``,
    ``predictor="rls"``, ``memory_budget=4096``, and its outputs too: ``report="run.html"``,
    ``scenes_csv=...``, ``edl=...``, ``split_video=DIR``, ``plot=...``, ``sheet=...`` (True for a
    flag, None/False to leave out). ``path`` may be None with ``features="F.npy"``.

    Returns a SceneList (Scene per segment; .result is the tool's full JSON). Raises FileNotFoundError
    (no such video, or the tool not built), ValueError with the tool's message (bad option or input:
    its exit code 2), RuntimeError (any other failure)."""
    if "json" in options:
        raise ValueError("json: detect() reads the tool's JSON itself; use the returned .result")
    if path is not None and not Path(path).exists():
        raise FileNotFoundError(f"{path}: no such video file")
    exe = find_tool(tool)
    with tempfile.TemporaryDirectory(prefix="predsense-detect.") as d:
        out = Path(d) / "result.json"
        cmd = [str(exe), "-q", *([os.fspath(path)] if path is not None else []), *_args(options), "--json", str(out)]
        r = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout)
        if r.returncode != 0:
            msg = r.stderr.strip().replace("predsense-video: error: ", "")
            if r.returncode == 2:
                raise ValueError(msg or f"predsense-video rejected {cmd[2:]}")
            raise RuntimeError(f"predsense-video failed (exit {r.returncode}): {msg}")
        result = json.loads(out.read_text())
    return scenes_of(result)


def display(signal, boundaries=(), truth=None, times=None, ax=None, title=None, labels=None, kinds=None):
    """Draws ``signal`` (a 1-D series, or (n, k) for k series) against ``times`` (default: the index)
    with the predicted ``boundaries`` as dashed vertical lines and, when given, the ``truth``
    boundaries as alternating shaded segments (ruptures' display). Boundaries are frame indices, or
    a SceneList / Scenes (each scene after the first opens at its start_frame), or the tool's
    boundary dicts ({"frame": ...}). kinds: optional list of labels per predicted boundary
    (a SceneList gives its transitions' kinds). Returns (figure, axes)."""
    import numpy as np
    import matplotlib.pyplot as plt

    y = np.asarray(signal, dtype=float)
    if y.ndim not in (1, 2) or y.shape[0] == 0:
        raise ValueError(f"signal: expected a non-empty (n,) or (n, k) array, got shape {y.shape}")
    n = y.shape[0]
    x = np.arange(n, dtype=float) if times is None else np.asarray(times, dtype=float)
    if x.shape != (n,):
        raise ValueError(f"times: expected shape ({n},), got {x.shape}")

    def frames_of(bs):
        if isinstance(bs, SceneList):
            return [s.start_frame for s in bs[1:]], [s.kind for s in bs[1:]]
        out, ks = [], []
        for b in bs:
            if isinstance(b, Scene):
                if b.start_frame > 0:
                    out.append(b.start_frame)
                    ks.append(b.kind)
            elif isinstance(b, dict):
                out.append(int(b["frame"]))
                ks.append(b.get("kind"))
            else:
                out.append(int(b))
                ks.append(None)
        return out, ks

    pred, pred_kinds = frames_of(boundaries)
    kinds = list(kinds) if kinds is not None else pred_kinds
    for f in pred:
        if not 0 <= f < n:
            raise ValueError(f"boundaries: frame {f} outside [0, {n})")
    if ax is None:
        fig, ax = plt.subplots(figsize=(10, 3))
    else:
        fig = ax.figure
    if truth is not None:
        t_frames, _ = frames_of(truth)
        edges = [0] + sorted(f for f in t_frames if 0 < f < n) + [n]
        for k in range(len(edges) - 1):
            a = x[edges[k]]
            b = x[edges[k + 1]] if edges[k + 1] < n else x[-1]
            ax.axvspan(a, b, color=("#4c72b0" if k % 2 == 0 else "#dd8452"), alpha=0.15, lw=0)
    lines = ax.plot(x, y, lw=1)
    if labels is not None:
        for ln, lab in zip(lines, [labels] if isinstance(labels, str) else labels):
            ln.set_label(lab)
        ax.legend(loc="upper right", fontsize=8)
    for i, f in enumerate(pred):
        ax.axvline(x[f], color="k", ls="--", lw=1, gid=f"boundary-{f}")
        if kinds and i < len(kinds) and kinds[i] and kinds[i] != "cut":
            ax.annotate(str(kinds[i]), (x[f], 1.0), xycoords=("data", "axes fraction"), fontsize=7,
                        ha="left", va="top")
    ax.set_xlim(x[0], x[-1])
    ax.set_xlabel("frame" if times is None else "seconds")
    if title:
        ax.set_title(title)
    return fig, ax
