"""The component registry from Python: names accepted wherever a component is, one validator for
every parameter (NaN refused naming the component and the parameter), deprecated spellings warn,
None means off, and every metric-taking function takes the same metric list."""
import math
import warnings

import numpy as np
import pytest

import predsense as ps


def frames(n=60, tokens=4, dim=8, seed=0):
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(n, tokens, dim)).astype(np.float32)
    x[30:] += 3.0  # a change
    return x


def classes():
    """(spec, class) for every registry component built by a Python class."""
    out = []
    for c in ps.registry():
        cls = getattr(ps, c["python_class"], None)
        if isinstance(cls, type) and c["kind"] != "memory_policy":
            out.append((c, cls))
    return out


def required_values(c):
    return {p["keyword"]: 1.0 for p in c["params"] if p["required"]}


def test_kinds_and_lookup():
    assert ps.registry_kinds() == ["predictor", "metric", "normalizer", "segmenter", "transition_detector",
                                   "memory_policy", "offline_cost", "penalty"]
    assert {c["kind"] for c in ps.registry()} == set(ps.registry_kinds())
    with pytest.raises(ps.InvalidArgumentError, match="known: threshold, adaptive, peak"):
        ps.registry("segmenter", "nope")
    with pytest.warns(DeprecationWarning, match="'peaks' is deprecated, use 'peak'"):
        assert ps.registry("segmenter", "peaks")["name"] == "peak"


@pytest.mark.parametrize("c,cls", classes(), ids=lambda v: v["name"] if isinstance(v, dict) else v.__name__)
def test_every_numeric_parameter_refuses_nan_and_out_of_range_naming_it(c, cls):
    cls(**required_values(c))  # the defaults are valid
    for p in c["params"]:
        if p["type"] not in ("int", "float"):
            continue
        base = required_values(c)
        bad = [math.nan]
        if math.isfinite(p["min"]):
            bad.append(p["min"] if p["min_open"] else (p["min"] - 1 if p["type"] == "int" else p["min"] - 0.5))
        for v in bad:
            if p["type"] == "int" and isinstance(v, float) and not math.isnan(v):
                v = int(v)
            with pytest.raises(ps.InvalidArgumentError) as e:
                cls(**{**base, p["keyword"]: v})
            msg = str(e.value)
            assert f"'{c['name']}'" in msg and f"'{p['name']}'" in msg, msg


def test_transition_detector_exposes_all_26_parameters():
    c = ps.registry("transition_detector", "transition")
    assert len(c["params"]) == 26
    kw = {p["keyword"]: p["default"] for p in c["params"]}
    assert ps.TransitionDetector(**kw).frames == 0
    for name in ("dip_level", "min_motion_gain", "dissolve_motion", "max_dissolve", "min_hold", "max_shift",
                 "warmup", "gap", "surprise_long_window", "min_dissolve_change"):
        assert name in kw  # the ones Python did not take before
    with pytest.raises(ps.InvalidArgumentError, match="'dip_level' is NaN"):
        ps.TransitionDetector(dip_level=math.nan)


def test_stream_takes_registry_names_with_parameters():
    x = frames()
    by_name = ps.Stream(predictor="ema", segmenter=("peak", {"min_separation": 5, "threshold": 0.5}), memory=None)
    by_obj = ps.Stream(predictor=ps.EMAPredictor(), segmenter=ps.PeakSegmenter(min_separation=5, threshold=0.5),
                       memory=None)
    s1, b1 = by_name.run(x)
    s2, b2 = by_obj.run(x)
    np.testing.assert_array_equal(s1, s2)
    np.testing.assert_array_equal(b1, b2)
    assert isinstance(by_name.segmenter, ps.PeakSegmenter) and isinstance(by_name.predictor, ps.EMAPredictor)
    # the defaults are the registry's names
    d = ps.Stream()
    assert isinstance(d.predictor, ps.CopyLast) and isinstance(d.segmenter, ps.AdaptiveSegmenter)
    assert isinstance(d.memory, ps.MemoryStore) and d.memory.policy == "peak_preserving"
    m = ps.Stream(memory=("drop_merge", {"threshold": 0.1, "budget": 256, "window": 8}))
    assert m.memory.policy == "drop_merge" and m.memory.budget == 256 and m.memory.window == 8
    with pytest.raises(ps.InvalidArgumentError, match="'drop_merge': parameter 'threshold' is required"):
        ps.Stream(memory="drop_merge")
    with pytest.raises(ps.InvalidArgumentError, match="'drop_merge': parameter 'threshold' is NaN"):
        ps.Stream(memory=("drop_merge", {"threshold": math.nan}))
    with pytest.raises(ps.InvalidArgumentError, match="unknown segmenter 'peeks'"):
        ps.Stream(segmenter="peeks")
    with pytest.raises(TypeError, match="unexpected keyword argument 'gap'"):
        ps.Stream(segmenter=("peak", {"gap": 1}))
    with pytest.raises(ps.InvalidArgumentError, match="'drop_merge': unknown parameter 'sinks'"):
        ps.Stream(memory=("drop_merge", {"threshold": 0.1, "sinks": 2}))


def test_none_means_off():
    x = frames()
    s = ps.Stream(segmenter=None, memory=None, normalizer=None)
    surprise, cuts = s.run(x)
    assert s.segmenter is None and s.memory is None and s.normalizer is None
    assert len(cuts) == 0 and s.flush() == [] and surprise.shape == (60,)
    s.reset()
    assert s.step(x[0]).boundary is None
    with pytest.raises(ps.InvalidArgumentError, match="needs a predictor"):
        ps.Stream(predictor=None)


def test_stream_deprecated_keywords_warn_and_keep_their_meaning():
    x = frames()
    with pytest.warns(DeprecationWarning, match="seg_window"):
        old = ps.Stream(seg_window=32, gamma=2.0, min_block=4, memory=None)
    new = ps.Stream(segmenter=("adaptive", {"window": 32, "gamma": 2.0, "min_block": 4}), memory=None)
    np.testing.assert_array_equal(old.run(x)[1], new.run(x)[1])
    with pytest.warns(DeprecationWarning, match="memory_threshold"):
        m = ps.Stream(memory_threshold=0.2, window=8, budget=256)
    assert m.memory.policy == "drop_merge" and m.memory.threshold == 0.2
    with pytest.raises(ps.InvalidArgumentError, match="seg_window=1"), warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ps.Stream(seg_window=1)
    with pytest.raises(ps.InvalidArgumentError, match="default segmenter"), warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ps.Stream(segmenter="peak", seg_window=10)


def test_component_classes_take_old_spellings_with_a_warning():
    x = np.abs(np.sin(np.arange(200) * 0.37)) * 3
    with pytest.warns(DeprecationWarning, match="'min_gap' is deprecated, use 'min_separation'"):
        old = ps.ThresholdSegmenter(1.0, min_gap=4)
    assert [b.t for b in old.segment(x)] == [b.t for b in ps.ThresholdSegmenter(1.0, min_separation=4).segment(x)]
    assert [b.t for b in ps.ThresholdSegmenter(1.0, 4).segment(x)] == [b.t for b in old.segment(x)]
    with pytest.warns(DeprecationWarning):
        ps.CutSegmenter(min_gap=2)
    with pytest.raises(TypeError, match="multiple values"):
        ps.ThresholdSegmenter(1.0, threshold=2.0)
    with pytest.raises(TypeError, match="at most 2 positional"):
        ps.ThresholdSegmenter(1.0, 2, 3)
    assert ps.BOCPDSegmenter(lambda_=50.0) is not None  # a Python keyword gets a trailing '_'


def test_every_metric_taking_function_takes_every_registry_metric():
    x = frames(20)
    names = [c["name"] for c in ps.registry("metric")]
    assert names == ["token_cosine", "pooled_cosine", "mse", "l2", "gaussian_nll"]
    for c in ps.registry("metric"):
        name = c["name"]
        a = ps.copy_last_surprise(x, name)
        b, _ = ps.Stream(metric=name, segmenter=None, memory=None).run(x)
        np.testing.assert_allclose(a, b, rtol=1e-12)  # the same metric in both
        if c["python_class"] and not isinstance(getattr(ps, c["python_class"]), type):
            fn = getattr(ps, c["python_class"])
            np.testing.assert_allclose(a[1:], [fn(x[i - 1], x[i]) for i in range(1, 20)], rtol=1e-6)
    nll = ps.copy_last_surprise(x, ("gaussian_nll", {"prior_var": 2.0}))
    ref = ps.GaussianNLL(prior_var=2.0)
    np.testing.assert_allclose(nll[1:], [ref(x[i - 1], x[i]) for i in range(1, 20)], rtol=1e-12)
    with pytest.raises(ps.InvalidArgumentError, match="copy_last_surprise: metric: .*unknown metric 'cos'"):
        ps.copy_last_surprise(x, "cos")
