"""Stream composed at run time: every predictor, metric (with and without a normalizer), segmenter
and memory kind, C++ or Python protocol objects, against a per-frame Python loop over the same parts."""
import numpy as np
import pytest

import predsense as ps

X, TRUTH = ps.synthetic_stream(frames=90, tokens=4, dim=16, mean_scene_length=15, seed=21)

PREDICTORS = {
    "copy_last": lambda: ps.CopyLast(),
    "ema": lambda: ps.EMAPredictor(alpha=0.7),
    "rls": lambda: ps.RLSPredictor(mode="pooled"),
    "lfp": lambda: ps.LFPPredictor(16, seed=3, residual=True, zero_output=True, lr=1e-3),
    "transformer": lambda: ps.TransformerPredictor(ps.MiniTransformer(16, 1, 2, 1, 32, seed=1), seed=2, learn=True),
}
METRICS = {
    "token_cosine": ps.token_cosine_distance,
    "pooled_cosine": ps.pooled_cosine_distance,
    "mse": ps.mse,
    "l2": ps.l2_distance,
}
SEGMENTERS = {
    "threshold": lambda: ps.ThresholdSegmenter(0.05),
    "adaptive": lambda: ps.AdaptiveSegmenter(window=16, min_block=4),
    "peak": lambda: ps.PeakSegmenter(threshold=0.02, lookahead=2),
    "bocpd": lambda: ps.BOCPDSegmenter(threshold=0.3),
    "cut": lambda: ps.CutSegmenter(window=10, gamma=3.0, prominence=0.05),
}


def reference(frames, predictor, metric, segmenter, memory=None, normalizer=None, first=1.0):
    """The loop of pipeline/stream.hpp written in Python over the bound components."""
    surprise, cuts = [], []
    for t, f in enumerate(frames):
        if t == 0:
            s = first
        else:
            s = metric(predictor.predict(), f)
            if normalizer is not None:
                s = normalizer(s)
        predictor.observe(f)
        b = segmenter.push(s, t)
        if b is not None:
            cuts.append(b.t)
        if memory is not None:
            memory.push(f, s)
        surprise.append(s)
    return np.array(surprise), np.array(cuts, dtype=np.int64)


@pytest.mark.parametrize("pred", sorted(PREDICTORS))
@pytest.mark.parametrize("metric", sorted(METRICS))
def test_every_predictor_with_every_metric(pred, metric):
    st = ps.Stream(predictor=PREDICTORS[pred](), metric=metric, segmenter=ps.ThresholdSegmenter(0.05), memory=None)
    s, b = st.run(X)
    want_s, want_b = reference(X, PREDICTORS[pred](), METRICS[metric], ps.ThresholdSegmenter(0.05))
    np.testing.assert_array_equal(s, want_s)
    np.testing.assert_array_equal(b, want_b)
    assert st.frames_seen == len(X)
    # the function object itself selects the same C++ metric
    s2, _ = ps.Stream(predictor=PREDICTORS[pred](), metric=METRICS[metric], segmenter=ps.ThresholdSegmenter(0.05),
                      memory=None).run(X)
    np.testing.assert_array_equal(s2, s)


@pytest.mark.parametrize("seg", sorted(SEGMENTERS))
def test_every_segmenter(seg):
    st = ps.Stream(segmenter=SEGMENTERS[seg](), memory=None)
    s, b = st.run(X)
    want_s, want_b = reference(X, ps.CopyLast(), ps.token_cosine_distance, SEGMENTERS[seg]())
    np.testing.assert_array_equal(s, want_s)
    np.testing.assert_array_equal(b, want_b)
    pending = st.flush()
    assert all(isinstance(p, ps.Boundary) for p in pending)


@pytest.mark.parametrize("norm", ["zscore", "ema", "callable"])
def test_normalizers_and_stateful_metric(norm):
    make = {"zscore": ps.ZScoreNormalizer, "ema": lambda: ps.EMANormalizer(alpha=0.1),
            "callable": lambda: (lambda v: 10.0 * v)}[norm]
    st = ps.Stream(metric=ps.GaussianNLL(), normalizer=make(), segmenter=ps.ThresholdSegmenter(1.5), memory=None)
    s, b = st.run(X)
    want_s, want_b = reference(X, ps.CopyLast(), ps.GaussianNLL(), ps.ThresholdSegmenter(1.5), normalizer=make())
    np.testing.assert_array_equal(s, want_s)
    np.testing.assert_array_equal(b, want_b)
    assert st.metric.samples == (len(X) - 1) * X.shape[1]  # token samples: the GaussianNLL passed in


class PyCopyLast:
    def __init__(self):
        self.last = None
        self.calls = 0

    def observe(self, frame):
        assert isinstance(frame, np.ndarray) and frame.dtype == np.float32
        self.last = frame.copy()
        self.calls += 1

    def predict(self):
        return self.last


class PyThreshold:
    def __init__(self, thr):
        self.thr = thr

    def push(self, value, t):  # t = 0 is frame 0 (no prediction): never a boundary, as the built-ins
        return t if t > 0 and value > self.thr else None


class PyMemory:
    def __init__(self):
        self.frames = []

    def push(self, frame, surprise):
        self.frames.append((frame.shape, surprise))

    @property
    def tokens(self):
        return sum(s[0] for s, _ in self.frames)


def test_python_protocol_components_plug_in():
    pred, seg, mem = PyCopyLast(), PyThreshold(0.05), PyMemory()
    st = ps.Stream(predictor=pred, metric=lambda p, a: float(ps.token_cosine_distance(p, a)), segmenter=seg,
                   memory=mem)
    s, b = st.run(X)
    want_s, want_b = ps.Stream(segmenter=ps.ThresholdSegmenter(0.05), memory=None).run(X)
    np.testing.assert_allclose(s, want_s, rtol=0, atol=0)
    np.testing.assert_array_equal(b, want_b)
    assert pred.calls == len(X) and len(mem.frames) == len(X)
    assert st.predictor is pred and st.segmenter is seg and st.memory is mem
    r = st.step(X[0])
    assert r.memory_tokens == mem.tokens


def test_python_component_errors_propagate():
    class Bad:
        def observe(self, f):
            raise KeyError("from python")

        def predict(self):
            return np.zeros((4, 16), np.float32)

    with pytest.raises(KeyError, match="from python"):
        ps.Stream(predictor=Bad(), memory=None).run(X)

    class WrongShape(PyCopyLast):
        def predict(self):
            return np.zeros((3, 3, 3), np.float32)

    with pytest.raises(ps.ShapeError, match=r"predict\(\) result"):
        ps.Stream(predictor=WrongShape(), memory=None).run(X)
    with pytest.raises(TypeError, match="predictor"):
        ps.Stream(predictor=42)
    with pytest.raises(TypeError, match="segmenter"):
        ps.Stream(segmenter=42)
    with pytest.raises(ps.InvalidArgumentError, match="segmenter: unknown segmenter 'adaptiv'"):
        ps.Stream(segmenter="adaptiv")
    with pytest.raises(ps.InvalidArgumentError, match="metric: unknown metric 'cos'"):
        ps.Stream(metric="cos")
    with pytest.raises(TypeError, match="memory"):
        ps.Stream(memory=3.0)


@pytest.mark.parametrize("policy", ["drop_merge", "fifo", "surprise_reservoir"])
def test_memory_parts_are_the_same_objects(policy):
    mem = ps.MemoryStore(0.1, window=4, budget=128, policy=policy)
    seg = ps.AdaptiveSegmenter(window=16)
    st = ps.Stream(segmenter=seg, memory=mem)
    s, _ = st.run(X)
    assert st.memory is mem and st.segmenter is seg
    assert mem.frames_seen == len(X)
    ref = ps.MemoryStore(0.1, window=4, budget=128, policy=policy)
    reference(X, ps.CopyLast(), ps.token_cosine_distance, ps.AdaptiveSegmenter(window=16), memory=ref)
    assert mem.entries() == ref.entries()
    # the default stream is the documented Cambrian-S configuration
    d = ps.Stream(memory=("drop_merge", {"threshold": 0.2, "window": 8, "budget": 256}))
    assert isinstance(d.predictor, ps.CopyLast) and d.metric == "token_cosine"
    assert isinstance(d.segmenter, ps.AdaptiveSegmenter)
    assert (d.memory.threshold, d.memory.window, d.memory.budget, d.memory.policy) == (0.2, 8, 256, "drop_merge")
    assert ps.Stream(memory=None).memory is None


def test_step_matches_run_and_reset():
    a = ps.Stream(memory=None)
    steps = [a.step(f) for f in X[:20]]
    b = ps.Stream(memory=None)
    s, _ = b.run(X[:20])
    assert [r.surprise for r in steps] == list(s)
    assert steps[0].surprise == 1.0 and steps[0].t == 0
    a.reset()
    assert a.frames_seen == 0 and a.step(X[5]).surprise == 1.0
    assert ps.Stream(first_surprise=0.0, memory=None).step(X[0]).surprise == 0.0


def test_progress_bar(capsys):
    pytest.importorskip("tqdm")
    s, _ = ps.Stream(memory=None).run(X, progress=True)
    np.testing.assert_array_equal(s, ps.Stream(memory=None).run(X)[0])
    assert "90/90" in capsys.readouterr().err
