#!/usr/bin/env bash
# Mutation fuzzing of the media decoders Mien exposes (video through OpenCV/FFmpeg, audio through FFmpeg): feeds N
# corrupted copies of the sample video and of a generated WAV (random byte flips, cut-offs, zeroed runs, spliced
# headers) to the real release binary with a time limit, and counts crashes (killed by a signal) and hangs.
# Usage: fuzz/media_mutation.sh [N=100] [seconds per run=20]. Exit 1 if any crash or hang was seen.
set -uo pipefail
cd "$(dirname "$0")/.."
n="${1:-100}" limit="${2:-20}"
mien=.build/release/mien
[ -x "$mien" ] || swift build -c release --product mien >/dev/null
work=out/fuzz-media && rm -rf "$work" && mkdir -p "$work"
export MIEN_HOME="$work/home"
video=Samples/pexels_wolfgang_langer_3063838_expressions.mp4
ffmpeg -v error -y -f lavfi -i "sine=frequency=220:duration=3" -ar 16000 "$work/tone.wav"
crashes=0 hangs=0 runs=0
for kind in video voice; do
  seed_file=$([ "$kind" = video ] && echo "$video" || echo "$work/tone.wav")
  for i in $(seq 1 "$n"); do
    f="$work/case_${kind}_$i.$([ "$kind" = video ] && echo mp4 || echo wav)"
    python3 - "$seed_file" "$f" "$i" <<'PY'
import random, sys
src, dst, seed = sys.argv[1], sys.argv[2], int(sys.argv[3])
r = random.Random(seed)
b = bytearray(open(src, "rb").read())
op = seed % 4
if op == 0:                       # flip random bytes, denser near the header
    for _ in range(r.randint(1, 64)):
        i = r.randrange(min(len(b), 4096)) if r.random() < 0.5 else r.randrange(len(b))
        b[i] = r.randrange(256)
elif op == 1:                     # cut off
    b = b[: r.randrange(1, len(b))]
elif op == 2:                     # zero a run
    i = r.randrange(len(b)); b[i:i + r.randint(1, 5000)] = bytes(min(len(b) - i, 5000))
else:                             # header of the file, then random bytes
    b = b[: r.randint(8, 512)] + bytes(r.randrange(256) for _ in range(r.randint(0, 20000)))
open(dst, "wb").write(b)
PY
    if [ "$kind" = video ]; then
      timeout "$limit" "$mien" video --measures-only --jsonl "$work/out.jsonl" "$f" >/dev/null 2>&1
    else
      timeout "$limit" "$mien" voice --measures-only --json "$f" >/dev/null 2>&1
    fi
    rc=$?
    runs=$((runs + 1))
    if [ $rc -eq 124 ]; then hangs=$((hangs + 1)); echo "hang: $f"
    elif [ $rc -ge 128 ]; then crashes=$((crashes + 1)); echo "crash ($rc): $f"
    else rm -f "$f"; fi
  done
done
echo "$runs runs, $crashes crashes, $hangs hangs (limit ${limit}s each); failing cases kept in $work"
[ $crashes -eq 0 ] && [ $hangs -eq 0 ]
