"""Tensors in through DLPack, read directly: torch tensors are exported
by torch's own DLPack exporter and read from the capsule in C++ (numpy.from_dlpack is never used);
a tensor with torch's negative bit is resolved before it is read, never read with the wrong sign
(torch's DLPack export drops the bit); a complex tensor (the only kind with the conjugate bit) is
refused with a TypeError naming the argument; other DLPack producers are read the same way, and
their capsule's deleter runs once the data is no longer needed."""
import gc
import weakref

import numpy as np
import pytest

import predsense as ps

torch = pytest.importorskip("torch")


def neg_bit(x: "torch.Tensor") -> "torch.Tensor":
    """A float32 tensor equal to x that carries torch's negative bit: imag of a conjugate view."""
    y = torch.complex(torch.zeros_like(x), -x).conj().imag
    assert y.is_neg() and y.dtype == torch.float32 and torch.equal(y, x)
    return y


def frames(n, t, d, seed=0):
    return np.random.default_rng(seed).normal(size=(n, t, d)).astype(np.float32)


def test_torch_is_not_read_through_numpy_from_dlpack(monkeypatch):
    x = frames(2, 4, 8)
    want = ps.token_cosine_distance(x[0], x[1])

    def refuse(*a, **k):
        raise AssertionError("numpy.from_dlpack must not be used")

    monkeypatch.setattr(np, "from_dlpack", refuse)
    a, b = torch.from_numpy(x[0]), torch.from_numpy(x[1])
    assert ps.token_cosine_distance(a, b) == want
    assert ps._core._frame_address(a) == a.data_ptr()  # in place, not a copy


def test_negative_bit_is_resolved_in_metrics():
    x = frames(2, 6, 8, seed=1)
    a, b = torch.from_numpy(x[0]), torch.from_numpy(x[1])
    na = neg_bit(a)
    # read with the wrong sign, each of these would differ: cos(-a, a) = -1, |(-a) - a| = 2|a|
    assert ps.token_cosine_distance(na, a) == pytest.approx(0.0, abs=1e-6)
    assert ps.l2_distance(na, a) == 0.0
    assert ps.mse(na, b) == ps.mse(x[0], x[1])
    assert ps.pooled_cosine_distance(na, b) == ps.pooled_cosine_distance(x[0], x[1])
    # the negative bit on a tensor that also requires grad
    g = torch.complex(torch.zeros_like(a), -a).requires_grad_(True).conj().imag
    assert g.is_neg() and g.requires_grad
    assert ps.l2_distance(g, a) == 0.0
    # a sequence
    seq = torch.from_numpy(x)
    np.testing.assert_array_equal(ps.copy_last_surprise(neg_bit(seq)), ps.copy_last_surprise(x))


def test_negative_bit_is_resolved_in_stored_memory_and_streams():
    x = frames(6, 4, 8, seed=2)
    t = neg_bit(torch.from_numpy(x))
    mem = ps.MemoryStore(0.0, window=2, budget=64)
    for f in t:
        assert f.is_neg()
        mem.push(f, 0.5)
    hit = mem.retrieve(x[3], k=1)[0]
    assert hit["frame"] == 3
    np.testing.assert_array_equal(hit["data"], x[3])  # the stored tokens have the right sign
    s_neg, b_neg = ps.Stream(memory=None).run(t)
    s_np, b_np = ps.Stream(memory=None).run(x)
    np.testing.assert_array_equal(s_neg, s_np)
    np.testing.assert_array_equal(b_neg, b_np)
    st = ps.Stream(memory=None)
    assert [st.step(f).surprise for f in t] == list(s_np)
    p = ps.CopyLast()
    p.observe(t[0])
    np.testing.assert_array_equal(p.predict(), x[0])


def test_conjugate_bit_and_complex_are_refused_naming_the_argument():
    z = torch.randn(3, 4, dtype=torch.complex64)
    assert z.conj().is_conj()
    with pytest.raises(TypeError, match=r"^actual: dtype complex64.*not a real number type"):
        ps.mse(np.zeros((3, 4), np.float32), z.conj())
    with pytest.raises(TypeError, match=r"^frame: dtype complex64"):
        ps.CopyLast().observe(z)


def test_torch_dtypes_strides_and_kinds():
    x = frames(1, 6, 8, seed=3)[0]
    a = torch.from_numpy(x)
    assert ps.mse(a.double(), a) == 0.0
    assert ps.mse(a.half(), a.half().float()) == 0.0
    assert ps.mse(a.bfloat16(), a.bfloat16().float()) == 0.0
    assert ps.mse(a.t().contiguous().t(), a) == 0.0  # column-major strides
    assert ps.mse(a[:, ::2], x[:, ::2]) == 0.0  # a strided view
    assert ps.mse(a[2:], x[2:]) == 0.0  # an offset into the storage
    i = torch.arange(12, dtype=torch.int64).reshape(3, 4)
    assert ps.mse(i, i.numpy().astype(np.float32)) == 0.0
    assert ps.mse(i.to(torch.uint8), i.numpy().astype(np.float32)) == 0.0
    assert ps.mse(i > 5, (i > 5).numpy().astype(np.float32)) == 0.0
    p = torch.nn.Parameter(a.clone())  # a subclass that requires grad
    assert ps.mse(p, x) == 0.0
    sparse = a.to_sparse()
    with pytest.raises(TypeError, match="^pred: "):
        ps.mse(sparse, x)


def test_inputs_are_read_only_views():
    x = frames(3, 4, 8, seed=4)
    t = torch.from_numpy(x.copy())
    before = t.clone()
    ps.Stream().run(t)
    ps.MemoryStore().push(t[0], 0.5)
    assert torch.equal(t, before)


class Producer:
    """A DLPack producer other than torch (here: numpy's own exporter behind a plain object)."""

    def __init__(self, a):
        self.a = a
        self.exports = 0

    def __dlpack_device__(self):
        return self.a.__dlpack_device__()

    def __dlpack__(self, stream=None):
        self.exports += 1
        return self.a.__dlpack__()


def test_other_producers_are_read_and_released():
    x = frames(2, 4, 8, seed=5)
    base = x[0].copy()
    ref = weakref.ref(base)
    p = Producer(base)
    assert ps.mse(p, x[1]) == ps.mse(x[0], x[1])
    assert p.exports == 1
    strided = Producer(x[1][:, ::2])
    assert ps.mse(strided, x[0][:, ::2]) == ps.mse(x[1][:, ::2], x[0][:, ::2])
    del p, base
    gc.collect()
    assert ref() is None  # the capsule's deleter ran: nothing keeps the producer's memory alive


def test_torch_memory_is_released():
    t = torch.randn(4, 8)
    cell = weakref.ref(t)
    for _ in range(3):
        ps.mse(t, t)
    storage = t.untyped_storage() if hasattr(t, "untyped_storage") else t.storage()
    storage_ref = storage._weak_ref()
    del t, storage
    gc.collect()
    assert cell() is None
    assert torch.UntypedStorage._expired(storage_ref)  # every exported DLPack tensor was deleted
