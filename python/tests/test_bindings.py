"""predsense Python bindings: parity with numpy/PyTorch, array handling, errors, pipeline."""
import threading

import numpy as np
import pytest

import predsense as ps

torch = pytest.importorskip("torch")


def frames(seed, t=64, d=1152, n=2):
    rng = np.random.default_rng(seed)
    return rng.standard_normal((n, t, d)).astype(np.float32)


def test_token_cosine_matches_torch():
    a, b = frames(0)
    want = 1.0 - torch.nn.functional.cosine_similarity(torch.from_numpy(a), torch.from_numpy(b), dim=-1).mean()
    assert ps.token_cosine_distance(a, b) == pytest.approx(float(want), rel=1e-5, abs=1e-6)
    # zero tokens: torch clamps the denominator, so do we (cosine 0, not NaN)
    z = np.zeros_like(a)
    want0 = 1.0 - torch.nn.functional.cosine_similarity(torch.from_numpy(z), torch.from_numpy(b), dim=-1).mean()
    assert ps.token_cosine_distance(z, b) == pytest.approx(float(want0))


def test_other_metrics_match_numpy():
    a, b = frames(1, 13, 37)
    a64, b64 = a.astype(np.float64), b.astype(np.float64)
    assert ps.mse(a, b) == pytest.approx(np.mean((a64 - b64) ** 2), rel=1e-5)
    assert ps.l2_distance(a, b) == pytest.approx(np.linalg.norm(a64 - b64), rel=1e-5)
    pa, pb = a64.mean(0), b64.mean(0)
    want = 1 - pa @ pb / np.linalg.norm(pa) / np.linalg.norm(pb)
    assert ps.pooled_cosine_distance(a, b) == pytest.approx(want, rel=1e-5)


def test_dtypes_and_layouts_are_converted_or_refused():
    a, b = frames(2, 8, 16)
    ref = ps.token_cosine_distance(a, b)
    assert ps.token_cosine_distance(a.astype(np.float64), b) == pytest.approx(ref, rel=1e-6)
    # non-contiguous float32 (a transposed copy's transpose) is converted once, same answer
    at = np.ascontiguousarray(a.T).T
    assert not at.flags.c_contiguous
    assert ps.token_cosine_distance(at, b) == ref
    with pytest.raises(TypeError, match="complex"):
        ps.token_cosine_distance(a.astype(np.complex64), b)
    # lists are arrays too (one shape rule): a 1x1 list against an 8x16 frame is a shape error
    with pytest.raises(ps.ShapeError, match="1x1"):
        ps.token_cosine_distance([[1.0]], b)
    with pytest.raises(TypeError, match="pred"):
        ps.token_cosine_distance("not numbers", b)


def test_errors_name_the_problem():
    a, b = frames(3, 8, 16)
    with pytest.raises(ps.ShapeError, match="8x16.*4x16|4x16.*8x16"):
        ps.token_cosine_distance(a, b[:4])
    with pytest.raises(ps.ShapeError, match=r"pred: .*\(tokens, dim\) or \(dim,\).*\(1, 8, 16\)"):
        ps.mse(a[None], b[None])
    bad = b.copy()
    bad[3, 5] = np.nan
    with pytest.raises(ps.NonFiniteError, match="token 3, dim 5"):
        ps.token_cosine_distance(a, bad)
    assert issubclass(ps.ShapeError, ValueError)
    with pytest.raises(ps.InvalidArgumentError):
        ps.EMANormalizer(alpha=2.0)


def test_copy_last_surprise_matches_per_frame_calls():
    x, cuts = ps.synthetic_stream(frames=60, tokens=8, dim=32, mean_scene_length=10, seed=4)
    s = ps.copy_last_surprise(x)
    assert s[0] == 1.0
    for t in range(1, 60):
        assert s[t] == ps.token_cosine_distance(x[t - 1], x[t])
    big = np.flatnonzero(s[1:] > 0.5) + 1
    assert list(big) == list(cuts)


def test_stream_finds_scene_changes_and_keeps_budget():
    x, cuts = ps.synthetic_stream(frames=300, tokens=16, dim=64, mean_scene_length=30, seed=5)
    # gamma 2: EM-LLM's gamma 1 also splits the quiet first scene (frame 0's conventional surprise of 1
    # used to inflate the first window and hide that; it is ignored now, as it must be)
    st = ps.Stream(segmenter=("adaptive", {"window": 32, "gamma": 2.0, "min_block": 4}),
                   memory=("drop_merge", {"threshold": 0.1, "window": 8, "budget": 512}))
    surprise, found = st.run(x)
    assert list(found) == list(cuts)
    assert st.frames_seen == 300
    r = st.step(x[-1])
    assert r.t == 300 and r.surprise < 0.1 and r.boundary is None
    assert r.memory_tokens <= 512 + 16 + 8 * 16


def test_stream_run_releases_gil_and_stays_deterministic():
    x, _ = ps.synthetic_stream(frames=200, tokens=16, dim=64, seed=6)
    want = ps.Stream().run(x)[0]
    got = [None, None]

    def work(i):
        got[i] = ps.Stream().run(x)[0]

    ts = [threading.Thread(target=work, args=(i,)) for i in range(2)]
    for t in ts:
        t.start()
    for t in ts:
        t.join()
    assert all(np.array_equal(g, want) for g in got)


def test_memory_store_entries():
    x, _ = ps.synthetic_stream(frames=50, tokens=16, dim=8, seed=7)
    mem = ps.MemoryStore(threshold=0.5, window=4, budget=64)
    for t in range(50):
        mem.push(x[t], 0.0 if t % 10 else 1.0)
    ents = mem.entries()
    assert sum(e["tokens"] for e in ents) == mem.tokens
    assert sum(1 for e in ents if e["in_window"]) == 4
    assert sum(e["tokens"] for e in ents if not e["in_window"]) <= 64
    frames_ = [e["frame"] for e in ents]
    assert frames_ == sorted(frames_)


def test_memory_store_window_tensors_and_retrieval():
    rng = np.random.default_rng(3)
    d = 8
    prompt = rng.standard_normal((4, d)).astype(np.float32)
    frames_ = [rng.standard_normal((16, d)).astype(np.float32) for _ in range(6)]
    mem = ps.MemoryStore(threshold=0.5, window=3, budget=200)
    mem.add_protected(prompt)
    for f in frames_:
        mem.push(f, 0.9)  # surprising: kept whole; 4 + 3 * 16 tokens stay under the budget
    # the model input: the newest three frames, back to back
    w = mem.window_tokens()
    assert w.shape == (48, d)
    assert np.array_equal(w, np.concatenate(frames_[3:]))
    ents, tens = mem.entries(), mem.tensors()
    assert len(ents) == len(tens) == 7
    assert ents[0]["protected"] and np.array_equal(tens[0], prompt)
    for i in range(6):
        assert ents[i + 1]["frame"] == i and np.array_equal(tens[i + 1], frames_[i])
    # retrieval: frame 4's own latents find frame 4, with one neighbour each side
    hits = mem.retrieve(frames_[4], k=1, contiguity=1)
    assert [h["frame"] for h in hits] == [3, 4, 5]
    assert [h["hit"] for h in hits] == [False, True, False]
    assert hits[1]["similarity"] == pytest.approx(1.0, abs=1e-6)
    lt = mem.retrieve(frames_[4], k=2, include_window=False)  # the window is not searched
    assert len(lt) == 2 and all(not h["in_window"] and h["frame"] in (0, 1, 2) for h in lt)
    with pytest.raises(ps.ShapeError, match="dim"):
        mem.retrieve(np.zeros((2, d + 1), np.float32))
    mem.flush()
    assert mem.window_tokens().shape == (0, d)
    assert sum(e["tokens"] for e in mem.entries()) == 4 + 6 * 16


def test_segmenters_and_normalizers():
    s = np.array([0.1, 0.1, 0.9, 0.1, 0.95, 0.1])
    assert [b.t for b in ps.ThresholdSegmenter(0.5).segment(s)] == [2, 4]
    z = ps.ZScoreNormalizer()
    assert [z(v) for v in (1.0, 3.0)] == [0.0, 0.0]
    assert z(5.0) == pytest.approx(3.0 / np.sqrt(2.0))


def test_tcpd_metrics_reproduce_published_zero_scores():
    import json
    import os

    src = os.environ.get("PREDSENSE_SOURCE_DIR", os.path.join(os.path.dirname(__file__), "..", ".."))
    data = os.path.join(src, "tests", "data", "tcpd")
    with open(os.path.join(data, "annotations.json")) as f:
        annotations = json.load(f)
    with open(os.path.join(data, "published", "default_f1_scores.json")) as f:
        f1_pub = json.load(f)
    with open(os.path.join(data, "published", "default_cover_scores.json")) as f:
        cover_pub = json.load(f)
    checked = 0
    for name, by_user in annotations.items():
        path = os.path.join(data, "series", name + ".json")
        if not os.path.exists(path):
            continue
        with open(path) as f:
            n = json.load(f)["n_obs"]
        ann = [by_user[k] for k in sorted(by_user, key=int)]
        f1, _, _ = ps.tcpd_f1(ann, [], n)
        assert f1 == pytest.approx(f1_pub[name]["zero"], abs=1e-12)
        assert ps.tcpd_cover(ann, [], n) == pytest.approx(cover_pub[name]["zero"], abs=1e-12)
        checked += 1
    assert checked >= 20


def test_bocpd_finds_a_mean_shift_and_mra():
    rng = np.random.default_rng(0)
    x = np.concatenate([rng.normal(0, 1, 150), rng.normal(4, 1, 150)])
    cps = [b.t for b in ps.bocpd_segment((x - x.mean()) / x.std())]
    assert len(cps) >= 1 and min(abs(c - 150) for c in cps) <= 3
    two = np.stack([x, x[::-1]], axis=1)
    assert len(ps.bocpd_segment(two)) >= 1
    assert ps.mean_relative_accuracy([10.0], [10.0]) == 1.0
    assert ps.mean_relative_accuracy([12.0], [10.0]) == pytest.approx(0.6)  # |2|/10 = 0.2 < 1-c for c < 0.8
    peaks = ps.PeakSegmenter(threshold=0.5, lookahead=2).segment(np.array([0, 0, 1, 0, 0, 0, 0.9, 0, 0, 0.0]))
    assert [b.t for b in peaks] == [2, 6]


def test_predictors_learn_and_copy():
    x, _ = ps.synthetic_stream(frames=40, tokens=8, dim=16, mean_scene_length=100, seed=8)
    c = ps.CopyLast()
    c.observe(x[0])
    assert np.array_equal(c.predict(), x[0])
    with pytest.raises(ps.EmptyError):
        ps.CopyLast().predict()
    e = ps.EMAPredictor(alpha=0.5)
    e.observe(x[0])
    e.observe(x[1])
    np.testing.assert_allclose(e.predict(), 0.5 * x[0] + 0.5 * x[1], rtol=1e-6, atol=1e-7)
    # A linear drift is learned by the online ridge predictor and beats copy-last.
    rng = np.random.default_rng(1)
    base = rng.standard_normal((8, 16)).astype(np.float32)
    step = 0.05 * rng.standard_normal((8, 16)).astype(np.float32)
    r = ps.RLSPredictor(forgetting=1.0)
    for t in range(30):
        r.observe(base + t * step)
    err_rls = np.abs(r.predict() - (base + 30 * step)).mean()
    err_copy = np.abs((base + 29 * step) - (base + 30 * step)).mean()
    assert err_rls < 0.5 * err_copy
    with pytest.raises(ps.InvalidArgumentError, match="mode"):
        ps.RLSPredictor(mode="nope")


def test_io_roundtrip(tmp_path):
    a = np.arange(24, dtype=np.float32).reshape(2, 3, 4)
    p = str(tmp_path / "a.npy")
    ps.write_npy(p, a)
    np.testing.assert_array_equal(np.load(p), a)  # numpy reads ours
    np.save(str(tmp_path / "b.npy"), np.asfortranarray(a.astype(np.float64)))
    np.testing.assert_array_equal(ps.read_npy(str(tmp_path / "b.npy")), a)  # we read numpy's
    st = str(tmp_path / "w.safetensors")
    ps.write_safetensors(st, {"w": a[0], "b": a[1, 0]}, dtype="BF16")
    back = ps.read_safetensors(st)
    np.testing.assert_array_equal(back["w"], a[0])  # small integers are exact in bf16
    assert back["b"].shape == (4,)
    with open(str(tmp_path / "bad.npy"), "wb") as f:
        f.write(b"\\x93NUMPY garbage")
    with pytest.raises(ps.FormatError):
        ps.read_npy(str(tmp_path / "bad.npy"))


def test_dedup_aggregator_does_not_double_count_a_replay():
    rng = np.random.default_rng(2)
    objs = rng.standard_normal((5, 32)).astype(np.float32)
    dedup, total = ps.DedupAggregator(threshold=0.6), ps.SumAggregator()
    begin = 0
    for rep in range(3):  # the same tour three times: two segments seeing objects {0,1,2} and {3,4}
        for seg in (objs[:3], objs[3:]):
            noisy = seg + 0.05 * rng.standard_normal(seg.shape).astype(np.float32)
            dedup.add(begin, begin + 10, noisy)
            total.add(begin, begin + 10, len(seg))
            begin += 10
    assert dedup.count == 5
    assert total.count == 15
    with pytest.raises(ps.ShapeError):
        dedup.add(begin, begin + 10, rng.standard_normal((2, 16)).astype(np.float32))
