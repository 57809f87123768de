#!/usr/bin/env bash
# Starts the three-silo local cluster (silo1..3 on gRPC ports 11111-11113, dashboards on 8081-8083)
# and stops all three on Ctrl-C, or as soon as one of them stops (say, a port in use: stop the dev silo
# first, it uses 11111 too), with that silo's exit code. Runs from any directory: it works in the repository root.
set -euo pipefail
cd "$(dirname "$0")/../.."
dotnet build src/OrleansDynamo.Silo -c Release -v q -nologo
pids=()
for i in 1 2 3; do
  dotnet src/OrleansDynamo.Silo/bin/Release/net10.0/OrleansDynamo.Silo.dll --config "silo-config/local-cluster/silo$i.json" &
  pids+=($!)
done
stop() { kill "${pids[@]}" 2>/dev/null || true; wait || true; }
trap 'stop; exit 130' INT TERM
trap stop EXIT
status=0
wait -n || status=$?
echo "run.sh: a silo stopped (exit $status); stopping the others" >&2
exit "$status"
