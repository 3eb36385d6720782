#!/usr/bin/env bash
# The video development set in one command: builds predsense-video, generates the set once
# (scripts/make_video_devset.py; real footage and photographs from opencv-doc and python3-skimage),
# and scores predsense-video's configurations, ffmpeg's scene filter and a ContentDetector-style peer
# on it in one run (scripts/score_video_devset.py). Tables to stdout and to DEVSET/table.md.
#
#   bash scripts/video_devset.sh [BUILD_DIR] [SEED]      (defaults: build, 2511; docs/video.md uses both seeds)
set -euo pipefail
cd "$(dirname "$0")/.."
BUILD=${1:-build}
SEED=${2:-2511}
DEV="$BUILD/video-devset-$SEED"
bash scripts/install-deps.sh bench
cmake -S . -B "$BUILD" -DCMAKE_BUILD_TYPE=Release >/dev/null
cmake --build "$BUILD" -j "$(nproc)" --target predsense-video
if [ ! -f "$DEV/complete" ]; then
  /usr/bin/python3 scripts/make_video_devset.py "$DEV" --seed "$SEED"
  touch "$DEV/complete"
fi
/usr/bin/python3 scripts/score_video_devset.py "$DEV" --tool "$BUILD/bin/predsense-video" --jobs 2 \
  --config "predsense=" \
  --config "predsense, rls=--predictor rls" \
  --config "predsense, rls-pooled=--predictor rls-pooled" \
  --config "predsense, ema=--predictor ema" \
  --config "predsense, lfp=--predictor lfp" \
  --config "predsense, lfp lr 3e-4=--predictor lfp --lfp-lr 3e-4" \
  --config "predsense, lfp lr 3e-5=--predictor lfp --lfp-lr 3e-5" \
  --config "copy-last cut (old default)=--segmenter cut" \
  --markdown "$DEV/table.md"
echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'); $(date -u '+%Y-%m-%d %H:%M UTC')"
