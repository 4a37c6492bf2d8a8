#!/usr/bin/env bash
# The face mesh's cost in the video path: `mien bench --video` with the mesh on every frame, every 3rd, every 5th
# (… any list) and off, interleaved over ROUNDS rounds in one run so that load from other work falls on every
# setting alike, beside the `fer` package once on the same frames; prints frames/s per setting (best and median of
# the rounds), the ratio to fer, and the load average before and after.
#
#   scripts/bench-video-blendshapes.sh [VIDEO] [FRAMES] [ROUNDS] [SETTINGS]
#
# VIDEO defaults to the 640×480 crop of the sample that scripts/bench-video-vs-fer.sh makes (out/bench/), FRAMES to
# 472 (all), ROUNDS to 3, SETTINGS to "1 3 5 0" (0 = mesh off; a trailing x, e.g. "12x", turns off the extra mesh
# runs on blink candidates, --no-eyelid-trigger). MIEN and PY as in bench-video-vs-fer.sh; PY= (empty) skips fer.
set -euo pipefail
cd "$(dirname "$0")/.."
SAMPLE=Samples/pexels_wolfgang_langer_3063838_expressions.mp4
VIDEO=${1:-out/bench/expressions_640x480.mp4}
FRAMES=${2:-472}
ROUNDS=${3:-3}
SETTINGS=${4:-1 3 5 0}
MIEN=${MIEN:-.build/release/mien}
PY=${PY-.venv-fer/bin/python}

[ -x "$MIEN" ] || { echo "no $MIEN: run 'swift build -c release' first" >&2; exit 2; }
if [ ! -f "$VIDEO" ]; then
    mkdir -p "$(dirname "$VIDEO")"
    ffmpeg -v error -y -i "$SAMPLE" -vf scale=854:480,crop=640:480:214:0 -c:v libx264 -preset medium -crf 18 \
        -pix_fmt yuv420p -an -threads 1 "$VIDEO"
fi
echo "video: $VIDEO, first $FRAMES frames, $ROUNDS rounds of: $SETTINGS (0 = mesh off); load average before $(cut -d' ' -f1-3 /proc/loadavg)"
results=$(mktemp)
trap 'rm -f "$results"' EXIT
for round in $(seq "$ROUNDS"); do
    for k in $SETTINGS; do
        extra=()
        [ "${k%x}" != "$k" ] && extra=(--no-eyelid-trigger)
        json=$("$MIEN" bench --video "$VIDEO" --frames "$FRAMES" --threads 1 --blendshapes-every "${k%x}" "${extra[@]}" --json)
        python3 -c 'import json,sys; s=json.loads(sys.argv[1])["speed"]; m=s["stageMs"]
print(sys.argv[2], sys.argv[3], s["framesPerSecond"], m.get("blendshapes", 0), m.get("blendshapes-wait", 0))' \
            "$json" "$k" "$round" >> "$results"
    done
done
fer_fps=""
if [ -n "$PY" ] && [ -x "$PY" ]; then
    fer_json=$(mktemp)
    "$PY" training/peers/bench_fer_video.py "$VIDEO" --frames "$FRAMES" --modes loop --out "$fer_json" > /dev/null
    fer_fps=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["videos"][0]["results"][0]["fps"])' "$fer_json")
    rm -f "$fer_json"
fi
echo "load average after $(cut -d' ' -f1-3 /proc/loadavg)"
python3 - "$results" "$fer_fps" <<'PY'
import sys, statistics
rows = [l.split() for l in open(sys.argv[1])]
fer = float(sys.argv[2]) if sys.argv[2] else None
print("mesh every | frames/s per round | best | median | mesh ms/frame (worker) | vs fer (best)")
for k in dict.fromkeys(r[0] for r in rows):
    fps = [float(r[2]) for r in rows if r[0] == k]
    mesh = statistics.median(float(r[3]) for r in rows if r[0] == k)
    ratio = f"{max(fps) / fer:.1f}x" if fer else "-"
    print(f"{'off' if k in ('0', '0x') else k:>10} | {' / '.join(f'{v:.1f}' for v in fps)} | {max(fps):.1f} | "
          f"{statistics.median(fps):.1f} | {mesh:.2f} | {ratio}")
if fer:
    print(f"fer (loop mode, once): {fer:.1f} frames/s")
PY
