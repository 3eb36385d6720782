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


# ---- cuts split over two frames and slow fades (field reports) ----------------------------------

def moving(seed, n, vx, vy):
    """A camera panning over a texture from the first frame on (vx, vy pixels a frame)."""
    rng = np.random.default_rng(seed)
    img = np.repeat(np.repeat(rng.random(((H + 200) // 10, (W + 200) // 10, 3)), 10, 0), 10, 1)
    for _ in range(20):
        img = (img + np.roll(img, 1, 0) + np.roll(img, -1, 0) + np.roll(img, 1, 1) + np.roll(img, -1, 1)) / 5
    img = (img - img.mean()) / img.std() * 50 + rng.uniform(80, 170, 3)
    return [img[5 + i * vy:5 + i * vy + H, 5 + i * vx:5 + i * vx + W].copy() for i in range(n)]


def run_tool(frames, tmp_path, name):
    video = tmp_path / f"{name}.avi"
    raw = b"".join(np.clip(np.rint(f), 0, 255).astype(np.uint8).tobytes() for f in frames)
    subprocess.run(["ffmpeg", "-v", "error", "-y", "-f", "rawvideo", "-pix_fmt", "rgb24", "-s", f"{W}x{H}", "-r", "25",
                    "-i", "-", "-c:v", "mpeg4", "-q:v", "3", str(video)], input=raw, check=True, timeout=60)
    out = tmp_path / f"{name}.json"
    r = subprocess.run([str(TOOL), str(video), "--json", str(out)], capture_output=True, text=True, timeout=120)
    assert r.returncode == 0, r.stderr
    return [(b["kind"], b["start"], b["frame"], b["end"]) for b in json.loads(out.read_text())["boundaries"]]


@pytest.mark.parametrize("speed", [(0, 0), (1, 0), (2, 1), (3, 1)])
@pytest.mark.parametrize("mix", ["blend50", "blend30", "fields"])
def test_cut_with_one_blended_frame_is_a_cut(tmp_path, speed, mix):
    # frame 40 mixes the two shots: a 50/50 or 70/30 blend, or interlaced material cut between
    # fields (even rows from the old shot, odd rows from the new one); the cameras move from frame 0
    a, b = moving(11, 50, *speed), moving(12, 50, *speed)
    if mix == "fields":
        m = a[40].copy()
        m[1::2] = b[0][1::2]
    else:
        w = 0.5 if mix == "blend50" else 0.3
        m = (1 - w) * a[40] + w * b[0]
    found = run_tool(a[:40] + [m] + b[1:], tmp_path, mix)
    assert len(found) == 1 and found[0][0] == "cut", found
    assert found[0][2] in (40, 41), found  # the blended frame or the first frame of the new shot


@pytest.mark.parametrize("contrast", [1.0, 0.4])
@pytest.mark.parametrize("black_at_start", [True, False])
def test_slow_fade_in_after_black_starts_at_the_last_black_frame(tmp_path, contrast, black_at_start):
    # 20-30 black frames, then a 25-frame fade-in whose first frames are darker than the "solid"
    # threshold: the fade starts at the last black frame and ends where the picture stops rising
    s = [contrast * (f - f.mean()) + f.mean() for f in moving(7, 80, 1, 0)]
    head = [] if black_at_start else moving(6, 40, 1, 0)
    black = 30 if black_at_start else 20
    frames = head + [np.zeros((H, W, 3))] * black + [s[j] * (j + 1) / 26 for j in range(25)] + s[25:]
    last_black = len(head) + black - 1
    found = run_tool(frames, tmp_path, "fadein")
    fades_in = [f for f in found if f[0] == "fade" and f[1] >= last_black - 3]
    assert len(fades_in) == 1, found
    kind, start, frame, end = fades_in[0]
    assert abs(start - last_black) <= 1, found
    assert abs(end - (last_black + 25)) <= 2, found
    if not black_at_start:  # the cut to black before it is a fade-out ending at the first black frame
        assert ("fade", len(head), len(head), len(head)) in found, found
