"""predsense._tools.find: a given path, then $PREDSENSE_VIDEO, then the installed package's copy
(predsense/bin), then the build tree's (BUILD/python/predsense -> BUILD/bin), then PATH; it says
which one it took, and names every place tried when there is none. predsense-corpus prints it."""
import os
import subprocess
import sys
from pathlib import Path

import pytest

import predsense._tools as tools
from predsense import corpus


def exe(path):
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("#!/bin/sh\nexit 0\n")
    path.chmod(0o755)
    return path


@pytest.fixture
def layout(tmp_path, monkeypatch):
    """A build tree BUILD/python/predsense with BUILD/bin, the package pointed at it, and an empty PATH."""
    pkg = tmp_path / "build" / "python" / "predsense"
    pkg.mkdir(parents=True)
    monkeypatch.setattr(tools, "_PKG", pkg)
    monkeypatch.setenv("PATH", str(tmp_path / "path"))
    monkeypatch.delenv("PREDSENSE_VIDEO", raising=False)
    return tmp_path, pkg


def test_order_installed_package_then_build_tree_then_path(layout):
    tmp, pkg = layout
    on_path = exe(tmp / "path" / "predsense-video")
    assert tools.find("predsense-video") == (on_path.resolve(), "PATH")
    in_build = exe(tmp / "build" / "bin" / "predsense-video")
    assert tools.find("predsense-video") == (in_build.resolve(), "build tree")
    in_pkg = exe(pkg / "bin" / "predsense-video")
    assert tools.find("predsense-video") == (in_pkg.resolve(), "installed package")
    assert corpus.tool_source() == (in_pkg.resolve(), "installed package")


def test_given_and_environment_override(layout, monkeypatch):
    tmp, pkg = layout
    exe(pkg / "bin" / "predsense-video")
    other = exe(tmp / "elsewhere" / "pv")
    monkeypatch.setenv("PREDSENSE_VIDEO", str(other))
    assert corpus.tool_source() == (other.resolve(), "$PREDSENSE_VIDEO")
    given = exe(tmp / "given" / "pv")
    assert corpus.tool_source(given) == (given.resolve(), "given")
    # an override that does not run is an error, not a silent fallback to the package's copy
    with pytest.raises(corpus.CorpusError, match=r"given: .*nothing"):
        corpus.find_tool(tmp / "nothing")


def test_not_executable_is_skipped_and_none_found_names_every_place(layout):
    tmp, pkg = layout
    (pkg / "bin").mkdir()
    (pkg / "bin" / "predsense-video").write_text("not executable")
    with pytest.raises(corpus.CorpusError) as e:
        corpus.find_tool()
    msg = str(e.value)
    for place in ("installed package: " + str(pkg / "bin" / "predsense-video"),
                  "build tree: " + str(tmp / "build" / "bin" / "predsense-video"), "PATH: predsense-video"):
        assert place in msg, msg
    with pytest.raises(FileNotFoundError, match="predsense-video not found"):
        import predsense.video
        predsense.video.find_tool()


def test_corpus_command_says_which_tool_it_runs(tmp_path):
    """predsense-corpus names the predsense-video it runs (here the one --tool gives) before any work."""
    import numpy as np
    pytest.importorskip("pandas")
    pytest.importorskip("distributed")
    d = tmp_path / "in"
    d.mkdir()
    np.save(d / "f.npy", np.zeros((3, 4, 8), np.float32))
    fake = exe(tmp_path / "fake" / "predsense-video")
    env = dict(os.environ, PYTHONPATH=str(Path(corpus.__file__).resolve().parents[1]))
    # a scheduler that is not there: the run stops (exit 2) right after naming the tool, no cluster started
    r = subprocess.run([sys.executable, "-m", "predsense.corpus", str(d), str(tmp_path / "out"), "--tool", str(fake),
                        "--scheduler", "tcp://127.0.0.1:9", "--connect-timeout", "0.5", "--no-progress"],
                       capture_output=True, text=True, timeout=300, env=env)
    assert r.returncode == 2, r.stderr
    assert f"predsense-video: {fake.resolve()} (given)" in r.stderr, r.stderr
