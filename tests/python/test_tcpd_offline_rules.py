"""The offline methods' shared rules from Python: an empty series is EmptyError in every offline entry
point (pelt, binseg, amoc, OfflineSegmenter.segment / flush); a cost's own minimum segment length
applies when min_size is smaller; an offset up to 1e12 changes no result; the new costs by name."""
import numpy as np
import pytest

import predsense as ps


def steps(levels, length, noise, seed):
    rng = np.random.default_rng(seed)
    return np.concatenate([lv + noise * rng.standard_normal(length) for lv in levels])


@pytest.mark.parametrize("fn", [ps.pelt, ps.binseg, ps.amoc])
def test_empty_series_is_empty_error_in_the_functions(fn):
    with pytest.raises(ps.EmptyError):
        fn(np.array([], dtype=float))


def test_empty_series_is_empty_error_in_the_offline_segmenter():
    seg = ps.OfflineSegmenter()
    with pytest.raises(ps.EmptyError):
        seg.segment(np.array([], dtype=float))
    with pytest.raises(ps.EmptyError):
        seg.flush()
    assert seg.segment(steps([0.0, 4.0], 30, 0.3, 1))  # a real series still works, and finds the change


def test_meanvar_at_min_size_1_uses_the_costs_own_minimum():
    x = steps([0.0, 3.0], 100, 1.0, 17)
    for fn in (ps.pelt, ps.binseg, ps.amoc):
        assert list(fn(x, cost="meanvar", min_size=1)) == [100], fn


def test_an_offset_up_to_1e12_changes_nothing():
    x = steps([0.0, 2.0, -1.0], 60, 0.8, 23)
    for cost in ("mean", "meanvar", "linear", "linearvar", "ar1"):
        base = list(ps.pelt(x, cost=cost))
        for offset in (1e6, 1e8, 1e12):
            assert list(ps.pelt(x + offset, cost=cost)) == base, (cost, offset)


def test_linear_trend_cost_keeps_a_trend_whole():
    t = np.arange(200, dtype=float)
    x = 0.05 * t + 0.2 * np.random.default_rng(3).standard_normal(200)
    z = ps.standardize(x)
    assert list(ps.binseg(z, cost="linear", penalty="bic")) == []
    assert len(ps.binseg(z, cost="mean", penalty="bic")) > 0  # the mean cost reads a trend as steps
    with pytest.raises(ps.EmptyError, match="minimum"):
        ps.pelt(np.array([1.0, 2.0, 3.0]), cost="ar1")
