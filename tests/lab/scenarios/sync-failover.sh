# Scenario: connection sync across VRRP failovers on the real kernel, the appliance's sync
# settings and catch-up gate against the kernel's defaults, side by side in one guest.
#
# Two director pairs, same topology, same traffic, at the same moment; every director runs
# `appliance run --config` (VRRP, IPVS NAT reconciled from the INI, both sync daemons):
#   pair "a": the appliance's defaults — sync sysctls derived from the IPVS timeouts, distinct
#             syncids, preemption held by the catch-up gate until the table has arrived;
#   pair "k": the kernel's defaults, what keepalived 2.2.7 gives — `sync_threshold 3 50`,
#             `sync_refresh_period 0`, `sync_retries 0`, one syncid, and `catchup_max_wait = 0`
#             (a returning master preempts at once, as keepalived does).
# Per pair: namespaces Pd1 (priority 150) and Pd2 (100), Pr1/Pr2 (echo servers; the VRRP
# gateway VIP is their default route), Pc (client); bridges Ppub, Prs, Phb (heartbeat: VRRP
# and sync). The client holds SF_COUNT connections with a keepalive every SF_EST_MS and SF_IDLE
# "idle" ones every SF_IDLE_MS, through the VIP.
#
# Phases (each pair):
#   planned   set s1 held SF_HOLD s (> the IPVS timeout: an unrefreshed backup copy expires),
#             then SIGTERM of d1's daemon -> d2 takes the VIPs;
#   failback1 d1's daemon starts again (the kernel kept its table and sync daemons) and
#             preempts (pair a: once its gate opened);
#   unplanned fresh set s2 held SF_HOLD s, then all of d1's links go down -> d2 takes over;
#   failback2 fresh set s3 on d2; d1 "reboots" (daemon killed, namespace destroyed and
#             rebuilt: empty connection table) and preempts (pair a: after catch-up).
# Every live set is counted at every event (s1 ends after failback1: at most two sets at a time).
# A connection survives an event when it completes a round trip after the VIPs moved
# (connhold marks the moment; dead = RST/EOF); the base is what was alive just before.
# Verdict: pair a keeps every connection in every phase and took the VIPs back only when its
# table held every live connection (the gate logged the hold and its release before the
# takeover); pair k loses every idle connection at both failovers and everything at failback2.
#
# make test runs this reduced variant (100 + 10 connections, keepalives 2 s / 6 s, --set 20 10 20,
# hold 25 s);
# sync-bench.sh (make bench-sync) runs the full one with the issue's numbers.
#@ timeout 480
#@ daemon off

SF_COUNT=${SF_COUNT:-100}
SF_IDLE=${SF_IDLE:-10}
SF_EST_MS=${SF_EST_MS:-2000}
SF_IDLE_MS=${SF_IDLE_MS:-6000}
SF_T=${SF_T:-20}
SF_HOLD=${SF_HOLD:-25}
SF_ADVERT=${SF_ADVERT:-1}

BIN=/usr/bin/appliance
CH=/lab/cache/connhold
VIP=192.0.2.100 GW=198.51.100.1 PORT=7000
W=/tmp/sf

sf_now() { cut -d. -f1 /proc/uptime; }
sf_log() { echo "[$(cut -d' ' -f1 /proc/uptime)] $*"; }

# sf_until SECONDS DESCRIPTION CMD: CMD (eval'd) every 0.2 s until it succeeds; 1 after SECONDS.
# Used inside the pairs' background shells, which must record a failure rather than exit.
# CMD is eval'd here: a caller's positional parameters must be expanded before the call.
sf_until() {
  _su_what=$2
  sf_wait "$@" || { sf_fail "timed out waiting for $_su_what"; return 1; }
}
# sf_wait: the same without recording a failure (an outcome to report, not a broken run).
sf_wait() {
  _su_end=$(( $(sf_now) + $1 )); shift 2
  while ! eval "$*" >/dev/null 2>&1; do
    [ "$(sf_now)" -lt "$_su_end" ] || return 1
    sleep 0.2
  done
}
sf_fail() { sf_log "FAIL $P: $*"; echo "$P: $*" >> $W/failures; }

# sf_config PAIR NODE PRIORITY: the director's INI. advert_int 1 s and a gratuitous-ARP refresh
# every 2 s: in a starved TCG guest a master's adverts can be late by more than 3 intervals, the
# backup then becomes MASTER for a moment and announces the VIPs; the master that stayed does not
# re-announce on the lower-priority advert (keepalived's garp_lower_prio_repeat; not in the
# appliance yet), so the real servers would keep the gateway on the wrong MAC.
sf_config() {
  if [ "$1" = a ]; then
    sync="syncid = $2
peer_syncid = $((3 - $2))"
  else
    sync="sync_threshold = 3
sync_period = 50
sync_refresh_period = 0
sync_retries = 0
catchup_max_wait = 0"
  fi
  cat > "$W/$1d$2.ini" <<INI
[global]
node_name = $1d$2
node_id = $2
public_interface = pub
heartbeat_interface = hb
log_level = info

[vrrp_instance VI_PUB]
virtual_router_id = 51
priority = $3
advert_int = $SF_ADVERT
preempt = yes
garp_master_refresh = 2
virtual_ipaddress = $VIP/24 dev pub
track_interface = pub

[vrrp_instance VI_GW]
virtual_router_id = 52
priority = $3
advert_int = $SF_ADVERT
preempt = yes
garp_master_refresh = 2
virtual_ipaddress = $GW/24 dev rs
track_interface = rs

[ipvs]
timeout_tcp = $SF_T
timeout_tcpfin = 10
timeout_udp = $SF_T

[virtual_server echo]
address = $VIP
port = $PORT
protocol = TCP
lb_algo = rr
lb_kind = NAT

[real_server r1]
virtual_server = echo
address = 198.51.100.11
port = $PORT

[real_server r2]
virtual_server = echo
address = 198.51.100.12
port = $PORT

[sync]
enabled = yes
$sync
INI
  lab_ini_off serial_heartbeat watchdog console >> "$W/$1d$2.ini"
}

# sf_netns PAIR NODE: a director's namespace and links. The IPVS timeouts are set with ipvsadm
# before any daemon starts (the echo servers' first connections already live under them); each
# daemon then finds [ipvs]'s same values in its kernel and leaves them.
sf_netns() {
  ns=$1d$2
  $IP netns add $ns
  $IP -n $ns link set lo up
  lab_port $ns pub $1pub 192.0.2.$(($2 + 1))/24
  lab_port $ns rs $1rs 198.51.100.$(($2 + 1))/24
  lab_port $ns hb $1hb 203.0.113.$2/24
  lab_ns $ns sysctl -q -w net.ipv4.ip_forward=1
  lab_ns $ns ipvsadm --set $SF_T 10 $SF_T
}

# sf_start PAIR NODE: `appliance run` in the director's namespace ($! is the daemon: ip netns
# exec and env exec). Its log is appended, across restarts.
sf_start() {
  ns=$1d$2
  mkdir -p $W/run-$ns
  echo "=== start at $(cut -d' ' -f1 /proc/uptime)" >> $W/$ns.log
  $IP netns exec $ns env APPLIANCE_RUN_DIR=$W/run-$ns $BIN run --config $W/$ns.ini --log-target stderr >> $W/$ns.log 2>&1 &
  echo $! > $W/$ns.pid
}

sf_holds() { $IP -n $1d$2 -o addr show dev pub 2>/dev/null | grep -q " $VIP/"; }
# Entries of the director's connection table for the service, any origin (a connection a
# node forwarded as master is LOCAL there and stays LOCAL when the peer's sync refreshes it).
sf_entries() { $IP netns exec $1d$2 cat /proc/net/ip_vs_conn_sync 2>/dev/null | grep -c ' ESTABLISHED ' || true; }
sf_table() {
  $IP netns exec $1d$2 cat /proc/net/ip_vs_conn_sync 2>/dev/null | awk '$9=="SYNC"{n++; if(min==""||$10<min)min=$10} $9=="LOCAL"{l++}
    END{printf "%d synced (lowest expiry %s s), %d local", n, min, l}'
}

sf_field() { tr ' ' '\n' < $W/$1.$2 2>/dev/null | sed -n "s/^$3=//p"; }

# sf_open PAIR SET: opens SET's connections (established and idle) from the client; waits
# until all are open and each has completed a round trip (so each has sent its 3rd packet,
# the one the kernel's default threshold syncs).
sf_open() {
  for kind in est idle; do
    if [ $kind = est ]; then n=$SF_COUNT ms=$SF_EST_MS; else n=$SF_IDLE ms=$SF_IDLE_MS; fi
    $IP netns exec $1c $CH hold $VIP $PORT $n $ms $W/$1.$2.$kind &
    echo $! > $W/$1.$2.$kind.pid
  done
  sf_until $((60 + SF_COUNT / 5)) "$1 $2: connections open" \
    "[ \"\$(sf_field $1.$2 est opened)\" = $SF_COUNT ] && [ \"\$(sf_field $1.$2 idle opened)\" = $SF_IDLE ]" || return 1
  kill -USR1 $(cat $W/$1.$2.est.pid) $(cat $W/$1.$2.idle.pid)
  sf_until $((3 * SF_IDLE_MS / 1000 + 20)) "$1 $2: a round trip on every connection" \
    "[ \"\$(sf_field $1.$2 est marked)\" = $SF_COUNT ] && [ \"\$(sf_field $1.$2 idle marked)\" = $SF_IDLE ]" || return 1
  sf_log "$1 $2: opened $(cat $W/$1.$2.est) / idle $(cat $W/$1.$2.idle)"
}

# sf_before PAIR SET: the connections alive just before an event (the base of the count).
sf_before() { echo "$(sf_field $1.$2 est alive) $(sf_field $1.$2 idle alive)" > $W/$1.$2.before; }
sf_alive() { echo $(( $(sf_field $1.$2 est alive) + $(sf_field $1.$2 idle alive) )); }

# sf_count PAIR SET PHASE: after the VIPs moved, mark, then wait until every connection either
# completed a round trip or died; one that did neither (black-holed) is not a survivor.
sf_count() {
  kill -USR1 $(cat $W/$1.$2.est.pid) $(cat $W/$1.$2.idle.pid)
  for kind in est idle; do
    _limit=$((3 * SF_IDLE_MS / 1000 + 30))
    sf_wait $_limit "$1 $3 $2 $kind: every connection answered or reset" \
      "[ \$(( \$(sf_field $1.$2 $kind marked) + \$(sf_field $1.$2 $kind dead) )) -eq \$(sf_field $1.$2 $kind opened) ]" ||
      sf_log "NOTE $1 $3 $2 $kind: $(cat $W/$1.$2.$kind)"
  done
  read b_est b_idle < $W/$1.$2.before
  echo "RESULT pair=$1 phase=$3 set=$2 established=$(sf_field $1.$2 est marked)/$b_est idle=$(sf_field $1.$2 idle marked)/$b_idle" | tee -a $W/results
}

# sf_takeback PAIR PHASE SETS...: waits until d1 holds the VIP again and records how many
# entries its table had at that moment against the live connections (the gate's proof).
sf_takeback() {
  _p=$1 _phase=$2; shift 2
  _live=0
  for s in "$@"; do _live=$((_live + $(sf_alive $_p $s))); done
  _end=$(( $(sf_now) + SF_T * 3 + 60 ))
  while ! sf_holds $_p 1; do
    [ "$(sf_now)" -lt "$_end" ] || { sf_fail "$_phase: d1 did not take the VIP back within $((SF_T * 3 + 60)) s"; return 1; }
    sleep 0.2
  done
  _entries=$(sf_entries $_p 1)
  echo "TAKEBACK pair=$_p phase=$_phase entries=$_entries live=$_live at=$(cut -d' ' -f1 /proc/uptime)" | tee -a $W/results
  sf_log "$_p $_phase: d1 took the VIP back: table $(sf_table $_p 1)"
}

sf_before_all() { for s in $SETS; do sf_before $P $s; done; }
sf_count_all() { for s in $SETS; do sf_count $P $s $1; done; }

sf_hold() {
  _end=$(( $(sf_now) + SF_HOLD ))
  while [ "$(sf_now)" -lt "$_end" ]; do
    sf_log "$1: holding; d2 $(sf_table $1 2)"
    sleep 5
  done
}

sf_pair() {
  P=$1
  for br in pub rs hb; do lab_bridge $P$br; done
  for r in 1 2; do
    $IP netns add ${P}r$r
    $IP -n ${P}r$r link set lo up
    lab_port ${P}r$r eth0 ${P}rs 198.51.100.1$r/24
    $IP -n ${P}r$r route add default via $GW
    $IP netns exec ${P}r$r $CH serve $PORT &
  done
  $IP netns add ${P}c
  $IP -n ${P}c link set lo up
  lab_port ${P}c eth0 ${P}pub 192.0.2.10/24
  sf_netns $P 1; sf_netns $P 2
  sf_config $P 1 150; sf_config $P 2 100
  for n in 1 2; do
    lab_ns ${P}d$n $BIN check-config $W/${P}d$n.ini > $W/${P}d$n.check 2>&1 || { sf_fail "${P}d$n.ini refused: $(tail -3 $W/${P}d$n.check | tr '\n' ' ')"; return 1; }
  done
  sf_start $P 1
  sf_until 40 "$P: d1 MASTER" 'sf_holds $P 1' || return 1
  sf_start $P 2
  sf_until 30 "$P: d2 BACKUP" 'grep -q "director is BACKUP" $W/${P}d2.log' || return 1
  for n in 1 2; do
    sf_until 30 "$P: d$n's IPVS table and both sync daemons" \
      'lab_ns ${P}d$n ipvsadm -Ln | grep -q "198.51.100.12:$PORT" && [ "$(lab_ns ${P}d$n ipvsadm -L --daemon | grep -c -E "master|backup")" = 2 ]' || return 1
  done
  sf_log "$P: d1 MASTER, d2 BACKUP, both sync daemons on both"

  # --- planned: SIGTERM of the master's daemon (priority 0, VIPs released)
  sf_open $P s1 || return 1
  SETS="s1"
  sf_hold $P
  sf_before_all
  sf_log "$P planned: SIGTERM to d1's daemon"
  kill -TERM $(cat $W/${P}d1.pid)
  sf_until 20 "$P planned: d2 holds the VIP" 'sf_holds $P 2' || return 1
  sf_log "$P planned: d2 took over; d2 $(sf_table $P 2)"
  sf_count_all planned
  sf_until 20 "$P: d1's daemon exits" '! kill -0 $(cat $W/${P}d1.pid)' || return 1

  # --- failback1: d1's daemon again, the kernel kept its table and sync daemons
  sf_before_all
  sf_start $P 1
  sf_takeback $P failback1 $SETS || return 1
  sf_count_all failback1
  # s1 has seen a failover and a failback; ending it keeps at most two sets alive (the guest is one TCG vCPU).
  kill $(cat $W/$P.s1.est.pid) $(cat $W/$P.s1.idle.pid)
  SETS=""

  # --- unplanned: a fresh set, then all of d1's links down
  sf_open $P s2 || return 1
  SETS="s2"
  sf_hold $P
  sf_before_all
  # The heartbeat first: d1's FAULT sends priority 0, which must not reach d2 (that would be a
  # planned handover); d2 has to notice the silence (Master_Down_Interval).
  sf_log "$P unplanned: d1's links down"
  for l in hb pub rs; do $IP -n ${P}d1 link set $l down; done
  sf_until 20 "$P unplanned: d2 holds the VIP" 'sf_holds $P 2' || return 1
  sf_log "$P unplanned: d2 took over; d2 $(sf_table $P 2)"
  sf_count_all unplanned

  # --- failback2: d1 reboots with an empty table while d2 serves the sets and a fresh s3
  sf_open $P s3 || return 1
  SETS="$SETS s3"
  kill -KILL $(cat $W/${P}d1.pid)
  $IP netns del ${P}d1
  sf_until 30 "$P: d1's links gone" '! $IP link show ${P}d1-pub' || return 1
  sf_netns $P 1
  sf_log "$P failback2: d1 rebuilt, table $(sf_table $P 1); d2 $(sf_table $P 2)"
  sf_before_all
  sf_start $P 1
  sf_takeback $P failback2 $SETS || return 1
  sf_count_all failback2
  for s in $SETS; do kill $(cat $W/$P.$s.est.pid) $(cat $W/$P.$s.idle.pid) 2>/dev/null; done
  sf_log "$P: done"
}

sf_result() { grep "^RESULT pair=$1 phase=$2 set=$3 " $W/results | head -1 | tr ' ' '\n' | sed -n "s/^$4=//p"; }

# sf_expect PAIR PHASE SET KIND all|none
sf_expect() {
  f=$(sf_result $1 $2 $3 $4)
  [ -n "$f" ] || lab_fail "no $4 result for pair $1 $2 $3 (see the pair logs above)"
  got=${f%/*} base=${f#*/}
  [ "$base" -gt 0 ] || [ "$5" = none ] || lab_fail "pair $1 $2 $3: no $4 connection was alive before the event ($f)"
  case $5 in
    all) [ "$got" = "$base" ] || lab_fail "pair $1 ($( [ $1 = a ] && echo appliance || echo kernel defaults)) $2: $4 $f survived, expected all" ;;
    none) [ "$got" = 0 ] || lab_fail "pair $1 (kernel defaults) $2: $4 $f survived, expected the kernel's defaults to lose them" ;;
  esac
}

scenario_main() {
  [ -x $CH ] || lab_fail "$CH is missing: the make targets build tests/lab/cache/connhold on the host"
  rm -rf $W; mkdir -p $W
  : > $W/results; : > $W/failures
  # Each echo server holds up to 2 x (COUNT + IDLE) / 2 connections.
  ulimit -n 16384
  # One TCG vCPU carries both pairs' traffic: with the default per-CPU backlog (1000) a burst of
  # keepalives overflows it and sends fail with ENOBUFS — gratuitous ARPs included (seen at 2 x
  # 2,020 connections), which leaves the real servers' gateway entry on the old master.
  sysctl -q -w net.core.netdev_max_backlog=30000
  for m in ip_vs ip_vs_rr; do modprobe $m || lab_fail "modprobe $m failed"; done
  sf_log "sync-failover: $SF_COUNT + $SF_IDLE idle connections per set, --set $SF_T 10 $SF_T, keepalive ${SF_EST_MS}/${SF_IDLE_MS} ms, hold ${SF_HOLD} s"
  (sf_pair a > $W/a.out 2>&1) &
  pa=$!
  (sf_pair k > $W/k.out 2>&1) &
  pk=$!
  wait $pa || true; wait $pk || true
  for p in a k; do
    echo "----- pair $p"; cat $W/$p.out
    for n in 1 2; do echo "----- $p d$n daemon log (sync, vrrp, director, daemon)"; grep -E 'sync:|vrrp:|director:|daemon: (SIG|stopped)|===' $W/${p}d$n.log | grep -v 'catch-up gate: waiting' | tail -n 60; done
  done
  echo "----- results"; cat $W/results
  [ -s $W/failures ] && lab_fail "$(head -3 $W/failures | tr '\n' ' ')"

  for phase_set in planned:s1 failback1:s1 unplanned:s2 failback2:s2 failback2:s3; do
    phase=${phase_set%:*} set=${phase_set#*:}
    sf_expect a $phase $set established all
    sf_expect a $phase $set idle all
  done
  # The issue's regression: an idle connection's single sync expired on the backup.
  sf_expect k planned s1 idle none
  sf_expect k unplanned s2 idle none
  # keepalived's failback: preempts at once into an empty table.
  sf_expect k failback2 s3 established none
  sf_expect k failback2 s3 idle none

  # The gate: d1 took the VIPs back only with every live connection in its table, and said why it waited.
  for phase in failback1 failback2; do
    line=$(grep "^TAKEBACK pair=a phase=$phase " $W/results)
    entries=$(echo "$line" | sed -n 's/.* entries=\([0-9]*\).*/\1/p'); live=$(echo "$line" | sed -n 's/.* live=\([0-9]*\).*/\1/p')
    [ -n "$entries" ] && [ "$entries" -ge "$live" ] || lab_fail "pair a $phase: d1 took the VIP with $entries table entries for $live live connections"
  done
  log=$W/ad1.log
  last=$(awk '/^=== start/{n=NR} END{print n}' $log)
  tail -n +$last $log | grep -q 'preemption of master .* held' || lab_fail "ad1 (rebooted) never logged that it held the preemption"
  opened=$(tail -n +$last $log | grep -n 'catch-up gate open after' | head -1 | cut -d: -f1)
  master=$(tail -n +$last $log | grep -n 'BACKUP -> MASTER' | head -1 | cut -d: -f1)
  [ -n "$opened" ] && [ -n "$master" ] && [ "$opened" -lt "$master" ] || lab_fail "ad1 (rebooted): the gate did not open before it became MASTER (gate line $opened, master line $master)"
  echo "LAB: pair a kept every connection in every phase and took the VIPs back only after catch-up; pair k (kernel defaults) lost the idle ones at failover and everything at failback"
}
