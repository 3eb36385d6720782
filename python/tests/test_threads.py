"""The thread rule: objects whose methods release the GIL serialize on a per-object mutex; shared
objects neither crash, hang nor lose input; every class states its rule."""
import inspect
import os
import subprocess
import sys
import threading

import numpy as np
import pytest

import predsense as ps

HOSTILE = "/work/shared/data/hostile/py_threads_memorystore.py"


def run_threads(target, n, args=()):
    ths = [threading.Thread(target=target, args=(k, *args)) for k in range(n)]
    for t in ths:
        t.start()
    for t in ths:
        t.join(timeout=120)
    assert not any(t.is_alive() for t in ths), "a thread hung"


def test_four_threads_push_into_one_memory_store():
    mem = ps.MemoryStore(0.1, window=8, budget=512)
    frame = np.random.default_rng(0).normal(size=(64, 32)).astype(np.float32)
    n = 300
    errors = []

    def worker(k):
        try:
            for i in range(n):
                mem.push(frame * (1 + k), 0.5)
        except Exception as e:  # pragma: no cover - reported below
            errors.append(e)

    run_threads(worker, 4)
    assert not errors
    assert mem.frames_seen == 4 * n
    entries = mem.entries()
    assert sum(e["tokens"] for e in entries if not e["in_window"]) <= 512
    frames = [f for e in entries for f in e["merged"]]
    assert len(frames) == len(set(frames))  # every frame index once: no interleaved corruption


@pytest.mark.skipif(not os.path.exists(HOSTILE), reason="hostile reproducer not present")
def test_hostile_reproducer_ends_without_crash_hang_or_loss():
    env = dict(os.environ)
    r = subprocess.run([sys.executable, HOSTILE, "256", "64", "500"], capture_output=True, text=True, timeout=300,
                       env=env)
    assert r.returncode == 0, r.stderr
    words = r.stdout.split()
    assert words[:4] == ["frames_seen", "2000", "want", "2000"]
    assert int(words[words.index("tokens") + 1]) <= 512


def test_one_stream_shared_by_two_threads_serializes():
    x, _ = ps.synthetic_stream(frames=200, tokens=16, dim=32, seed=3)
    st = ps.Stream(memory=("peak_preserving", {"window": 4, "budget": 256}))

    def worker(k):
        st.run(x)

    run_threads(worker, 2)
    assert st.frames_seen == 400 and st.memory.frames_seen == 400


def test_python_component_in_a_thread_does_not_deadlock():
    class Slow:
        def __init__(self):
            self.last = None

        def observe(self, f):
            self.last = f.copy()

        def predict(self):
            return self.last

    x, _ = ps.synthetic_stream(frames=300, tokens=8, dim=16, seed=4)
    st = ps.Stream(predictor=Slow(), memory=("peak_preserving", {"window": 4, "budget": 128}))
    done = threading.Event()

    def worker(k):
        st.run(x)
        done.set()

    th = threading.Thread(target=worker, args=(0,))
    th.start()
    seen = 0
    while not done.is_set():  # the main thread keeps asking while the stream holds its lock
        seen = max(seen, st.frames_seen)
        st.memory.entries()
    th.join(timeout=120)
    assert not th.is_alive()
    assert st.frames_seen == 300


def test_independent_streams_in_threads_give_the_single_thread_answer():
    x, _ = ps.synthetic_stream(frames=150, tokens=16, dim=32, seed=5)
    want = ps.Stream().run(x)[0]
    got = [None] * 4

    def worker(k):
        got[k] = ps.Stream().run(x)[0]

    run_threads(worker, 4)
    for g in got:
        np.testing.assert_array_equal(g, want)


def test_every_class_states_its_thread_rule():
    exempt = {"Boundary", "StepResult"}  # immutable values
    for name in ps.__all__:
        obj = getattr(ps, name)
        if inspect.isclass(obj) and not issubclass(obj, BaseException) and name not in exempt:
            doc = obj.__doc__ or ""
            bases = [b.__doc__ or "" for b in obj.__mro__[1:]]
            assert "Thread rule" in doc or any("Thread rule" in b for b in bases), name


def test_backbone_embedder_and_detector_shared_by_threads_serialize():
    # MiniTransformer / TransformerPredictor / PatchEmbedder / TransitionDetector release the GIL under
    # their own mutex: two threads stepping one object lose no step, and each step's result is one
    # whole step (the backbone's output for a frame is a deterministic function of the cache length).
    rng = np.random.default_rng(0)
    bb = ps.MiniTransformer(32, 1, 4, 2, 48, input_dim=16, seed=1)
    pred = ps.TransformerPredictor(bb, seed=2)
    emb = ps.PatchEmbedder(grid=4, dim=16)
    det = ps.TransitionDetector(8, 8, 3)
    frame = rng.normal(size=(3, 16)).astype(np.float32)
    img = rng.integers(0, 256, (32, 32, 3), dtype=np.uint8)
    want = emb.embed(img)
    errors = []

    def worker(k):
        try:
            for _ in range(50):
                bb.step(frame)
                pred.observe(frame)
                np.testing.assert_array_equal(emb.embed(img), want)
                det.push(rng.random((8, 8, 3)).astype(np.float32) if k else np.zeros((8, 8, 3), np.float32), 0.0)
        except Exception as e:  # noqa: BLE001 - reported below
            errors.append(e)

    run_threads(worker, 2)
    assert not errors, errors
    assert bb.positions == 2 * 50 * 3 and pred.positions == 2 * 50 * 3 and det.frames == 100
