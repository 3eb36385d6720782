"""predsense.FrameSource against the ffmpeg program: the same rgb24 bytes as
`ffmpeg -vf [fps=R,]scale=W:H:flags=area -pix_fmt rgb24`, times in seconds, errors mapped."""
import os
import shutil
import subprocess

import numpy as np
import pytest

import predsense as ps

pytestmark = [
    pytest.mark.skipif(not ps.build_info().get("ffmpeg"), reason="built without FFmpeg's libraries"),
    pytest.mark.skipif(shutil.which("ffmpeg") is None, reason="needs the ffmpeg program for the reference"),
]


def make_clip(path, src="testsrc2=size=160x120:rate=25:duration=2"):
    subprocess.run(["ffmpeg", "-nostdin", "-v", "error", "-y", "-f", "lavfi", "-i", src, "-c:v", "libx264",
                    "-pix_fmt", "yuv420p", str(path)], check=True)


def reference(path, vf, w, h):
    raw = subprocess.run(["ffmpeg", "-nostdin", "-v", "error", "-i", str(path), "-map", "0:v:0", "-vf", vf,
                          "-pix_fmt", "rgb24", "-fps_mode", "passthrough", "-f", "rawvideo", "-"],
                         check=True, capture_output=True).stdout
    return np.frombuffer(raw, np.uint8).reshape(-1, h, w, 3)


@pytest.mark.parametrize("fps", [None, "24000/1001", 2, 7.5])
def test_frames_equal_ffmpeg(tmp_path, fps):
    clip = tmp_path / "c.mp4"
    make_clip(clip)
    vf = ("" if fps is None else f"fps={fps},") + "scale=64:48:flags=area"
    want = reference(clip, vf, 64, 48)
    src = ps.FrameSource(str(clip), width=64, height=48, fps=fps)
    got = list(src)
    assert len(got) == len(want)
    frames = np.stack([f for f, _ in got])
    assert frames.dtype == np.uint8 and frames.shape == want.shape
    assert np.array_equal(frames, want)
    times = np.array([t for _, t in got])
    rate = 25.0 if fps is None else (24000 / 1001 if fps == "24000/1001" else float(fps))
    assert np.allclose(times, np.arange(len(got)) / rate, atol=1e-6)
    assert src.info["width"] == 160 and src.info["fps"] == pytest.approx(25.0)
    assert src.decode_errors == 0
    assert src.frames_decoded == 50


def test_native_size_and_stdin(tmp_path):
    clip = tmp_path / "c.mkv"
    make_clip(clip, "testsrc2=size=96x64:rate=10:duration=1")
    src = ps.FrameSource(str(clip))
    assert (src.width, src.height) == (96, 64)
    first, t0 = next(iter(src))
    assert first.shape == (64, 96, 3) and t0 == 0.0
    # '-' reads standard input (a subprocess: this test's stdin is pytest's)
    code = ("import predsense as ps, sys; s = ps.FrameSource('-', width=8, height=8); "
            "n = sum(1 for _ in s); print(n)")
    with open(clip, "rb") as f:
        out = subprocess.run(["/usr/bin/python3", "-c", code], stdin=f, capture_output=True, text=True,
                             env=dict(os.environ), check=True).stdout
    assert out.strip() == "10"


def test_errors(tmp_path):
    with pytest.raises(ps.FormatError, match="missing.mp4"):
        ps.FrameSource(str(tmp_path / "missing.mp4"))
    bad = tmp_path / "text.mp4"
    bad.write_text("not a video\n")
    with pytest.raises(ps.FormatError, match="text.mp4"):
        ps.FrameSource(str(bad))
    clip = tmp_path / "c.mp4"
    make_clip(clip, "testsrc2=size=32x32:rate=5:duration=1")
    with pytest.raises(ps.InvalidArgumentError):
        ps.FrameSource(str(clip), fps=0)
    with pytest.raises(ps.InvalidArgumentError):
        ps.FrameSource(str(clip), fps="fast")
    with pytest.raises(TypeError):
        ps.FrameSource(str(clip), fps=[25])
    with pytest.raises(ps.InvalidArgumentError):
        ps.FrameSource(str(clip), width=16)
