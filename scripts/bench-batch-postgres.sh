#!/usr/bin/env bash
# Tasks/s of 1, 2 and 3 `mien worker` processes (one thread each) on one PostgreSQL run over a folder of images, with
# each worker's claim latency (p50/p99, from its closing line) and peak RSS (docs/BATCH.md).
# Usage: scripts/bench-batch-postgres.sh FOLDER [POSTGRES_URL] [MIEN]
# The URL's job tables are dropped and made again for each count of workers.
set -euo pipefail
folder="$1"
url="${2:-postgres://mien:mien@127.0.0.1:5432/mien_test?sslmode=disable}"
mien="${3:-$(dirname "$0")/../.build-batch/release/mien}"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
export MIEN_HOME="$work/home"
db="${url%%\?*}"
for workers in 1 2 3; do
    psql -q "$db" -c "DROP TABLE IF EXISTS result, task, run, mien_store" >/dev/null
    "$mien" batch "$folder" --postgres "$url" --enqueue-only --quiet 2>/dev/null
    before=$(cut -d' ' -f1-3 /proc/loadavg)
    start=$(date +%s.%N)
    for w in $(seq 1 "$workers"); do
        /usr/bin/time -f "peak RSS %M KB" "$mien" worker --postgres "$url" --jobs 1 --quiet > /dev/null 2> "$work/w$w.err" &
    done
    wait
    end=$(date +%s.%N)
    n=$(psql -qAt "$db" -c "SELECT count(*) FROM task WHERE state = 'done'")
    awk -v w="$workers" -v s="$start" -v e="$end" -v n="$n" -v b="$before" -v a="$(cut -d' ' -f1-3 /proc/loadavg)" \
        'BEGIN { printf "%d worker(s): %d tasks in %.2f s = %.1f tasks/s (load before %s, after %s)\n", w, n, e - s, n / (e - s), b, a }'
    for w in $(seq 1 "$workers"); do
        echo "  worker $w: $(grep -h 'claims p50' "$work/w$w.err" | sed 's/.*claims/claims/'); $(grep -h 'peak RSS' "$work/w$w.err")"
    done
done
