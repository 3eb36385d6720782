"""Video primitives in Python (predsense._core: PatchEmbedder, area_downsample, CutSegmenter,
TransitionDetector), and predsense-video's result rebuilt step by step from them: decode the same
frames, embed, copy-last surprise, detect -- the transitions and the surprise must equal the tool's
JSON, and the latents its --features-out file."""
import json
import os
import shutil
import subprocess
from pathlib import Path

import numpy as np
import pytest

import predsense as ps
import predsense._tools

core = ps._core
BUILD = Path(os.environ.get("PREDSENSE_BUILD_DIR", Path(__file__).resolve().parents[2] / "build"))
# $PREDSENSE_BUILD_DIR's tool when set (ctest), else the one next to the imported package: an installed
# wheel's (predsense/bin) or the build tree's (tests/wheel/run.sh runs this file from a wheel's venv)
try:
    TOOL = BUILD / "bin" / "predsense-video" if "PREDSENSE_BUILD_DIR" in os.environ else \
        ps._tools.find("predsense-video")[0]
except FileNotFoundError:
    TOOL = BUILD / "bin" / "predsense-video"


def test_area_downsample_means_and_errors():
    img = np.array([[[0], [255], [10], [20]], [[255], [0], [30], [40]]], np.uint8)  # 2 x 4 x 1
    out = core.area_downsample(img, 2, 1)
    assert out.shape == (1, 2, 1) and out.dtype == np.float32
    np.testing.assert_allclose(out[0, :, 0], [0.5, 25 / 255], rtol=1e-6)
    np.testing.assert_array_equal(core.area_downsample(img.astype(np.int64), 2, 1), out)  # integers 0..255 accepted
    with pytest.raises(TypeError):
        core.area_downsample(img / 255.0, 2, 1)  # floats in [0, 1] are not silently rescaled
    with pytest.raises(ps.ShapeError):
        core.area_downsample(img, 8, 1)
    with pytest.raises(ps.ShapeError):
        core.area_downsample(np.zeros(5, np.uint8), 1, 1)


def test_patch_embedder_shape_determinism_and_errors():
    rng = np.random.default_rng(0)
    rgb = rng.integers(0, 256, (128, 128, 3), dtype=np.uint8)
    e = core.PatchEmbedder()
    z = e.embed(rgb)
    assert z.shape == (64, 256) and z.dtype == np.float32 and (e.tokens, e.dim) == (64, 256)
    np.testing.assert_array_equal(z, core.PatchEmbedder().embed(rgb))
    assert not np.array_equal(z, core.PatchEmbedder(seed=2).embed(rgb))
    assert core.PatchEmbedder(grid=4, dim=32).embed(rgb).shape == (16, 32)
    with pytest.raises(ps.ShapeError):
        e.embed(rgb[:, :, :2])
    with pytest.raises(ps.InvalidArgumentError):
        core.PatchEmbedder(grid=0)
    # a video batch: embed() of every frame
    video = rng.integers(0, 256, (5, 64, 48, 3), dtype=np.uint8)
    batch = ps.PatchEmbedder(grid=4, dim=32).embed_batch(video)
    assert batch.shape == (5, 16, 32) and batch.dtype == np.float32
    np.testing.assert_array_equal(batch, np.stack([ps.PatchEmbedder(grid=4, dim=32).embed(f) for f in video]))
    assert not np.array_equal(batch[0], batch[1])
    with pytest.raises(ps.ShapeError, match="images"):
        e.embed_batch(video[0])  # one frame is not a batch
    with pytest.raises(ps.ShapeError, match="smaller than"):
        e.embed_batch(video[:, :4, :4])  # 4x4 frames, 8x8 grid
    with pytest.raises(ps.EmptyError):
        e.embed_batch(video[:0])
    with pytest.raises(TypeError):
        e.embed_batch(video / 255.0)


def test_cut_segmenter_finds_a_spike():
    s = ps.CutSegmenter()
    assert isinstance(s, ps.Segmenter)
    x = np.full(80, 0.01) + np.random.default_rng(1).random(80) * 0.004
    x[40] = 0.7
    found = [c for t, v in enumerate(x) if (c := s.push(float(v), t)) is not None] + s.flush()
    assert [(b.t, b.decided_at) for b in found] == [(40, 42)]  # decided `lookahead` = 2 steps later
    assert s.segment(x) == found  # offline form: a fresh copy over the series, same boundaries
    with pytest.raises(ps.NonFiniteError):
        s.push(float("nan"), 80)
    with pytest.raises(ps.InvalidArgumentError, match="t=5"):
        s.push(0.01, 5)  # time must increase
    s.reset()  # forgets the stream: the same series again gives the same cut
    assert [b.t for t, v in enumerate(x) if (b := s.push(float(v), t)) is not None] + [b.t for b in s.flush()] == [40]
    with pytest.raises(ps.InvalidArgumentError):
        ps.CutSegmenter(window=2)


def test_cut_segmenter_in_a_stream():
    # latents with three hard cuts: the Stream's C++ loop with a CutSegmenter finds them (copy-last surprise)
    rng = np.random.default_rng(4)
    scenes = [rng.normal(size=(16, 32)).astype(np.float32) for _ in range(4)]
    frames = np.stack([scenes[t // 50] + 0.05 * rng.normal(size=(16, 32)).astype(np.float32) for t in range(200)])
    st = ps.Stream(segmenter=ps.CutSegmenter(), memory=None)
    s, cuts = st.run(frames)
    cuts = list(cuts) + [b.t for b in st.flush()]
    assert cuts == [50, 100, 150]
    assert isinstance(st.segmenter, ps.CutSegmenter)
    # the same boundaries as the segmenter's offline form on the stream's surprise
    assert [b.t for b in ps.CutSegmenter().segment(s)] == cuts
    # without the cuts (one scene): none
    st2 = ps.Stream(segmenter=ps.CutSegmenter(), memory=None)
    _, none = st2.run(frames[:50])
    assert len(none) == 0 and st2.flush() == []


def test_transition_detector_cut_and_errors():
    rng = np.random.default_rng(2)
    a = rng.random((32, 32, 3)).astype(np.float32) * 0.5 + 0.2
    b = rng.random((32, 32, 3)).astype(np.float32) * 0.5 + 0.2
    d = ps.TransitionDetector()
    out = []
    for t in range(80):
        out += d.push(a if t < 40 else b, 0.0)
    out += d.flush()
    assert [(x["kind"], x["frame"], x["start"], x["end"]) for x in out] == [("cut", 40, 40, 40)]
    assert d.frames == 80
    with pytest.raises(ps.ShapeError):
        d.push(np.zeros((16, 16, 3), np.float32), 0.0)
    with pytest.raises(ps.NonFiniteError):
        d.push(a, float("inf"))
    with pytest.raises(TypeError):
        ps.TransitionDetector(no_such_parameter=1)
    with pytest.raises(ps.InvalidArgumentError):
        ps.TransitionDetector(window=2)
    d.reset()
    assert d.frames == 0


def dissolve_video(n_before=40, fade=12, n_after=40, seed=5):
    rng = np.random.default_rng(seed)
    a, b, c = (rng.random((32, 32, 3)).astype(np.float32) * 0.6 + 0.2 for _ in range(3))
    thumbs = [a] * 30 + [b] * n_before + [(1 - (j + 1) / (fade + 1)) * b + (j + 1) / (fade + 1) * c
                                         for j in range(fade)] + [c] * n_after
    thumbs = np.stack(thumbs).astype(np.float32)
    thumbs += rng.normal(0, 0.003, thumbs.shape).astype(np.float32)
    flat = thumbs.reshape(len(thumbs), -1)
    surprise = np.concatenate([[0.0], np.abs(np.diff(flat, axis=0)).mean(1)])
    return thumbs, surprise


def test_transition_detector_offline_segment_equals_push_and_flush():
    thumbs, surprise = dissolve_video()
    d = ps.TransitionDetector()
    streamed = []
    for th, s in zip(thumbs, surprise):
        streamed += d.push(th, float(s))
    streamed += d.flush()
    kinds = [(x["kind"], x["frame"]) for x in streamed]
    assert [k for k, _ in kinds] == ["cut", "dissolve"], kinds
    assert kinds[0][1] == 30 and 70 <= kinds[1][1] <= 82
    offline = d.segment(thumbs, surprise)  # resets before and after
    assert offline == streamed and d.frames == 0
    assert d.segment(thumbs.reshape(len(thumbs), -1), surprise) == streamed  # flat thumbnails
    assert d.segment(list(thumbs), list(surprise)) == streamed  # lists are arrays too
    with pytest.raises(ps.ShapeError, match="surprise: 10 values for"):
        d.segment(thumbs, surprise[:10])
    with pytest.raises(ps.ShapeError, match="thumbnails"):
        d.segment(thumbs[:, :16], surprise)
    bad = surprise.copy()
    bad[50] = np.nan
    with pytest.raises(ps.NonFiniteError):
        d.segment(thumbs, bad)
    # a TransitionDetector needs thumbnails: it is not a Stream segmenter
    with pytest.raises(TypeError, match="segmenter"):
        ps.Stream(segmenter=d)


@pytest.mark.skipif(not TOOL.exists() or shutil.which("ffmpeg") is None, reason="predsense-video or ffmpeg missing")
def test_tool_result_rebuilt_step_by_step(tmp_path):
    # a small video: two textures, a cut, then a dissolve
    rng = np.random.default_rng(3)
    def tex():
        t = np.repeat(np.repeat(rng.random((12, 16, 3)), 10, 0), 10, 1)
        for _ in range(10):
            t = (t + np.roll(t, 1, 0) + np.roll(t, -1, 0) + np.roll(t, 1, 1) + np.roll(t, -1, 1)) / 5
        return (t - t.mean()) / t.std() * 50 + 128
    a, b, c = tex(), tex(), tex()
    frames = [a] * 30 + [b] * 30 + [(1 - (j + 1) / 13) * b + (j + 1) / 13 * c for j in range(12)] + [c] * 30
    video = tmp_path / "v.avi"
    raw = b"".join(np.clip(np.rint(f), 0, 255).astype(np.uint8).tobytes() for f in frames)
    subprocess.run(["ffmpeg", "-v", "error", "-y", "-f", "rawvideo", "-pix_fmt", "rgb24", "-s", "160x120", "-r", "25",
                    "-i", "-", "-c:v", "mpeg4", "-q:v", "2", str(video)], input=raw, check=True, timeout=60)
    r = subprocess.run([str(TOOL), str(video), "--json", str(tmp_path / "r.json"), "--features-out",
                        str(tmp_path / "z.npy")], capture_output=True, text=True, timeout=120)
    assert r.returncode == 0, r.stderr
    res = json.loads((tmp_path / "r.json").read_text())
    z_tool = np.load(tmp_path / "z.npy")
    assert z_tool.shape == (res["frames"], 64, 256) and z_tool.dtype == np.float32

    # the same decode as the tool: 128x128 area-scaled rgb24, every frame
    dec = subprocess.run(["ffmpeg", "-v", "error", "-i", str(video), "-map", "0:v:0", "-vf", "scale=128:128:flags=area",
                          "-pix_fmt", "rgb24", "-fps_mode", "passthrough", "-f", "rawvideo", "-"],
                         capture_output=True, check=True, timeout=60).stdout
    rgb = np.frombuffer(dec, np.uint8).reshape(-1, 128, 128, 3)
    emb = core.PatchEmbedder()
    det = core.TransitionDetector(scale=6)  # the tool's scale at 25 fps (~0.24 s)
    events, surprise, prev = [], [], None
    for i, f in enumerate(rgb):
        z = emb.embed(f)
        # equal up to rounding: a build for another instruction set than the tool's (the wheel's
        # sse2/avx2 variants, other compiler flags) rounds some statistics differently (FMA contraction)
        np.testing.assert_allclose(z, z_tool[i], rtol=0, atol=5e-4)
        s = 1.0 if prev is None else ps.token_cosine_distance(prev, z)  # copy-last prediction
        surprise.append(s)
        events += det.push(core.area_downsample(f, 32, 32), s)
        prev = z
    events += det.flush()
    np.testing.assert_allclose(surprise, res["surprise"], rtol=1e-6, atol=1e-7)
    want = [(x["kind"], x["frame"], x["start"], x["end"]) for x in res["boundaries"]]
    assert [(x["kind"], x["frame"], x["start"], x["end"]) for x in sorted(events, key=lambda x: x["frame"])] == want
    assert [k for k, *_ in want] == ["cut", "dissolve"]
