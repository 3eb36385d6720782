"""predsense-video end to end: cuts of a generated video with known cut positions, --features, and
bad input (exit code 2, nothing written).

The video comes from scripts/make_tour_video.sh --quick (10 procedurally drawn scenes, 9 hard cuts,
moving content in every scene); the cut positions are in its .cuts file.
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
    pytest.mark.skipif(shutil.which("ffmpeg") is None or shutil.which("ffprobe") is None,
                       reason="ffmpeg not installed (scripts/install-deps.sh test)"),
]


def run(*args, env=None):
    return subprocess.run([str(TOOL), *map(str, args)], capture_output=True, text=True, check=False,
                          env=env, timeout=120)


@pytest.fixture(scope="module")
def tour(tmp_path_factory):
    d = tmp_path_factory.mktemp("tour")
    video = d / "tour.mp4"
    subprocess.run(["bash", str(SRC / "scripts" / "make_tour_video.sh"), str(video), "--quick"], check=True,
                   capture_output=True, timeout=120)
    cuts = [int(x) for x in (d / "tour.mp4.cuts").read_text().split()]
    frames = int(subprocess.run(["ffprobe", "-v", "error", "-count_frames", "-select_streams", "v:0", "-show_entries",
                                 "stream=nb_read_frames", "-of", "csv=p=0", str(video)],
                                check=True, capture_output=True, text=True).stdout)
    return video, cuts, frames


def match(found, truth, tol=2):
    """Greedy one-to-one matching within tol frames: (hits, false alarms)."""
    used, hits = set(), 0
    for c in truth:
        cand = [f for f in found if abs(f - c) <= tol and f not in used]
        if cand:
            used.add(min(cand, key=lambda f: abs(f - c)))
            hits += 1
    return hits, len(found) - len(used)


def test_finds_every_cut_and_writes_all_outputs(tour, tmp_path):
    video, cuts, frames = tour
    out_json, plot, sheet = tmp_path / "r.json", tmp_path / "s.png", tmp_path / "sheet.png"
    r = run(video, "--json", out_json, "--plot", plot, "--sheet", sheet)
    assert r.returncode == 0, r.stderr
    assert r.stderr == ""  # no progress bar when stderr is not a terminal
    res = json.loads(out_json.read_text())
    assert res["fps"] == pytest.approx(25.0)
    assert res["frames"] == frames == len(res["surprise"])
    assert res["surprise"][0] == 1.0  # Cambrian-S convention: no prediction for the first frame
    found = [b["frame"] for b in res["boundaries"]]
    hits, false_alarms = match(found, cuts)
    assert hits == len(cuts), (found, cuts)
    assert false_alarms <= 1, (found, cuts)
    for b in res["boundaries"]:
        assert b["time"] == pytest.approx(b["frame"] / 25.0, abs=1e-6)
    segs = res["segments"]
    assert len(segs) == len(found) + 1
    assert segs[0]["start_frame"] == 0 and segs[-1]["end_frame"] == res["frames"]
    assert [s["start_frame"] for s in segs[1:]] == found
    assert res["memory"]["frames_seen"] == res["frames"]
    for png in (plot, sheet):
        assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["r.json", "s.png", "sheet.png"]  # no temporaries left
    assert "seg  start" in r.stdout and "memory" in r.stdout


def test_requested_fps_counts_frames_at_that_rate(tour, tmp_path):
    video, cuts, frames = tour
    r = run(video, "--fps", 10, "--json", tmp_path / "r.json")
    assert r.returncode == 0, r.stderr
    res = json.loads((tmp_path / "r.json").read_text())
    assert res["fps"] == pytest.approx(10.0)
    assert abs(res["frames"] - round(frames * 10 / 25)) <= 1
    found = [b["frame"] for b in res["boundaries"]]
    hits, false_alarms = match(found, [round(c * 10 / 25) for c in cuts])
    assert hits == len(cuts) and false_alarms <= 1, (found, cuts)


def test_lfp_predictor_runs_on_video_and_features(tour, tmp_path):
    # the LFP head trained on the stream: a predictor option like the others (its quality is in docs/video.md)
    video, cuts, frames = tour
    r = run(video, "--predictor", "lfp", "--json", tmp_path / "r.json")
    assert r.returncode == 0, r.stderr
    res = json.loads((tmp_path / "r.json").read_text())
    assert res["pipeline"]["predictor"] == "lfp"
    assert res["frames"] == frames == len(res["surprise"])
    assert all(np.isfinite(res["surprise"]))
    hits, _ = match([b["frame"] for b in res["boundaries"]], cuts)
    assert hits >= len(cuts) - 1
    # it starts as copy-last (zeroed output layer): the first prediction's surprise is copy-last's
    c = run(video, "--json", tmp_path / "c.json")
    assert c.returncode == 0, c.stderr
    assert res["surprise"][1] == pytest.approx(json.loads((tmp_path / "c.json").read_text())["surprise"][1], abs=1e-6)
    # --features of another width: the head takes the file's D
    np.save(tmp_path / "f.npy", np.random.default_rng(1).standard_normal((30, 4, 24)).astype(np.float32))
    f = run("--features", tmp_path / "f.npy", "--predictor", "lfp", "--lfp-lr", "1e-3", "-q")
    assert f.returncode == 0, f.stderr
    bad = run(video, "--predictor", "lfp", "--lfp-lr", "-1")
    assert bad.returncode == 2 and "--lfp-lr" in bad.stderr


def test_features_npy(tmp_path):
    rng = np.random.default_rng(3)
    scenes = [rng.standard_normal((16, 32)).astype(np.float32) for _ in range(4)]
    frames = []
    for k, base in enumerate(scenes):
        for _ in range(20):
            frames.append(base + 0.05 * rng.standard_normal(base.shape).astype(np.float32))
    np.save(tmp_path / "f.npy", np.stack(frames))
    r = run("--features", tmp_path / "f.npy", "--fps", 2, "--json", tmp_path / "r.json")
    assert r.returncode == 0, r.stderr
    res = json.loads((tmp_path / "r.json").read_text())
    assert res["frames"] == 80 and res["tokens"] == 16 and res["dim"] == 32
    assert [b["frame"] for b in res["boundaries"]] == [20, 40, 60]
    assert [b["time"] for b in res["boundaries"]] == [10.0, 20.0, 30.0]


def assert_refused(r, out, words):
    assert r.returncode == 2, (r.returncode, r.stdout, r.stderr)
    assert "predsense-video: error:" in r.stderr
    assert words in r.stderr, r.stderr
    assert not out.exists()
    assert not [p for p in out.parent.iterdir() if ".tmp." in p.name]


def test_missing_file(tmp_path):
    out = tmp_path / "r.json"
    assert_refused(run(tmp_path / "nope.mp4", "--json", out, "--plot", tmp_path / "p.png"), out, "no such file")
    assert not (tmp_path / "p.png").exists()


def test_not_a_video(tmp_path):
    (tmp_path / "notes.mp4").write_text("this is not a video\n")
    out = tmp_path / "r.json"
    assert_refused(run(tmp_path / "notes.mp4", "--json", out), out, "notes.mp4")


@pytest.mark.parametrize("fps", ["0", "-2", "abc", "nan", "inf", "1e9", ""])
def test_bad_fps(tour, tmp_path, fps):
    out = tmp_path / "r.json"
    assert_refused(run(tour[0], "--fps", fps, "--json", out), out, "--fps")


def test_malformed_npy(tmp_path):
    (tmp_path / "bad.npy").write_bytes(b"\x93NUMPY garbage")
    out = tmp_path / "r.json"
    assert_refused(run("--features", tmp_path / "bad.npy", "--json", out), out, "bad.npy")
    np.save(tmp_path / "flat.npy", np.zeros(10, np.float32))  # 1-D: not frames x T x D
    assert_refused(run("--features", tmp_path / "flat.npy", "--json", out), out, "dimensions")


def test_missing_ffmpeg(tour, tmp_path):
    # decoding is in process (FFmpeg's libraries): the analysis needs no ffmpeg program on PATH; the
    # contact sheet, which the ffmpeg program draws, is refused by name, with nothing written
    out = tmp_path / "r.json"
    env = dict(os.environ, PATH=str(tmp_path / "empty"))
    r = run(tour[0], "--json", out, env=env)
    assert r.returncode == 0, r.stderr
    assert json.loads(out.read_text())["boundaries"]
    out.unlink()
    sheet = tmp_path / "s.png"
    assert_refused(run(tour[0], "--json", out, "--sheet", sheet, env=env), out, "ffmpeg not found")
    assert not sheet.exists()


def test_failed_output_step_writes_nothing(tour, tmp_path):
    out = tmp_path / "r.json"
    r = run(tour[0], "--json", out, "--sheet", tmp_path / "no" / "such" / "dir" / "sheet.png")
    assert_refused(r, out, "--sheet")
