#!/usr/bin/env bash
# The numbers of docs/SERVER.md, on loopback only and bounded: `mien bench` single-image time, then `mien serve`
# under wrk with the 640×480 one-face JPEG: 1 connection for 15 s, 8 connections for 60 s (req/s, latency, errors),
# then on until TOTAL requests are served (RSS at start / 1,000 / TOTAL), then 32 connections for 20 s
# (503 + Retry-After, nothing else).
# Usage: [SERVE_FLAGS=--no-blendshapes] scripts/server-load.sh path/to/mien [total-requests]
set -euo pipefail
cd "$(dirname "$0")/.."
MIEN="$1"
TOTAL="${2:-10000}"
photo="Tests/Fixtures/images/bench_640x480.jpg"
work="$(mktemp -d)"
echo "== $(date -u +%FT%TZ)  loadavg: $(cat /proc/loadavg)  cores: $(nproc)"
echo "== mien bench --iterations 30"
MIEN_HOME="$work" "$MIEN" bench --iterations 30 | tee "$work/bench.txt"

port="$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')"
base="http://127.0.0.1:$port"
MIEN_HOME="$work" "$MIEN" serve --host 127.0.0.1 --port "$port" --rate-limit 0 --instances 2 --queue 8 ${SERVE_FLAGS:-} >"$work/serve.log" 2>&1 &
server=$!
trap 'kill "$server" 2>/dev/null || true; wait "$server" 2>/dev/null || true; rm -rf "$work"' EXIT
for _ in $(seq 1 120); do curl -fs "$base/healthz" >/dev/null 2>&1 && break; sleep 0.5; done
cat "$work/serve.log"
rss() { awk '/VmRSS/ {printf "%.0f MiB", $2 / 1024}' "/proc/$server/status"; }
echo "== RSS at start: $(rss)"

cat >"$work/post.lua" <<LUA
wrk.method = "POST"
local f = io.open("$photo", "rb"); wrk.body = f:read("*all"); f:close()
wrk.headers["Content-Type"] = "image/jpeg"
LUA
served() { curl -s "$base/metrics" | awk '/^mien_http_requests_total\{route="\/v1\/analyze",method="POST",status="200"\}/ {print $2}'; }
run() { # label connections duration
  local threads=$(( $2 < 2 ? 1 : 2 ))
  echo "== $1: wrk -t$threads -c$2 -d$3 (loadavg before: $(cat /proc/loadavg))"
  wrk -t"$threads" -c"$2" -d"$3" --timeout 30s --latency -s "$work/post.lua" "$base/v1/analyze"
}
run "1 connection (server time per image beside mien bench)" 1 15s
run "8 connections" 8 60s
echo "== RSS after $(served) requests: $(rss)"
# The rest in one run (separate runs would abandon requests in flight at each end, and the next run's requests
# would find the queue full): its length from the rate measured so far.
rate="$(awk -v n="$(served)" 'BEGIN {print n / 75}')"
rest="$(awk -v t="$TOTAL" -v n="$(served)" -v r="$rate" 'BEGIN {s = (t - n) / r; print (s < 10 ? 10 : int(s) + 1)}')"
run "8 connections, on to about $TOTAL requests" 8 "${rest}s"
echo "== RSS after $(served) requests: $(rss)"
run "overload: 32 connections for 20 s" 32 20s
echo "== RSS after overload: $(rss)"
curl -s "$base/metrics" | grep -E '^mien_(http_requests_total\{route="/v1/analyze"|rejected_total|analysis_)' || true
echo "== Retry-After on a 503 during overload:"
wrk -t2 -c32 -d8s --timeout 30s -s "$work/post.lua" "$base/v1/analyze" >/dev/null 2>&1 &
overload=$!
sleep 3
for _ in $(seq 1 20); do
  curl -s -D - -o /dev/null -X POST --data-binary @"$photo" "$base/v1/analyze" | grep -iE '^(HTTP|Retry-After)' | tr -d '\r' | paste -sd' ' -
done | sort | uniq -c
wait "$overload"
echo "== loadavg after: $(cat /proc/loadavg)"
