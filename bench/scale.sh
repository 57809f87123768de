#!/usr/bin/env bash
# Scale-out and coordination (issue 16): the same load on 3 and on 5 silos, what each operation costs in silo CPU,
# and client- against server-driven coordination in one run.
#
# For each silo count (default "3 5") it starts that many silos (N=3, R=W=2, SQLite, Normal durability) on loopback
# with a fresh cluster, preloads K keys, and runs `dynamo bench` workload A (client-coordinated) for S seconds. It
# reads every silo's CPU time (utime + stime in /proc) before and after, and prints ops/s, silo CPU seconds, and
# operations per silo CPU-second: on a machine with fewer cores than processes, ops/s alone cannot show scale-out, but
# the CPU an operation costs can. With the largest count it then runs workload A with `--coordination both` (half
# the workers let the SDK route to the key's preference list, half send to a random silo, which forwards) and prints
# each lane's p50/p99/p99.9 and the share of requests forwarded (the silos' `forwarded` counter against their gets and
# puts). Before the measured run each cluster serves the same load unmeasured for W seconds (--warmup): a fresh silo
# spends its first minute of load compiling its hot code again (.NET's tiered JIT: about 17 % of the silos' CPU in the
# first 20 s of load, measured), and that cost is per process, so five silos pay it five times where three pay it
# three times; --warmup 0 measures from the first second of load instead. Then it measures the silos' CPU use with no
# load (10 s), the fixed cost of running more of them. Stops everything it started (by PID). Installs nothing: it names
# the Debian packages it needs when missing.
#
# Usage: bench/scale.sh [--silos "3 5"] [--seconds S] [--warmup W] [--concurrency C] [--keys K] [--value-size B] [--out DIR] [--keep] [--engine sqlite|log]
# Defaults: silos "3 5", 30 s per run after a 60 s warm-up, 64 in flight, 100,000 keys, 1 KiB values.
set -euo pipefail
cd "$(dirname "$0")/.."
source bench/lib.sh

counts="3 5"
seconds=30
warmup=60
concurrency=64
keys=100000
value_size=1024
out=""
keep=0
engine=${BENCH_ENGINE:-sqlite}
while [[ $# -gt 0 ]]; do
  case "$1" in
    --silos) counts=$2; shift 2 ;;
    --seconds) seconds=$2; shift 2 ;;
    --warmup) warmup=$2; shift 2 ;;
    --concurrency) concurrency=$2; shift 2 ;;
    --keys) keys=$2; shift 2 ;;
    --value-size) value_size=$2; shift 2 ;;
    --out) out=$2; shift 2 ;;
    --keep) keep=1; shift ;;
    --engine) engine=$2; shift 2 ;;
    -h|--help) sed -n '2,20p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "error: unknown argument '$1' (see --help)" >&2; exit 2 ;;
  esac
done
bench_check_engine "$engine"
for c in $counts; do
  [[ $c =~ ^[0-9]+$ && $c -ge 3 && $c -le 9 ]] || { echo "error: --silos takes counts from 3 to 9 (N=3), got '$c'" >&2; exit 2; }
done
for v in "$seconds" "$concurrency" "$keys" "$value_size"; do
  [[ $v =~ ^[1-9][0-9]*$ ]] || { echo "error: --seconds, --concurrency, --keys and --value-size take positive integers, got '$v'" >&2; exit 2; }
done
[[ $warmup =~ ^(0|[1-9][0-9]*)$ ]] || { echo "error: --warmup takes a whole number of seconds (0: none), got '$warmup'" >&2; exit 2; }
command -v jq >/dev/null || { echo "error: missing Debian package: jq (sudo apt-get install -y jq)" >&2; exit 2; }
command -v dotnet >/dev/null || { echo "error: the .NET 10 SDK (dotnet) is not on PATH" >&2; exit 2; }

bench_scratch scale 'run-*'

build_release
ticks=$(getconf CLK_TCK)

cpu_ticks() { # the silos' utime + stime, in clock ticks
  local total=0 pid v
  for pid in "${pids[@]}"; do
    v=$(awk '{print $14 + $15}' "/proc/$pid/stat")
    total=$((total + v))
  done
  echo "$total"
}
counter_sum() { # counter, endpoints...
  local name=$1 total=0 e v; shift
  for e in "$@"; do
    v=$("${dynamo[@]}" status --json -e "$e" | jq --arg c "$name" '.counters[$c] // 0')
    total=$((total + v))
  done
  echo "$total"
}

declare -A ops_per_s cpu_s per_cpu p50 p99 p999 idle_cores
max=0
for c in $counts; do (( c > max )) && max=$c; done
for c in $counts; do
  run="$tmp/run-$c"
  mkdir -p "$run"
  read -r -a ports <<<"$(free_ports $((3 * c)))"
  endpoints=()
  echo "== $c silos: starting (N=3 R=2 W=2, $engine engine, Normal durability)"
  for ((i = 0; i < c; i++)); do
    n=$((i + 1))
    endpoints+=("http://127.0.0.1:${ports[$i]}")
    dotnet "$silo_dll" --config silo-config/local-cluster/silo1.json \
      --Silo:ClusterName="scale$c" --Silo:SiloName="silo$n" --Silo:GrpcPort="${ports[$i]}" --Silo:HttpPort=0 \
      --Silo:SiloPort="${ports[$((c + i))]}" --Silo:GatewayPort="${ports[$((2 * c + i))]}" \
      --Silo:Clustering:Mode=sqlite --Silo:Clustering:SqlitePath="$run/cluster.db" \
      --Silo:DataDirectory="$run/silo$n" --Silo:StorageEngine="$engine" --Silo:Durability=Normal \
      --Silo:DefaultBucket:N=3 --Silo:DefaultBucket:R=2 --Silo:DefaultBucket:W=2 \
      >"$run/silo$n.log" 2>&1 &
    pids+=($!)
  done
  list=$(IFS=,; echo "${endpoints[*]}")
  ring_complete() {
    local e
    for e in "${endpoints[@]}"; do
      [[ $("${dynamo[@]}" ring --json -e "$e" | jq '.silos | length') == "$c" ]] || return 1
    done
    "${dynamo[@]}" put -e "$list" scale-probe ok && "${dynamo[@]}" get -e "$list" scale-probe
  }
  wait_for "the $c-silo ring" 180 ring_complete
  echo "   preloading $keys keys"
  "${dynamo[@]}" bench --json --endpoint "$list" --workload a --keys "$keys" --value-size "$value_size" --preload \
    --seconds 1 --warmup 0 --concurrency 64 >"$out/preload-$c.json"
  if [[ $warmup -gt 0 ]]; then
    echo "   warming up: workload A for ${warmup}s, not measured"
    "${dynamo[@]}" bench --json --endpoint "$list" --workload a --keys "$keys" --value-size "$value_size" \
      --seconds "$warmup" --warmup 0 --concurrency "$concurrency" >"$out/warmup-$c.json"
  fi
  sleep 10 # the preload's background work (anti-entropy trees) settles
  idle0=$(cpu_ticks)
  sleep 10
  idle_cores[$c]=$(awk -v t=$(( $(cpu_ticks) - idle0 )) -v k="$ticks" 'BEGIN { printf "%.2f", t / k / 10 }')
  before=$(cpu_ticks)
  "${dynamo[@]}" bench --json --endpoint "$list" --workload a --keys "$keys" --value-size "$value_size" \
    --seconds "$seconds" --warmup 0 --concurrency "$concurrency" >"$out/a-$c.json"
  after=$(cpu_ticks)
  ops=$(jq '.ops' "$out/a-$c.json")
  errors=$(jq '.errors' "$out/a-$c.json")
  ops_per_s[$c]=$(jq '.opsPerSecond' "$out/a-$c.json")
  cpu_s[$c]=$(awk -v t=$((after - before)) -v k="$ticks" 'BEGIN { printf "%.1f", t / k }')
  per_cpu[$c]=$(awk -v o="$ops" -v s="${cpu_s[$c]}" 'BEGIN { printf "%.0f", o / s }')
  p50[$c]=$(jq '.operations[] | select(.op == "all") | .latencyMs.p50' "$out/a-$c.json")
  p99[$c]=$(jq '.operations[] | select(.op == "all") | .latencyMs.p99' "$out/a-$c.json")
  p999[$c]=$(jq '.operations[] | select(.op == "all") | .latencyMs.p999' "$out/a-$c.json")
  echo "   workload A: ${ops_per_s[$c]} ops/s, $errors errors, ${cpu_s[$c]} silo CPU-s, ${per_cpu[$c]} ops per silo CPU-s (idle before: ${idle_cores[$c]} cores)"

  if [[ $c -eq $max ]]; then
    fwd0=$(counter_sum forwarded "${endpoints[@]}")
    req0=$(( $(counter_sum gets "${endpoints[@]}") + $(counter_sum puts "${endpoints[@]}") ))
    "${dynamo[@]}" bench --json --endpoint "$list" --workload a --keys "$keys" --value-size "$value_size" --coordination both \
      --seconds "$seconds" --warmup 0 --concurrency "$concurrency" >"$out/both-$c.json"
    fwd1=$(counter_sum forwarded "${endpoints[@]}")
    req1=$(( $(counter_sum gets "${endpoints[@]}") + $(counter_sum puts "${endpoints[@]}") ))
    both_forwarded=$((fwd1 - fwd0))
    both_requests=$((req1 - req0))
  fi
  stop_all
done

echo
echo "Machine: $(nproc) cores, $(awk '/MemTotal/ {printf "%.0f GiB", $2/1048576}' /proc/meminfo); $keys keys of $value_size bytes, workload A, $concurrency in flight, ${seconds}s per run after ${warmup}s of unmeasured load"
echo
printf '| %5s | %8s | %10s | %13s | %10s | %7s | %7s | %8s |\n' silos "ops/s" "silo CPU s" "ops per CPU-s" "idle cores" "p50 ms" "p99 ms" "p99.9 ms"
printf '|%s|%s|%s|%s|%s|%s|%s|%s|\n' -------  ---------- ------------ --------------- ------------ --------- --------- ----------
for c in $counts; do
  printf '| %5s | %8.0f | %10s | %13s | %10s | %7.2f | %7.2f | %8.2f |\n' "$c" "${ops_per_s[$c]}" "${cpu_s[$c]}" "${per_cpu[$c]}" "${idle_cores[$c]}" "${p50[$c]}" "${p99[$c]}" "${p999[$c]}"
done
echo "(idle cores: the silos' CPU use over 10 s with no load, just before the run, in cores)"
first=${counts%% *}
if [[ $first != "$max" ]]; then
  awk -v a="${per_cpu[$first]}" -v b="${per_cpu[$max]}" -v f="$first" -v m="$max" 'BEGIN {
    printf "\nops per silo CPU-second, %d -> %d silos: %.2fx (issue 16: must not fall more than 10%%, i.e. >= 0.90x)\n", f, m, b / a }'
fi
echo
echo "--coordination both on $max silos:"
printf '| %-6s | %8s | %7s | %7s | %8s |\n' lane "ops/s" "p50 ms" "p99 ms" "p99.9 ms"
printf '|%s|%s|%s|%s|%s|\n' -------- ---------- --------- --------- ----------
jq -r '.operations[] | select(.op == "all") | "\(if .lane == "" then "all" else .lane end) \(.opsPerSecond) \(.latencyMs.p50) \(.latencyMs.p99) \(.latencyMs.p999)"' "$out/both-$max.json" |
  while read -r lane o a b d; do printf '| %-6s | %8.0f | %7.2f | %7.2f | %8.2f |\n' "$lane" "$o" "$a" "$b" "$d"; done
awk -v f="$both_forwarded" -v r="$both_requests" 'BEGIN {
  printf "requests forwarded by the silo that received them: %d of %d coordinated (%.1f%%)\n", f, r, (r > 0 ? 100 * f / r : 0) }'
echo "results: $out"
