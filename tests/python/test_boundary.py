"""One boundary type: a Boundary carries frame index t, time (s), kind, start, end, score and
decided_at, and is usable wherever a frame index is expected (int(), operator.index, numpy indexing,
comparison with ints), so code written for index lists keeps working."""
import operator

import numpy as np
import pytest

import predsense as ps


def test_fields_and_defaults():
    b = ps.Boundary(7, 0.5, 9)
    assert (b.t, b.score, b.decided_at) == (7, 0.5, 9)
    assert (b.kind, b.start, b.end, b.time) == ("change", 7, 7, 7.0)
    c = ps.Boundary(12, 0.8, 20, kind="dissolve", start=9, end=14, time=0.48)
    assert (c.kind, c.start, c.end, c.time) == ("dissolve", 9, 14, 0.48)
    assert "kind='dissolve'" in repr(c) and "start=9, end=14" in repr(c)
    with pytest.raises(ps.InvalidArgumentError, match="kind 'wipe'"):
        ps.Boundary(3, kind="wipe")
    with pytest.raises(ps.InvalidArgumentError, match="start <= t <= end"):
        ps.Boundary(3, start=4)
    with pytest.raises(ps.NonFiniteError):
        ps.Boundary(3, time=float("nan"))


def test_usable_as_an_index():
    b = ps.Boundary(3, 0.9)
    assert int(b) == 3 and operator.index(b) == 3
    assert b == 3 and 3 == b and b != 4 and b == np.int64(3)
    assert hash(b) == hash(3)
    assert b != "3" and b != 3.5
    x = np.arange(10) * 10
    assert x[b] == 30
    assert list(range(b)) == [0, 1, 2]
    assert [10, 20, 30, 40][b] == 40
    bs = [ps.Boundary(3), ps.Boundary(7)]
    assert bs == [3, 7]
    np.testing.assert_array_equal(x[[int(v) for v in bs]], [30, 70])
    assert np.array([operator.index(v) for v in bs]).dtype.kind == "i"
    # Boundaries still compare field by field with each other
    assert ps.Boundary(3, 0.9) == ps.Boundary(3, 0.9)
    assert ps.Boundary(3, 0.9) != ps.Boundary(3, 0.5)


def test_segmenters_return_index_like_boundaries():
    s = np.r_[np.full(20, 0.1), 0.9, np.full(20, 0.1), 0.95]
    got = ps.ThresholdSegmenter(0.5).segment(s)
    assert got == [20, 41]
    assert all(b.kind == "change" and b.start == b.t == b.end and b.time == float(b.t) for b in got)
    assert [s[b] for b in got] == [0.9, 0.95]
    # BOCPD skips a missing step yet reports the original index, span included
    x = np.r_[np.zeros(40), np.full(40, 5.0)] + np.random.default_rng(0).normal(0, 0.3, 80)
    x[10] = np.nan
    for b in ps.BOCPDSegmenter().segment(x):
        assert b.start == b.t == b.end
    # a Stream's step result carries the same Boundary
    st = ps.Stream(memory=None, segmenter=ps.ThresholdSegmenter(0.5))
    frames = np.ones((6, 2, 4), np.float32)
    frames[3:] = -1.0  # one change, at frame 3
    steps = [st.step(f).boundary for f in frames]
    assert [b for b in steps if b is not None] == [3]
