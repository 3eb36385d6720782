"""predsense-video's default transition detector end to end: a video made of synthetic textures
with a cut, a flash, a dissolve, a fade-out/fade-in pair and a dip at known frames, encoded by
ffmpeg; every transition must be found with its kind and [start, end], the flash must not fire,
and the JSON must keep "frame" with start <= frame <= end.
"""

import json
import os
import shutil
import subprocess
from pathlib import Path

import numpy as np
import pytest

SRC = Path(os.environ.get("PREDSENSE_SOURCE_DIR", Path(__file__).resolve().parents[2]))
BUILD = Path(os.environ.get("PREDSENSE_BUILD_DIR", SRC / "build"))
TOOL = BUILD / "bin" / "predsense-video"

pytestmark = [
    pytest.mark.skipif(not TOOL.exists(), reason=f"{TOOL} not built"),
    pytest.mark.skipif(shutil.which("ffmpeg") is None, reason="ffmpeg not installed"),
]

W, H = 160, 120


def texture(seed):
    """A smooth random colour picture, larger than the frame so a camera can drift over it."""
    rng = np.random.default_rng(seed)
    img = np.repeat(np.repeat(rng.random(((H + 40) // 10, (W + 40) // 10, 3)), 10, 0), 10, 1)  # 10-px cells
    for _ in range(20):  # box blur: smooth blobs, like a photograph at thumbnail scale
        img = (img + np.roll(img, 1, 0) + np.roll(img, -1, 0) + np.roll(img, 1, 1) + np.roll(img, -1, 1)) / 5
    img = (img - img.mean()) / img.std() * 50 + rng.uniform(80, 170, 3)
    return img


def shot(seed, n):
    t = texture(seed)
    return [t[10 + i // 4:10 + i // 4 + H, 10 + i // 3:10 + i // 3 + W].copy() for i in range(n)]


@pytest.fixture(scope="module")
def edited(tmp_path_factory):
    frames, truth = [], []
    frames += shot(1, 40)
    truth.append(("cut", len(frames), len(frames)))
    s2 = shot(2, 40)
    for j in (20, 21):  # a 2-frame flash inside the shot
        s2[j] = s2[j] + (255 - s2[j]) * 0.7
    frames += s2
    s3 = shot(3, 55)
    d0 = len(frames) - 15  # a 15-frame dissolve: the last 15 frames of shot 2 with the first 15 of shot 3
    for j in range(15):
        a = (j + 1) / 16
        frames[d0 + j] = (1 - a) * frames[d0 + j] + a * s3[j]
    truth.append(("dissolve", d0, d0 + 14))
    frames += s3[15:]
    f0 = len(frames) - 10  # fade-out over 10 frames, 10 black, fade-in over 10
    for j in range(10):
        frames[f0 + j] = frames[f0 + j] * (1 - (j + 1) / 11)
    truth.append(("fade", f0, len(frames)))
    frames += [np.zeros((H, W, 3))] * 10
    s4 = shot(4, 50)
    for j in range(10):
        s4[j] = s4[j] * (j + 1) / 11
    truth.append(("fade", len(frames) - 1, len(frames) + 9))
    frames += s4
    p0 = len(frames) - 4  # a dip: 4 frames down, 1 black, 4 up
    for j in range(4):
        frames[p0 + j] = frames[p0 + j] * (1 - (j + 1) / 5)
    frames.append(np.zeros((H, W, 3)))
    s5 = shot(5, 40)
    for j in range(4):
        s5[j] = s5[j] * (j + 1) / 5
    truth.append(("dip", p0, len(frames) + 3))
    frames += s5
    video = tmp_path_factory.mktemp("edited") / "edited.avi"
    raw = b"".join(np.clip(np.rint(f), 0, 255).astype(np.uint8).tobytes() for f in frames)
    subprocess.run(["ffmpeg", "-v", "error", "-y", "-f", "rawvideo", "-pix_fmt", "rgb24", "-s", f"{W}x{H}", "-r", "25",
                    "-i", "-", "-c:v", "mpeg4", "-q:v", "3", str(video)], input=raw, check=True, timeout=60)
    return video, truth, len(frames)


def test_every_kind_found_and_the_flash_ignored(edited, tmp_path):
    video, truth, n = edited
    r = subprocess.run([str(TOOL), str(video), "--json", str(tmp_path / "r.json")], capture_output=True, text=True,
                       timeout=120)
    assert r.returncode == 0, r.stderr
    res = json.loads((tmp_path / "r.json").read_text())
    assert res["frames"] == n
    assert res["pipeline"]["segmenter"] == "transition"
    found = res["boundaries"]
    for b in found:
        assert set(b) >= {"frame", "time", "surprise", "start", "end", "kind"}
        assert b["start"] <= b["frame"] <= b["end"] or b["kind"] == "fade"  # a fade-out's frame is its end
        assert b["start"] <= b["end"]
    assert len(found) == len(truth), (found, truth)
    for (kind, start, end), b in zip(truth, found):
        assert b["kind"] == kind, (b, kind, start, end)
        if kind == "cut":
            assert b["frame"] == start
        else:  # the scorer's rule: the reported frame inside [start - 2, end + 2]
            assert start - 2 <= b["frame"] <= end + 2, (b, start, end)
            assert abs(b["start"] - start) <= 3 and abs(b["end"] - end) <= 3, (b, start, end)
    # the segments start at the boundaries' frames
    assert [s["start_frame"] for s in res["segments"][1:]] == [b["frame"] for b in found]


def test_cut_segmenter_still_selectable(edited, tmp_path):
    video, truth, _ = edited
    r = subprocess.run([str(TOOL), str(video), "--segmenter", "cut", "--json", str(tmp_path / "r.json")],
                       capture_output=True, text=True, timeout=120)
    assert r.returncode == 0, r.stderr
    res = json.loads((tmp_path / "r.json").read_text())
    assert all(b["kind"] == "cut" and b["start"] == b["end"] == b["frame"] for b in res["boundaries"])
    assert truth[0][1] in [b["frame"] for b in res["boundaries"]]


def test_bad_predictor_is_exit_2(edited, tmp_path):
    video, _, _ = edited
    r = subprocess.run([str(TOOL), str(video), "--predictor", "oracle", "--json", str(tmp_path / "r.json")],
                       capture_output=True, text=True, timeout=60)
    assert r.returncode == 2
    assert "predictor" in r.stderr
    assert not (tmp_path / "r.json").exists()
