#!/bin/sh
# The real-footage recall tables of docs/memory.md (not part of make test: ~3 minutes on one core).
#   sh scripts/recall_table.sh [build]
# Makes the development set's sources (scripts/make_recall_devset.py: Debian packages opencv-doc,
# python3-skimage, python3-pil, ffmpeg), then runs predsense-memory-recall --devset on the report
# seeds 100-109 (peak_preserving's defaults were chosen on seeds 0-5) with the patch embedder and
# with raw pixel patches, and prints the markdown tables.
set -eu
B=${1:-build}
/usr/bin/python3 scripts/make_recall_devset.py "$B/recall_devset"
for enc in patch pixels; do
  "$B/bin/predsense-memory-recall" --devset "$B/recall_devset" --encoder $enc --minutes 10,30,60 --seeds 10 \
    --first-seed 100 -o "$B/recall_$enc.json"
done
/usr/bin/python3 scripts/recall_report.py "$B/recall_patch.json" "$B/recall_pixels.json"
