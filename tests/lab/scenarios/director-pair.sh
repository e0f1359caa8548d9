# Scenario: the product daemon end to end on the real kernel. Two directors (namespaces dirA,
# dirB) each run `appliance run --config` from their own INI: VRRP over the heartbeat bridge,
# VIPs 192.0.2.100 (public) and 198.51.100.1 (the real servers' gateway) moving together,
# IPVS NAT to rs1/rs2 reconciled from the configuration, HTTP_GET health checks on both
# directors, connection sync following the VRRP state, dirA's front-panel LEDs on the
# keyboard's LED class devices. Asserts: exactly one VIP holder; the client is served by both
# real servers; rs1's HTTP server stopped -> rs1 leaves both directors' tables, the client is
# still served; SIGTERM of the master's daemon -> the backup holds the VIPs and serves.
#@ timeout 150
#@ daemon off

VIP=192.0.2.100
BIN=/usr/bin/appliance

# write_config NS PRIORITY [LEDS_SECTION]: /tmp/NS.ini
write_config() {
  cat > "/tmp/$1.ini" <<INI
[global]
node_name = $1
node_id = $2
public_interface = pub
heartbeat_interface = hb
log_level = info

[vrrp_instance VI_PUB]
virtual_router_id = 51
priority = $3
advert_int = 0.5
preempt = yes
virtual_ipaddress = $VIP/24 dev pub
track_interface = pub

[vrrp_instance VI_GW]
virtual_router_id = 52
priority = $3
advert_int = 0.5
preempt = yes
virtual_ipaddress = $LAB_RS_GW/24 dev rs
track_interface = rs

[virtual_server web]
address = $VIP
port = 80
protocol = TCP
lb_algo = rr
lb_kind = NAT
check = HTTP_GET
url_path = /
status_code = 200
delay_loop = 1
connect_timeout = 1
retry = 1
delay_before_retry = 1

[real_server rs1]
virtual_server = web
address = 198.51.100.11
port = 80

[real_server rs2]
virtual_server = web
address = 198.51.100.12
port = 80

[ipvs]
timeout_tcp = 600
timeout_tcpfin = 90
timeout_udp = 240

[sync]
enabled = yes
; Both daemons start together: whichever wins the start-up race, dirA (150) preempts within
; this bound (the failback gate's maximum wait; the factory waits up to one timeout).
catchup_max_wait = 5

[serial_heartbeat]
enabled = no

[watchdog]
enabled = no

[console]
enabled = no
$4
INI
}

# start_director NS: the daemon in NS, its own run directory (IPVS ownership, sync status).
start_director() {
  mkdir -p "/tmp/run-$1"
  # Not through lab_ns: a backgrounded shell function is a subshell, and $! would be its PID.
  # ip netns exec and env both exec, so $! is the daemon itself.
  $IP netns exec "$1" env APPLIANCE_RUN_DIR="/tmp/run-$1" "$BIN" run --config "/tmp/$1.ini" --log-target stderr > "/tmp/$1.log" 2>&1 &
  echo $! > "/tmp/appliance-$1.pid"
}

# stop_http NS: ends NS's httpd (lab_http_server's PID file holds a subshell's PID, not httpd's).
stop_http() {
  for p in $($IP netns pids "$1"); do
    grep -q httpd "/proc/$p/cmdline" 2>/dev/null && kill "$p"
  done
  wait_for "! lab_ns dirA timeout 2 wget -q -O - http://198.51.100.11/" 10 "$1's HTTP server still answers"
}

holders() {
  for ns in dirA dirB; do
    $IP -n "$ns" -o addr show dev pub | grep -q " $VIP/" && printf '%s ' "$ns"
  done
  return 0
}

# collect N: the distinct bodies of N GETs through the VIP, sorted, space separated.
collect() {
  : > /tmp/answers
  i=0
  while [ $i -lt "$1" ]; do
    lab_http_get client "http://$VIP/" >> /tmp/answers || true
    i=$((i + 1))
  done
  sort -u /tmp/answers | tr '\n' ' '
}

in_table() { lab_ns "$1" ipvsadm -Ln | grep -q " $2:80 .*Masq"; }
led() { cat "/sys/class/leds/$1/brightness"; }
logs() {
  for ns in dirA dirB; do
    echo "--- $ns: $($IP -n $ns -o addr show dev pub | awk '{print $4}' | paste -sd' ')"
    tail -n 25 /tmp/$ns.log
  done
}

scenario_main() {
  trap logs EXIT
  lab_topology
  lab_http_server rs1
  lab_http_server rs2
  # The lab machine has no front panel: the PS/2 keyboard's LEDs (input-leds) are real LED
  # class devices and stand in for dirA's MASTER and BACKUP LEDs.
  cap=$(basename "$(ls -d /sys/class/leds/input*::capslock | head -1)")
  num=$(basename "$(ls -d /sys/class/leds/input*::numlock | head -1)")
  [ -n "$cap" ] && [ -n "$num" ] || lab_fail "no keyboard LED class devices (input-leds)"
  echo 0 > "/sys/class/leds/$cap/brightness"
  echo 0 > "/sys/class/leds/$num/brightness"

  write_config dirA 1 150 "[leds]
master = $cap
backup = $num"
  write_config dirB 2 100
  for ns in dirA dirB; do
    lab_ns $ns "$BIN" check-config /tmp/$ns.ini > /dev/null || lab_fail "$ns.ini is refused: $(lab_ns $ns "$BIN" check-config /tmp/$ns.ini 2>&1 | tail -3 | tr "\n" " ")"
  done
  start_director dirA
  start_director dirB

  wait_for '[ "$(holders)" = "dirA " ]' 30 "expected dirA alone to hold $VIP, holders: '$(holders)'"
  wait_for "grep -q 'director is BACKUP' /tmp/dirB.log" 10 "dirB never reported BACKUP"
  [ "$(holders)" = "dirA " ] || lab_fail "VIP holders after dirB settled: '$(holders)'"
  $IP -n dirB -o addr show dev rs | grep -q " $LAB_RS_GW/" && lab_fail "dirB holds the gateway VIP as BACKUP"
  echo "LAB: VIP held by $(holders)"

  # IPVS from the configuration, through the appliance's own netlink path, in both tables.
  for ns in dirA dirB; do
    wait_for "in_table $ns 198.51.100.11 && in_table $ns 198.51.100.12" 20 "$ns's IPVS table lacks rs1/rs2: $(lab_ns $ns ipvsadm -Ln | tr '\n' '|')"
  done
  wait_for '[ "$(collect 6)" = "rs1 rs2 " ]' 20 "the client is not served by both rs1 and rs2 through $VIP: '$(collect 6)'"
  echo "LAB: client served by $(collect 6)"

  # [ipvs] timeouts set by the daemon in each director's kernel (per network namespace).
  for ns in dirA dirB; do
    wait_for "lab_ns $ns ipvsadm -L --timeout | grep -q 'Timeout (tcp tcpfin udp): 600 90 240'" 10 \
      "$ns's IPVS timeouts are not [ipvs]'s 600 90 240: $(lab_ns $ns ipvsadm -L --timeout)"
  done

  # Connection sync daemons started by the daemon (both kinds, docs/sync.md).
  wait_for "lab_ns dirA ipvsadm -L --daemon | grep -q master && lab_ns dirA ipvsadm -L --daemon | grep -q backup" 10 \
    "dirA runs no master+backup sync daemons: $(lab_ns dirA ipvsadm -L --daemon | tr '\n' '|')"

  # Front panel: MASTER lit, BACKUP dark on dirA.
  wait_for '[ "$(led $cap)" -gt 0 ] && [ "$(led $num)" = 0 ]' 10 "dirA's LEDs: master($cap)=$(led $cap) backup($num)=$(led $num), expected lit/dark"

  # Health: rs1 stops answering -> it leaves both tables (delay_loop 1 x (retry 1 + 1) + slack).
  stop_http rs1
  wait_for "! in_table dirA 198.51.100.11" 10 "rs1 is still in dirA's table after its HTTP server stopped: $(lab_ns dirA ipvsadm -Ln | tr '\n' '|')"
  wait_for "! in_table dirB 198.51.100.11" 10 "rs1 is still in dirB's (backup) table after its HTTP server stopped"
  in_table dirA 198.51.100.12 || lab_fail "rs2 left dirA's table with rs1"
  got=$(collect 4)
  [ "$got" = "rs2 " ] || lab_fail "after rs1 failed the client got '$got', expected rs2 only"
  echo "LAB: rs1 removed from both tables; client served by $got"

  # SIGHUP on dirB: a bad file is refused and its table stays; a good one is applied through
  # the same reconcile path (rs2's weight edited in place, rs1 still out: health state kept).
  cp /tmp/dirB.ini /tmp/dirB.good
  sed -i 's/^lb_algo = rr$/lb_algo = rrr/' /tmp/dirB.ini
  kill -HUP "$(cat /tmp/appliance-dirB.pid)"
  wait_for "grep -q 'reload rejected' /tmp/dirB.log" 10 "dirB did not reject the bad reload"
  lab_ns dirB ipvsadm -Ln | grep -q 'TCP  192.0.2.100:80 rr' || lab_fail "dirB's service changed after a rejected reload"
  in_table dirB 198.51.100.12 || lab_fail "rs2 left dirB's table after a rejected reload"
  sed '/^\[real_server rs2\]$/a weight = 3' /tmp/dirB.good > /tmp/dirB.ini
  kill -HUP "$(cat /tmp/appliance-dirB.pid)"
  wait_for "lab_ns dirB ipvsadm -Ln | grep -q ' 198.51.100.12:80 *Masq *3 '" 10 "dirB's rs2 weight is not 3 after the reload: $(lab_ns dirB ipvsadm -Ln | tr '\n' '|')"
  in_table dirB 198.51.100.11 && lab_fail "rs1 came back into dirB's table on reload although it is DOWN"
  echo "LAB: dirB reload: bad file refused with the table kept; rs2 weight 3 applied in place, rs1 still out"

  # SIGTERM of the master's daemon: graceful stop (priority 0), dirB takes over at once.
  kill -TERM "$(cat /tmp/appliance-dirA.pid)"
  wait_for '[ "$(holders)" = "dirB " ]' 15 "after SIGTERM of dirA's daemon the holders are '$(holders)', expected dirB alone"
  wait_for "$IP -n dirB -o addr show dev rs | grep -q ' $LAB_RS_GW/'" 10 "dirB did not take the gateway VIP"
  wait_for "! kill -0 $(cat /tmp/appliance-dirA.pid)" 15 "dirA's daemon did not exit after SIGTERM"
  grep -q 'stopped' /tmp/dirA.log || lab_fail "dirA's daemon did not log an orderly stop"
  [ "$(led $cap)" = 0 ] || lab_fail "dirA's MASTER LED is still lit after its daemon stopped"
  wait_for '[ "$(collect 2)" = "rs2 " ]' 15 "the client is not served through $VIP by dirB: '$(collect 2)'"
  echo "LAB: after SIGTERM of dirA the VIP is on $(holders)and the client is served by $(collect 2)"
  kill -TERM "$(cat /tmp/appliance-dirB.pid)"
}
