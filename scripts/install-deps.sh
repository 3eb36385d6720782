#!/usr/bin/env bash
# Installs the Debian packages a make target needs, only those missing (idempotent).
# Usage: scripts/install-deps.sh build|demo|wheel|test|bench|fuzz|format
set -euo pipefail

build=(cmake make g++ libxsimd-dev libxtensor-dev libeigen3-dev nlohmann-json3-dev zlib1g-dev libcli11-dev
       libomp-dev libbenchmark-dev doctest-dev pybind11-dev libdlpack-dev python3-dev python3-numpy
       libblas-dev libopenblas0-pthread)
# predsense-video decodes in process with FFmpeg's libraries (ffmpeg/frame_source.hpp, found by
# pkg-config), runs the ffmpeg program for --sheet/--split-video and the tests' references, and plots
# with matplotlib (make demo; its tests in make test); its --report page is tested in a real browser:
# chromium + chromium-driver + python3-selenium (test set).
media=(ffmpeg python3-matplotlib pkg-config libavformat-dev libavcodec-dev libswscale-dev libavutil-dev)
demo=("${build[@]}" "${media[@]}")
# make wheel: the build set and pip's wheel build (python/setup.py drives CMake); make wheel-test adds a venv
wheel=("${build[@]}" python3-pip python3-setuptools python3-wheel python3-venv)
test=("${build[@]}" "${media[@]}" python3-venv chromium chromium-driver python3-selenium python3-pytest python3-torch python3-pybind11
      python3-setuptools python3-pip clang-14 python3-dask python3-distributed python3-pandas python3-tqdm locales
      ninja-build python3-opencv opencv-doc
      python3-skimage python3-pil)  # the last two: the recall dev set (scripts/make_recall_devset.py) and the report
# Debian's numpy/torch fall back to the reference BLAS (~6 GFLOP/s) unless OpenBLAS is present;
# peers must run at their best for a fair comparison.
bench=("${test[@]}" libopenblas0-pthread python3-threadpoolctl opencv-doc python3-opencv python3-skimage)
fuzz=("${build[@]}" clang-14 libclang-rt-14-dev)
format=(clang-format-14 git)

case "${1:-test}" in
  build) want=("${build[@]}") ;;
  demo)  want=("${demo[@]}") ;;
  wheel) want=("${wheel[@]}") ;;
  test)  want=("${test[@]}") ;;
  bench) want=("${bench[@]}") ;;
  fuzz)  want=("${fuzz[@]}") ;;
  format) want=("${format[@]}") ;;
  *) echo "install-deps: unknown set '$1' (expected build|demo|wheel|test|bench|fuzz|format)" >&2; exit 2 ;;
esac

missing=()
for p in "${want[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0

echo "install-deps: installing ${missing[*]}"
if [ "$(id -u)" -eq 0 ]; then sudo=(); elif command -v sudo >/dev/null; then sudo=(sudo); else
  echo "install-deps: need root or sudo to install: ${missing[*]}" >&2; exit 1
fi
export DEBIAN_FRONTEND=noninteractive
"${sudo[@]}" apt-get update -q
"${sudo[@]}" apt-get install -y -q --no-install-recommends "${missing[@]}"
