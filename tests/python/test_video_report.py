"""predsense-video --report and predsense.report in a real browser (Debian's chromium through
chromedriver and python3-selenium, headless, offline): the page loads without a console error, its
boundary markers are the JSON's, clicking one moves the video's playhead (or the thumbnail viewer
when the video cannot play), zooming hides the markers outside the range, the memory trace ends
where the JSON's memory summary is; the same page from a Python Stream run.

scripts/install-deps.sh test installs chromium, chromium-driver, python3-selenium and python3-pil.
"""

import json
import os
import shutil
import subprocess
import tempfile
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

# Chromium as root, with the network closed: no sandbox, no GPU, nothing that phones home.
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync",
                 "--disable-dev-shm-usage", "--window-size=1280,1700"]


def run(*args, env=None):
    return subprocess.run([str(TOOL), "-q", *map(str, args)], capture_output=True, text=True, env=env, timeout=180)


@pytest.fixture(scope="module")
def browser():
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    opts = webdriver.ChromeOptions()
    for a in CHROMIUM_ARGS:
        opts.add_argument(a)
    profile = tempfile.mkdtemp(prefix="predsense-chromium.")
    opts.add_argument("--user-data-dir=" + profile)
    opts.binary_location = shutil.which("chromium") or "/usr/bin/chromium"
    opts.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    d = webdriver.Chrome(service=Service(shutil.which("chromedriver") or "/usr/bin/chromedriver"), options=opts)
    d.set_page_load_timeout(60)
    yield d
    d.quit()
    shutil.rmtree(profile, ignore_errors=True)


def load(d, page):
    from selenium.webdriver.support.ui import WebDriverWait
    d.get_log("browser")  # drop what an earlier page logged
    d.get(Path(page).resolve().as_uri())
    WebDriverWait(d, 30).until(lambda x: x.execute_script("return document.body.dataset.ready === '1'"))
    return d


def console_errors(d):
    return [e for e in d.get_log("browser") if e.get("level") in ("SEVERE", "ERROR")]


@pytest.fixture(scope="module")
def tour_run(tmp_path_factory):
    d = tmp_path_factory.mktemp("report")
    video = d / "tour.mp4"
    subprocess.run(["bash", str(SRC / "scripts" / "make_tour_video.sh"), str(video), "--quick"], check=True,
                   capture_output=True, timeout=120)
    r = run(video, "--json", d / "r.json", "--report", d / "run.html")
    assert r.returncode == 0, r.stderr
    return video, json.loads((d / "r.json").read_text()), d / "run.html"


def test_report_markers_and_seeking_in_chromium(browser, tour_run):
    video, res, page = tour_run
    assert res["boundaries"], "the tour has cuts"
    d = load(browser, page)
    assert console_errors(d) == []
    markers = d.execute_script(
        "return [...document.querySelectorAll('.marker')].map(m => [+m.dataset.frame, m.dataset.kind, "
        "+m.dataset.start, +m.dataset.end, m.getBoundingClientRect().left])")
    assert [m[:4] for m in markers] == [[b["frame"], b["kind"], b["start"], b["end"]] for b in res["boundaries"]]
    xs = [m[4] for m in markers]
    assert xs == sorted(xs) and len(set(xs)) == len(xs), "markers sit along the time axis in order"
    # the page carries the tool's result: same surprise curve and segments
    data = d.execute_script("return window.predsenseReport.data")
    assert data["surprise"] == pytest.approx(res["surprise"]) and data["segments"] == res["segments"]
    # a card per transition, a row per segment, thumbnails before and after each transition
    assert d.execute_script("return document.querySelectorAll('.card').length") == len(res["boundaries"])
    assert d.execute_script("return document.querySelectorAll('.card img[src^=\"data:image/jpeg\"]').length") == \
        2 * len(res["boundaries"])
    assert d.execute_script("return document.querySelectorAll('#segments tr[data-frame]').length") == \
        len(res["segments"])
    # the video is embedded and plays here (H.264 in MP4); clicking a marker seeks it
    state = d.execute_script("const v = document.getElementById('video'); return v && [v.readyState, v.duration]")
    assert state and state[0] >= 1 and state[1] == pytest.approx(res["frames"] / res["fps"], abs=0.1)
    for k in (3, len(markers) - 1):
        b = res["boundaries"][k]
        d.find_elements("css selector", ".marker")[k].click()
        t = d.execute_script("return document.getElementById('video').currentTime")
        assert t == pytest.approx(b["time"], abs=0.5 / res["fps"]), (k, t, b)
        head = d.execute_script("return +document.getElementById('playhead').dataset.time")
        assert head == pytest.approx(b["time"], abs=0.5 / res["fps"])
        assert d.execute_script(f"return document.querySelector('.card[data-index=\"{k}\"]').classList.contains('sel')")
    # zoom to the first two boundaries: the others leave the view
    b0, b1 = res["boundaries"][0], res["boundaries"][1]
    d.execute_script(f"window.predsenseReport.timeline.setScale('x', {{min: {b0['time'] - 0.1}, max: {b1['time'] + 0.1}}})")
    shown = d.execute_script("return [...document.querySelectorAll('.marker')].filter(m => m.style.display !== 'none')"
                             ".map(m => +m.dataset.frame)")
    assert shown == [b0["frame"], b1["frame"]]
    assert console_errors(d) == []


def test_report_memory_trace_ends_at_the_summary(tour_run, browser):
    _, res, page = tour_run
    d = load(browser, page)
    m = d.execute_script("return window.predsenseReport.data.memory_trace")
    mem = res["memory"]
    assert m["frame"][0] == 0 and m["frame"][-1] == res["frames"] - 1
    assert m["budget_tokens"] == mem["budget_tokens"]
    assert m["entries"][-1] == mem["entries_in_window"] + mem["entries_long_term"]
    assert m["in_window"][-1] == mem["entries_in_window"] and m["pooled"][-1] == mem["entries_pooled"]
    assert m["tokens"][-1] == mem["tokens"] and m["frames_dropped"][-1] == mem["frames_dropped"]
    assert all(a + b == c for a, b, c in zip(m["pooled"], m["full_resolution"], m["entries"]))
    # two charts drawn (uPlot canvases)
    assert d.execute_script("return document.querySelectorAll('#mem-entries canvas, #mem-tokens canvas').length") == 2


def test_report_falls_back_to_thumbnails_when_the_video_cannot_play(tmp_path, browser, tour_run):
    import predsense as ps
    src, res, _ = tour_run
    avi = tmp_path / "tour.avi"  # MPEG-4 part 2 in AVI: no browser plays it
    subprocess.run(["ffmpeg", "-v", "error", "-i", str(src), "-c:v", "mpeg4", "-q:v", "5", str(avi)], check=True,
                   timeout=120)
    page = tmp_path / "avi.html"
    ps.report.write_report(res, page, video=avi)
    text = page.read_text()
    assert "<video" not in text and "does not play in a browser" in text
    d = load(browser, page)
    assert console_errors(d) == []
    b = res["boundaries"][2]
    d.find_elements("css selector", ".marker")[2].click()
    shown = d.execute_script("return +document.getElementById('viewer').dataset.frame")
    assert shown == b["frame"], "the boundary's own thumbnail is in the page and shown on click"


def test_report_of_a_python_stream_run(tmp_path, browser):
    import predsense as ps
    rng = np.random.default_rng(3)
    # three regimes of 40 frames (8 tokens x 16 dims): the threshold segmenter cuts at 40 and 80
    base = [rng.normal(size=(1, 8, 16)) for _ in range(3)]
    frames = np.concatenate([b + 0.01 * rng.normal(size=(40, 8, 16)) for b in base]).astype(np.float32)
    stream = ps.Stream(segmenter=ps.ThresholdSegmenter(0.3), memory=ps.MemoryStore(0.1, 8, 64))
    res = ps.report.stream_result(stream, frames, fps=10)
    assert [b["frame"] for b in res["boundaries"]] == [40, 80]
    # the trace is what the memory reported at each step of an identical run
    twin = ps.Stream(segmenter=ps.ThresholdSegmenter(0.3), memory=ps.MemoryStore(0.1, 8, 64))
    steps = [twin.step(f) for f in frames]
    assert res["memory_trace"]["entries"] == [s.memory_entries for s in steps]
    assert res["memory_trace"]["tokens"] == [s.memory_tokens for s in steps]
    rgb = np.broadcast_to((frames[:, 0, :3] * 60 + 128).clip(0, 255)[:, None, None, :], (len(frames), 16, 16, 3))
    page = tmp_path / "stream.html"
    ps.report.write_report(res, page, images=rgb.astype(np.uint8))
    d = load(browser, page)
    assert console_errors(d) == []
    assert d.execute_script("return [...document.querySelectorAll('.marker')].map(m => +m.dataset.frame)") == [40, 80]
    d.find_elements("css selector", ".marker")[1].click()
    assert d.execute_script("return +document.getElementById('viewer').dataset.frame") == 80


def test_report_bad_paths_exit_2_and_write_nothing(tour_run, tmp_path):
    video, _, _ = tour_run
    r = run(video, "--report", tmp_path / "missing" / "r.html")
    assert r.returncode == 2 and "--report" in r.stderr and "does not exist" in r.stderr
    r = run(video, "--report", video)
    assert r.returncode == 2 and "refusing to overwrite an input" in r.stderr
    # a generator that fails: exit 2 naming --report, no page and no temporary file left
    bad = tmp_path / "fail.py"
    bad.write_text("import sys; sys.exit(3)\n")
    out = tmp_path / "out"
    out.mkdir()
    r = run(video, "--report", out / "r.html", "--json", out / "r.json",
            env={**os.environ, "PREDSENSE_REPORT_SCRIPT": str(bad)})
    assert r.returncode == 2 and "--report" in r.stderr
    assert list(out.iterdir()) == []


def test_write_report_rejects_malformed_results(tmp_path):
    import predsense as ps
    with pytest.raises(ValueError, match="missing 'times'"):
        ps.report.write_report({"frames": 2, "surprise": [1, 0]}, tmp_path / "x.html")
    with pytest.raises(ValueError, match="boundary frame 5"):
        ps.report.write_report({"frames": 2, "surprise": [1, 0], "times": [0, 1],
                                "boundaries": [{"frame": 5, "start": 5, "end": 5, "kind": "cut"}]}, tmp_path / "x.html")
    with pytest.raises(FileNotFoundError, match="does not exist"):
        ps.report.write_report({"frames": 1, "surprise": [1], "times": [0]}, tmp_path / "no" / "x.html")
    assert not (tmp_path / "x.html").exists()
