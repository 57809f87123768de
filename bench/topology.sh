#!/usr/bin/env bash
# A silo joins and then leaves a loaded cluster: how long each change takes, how many keys it moves, and what the
# foreground load feels while it runs.
#
# Starts 3 silos (N=3, R=W=2, SQLite, Normal durability) on loopback, preloads K keys, runs `dynamo bench` workload A
# throughout with per-slice figures, starts a fourth silo's process after a baseline (not a member: AutoJoin off),
# lets it settle, makes it join with `dynamo join --wait` (it receives its partitions), makes it leave with
# `dynamo leave --wait` once the join is complete, and prints per slice ops/s and p50/p99/p99.9 with the phase each
# slice fell in (baseline, start, join, joined, leave, left), then per change: time to complete (from the command to
# every silo idle), keys moved cluster-wide (transfer_keys_sent of every silo), keys/s, and the worst slice's p99
# against the p99 of the last slice before the change. Stops everything it started (by PID).
# Installs nothing: it names the Debian packages it needs when they are missing.
#
# Usage: bench/topology.sh [--keys K] [--concurrency C] [--slice S] [--baseline S] [--settle S] [--value-size B]
#                          [--partitions Q] [--timeout S] [--out DIR] [--keep] [--engine sqlite|log]
# Defaults: 200,000 keys, 16 in flight, 10 s slices, 30 s baseline, 20 s settle after each change, 1 KiB values,
# Q = 1024, each change given at most 900 s. BENCH_SILO_ARGS adds settings to every silo's command line for an A/B run,
# e.g. BENCH_SILO_ARGS='--Silo:Admission:PaceTargetFactor=1.25'.
set -euo pipefail
cd "$(dirname "$0")/.."
source bench/lib.sh

keys=200000
concurrency=16
slice=10
baseline=30
settle=20
value_size=1024
partitions=1024
change_timeout=900
out=""
keep=0
engine=${BENCH_ENGINE:-sqlite}
while [[ $# -gt 0 ]]; do
  case "$1" in
    --keys) keys=$2; shift 2 ;;
    --concurrency) concurrency=$2; shift 2 ;;
    --slice) slice=$2; shift 2 ;;
    --baseline) baseline=$2; shift 2 ;;
    --settle) settle=$2; shift 2 ;;
    --value-size) value_size=$2; shift 2 ;;
    --partitions) partitions=$2; shift 2 ;;
    --timeout) change_timeout=$2; shift 2 ;;
    --out) out=$2; shift 2 ;;
    --keep) keep=1; shift ;;
    --engine) engine=$2; shift 2 ;;
    -h|--help) sed -n '2,18p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "error: unknown argument '$1' (see --help)" >&2; exit 2 ;;
  esac
done
bench_check_engine "$engine"

command -v jq >/dev/null || { echo "error: missing Debian package: jq (sudo apt-get install -y jq)" >&2; exit 2; }
command -v dotnet >/dev/null || { echo "error: the .NET 10 SDK (dotnet) is not on PATH" >&2; exit 2; }

bench_scratch topology 'silo?'

read -r -a ports <<<"$(free_ports 12)"
grpc=("${ports[@]:0:4}")
orleans_silo=("${ports[@]:4:4}")
orleans_gateway=("${ports[@]:8:4}")

build_release

endpoint() { echo "http://127.0.0.1:${grpc[$1]}"; }
start_silo() { # index (0-based), extra silo arguments...
  local i=$1 n=$(( $1 + 1 )); shift
  dotnet "$silo_dll" --config silo-config/local-cluster/silo1.json "$@" \
    --Silo:ClusterName=topology --Silo:SiloName="silo$n" --Silo:GrpcPort="${grpc[$i]}" --Silo:HttpPort=0 \
    --Silo:SiloPort="${orleans_silo[$i]}" --Silo:GatewayPort="${orleans_gateway[$i]}" \
    --Silo:Clustering:Mode=sqlite --Silo:Clustering:SqlitePath="$tmp/cluster.db" --Silo:PartitionCount="$partitions" \
    --Silo:DataDirectory="$tmp/silo$n" --Silo:StorageEngine="$engine" --Silo:Durability=Normal \
    --Silo:DefaultBucket:N=3 --Silo:DefaultBucket:R=2 --Silo:DefaultBucket:W=2 ${BENCH_SILO_ARGS:-} \
    >"$tmp/silo$n.log" 2>&1 &
  pids+=($!)
}
status_of() { "${dynamo[@]}" status --json -e "$(endpoint "$1")"; }
# Every silo answering (indices given) sees exactly these silos up and no transfer in progress.
settled() { # count-up indices...
  local up=$1; shift
  local i
  for i in "$@"; do
    local s
    s=$(status_of "$i") || return 1
    [[ $(jq '[.silos[] | select(.status == "up")] | length' <<<"$s") == "$up" ]] || return 1
    [[ $(jq '.transfers | length' <<<"$s") == 0 ]] || return 1
  done
}
keys_sent() { # the cluster-wide sum of transfer_keys_sent over the silos given
  local total=0 i v
  for i in "$@"; do
    v=$(status_of "$i" | jq '.counters.transfer_keys_sent // 0')
    total=$((total + v))
  done
  echo "$total"
}

echo "== starting 3 silos (N=3 R=2 W=2, $engine engine, Normal durability, Q=$partitions)"
for i in 0 1 2; do start_silo "$i"; done
three=$(IFS=,; echo "$(endpoint 0),$(endpoint 1),$(endpoint 2)")
wait_for "the 3-silo ring" 180 settled 3 0 1 2
echo "== preloading $keys keys of $value_size bytes"
"${dynamo[@]}" bench --json --endpoint "$three" --workload a --keys "$keys" --value-size "$value_size" --preload \
  --seconds 1 --warmup 0 --concurrency 64 >"$out/preload.json"
jq -r '"   \(.preload.keys) keys in \(.preload.seconds) s, \(.preload.errors) errors"' "$out/preload.json"

# The foreground load runs until it is stopped (SIGTERM: it then reports what it measured) after the leave has settled.
echo "== foreground: workload A, $concurrency in flight, ${slice}s slices"
"${dynamo[@]}" bench --json --endpoint "$three" --workload a --keys "$keys" --value-size "$value_size" \
  --seconds 86400 --warmup 0 --slice-seconds "$slice" --concurrency "$concurrency" >"$out/foreground.json" 2>"$tmp/foreground.err" &
bench_pid=$!
pids+=($bench_pid)
bench_start=$SECONDS
at() { echo $((SECONDS - bench_start)); }

sleep "$baseline"
# silo4's process starts first without joining (JIT, Orleans and SQLite start on the same cores); the change is the join.
process_start=$(at)
echo "== t=${process_start}s: silo4's process starts (not a member yet)"
start_silo 3 --Silo:AutoJoin=false
wait_for "silo4 to answer" 180 status_of 3
# Read before the settle, not just before the join: each `dynamo status` is a process start (about 0.3 s of a core
# here), and three of them fell in the join's first slice. Nothing is transferred meanwhile: silo4 is not a member.
sent_before_join=$(keys_sent 0 1 2)
sleep "$settle"
join_start=$(at)
echo "== t=${join_start}s: silo4 joins (dynamo join --wait)"
"${dynamo[@]}" join --seed "$(endpoint 0)" -e "$(endpoint 3)" --wait --wait-timeout "$change_timeout" --json >"$out/join.json"
wait_for "the join of silo4" "$change_timeout" settled 4 0 1 2 3
join_end=$(at)
sent_after_join=$(keys_sent 0 1 2 3)
echo "   joined and settled at t=${join_end}s"

sleep "$settle"
leave_start=$(at)
echo "== t=${leave_start}s: silo4 leaves"
"${dynamo[@]}" leave silo4 -e "$(endpoint 0)" --wait --wait-timeout "$change_timeout" --json >"$out/leave.json"
left() { [[ $(status_of 0 | jq -r '.silos[] | select(.name == "silo4") | .status') == left ]] && settled 3 0 1 2; }
wait_for "the leave of silo4" "$change_timeout" left
leave_end=$(at)
sent_after_leave=$(keys_sent 0 1 2 3)
echo "   left and settled at t=${leave_end}s"

sleep "$settle"
kill -TERM "$bench_pid" # (a background job of a script ignores SIGINT)
wait "$bench_pid" || true
[[ -s "$out/foreground.json" ]] || { echo "error: the foreground bench wrote no report (see $tmp/foreground.err)" >&2; exit 1; }

# ---- the tables ----
phase_of() { # slice start second
  local t=$1
  if (( t + slice <= process_start )); then echo baseline
  elif (( t + slice <= join_start )); then echo start
  elif (( t < join_end )); then echo join
  elif (( t + slice <= leave_start )); then echo joined
  elif (( t < leave_end )); then echo leave
  else echo left; fi
}
echo
echo "Machine: $(nproc) cores, $(awk '/MemTotal/ {printf "%.0f GiB", $2/1048576}' /proc/meminfo); $keys keys of $value_size bytes, Q=$partitions, N=3 R=2 W=2, workload A at $concurrency in flight"
echo
printf '| %6s | %-8s | %8s | %7s | %7s | %8s | %6s |\n' "from s" "phase" "ops/s" "p50 ms" "p99 ms" "p99.9 ms" "errors"
printf '|%s|%s|%s|%s|%s|%s|%s|\n' "--------" "----------" "----------" "---------" "---------" "----------" "--------"
jq -r '.slices[] | "\(.start) \(.opsPerSecond) \(.latencyMs.p50) \(.latencyMs.p99) \(.latencyMs.p999) \(.errors)"' "$out/foreground.json" |
  while read -r start ops p50 p99 p999 errors; do
    s=${start%.*}
    printf '| %6s | %-8s | %8.0f | %7.2f | %7.2f | %8.2f | %6s |\n' "$s" "$(phase_of "$s")" "$ops" "$p50" "$p99" "$p999" "$errors"
  done
summary() { # name start end keys-moved
  local name=$1 start=$2 end=$3 moved=$4
  local before worst
  before=$(jq --argjson t "$start" --argjson d "$slice" '[.slices[] | select(.start + $d <= $t)] | last | .latencyMs.p99 // 0' "$out/foreground.json")
  worst=$(jq --argjson a "$start" --argjson b "$end" --argjson d "$slice" '[.slices[] | select(.start + $d > $a and .start < $b) | .latencyMs.p99] | max // 0' "$out/foreground.json")
  awk -v k="$keys" -v n="$name" -v s="$start" -v e="$end" -v m="$moved" -v b="$before" -v w="$worst" 'BEGIN {
    d = e - s; if (d < 1) d = 1;
    printf "%s: %d s, %d keys moved cluster-wide (%.2f per stored key, %.0f keys/s); p99 %.2f ms in the slice before, worst slice during %.2f ms (%.1fx)\n", n, d, m, m / k, m / d, b, w, (b > 0 ? w / b : 0)
  }'
}
echo
summary "join " "$join_start" "$join_end" $((sent_after_join - sent_before_join))
summary "leave" "$leave_start" "$leave_end" $((sent_after_leave - sent_after_join))
jq -r '"foreground: \(.ops) ops in \(.seconds|floor) s, \(.errors) errors \(.errorsByKind)"' "$out/foreground.json"
echo "results: $out"
