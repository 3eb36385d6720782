#!/usr/bin/env bash
# The wheel as a pip user gets it: install build/wheel/predsense-*.whl into a fresh venv
# and run, from a scratch folder outside the source tree with no build tree on any path, what the
# docs show: the README's Python example, every tool's --help (predsense-video's among them),
# predsense-corpus over two generated videos, predsense-video's --plot/--report, and the Python
# test suite (python/tests, copied out of the tree with the data it reads). Any failure exits non-zero.
#
# Usage: tests/wheel/run.sh WHEEL_DIR   (make wheel-test: make wheel, then this; minutes, so not in make test)
set -euo pipefail

src=$(cd "$(dirname "$0")/../.." && pwd)
wheel_dir=${1:?usage: tests/wheel/run.sh WHEEL_DIR}
shopt -s nullglob
wheels=("$wheel_dir"/predsense-*.whl)
[ ${#wheels[@]} -eq 1 ] || { echo "wheel-test: expected one predsense-*.whl in $wheel_dir, found ${#wheels[@]}" >&2; exit 1; }
wheel=$(cd "$(dirname "${wheels[0]}")" && pwd)/$(basename "${wheels[0]}")

work=$(mktemp -d /tmp/predsense-wheel-test.XXXXXX)
trap 'rm -rf "$work"' EXIT
step() { echo "== wheel-test: $*"; }

step "fresh venv in $work/venv, pip install --no-deps --no-index $(basename "$wheel")"
/usr/bin/python3 -m venv --system-site-packages "$work/venv"
"$work/venv/bin/python" -m pip install -q --no-deps --no-index "$wheel"

# Nothing of the source or build tree is reachable from here on: no PYTHONPATH, no build dir, no
# tool override; PATH is the venv's bin and the system's.
unset PYTHONPATH PREDSENSE_BUILD_DIR PREDSENSE_SOURCE_DIR PREDSENSE_VIDEO PREDSENSE_REPORT_SCRIPT PREDSENSE_PLOT_SCRIPT
export PATH="$work/venv/bin:/usr/local/bin:/usr/bin:/bin"
export OMP_NUM_THREADS=${OMP_NUM_THREADS:-2} MPLBACKEND=Agg
cd "$work"
py="$work/venv/bin/python"

step "predsense is the venv's copy, with its tools"
"$py" - "$work/venv" <<'EOF'
import os, sys
import predsense, predsense._tools as t
venv = os.path.realpath(sys.argv[1])
assert os.path.realpath(predsense.__file__).startswith(venv + os.sep), predsense.__file__
tools = sorted(p.name for p in t.package_bin().iterdir())
assert "predsense-video" in tools, tools
exe, how = t.find("predsense-video")
assert how == "installed package" and str(exe).startswith(venv), (exe, how)
info = predsense.build_info()
print("predsense", predsense.__file__, "variant", info.get("variant"), "tools", " ".join(tools))
EOF

step "the README's Python example"
"$py" - "$src/README.md" > readme_example.py <<'EOF'
import re, sys
blocks = re.findall(r"```python\n(.*?)```", open(sys.argv[1]).read(), re.S)
assert blocks, "README.md has no ```python example"
print("\n".join(blocks))
EOF
"$py" readme_example.py | tee readme_example.out
# the README promises the events are the scene changes
"$py" -c "import ast, sys; l = {k.strip(): v for k, v in (x.split(':', 1) for x in open('readme_example.out'))}; \
t, e = ast.literal_eval(l['scene changes'].strip()), ast.literal_eval(l['events found'].strip()); \
sys.exit(0 if t == e and len(t) > 0 else 'README example: events %s != scene changes %s' % (e, t))"

step "every tool's --help (from the venv's bin/)"
tools=$("$py" -c "import predsense._tools as t; print(' '.join(sorted(p.name for p in t.package_bin().iterdir())))")
for t in $tools; do
  [ "$(command -v "$t")" = "$work/venv/bin/$t" ] || { echo "wheel-test: $t is not the venv's command ($(command -v "$t"))" >&2; exit 1; }
  "$t" --help > "help-$t.txt"
  grep -qi "usage" "help-$t.txt" || { echo "wheel-test: $t --help printed no usage" >&2; cat "help-$t.txt"; exit 1; }
done
grep -q -- "--json" help-predsense-video.txt

step "predsense-corpus over two generated videos"
mkdir -p videos
ffmpeg -loglevel error -f lavfi -i testsrc=duration=3:size=192x144:rate=10 -pix_fmt yuv420p videos/a.mp4
ffmpeg -loglevel error -f lavfi -i "smptebars=duration=2:size=192x144:rate=10" -f lavfi \
  -i "testsrc2=duration=2:size=192x144:rate=10" -filter_complex "[0:v][1:v]concat=n=2:v=1[v]" -map "[v]" \
  -pix_fmt yuv420p videos/b.mp4
predsense-corpus videos out --workers 1 --no-progress > corpus.out 2> corpus.err || {
  echo "wheel-test: predsense-corpus failed" >&2; cat corpus.out corpus.err >&2; exit 1; }
cat corpus.out
grep -q "predsense-video: $work/venv/.*(installed package)" corpus.err || {
  echo "wheel-test: predsense-corpus did not use the installed package's predsense-video" >&2; cat corpus.err >&2; exit 1; }
"$py" - "$work" <<'EOF'
import csv, json, sys
from pathlib import Path
from predsense import corpus
work = Path(sys.argv[1])
rows = list(csv.DictReader(open("out/corpus.csv")))
assert sorted(r["status"] for r in rows) == ["done", "done"], rows
for name, frames in (("a.mp4", 30), ("b.mp4", 40)):
    rec, why = corpus.validate_result(f"out/{name}.json", f"videos/{name}", corpus.Config())
    assert rec is not None, (name, why)
    assert rec["tool"]["path"].startswith(str(work / "venv")), rec["tool"]
    assert rec["result"]["frames"] == frames, (name, rec["result"]["frames"])
b = json.loads(Path("out/b.mp4.json").read_text())["result"]
assert any(abs(x["frame"] - 20) <= 1 for x in b["boundaries"]), b["boundaries"]  # the cut bars -> testsrc2
print("corpus: 2 results valid; b.mp4's cut found at", [x["frame"] for x in b["boundaries"]])
EOF

step "predsense-video's outputs that run the packaged scripts (--plot, --report: predsense/share/predsense)"
predsense-video videos/b.mp4 -q --json b.json --plot b.png --report b.html > /dev/null
for f in b.json b.png b.html; do [ -s "$f" ] || { echo "wheel-test: predsense-video wrote no $f" >&2; exit 1; }; done
grep -q "uPlot" b.html

step "the Python test suite (python/tests, copied out with the data it reads)"
mkdir tree
(cd "$src" && git ls-files -z python/tests python/examples tests/data/tcpd docs README.md | tar --null -T - -cf -) |
  tar -xf - -C tree
export PREDSENSE_SOURCE_DIR="$work/tree"
"$py" -m pytest -q -p no:cacheprovider -rs tree/python/tests 2>&1 | tee pytest.out
status=${PIPESTATUS[0]}
[ "$status" -eq 0 ] || { echo "wheel-test: python/tests failed in the venv" >&2; exit 1; }
# skips allowed only for what a machine may lack (an optional package or sample file), never for a
# missing tool or a missing part of the copied tree
if grep -E "^SKIPPED" pytest.out | grep -viE "opencv-doc|No module named|hostile reproducer|single \(non-portable\)"; then
  echo "wheel-test: unexpected skips above" >&2; exit 1
fi
step "passed"
