"""Builds the predsense Python package with Debian's python3-pybind11 (no network needed):

    /usr/bin/python3 -m pip install --no-build-isolation ./python

The C++ core is header-only; it is compiled from ../include of this source tree. The default build
is portable (no -march=native: the x86-64 baseline, SSE2 kernels), so a wheel runs on any x86-64;
PREDSENSE_NATIVE=1 compiles for this machine's CPU instead. ps.build_info() tells which.
"""
import glob
import os
import re

from pybind11.setup_helpers import Pybind11Extension, build_ext
from setuptools import setup

here = os.path.dirname(os.path.abspath(__file__))
include = os.path.join(os.path.dirname(here), "include")
if not os.path.isdir(os.path.join(include, "predsense")):
    raise SystemExit(f"predsense headers not found at {include}: build from the predsense source tree")


def version():
    """The version is written once, in include/predsense/config.hpp."""
    with open(os.path.join(include, "predsense", "config.hpp")) as f:
        text = f.read()
    parts = [re.search(rf"#define PREDSENSE_VERSION_{p} (\d+)", text).group(1) for p in ("MAJOR", "MINOR", "PATCH")]
    return ".".join(parts)


ext = Pybind11Extension(
    "predsense._core",
    sorted(os.path.relpath(p, here) for p in glob.glob(os.path.join(here, "src", "*.cpp"))),
    include_dirs=[include],
    cxx_std=20,
    define_macros=[("PREDSENSE_NO_XSIMD", "1")] if not os.path.exists("/usr/include/xsimd/xsimd.hpp") else [],
    extra_compile_args=["-O3", "-march=native"] if os.environ.get("PREDSENSE_NATIVE", "0") == "1" else ["-O3"],
)

setup(
    name="predsense",
    version=version(),
    description="Predictive-sensing primitives for streaming perception (header-only C++ core)",
    packages=["predsense"],
    package_data={"predsense": ["py.typed", "*.pyi"]},
    ext_modules=[ext],
    cmdclass={"build_ext": build_ext},
    entry_points={"console_scripts": ["predsense-corpus=predsense.corpus:main"]},
    install_requires=["numpy"],
    python_requires=">=3.9",
)
