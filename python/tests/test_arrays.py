"""Arrays in: numpy, torch CPU tensors (zero-copy), lists, __array__, buffers; one shape rule;
conversion failures raise (never crash); the NaN policy of every binding that takes values."""
import array

import numpy as np
import pytest

import predsense as ps

torch = pytest.importorskip("torch")


def frames(n, t, d, seed=0):
    return np.random.default_rng(seed).normal(size=(n, t, d)).astype(np.float32)


def test_torch_float32_contiguous_is_read_in_place():
    t = torch.randn(8, 16)
    assert ps._core._frame_address(t) == t.data_ptr()  # the tensor's memory is what C++ reads
    a = np.ascontiguousarray(np.random.default_rng(1).normal(size=(8, 16)), dtype=np.float32)
    assert ps._core._frame_address(a) == a.ctypes.data
    # a converted input is a copy: another address, same values
    t64 = t.double()
    assert ps._core._frame_address(t64) != t64.data_ptr()
    assert ps.mse(t64, t) == pytest.approx(0.0, abs=1e-12)


def test_torch_inputs_give_numpy_answers():
    x = frames(2, 8, 16, seed=2)
    a, b = torch.from_numpy(x[0]), torch.from_numpy(x[1])
    assert ps.token_cosine_distance(a, b) == ps.token_cosine_distance(x[0], x[1])
    # non-contiguous, requires_grad, float16, bfloat16 tensors are converted once
    assert ps.mse(a.t().contiguous().t(), b) == ps.mse(x[0], x[1])
    g = a.clone().requires_grad_(True)
    assert ps.mse(g, b) == ps.mse(x[0], x[1])
    assert ps.mse(a.half(), b) == pytest.approx(ps.mse(x[0].astype(np.float16), x[1]), rel=1e-6)
    bf = a.bfloat16()
    assert ps.mse(bf, b) == pytest.approx(ps.mse(bf.float().numpy(), x[1]), rel=1e-6)
    s = ps.copy_last_surprise(torch.from_numpy(x))
    assert isinstance(s, np.ndarray) and s.dtype == np.float64
    np.testing.assert_array_equal(s, ps.copy_last_surprise(x))
    out = ps.CopyLast()
    out.observe(a)
    assert isinstance(out.predict(), np.ndarray)


class _FakeDeviceTensor:
    """Stands in for a CUDA tensor (this machine has no GPU): DLPack device type 2 = CUDA."""

    device = "cuda:0"

    def __dlpack_device__(self):
        return (2, 0)

    def __dlpack__(self, stream=None):
        raise AssertionError("must not be read")


def test_device_tensor_is_a_clear_type_error():
    with pytest.raises(TypeError, match=r"pred: .*cuda:0.*\.cpu\(\)"):
        ps.mse(_FakeDeviceTensor(), np.zeros((2, 2), np.float32))
    with pytest.raises(TypeError, match="frames"):
        ps.Stream().run(_FakeDeviceTensor())


class _HasArray:
    def __init__(self, a):
        self.a = a

    def __array__(self, dtype=None):
        return self.a if dtype is None else self.a.astype(dtype)


def test_lists_array_protocol_and_buffers():
    x = frames(2, 4, 8, seed=3)
    want = ps.mse(x[0], x[1])
    assert ps.mse(x[0].tolist(), x[1].tolist()) == pytest.approx(want, rel=1e-6)
    assert ps.mse(_HasArray(x[0]), x[1]) == want
    buf = array.array("f", x[0].ravel().tolist())
    assert ps.mse(buf, x[1].ravel()) == pytest.approx(ps.mse(x[0].ravel(), x[1].ravel()), rel=1e-6)
    with pytest.raises(TypeError, match="pred: .*not a real number type"):
        ps.mse([[1, "a"]], [[1, 2]])
    with pytest.raises(TypeError, match="actual"):
        ps.mse([1.0, 2.0], {"a": 1})
    # scalars where a scalar is natural
    assert ps.mean_relative_accuracy(10.0, 10.0) == 1.0
    assert ps.mean_relative_accuracy(torch.tensor([12.0]), [10.0]) == pytest.approx(0.6)


def test_failed_conversion_raises_instead_of_crashing():
    # numpy cannot make the float32 copy (3.5 PiB): its MemoryError reaches the caller
    huge = np.lib.stride_tricks.as_strided(np.zeros(1), shape=(10**7, 10**8), strides=(0, 0))
    with pytest.raises(MemoryError):
        ps.mse(huge, huge)
    with pytest.raises(MemoryError):
        ps.MemoryStore(0.1).push(huge, 0.5)

    class Raises:
        def __array__(self, dtype=None):
            raise RuntimeError("boom")

    with pytest.raises(TypeError, match="frame: .*boom"):
        ps.CopyLast().observe(Raises())


def test_one_shape_rule():
    x = frames(12, 1, 8, seed=4)
    # a frame (D,) is one token
    assert ps.token_cosine_distance(x[0, 0], x[1, 0]) == ps.token_cosine_distance(x[0], x[1])
    # a sequence (frames, D) is one token per frame
    np.testing.assert_array_equal(ps.copy_last_surprise(x[:, 0]), ps.copy_last_surprise(x))
    s1, b1 = ps.Stream(memory=None, segmenter=ps.ThresholdSegmenter(0.5)).run(x[:, 0])
    s2, b2 = ps.Stream(memory=None, segmenter=ps.ThresholdSegmenter(0.5)).run(x)
    np.testing.assert_array_equal(s1, s2)
    np.testing.assert_array_equal(b1, b2)
    assert b1.dtype == np.int64
    mem = ps.MemoryStore(0.0, window=2, budget=64)
    for f in x:
        mem.push(f[0], 0.5)
    hits = mem.retrieve(x[3, 0], k=1)  # a (D,) query
    assert hits[0]["frame"] == 3 and hits[0]["similarity"] == pytest.approx(1.0, abs=1e-5)
    with pytest.raises(ps.ShapeError, match=r"frames: .*\(frames, tokens, dim\) or \(frames, dim\).*\(2, 2, 2, 2\)"):
        ps.copy_last_surprise(np.zeros((2, 2, 2, 2)))
    with pytest.raises(ps.ShapeError, match=r"frame: .*\(1, 2, 3\)"):
        ps.Stream().step(np.zeros((1, 2, 3)))
    with pytest.raises(ps.EmptyError, match="frames"):
        ps.copy_last_surprise(np.zeros((0, 3)))
    with pytest.raises(ps.EmptyError, match=r"^pred: empty frame \(shape \(0, 3\)\)"):
        ps.mse(np.zeros((0, 3)), np.zeros((0, 3)))
    with pytest.raises(ps.EmptyError, match=r"^actual: empty frame \(shape \(3, 0\)\)"):
        ps.l2_distance(np.ones((3, 2)), np.zeros((3, 0)))


NAN_FRAME = np.array([[0.0, np.nan], [1.0, 2.0]], np.float32)
OK_FRAME = np.ones((2, 2), np.float32)


def _observe(p):
    p.observe(NAN_FRAME)


def _push_segmenter(seg, v):
    seg.push(v, 0)


@pytest.mark.parametrize(
    "call",
    [
        lambda: ps.token_cosine_distance(NAN_FRAME, OK_FRAME),
        lambda: ps.pooled_cosine_distance(OK_FRAME, NAN_FRAME),
        lambda: ps.mse(NAN_FRAME, OK_FRAME),
        lambda: ps.l2_distance(NAN_FRAME, OK_FRAME),
        lambda: ps.GaussianNLL()(NAN_FRAME, OK_FRAME),
        lambda: ps.copy_last_surprise(np.stack([OK_FRAME, NAN_FRAME])),
        lambda: ps.ZScoreNormalizer()(float("nan")),
        lambda: ps.EMANormalizer()(float("inf")),
        lambda: _observe(ps.CopyLast()),
        lambda: _observe(ps.EMAPredictor()),
        lambda: _observe(ps.RLSPredictor()),
        lambda: ps.MemoryStore(0.1).push(NAN_FRAME, 0.5),
        lambda: ps.MemoryStore(0.1).push(OK_FRAME, float("nan")),
        lambda: ps.MemoryStore(0.1).add_protected(NAN_FRAME),
        lambda: ps.MemoryStore(float("nan")),
        lambda: ps.Stream().step(NAN_FRAME),
        lambda: ps.Stream(memory=None).run(np.stack([OK_FRAME, NAN_FRAME])),
        lambda: _push_segmenter(ps.ThresholdSegmenter(0.5), float("nan")),
        lambda: _push_segmenter(ps.AdaptiveSegmenter(), float("nan")),
        lambda: _push_segmenter(ps.PeakSegmenter(), float("inf")),
        lambda: _push_segmenter(ps.BOCPDSegmenter(), float("inf")),
        lambda: ps.ThresholdSegmenter(0.5).segment([0.1, float("nan")]),
        lambda: ps.mean_relative_accuracy(float("nan"), 1.0),
        lambda: ps.SumAggregator().add(0, 3, 1, [[np.nan, 1.0]]),
        lambda: ps.DedupAggregator().add(0, 3, [[np.nan, 1.0]]),
    ],
)
def test_nan_is_refused_with_non_finite_error(call):
    with pytest.raises(ps.NonFiniteError):
        call()


def test_nan_is_a_missing_step_where_documented():
    # BOCPD: NaN = missing step, boundaries in the original index
    seg = ps.BOCPDSegmenter()
    assert seg.push(float("nan"), 0) is None
    x = np.r_[np.zeros(40), np.full(40, 5.0)] + np.random.default_rng(0).normal(0, 0.3, 80)
    gap = x.copy()
    gap[10] = np.nan
    assert [b.t for b in ps.BOCPDSegmenter().segment(gap)] == [b.t for b in ps.bocpd_segment(gap)]
    assert any(abs(b.t - 40) <= 2 for b in ps.BOCPDSegmenter().segment(gap))


def test_segmenter_time_must_increase():
    seg = ps.ThresholdSegmenter(0.5)
    assert seg.push(0.9, 5).t == 5
    with pytest.raises(ps.InvalidArgumentError, match="t=3 after t=5"):
        seg.push(0.9, 3)
    with pytest.raises(ps.InvalidArgumentError, match="t=5 after t=5"):
        seg.push(0.9, 5)
    seg.reset()
    assert seg.push(0.9, 1).t == 1  # (t = 0 is frame 0: no prediction, never a boundary)
    with pytest.raises(ps.InvalidArgumentError):
        ps.BOCPDSegmenter().push(0.0, 3)  # BOCPD: consecutive from 0
