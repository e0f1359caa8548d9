#!/usr/bin/env bash
# Split-brain benchmark: two directors in network namespaces (heartbeat veth, public NICs on a
# bridge, a socat pty pair as the serial cable), the appliance pair (the product path,
# `appliance run --config`, INI files written here) and a keepalived 2.2.7 pair with the same
# VRRP settings, put through the same faults in the same run.
# For each fault: seconds during which both namespaces hold the VIP (sampled about every 10 ms)
# and the time until the backup holds it.
# Usage: tests/bench/split-brain.sh [APPLIANCE_BIN]   (root; needs iproute2, socat, keepalived)
# KEEP_LOGS=DIR keeps the daemons' logs of the last pair started.
set -euo pipefail
BIN=${1:-${APPLIANCE_BIN:-$(pwd)/out/bin/appliance}}
W=$(mktemp -d /tmp/split-brain-bench.XXXXXX)
DEV=/dev/split-brain-bench-$$-tty
VIP=10.214.0.100
A=sbbA; B=sbbB; L=sbbL
declare -a PIDS=()
cleanup() {
  for p in "${PIDS[@]:-}"; do [ -n "$p" ] && kill -9 "$p" 2>/dev/null || true; done
  for n in $A $B $L; do ip netns del $n 2>/dev/null || true; done
  rm -f ${DEV}A ${DEV}B
  [ -n "${KEEP_LOGS:-}" ] && { mkdir -p "$KEEP_LOGS"; cp "$W"/*.log "$KEEP_LOGS"/ 2>/dev/null || true; }
  rm -rf "$W"
}
trap cleanup EXIT

topology() {
  for n in $A $B $L; do ip netns del $n 2>/dev/null || true; ip netns add $n; done
  ip -n $A link add hb0 type veth peer name hb0 netns $B
  ip -n $L link add br0 type bridge
  ip -n $L link add lanA type veth peer name pub0 netns $A
  ip -n $L link add lanB type veth peer name pub0 netns $B
  for l in lanA lanB; do ip -n $L link set $l master br0 up; done
  ip -n $L link set br0 up
  ip -n $A addr add 10.214.1.1/24 dev hb0; ip -n $B addr add 10.214.1.2/24 dev hb0
  ip -n $A addr add 10.214.0.1/24 dev pub0; ip -n $B addr add 10.214.0.2/24 dev pub0
  for n in $A $B; do for l in lo hb0 pub0; do ip -n $n link set $l up; done; done
}

holds() { ip -n "$1" -o -4 addr show dev pub0 2>/dev/null | grep -q " $VIP/"; }
now_ms() { echo $(( $(date +%s%N) / 1000000 )); }

# ini NAME NODE-ID PRIORITY OWN-ADDRESS PEER-ADDRESS: one director's configuration (the serial
# device is socat's link under /dev/: the daemon accepts device paths there only).
ini() {
  cat <<INI
[global]
node_name = director-$1
node_id = $2
public_interface = pub0
heartbeat_interface = hb0
public_address = $4
peer_public_address = $5

[vrrp_instance VI_1]
virtual_router_id = 51
priority = $3
advert_int = 0.1
virtual_ipaddress = $VIP/24 dev pub0
track_interface = pub0

[sync]
enabled = no

[serial_heartbeat]
device = $DEV$1
interval = 100ms
dead_time = 400ms
key = bench-key-0123456789abcdef

[watchdog]
enabled = no
INI
}

start_pair() { # $1 = appliance|keepalived
  PIDS=()
  if [ "$1" = appliance ]; then
    socat pty,raw,echo=0,link=${DEV}A pty,raw,echo=0,link=${DEV}B & PIDS+=($!)
    for _ in $(seq 100); do [ -e ${DEV}A ] && [ -e ${DEV}B ] && break; sleep 0.02; done
    # Hold A's end open: a dead or powered-off peer leaves a serial line silent, it does not hang
    # it up; without this, socat would exit when A dies and B would see a port error at once.
    sleep 1000000 < ${DEV}A & PIDS+=($!)
    ini A 1 150 10.214.0.1 10.214.0.2 > $W/A.ini
    ini B 2 100 10.214.0.2 10.214.0.1 > $W/B.ini
    APPLIANCE_RUN_DIR=$W/runA ip netns exec $A "$BIN" run --config $W/A.ini --log-target stderr >$W/A.log 2>&1 & PIDS+=($!)
    APPLIANCE_RUN_DIR=$W/runB ip netns exec $B "$BIN" run --config $W/B.ini --log-target stderr >$W/B.log 2>&1 & PIDS+=($!)
  else
    for n in A B; do
      prio=$([ $n = A ] && echo 150 || echo 100)
      cat > $W/k$n.conf <<KC
global_defs { router_id $n; vrrp_version 3; }
vrrp_instance VI_1 {
  state BACKUP
  interface hb0
  dont_track_primary
  track_interface { pub0 }
  virtual_router_id 51
  priority $prio
  advert_int 0.1
  virtual_ipaddress { $VIP/24 dev pub0 }
}
KC
      ns=$([ $n = A ] && echo $A || echo $B)
      ip netns exec $ns keepalived --dont-fork --log-console --vrrp -f $W/k$n.conf -p $W/k$n.pid -r $W/k$n.vrrp.pid >$W/k$n.log 2>&1 & PIDS+=($!)
    done
  fi
  for _ in $(seq 500); do holds $A && ! holds $B && break; sleep 0.02; done
  holds $A && ! holds $B || { echo "bench: $1 pair did not settle with A as master" >&2; return 1; }
  sleep 0.5
}

# sample SECONDS [ignore-A-after-ms]: prints "dual_ms takeover_ms" (takeover: first sample where B holds and A does not count)
sample() {
  local dur_ms=$(( $1 * 1000 )) t0 t prev dual=0 take=-1 ha hb ignoreA=${2:-}
  t0=$(now_ms); prev=$t0
  while :; do
    t=$(now_ms); [ $(( t - t0 )) -ge $dur_ms ] && break
    ha=0; hb=0
    if [ -z "$ignoreA" ]; then holds $A && ha=1; fi
    holds $B && hb=1
    [ $ha = 1 ] && [ $hb = 1 ] && dual=$(( dual + t - prev ))
    [ $hb = 1 ] && [ $take -lt 0 ] && take=$(( t - t0 ))
    prev=$t
    sleep 0.01
  done
  echo "$dual $take"
}

stop_pair() {
  for p in "${PIDS[@]}"; do kill -TERM "$p" 2>/dev/null || true; done; sleep 0.5
  for p in "${PIDS[@]}"; do kill -9 "$p" 2>/dev/null || true; wait "$p" 2>/dev/null || true; done; PIDS=()
}

# SIGKILL of a director's daemon: keepalived's VRRP work is done by a child process, which exits
# cleanly (removing its VIPs) when its parent dies, so the child is killed first, then the parent.
kill_daemon() {
  local p=$1 c
  for c in $(cat /proc/$p/task/*/children 2>/dev/null); do kill -9 "$c" 2>/dev/null || true; done
  kill -9 "$p" 2>/dev/null || true
}

run_fault() { # $1 impl, $2 fault
  topology
  start_pair "$1"
  local apid=${PIDS[$([ "$1" = appliance ] && echo 2 || echo 0)]}
  case $2 in
    heartbeat-cut) ip -n $A link set hb0 down; r=$(sample 5) ;;
    heartbeat-and-serial-cut)
      ip -n $A link set hb0 down
      [ "$1" = appliance ] && kill -9 "${PIDS[0]}"
      r=$(sample 5) ;;
    master-public-link-down) ip -n $A link set pub0 down; r=$(sample 5) ;;
    master-power-loss)
      kill_daemon "$apid"; ip -n $A link set pub0 down; ip -n $A link set hb0 down
      r=$(sample 5 ignoreA) ;;
    master-daemon-sigkill) kill_daemon "$apid"; r=$(sample 5) ;;
    master-daemon-sigterm) kill -TERM "$apid"; r=$(sample 5) ;;
  esac
  stop_pair
  printf '%-10s %-26s dual-holding %6.2f s   backup holds after %s\n' "$1" "$2" "$(awk -v ms="${r% *}" 'BEGIN { print ms / 1000 }')" \
    "$([ "${r#* }" -lt 0 ] && echo never || echo "${r#* } ms")"
}

echo "split-brain benchmark $(date -u +%FT%TZ) $(uname -r); appliance: $BIN; $(keepalived --version 2>&1 | head -1)"
echo "load average: $(cut -d" " -f1-3 /proc/loadavg)"
echo "advert_int 0.1 s, priorities 150/100, serial interval 100 ms dead time 400 ms, 5 s observed after each fault"
for fault in heartbeat-cut heartbeat-and-serial-cut master-public-link-down master-power-loss master-daemon-sigkill master-daemon-sigterm; do
  for impl in appliance keepalived; do
    [ $impl = keepalived ] && [ $fault = heartbeat-and-serial-cut ] && continue
    run_fault $impl $fault
  done
done
