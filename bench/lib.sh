# Shared by the bench scripts (sourced, not run): free loopback ports, bounded waits, the Release build.
# A script that sources it keeps the PIDs it started in the array `pids` and its scratch folder in `tmp`.

# True when nothing listens on 127.0.0.1:$1.
port_free() { ! (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

# Prints $1 free loopback ports, from a random start between 20000 and 40000.
free_ports() {
  local found=() candidate=$(( 20000 + (RANDOM % 2000) * 10 ))
  while [[ ${#found[@]} -lt $1 ]]; do
    candidate=$((candidate + 1))
    if port_free "$candidate"; then found+=("$candidate"); fi
  done
  echo "${found[@]}"
}

# wait_for WHAT SECONDS COMMAND...: runs COMMAND each second until it succeeds; exits the script with an error naming
# WHAT after SECONDS, or at once when a process in `pids` has exited.
wait_for() {
  local what=$1 limit=$2; shift 2
  local deadline=$((SECONDS + limit)) pid
  until "$@" >/dev/null 2>&1; do
    if [[ $SECONDS -ge $deadline ]]; then echo "error: $what not done after ${limit}s (logs in $tmp)" >&2; exit 1; fi
    for pid in "${pids[@]}"; do
      kill -0 "$pid" 2>/dev/null || { echo "error: process $pid exited while waiting for $what (logs in $tmp)" >&2; exit 1; }
    done
    sleep 1
  done
}

# Publishes the silo as a deployment would (Release, ReadyToRun: docs/operations.md, "Deploying a silo"), builds the CLI
# (Release), and sets `silo_dll` and the command array `dynamo`.
build_release() {
  local rid
  case "$(uname -m)" in
    x86_64) rid=linux-x64 ;;
    aarch64) rid=linux-arm64 ;;
    *) echo "error: no .NET runtime identifier known for $(uname -m)" >&2; exit 2 ;;
  esac
  echo "== publishing the silo (Release, ReadyToRun, $rid) and building the CLI"
  dotnet publish src/OrleansDynamo.Silo -c Release -r "$rid" --self-contained false -p:PublishReadyToRun=true -v q -nologo \
    >"$tmp/build-silo.log" 2>&1 || { cat "$tmp/build-silo.log" >&2; exit 1; }
  dotnet build src/OrleansDynamo.Cli -c Release -v q -nologo >"$tmp/build-cli.log" 2>&1 || { cat "$tmp/build-cli.log" >&2; exit 1; }
  silo_dll=$PWD/src/OrleansDynamo.Silo/bin/Release/net10.0/$rid/publish/OrleansDynamo.Silo.dll
  dynamo=(dotnet "$PWD/src/OrleansDynamo.Cli/bin/Release/net10.0/dynamo.dll")
}

# Stops every process in `pids` (SIGTERM) and waits for each.
stop_all() {
  local pid
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  for pid in "${pids[@]}"; do wait "$pid" 2>/dev/null || true; done
  pids=()
}

# bench_scratch NAME DATA-GLOB...: makes the scratch folder `tmp` (and `out`, unless set), empties `pids`, and on exit
# (also on Ctrl-C or an error) stops every process in `pids` and, unless `keep` is 1, removes the data folders matching
# each DATA-GLOB under `tmp`; logs and results stay.
bench_scratch() {
  tmp=$(mktemp -d "${TMPDIR:-/tmp}/dynamo-$1.XXXXXX")
  shift
  scratch_data=("$@")
  out=${out:-$tmp/results}
  mkdir -p "$out"
  pids=()
  trap bench_cleanup EXIT
  trap 'exit 130' INT TERM
}

bench_cleanup() {
  local status=$? glob
  stop_all
  if [[ ${keep:-0} -eq 0 ]]; then
    for glob in "${scratch_data[@]}"; do rm -rf "$tmp"/$glob; done
  fi
  exit "$status"
}

# The silos' storage engine (--engine / BENCH_ENGINE): sqlite (the default) or log; memory is refused, as every script
# here restarts silos or measures what a durable store costs.
bench_check_engine() {
  [[ $1 == sqlite || $1 == log ]] || { echo "error: --engine must be sqlite or log, got '$1'" >&2; exit 2; }
}
