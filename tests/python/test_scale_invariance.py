"""Every segmenter's default is relative to the signal (issue: events from any encoder).

Replacing the surprise s by a * s + b (a > 0) - another encoder's scale and offset - leaves the
boundaries of every segmenter's default unchanged, and frame 0's conventional surprise is never a
boundary and changes nothing. The C++ side: tests/test_scale_invariance.cpp.
"""
import numpy as np
import pytest

import predsense as ps

CUTS = (60, 170, 260)
TRANSFORMS = [(1.0, 0.0), (1e-4, 0.0), (1e4, 0.0), (0.37, -5.0), (3.0, 100.0), (250.0, -0.25), (1e-3, 7.5)]


def surprise_stream(seed=11):
    """A weak encoder's surprise: quiet ~0.001, cuts ~0.02, a motion plateau, a level shift; s[0] = 1."""
    rng = np.random.default_rng(seed)
    s = np.where(np.arange(320) < 200, 0.001, 0.0025) + 0.0004 * rng.random(320)
    s[list(CUTS)] = 0.02 + 0.002 * rng.random(len(CUTS))
    s[100:112] = 0.006 + 0.0004 * rng.random(12)
    s[0] = 1.0
    return s


SEGMENTERS = {
    "ThresholdSegmenter": ps.ThresholdSegmenter,
    "CutSegmenter": ps.CutSegmenter,
    "PeakSegmenter": ps.PeakSegmenter,
    "PeakSegmenter(relative_prominence=8)": lambda: ps.PeakSegmenter(relative_prominence=8.0, window=20),
    "AdaptiveSegmenter": ps.AdaptiveSegmenter,
    "BOCPDSegmenter": ps.BOCPDSegmenter,
    "OfflineSegmenter": ps.OfflineSegmenter,
}


def ts(bs):
    return [int(b.t) for b in bs]


@pytest.mark.parametrize("name", sorted(SEGMENTERS))
def test_default_boundaries_do_not_depend_on_scale_or_offset(name):
    make = SEGMENTERS[name]
    s = surprise_stream()
    base = ts(make().segment(s))
    assert 0 not in base
    for a, b in TRANSFORMS:
        assert ts(make().segment(a * s + b)) == base, (name, a, b)
    for first in (0.0, 1e9, -3.0):
        s0 = s.copy()
        s0[0] = first
        assert ts(make().segment(s0)) == base, (name, "frame 0 =", first)


def test_defaults_find_the_cuts_of_a_weak_encoder():
    """The failure the issue reports: CutSegmenter() found nothing on a random CNN's small surprise."""
    s = surprise_stream()
    assert ts(ps.CutSegmenter().segment(s)) == list(CUTS)
    assert set(CUTS) <= set(ts(ps.ThresholdSegmenter().segment(s)))
    # the absolute rules stay available, and are not scale-free
    assert ts(ps.ThresholdSegmenter(0.01).segment(s)) == list(CUTS)
    assert ts(ps.ThresholdSegmenter(0.01).segment(0.1 * s)) == []
    old = ps.CutSegmenter(prominence=0.0, absolute_prominence=0.12, floor=0.02)
    assert ts(old.segment(s)) == []


def test_bocpd_standardises_online_by_default():
    s = surprise_stream()
    found = ts(ps.BOCPDSegmenter().segment(s))
    assert any(abs(t - 200) <= 3 for t in found), found
    assert ts(ps.BOCPDSegmenter(standardize=False).segment(s)) == []
    # bocpd_segment: the same defaults
    assert ts(ps.bocpd_segment(s)) == found


def test_transitions_from_any_latents_and_thumbnails():
    """ps.transitions: the detector fed from another encoder's latents (any scale) plus thumbnails."""
    rng = np.random.default_rng(3)
    n, cut = 90, 40
    a, b = rng.random((8, 8, 3)), rng.random((8, 8, 3))
    thumbs = np.stack([(a if t < cut else b) + 0.004 * rng.random((8, 8, 3)) for t in range(n)]).astype(np.float32)
    base_latent = rng.standard_normal((2, 16, 32))
    latents = np.stack([base_latent[0 if t < cut else 1] + 0.01 * rng.standard_normal((16, 32)) for t in range(n)])
    for scale in (1e-3, 1.0, 1e3):
        events = ps.transitions(scale * latents + 5.0, thumbs, fps=25.0)
        assert [(e["frame"], e["kind"]) for e in events] == [(cut, "cut")], scale
    with pytest.raises(ps.ShapeError):
        ps.transitions(latents[:50], thumbs, fps=25.0)
    assert ps.detector_scale(25.0) == 6 and ps.detector_scale(1.0) == 2
