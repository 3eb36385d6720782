#!/bin/sh
# The documented install (docs/getting-started.md) on a machine without the test, benchmark or
# Python dependencies: configure predsense with PREDSENSE_INSTALL_ONLY=ON while CMake is forbidden
# to find doctest, Google Benchmark, CLI11, pybind11, Python, Eigen and xtensor; install into a
# prefix; build and run the consumer from that prefix under the same prohibition.
# Usage: install_only.sh SOURCE_DIR WORK_DIR CXX [LAUNCHER]
set -eu
src=$1 work=$2 cxx=$3 launcher=${4:-}
rm -rf "$work"
no_dev="-DCMAKE_DISABLE_FIND_PACKAGE_doctest=ON -DCMAKE_DISABLE_FIND_PACKAGE_benchmark=ON
        -DCMAKE_DISABLE_FIND_PACKAGE_CLI11=ON -DCMAKE_DISABLE_FIND_PACKAGE_pybind11=ON
        -DCMAKE_DISABLE_FIND_PACKAGE_Python3=ON -DCMAKE_DISABLE_FIND_PACKAGE_Eigen3=ON
        -DCMAKE_DISABLE_FIND_PACKAGE_xtensor=ON"
# shellcheck disable=SC2086
cmake --no-warn-unused-cli -S "$src" -B "$work/build" -DPREDSENSE_INSTALL_ONLY=ON -DCMAKE_CXX_COMPILER="$cxx" $no_dev
cmake --install "$work/build" --prefix "$work/prefix"
# nothing but the library was configured: no test or tool target exists
if cmake --build "$work/build" --target help | grep -E 'test_core|predsense-video|_core|header_check'; then
  echo "install-only configure created project targets" >&2
  exit 1
fi
# shellcheck disable=SC2086
cmake --no-warn-unused-cli -S "$src/tests/package" -B "$work/consumer" -DCMAKE_PREFIX_PATH="$work/prefix" -DCMAKE_BUILD_TYPE=Release \
  -DCMAKE_CXX_COMPILER="$cxx" ${launcher:+-DCMAKE_CXX_COMPILER_LAUNCHER=$launcher} $no_dev
cmake --build "$work/consumer"
"$work/consumer/consumer"
