"""predsense.corpus / predsense-corpus: the predsense-video pipeline over a corpus on Dask.

Eight generated inputs (five short videos with a cut, two .npy and one .npz of features). The
reference is a sequential loop running the built predsense-video on each input with its defaults in
the same test run, so these tests follow the tool when its detector or defaults change.
"""

import json
import os
import shutil
import signal
import subprocess
import sys
import threading
import time
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
distributed = pytest.importorskip("distributed", reason="python3-distributed not installed (scripts/install-deps.sh test)")
pytest.importorskip("pandas", reason="python3-pandas not installed (scripts/install-deps.sh test)")
import predsense.corpus as pc  # noqa: E402  (part of the package make test builds: a failure here is a failure)

SCENES = ["testsrc2", "smptebars", "mandelbrot", "rgbtestsrc", "life=mold=10:ratio=0.5:seed=3"]


def make_video(path, first, second, size="160x120", rate=25, seconds=(3, 3)):
    """Two generated scenes (lavfi sources "name" or "name=options") joined by a hard cut."""
    def src(spec):
        name, _, opts = spec.partition("=")
        return f"{name}=size={size}:rate={rate}" + (f":{opts}" if opts else "")

    graph = (f"{src(first)}[a0];[a0]trim=duration={seconds[0]}[a];{src(second)}[b0];[b0]trim=duration={seconds[1]}[b];"
             "[a][b]concat=n=2:v=1")
    subprocess.run(["ffmpeg", "-v", "error", "-y", "-f", "lavfi", "-i", graph, "-pix_fmt", "yuv420p", "-c:v", "mpeg4",
                    str(path)], check=True, timeout=60)


@pytest.fixture(scope="module")
def corpus(tmp_path_factory):
    d = tmp_path_factory.mktemp("corpus")
    (d / "sub").mkdir()
    paths = []
    for i in range(5):
        p = (d / "sub" if i == 4 else d) / f"clip{i}.mp4"
        make_video(p, SCENES[i], SCENES[(i + 1) % 5], seconds=(2 + i % 2, 3))
        paths.append(p)
    rng = np.random.default_rng(16)
    a = np.repeat(rng.standard_normal((3, 4, 32)), [10, 12, 8], axis=0) + 0.05 * rng.standard_normal((30, 4, 32))
    np.save(d / "feat0.npy", a.astype(np.float32))
    np.save(d / "feat1.npy", np.repeat(rng.standard_normal((2, 48)), [9, 11], axis=0).astype(np.float64))
    np.savez(d / "feat2.npz", features=rng.standard_normal((25, 8, 16)).astype(np.float32))
    paths += [d / "feat0.npy", d / "feat1.npy", d / "feat2.npz"]
    return d, paths


def tool_result(path, tmp):
    """The sequential reference: predsense-video itself with its defaults."""
    path = Path(path)
    out = tmp / (path.name + ".ref.json")
    if path.suffix == ".npz":
        npy = tmp / (path.name + ".npy")
        np.save(npy, np.load(path)["features"])
        args = ["--features", npy]
    elif path.suffix == ".npy":
        args = ["--features", path]
    else:
        args = [path]
    r = subprocess.run([str(TOOL), *map(str, args), "--json", str(out), "-q"], capture_output=True, text=True,
                       timeout=120)
    assert r.returncode == 0, r.stderr
    return strip(json.loads(out.read_text()))


def strip(res):
    """A tool result without the fields naming the file (they differ between the two runs)."""
    return {k: v for k, v in res.items() if k not in ("input", "features")}


@pytest.fixture(scope="module")
def reference(corpus, tmp_path_factory):
    tmp = tmp_path_factory.mktemp("reference")
    return [tool_result(p, tmp) for p in corpus[1]]


@pytest.fixture(scope="module")
def cluster():
    from distributed import LocalCluster
    c = LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None, silence_logs=40)
    yield c
    c.close()


def results_written(out_dir):
    """Result files (*.json) under out_dir, not counting the run's temporary folder. Polled while
    workers create and remove temporaries: os.walk skips a folder that vanishes mid-walk, where
    Path.rglob raises FileNotFoundError (it did, once, in CI)."""
    n = 0
    for _, dirs, files in os.walk(out_dir):
        dirs[:] = [d for d in dirs if d != pc.TMP_DIR]
        n += sum(f.endswith(".json") and pc.TMP_MARK not in f for f in files)
    return n


def check_results(df, paths, reference, out_dir, root):
    assert list(df["input"]) == [str(p) for p in paths]
    assert (df["status"].isin(["done", "cached"])).all(), df[["input", "status", "error"]].to_string()
    for p, ref, res_path in zip(paths, reference, df["result"]):
        assert Path(res_path) == pc.result_path(p, root, out_dir)
        rec, why = pc.validate_result(res_path, p, pc.Config())
        assert why is None, (p, why)
        assert strip(rec["result"]) == ref, p
        assert rec["result"]["frames"] == len(rec["result"]["surprise"]) > 0
    leftovers = [p for p in Path(out_dir).rglob("*") if ".predsense-tmp-" in p.name or ".tmp" in p.name]
    assert leftovers == []


def test_two_workers_equal_a_sequential_loop(corpus, reference, cluster, tmp_path):
    root, paths = corpus
    with distributed.Client(cluster.scheduler_address) as client:  # an existing cluster, by address
        df = pc.run(paths, pc.Config(), tmp_path / "out", client=client)
    assert (df["status"] == "done").all(), df[["input", "status", "error"]].to_string()
    check_results(df, paths, reference, tmp_path / "out", root)
    assert df["worker"].nunique() == 2  # both workers took inputs
    assert list(df["frames"]) == [r["frames"] for r in reference]
    assert list(df["boundaries"]) == [len(r["boundaries"]) for r in reference]
    assert (tmp_path / "out" / "sub" / "clip4.mp4.json").is_file()  # named by the path under the root


def test_cli_on_a_folder_without_a_cluster(corpus, reference, tmp_path):
    root, paths = corpus
    out = tmp_path / "out"
    env = dict(os.environ, PYTHONPATH=str(BUILD / "python"))
    r = subprocess.run([sys.executable, "-m", "predsense.corpus", str(root), str(out), "--workers", "2"],
                       capture_output=True, text=True, timeout=300, env=env)
    assert r.returncode == 0, r.stdout + r.stderr
    assert "8 inputs: 8 done, 0 cached, 0 error" in r.stdout
    import pandas as pd
    df = pd.read_csv(out / "corpus.csv")
    df = df.set_index("input").loc[[str(p) for p in paths]].reset_index()
    check_results(df, paths, reference, out, root)
    # only .npy features, with a pattern
    r = subprocess.run([sys.executable, "-m", "predsense.corpus", str(root), str(tmp_path / "npy"), "--pattern",
                        "*.npy", "--workers", "1"], capture_output=True, text=True, timeout=300, env=env)
    assert r.returncode == 0, r.stdout + r.stderr
    assert sorted(p.name for p in (tmp_path / "npy").glob("*.json")) == ["feat0.npy.json", "feat1.npy.json"]


def test_bad_inputs_give_error_rows_only(corpus, reference, cluster, tmp_path):
    """(Named without "corrupt": predsense-video counts that word in ffmpeg's log, the input path included.)"""
    root, paths = corpus
    d = tmp_path / "in"
    shutil.copytree(root, d)
    good = [d / p.relative_to(root) for p in paths]
    for p, q in zip(paths, good):
        os.utime(q, ns=(p.stat().st_atime_ns, p.stat().st_mtime_ns))
    (d / "noise.mp4").write_bytes(np.random.default_rng(1).integers(0, 256, 5000, dtype=np.uint8).tobytes())
    (d / "cut.mp4").write_bytes(good[0].read_bytes()[:600])        # truncated inside the header
    (d / "garbage.npy").write_bytes(b"\x93NUMPY\x01\x00garbage")
    np.save(d / "nan.npy", np.full((5, 3), np.nan, np.float32))
    np.savez(d / "two.npz", a=np.zeros((3, 2)), b=np.ones((3, 2)))
    bad = [d / n for n in ("noise.mp4", "cut.mp4", "garbage.npy", "nan.npy", "two.npz")]
    inputs = good[:4] + bad + good[4:]
    with distributed.Client(cluster.scheduler_address) as client:
        df = pc.run(inputs, pc.Config(), tmp_path / "out", client=client)
    rows = df.set_index("input")
    for p in bad:
        r = rows.loc[str(p)]
        assert r["status"] == "error"
        assert r["error"].startswith(str(p) + ": "), r["error"]
        assert not pc.result_path(p, d, tmp_path / "out").exists()
    assert "NaN" in rows.loc[str(d / "nan.npy"), "error"]
    assert "features_key" in rows.loc[str(d / "two.npz"), "error"]
    ok = df[~df["input"].isin([str(p) for p in bad])]
    check_results(ok, good, reference, tmp_path / "out", d)
    assert sorted(p.name for p in tmp_path.joinpath("out").rglob("*.json")) == sorted(p.name + ".json" for p in good)
    # the same corpus again: the valid results are reused, the bad inputs tried again and still errors
    df2 = pc.run(inputs, pc.Config(), tmp_path / "out", workers=1)
    assert set(df2[df2["status"] == "cached"]["input"]) == {str(p) for p in good}
    assert set(df2[df2["status"] == "error"]["input"]) == {str(p) for p in bad}


def test_rerun_after_interruption_processes_only_what_is_missing(corpus, reference, tmp_path):
    root, paths = corpus
    out = tmp_path / "out"
    env = dict(os.environ, PYTHONPATH=str(BUILD / "python"))
    cmd = [sys.executable, "-m", "predsense.corpus", str(root), str(out), "--workers", "1", "--no-progress"]
    p = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env, start_new_session=True)
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and results_written(out) < 2:
        time.sleep(0.01)
    os.killpg(p.pid, signal.SIGKILL)  # the driver, its LocalCluster and the tools: a power cut
    p.wait()
    done_before = {q for q in paths if pc.result_path(q, root, out).exists()}
    assert 2 <= len(done_before) < len(paths), "the run was not interrupted mid-way"
    stamps = {q: pc.result_path(q, root, out).stat().st_mtime_ns for q in done_before}
    # a result that only looks finished (changed after writing) and a stale temporary are not trusted
    tampered = sorted(done_before)[0]
    t = pc.result_path(tampered, root, out)
    rec = json.loads(t.read_text())
    rec["result"]["surprise"][1] += 0.5
    t.write_text(json.dumps(rec))
    stale = t.parent / (".x.json" + ".predsense-tmp-abc")
    stale.write_text("{")
    r = subprocess.run(cmd, capture_output=True, text=True, timeout=300, env=env)
    assert r.returncode == 0, r.stdout + r.stderr
    import pandas as pd
    df = pd.read_csv(out / "corpus.csv")
    status = dict(zip(df["input"], df["status"]))
    assert {q for q in paths if status[str(q)] == "cached"} == done_before - {tampered}
    assert {q for q in paths if status[str(q)] == "done"} == (set(paths) - done_before) | {tampered}
    for q in done_before - {tampered}:  # reused, not rewritten
        assert pc.result_path(q, root, out).stat().st_mtime_ns == stamps[q]
    assert not stale.exists()
    df = df.set_index("input").loc[[str(q) for q in paths]].reset_index()
    check_results(df, paths, reference, out, root)


def test_validation_and_bad_arguments(corpus, tmp_path):
    root, paths = corpus
    d = tmp_path / "in"
    d.mkdir()
    f = d / "f.npy"
    shutil.copy(root / "feat0.npy", f)
    row = pc.process_one(f, d, tmp_path / "out", pc.Config().as_dict())
    assert row["status"] == "done", row
    res = Path(row["result"])
    assert pc.validate_result(res, f, pc.Config())[1] is None
    assert pc.validate_result(res, f, pc.Config(fps=2.0))[1] == "another config"
    assert pc.validate_result(res, f, pc.Config(), tool_sha256="0" * 64)[1] == "another predsense-video build"
    text = res.read_text()
    res.write_text(text[: len(text) // 2])
    assert pc.validate_result(res, f, pc.Config())[1].startswith("unreadable")
    res.write_text(text)
    os.utime(f, ns=(f.stat().st_atime_ns, f.stat().st_mtime_ns + 10**9))
    assert pc.validate_result(res, f, pc.Config())[1] == "the input changed since"

    with pytest.raises(pc.CorpusError, match="--segmenter nope"):  # the tool's own check of its options
        pc.run([f], pc.Config(segmenter="nope"), tmp_path / "o")
    with pytest.raises(pc.CorpusError, match="Config.metric"):
        pc.run([f], pc.Config(metric="mse"), tmp_path / "o")
    with pytest.raises(pc.CorpusError, match="Config.fps"):
        pc.run([f], pc.Config(fps=-1.0), tmp_path / "o")
    with pytest.raises(pc.CorpusError, match="--prominence"):
        pc.run([f], pc.Config(tool_args=("--prominence", "-3")), tmp_path / "o")
    with pytest.raises(pc.CorpusError, match="missing.mp4: no such input"):
        pc.run([f, d / "missing.mp4"], pc.Config(), tmp_path / "o")
    (d / "f.npy.json").write_text("{}")  # an input named like f.npy's result: never overwritten
    with pytest.raises(pc.CorpusError, match="would overwrite an input"):
        pc.run([f, d / "f.npy.json"], pc.Config(), d)
    assert (d / "f.npy.json").read_text() == "{}"
    assert not (tmp_path / "o").exists()

    env = dict(os.environ, PYTHONPATH=str(BUILD / "python"))

    def cli(*args):
        return subprocess.run([sys.executable, "-m", "predsense.corpus", *map(str, args)], capture_output=True,
                              text=True, timeout=120, env=env)

    for args, msg in [((tmp_path / "nowhere", tmp_path / "o"), "no such folder"),
                      ((d, tmp_path / "o", "--workers", "0"), "--workers"),
                      ((d, d), "another folder than IN_DIR"),
                      ((d, tmp_path / "o", "--pattern", "*.mkv"), "no input"),
                      ((d, tmp_path / "o", "--segmenter", "bogus"), "--segmenter"),
                      ((d, tmp_path / "o", "--fps", "x"), "--fps"),
                      ((d, f, "--pattern", "*.npy"), "is a file"),
                      ((d, tmp_path / "o", "--pattern", "*.npy", "--tool-args", "--prominence -3"), "--prominence"),
                      ((d, tmp_path / "o", "--pattern", "*.npy", "--tool", tmp_path / "none"), "predsense-video not found"),
                      ((d, tmp_path / "o", "--scheduler", "tcp://127.0.0.1:9", "--connect-timeout", "1",
                        "--pattern", "*.npy"), "cannot connect")]:
        r = cli(*args)
        assert r.returncode == 2, (args, r.stdout, r.stderr)
        assert msg in r.stderr, (args, r.stderr)
    assert not (tmp_path / "o").exists()


def test_a_worker_killed_mid_run_loses_nothing(corpus, reference, cluster, tmp_path):
    root, paths = corpus
    out = tmp_path / "out"
    box = {}
    with distributed.Client(cluster.scheduler_address) as client, \
            distributed.Client(cluster.scheduler_address) as monitor:
        pids = monitor.run(os.getpid)
        # daemon: if an assertion below fails, the run left behind must not keep pytest from exiting
        th = threading.Thread(target=lambda: box.update(df=pc.run(paths, pc.Config(), out, client=client)),
                              daemon=True)
        th.start()
        killed = None

        def finished():
            return results_written(out)

        deadline = time.monotonic() + 60
        while killed is None and time.monotonic() < deadline and th.is_alive():
            busy = [w for w, keys in monitor.processing().items() if keys and w in pids]
            if busy and finished() >= 1:
                killed = pids[busy[0]]
                finished_then = finished()
                os.kill(killed, signal.SIGKILL)
            time.sleep(0.005)
        th.join(120)
        assert killed is not None, "no worker was busy while the run was going"
        assert finished_then < len(paths)
        # the nanny restarted the killed worker
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline and (len(monitor.scheduler_info()["workers"]) < 2):
            time.sleep(0.1)
        assert len(monitor.scheduler_info()["workers"]) == 2
        assert killed not in monitor.run(os.getpid).values()
    df = box["df"]
    assert (df["status"] == "done").all(), df[["input", "status", "error"]].to_string()
    check_results(df, paths, reference, out, root)


# ---- path aliases, the summary, file names, full disks, scripts without a __main__ guard ----

def _cli(*args, timeout=300):
    env = dict(os.environ, PYTHONPATH=str(BUILD / "python"))
    return subprocess.run([sys.executable, "-m", "predsense.corpus", *map(str, args)], capture_output=True,
                          timeout=timeout, env=env)


def _features_folder(d, with_result_named_input=True):
    """IN with one features file and (for --pattern '*') an input named like that file's result."""
    d.mkdir()
    np.save(d / "f.npy", np.repeat(np.eye(3, 8, dtype=np.float32), 4, axis=0)[:, None, :])
    if with_result_named_input:
        (d / "f.npy.json").write_text('{"an": "input"}')
    return d


@pytest.mark.parametrize("alias", ["IN/../IN", "symlink to IN", "IN/."])
def test_out_dir_naming_in_dir_another_way_is_refused(tmp_path, alias):
    d = _features_folder(tmp_path / "in")
    if alias == "symlink to IN":
        out = tmp_path / "link"
        out.symlink_to(d)
    else:
        out = str(d / ".." / "in") if alias == "IN/../IN" else str(d) + "/."
    before = {p.name: p.read_bytes() for p in d.iterdir()}
    r = _cli(d, out, "--pattern", "*", "--workers", "1")
    assert r.returncode == 2, r.stdout + r.stderr
    assert b"OUT_DIR must be another folder than IN_DIR" in r.stderr, r.stderr
    assert {p.name: p.read_bytes() for p in d.iterdir()} == before  # nothing written into IN


def test_run_refuses_a_result_over_an_input_through_a_symlinked_out_dir(tmp_path):
    d = _features_folder(tmp_path / "in")
    link = tmp_path / "link"
    link.symlink_to(d)
    with pytest.raises(pc.CorpusError, match="f.npy.json: its result file would overwrite an input"):
        pc.run([d / "f.npy", d / "f.npy.json"], pc.Config(), link)
    assert (d / "f.npy.json").read_text() == '{"an": "input"}'


def test_in_dir_inside_out_dir_is_named_as_such(tmp_path):
    d = _features_folder(tmp_path / "in", with_result_named_input=False)
    for out in (tmp_path, d / ".."):
        r = _cli(d, out, "--workers", "1")
        assert r.returncode == 2, r.stderr
        assert b"IN_DIR is inside OUT_DIR" in r.stderr and b"no input" not in r.stderr, r.stderr


def test_out_dir_inside_in_dir_through_a_symlink_holds_no_inputs(tmp_path):
    """Earlier results under OUT are never inputs, whichever spelling of OUT was given."""
    d = _features_folder(tmp_path / "in", with_result_named_input=False)
    (d / "res").mkdir()
    (d / "res" / "old.npy").write_bytes((d / "f.npy").read_bytes())
    link = tmp_path / "res_link"
    link.symlink_to(d / "res")
    assert pc._collect(d, link.absolute(), None) == [d / "f.npy"]


def test_summary_adds_frame_counts_as_numbers():
    import pandas as pd
    n = 400  # the text join overflowed int() at about 310 inputs
    rows = [pc._row(f"/c/v{i}.mp4", "video", "done", frames=100 + (i % 2) * 50, boundaries=1, segments=2,
                    memory_tokens=3, wall_s=0.5) for i in range(n)]
    df = pd.DataFrame(rows, columns=pc.COLUMNS)
    for c in ("frames", "boundaries", "segments", "memory_tokens"):
        df[c] = df[c].astype("Int64")
    text = pc._summary(df, Path("/c"), 10.0)
    assert f"{n} inputs: {n} done, 0 cached, 0 error; {n // 2 * 250} frames computed in 10.0 s" in text, text[-300:]
    small = pc._summary(df.iloc[:2], Path("/c"), 1.0)
    assert "250 frames computed" in small, small  # was "100150 frames"


def test_a_file_name_that_is_not_utf8(tmp_path):
    d = tmp_path / "in"
    d.mkdir()
    raw = os.fsencode(str(d)) + b"/caf\xe9 \xff.npy"
    np.save(os.fsdecode(raw), np.repeat(np.eye(3, 8, dtype=np.float32), 4, axis=0)[:, None, :])
    out = tmp_path / "out"
    r = _cli(d, out, "--workers", "1")
    assert r.returncode == 0, r.stdout + r.stderr
    assert b"caf\\xe9 \\xff.npy" in r.stdout and b"1 inputs: 1 done" in r.stdout, r.stdout  # shown escaped
    rec = json.loads((out / os.fsdecode(b"caf\xe9 \xff.npy.json")).read_text())
    assert rec["input"] == os.fsdecode(raw)
    shutil.copy(os.fsdecode(raw), tmp_path / "same.npy")  # the tool itself on the same bytes (under a UTF-8
    ref = tool_result(tmp_path / "same.npy", tmp_path)  # name: predsense-video cannot write the other in its JSON)
    assert strip(rec["result"]) == ref
    assert raw in (out / "corpus.csv").read_bytes()  # the name's own bytes, not a replacement
    r = _cli(d, out, "--workers", "1")  # and the rerun recognises its result
    assert r.returncode == 0 and b"1 inputs: 0 done, 1 cached" in r.stdout, r.stdout + r.stderr


def _tmpfs(path, opts):
    path.mkdir()
    if os.geteuid() != 0 or subprocess.run(["mount", "-t", "tmpfs", "-o", opts, "t", str(path)],
                                           capture_output=True).returncode != 0:
        pytest.skip("cannot mount a tmpfs here (needs root)")


def test_out_dir_on_a_full_disk_is_an_error_not_a_traceback(tmp_path):
    d = _features_folder(tmp_path / "in", with_result_named_input=False)
    mnt = tmp_path / "full"
    _tmpfs(mnt, "size=64k")
    try:
        (mnt / "out").mkdir()
        fd = os.open(mnt / "filler", os.O_WRONLY | os.O_CREAT, 0o644)
        try:
            while True:
                os.write(fd, b"\0" * 4096)
        except OSError:
            pass
        finally:
            os.close(fd)
        r = _cli(d, mnt / "out", "--workers", "1")
        assert r.returncode == 2, r.stdout + r.stderr
        assert b"Traceback" not in r.stderr and b"No space left on device" in r.stderr, r.stderr
        assert b"corpus.csv: cannot write the table" in r.stderr, r.stderr
        leftovers = [p.name for p in (mnt / "out").iterdir() if p.name != pc.LOCK_FILE]
        assert leftovers == []
    finally:
        subprocess.run(["umount", str(mnt)])


def test_out_dir_read_only_is_an_error_not_a_traceback(tmp_path):
    d = _features_folder(tmp_path / "in", with_result_named_input=False)
    mnt = tmp_path / "ro"
    _tmpfs(mnt, "size=64k,ro")
    try:
        r = _cli(d, mnt / "out", "--workers", "1")
        assert r.returncode == 2, r.stdout + r.stderr
        assert b"Traceback" not in r.stderr and b"Read-only file system" in r.stderr, r.stderr
    finally:
        subprocess.run(["umount", str(mnt)])


def test_run_at_the_top_level_of_a_script_without_a_main_guard(tmp_path):
    """docs/corpus.md's two lines as a whole script: worker processes re-imported it (errors, then a
    ~10 minute hang); the embedded cluster's workers are threads, so it simply runs."""
    d = _features_folder(tmp_path / "in", with_result_named_input=False)
    script = tmp_path / "script.py"
    script.write_text("import predsense.corpus as pc\n"
                      f"table = pc.run([{str(d / 'f.npy')!r}], pc.Config(), {str(tmp_path / 'out')!r}, workers=2)\n"
                      "print('STATUS', list(table['status']))\n")
    env = dict(os.environ, PYTHONPATH=str(BUILD / "python"))
    r = subprocess.run([sys.executable, str(script)], capture_output=True, text=True, timeout=180, env=env)
    assert r.returncode == 0, r.stdout + r.stderr
    assert "STATUS ['done']" in r.stdout, r.stdout + r.stderr
    assert "Error" not in r.stderr, r.stderr
    assert (tmp_path / "out" / "f.npy.json").is_file()
