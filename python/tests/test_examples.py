"""The examples run as a user would run them and print what they promise."""
import os
import subprocess
import sys

import pytest

HERE = os.path.dirname(os.path.abspath(__file__))
EXAMPLES = os.path.join(os.path.dirname(HERE), "examples")
VIDEO = "/usr/share/doc/opencv-doc/examples/data/Megamind.avi"


def run(args, tmp_path):
    import predsense

    env = dict(os.environ, MPLBACKEND="Agg", PYTHONPATH=os.path.dirname(os.path.dirname(os.path.abspath(predsense.__file__))))
    return subprocess.run([sys.executable, *args], capture_output=True, text=True, timeout=300, cwd=tmp_path, env=env)


def test_video_to_memory_example(tmp_path):
    pytest.importorskip("cv2")
    pytest.importorskip("matplotlib")
    pytest.importorskip("torch")
    if not os.path.exists(VIDEO):
        pytest.skip("opencv-doc's sample video is not installed")
    out = tmp_path / "plot.png"
    r = run([os.path.join(EXAMPLES, "video_to_memory.py"), VIDEO, "--plot", str(out)], tmp_path)
    assert r.returncode == 0, r.stderr
    assert "270 frames" in r.stdout and "events at [" in r.stdout
    tokens = int(r.stdout.split("memory: ")[1].split()[0])
    assert 0 < tokens <= 2048 + 8 * 49  # long-term budget + the window (flushed: budget only)
    assert out.stat().st_size > 10000  # the plot


def test_surprise_pipeline_example(tmp_path):
    r = run([os.path.join(EXAMPLES, "surprise_pipeline.py")], tmp_path)
    assert r.returncode == 0, r.stdout + r.stderr
    assert "changes found" in r.stdout
