"""build_info() says what was compiled and what was chosen; a portable build picks the widest variant
the CPU runs, and every variant computes the same answers."""
import json
import os
import subprocess
import sys

import numpy as np
import pytest

import predsense as ps

PKG_PARENT = os.path.dirname(os.path.dirname(os.path.abspath(ps.__file__)))


def test_build_info_describes_the_build_and_the_cpu():
    info = ps.build_info()
    assert info["simd_width"] == ps.simd_width >= 1
    assert info["variant"] in ("single", "sse2", "avx2", "avx512")
    assert set(info["cpu"]) >= {"sse2", "avx2", "avx512f", "x86-64-v3", "x86-64-v4"}
    assert info["cpu"]["sse2"]  # x86-64 baseline
    if info["compiled_for"] == "avx512f":
        assert info["cpu"]["avx512f"]  # this process could not run otherwise
    if info["variant"] == "single":
        assert info["dispatch"].startswith("none")
    else:
        assert info["dispatch"].startswith("import-time")


def child(env_extra, code):
    env = dict(os.environ, PYTHONPATH=PKG_PARENT, **env_extra)
    r = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=120)
    return r


CODE = ("import json, predsense as ps; x, _ = ps.synthetic_stream(frames=50, seed=2); "
        "print(json.dumps([ps.build_info()['variant'], ps.build_info()['simd'], ps.copy_last_surprise(x).tolist()]))")


@pytest.mark.skipif(ps.build_info()["variant"] == "single", reason="a single (non-portable) build")
def test_portable_build_chooses_the_widest_variant_and_variants_agree():
    cpu = ps.build_info()["cpu"]
    want = "avx512" if cpu["x86-64-v4"] else "avx2" if cpu["x86-64-v3"] else "sse2"
    assert ps.build_info()["variant"] == (os.environ.get("PREDSENSE_SIMD") or want)  # forced, or the widest
    results = {}
    for v in ("sse2", "avx2", "avx512"):
        if (v == "avx512" and not cpu["x86-64-v4"]) or (v == "avx2" and not cpu["x86-64-v3"]):
            continue
        r = child({"PREDSENSE_SIMD": v}, CODE)
        assert r.returncode == 0, r.stderr
        variant, simd, s = json.loads(r.stdout)
        assert variant == v
        results[v] = np.array(s)
    base = results["sse2"]
    for v, s in results.items():
        np.testing.assert_allclose(s, base, rtol=1e-5, atol=1e-7)
    r = child({"PREDSENSE_SIMD": "avx9000"}, CODE)
    assert r.returncode != 0 and "PREDSENSE_SIMD" in r.stderr
