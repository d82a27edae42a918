#!/usr/bin/env bash
# Figures of issue 2: time from start to the first 200 on /healthz (new and existing database),
# release binary size, resident memory when idle. Run from the repository: bash benches/startup.sh
# Needs only bash and the release build; RUNS=n sets the repetitions (median reported).
set -euo pipefail
cd "$(dirname "$0")/.."
cargo build --release -q
BIN=target/release/shop
RUNS=${RUNS:-11}
PORT=${PORT:-18199}
if (exec 3<>"/dev/tcp/127.0.0.1/$PORT") 2>/dev/null; then
  echo "port $PORT is in use; set PORT=..." >&2
  exit 1
fi
WORK=$(mktemp -d)

trap 'rm -rf "$WORK"' EXIT

# One HTTP probe through bash's /dev/tcp: no process start per poll, so the clock stays honest.
healthy() {
  exec 3<>"/dev/tcp/127.0.0.1/$PORT" || return 1
  printf 'GET /healthz HTTP/1.0\r\n\r\n' >&3
  local status
  read -r status <&3 || true
  exec 3>&-
  [[ $status == *" 200 "* ]]
}

# Starts the shop on folder $1 and leaves it running (pid in SERVER); ELAPSED_US is the time in
# microseconds until /healthz answered 200.
start_and_time() {
  local t0 t1
  t0=$(date +%s%N)
  SHOP_DATA_DIR="$1" SHOP_ADDR="127.0.0.1:$PORT" SHOP_LOG=warn "$BIN" >/dev/null 2>&1 &
  SERVER=$!
  until healthy 2>/dev/null; do :; done
  t1=$(date +%s%N)
  ELAPSED_US=$(((t1 - t0) / 1000))
}

stop() { kill -TERM "$SERVER"; wait "$SERVER" || true; }

median() { sort -n | awk '{a[NR]=$1} END {m=(NR%2)?a[(NR+1)/2]:(a[NR/2]+a[NR/2+1])/2; printf "%.1f ms (min %.1f, max %.1f, n=%d)\n", m/1000, a[1]/1000, a[NR]/1000, NR}'; }

new_db=()
existing_db=()
for i in $(seq 1 "$RUNS"); do
  dir="$WORK/run$i"
  start_and_time "$dir"; new_db+=("$ELAPSED_US"); stop
  start_and_time "$dir"; existing_db+=("$ELAPSED_US"); stop
done
echo "start to first 200 on /healthz, new SQLite database (migrate + demo seed): $(printf '%s\n' "${new_db[@]}" | median)"
echo "start to first 200 on /healthz, existing SQLite database:                  $(printf '%s\n' "${existing_db[@]}" | median)"

echo "release binary size: $(stat -c %s "$BIN") bytes ($(du -h "$BIN" | cut -f1))"

start_and_time "$WORK/idle"

sleep 3
echo "resident memory when idle (VmRSS, $(nproc) workers): $(awk '/VmRSS/ {print $2, $3}' "/proc/$SERVER/status")"
stop
