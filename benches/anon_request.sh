#!/usr/bin/env bash
# Issue 13's purchase request figure: the server time of POST /anon (the seed's example request:
# personal computers, CPU >= 2000 MHz, disk >= 500 GB, price <= 1500.00) on the catalog of
# `shop seed-demo --products 100000`, as one visitor sending request after request (wrk, one
# connection; each request searches, writes the preference store and keeps its results). The
# server is pinned to core 0 with one worker, wrk to core 1; CPU time per request from /proc.
#
#   bash benches/anon_request.sh                 # SQLite (synchronous=FULL), in /tmp/shop-bench-sqlite
#   DATABASE_URL=postgres://postgres@127.0.0.1/shop_bench bash benches/anon_request.sh
set -euo pipefail
cd "$(dirname "$0")/.."
if [ -z "${SHOP_BIN:-}" ]; then cargo build --release -q; fi
BIN=${SHOP_BIN:-$PWD/target/release/shop}
PORT=${PORT:-18281}
DURATION=${DURATION:-10s}
DIR=${BENCH_DIR:-/tmp/shop-bench-$( [ -n "${DATABASE_URL:-}" ] && echo pg || echo sqlite )}
mkdir -p "$DIR"
export SHOP_DATA_DIR=$DIR SHOP_ADDR=127.0.0.1:$PORT SHOP_LOG=warn SHOP_DEMO=false SHOP_WORKERS=1
command -v wrk >/dev/null || { echo "wrk is needed: apt-get install wrk" >&2; exit 1; }
if [ ! -f "$DIR/seeded" ]; then
  echo "seeding 100,000 products into $DIR ${DATABASE_URL:+($DATABASE_URL)}"
  "$BIN" seed-demo --products 100000 >/dev/null
  touch "$DIR/seeded"
fi

taskset -c 0 "$BIN" >/dev/null 2>&1 & SERVER=$!
trap 'kill -TERM $SERVER 2>/dev/null || true' EXIT
until curl -sf -o /dev/null "http://127.0.0.1:$PORT/healthz"; do sleep 0.1; done
JAR=$(mktemp)
FORM=$(curl -sf -c "$JAR" "http://127.0.0.1:$PORT/anon?kind=personal-computer")
TOKEN=$(echo "$FORM" | grep -o 'name="csrf_token" value="[^"]*"' | head -1 | sed 's/.*value="//; s/"//')
COOKIE=$(awk '$6 ~ /shop_session/ {print $6 "=" $7}' "$JAR")
BODY="csrf_token=$TOKEN&kind=personal-computer&cpu_mhz_min=2000&disk_gb_min=500&price_max=1500"
STATUS=$(curl -s -o /dev/null -w '%{http_code}' -b "$COOKIE" -H "Origin: http://127.0.0.1:$PORT" --data "$BODY" "http://127.0.0.1:$PORT/anon")
echo "one request answers $STATUS (303: results kept)"
LUA=$(mktemp --suffix=.lua)
cat > "$LUA" <<LUA
wrk.method = "POST"
wrk.body = "$BODY"
wrk.headers["Content-Type"] = "application/x-www-form-urlencoded"
wrk.headers["Cookie"] = "$COOKIE"
wrk.headers["Origin"] = "http://127.0.0.1:$PORT"
LUA
before=$(awk '{print $14 + $15}' "/proc/$SERVER/stat")
OUT=$(taskset -c 1 wrk -t1 -c1 -d"$DURATION" --latency -s "$LUA" "http://127.0.0.1:$PORT/anon")
after=$(awk '{print $14 + $15}' "/proc/$SERVER/stat")
echo "$OUT" | grep -E "Latency|50%|99%|Requests/sec|requests in|Non-2xx"
REQS=$(echo "$OUT" | awk '/requests in/ {print $1}')
TICK=$(getconf CLK_TCK)
awk -v t=$((after - before)) -v n="$REQS" -v hz="$TICK" 'BEGIN { printf "server CPU per request: %.2f ms\n", t * 1000 / hz / n }'
