"""Writes the numpy-authored .npy/.npz fixtures that tests/test_io_npy.cpp reads.

Run once (`/usr/bin/python3 tests/python/make_io_fixtures.py`); the outputs are committed under
tests/data/io so the C++ tests need no Python. Values are a deterministic ramp so the C++ side can
recompute them: a[i, j, ...] = 0.5 * flat_index - 3.
"""
import os
import numpy as np

here = os.path.dirname(os.path.abspath(__file__))
out = os.path.join(here, "..", "data", "io")
os.makedirs(out, exist_ok=True)


def ramp(shape, dtype=np.float32):
    n = int(np.prod(shape))
    return (0.5 * np.arange(n) - 3).reshape(shape).astype(dtype)


np.save(os.path.join(out, "f32_c_2x3x4.npy"), ramp((2, 3, 4)))
np.save(os.path.join(out, "f32_fortran_3x5.npy"), np.asfortranarray(ramp((3, 5))))
np.save(os.path.join(out, "f16_4x2.npy"), ramp((4, 2), np.float16))
np.save(os.path.join(out, "f32_be_6.npy"), ramp((6,)).astype(">f4"))
np.save(os.path.join(out, "f64_scalar.npy"), np.array(2.5))
np.save(os.path.join(out, "i32_3.npy"), np.arange(3, dtype=np.int32))
np.savez(os.path.join(out, "weights.npz"), w=ramp((3, 4)), b=ramp((4,), np.float16))
noise = np.random.default_rng(0).standard_normal((50, 7)).astype(np.float32)
np.savez_compressed(os.path.join(out, "compressed.npz"), big=ramp((64, 33)), noise=noise,
                    zeros=np.zeros((100, 10), np.float32))
np.save(os.path.join(out, "noise_50x7.npy"), noise)
