#!/usr/bin/env bash
# Builds each libFuzzer target with clang 14 (+ASan/UBSan) and runs it for FUZZ_TIME seconds
# (default 60). Usage: fuzz/run.sh [out-dir] ; `make fuzz` calls it. Fails on the first crash.
set -euo pipefail
cd "$(dirname "$0")/.."
out="${1:-build-fuzz}"
time_s="${FUZZ_TIME:-60}"
cxx="${FUZZ_CXX:-clang++-14}"
mkdir -p "$out"
for src in fuzz/fuzz_*.cpp; do
  t="$(basename "$src" .cpp)"
  name="${t#fuzz_}"
  echo "fuzz: building $t"
  "$cxx" -std=c++20 -O1 -g -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined \
    -Iinclude -Itools "$src" -o "$out/$t" -lz  # zlib: io/npz.hpp
  mkdir -p "$out/corpus/$name"
  echo "fuzz: running $t for ${time_s}s"
  "$out/$t" -max_total_time="$time_s" -rss_limit_mb=2048 -artifact_prefix="$out/$t-" \
    "$out/corpus/$name" "fuzz/corpus/$name"
done
echo "fuzz: all targets ran ${time_s}s without a crash"
