#!/usr/bin/env bash
# Failover benchmark: time from an event on the MASTER to the BACKUP holding the VIP, for a pair of
# appliances and a pair of keepalived 2.2.7, in the same run, at advert_int 1 s and 0.1 s (VRRPv3).
#   (a) graceful stop: SIGTERM to the master's daemon
#   (b) power loss: the master's heartbeat and public links down and its daemon SIGKILLed, in one step
# Usage (root): APPLIANCE_BIN=out/bin/appliance tests/Appliance.Tests/Vrrp/Bench/failover-bench.sh [RUNS]
#   optional: ADVS="1 0.1" SCENARIOS="graceful powerloss" IMPLS="appliance keepalived"
# Prints one line per run and a median table (milliseconds). Namespaces are removed on exit.
# Timing: t0 = bash's $EPOCHREALTIME just before the event (no process spawned for it); t1 = the
# moment `ip monitor address` in B's namespace, started before the event, reports the VIP added
# (read by bash as the kernel's notification arrives, not by polling).
set -euo pipefail
RUNS=${1:-5}
BIN=${APPLIANCE_BIN:?set APPLIANCE_BIN to the published binary}
TMP=$(mktemp -d /tmp/vrrp-bench.XXXXXX)
A=vbA$$ B=vbB$$ S=vbS$$ VIP=192.0.2.100
now_ns() { date +%s%N; }
cleanup() {
  for p in $(cat "$TMP"/*.pids 2>/dev/null); do kill -9 "$p" 2>/dev/null || true; done
  for n in $A $B $S; do ip netns del $n 2>/dev/null || true; done
  rm -rf "$TMP"
}
trap cleanup EXIT

setup() {
  for n in $A $B $S; do ip netns del $n 2>/dev/null || true; ip netns add $n; done
  ip -n $S link add br0 type bridge
  ip link add hbA netns $A type veth peer name hbB netns $B
  ip link add pubA netns $A type veth peer name sA netns $S
  ip link add pubB netns $B type veth peer name sB netns $S
  ip -n $S link set sA master br0 up; ip -n $S link set sB master br0 up; ip -n $S link set br0 up
  ip -n $A addr add 10.10.0.1/24 dev hbA; ip -n $B addr add 10.10.0.2/24 dev hbB
  ip -n $A addr add 192.0.2.1/24 dev pubA; ip -n $B addr add 192.0.2.2/24 dev pubB
  for n in $A $B; do ip -n $n link set lo up; done
  ip -n $A link set hbA up; ip -n $A link set pubA up; ip -n $B link set hbB up; ip -n $B link set pubB up
}

holds() { ip -n "$1" -4 -o addr show dev "$2" | grep -q " $VIP/"; }

wait_until() { # TIMEOUT_S DESCRIPTION COMMAND...
  local limit=$(( $(now_ns) + $1 * 1000000000 )) what=$2; shift 2
  until "$@"; do
    [ "$(now_ns)" -lt "$limit" ] || { echo "bench: timed out waiting for $what" >&2; tail -20 "$TMP"/*.log >&2; exit 1; }
    sleep 0.01
  done
}

start() { # IMPL SIDE PRIORITY ADVERT_INT
  local impl=$1 side=$2 prio=$3 adv=$4 ns hb pub
  if [ "$side" = A ]; then ns=$A hb=hbA pub=pubA; else ns=$B hb=hbB pub=pubB; fi
  if [ "$impl" = appliance ]; then
    ip netns exec $ns "$BIN" vrrp run --interface $hb --public-interface $pub --virtual-router-id 51 \
      --priority $prio --advert-int $adv --peer-appliance --virtual-ipaddress $VIP/24 >"$TMP/$side.log" 2>&1 &
  else
    cat >"$TMP/$side.conf" <<CONF
global_defs {
  router_id bench$side
}
vrrp_instance VI_1 {
  version 3
  state BACKUP
  interface $hb
  dont_track_primary
  virtual_router_id 51
  priority $prio
  advert_int $adv
  virtual_ipaddress {
    $VIP/24 dev $pub
  }
}
CONF
    ip netns exec $ns keepalived -P -n -l -D -f "$TMP/$side.conf" -p "$TMP/$side.pid" -r "$TMP/$side.vpid" >"$TMP/$side.log" 2>&1 &
  fi
  echo $! >>"$TMP/run.pids"
  eval "PID_$side=$!"
}

one_run() { # IMPL ADVERT_INT SCENARIO -> prints ms
  local impl=$1 adv=$2 scenario=$3
  : >"$TMP/run.pids"
  setup
  start "$impl" A 150 "$adv"
  wait_until 20 "A to become MASTER" holds $A pubA
  start "$impl" B 100 "$adv"
  wait_until 20 "B to settle in BACKUP" grep -qi "backup" "$TMP/B.log"
  # Settle: B must have heard A's adverts for a while (not a measurement; the timer starts below).
  sleep 1
  holds $B pubB && { echo "bench: B holds the VIP before the event" >&2; exit 1; }
  local t0 t1="" line
  coproc MON { exec ip -n $B monitor address dev pubB; }
  local mon_pid=$MON_PID
  sleep 0.2 # let the monitor subscribe (before t0; not part of the measurement)
  # Random phase against the master's advert timer: the event lands anywhere in an interval, as a real
  # failure does (a fixed script rhythm would favour whichever daemon happens to advertise just before).
  sleep "$(awk -v a="$adv" -v r="$RANDOM" 'BEGIN { printf "%.3f", a * r / 32768 }')"
  t0=$EPOCHREALTIME
  if [ "$scenario" = graceful ]; then
    kill -TERM "$PID_A"
  else
    # Power loss: every link of the master and its process gone (links first: the wire dies with the power).
    ip -n $A link set hbA down && ip -n $A link set pubA down && kill -9 "$PID_A"
  fi
  while IFS= read -r -t 30 line <&"${MON[0]}"; do
    if [[ $line == *" $VIP/"* && $line != Deleted* ]]; then t1=$EPOCHREALTIME; break; fi
  done
  kill "$mon_pid" 2>/dev/null || true
  [ -n "$t1" ] || { echo "bench: B never reported the VIP" >&2; tail -20 "$TMP"/*.log >&2; exit 1; }
  holds $B pubB || { echo "bench: monitor saw the VIP but B does not hold it" >&2; exit 1; }
  for p in $(cat "$TMP/run.pids"); do kill -9 "$p" 2>/dev/null || true; done
  wait 2>/dev/null || true
  awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%d\n", (b - a) * 1000 + 0.5 }'
}

median() { sort -n | awk '{a[NR]=$1} END {print (NR%2 ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2)}'; }

declare -A result
ADVS=${ADVS:-"1 0.1"} SCENARIOS=${SCENARIOS:-"graceful powerloss"} IMPLS=${IMPLS:-"appliance keepalived"}
for adv in $ADVS; do
  for scenario in $SCENARIOS; do
    for impl in $IMPLS; do
      : >"$TMP/samples"
      for i in $(seq "$RUNS"); do
        ms=$(one_run $impl $adv $scenario)
        echo "run: impl=$impl advert_int=$adv scenario=$scenario ms=$ms"
        echo "$ms" >>"$TMP/samples"
      done
      result[$impl,$adv,$scenario]=$(median <"$TMP/samples")
    done
  done
done

echo
echo "| advert_int | event | appliance pair (ms, median of $RUNS) | keepalived 2.2.7 pair (ms, median of $RUNS) | ratio appliance/keepalived |"
echo "|---|---|---|---|---|"
for adv in $ADVS; do
  for scenario in $SCENARIOS; do
    a=${result[appliance,$adv,$scenario]} k=${result[keepalived,$adv,$scenario]}
    echo "| $adv s | $scenario | $a | $k | $(awk -v a="$a" -v k="$k" 'BEGIN { printf "%.2f", (k > 0 ? a / k : 0) }') |"
  done
done
