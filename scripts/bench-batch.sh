#!/usr/bin/env bash
# Images/s of `mien batch --jobs 1` and `--jobs 2` against `mien analyze` over one folder of images (docs/BATCH.md).
# Usage: scripts/bench-batch.sh FOLDER [MIEN]   (MIEN defaults to the release build in .build-batch)
# Whole-process wall time, model loading included; the load average is printed before and after each command
# because other work on the machine changes the figures.
set -euo pipefail
folder="$1"
mien="${2:-$(dirname "$0")/../.build-batch/release/mien}"
n=$(find "$folder" -type f | wc -l)
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
export MIEN_HOME="$work/home"
measure() {
    local label="$1"; shift
    local before after start end
    before=$(cut -d' ' -f1-3 /proc/loadavg)
    start=$(date +%s.%N)
    "$@" > /dev/null 2> "$work/err" || true
    end=$(date +%s.%N)
    after=$(cut -d' ' -f1-3 /proc/loadavg)
    awk -v l="$label" -v s="$start" -v e="$end" -v n="$n" -v b="$before" -v a="$after" \
        'BEGIN { printf "%-22s %6.2f s  %6.1f images/s  (load before %s, after %s)\n", l, e - s, n / (e - s), b, a }'
}
for round in 1 2; do
    measure "batch --jobs 1" "$mien" batch "$folder" --out "$work/j1-$round.sqlite" --jobs 1 --quiet
    measure "batch --jobs 2" "$mien" batch "$folder" --out "$work/j2-$round.sqlite" --jobs 2 --quiet
    measure "analyze (one process)" "$mien" analyze "$folder"
done
