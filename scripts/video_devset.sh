#!/usr/bin/env bash
# The video development set in one command: builds predsense-video, generates the set once
# (scripts/make_video_devset.py; real footage and photographs from opencv-doc and python3-skimage),
# and scores predsense-video's configurations, ffmpeg's scene filter and a ContentDetector-style peer
# on it in one run (scripts/score_video_devset.py). Tables to stdout and to DEVSET/table.md.
# Then the encoder x rate grid: six stand-in encoders' latents (scripts/make_encoder_features.py,
# cached in DEVSET/features) through `--features`, at the native rate and 5, 2, 1 fps, beside the built-in
# embedder at the same rates, and the copy-last / rls / lfp ablation per encoder at native and 2 fps
# (scripts/score_video_devset.py --encoders). Tables to stdout and to DEVSET/encoders.md. The grid is 448 runs of
# predsense-video: ~12 min on 2 busy cores, after ~19 min for the features the first time (cached after).
#
#   bash scripts/video_devset.sh [BUILD_DIR] [SEED] [all|builtin|encoders]
#        (defaults: build, 2511, all; docs/video.md uses both seeds)
set -euo pipefail
cd "$(dirname "$0")/.."
BUILD=${1:-build}
SEED=${2:-2511}
WHAT=${3:-all}
case "$WHAT" in all|builtin|encoders) ;; *) echo "video_devset: unknown part '$WHAT' (all|builtin|encoders)" >&2; exit 2 ;; esac
DEV="$BUILD/video-devset-$SEED"
bash scripts/install-deps.sh bench
cmake -S . -B "$BUILD" -DCMAKE_BUILD_TYPE=Release >/dev/null
targets=(predsense-video)
[ "$WHAT" = builtin ] || targets+=(_core)  # the patch-g4-f16 encoder is predsense's PatchEmbedder
cmake --build "$BUILD" -j "$(nproc)" --target "${targets[@]}"
if [ ! -f "$DEV/complete" ]; then
  /usr/bin/python3 scripts/make_video_devset.py "$DEV" --seed "$SEED"
  touch "$DEV/complete"
fi
if [ "$WHAT" != encoders ]; then
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
fi
if [ "$WHAT" != builtin ]; then
  PYTHONPATH="$BUILD/python${PYTHONPATH:+:$PYTHONPATH}" \
    /usr/bin/python3 scripts/make_encoder_features.py "$DEV" --rates native,5,2,1 --jobs 2
  /usr/bin/python3 scripts/score_video_devset.py "$DEV" --encoders --tool "$BUILD/bin/predsense-video" --jobs 2 \
    --rates native,5,2,1 --ablation-rates native,2 --markdown "$DEV/encoders.md"
fi
echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'); $(date -u '+%Y-%m-%d %H:%M UTC'); commit $(git rev-parse --short HEAD)$(git diff --quiet HEAD -- include tools scripts || echo ' (modified)')"
