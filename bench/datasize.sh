#!/usr/bin/env bash
# Flat with data size (issue 16): the same load over 10,000 keys and over 1,000,000, straight after the load and
# after a restart of every silo, and the silos' memory at that size.
#
# Starts 3 silos (N=3, R=W=2, SQLite, Normal durability) on loopback, preloads the small key set and runs `dynamo bench`
# workload A over it, then preloads the large key set (a second key prefix) and runs workload A over it, records each
# silo's RSS, stops every silo (SIGTERM), starts them again on the same data, and runs workload A over the large set
# once more at once and again after S idle seconds (the silos rebuild their anti-entropy trees after a start). Prints
# ops/s and p50/p99/p99.9 of each run, the ratios to the small set's rate, the share of gets that found more than one
# version, what the machine read from disk during each run (values the page cache no longer held), and the largest silo
# RSS.
# Stops everything it started (by PID). Installs nothing: it names the Debian packages it needs when missing.
#
# Every run is in a bucket of policy last-write-wins (created by the script), so a blind put replaces the value and the
# data keeps one version per key: the runs then differ only in key count and restart. Each run is a new process that has
# seen no key, so its first put of a key is blind. Over 10,000 keys a run puts each key many times and all but the
# first carry the context it saw, so siblings collapse; over 1,000,000 nearly every put is blind. In a bucket that
# keeps siblings, the large runs therefore stack one more version on most keys they write, run after run, and read and
# write larger sets than the small run: a difference in the workload, not in data size. --policy siblings measures
# that case (the store's default policy) and reports the share of gets that found more than one version.
#
# Usage: bench/datasize.sh [--small K] [--large K] [--seconds S] [--concurrency C] [--value-size B] [--settle S]
#                          [--out DIR] [--keep] [--engine sqlite|log] [--policy siblings|last-write-wins]
# Defaults: 10,000 and 1,000,000 keys, 30 s per run, 64 in flight, 1 KiB values, 240 s idle before the last run,
# --policy last-write-wins.
set -euo pipefail
cd "$(dirname "$0")/.."
source bench/lib.sh

small=10000
large=1000000
seconds=30
concurrency=64
value_size=1024
settle=240
out=""
keep=0
engine=${BENCH_ENGINE:-sqlite}
policy=last-write-wins
while [[ $# -gt 0 ]]; do
  case "$1" in
    --small) small=$2; shift 2 ;;
    --large) large=$2; shift 2 ;;
    --seconds) seconds=$2; shift 2 ;;
    --concurrency) concurrency=$2; shift 2 ;;
    --value-size) value_size=$2; shift 2 ;;
    --settle) settle=$2; shift 2 ;;
    --out) out=$2; shift 2 ;;
    --keep) keep=1; shift ;;
    --engine) engine=$2; shift 2 ;;
    --policy) policy=$2; shift 2 ;;
    -h|--help) sed -n '2,/^set -euo/p' "$0" | sed '$d' | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "error: unknown argument '$1' (see --help)" >&2; exit 2 ;;
  esac
done
bench_check_engine "$engine"
[[ $policy == siblings || $policy == last-write-wins ]] || { echo "error: --policy must be siblings or last-write-wins, got '$policy'" >&2; exit 2; }
for v in "$small" "$large" "$seconds" "$concurrency" "$value_size" "$settle"; do
  [[ $v =~ ^[1-9][0-9]*$ ]] || { echo "error: every option takes a positive integer, got '$v'" >&2; exit 2; }
done
(( large > small )) || { echo "error: --large ($large) must be more than --small ($small)" >&2; exit 2; }
command -v jq >/dev/null || { echo "error: missing Debian package: jq (sudo apt-get install -y jq)" >&2; exit 2; }
command -v dotnet >/dev/null || { echo "error: the .NET 10 SDK (dotnet) is not on PATH" >&2; exit 2; }

bench_scratch datasize 'silo?'

read -r -a ports <<<"$(free_ports 9)"

build_release
endpoints=()
for i in 0 1 2; do endpoints+=("http://127.0.0.1:${ports[$i]}"); done
list=$(IFS=,; echo "${endpoints[*]}")

start_silos() {
  local i n
  for i in 0 1 2; do
    n=$((i + 1))
    dotnet "$silo_dll" --config silo-config/local-cluster/silo1.json \
      --Silo:ClusterName=datasize --Silo:SiloName="silo$n" --Silo:GrpcPort="${ports[$i]}" --Silo:HttpPort=0 \
      --Silo:SiloPort="${ports[$((3 + i))]}" --Silo:GatewayPort="${ports[$((6 + i))]}" \
      --Silo:Clustering:Mode=sqlite --Silo:Clustering:SqlitePath="$tmp/cluster.db" \
      --Silo:DataDirectory="$tmp/silo$n" --Silo:StorageEngine="$engine" --Silo:Durability=Normal \
      --Silo:DefaultBucket:N=3 --Silo:DefaultBucket:R=2 --Silo:DefaultBucket:W=2 \
      >>"$tmp/silo$n.log" 2>&1 &
    pids+=($!)
  done
}
ring_complete() {
  local e
  for e in "${endpoints[@]}"; do
    [[ $("${dynamo[@]}" ring --json -e "$e" | jq '[.silos[] | select(.status == "up")] | length') == 3 ]] || return 1
  done
  "${dynamo[@]}" put -e "$list" datasize-probe ok && "${dynamo[@]}" get -e "$list" datasize-probe
}
max_rss_mib() {
  local most=0 pid r
  for pid in "${pids[@]}"; do
    r=$(ps -o rss= -p "$pid" | tr -d ' ')
    (( ${r:-0} > most )) && most=$r
  done
  echo $((most / 1024))
}
preload() { # name keys prefix
  echo "   preloading $2 keys ($3)"
  "${dynamo[@]}" bench --json --endpoint "$list" --bucket "$bucket" --workload a --keys "$2" --key-prefix "$3" --value-size "$value_size" --preload \
    --seconds 1 --warmup 0 --concurrency 64 >"$out/preload-$1.json"
  jq -r '"   \(.preload.keys) keys in \(.preload.seconds) s, \(.preload.errors) errors"' "$out/preload-$1.json"
}
# The machine's reads from disk (/proc/vmstat pgpgin, KiB), so a run that read values the page cache no longer held shows it.
disk_read_kib() { awk '$1 == "pgpgin" { print $2 }' /proc/vmstat; }
# Each run takes its own seed, so its keys are a fresh draw. With one seed every run replayed the same key sequence: a
# run's puts are blind (this process has seen no key), so in a bucket that keeps siblings the same keys gained one more
# sibling in each run, and the later runs wrote and read sets of 3 and 4 versions where the first wrote 2 (the restart
# figures paid for that).
run() { # name keys prefix seed
  local read_before
  read_before=$(disk_read_kib)
  "${dynamo[@]}" bench --json --endpoint "$list" --bucket "$bucket" --workload a --keys "$2" --key-prefix "$3" --value-size "$value_size" \
    --seconds "$seconds" --warmup 3 --concurrency "$concurrency" --seed "$4" >"$out/$1.json"
  echo $(( ($(disk_read_kib) - read_before) / 1024 )) >"$out/$1.disk-read-mib"
  jq -r --arg n "$1" '"   \($n): \(.opsPerSecond|floor) ops/s, \(.errors) errors"' "$out/$1.json"
}

echo "== starting 3 silos (N=3 R=2 W=2, $engine engine, Normal durability)"
start_silos
wait_for "the ring" 180 ring_complete
bucket=default
if [[ $policy != siblings ]]; then
  bucket=datasize
  "${dynamo[@]}" bucket create "$bucket" --n 3 --r 2 --w 2 --policy "$policy" -e "$list" >/dev/null
  echo "   bucket $bucket: N=3 R=2 W=2, $policy"
fi
preload small "$small" small
run small "$small" small 1
preload large "$large" large
run large "$large" large 2
rss_loaded=$(max_rss_mib)
echo "== restarting every silo"
stop_all
start_silos
wait_for "the ring after the restart" 300 ring_complete
run restarted "$large" large 3
echo "== idle for ${settle}s"
sleep "$settle"
run settled "$large" large 4
rss_restarted=$(max_rss_mib)

echo
echo "Machine: $(nproc) cores, $(awk '/MemTotal/ {printf "%.0f GiB", $2/1048576}' /proc/meminfo); workload A, $concurrency in flight, ${seconds}s per run, $value_size-byte values, bucket policy $policy"
echo
printf '| %-30s | %8s | %9s | %7s | %7s | %8s | %14s | %14s |\n' run "ops/s" "vs small" "p50 ms" "p99 ms" "p99.9 ms" "gets >1 version" "read from disk"
printf '|%s|%s|%s|%s|%s|%s|%s|%s|\n' -------------------------------- ---------- ----------- --------- --------- ---------- ---------------- ----------------
base=$(jq '.opsPerSecond' "$out/small.json")
for r in small large restarted settled; do
  case $r in
    small) label="$small keys" ;;
    large) label="$large keys" ;;
    restarted) label="$large keys, restarted" ;;
    settled) label="$large keys, restarted + ${settle}s" ;;
  esac
  jq -r --arg l "$label" --argjson b "$base" '"\($l)|\(.opsPerSecond)|\(.opsPerSecond / $b)|\(.operations[] | select(.op == "all") | "\(.latencyMs.p50)|\(.latencyMs.p99)|\(.latencyMs.p999)")|\(.versionsPerGet[0] | (.["2"] + .["3"] + .["4+"]) * 100 / ([.["1"] + .["2"] + .["3"] + .["4+"], 1] | max))"' "$out/$r.json" |
    while IFS='|' read -r l o ratio a b d v; do
      printf '| %-30s | %8.0f | %8.2fx | %7.2f | %7.2f | %8.2f | %13.1f%% | %10s MiB |\n' "$l" "$o" "$ratio" "$a" "$b" "$d" "$v" "$(cat "$out/$r.disk-read-mib")"
    done
done
echo
echo "read from disk: the whole machine's reads during the run's warm-up and measured seconds (pgpgin in /proc/vmstat)"
echo "largest silo RSS with $large + $small keys stored: $rss_loaded MiB after the load, $rss_restarted MiB after the restart and two runs"
echo "results: $out"
