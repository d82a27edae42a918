#!/bin/bash
# Instructions per completed flow of the orders benchmark, counted by valgrind (repeatable on a
# shared machine whose speed drifts, where time is not): (instructions of a long run - those of a
# short run) / (flows of the long run - flows of the short run), so the set-up cancels out.
# usage: benches/instructions_per_flow.sh target/release/deps/orders-<hash> orders|anon|points [short_s long_s]
set -uo pipefail
bin=$1; flow=$2; short=${3:-5}; long=${4:-35}
run() {
  out=$(ORDERS_BENCH_CLIENTS=4 ORDERS_BENCH_FLOWS=$flow ORDERS_BENCH_SECONDS=$1 valgrind --tool=callgrind --callgrind-out-file=/dev/null $bin 2>&1)
  done=$(echo "$out" | grep -oE "done [0-9]+" | head -1 | grep -oE "[0-9]+")
  ir=$(echo "$out" | grep -oE "Collected : [0-9]+" | grep -oE "[0-9]+")
  echo "$done $ir"
}
read d1 i1 < <(run $short)
read d2 i2 < <(run $long)
python3 -c "print('$(basename $bin) $flow flows $d1/$d2 instructions per flow: %.0f k' % (($i2-$i1)/($d2-$d1)/1000))"
