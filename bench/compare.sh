#!/usr/bin/env bash
# OrleansDynamo vs etcd and Redis, one tool, one workload, one machine.
#
# Starts 3 silos (N=3, R=W=2, SQLite unless --engine log, Normal durability), a 3-member etcd cluster (Raft) and a Redis primary with two
# replicas (append-only file fsynced every second, each put followed by WAIT 1: the closest thing to W=2 on an
# in-memory store) on loopback, runs `dynamo bench` workload A (50% get / 50% put, keys preloaded) and workload w
# (100% put) against each for the same duration and concurrency, then both workloads again with one operation in
# flight (latency), stops everything it started (by PID), and prints the three systems' figures and the ratios
# ours/etcd and ours/redis. Installs nothing: it names the Debian packages it needs when they are missing.
#
# Usage: bench/compare.sh [--seconds S] [--concurrency C] [--keys K] [--value-size B] [--warmup S]
#                         [--no-preload] [--out DIR] [--keep] [--engine sqlite|log] [--coordination MODE]
# The same settings can come from the environment: BENCH_SECONDS, BENCH_CONCURRENCY, BENCH_KEYS,
# BENCH_VALUE_SIZE, BENCH_WARMUP, BENCH_PRELOAD=0, BENCH_OUT. BENCH_SILO_ARGS adds settings to every silo's command
# line for an A/B run, e.g. BENCH_SILO_ARGS='--Silo:Dashboard:OrleansDashboard=false'.
# --coordination is the SDK's mode for our runs (client, server or client-reads; BENCH_COORDINATION): client-reads,
# where the client asks the replicas itself and a get takes one round trip.
# Defaults: 20 s per run, 64 in flight, 100,000 keys, 1 KiB values, 3 s warm-up, preload on.
set -euo pipefail
cd "$(dirname "$0")/.."
source bench/lib.sh

seconds=${BENCH_SECONDS:-20}
concurrency=${BENCH_CONCURRENCY:-64}
keys=${BENCH_KEYS:-100000}
value_size=${BENCH_VALUE_SIZE:-1024}
warmup=${BENCH_WARMUP:-3}
preload=${BENCH_PRELOAD:-1}
out=${BENCH_OUT:-}
keep=0
engine=${BENCH_ENGINE:-sqlite}
coordination=${BENCH_COORDINATION:-client-reads}
while [[ $# -gt 0 ]]; do
  case "$1" in
    --seconds) seconds=$2; shift 2 ;;
    --concurrency) concurrency=$2; shift 2 ;;
    --keys) keys=$2; shift 2 ;;
    --value-size) value_size=$2; shift 2 ;;
    --warmup) warmup=$2; shift 2 ;;
    --no-preload) preload=0; shift ;;
    --out) out=$2; shift 2 ;;
    --keep) keep=1; shift ;;
    --engine) engine=$2; shift 2 ;;
    --coordination) coordination=$2; shift 2 ;;
    -h|--help) sed -n '2,18p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "error: unknown argument '$1' (see --help)" >&2; exit 2 ;;
  esac
done
bench_check_engine "$engine"
case "$coordination" in
  client|server|client-reads) ;;
  *) echo "error: --coordination must be client, server or client-reads, not '$coordination'" >&2; exit 2 ;;
esac

# ---- prerequisites: nothing is installed here ----
missing=()
command -v etcd >/dev/null || missing+=(etcd-server)
command -v etcdctl >/dev/null || missing+=(etcd-client)
command -v redis-server >/dev/null || missing+=(redis-server)
command -v redis-cli >/dev/null || missing+=(redis-tools)
command -v jq >/dev/null || missing+=(jq)
if [[ ${#missing[@]} -gt 0 ]]; then
  echo "error: missing Debian packages: ${missing[*]}" >&2
  echo "       install them with: sudo apt-get install -y ${missing[*]}" >&2
  exit 2
fi
command -v dotnet >/dev/null || { echo "error: the .NET 10 SDK (dotnet) is not on PATH" >&2; exit 2; }

bench_scratch compare 'silo?' 'etcd?' 'redis?'

# ---- free loopback ports: 3 silo gRPC ports, 3 client + 3 peer ports for etcd, 3 Orleans silo + 3 gateway ports, 3 Redis ----
read -r -a ports <<<"$(free_ports 18)"
silo_ports=("${ports[@]:0:3}")
etcd_client=("${ports[@]:3:3}")
etcd_peer=("${ports[@]:6:3}")
orleans_silo=("${ports[@]:9:3}")
orleans_gateway=("${ports[@]:12:3}")
redis_ports=("${ports[@]:15:3}")

build_release

echo "== starting 3 silos on ports ${silo_ports[*]} (N=3 R=2 W=2, $engine engine, Normal durability)"
silo_endpoints=()
for i in 0 1 2; do silo_endpoints+=("http://127.0.0.1:${silo_ports[$i]}"); done
for i in 0 1 2; do
  n=$((i + 1))
  # The silos meet through Orleans membership on one SQLite file (no seeds).
  dotnet "$silo_dll" --config "silo-config/local-cluster/silo$n.json" \
    --Silo:ClusterName=bench --Silo:SiloName="silo$n" --Silo:GrpcPort="${silo_ports[$i]}" --Silo:HttpPort=0 \
    --Silo:SiloPort="${orleans_silo[$i]}" --Silo:GatewayPort="${orleans_gateway[$i]}" \
    --Silo:Clustering:Mode=sqlite --Silo:Clustering:SqlitePath="$tmp/cluster.db" \
    --Silo:DataDirectory="$tmp/silo$n" --Silo:StorageEngine="$engine" --Silo:Durability=Normal \
    --Silo:DefaultBucket:N=3 --Silo:DefaultBucket:R=2 --Silo:DefaultBucket:W=2 ${BENCH_SILO_ARGS:-} \
    >"$tmp/silo$n.log" 2>&1 &
  pids+=($!)
  echo "$!" >"$tmp/silo$n.pid"
done

echo "== starting a 3-member etcd cluster on client ports ${etcd_client[*]}"
initial=""
for i in 0 1 2; do initial+="${initial:+,}e$((i + 1))=http://127.0.0.1:${etcd_peer[$i]}"; done
etcd_endpoints=()
for i in 0 1 2; do
  n=$((i + 1))
  etcd_endpoints+=("http://127.0.0.1:${etcd_client[$i]}")
  etcd --name "e$n" --data-dir "$tmp/etcd$n" \
    --listen-client-urls "http://127.0.0.1:${etcd_client[$i]}" --advertise-client-urls "http://127.0.0.1:${etcd_client[$i]}" \
    --listen-peer-urls "http://127.0.0.1:${etcd_peer[$i]}" --initial-advertise-peer-urls "http://127.0.0.1:${etcd_peer[$i]}" \
    --initial-cluster "$initial" --initial-cluster-state new --initial-cluster-token "bench-$$" \
    >"$tmp/etcd$n.log" 2>&1 &
  pids+=($!)
  echo "$!" >"$tmp/etcd$n.pid"
done
echo "== starting a Redis primary on port ${redis_ports[0]} with replicas on ${redis_ports[1]} ${redis_ports[2]}"
for i in 0 1 2; do
  n=$((i + 1))
  mkdir -p "$tmp/redis$n"
  replica=()
  [[ $i -gt 0 ]] && replica=(--replicaof 127.0.0.1 "${redis_ports[0]}")
  redis-server --port "${redis_ports[$i]}" --bind 127.0.0.1 --dir "$tmp/redis$n" --save "" \
    --appendonly yes --appendfsync everysec "${replica[@]}" >"$tmp/redis$n.log" 2>&1 &
  pids+=($!)
done
silo_list=$(IFS=,; echo "${silo_endpoints[*]}")
etcd_list=$(IFS=,; echo "${etcd_endpoints[*]}")

ring_complete() {
  local endpoint
  for endpoint in "${silo_endpoints[@]}"; do
    [[ $("${dynamo[@]}" ring --json -e "$endpoint" | jq '.silos | length') == 3 ]] || return 1
  done
  "${dynamo[@]}" put -e "$silo_list" compare-probe ok && "${dynamo[@]}" get -e "$silo_list" compare-probe
}
wait_for "the silos' ring" 120 ring_complete
wait_for "etcd" 60 etcdctl --endpoints="$etcd_list" endpoint health
redis_endpoint="redis://127.0.0.1:${redis_ports[0]}"
redis_replicas_online() { [[ $(redis-cli -p "${redis_ports[0]}" info replication | grep -c 'state=online') == 2 ]]; }
wait_for "the Redis replicas" 60 redis_replicas_online
echo "== both clusters ready; results in $out"

run() { # name target endpoints workload extra-args...
  local name=$1 target=$2 endpoints=$3 workload=$4; shift 4
  local in_flight=${RUN_CONCURRENCY:-$concurrency} run_seconds=${RUN_SECONDS:-$seconds}
  echo "-- $name: $target workload $workload, ${run_seconds}s, $in_flight in flight"
  "${dynamo[@]}" bench --json --target "$target" --endpoint "$endpoints" --workload "$workload" \
    --seconds "$run_seconds" --warmup "$warmup" --concurrency "$in_flight" --keys "$keys" --value-size "$value_size" "$@" \
    >"$out/$name.json"
  jq -r '"   \(.opsPerSecond|floor) ops/s, p99.9 \(.operations[-1].latencyMs.p999) ms, \(.errors) errors"' "$out/$name.json"
}
preload_arg=()
[[ $preload -eq 1 ]] && preload_arg=(--preload)
# Workload A reads preloaded keys; workload w writes a fresh key range, so that its first write to a key
# is an insert and later ones carry the context the bench saw (no blind-write siblings).
run dynamo-a dynamo "$silo_list" a "${preload_arg[@]}" --coordination "$coordination"
run etcd-a etcd "$etcd_list" a "${preload_arg[@]}"
run redis-a redis "$redis_endpoint" a "${preload_arg[@]}"
run dynamo-w dynamo "$silo_list" w --key-prefix w --coordination "$coordination"
run etcd-w etcd "$etcd_list" w --key-prefix w
run redis-w redis "$redis_endpoint" w --key-prefix w
# Latency with one operation in flight (the issue's concurrency-1 target), over the keys written above.
single_seconds=$(( seconds < 10 ? seconds : 10 ))
RUN_CONCURRENCY=1 RUN_SECONDS=$single_seconds run dynamo-a1 dynamo "$silo_list" a --coordination "$coordination"
RUN_CONCURRENCY=1 RUN_SECONDS=$single_seconds run etcd-a1 etcd "$etcd_list" a
RUN_CONCURRENCY=1 RUN_SECONDS=$single_seconds run redis-a1 redis "$redis_endpoint" a
RUN_CONCURRENCY=1 RUN_SECONDS=$single_seconds run dynamo-w1 dynamo "$silo_list" w --key-prefix w --coordination "$coordination"
RUN_CONCURRENCY=1 RUN_SECONDS=$single_seconds run etcd-w1 etcd "$etcd_list" w --key-prefix w
RUN_CONCURRENCY=1 RUN_SECONDS=$single_seconds run redis-w1 redis "$redis_endpoint" w --key-prefix w

rss_kib=0
for n in 1 2 3; do
  r=$(ps -o rss= -p "$(cat "$tmp/silo$n.pid")" | tr -d ' ')
  [[ ${r:-0} -gt $rss_kib ]] && rss_kib=$r
done

# ---- the table ----
echo
echo "Machine: $(nproc) cores, $(awk '/MemTotal/ {printf "%.0f GiB", $2/1048576}' /proc/meminfo), $(lscpu | sed -n 's/^Model name: *//p' | head -1)"
echo "Settings: ${seconds}s per run, $concurrency in flight, $keys keys, $value_size-byte values, preload=$preload; silos N=3 R=2 W=2 $engine Normal, $coordination-coordinated${BENCH_SILO_ARGS:+ then $BENCH_SILO_ARGS}; etcd $(etcd --version | head -1 | awk '{print $3}') 3 members, linearizable gets; redis $(redis-server --version | sed -n 's/.*v=\([^ ]*\).*/\1/p') primary + 2 replicas, AOF everysec, WAIT 1 per put, gets from the primary"
echo
printf '| %-8s | %-8s | %13s | %10s | %9s | %10s | %10s |\n' "Workload" "Figure" "OrleansDynamo" "etcd" "ours/etcd" "redis" "ours/redis"
printf '|%s|%s|%s|%s|%s|%s|%s|\n' "----------" "----------" "---------------" "------------" "-----------" "------------" "------------"
row() { # workload label jq-expression decimals
  local workload=$1 label=$2 expr=$3 decimals=$4
  local ours etcd redis
  ours=$(jq -r "$expr" "$out/dynamo-$workload.json")
  etcd=$(jq -r "$expr" "$out/etcd-$workload.json")
  redis=$(jq -r "$expr" "$out/redis-$workload.json")
  ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (b > 0) printf "%.2f", a / b; else print "-" }'; }
  printf "| %-8s | %-8s | %13.${decimals}f | %10.${decimals}f | %9s | %10.${decimals}f | %10s |\n" \
    "$workload" "$label" "$ours" "$etcd" "$(ratio "$ours" "$etcd")" "$redis" "$(ratio "$ours" "$redis")"
}
for workload in a w; do
  row "$workload" "ops/s" '.opsPerSecond' 0
  row "$workload" "p50 ms" '.operations[-1].latencyMs.p50' 2
  row "$workload" "p99 ms" '.operations[-1].latencyMs.p99' 2
  row "$workload" "p99.9 ms" '.operations[-1].latencyMs.p999' 2
  row "$workload" "max ms" '.operations[-1].latencyMs.max' 1
  row "$workload" "errors" '.errors' 0
done
echo
echo "One operation in flight (${single_seconds}s per run):"
echo
printf '| %-8s | %-8s | %13s | %10s | %9s | %10s | %10s |\n' "Workload" "Figure" "OrleansDynamo" "etcd" "ours/etcd" "redis" "ours/redis"
printf '|%s|%s|%s|%s|%s|%s|%s|\n' "----------" "----------" "---------------" "------------" "-----------" "------------" "------------"
for workload in a1 w1; do
  row "$workload" "ops/s" '.opsPerSecond' 0
  for op in get put; do
    if [[ $(jq -r --arg op "$op" '[.operations[] | select(.op == $op)] | length' "$out/dynamo-$workload.json") -gt 0 ]]; then
      row "$workload" "$op p50" "[.operations[] | select(.op == \"$op\")][0].latencyMs.p50" 2
      row "$workload" "$op p99" "[.operations[] | select(.op == \"$op\")][0].latencyMs.p99" 2
    fi
  done
done
echo
echo "Versions per get (workload a, OrleansDynamo): $(jq -r '.versionsPerGet[0] | "1: \(."1"), 2: \(."2"), 3: \(."3"), 4+: \(."4+"), not found: \(.notFound)"' "$out/dynamo-a.json")"
echo "Largest silo resident memory after the runs: $((rss_kib / 1024)) MiB"
echo "Raw JSON: $out"
