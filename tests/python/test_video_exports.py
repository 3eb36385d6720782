"""predsense-video's scene exports, read back and checked against its JSON: --scenes-csv
(PySceneDetect's scene-list columns), --edl (CMX 3600), HH:MM:SS.mmm timecodes on stdout,
--split-video (one file per scene with the scene's frames); bad paths exit 2 with nothing written;
predsense.video.detect() gives the tool's scenes and display() draws them.
"""

import csv
import json
import os
import re
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
    pytest.mark.skipif(shutil.which("ffmpeg") is None, reason="ffmpeg not installed (scripts/install-deps.sh test)"),
]

PYSCENEDETECT_COLUMNS = ["Scene Number", "Start Frame", "Start Timecode", "Start Time (seconds)", "End Frame",
                         "End Timecode", "End Time (seconds)", "Length (frames)", "Length (timecode)",
                         "Length (seconds)"]


def run(*args, env=None):
    return subprocess.run([str(TOOL), "-q", *map(str, args)], capture_output=True, text=True, env=env, timeout=180)


def seconds(tc):
    h, m, s = tc.split(":")
    return int(h) * 3600 + int(m) * 60 + float(s)


def frame_count(path):
    return int(subprocess.run(["ffprobe", "-v", "error", "-count_frames", "-select_streams", "v:0", "-show_entries",
                               "stream=nb_read_frames", "-of", "csv=p=0", str(path)],
                              check=True, capture_output=True, text=True).stdout)


@pytest.fixture(scope="module")
def exported(tmp_path_factory):
    d = tmp_path_factory.mktemp("exports")
    video = d / "tour.mp4"
    subprocess.run(["bash", str(SRC / "scripts" / "make_tour_video.sh"), str(video), "--quick"], check=True,
                   capture_output=True, timeout=120)
    r = run(video, "--json", d / "r.json", "--scenes-csv", d / "scenes.csv", "--edl", d / "scenes.edl",
            "--split-video", d / "split")
    assert r.returncode == 0, r.stderr
    return d, video, json.loads((d / "r.json").read_text()), r.stdout


def test_scenes_csv_has_pyscenedetects_columns_and_the_json_scenes(exported):
    d, _, res, _ = exported
    with open(d / "scenes.csv", newline="") as f:
        rows = list(csv.reader(f))
    assert rows[0] == PYSCENEDETECT_COLUMNS
    segs = res["segments"]
    assert len(rows) - 1 == len(segs) == len(res["boundaries"]) + 1
    for k, (row, s) in enumerate(zip(rows[1:], segs)):
        r = dict(zip(PYSCENEDETECT_COLUMNS, row))
        assert int(r["Scene Number"]) == k + 1
        assert int(r["Start Frame"]) == s["start_frame"] + 1  # PySceneDetect: 1-based first frame
        assert int(r["End Frame"]) == s["end_frame"]  # ... and 1-based last frame
        assert int(r["Length (frames)"]) == s["frames"]
        assert float(r["Start Time (seconds)"]) == pytest.approx(s["start_time"], abs=5e-4)
        assert float(r["End Time (seconds)"]) == pytest.approx(s["end_time"], abs=5e-4)
        assert float(r["Length (seconds)"]) == pytest.approx(s["end_time"] - s["start_time"], abs=1e-3)
        assert re.fullmatch(r"\d\d:\d\d:\d\d\.\d{3}", r["Start Timecode"])
        assert seconds(r["Start Timecode"]) == pytest.approx(s["start_time"], abs=5e-4)
        assert seconds(r["End Timecode"]) == pytest.approx(s["end_time"], abs=5e-4)
        assert seconds(r["Length (timecode)"]) == pytest.approx(s["end_time"] - s["start_time"], abs=1e-3)


def test_edl_is_cmx3600_with_one_event_per_scene(exported):
    d, video, res, _ = exported
    text = (d / "scenes.edl").read_text()
    lines = text.splitlines()
    assert lines[0] == "TITLE: tour" and lines[1] == "FCM: NON-DROP FRAME"
    ev = re.compile(r"^(\d{3})  AX {7}V {5}C {8}(\S+) (\S+) (\S+) (\S+)$")
    events = [ev.match(line).groups() for line in lines if ev.match(line)]
    assert len(events) == len(res["segments"])
    rate = round(res["fps"])

    def frames(tc):
        h, m, s, f = map(int, tc.split(":"))
        return ((h * 60 + m) * 60 + s) * rate + f

    for k, (num, src_in, src_out, rec_in, rec_out) in enumerate(events):
        s = res["segments"][k]
        assert int(num) == k + 1
        assert (frames(src_in), frames(src_out)) == (s["start_frame"], s["end_frame"])  # constant 25 fps source
        assert (rec_in, rec_out) == (src_in, src_out)
    assert text.count("* FROM CLIP NAME: tour.mp4") == len(events)
    assert text.count("* COMMENT: opened by a cut") == sum(b["kind"] == "cut" for b in res["boundaries"])


def test_stdout_carries_timecodes(exported):
    _, _, res, out = exported
    line = next(x for x in out.splitlines() if x.startswith("boundaries"))
    for b in res["boundaries"]:
        ms = round(b["time"] * 1000)
        assert f"{b['frame']} ({ms // 3600000:02d}:{ms // 60000 % 60:02d}:{ms // 1000 % 60:02d}.{ms % 1000:03d}" in line
    table = [x.split() for x in out.splitlines() if re.match(r"^\s+\d+\s+\d+\s+\d+\s+\d+\s", x)]
    assert len(table) == len(res["segments"])
    for row, s in zip(table, res["segments"]):
        assert seconds(row[-2]) == pytest.approx(s["start_time"], abs=5e-4)
        assert seconds(row[-1]) == pytest.approx(s["end_time"], abs=5e-4)


def test_split_video_writes_each_scene_with_its_frames(exported):
    d, video, res, out = exported
    files = sorted((d / "split").iterdir())
    assert [f.name for f in files] == [f"tour-Scene-{k + 1:03d}.mp4" for k in range(len(res["segments"]))]
    counts = [frame_count(f) for f in files]
    assert counts == [s["frames"] for s in res["segments"]]
    assert sum(counts) == res["frames"]
    how = re.findall(r"wrote \S+-Scene-\d{3}\.mp4 \((stream copy|re-encoded)\)", out)
    assert len(how) == len(files)
    assert "stream copy" in how, "scenes that start and end on keyframes are copied, not re-encoded"
    # a copied scene's video is the source's packets, unchanged
    k = how.index("stream copy")
    assert subprocess.run(["ffprobe", "-v", "error", "-select_streams", "v:0", "-show_entries", "stream=codec_name",
                           "-of", "csv=p=0", str(files[k])], capture_output=True, text=True).stdout.strip() == "h264"


def test_split_video_into_an_existing_directory_and_reencoding(exported, tmp_path):
    _, video, res, _ = exported
    out = tmp_path / "scenes"
    out.mkdir()
    (out / "keep.txt").write_text("x")
    # at --fps 10 the scene starts fall between the source's keyframes: re-encoded, exact in time
    r = run(video, "--fps", "10", "--split-video", out, "--json", tmp_path / "r10.json")
    assert r.returncode == 0, r.stderr
    r10 = json.loads((tmp_path / "r10.json").read_text())
    names = sorted(p.name for p in out.iterdir())
    assert names == ["keep.txt"] + [f"tour-Scene-{k + 1:03d}.mp4" for k in range(len(r10["segments"]))]
    total = sum(frame_count(out / n) for n in names[1:])
    assert abs(total - res["frames"]) <= len(r10["segments"])  # source frames, cut at 0.1 s steps
    assert not [p for p in tmp_path.rglob("*tmp*")], "no staging left behind"


def test_bad_export_paths_exit_2_and_write_nothing(exported, tmp_path):
    _, video, _, _ = exported
    for opt in ("--scenes-csv", "--edl"):
        r = run(video, opt, tmp_path / "missing" / "x")
        assert r.returncode == 2 and opt in r.stderr and "does not exist" in r.stderr, r.stderr
        r = run(video, opt, video)
        assert r.returncode == 2 and "refusing to overwrite an input" in r.stderr
    r = run(video, "--split-video", video)
    assert r.returncode == 2 and "--split-video" in r.stderr and "not a directory" in r.stderr
    r = run(video, "--split-video", tmp_path / "missing" / "dir")
    assert r.returncode == 2 and "does not exist" in r.stderr
    feats = tmp_path / "f.npy"
    np.save(feats, np.random.default_rng(0).normal(size=(20, 4, 8)).astype(np.float32))
    r = run("--features", feats, "--split-video", tmp_path / "d")
    assert r.returncode == 2 and "--split-video needs the INPUT video" in r.stderr
    # a failure late in the run (the report's generator) leaves none of the other outputs behind
    bad = tmp_path / "fail.py"
    bad.write_text("import sys; sys.exit(1)\n")
    out = tmp_path / "out"
    out.mkdir()
    r = run(video, "--scenes-csv", out / "s.csv", "--edl", out / "s.edl", "--split-video", out / "split",
            "--report", out / "r.html", env={**os.environ, "PREDSENSE_REPORT_SCRIPT": str(bad)})
    assert r.returncode == 2 and "--report" in r.stderr
    assert list(out.iterdir()) == []


def test_detect_returns_the_tools_scenes(exported, tmp_path):
    import predsense as ps
    d, video, res, _ = exported
    scenes = ps.video.detect(video)
    assert [(s.start_frame, s.end_frame) for s in scenes] == [(g["start_frame"], g["end_frame"])
                                                              for g in res["segments"]]
    assert [s.start_time for s in scenes] == [g["start_time"] for g in res["segments"]]
    assert [s.end_time for s in scenes] == [g["end_time"] for g in res["segments"]]
    assert [s.kind for s in scenes] == [None] + [b["kind"] for b in res["boundaries"]]
    assert scenes.boundaries == [b["frame"] for b in res["boundaries"]] and scenes.fps == res["fps"]
    assert scenes.result["surprise"] == res["surprise"]
    # options are the tool's: the same as the command line with them
    r = run(video, "--fps", "10", "--segmenter", "cut", "--json", tmp_path / "c.json")
    assert r.returncode == 0
    cut = json.loads((tmp_path / "c.json").read_text())
    s2 = ps.video.detect(video, fps=10, segmenter="cut", scenes_csv=tmp_path / "c.csv")
    assert [(s.start_frame, s.end_frame) for s in s2] == [(g["start_frame"], g["end_frame"]) for g in cut["segments"]]
    assert (tmp_path / "c.csv").exists()
    with pytest.raises(FileNotFoundError):
        ps.video.detect(tmp_path / "nope.mp4")
    with pytest.raises(ValueError, match="--segmenter"):
        ps.video.detect(video, segmenter="nonsense")
    with pytest.raises(ValueError, match="json"):
        ps.video.detect(video, json="x.json")


def test_display_draws_boundaries_and_truth(exported):
    import matplotlib
    matplotlib.use("Agg")
    import predsense as ps
    _, video, res, _ = exported
    scenes = ps.video.scenes_of(res)
    truth = [30, 55, 87]
    fig, ax = ps.video.display(res["surprise"], scenes, truth=truth, times=res["times"])
    vlines = [ln for ln in ax.lines if (ln.get_gid() or "").startswith("boundary-")]
    assert [ln.get_xdata()[0] for ln in vlines] == [res["times"][b["frame"]] for b in res["boundaries"]]
    spans = [p for p in ax.patches]
    assert len(spans) == len(truth) + 1
    fig2, ax2 = ps.video.display(np.zeros((10, 2)), [3, 7])
    assert len([ln for ln in ax2.lines if (ln.get_gid() or "").startswith("boundary-")]) == 2
    assert len(ax2.lines) == 4  # two series + two boundaries
    with pytest.raises(ValueError, match="outside"):
        ps.video.display(np.zeros(5), [9])
    with pytest.raises(ValueError, match="times"):
        ps.video.display(np.zeros(5), [], times=[0, 1])
    import matplotlib.pyplot as plt
    plt.close("all")
