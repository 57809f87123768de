#!/usr/bin/env bash
# A fault run of any length: the same runner and report as the CI fault test (test/OrleansDynamo.Faults), with the
# seed, silo count and time you choose. Real silo processes on loopback (Release build) under the seeded nemesis:
# kill -9 of one, two or all silos, SIGSTOP pauses, iptables link cuts one way and both ways, a silo restarted with
# its clock minutes ahead (libfaketime), a silo whose data tmpfs fills up. Then the checkers; see docs/reliability.md.
# A failing run prints its seed, its schedule and the command that replays it, and keeps its files (silo logs, the
# report, the timeline) in the directory it names. Needs root (tmpfs mounts, iptables); cleans up what it added.
#
# Usage: bench/faults.sh [--minutes M | --seconds S] [--steps K] [--seed N] [--silos 3-5] [--plant BUG] [--clock-behind] [--keep]
#                        [--convergence-bound S] [--dir DIR]
# Defaults: 30 minutes, seed 1, 5 silos. --plant: ack-before-write, skip-tombstones or no-read-repair (also turns
# anti-entropy off) — planted bugs the checkers must catch. --clock-behind: clock skews may also go backwards (a silo
# more than a few seconds behind is declared dead by Orleans membership: a known limit, docs/reliability.md).
set -euo pipefail
cd "$(dirname "$0")/.."

args=()
minutes_given=0
silos_given=0
while [[ $# -gt 0 ]]; do
  case "$1" in
    --minutes|--seconds) minutes_given=1; args+=("$1" "$2"); shift 2 ;;
    --silos) silos_given=1; args+=("$1" "$2"); shift 2 ;;
    --seed|--plant|--dir|--convergence-bound|--steps) args+=("$1" "$2"); shift 2 ;;
    --keep|--clock-behind) args+=("$1"); shift ;;
    -h|--help) sed -n '2,15p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "error: unknown argument '$1' (see --help)" >&2; exit 2 ;;
  esac
done
[[ $minutes_given -eq 1 ]] || args+=(--minutes 30)
[[ $silos_given -eq 1 ]] || args+=(--silos 5)

[[ $(id -u) -eq 0 ]] || { echo "error: the fault runner needs root (tmpfs mounts, iptables)" >&2; exit 2; }
missing=()
command -v iptables >/dev/null || missing+=(iptables)
[[ -e /usr/lib/x86_64-linux-gnu/faketime/libfaketime.so.1 ]] || missing+=(faketime)
if [[ ${#missing[@]} -gt 0 ]]; then
  echo "error: missing Debian packages: ${missing[*]} (apt-get install -y ${missing[*]})" >&2
  exit 2
fi

echo "== building (Release)"
log=$(mktemp)
dotnet build test/OrleansDynamo.Faults -c Release -v q -nologo >"$log" 2>&1 || { cat "$log" >&2; exit 1; }
rm -f "$log"
exec dotnet test/OrleansDynamo.Faults/bin/Release/net10.0/OrleansDynamo.Faults.dll "${args[@]}"
