"""Builds the predsense Python package with Debian's python3-pybind11 (no network needed):

    /usr/bin/python3 -m pip install --no-build-isolation ./python

The C++ core is header-only; it is compiled from ../include of this source tree. The default build
is portable: the module is compiled three times (x86-64 SSE2, x86-64-v3 AVX2+FMA, x86-64-v4
AVX-512) and `import predsense` loads the widest one the CPU runs, so one wheel runs on any x86-64
at full speed. PREDSENSE_NATIVE=1 builds one module for this machine's CPU (-march=native) instead.
ps.build_info() says what was compiled and which build was chosen.
"""
import glob
import os
import re

from pybind11.setup_helpers import ParallelCompile, Pybind11Extension, build_ext
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


ParallelCompile("PREDSENSE_BUILD_JOBS", default=2).install()  # compile jobs (2 cores here)

sources = sorted(os.path.relpath(p, here) for p in glob.glob(os.path.join(here, "src", "*.cpp")))
macros = [("PREDSENSE_NO_XSIMD", "1")] if not os.path.exists("/usr/include/xsimd/xsimd.hpp") else []
libraries = ["z"] if os.path.exists("/usr/include/zlib.h") else []  # npz (config.hpp: PREDSENSE_HAS_ZLIB)

if os.environ.get("PREDSENSE_NATIVE", "0") == "1":
    # one module for this machine's CPU
    ext_modules = [Pybind11Extension("predsense._core", sources, include_dirs=[include], cxx_std=20,
                                     define_macros=macros, libraries=libraries, extra_compile_args=["-O3", "-march=native"])]
else:
    # portable: one build per x86-64 level; predsense/__init__.py imports the widest the CPU runs
    ext_modules = [
        Pybind11Extension(f"predsense._core_{name}", sources, include_dirs=[include], cxx_std=20,
                          define_macros=macros + [("PREDSENSE_PY_MODULE", f"_core_{name}"),
                                                  ("PREDSENSE_PY_VARIANT", f'"{name}"')],
                          libraries=libraries, extra_compile_args=["-O3", f"-march={march}"])
        for name, march in (("sse2", "x86-64"), ("avx2", "x86-64-v3"), ("avx512", "x86-64-v4"))
    ]

setup(
    name="predsense",
    version=version(),
    description="Predictive-sensing primitives for streaming perception (header-only C++ core)",
    packages=["predsense"],
    package_data={"predsense": ["py.typed", "*.pyi", "report_assets/*"]},  # report_assets: the report's uPlot + licence
    ext_modules=ext_modules,
    cmdclass={"build_ext": build_ext},
    entry_points={"console_scripts": ["predsense-corpus=predsense.corpus:main"]},
    install_requires=["numpy"],
    python_requires=">=3.9",
)
