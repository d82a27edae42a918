#!/usr/bin/env bash
# The fixed page and a card's picture in turns on one server (one worker on core 0, wrk on core
# 1): user and system CPU per request from /proc/PID/stat. Uses a data dir benches/catalog.sh made.
#
#   SHOP_BIN=target/release/shop BENCH_DIR=/tmp/shop-bench-sqlite bash benches/picture.sh
set -euo pipefail
BIN=${SHOP_BIN:-target/release/shop}; DIR=${BENCH_DIR:-/tmp/shop-bench-sqlite}; PORT=${PORT:-18292}
export SHOP_DATA_DIR=$DIR SHOP_ADDR=127.0.0.1:$PORT SHOP_LOG=warn SHOP_DEMO=false SHOP_WORKERS=1 SHOP_BENCH_FIXED_PAGE=$DIR/fixed.html
[ -f "$DIR/fixed.html" ] || { echo "run benches/catalog.sh with BENCH_DIR=$DIR first" >&2; exit 1; }
taskset -c 0 "$BIN" >/dev/null 2>&1 & SERVER=$!
until curl -sf -o /dev/null "http://127.0.0.1:$PORT/healthz"; do kill -0 "$SERVER" || exit 1; sleep 0.1; done
PICTURE=$(grep -oE '/pictures/[0-9a-f]+/thumb\.jpg' "$DIR/fixed.html" | head -n 1)
TICK=$(getconf CLK_TCK)
for turn in 1 2 3 4; do
  for path in /_bench/fixed "$PICTURE"; do
    read -r user0 sys0 < <(awk '{print $14, $15}' "/proc/$SERVER/stat")
    n=$(taskset -c 1 wrk -t1 -c64 -d8s "http://127.0.0.1:$PORT$path" | awk '/requests in/ {print $1}')
    read -r user1 sys1 < <(awk '{print $14, $15}' "/proc/$SERVER/stat")
    echo "$turn $path" | awk -v u=$((user1 - user0)) -v s=$((sys1 - sys0)) -v n="$n" -v t="$TICK" \
      '{printf "%s %-52s user %5.1f us  system %5.1f us  (%d requests)\n", $1, $2, u/t*1e6/n, s/t*1e6/n, n}'
  done
done
kill "$SERVER"
