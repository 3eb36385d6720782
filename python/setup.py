"""Builds the predsense wheel with CMake: the Python package, its C++ core and every command-line tool
(no network: Debian's cmake, g++, pybind11-dev, python3-dev and the build set of
scripts/install-deps.sh):

    make wheel                                                  # -> build/wheel/predsense-*.whl
    /usr/bin/python3 -m pip install --no-build-isolation ./python   # or build and install at once

The C++ core is header-only; it is compiled from ../include of this source tree by the top-level
CMakeLists.txt, which also defines the tools (tools/CMakeLists.txt: whatever it builds, the wheel
carries). The wheel holds:
  predsense/                  the package (python/predsense) and its extension module(s)
  predsense/bin/              the tools (cmake --install --component tools)
  predsense/share/predsense/  the scripts predsense-video runs for --plot and --report
  <venv>/bin/<tool>           one command per tool, running predsense/bin/<tool>; predsense-corpus

The default build is portable (see python/CMakeLists.txt, PREDSENSE_PY_DISPATCH): the module is
built for x86-64 (SSE2), x86-64-v3 (AVX2+FMA) and x86-64-v4 (AVX-512) and `import predsense` loads
the widest one the CPU runs; the tools are built for plain x86-64. Environment:
  PREDSENSE_NATIVE=1         one module and the tools for this machine's CPU (-march=native)
  PREDSENSE_BUILD_JOBS=N     parallel compile jobs (default 2)
  PREDSENSE_CMAKE_BUILD_DIR  keep the CMake build tree there (make wheel: build/wheel-cmake), so a
                             rebuild compiles only what changed; default: a temporary one
  PREDSENSE_CMAKE_ARGS       further CMake arguments (e.g. -DCMAKE_CXX_COMPILER_LAUNCHER=ccache)
ps.build_info() says what was compiled and which build was chosen.
"""
import os
import re
import shlex
import shutil
import subprocess
import sys

from setuptools import Extension, setup
from setuptools.command.build import build
from setuptools.command.build_ext import build_ext

here = os.path.dirname(os.path.abspath(__file__))
root = os.path.dirname(here)
include = os.path.join(root, "include")
if not os.path.isdir(os.path.join(include, "predsense")):
    raise SystemExit(f"predsense headers not found at {include}: build from the predsense source tree")


def version():
    """The version is written once, in include/predsense/config.hpp."""
    with open(os.path.join(include, "predsense", "config.hpp")) as f:
        text = f.read()
    parts = [re.search(rf"#define PREDSENSE_VERSION_{p} (\d+)", text).group(1) for p in ("MAJOR", "MINOR", "PATCH")]
    return ".".join(parts)


# The command each tool gets in the environment's bin/: it runs the copy in the installed package
# without importing predsense (no extension load before the tool starts). `#!python`: the installer
# writes the environment's interpreter there.
WRAPPER = '''#!python
"""{name}: the predsense command-line tool carried by the predsense package (predsense/bin/{name})."""
import os
import sys
from importlib.util import find_spec

spec = find_spec("predsense")
exe = os.path.join(spec.submodule_search_locations[0], "bin", "{name}") if spec else ""
if not os.access(exe, os.X_OK):
    sys.exit("{name}: not found in the installed predsense package (" + (exe or "no predsense") + ")")
os.execv(exe, [exe] + sys.argv[1:])
'''


def _run(cmd, **kw):
    print("+ " + shlex.join(cmd), flush=True)
    subprocess.run(cmd, check=True, **kw)


class cmake_build_ext(build_ext):
    """Configures the source tree with CMake, builds the extension (target _core) and the tools
    (target predsense_tools), and installs both into the package in build_lib."""

    def run(self):
        native = os.environ.get("PREDSENSE_NATIVE", "0") == "1"
        jobs = os.environ.get("PREDSENSE_BUILD_JOBS", "2")
        bdir = os.path.abspath(os.environ.get("PREDSENSE_CMAKE_BUILD_DIR") or os.path.join(self.build_temp, "cmake"))
        onoff = {True: "ON", False: "OFF"}
        cfg = ["cmake", "-S", root, "-B", bdir, "-DCMAKE_BUILD_TYPE=Release", f"-DPREDSENSE_PYTHON={sys.executable}",
               "-DPREDSENSE_BUILD_PYTHON=ON", "-DPREDSENSE_BUILD_EXAMPLES=ON", "-DPREDSENSE_BUILD_TESTS=OFF",
               "-DPREDSENSE_BUILD_BENCHMARKS=OFF", "-DPREDSENSE_WERROR=OFF",
               f"-DPREDSENSE_NATIVE={onoff[native]}", f"-DPREDSENSE_PY_DISPATCH={onoff[not native]}"]
        # Ninja when present: it runs the extension's and the tools' compiles side by side (Make
        # builds the targets named on its command line one after another); a kept tree keeps its own
        if shutil.which("ninja") and not os.environ.get("CMAKE_GENERATOR") and \
                not os.path.exists(os.path.join(bdir, "CMakeCache.txt")):
            cfg += ["-G", "Ninja"]
        cfg += shlex.split(os.environ.get("PREDSENSE_CMAKE_ARGS", ""))
        _run(cfg)
        _run(["cmake", "--build", bdir, "-j", jobs, "--target", "_core", "predsense_tools"])
        pkg = os.path.join(os.path.abspath(self.build_lib), "predsense")
        # a reused build_lib may hold another configuration's modules or tools
        for old in os.listdir(pkg) if os.path.isdir(pkg) else []:
            if old.startswith("_core") and old.endswith(".so"):
                os.remove(os.path.join(pkg, old))
        for d in ("bin", "share"):
            shutil.rmtree(os.path.join(pkg, d), ignore_errors=True)
        _run(["cmake", "--install", bdir, "--component", "python", "--prefix", pkg, "--strip"])
        _run(["cmake", "--install", bdir, "--component", "tools", "--prefix", pkg, "--strip"])
        tools = sorted(os.listdir(os.path.join(pkg, "bin")))
        if "predsense-video" not in tools:
            raise SystemExit(f"predsense wheel: the tools built are {tools}: predsense-video is missing")
        # one command per tool; build_scripts (run after build_ext) turns these into the wheel's scripts
        sdir = os.path.join(os.path.abspath(self.build_temp), "tool-commands")
        shutil.rmtree(sdir, ignore_errors=True)
        os.makedirs(sdir)
        scripts = []
        for name in tools:
            path = os.path.join(sdir, name)
            with open(path, "w") as f:
                f.write(WRAPPER.format(name=name))
            scripts.append(path)
        self.distribution.scripts = scripts


def _always(cmd):
    return True


class build_with_tools(build):
    """build_scripts runs although setup() names no scripts: build_ext adds them (the tool list is
    known only once CMake has configured the tree)."""

    sub_commands = [(n, _always if n == "build_scripts" else p) for n, p in build.sub_commands]


setup(
    name="predsense",
    version=version(),
    description="Predictive-sensing primitives for streaming perception (header-only C++ core) and its tools",
    packages=["predsense"],
    package_data={"predsense": ["py.typed", "*.pyi", "report_assets/*"]},  # report_assets: the report's uPlot + licence
    ext_modules=[Extension("predsense._core", sources=[])],  # built by CMake (cmake_build_ext)
    cmdclass={"build_ext": cmake_build_ext, "build": build_with_tools},
    entry_points={"console_scripts": ["predsense-corpus=predsense.corpus:main"]},
    install_requires=["numpy"],
    python_requires=">=3.9",
    zip_safe=False,
)
