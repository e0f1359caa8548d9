#!/usr/bin/env bash
# Health-checker benchmark on the host (docs/benchmarks.md, "Health checks"): N real servers served
# by one small epoll process (httpd.c) on loopback addresses 127.1.0.1.., checked by the
# NativeAOT binary alone. Not run by `make test`.
# usage: health-bench.sh [SERVERS=10000] [SECONDS=60] [KIND=http]
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../../../.." && pwd)
servers=${1:-10000}
seconds=${2:-60}
kind=${3:-http}
port=8080
bin=${APPLIANCE_BIN:-$root/out/bin/appliance}
[ -x "$bin" ] || { echo "health-bench: $bin missing; run make first" >&2; exit 2; }
mkdir -p "$root/out/bench"
gcc -O2 -Wall -Werror -o "$root/out/bench/health-httpd" "$here/httpd.c"
log=$(mktemp)
# The servers run at a higher priority (nice -10) so that on a shared machine they are not the
# bottleneck; the checker runs at normal priority.
# setsid: the workers form their own process group, ended together by the trap.
setsid nice -n -10 "$root/out/bench/health-httpd" 127.1.0.1 "$servers" "$port" "${SERVER_WORKERS:-2}" >"$log" 2>&1 &
server=$!
trap 'kill -- -"$server" 2>/dev/null; rm -f "$log"' EXIT
for _ in $(seq 100); do grep -q listening "$log" && break; kill -0 "$server" || { cat "$log" >&2; exit 1; }; sleep 0.1; done
grep -q listening "$log" || { echo "health-bench: server did not start" >&2; cat "$log" >&2; exit 1; }
echo "# $(date -u +%FT%TZ) $(uname -r), $(nproc) CPUs, load $(cut -d' ' -f1-3 /proc/loadavg)"
echo "# CHECKER_NICE=${CHECKER_NICE:-0} $bin health bench --servers $servers --from 127.1.0.1 --port $port --kind $kind --seconds $seconds"
# CHECKER_NICE=-10 gives the checker the priority it has on its own box when this host is shared.
nice -n "${CHECKER_NICE:-0}" "$bin" health bench --servers "$servers" --from 127.1.0.1 --port "$port" --kind "$kind" --seconds "$seconds"
# The kernel's floor on this machine: the same HTTP check from C, blocking, back to back.
gcc -O2 -Wall -Werror -o "$root/out/bench/health-floor" "$here/floor.c"
floor_servers=$(( servers < 1000 ? servers : 1000 ))
"$root/out/bench/health-floor" 127.1.0.1 "$floor_servers" "$port" 5
