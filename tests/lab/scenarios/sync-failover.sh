#!/usr/bin/env bash
# Connection sync on the real kernel: the appliance's sync settings and the kernel defaults
# (what keepalived gives), side by side in one guest, at failover and failback.
#   tests/lab/scenarios/sync-failover.sh [planned|unplanned] [COUNT] [HOLD_S] [TIMEOUT] [IDLE_KEEPALIVE_MS]
# Exit 0 only if the appliance pair kept every connection at failover and at failback AND the
# kernel-defaults pair shows the failure the configuration provokes: with TIMEOUT < HOLD_S
# (default 12 < 30: the backup's single sync expires before the failover) it loses every idle
# connection at failover (the issue's regression); with TIMEOUT > HOLD_S + 30 it keeps them at
# failover but loses every one at failback (no refresh reaches the rebooted ex-master, which
# preempts at once). Both halves must hold for the comparison to mean anything.
set -euo pipefail
repo=$(cd "$(dirname "$0")/../../.." && pwd)
mode=${1:-planned}; count=${2:-1000}; hold=${3:-30}; timeout=${4:-12}; idle_ms=${5:-4000}
mkdir -p "$repo/tests/lab/cache"
gcc -O2 -static -Wall -Werror -o "$repo/tests/lab/cache/connhold" "$repo/tests/lab/tools/connhold.c"
make -C "$repo" -s build >/dev/null
mkdir -p "$repo/tests/lab/cache/lib" && cp -L /lib/x86_64-linux-gnu/libm.so.6 "$repo/tests/lab/cache/lib/"
out=$(mktemp)
LAB_TIMEOUT=${LAB_TIMEOUT:-900} "$repo/tests/lab/scenarios/ipvs-lab.sh" tests/lab/scenarios/sync-failover.guest.sh "$mode" "$count" "$hold" "$timeout" "$idle_ms" | tee "$out"
results=$(grep '^RESULT' "$out" | sort -u || true)
rm -f "$out"
fail=0
check() { # pair phase key expectation(all|none)
  local line frac got total
  line=$(grep -m1 "pair=$1 .*phase=$2" <<<"$results") || { echo "sync-failover: no result for $1 $2" >&2; fail=1; return; }
  frac=$(sed -n "s/.* $3=\([0-9]*\/[0-9]*\) .*/\1/p" <<<"$line"); got=${frac%/*}; total=${frac#*/}
  if [ -z "$got" ] || [ -z "$total" ]; then echo "sync-failover: $1 $2 $3: no figure in '$line'" >&2; fail=1; return; fi
  if [ "$4" = all ] && [ "$got" != "$total" ]; then echo "sync-failover: $1 $2 $3 $frac, expected all to survive" >&2; fail=1; fi
  if [ "$4" = none ] && [ "$got" != 0 ]; then echo "sync-failover: $1 $2 $3 $frac, expected kernel defaults to lose them" >&2; fail=1; fi
}
check a failover established all; check a failover idle all
check a failback established all; check a failback idle all
if [ "$timeout" -lt "$hold" ]; then
  check k failover idle none
elif [ "$timeout" -gt $((hold + 30)) ]; then
  check k failover idle all; check k failback established none; check k failback idle none
fi
[ $fail = 0 ] && echo "sync-failover ($mode): PASS" || echo "sync-failover ($mode): FAIL"
exit $fail
