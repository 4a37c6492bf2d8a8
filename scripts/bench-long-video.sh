#!/usr/bin/env bash
# 10-minute 720p video through mien batch with 60-second segments (--jobs 2), then the 2-minute clip in one piece and
# in segments, in segments detecting on every frame (--detect-every 1, batch's default before 2026-12-01), and through
# `mien video` for comparison, all release build.
# Usage: scripts/bench-long-video.sh   (makes the test videos from the sample with ffmpeg into $MEDIA, default /tmp)
set -u
MEDIA="${MEDIA:-/tmp}"
LONG="$MEDIA/long720.mp4"; CLIP="$MEDIA/clip120.mp4"
sample="$(cd "$(dirname "$0")/.." && pwd)/Samples/pexels_wolfgang_langer_3063838_expressions.mp4"
[ -f "$LONG" ] || ffmpeg -v error -y -stream_loop 30 -i "$sample" -t 600 -vf scale=1280:720 -an -c:v libx264 \
  -preset veryfast -crf 23 "$LONG"
[ -f "$CLIP" ] || ffmpeg -v error -y -i "$LONG" -t 120 -c copy "$CLIP"
cd "$(dirname "$0")/.."
T=$(mktemp -d); export MIEN_HOME=$T
run() { # label input segment [more batch options]
  echo "== $1 (loadavg before: $(cut -d' ' -f1-3 /proc/loadavg))"
  /usr/bin/time -f "%e s wall, %U s user, %M KB maxrss" .build/release/mien batch "$2" --out "$T/$1.sqlite" --video-segment "$3" --jobs 2 --quiet "${@:4}"
  .build/release/mien batch export "$T/$1.sqlite" --csv "$T/$1.csv"
}
echo "== $(date -u +%FT%TZ) cores $(nproc)"
run long-seg60 "$LONG" 60
run clip-seg0 "$CLIP" 0
run clip-seg60 "$CLIP" 60
run clip-seg60-k1 "$CLIP" 60 --detect-every 1
echo "== mien video on the clip (loadavg before: $(cut -d' ' -f1-3 /proc/loadavg))"
/usr/bin/time -f "%e s wall, %U s user, %M KB maxrss" .build/release/mien video "$CLIP" --csv "$T/clip-video.csv" >/dev/null
python3 - "$T" <<'PY'
import csv, sys, collections
T=sys.argv[1]
a=list(csv.reader(open(T+'/clip-seg0.csv'))); b=list(csv.reader(open(T+'/clip-seg60.csv')))
h=a[0]; maxd=collections.defaultdict(float); same_ids=all(x[4]==y[4] for x,y in zip(a[1:],b[1:]))
for ra,rb in zip(a[1:],b[1:]):
    for i,(x,y) in enumerate(zip(ra,rb)):
        if x!=y:
            try: maxd[h[i]]=max(maxd[h[i]],abs(float(x)-float(y)))
            except: maxd[h[i]]=float('nan')
print("clip rows", len(a)-1, len(b)-1, "track ids identical:", same_ids)
print("max differences:", dict(sorted(maxd.items(), key=lambda kv: -kv[1] if kv[1]==kv[1] else 0)[:8]))
c=list(csv.reader(open(T+'/long-seg60.csv')))
print("long rows", len(c)-1, "track ids:", collections.Counter(r[4] for r in c[1:]))
PY
echo "== done $(date -u +%FT%TZ) loadavg $(cut -d' ' -f1-3 /proc/loadavg)"
