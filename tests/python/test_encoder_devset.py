"""The encoder development set's own machinery (scripts/make_encoder_features.py): the
truth mapped to sampled frames on a hand-made truth, ffmpeg's fps-filter frame choice predicted
exactly on a real tiny video, every stand-in encoder's output shape, dtype, scale and determinism
on 3 tiny frames, and the float16 rounding. Fast (a few seconds); the scores themselves come from
`bash scripts/video_devset.sh` (make bench class).
"""

import importlib.util
import os
import shutil
import subprocess
from pathlib import Path

import numpy as np
import pytest

SRC = Path(os.environ.get("PREDSENSE_SOURCE_DIR", Path(__file__).resolve().parents[2]))


@pytest.fixture(scope="module")
def mef():
    spec = importlib.util.spec_from_file_location("make_encoder_features", SRC / "scripts" / "make_encoder_features.py")
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def test_map_truth_hand_made(mef):
    # 30 decoded frames at 10 fps sampled at 2 fps: sampled frame k shows decoded frame 5k
    src = [0, 5, 10, 15, 20, 25]
    truth = {"video": "v.mp4", "frames": 30, "fps": 10.0, "width": 8, "height": 8, "codec": "x",
             "transitions": [
                 {"kind": "fade", "frame": 8, "start": 3, "end": 12},       # shows at 5 and 10 -> [1, 2], frame 2
                 {"kind": "cut", "frame": 7, "start": 7, "end": 7},         # first shown at or after 7: 10 -> 2
                 {"kind": "dissolve", "frame": 12, "start": 11, "end": 13},  # between samples -> first after: 15 -> 3
                 {"kind": "dip", "frame": 15, "start": 14, "end": 16},      # only 15 -> [3, 3]
                 {"kind": "cut", "frame": 25, "start": 25, "end": 25},      # exactly sampled -> 5
                 {"kind": "cut", "frame": 28, "start": 28, "end": 28}],     # after the last sample: dropped
             "distractors": [{"kind": "flash", "what": "w", "start": 16, "end": 17},    # never sampled: dropped
                             {"kind": "motion", "what": "m", "start": 14, "end": 21}]}  # 15, 20 -> [3, 4]
    m = mef.map_truth(truth, src, 2.0)
    assert m["frames"] == 6 and m["fps"] == 2.0 and m["source_frame"] == src
    assert m["width"] == 8 and m["video"] == "v.mp4"
    got = [(t["kind"], t["frame"], t["start"], t["end"]) for t in m["transitions"]]
    assert got == [("fade", 2, 1, 2), ("cut", 2, 2, 2), ("dissolve", 3, 3, 3), ("dip", 3, 3, 3), ("cut", 5, 5, 5)]
    assert [(d["kind"], d["start"], d["end"]) for d in m["distractors"]] == [("motion", 3, 4)]
    assert len(truth["transitions"]) == 6  # the input is not modified
    # the identity mapping (native rate) keeps everything as it was
    ident = mef.map_truth(truth, np.arange(30), 10.0)
    assert ident["transitions"] == [t for t in truth["transitions"]]
    assert ident["distractors"] == truth["distractors"]


@pytest.mark.skipif(shutil.which("ffmpeg") is None, reason="ffmpeg not installed")
@pytest.mark.parametrize("rate", [3.0, 7.0])
def test_fps_filter_prediction_matches_ffmpeg(mef, tmp_path, rate):
    # 40 frames at 10 fps, frame i a flat grey of level 6 i (lossless ffv1): which frame each output of
    # ffmpeg's fps filter shows is read off its level and must equal the prediction from the frame times
    n, fps = 40, 10
    video = tmp_path / "grey.mkv"
    raw = b"".join(np.full((16, 16, 3), 6 * i, np.uint8).tobytes() for i in range(n))
    subprocess.run(["ffmpeg", "-nostdin", "-v", "error", "-f", "rawvideo", "-pix_fmt", "rgb24", "-s", "16x16", "-r",
                    str(fps), "-i", "-", "-c:v", "ffv1", "-pix_fmt", "rgb24", str(video)], input=raw, check=True)
    native, times = mef.decode(video, "native")
    assert len(native) == n
    np.testing.assert_allclose(times, np.arange(n) / fps, atol=1e-3)
    sampled, _ = mef.decode(video, str(rate))
    shown = np.rint(sampled[:, 64, 64, 0] / 6.0).astype(int)  # the source frame each output shows
    pred = mef.fps_filter_sources(times, rate, len(sampled))
    np.testing.assert_array_equal(pred, shown)
    src, moved = mef.confirm_sources(sampled, native, pred)
    np.testing.assert_array_equal(src, shown)
    assert moved == 0
    assert abs(len(sampled) - n * rate / fps) <= 1


def test_confirm_sources_finds_the_identical_frame(mef):
    native = np.stack([np.full((4, 4, 3), i, np.uint8) for i in range(10)])
    src, moved = mef.confirm_sources(native[[0, 3, 7]], native, np.array([0, 4, 5]))
    assert list(src) == [0, 3, 7] and moved == 2
    with pytest.raises(RuntimeError, match="no identical"):
        mef.confirm_sources(native[[9]], native, np.array([2]), reach=3)


def test_float16_rounding(mef):
    x = np.array([1.0 + 2.0 ** -12, 0.1, 70000.0, -3.0], np.float32)
    y = mef.to_float16(x)
    assert y.dtype == np.float32
    assert y[0] == 1.0                                  # below half precision's 2^-10 step: rounds to 1
    assert y[1] == np.float32(0.0999755859375)         # the nearest half to 0.1
    assert np.isinf(y[2])                               # beyond half's 65504
    assert y[3] == -3.0


SHAPES = {"pixels-32": (3, 64, 48), "hist-4x4": (3, 16, 64), "cnn-w16": (3, 64, 64), "cnn-w64-7x7": (3, 49, 256),
          "cnn-pooled": (3, 512), "patch-g4-f16": (3, 16, 96)}


def test_every_encoder_is_listed(mef):
    assert sorted(SHAPES) == sorted(mef.ENCODERS)
    assert len(mef.ENCODERS) >= 4


@pytest.mark.parametrize("name", sorted(SHAPES))
def test_encoder_shape_dtype_determinism(mef, name):
    if name == "patch-g4-f16":
        pytest.importorskip("predsense")
    if name.startswith("cnn"):
        pytest.importorskip("torch")
    rng = np.random.default_rng(5)
    frames = rng.integers(0, 256, (3, 128, 128, 3), dtype=np.uint8)
    z = mef.encode(name, frames)
    assert z.shape == SHAPES[name] and z.dtype == np.float32 and z.flags.c_contiguous
    assert np.isfinite(z).all()
    assert not np.array_equal(z[0], z[1])  # different frames, different latents
    mef._NETS.clear()  # fixed seeds: a freshly made network gives the same latents
    np.testing.assert_array_equal(mef.encode(name, frames), z)
    if name == "patch-g4-f16":
        np.testing.assert_array_equal(z.astype(np.float16).astype(np.float32), z)


def test_pixels_and_histogram_values(mef):
    frames = np.zeros((1, 128, 128, 3), np.uint8)
    frames[0, 0:4, 16:20] = (10, 20, 30)  # cell (0, 4) of the 32x32 grid: token (0, 1), its first cell
    z = mef.encode("pixels-32", frames)
    assert z[0, 1, :3].tolist() == [10.0, 20.0, 30.0]
    assert z.sum() == 60.0  # raw 0-255 scale, nothing else lit
    h = mef.encode("hist-4x4", frames)
    assert (h.sum(axis=2) == 256).all()  # 16x16 pixels of the 64x64 frame per cell, raw counts
    assert h[0, 2, 0] == 256 and h[0, 0, 0] == 256  # the 4x4 block vanishes at 64x64 / 4 levels: all black
    frames[0, 64:, 64:] = 255  # bottom-right quarter white: the cells of grid rows/cols 2-3 go to the top bin
    h = mef.encode("hist-4x4", frames)
    assert h[0, 15, 63] == 256 and h[0, 10, 63] == 256 and h[0, 5, 63] == 0
