"""progress=True on the long calls: a tqdm bar on stderr (Debian's python3-tqdm), the same result as
progress=False; without tqdm, progress=True raises ImportError saying how to get it and progress=False
still works."""
import sys

import numpy as np
import pytest

import predsense as ps

pytest.importorskip("tqdm")

rng = np.random.default_rng(0)
FRAMES = rng.normal(size=(300, 8, 16)).astype(np.float32)
SERIES = np.concatenate([rng.normal(0, 0.1, 150), rng.normal(2, 0.1, 150)])
SERIES[75] = 3.0  # a spike (peak, cut) before a change of level (the others)
VIDEO = rng.integers(0, 256, (40, 32, 32, 3), dtype=np.uint8)
THUMBS = np.repeat(rng.random((2, 1, 16, 16, 3)).astype(np.float32), 60, axis=1).reshape(120, 16, 16, 3)


def boundaries(bs):
    return [(b.t, b.score, b.decided_at) for b in bs]


def run_stream(progress):
    st = ps.Stream(predictor=ps.RLSPredictor(), memory=ps.MemoryStore(0.1, window=8, budget=512))
    s, cuts = st.run(FRAMES, progress=progress)
    return s, cuts, st.memory.tokens


# name -> (call(progress) -> result, the desc shown on the bar)
CALLS = {
    "Stream.run": (run_stream, "Stream.run"),
    "copy_last_surprise": (lambda p: ps.copy_last_surprise(FRAMES, progress=p), "copy_last_surprise"),
    "AdaptiveSegmenter.segment": (lambda p: boundaries(ps.AdaptiveSegmenter(window=32).segment(SERIES, progress=p)),
                                  "segment"),
    "BOCPDSegmenter.segment": (lambda p: boundaries(ps.BOCPDSegmenter().segment(SERIES, progress=p)), "segment"),
    "PeakSegmenter.segment": (lambda p: boundaries(ps.PeakSegmenter(prominence=1).segment(SERIES, progress=p)),
                              "segment"),
    "ThresholdSegmenter.segment": (lambda p: boundaries(ps.ThresholdSegmenter(1.0).segment(SERIES, progress=p)),
                                   "segment"),
    "OfflineSegmenter.segment": (lambda p: boundaries(ps.OfflineSegmenter().segment(SERIES, progress=p)), "segment"),
    "CutSegmenter.segment": (lambda p: boundaries(ps.CutSegmenter().segment(SERIES, progress=p)), "segment"),
    "PatchEmbedder.embed_batch": (lambda p: ps.PatchEmbedder(grid=4, dim=32).embed_batch(VIDEO, progress=p),
                                  "PatchEmbedder.embed_batch"),
    "TransitionDetector.segment": (
        lambda p: ps.TransitionDetector(16, 16, 3).segment(THUMBS, np.zeros(len(THUMBS)), progress=p),
        "TransitionDetector.segment"),
    "MiniTransformer.run": (lambda p: ps.MiniTransformer(32, 1, 4, 2, 48, input_dim=16).run(FRAMES[:40], progress=p),
                            "MiniTransformer.run"),
}


def same(a, b):
    if isinstance(a, tuple):
        assert len(a) == len(b)
        for x, y in zip(a, b):
            same(x, y)
    elif isinstance(a, np.ndarray):
        np.testing.assert_array_equal(a, b)
    else:
        assert a == b


@pytest.mark.parametrize("name", sorted(CALLS))
def test_progress_bar_same_result(name, capfd):
    call, desc = CALLS[name]
    quiet = call(False)
    assert capfd.readouterr().err == ""  # no bar unless asked
    shown = call(True)
    err = capfd.readouterr().err
    same(quiet, shown)
    assert desc in err and "100%" in err, err  # tqdm's bar, run to the end
    if name == "TransitionDetector.segment":
        assert [x["kind"] for x in shown] == ["cut"]  # the result is not trivially empty
    if name.endswith("segment") and name != "TransitionDetector.segment":
        assert len(quiet) >= 1


def test_without_tqdm_progress_true_is_a_clear_error(monkeypatch):
    monkeypatch.setitem(sys.modules, "tqdm", None)  # import tqdm now fails
    for name, (call, _) in CALLS.items():
        call(False)  # works without tqdm
        with pytest.raises(ImportError, match=r"progress=True needs tqdm.*python3-tqdm"):
            call(True)
