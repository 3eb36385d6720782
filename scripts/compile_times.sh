#!/bin/sh
# scripts/compile_times.sh - compile time of every program of docs/cpp.md (the C++ cookbook), as
# written (per-area headers; the compiled checkpoint part) and as a user would have written it
# before the per-area headers and the compiled checkpoint part (the umbrella header predsense/predsense.hpp in place of the predsense includes,
# which makes a checkpoint program instantiate memory_checkpoint.hpp's JSON/safetensors templates);
# for a program using the compiled checkpoint part, also with the header-only memory_checkpoint.hpp
# in its place (per-area headers otherwise), which isolates what the compiled part saves.
#
# Prints a Markdown table: CPU seconds (user + sys) of one `$CXX -std=c++20 $OPT -c` per program and
# variant, the best of $REPEATS runs; then the machine and date. Compile only, no link.
# Usage: scripts/compile_times.sh            (env: CXX=g++, OPT=-O2, REPEATS=3)
set -eu
cd "$(dirname "$0")/.."
CXX=${CXX:-g++}
OPT=${OPT:--O2}
REPEATS=${REPEATS:-3}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

# Split docs/cpp.md into programs, each named after the section it is in.
awk -v dir="$work" '
  /^## / { title = substr($0, 4) }
  /^```cpp$/ { n++; file = sprintf("%s/p%d.cpp", dir, n); print title > (dir "/p" n ".title"); inside = 1; next }
  /^```$/ { if (inside) { close(file); inside = 0 } next }
  inside { print > file }
' docs/cpp.md

cpu_time() {  # best CPU seconds of $REPEATS compiles of $1
  best=""
  i=0
  while [ "$i" -lt "$REPEATS" ]; do
    t=$( { /usr/bin/time -f "%U %S" "$CXX" -std=c++20 "$OPT" -Iinclude -c "$1" -o "$work/out.o" 2>&1 >/dev/null; } |
        tail -n 1 | awk '{ printf "%.2f", $1 + $2 }')
    if [ -z "$best" ] || awk -v a="$t" -v b="$best" 'BEGIN { exit !(a < b) }'; then best=$t; fi
    i=$((i + 1))
  done
  echo "$best"
}

echo "| program (docs/cpp.md) | as written, s | umbrella header (before), s | header-only checkpoint, s |"
echo "|---|---:|---:|---:|"
for src in "$work"/p*.cpp; do
  base=${src%.cpp}
  before=$base.umbrella.cpp
  # every predsense include becomes the umbrella (once); the rest of the program is unchanged
  awk '/^#include <predsense\// { if (!done) { print "#include <predsense/predsense.hpp>"; done = 1 } next } { print }' \
    "$src" >"$before"
  header_only=-
  if grep -q 'checkpoint_library.hpp' "$src"; then
    sed 's|predsense/memory/checkpoint_library.hpp|predsense/memory/memory_checkpoint.hpp|' "$src" >"$base.header_only.cpp"
    header_only=$(cpu_time "$base.header_only.cpp")
  fi
  printf "| %s (block %s) | %s | %s | %s |\n" "$(cat "$base.title")" "$(basename "$base" | tr -d p)" \
    "$(cpu_time "$src")" "$(cpu_time "$before")" "$header_only"
done
echo
echo "$("$CXX" --version | head -n 1), $OPT, best of $REPEATS; $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'), $(nproc) cores; $(date -u +%Y-%m-%d)"
