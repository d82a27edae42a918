#!/usr/bin/env bash
# Issue 3's catalog figures: requests/s, p50/p99 and server CPU time per request for a filtered
# catalog page, a product page and a fixed page of the same size served without the database.
# The server is pinned to core 0 with one worker, wrk to core 1.
#
#   bash benches/catalog.sh                      # SQLite, in /tmp/shop-bench-sqlite
#   DATABASE_URL=postgres://postgres@127.0.0.1/shop_bench bash benches/catalog.sh
#
# The catalog is made once with `shop seed-demo --products 100000` (about 150,000 offers).
set -euo pipefail
cd "$(dirname "$0")/.."
# SHOP_BIN: a binary built otherwise (e.g. a quicker profile while trying things); else the release build.
if [ -z "${SHOP_BIN:-}" ]; then cargo build --release -q; fi
BIN=${SHOP_BIN:-$PWD/target/release/shop}
PORT=${PORT:-18280}
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

SEARCH="/catalog?kind=personal-computer&cpu_mhz_min=2000&cpu_mhz_max=4000&disk_gb_min=500&price_max=1500&sort=price"

start() { taskset -c 0 "$BIN" >/dev/null 2>&1 & SERVER=$!; until curl -sf -o /dev/null "http://127.0.0.1:$PORT/healthz"; do sleep 0.1; done; }
stop() { kill -TERM "$SERVER"; wait "$SERVER" || true; }
cpu_ticks() { awk '{print $14 + $15}' "/proc/$SERVER/stat"; }

start
curl -sf "http://127.0.0.1:$PORT$SEARCH" > "$DIR/fixed.html"
CODE=$(grep -oE 'href="/catalog/[A-Z0-9]+"' "$DIR/fixed.html" | head -n 1 | sed 's/.*catalog\///; s/"//')
curl -sf "http://127.0.0.1:$PORT/catalog/$CODE" > "$DIR/product.html"
# A card's picture (since issue 12; none with older binaries).
PICTURE=$(grep -oE '/pictures/[0-9a-f]+/thumb\.jpg' "$DIR/fixed.html" | head -n 1 || true)
stop
echo "filtered page $(wc -c < "$DIR/fixed.html") bytes, product page $(wc -c < "$DIR/product.html") bytes"

export SHOP_BENCH_FIXED_PAGE=$DIR/fixed.html
start
TICK=$(getconf CLK_TCK)
HALF=$(( ${DURATION%s} / 2 ))
run() { # label path; prints one line and appends "label cpu_us" to $DIR/cpu
  local before after out requests rss cpu
  curl -sf -o /dev/null "http://127.0.0.1:$PORT$2"   # warm
  before=$(cpu_ticks)
  (sleep "$HALF"; awk '/VmRSS/ {print $2}' "/proc/$SERVER/status" > "$DIR/rss") &
  local reader=$!
  out=$(taskset -c 1 wrk -t1 -c64 -d"$DURATION" --latency "http://127.0.0.1:$PORT$2")
  after=$(cpu_ticks)
  wait "$reader"
  requests=$(echo "$out" | awk '/requests in/ {print $1}')
  rss=$(cat "$DIR/rss")
  cpu=$(echo "$after $before $requests $TICK" | awk '{printf "%.1f", ($1-$2)/$4*1e6/$3}')
  echo "$1 $cpu" >> "$DIR/cpu"
  printf '%-16s %9s req/s  p50 %8s  p99 %8s  CPU/request %6.1f us  RSS %s MB  (%s requests, errors: %s)\n' "$1" \
    "$(echo "$out" | awk '/Requests\/sec/ {print $2}')" \
    "$(echo "$out" | awk '$1=="50%" {print $2}')" \
    "$(echo "$out" | awk '$1=="99%" {print $2}')" \
    "$cpu" "$((rss / 1024))" "$requests" \
    "$(echo "$out" | grep -oE 'Non-2xx or 3xx responses: [0-9]+|Socket errors.*' || echo none)"
}
# The machine's speed drifts over minutes: the pages take turns, several rounds, and each round's
# ratios compare runs minutes apart at most.
: > "$DIR/cpu"
for round in $(seq "${ROUNDS:-3}"); do
  echo "round $round"
  run "fixed page" "/_bench/fixed"
  run "filtered catalog" "$SEARCH"
  run "product page" "/catalog/$CODE"
  if [ -n "$PICTURE" ]; then run "picture" "$PICTURE"; fi
done
awk '{ cpu = $NF; $NF = ""; sub(/ $/, ""); n[$0]++; at[$0, n[$0]] = cpu }
  END {
    for (r = 1; r <= n["fixed page"]; r++)
      printf "round %d: filtered catalog %.1fx, product page %.1fx%s the fixed page\n", r,
        at["filtered catalog", r] / at["fixed page", r], at["product page", r] / at["fixed page", r],
        n["picture"] ? sprintf(", picture %.2fx", at["picture", r] / at["fixed page", r]) : ""
  }' "$DIR/cpu"
# Server time of one search alone: one connection, so no queueing in the measurement.
out=$(taskset -c 1 wrk -t1 -c1 -d5s --latency "http://127.0.0.1:$PORT$SEARCH")
echo "filtered catalog, one connection: p50 $(echo "$out" | awk '$1=="50%" {print $2}'), p99 $(echo "$out" | awk '$1=="99%" {print $2}')"
stop
