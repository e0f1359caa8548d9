# Guest side of the connection-sync lab (run by sync-failover.sh through ipvs-lab.sh).
#
# Two director pairs side by side in one kernel, same topology, same traffic, same moment:
#   pair "a": the appliance — sysctls and both sync daemons set by `appliance sync apply`,
#             failback gated by `appliance sync wait`;
#   pair "k": kernel defaults — both daemons started with ipvsadm, which is exactly what
#             keepalived 2.2.7's `lvs_sync_daemon hb` does, sysctls untouched (sync_threshold
#             3 50, sync_refresh_period 0); failback at once, as keepalived's preemption does.
# Per pair: network namespaces d1, d2 (directors, IPVS NAT), r1, r2 (real servers, echo
# servers), c (client), bridges pub / int / hb (the heartbeat link carrying sync).
# The VIP and the real servers' gateway address are moved by this script (ip addr + gratuitous
# ARP): the VRRP engine is not wired to the sync code yet. IPVS services and the timeouts are
# set with ipvsadm (setup, the IPVS helper's part); everything sync-related on pair "a" is done
# by the appliance.
#
# Phases: open connections -> hold HOLD_S -> failover (MODE planned: d1 releases the VIPs;
# unplanned: all of d1's links go down) -> count -> d1 "reboots" (its namespace is destroyed
# and rebuilt: empty connection table) -> failback -> count.
# Usage: sync-failover.guest.sh MODE [COUNT] [HOLD_S] [TIMEOUT] [IDLE_KEEPALIVE_MS]
set -u
MODE=${1:-planned}
COUNT=${2:-1000}
HOLD_S=${3:-30}
T_TCP=${4:-12}
IDLE=10
T_FIN=10 T_UDP=$T_TCP               # ipvsadm --set T 10 T
EST_MS=3000 IDLE_MS=${5:-4000}      # keepalive intervals: established / idle long-lived
IP=/usr/sbin/ip
APP=/host/out/bin/appliance
CH=/host/tests/lab/cache/connhold
VIP=192.0.2.100 GW=10.0.2.254 PORT=7000
OUT=/tmp/sync-lab
mkdir -p $OUT
for m in ip_vs ip_vs_rr veth bridge; do modprobe $m || { echo "FAIL modprobe $m"; exit 1; }; done

log() { echo "[$(cut -d' ' -f1 /proc/uptime)] $*"; }

# wait_for SECONDS DESCRIPTION COMMAND...: polls COMMAND every 0.2 s until it succeeds.
wait_for() {
  local limit=$1 what=$2; shift 2
  local end=$(( $(cut -d. -f1 /proc/uptime) + limit ))
  while ! "$@" >/dev/null 2>&1; do
    [ "$(cut -d. -f1 /proc/uptime)" -lt "$end" ] || { log "gave up after ${limit}s waiting for $what"; return 1; }
    sleep 0.2
  done
}

# The appliance in a director's namespace; each node keeps its own run directory (last error).
# libm.so.6 is not in the stand-in initramfs: sync-failover.sh puts it next to connhold.
app() { local ns=$1; shift; LD_LIBRARY_PATH=/host/tests/lab/cache/lib APPLIANCE_RUN_DIR=/run/appliance/$ns $IP netns exec $ns $APP "$@"; }

sync_keys() { # pair node
  echo "interface=hb syncid=$2 peer_syncid=$((3 - $2)) timeout_tcp=$T_TCP timeout_tcpfin=$T_FIN timeout_udp=$T_UDP"
}

attach() { # pair ns ifname bridge address
  $IP link add "$1-$2-$3" type veth peer name "$3" netns "$1$2"
  $IP link set "$1-$2-$3" master "$1br$4" up
  $IP -n "$1$2" addr add "$5" dev "$3"
  $IP -n "$1$2" link set "$3" up
}

director_up() { # pair node
  local p=$1 n=$2 ns=$1d$2
  $IP netns add $ns
  $IP -n $ns link set lo up
  attach $p d$n pub pub 192.0.2.$n/24
  attach $p d$n int int 10.0.2.$n/24
  attach $p d$n hb hb 10.9.0.$n/24
  $IP netns exec $ns sh -c 'echo 1 > /proc/sys/net/ipv4/ip_forward'
  $IP netns exec $ns ipvsadm --set $T_TCP $T_FIN $T_UDP
  $IP netns exec $ns ipvsadm -A -t $VIP:$PORT -s rr
  $IP netns exec $ns ipvsadm -a -t $VIP:$PORT -r 10.0.2.11:$PORT -m
  $IP netns exec $ns ipvsadm -a -t $VIP:$PORT -r 10.0.2.12:$PORT -m
  if [ $p = a ]; then
    app $ns sync apply --state init $(sync_keys $p $n) | sed "s/^/[$ns] /"
  else
    $IP netns exec $ns ipvsadm --start-daemon master --mcast-interface hb
    $IP netns exec $ns ipvsadm --start-daemon backup --mcast-interface hb
  fi
}

take() { # pair node: becomes master (one ip process: each exec is slow under TCG)
  local ns=$1d$2
  printf 'addr add %s/24 dev pub\naddr add %s/24 dev int\n' $VIP $GW | $IP -n $ns -batch -
  $IP netns exec $ns arping -q -U -c 2 -w 2 -I pub -s $VIP $VIP &
  $IP netns exec $ns arping -q -U -c 2 -w 2 -I int -s $GW $GW &
}

release() { # pair node: planned hand-over
  printf 'addr del %s/24 dev pub\naddr del %s/24 dev int\n' $VIP $GW | $IP -n $1d$2 -batch -
}

# The role change as the appliance's daemon loop makes it, after the VIPs moved: both daemons
# already run in every role, so the plan is empty ("nothing to change"); the call proves it
# against the kernel. It runs after the move because, unlike the resident daemon, each CLI
# call starts a process (seconds under TCG), which must not delay the takeover.
roles() { # pair master-node backup-node
  [ $1 = a ] || return 0
  app $1d$2 sync apply --state master $(sync_keys $1 $2) | sed "s/^/[$1d$2] /"
  [ -n "${3:-}" ] && app $1d$3 sync apply --state backup $(sync_keys $1 $3) | sed "s/^/[$1d$3] /"
  true
}

synced() { $IP netns exec $1 cat /proc/net/ip_vs_conn_sync | grep -c ' SYNC ' ; }

# "N synced, lowest expiry E s, states ..." of a director's table: how close the backup's copies
# come to expiring between refreshes (diagnostics in the log, not a verdict).
table() {
  $IP netns exec $1 cat /proc/net/ip_vs_conn_sync | awk '$9=="SYNC"{n++; if(min==""||$10<min)min=$10} $9=="LOCAL"{l++} NR>1{st[$8]++}
    END{printf "%d synced (lowest expiry %s s), %d local;", n, min, l; for(k in st) printf " %s %d", k, st[k]}'
  # receive drops of the backup daemon's socket (port 8848 = 0x2290), last column of /proc/net/udp
  $IP netns exec $1 awk '$2 ~ /:2290$/ {printf "; sync socket drops %s", $NF} END{print ""}' /proc/net/udp
}

watch_backup() { # pair node seconds
  local i=0
  while [ $i -lt $3 ]; do log "$1: d$2 table: $(table $1d$2)"; sleep 5; i=$((i + 5)); done
}

status_of() { cat $OUT/$1.$2 2>/dev/null; }
field() { status_of $1 $2 | tr ' ' '\n' | sed -n "s/^$3=//p"; }
accounted() { # pair which: every connection is dead or has completed a round trip since the mark
  local o m d
  o=$(field $1 $2 opened); m=$(field $1 $2 marked); d=$(field $1 $2 dead)
  [ -n "$o" ] && [ $((${m:-0} + ${d:-0})) -eq "$o" ]
}

snapshot() { # pair: connections alive just before an event
  echo "$(field $1 est alive) $(field $1 idle alive)" > $OUT/$1.before
}

count() { # pair phase: survivors = connections with a round trip completed after the event
  local p=$1 phase=$2 w b_est b_idle
  read b_est b_idle < $OUT/$p.before
  kill -USR1 $(cat $OUT/$p.est.pid) $(cat $OUT/$p.idle.pid)
  # A connection whose entry is gone gets an RST at its next keepalive; one that is black-holed
  # (or whose retransmissions backed off far) completes no round trip: after 60 s it is not
  # counted as a survivor and reported as "stuck".
  for w in est idle; do
    wait_for 60 "$p $phase: every $w connection answered or reset" accounted $p $w || log "NOTE $p $phase $w: $(status_of $p $w)"
  done
  echo "RESULT pair=$p mode=$MODE timeout=$T_TCP phase=$phase established=$(field $p est marked)/$b_est idle=$(field $p idle marked)/$b_idle stuck=$(( $(field $p est alive) - $(field $p est marked) + $(field $p idle alive) - $(field $p idle marked) )) (of $(field $p est opened)+$(field $p idle opened) opened)"
}

run_pair() {
  local p=$1
  for b in pub int hb; do $IP link add ${p}br$b type bridge; $IP link set ${p}br$b up; done
  for r in 1 2; do
    $IP netns add ${p}r$r; $IP -n ${p}r$r link set lo up
    attach $p r$r eth int 10.0.2.1$r/24
    $IP -n ${p}r$r route add default via $GW
    $IP netns exec ${p}r$r $CH serve $PORT &
  done
  $IP netns add ${p}c; $IP -n ${p}c link set lo up
  attach $p c eth pub 192.0.2.10/24
  director_up $p 1
  director_up $p 2
  take $p 1
  roles $p 1 2
  wait_for 20 "$p: echo servers listening" sh -c "$IP netns exec ${p}r1 cat /proc/net/tcp | grep -q ':1B58 00000000:0000 0A'" || log SETUP-FAILED
  $IP netns exec ${p}c $CH hold $VIP $PORT $COUNT $EST_MS $OUT/$p.est & echo $! > $OUT/$p.est.pid
  $IP netns exec ${p}c $CH hold $VIP $PORT $IDLE $IDLE_MS $OUT/$p.idle & echo $! > $OUT/$p.idle.pid
  wait_for 400 "$p: $COUNT connections open" sh -c "[ \"\$(sed -n 's/.*opened=\([0-9]*\).*/\1/p' $OUT/$p.est)\" = $COUNT ] && [ \"\$(sed -n 's/.*opened=\([0-9]*\).*/\1/p' $OUT/$p.idle)\" = $IDLE ]" || log SETUP-FAILED
  log "$p: opened: $(status_of $p est) / idle $(status_of $p idle); holding ${HOLD_S}s"
  watch_backup $p 2 $HOLD_S   # the stimulus: long enough for an unrefreshed backup copy to expire
  log "$p: before failover: d2: $(table ${p}d2) d1: $(table ${p}d1)"
  snapshot $p
  if [ $MODE = planned ]; then
    release $p 1
  else
    for i in pub int hb; do $IP -n ${p}d1 link set $i down; done
  fi
  take $p 2
  log "$p: failover done; d2: $(table ${p}d2)"
  if [ $MODE = planned ]; then roles $p 2 1; else roles $p 2; fi   # a dead master runs nothing
  count $p failover
  log "$p: after failover count: d2: $(table ${p}d2) d1: $(table ${p}d1)"
  # d1 reboots: its namespace (IPVS table, daemons, sysctls) is destroyed and rebuilt
  $IP netns del ${p}d1
  wait_for 30 "$p: d1 gone" sh -c "! $IP link show $p-d1-pub" || log SETUP-FAILED
  director_up $p 1
  if [ $p = a ]; then
    app ${p}d1 sync wait --quiet $(sync_keys $p 1) catchup_max_wait=60
    log "$p: gate exit $?"
  else
    sleep 2   # keepalived preempts as soon as its higher priority is advertised
  fi
  log "$p: before failback: d1: $(table ${p}d1) d2: $(table ${p}d2)"
  snapshot $p
  release $p 2
  take $p 1
  log "$p: failback done"
  roles $p 1 2
  count $p failback
  app ${p}d1 sync status $(sync_keys $p 1) > $OUT/$p.status 2>&1
  kill $(cat $OUT/$p.est.pid) $(cat $OUT/$p.idle.pid)
}

run_pair a > $OUT/a.log 2>&1 &
A=$!
run_pair k > $OUT/k.log 2>&1 &
K=$!
wait $A; wait $K
cat $OUT/a.log $OUT/k.log
echo "--- appliance sync status on a/d1 after failback:"
cat $OUT/a.status
grep -h '^RESULT' $OUT/a.log $OUT/k.log
grep -q SETUP-FAILED $OUT/a.log $OUT/k.log && exit 1
exit 0
