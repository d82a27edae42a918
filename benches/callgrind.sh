#!/usr/bin/env bash
# Instructions per request under callgrind: one worker, 20 warm-up requests per path, then 200
# requests on one kept-alive connection, counted between `callgrind_control` zero and dump.
#
#   bash benches/callgrind.sh <shop binary> <data dir seeded by benches/catalog.sh> PATH...
#
# Prints "PATH instructions-per-request" for each path. Needs valgrind.
set -euo pipefail
BIN=$1; DIR=$2; shift 2
PORT=${PORT:-18390}
export SHOP_DATA_DIR=$DIR SHOP_ADDR=127.0.0.1:$PORT SHOP_LOG=warn SHOP_DEMO=false SHOP_WORKERS=1 SHOP_BENCH_FIXED_PAGE=$DIR/fixed.html
OUT=$(mktemp -d)
valgrind --tool=callgrind --instr-atstart=no --callgrind-out-file="$OUT/cg.%p" "$BIN" >/dev/null 2>"$OUT/valgrind.log" &
VG=$!
until curl -sf -o /dev/null "http://127.0.0.1:$PORT/healthz"; do kill -0 "$VG" || { cat "$OUT/valgrind.log"; exit 1; }; sleep 0.5; done
for p in "$@"; do
  for _ in $(seq 20); do curl -sf -o /dev/null "http://127.0.0.1:$PORT$p"; done
  urls=(); for _ in $(seq 200); do urls+=(-o /dev/null "http://127.0.0.1:$PORT$p"); done
  callgrind_control -z "$VG" >/dev/null 2>&1
  callgrind_control -i on "$VG" >/dev/null 2>&1
  curl -sf "${urls[@]}"
  callgrind_control -i off "$VG" >/dev/null 2>&1
  callgrind_control -d "$VG" >/dev/null 2>&1
  sleep 1
  dump=$(ls -t "$OUT"/cg.*.* | head -n 1)
  echo "$p $(( $(awk '/^totals:/ {print $2}' "$dump") / 200 ))"
  rm -f "$OUT"/cg.*.*
done
kill "$VG"; wait "$VG" 2>/dev/null || true
rm -rf "$OUT"
