#!/usr/bin/env bash
# Generates a short "tour" video from procedurally drawn scenes (ffmpeg lavfi sources), joined by
# hard cuts, and writes the cut positions next to it.
#
#   scripts/make_tour_video.sh OUT.mp4 [--quick]
#
# OUT.mp4        H.264, 25 fps; 320x240 (--quick: 160x120 and shorter scenes, for tests)
# OUT.mp4.cuts   the frame index of the first frame of every scene after the first, one per line
#
# The scenes move (scrolling test pattern, Mandelbrot zoom, Game of Life, a cellular automaton,
# drifting gradients, a box sliding across a plain background, a hue-cycling test pattern, ...) so
# that a cut detector must tell a cut from motion. Scene lengths differ so cuts are not periodic.
# Exit code 2 on bad usage or a missing ffmpeg.
set -euo pipefail

usage() { echo "usage: $0 OUT.mp4 [--quick]" >&2; exit 2; }
[ $# -ge 1 ] || usage
out=$1; shift
quick=0
for a in "$@"; do
  case "$a" in --quick) quick=1 ;; *) usage ;; esac
done
command -v ffmpeg >/dev/null || { echo "$0: ffmpeg not found (apt-get install ffmpeg)" >&2; exit 2; }

rate=25
if [ "$quick" = 1 ]; then w=160; h=120; else w=320; h=240; fi
s="${w}x${h}"

# name | lavfi source | frames (full) | frames (quick)
# (gradients: explicit endpoints and colours, because Debian's ffmpeg 5.1 draws them at random even
# with a seed, which made the tour - and the tests on it - differ from run to run)
scenes=(
  "testsrc2|testsrc2=s=$s:r=$rate|60|30"
  "mandelbrot|mandelbrot=s=$s:r=$rate:start_scale=2.5:end_scale=0.02|70|25"
  "life|life=s=$s:r=$rate:mold=10:ratio=0.12:seed=7:life_color=#00ff66:death_color=#b03020|55|32"
  "cellauto|cellauto=s=$s:r=$rate:rule=30:seed=3:scroll=1|48|27"
  "sliding box|color=c=0x203060:s=$s:r=$rate[bg];color=c=yellow:s=$((w / 4))x$((h / 3)):r=$rate[fg];[bg][fg]overlay=x='10+t*140*$w/320':y=$((h / 4)):eval=frame[out0]|65|28"
  "camera pan over a still|smptehdbars=s=$((2 * w))x$((2 * h)):r=$rate,crop=$w:$h:x='t*60*$w/320':y='t*30*$h/240'|50|26"
  "smptebars|smptebars=s=$s:r=$rate|40|22"
  "gradients|gradients=s=$s:r=$rate:speed=0.03:x0=$((w / 16)):y0=$((h / 6)):x1=$((w * 15 / 16)):y1=$((h * 5 / 6)):c0=0x2040a0:c1=0xf0c020|62|30"
  "sierpinski|sierpinski=s=$s:r=$rate:seed=5:jump=50|52|26"
  "hue-cycling rgbtestsrc|rgbtestsrc=s=$s:r=$rate,hue=h=t*60|58|24"
  "testsrc2 again, mirrored|testsrc2=s=$s:r=$rate,hflip,eq=brightness=0.15|45|30"
)

inputs=()
graph=""
labels=""
cuts=()
total=0
i=0
for sc in "${scenes[@]}"; do
  IFS='|' read -r _name src full q <<<"$sc"
  n=$full
  [ "$quick" = 1 ] && n=$q
  [ "$i" -gt 0 ] && cuts+=("$total")
  # a little over the needed length from the source, then an exact frame count
  inputs+=(-f lavfi -t "$(awk -v n="$n" -v r="$rate" 'BEGIN{printf "%.3f", n / r + 1}')" -i "$src")
  graph+="[$i:v]scale=$w:$h,setsar=1,format=yuv420p,trim=end_frame=$n,setpts=PTS-STARTPTS[v$i];"
  labels+="[v$i]"
  total=$((total + n))
  i=$((i + 1))
done
graph+="${labels}concat=n=$i:v=1:a=0[out]"

mkdir -p "$(dirname "$out")"
tmp="$out.tmp.$$.mp4"
trap 'rm -f "$tmp" "$out.cuts.tmp.$$"' EXIT
ffmpeg -nostdin -hide_banner -loglevel error -y "${inputs[@]}" -filter_complex "$graph" -map "[out]" \
  -c:v libx264 -preset veryfast -crf 18 -pix_fmt yuv420p -r "$rate" "$tmp"
printf '%s\n' "${cuts[@]}" >"$out.cuts.tmp.$$"
mv "$tmp" "$out"
mv "$out.cuts.tmp.$$" "$out.cuts"
echo "make_tour_video: wrote $out ($total frames at $rate fps, ${#scenes[@]} scenes, cuts at frames ${cuts[*]})"
