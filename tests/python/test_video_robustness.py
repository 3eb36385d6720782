"""predsense-video on awkward input: a still picture stored as the first video stream (the real video
is chosen, as plain ffmpeg does), corrupt frames (counted and warned about), rotation metadata,
odd and tiny picture sizes."""

import json
import os
import random
import shutil
import subprocess
from pathlib import Path

import pytest

SRC = Path(os.environ.get("PREDSENSE_SOURCE_DIR", Path(__file__).resolve().parents[2]))
BUILD = Path(os.environ.get("PREDSENSE_BUILD_DIR", SRC / "build"))
TOOL = BUILD / "bin" / "predsense-video"

pytestmark = [
    pytest.mark.skipif(not TOOL.exists(), reason=f"{TOOL} not built"),
    pytest.mark.skipif(shutil.which("ffmpeg") is None or shutil.which("ffprobe") is None, reason="ffmpeg missing"),
]


def ff(*args):
    subprocess.run(["ffmpeg", "-v", "error", "-y", *map(str, args)], check=True, timeout=60)


def run(video, tmp_path):
    r = subprocess.run([str(TOOL), str(video), "-q", "--json", str(tmp_path / "r.json")], capture_output=True,
                       text=True, timeout=120)
    assert r.returncode == 0, r.stderr
    return json.loads((tmp_path / "r.json").read_text()), r.stderr


@pytest.fixture(scope="module")
def clip(tmp_path_factory):
    d = tmp_path_factory.mktemp("robust")
    ff("-f", "lavfi", "-i", "testsrc2=size=160x120:rate=25:duration=2", "-c:v", "libx264", "-pix_fmt", "yuv420p",
       d / "v.mp4")
    return d


def test_small_picture_stream_first_is_skipped(clip, tmp_path):
    ff("-f", "lavfi", "-i", "color=red:size=64x64", "-frames:v", "1", clip / "cover.png")
    ff("-i", clip / "cover.png", "-i", clip / "v.mp4", "-map", "0", "-map", "1", "-c:v:0", "mjpeg", "-c:v:1", "copy",
       clip / "cover_first.mkv")
    res, _ = run(clip / "cover_first.mkv", tmp_path)
    assert res["frames"] == 50  # the 2 s video, not the 1-frame picture in stream 0


def test_corrupt_frames_are_counted_and_warned(clip, tmp_path):
    ff("-f", "lavfi", "-i", "testsrc2=size=320x240:rate=25:duration=4", "-c:v", "mpeg4", "-q:v", "3", clip / "c.avi")
    b = bytearray((clip / "c.avi").read_bytes())
    rng = random.Random(1)
    for off in range(len(b) // 3, len(b) // 3 + 4000, 97):
        b[off] = rng.randrange(256)
    (clip / "corrupt.avi").write_bytes(bytes(b))
    res, err = run(clip / "corrupt.avi", tmp_path)
    assert res["decode_errors"] > 0
    assert "warning" in err and "corrupt" in err
    clean, err = run(clip / "c.avi", tmp_path)
    assert clean["decode_errors"] == 0 and err == ""


def test_rotated_odd_and_tiny_sizes(clip, tmp_path):
    ff("-i", clip / "v.mp4", "-c", "copy", "-metadata:s:v:0", "rotate=90", clip / "rot.mp4")
    assert run(clip / "rot.mp4", tmp_path)[0]["frames"] == 50
    ff("-f", "lavfi", "-i", "testsrc2=size=161x97:rate=25:duration=2", "-c:v", "mjpeg", "-pix_fmt", "yuvj444p",
       clip / "odd.avi")
    assert run(clip / "odd.avi", tmp_path)[0]["frames"] == 50
    ff("-f", "lavfi", "-i", "testsrc2=size=3x2:rate=25:duration=1", "-c:v", "ffv1", clip / "tiny.mkv")
    assert run(clip / "tiny.mkv", tmp_path)[0]["frames"] == 25


def probe_rate(video, key):
    out = subprocess.run(["ffprobe", "-v", "error", "-select_streams", "v:0", "-show_entries", f"stream={key}", "-of",
                          "csv=p=0", str(video)], check=True, capture_output=True, text=True).stdout.split()[0]
    num, _, den = out.partition("/")
    return float(num) / float(den or 1)


def test_rate_is_ffprobes_average_with_or_without_ffprobe(clip, tmp_path):
    # a constant-rate file: the rate comes from ffmpeg's own log (no ffprobe run), exactly ffprobe's
    ff("-f", "lavfi", "-i", "testsrc2=size=160x120:rate=24000/1001:duration=2", "-c:v", "libx264", clip / "ntsc.mp4")
    assert run(clip / "ntsc.mp4", tmp_path)[0]["fps"] == probe_rate(clip / "ntsc.mp4", "avg_frame_rate")
    # a variable-rate file: ffmpeg prints its average rounded, so ffprobe's exact average is used
    ff("-f", "lavfi", "-i", "testsrc2=size=160x120:rate=25:duration=3", "-vf",
       "setpts='if(lt(N,30),N/25,N/15)/TB'", "-fps_mode", "vfr", "-c:v", "libx264", clip / "vfr.mp4")
    res, _ = run(clip / "vfr.mp4", tmp_path)
    assert res["fps"] == probe_rate(clip / "vfr.mp4", "avg_frame_rate")
    assert res["times"][30] - res["times"][29] > 0.5  # presentation times (a jump of 0.84 s), not frame / fps
    # --fps: the rate asked for, on the stream ffprobe would pick (cover art first)
    ff("-f", "lavfi", "-i", "color=red:size=64x64", "-frames:v", "1", clip / "cover2.png")
    ff("-i", clip / "cover2.png", "-i", clip / "v.mp4", "-map", "0", "-map", "1", "-c:v:0", "mjpeg", "-c:v:1", "copy",
       clip / "cover_first2.mkv")
    r = subprocess.run([str(TOOL), str(clip / "cover_first2.mkv"), "-q", "--fps", "10", "--json",
                        str(tmp_path / "f.json")], capture_output=True, text=True, timeout=120)
    assert r.returncode == 0, r.stderr
    res = json.loads((tmp_path / "f.json").read_text())
    assert res["fps"] == 10.0 and abs(res["frames"] - 20) <= 1


def test_input_path_not_utf8(clip, tmp_path):
    # a file name is bytes: one that is not valid UTF-8 is analysed like any other, and the JSON (which
    # must be UTF-8) shows each invalid byte as \xNN
    name = os.fsencode(tmp_path) + b"/v\xff\xfe.avi"
    shutil.copyfile(os.fsencode(clip / "v.mp4"), name)
    out = tmp_path / "r.json"
    r = subprocess.run([str(TOOL), name, "--json", str(out)], capture_output=True, timeout=120)
    assert r.returncode == 0, r.stderr
    res = json.loads(out.read_text(encoding="utf-8"))
    assert res["input"].endswith("v\\xFF\\xFE.avi")
    assert res["frames"] > 0
