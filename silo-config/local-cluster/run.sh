#!/usr/bin/env bash
# Starts the three-silo local cluster (silo1..3 on gRPC ports 11111-11113, dashboards on 8081-8083)
# and stops all three on Ctrl-C. Run from the repository root.
set -euo pipefail
cd "$(dirname "$0")/../.."
dotnet build src/OrleansDynamo.Silo -c Release -v q -nologo
pids=()
for i in 1 2 3; do
  dotnet src/OrleansDynamo.Silo/bin/Release/net10.0/OrleansDynamo.Silo.dll --config "silo-config/local-cluster/silo$i.json" &
  pids+=($!)
done
trap 'kill "${pids[@]}" 2>/dev/null; wait' INT TERM EXIT
wait
