# Shell library for lab scenarios, sourced in the guest (busybox ash). Later scenarios
# reuse it: lab_topology builds the namespaced network, wait_for bounds every wait.
#
# Topology (lab_topology), all in one guest, joined by bridges in the root namespace:
#
#   client 192.0.2.10 ─┐                  br-pub 192.0.2.0/24 (VIP side, VIPs 192.0.2.100+)
#   dirA   192.0.2.2  ─┤ pub
#   dirB   192.0.2.3  ─┘ pub
#   dirA   198.51.100.2 ─┐ rs             br-rs 198.51.100.0/24 (real-server LAN)
#   dirB   198.51.100.3 ─┤ rs             gateway 198.51.100.1 = the active director
#   rs1    198.51.100.11 ┤ eth0
#   rs2    198.51.100.12 ┘ eth0
#   dirA   203.0.113.1 ─┐ hb              br-hb 203.0.113.0/24 (heartbeat link)
#   dirB   203.0.113.2 ─┘ hb
#
# Each namespace has its own IPVS table, routes and sysctls. iproute2 is called by full
# path: busybox ash would otherwise run its own `ip` applet, which lacks `ip netns`.

IP=/bin/ip
LAB_NAMESPACES="dirA dirB rs1 rs2 client"
LAB_VIP=192.0.2.100
LAB_RS_GW=198.51.100.1

# lab_ini_off SECTION...: INI sections switched off ("[watchdog]" / "enabled = no" ...), for the
# appliance configurations the scenarios write (a lab VM has no serial cable, watchdog or console
# unless the scenario asks for one).
lab_ini_off() {
  for _section in "$@"; do printf '\n[%s]\nenabled = no\n' "$_section"; done
}

# lab_fail MSG: ends the scenario with MSG as the reason.
lab_fail() {
  echo "LAB: FAIL: $*"
  echo "$*" > /tmp/lab-fail
  exit 1
}

# wait_for CMD TIMEOUT_S MSG: re-evaluates CMD every 0.2 s until it succeeds; fails the
# scenario with MSG after TIMEOUT_S seconds.
wait_for() {
  _wf_cmd=$1 _wf_limit=$2 _wf_msg=$3
  _wf_end=$(( $(date +%s) + _wf_limit ))
  while ! eval "$_wf_cmd" >/dev/null 2>&1; do
    [ "$(date +%s)" -lt "$_wf_end" ] || lab_fail "timed out after ${_wf_limit} s: $_wf_msg"
    sleep 0.2
  done
}

# lab_ns NS CMD...: runs CMD in namespace NS.
lab_ns() {
  _ns=$1; shift
  $IP netns exec "$_ns" "$@"
}

# lab_port NS IFNAME BRIDGE ADDR/PREFIX: a veth pair whose namespace end is IFNAME in NS
# and whose other end (NS-IFNAME, at most 15 characters) is a port of BRIDGE.
lab_port() {
  _host="$1-$2"
  $IP link add "$_host" type veth peer name "$2" netns "$1"
  $IP link set "$_host" master "$3" up
  $IP -n "$1" addr add "$4" dev "$2"
  $IP -n "$1" link set "$2" up
}

lab_bridge() {
  # No multicast snooping: VRRP adverts and the sync daemon's multicast must flood.
  $IP link add "$1" type bridge mcast_snooping 0
  $IP link set "$1" up
}

# lab_topology: builds the namespaces and bridges drawn above.
lab_topology() {
  for br in br-pub br-rs br-hb; do lab_bridge "$br"; done
  for ns in $LAB_NAMESPACES; do
    $IP netns add "$ns"
    $IP -n "$ns" link set lo up
  done
  lab_port client eth0 br-pub 192.0.2.10/24
  lab_port dirA pub br-pub 192.0.2.2/24
  lab_port dirB pub br-pub 192.0.2.3/24
  lab_port dirA rs br-rs 198.51.100.2/24
  lab_port dirB rs br-rs 198.51.100.3/24
  lab_port rs1 eth0 br-rs 198.51.100.11/24
  lab_port rs2 eth0 br-rs 198.51.100.12/24
  lab_port dirA hb br-hb 203.0.113.1/24
  lab_port dirB hb br-hb 203.0.113.2/24
  for ns in dirA dirB; do
    lab_ns "$ns" sysctl -q -w net.ipv4.ip_forward=1
  done
  for ns in rs1 rs2; do
    $IP -n "$ns" route add default via "$LAB_RS_GW"
  done
  wait_for "lab_ns client ping -c1 -W1 192.0.2.2" 10 "client cannot reach dirA over br-pub"
  wait_for "lab_ns rs1 ping -c1 -W1 198.51.100.2" 10 "rs1 cannot reach dirA over br-rs"
  wait_for "lab_ns dirA ping -c1 -W1 203.0.113.2" 10 "dirA cannot reach dirB over br-hb"
}

# lab_http_server NS: busybox httpd in NS on port 80 answering its own name. The PID is
# kept in /tmp/httpd-NS.pid (namespaces share one PID space: never kill by name).
lab_http_server() {
  mkdir -p "/tmp/www-$1"
  echo "$1" > "/tmp/www-$1/index.html"
  lab_ns "$1" busybox httpd -f -p 80 -h "/tmp/www-$1" &
  echo $! > "/tmp/httpd-$1.pid"
  wait_for "lab_ns $1 netstat -ltn | grep -q ':80 '" 10 "httpd in $1 did not listen on port 80"
}

# lab_http_get NS URL: the body of a GET from NS, bounded (busybox wget -T crashes).
lab_http_get() {
  lab_ns "$1" timeout 5 wget -q -O - "$2"
}

# lab_rs_dr NS VIP: a real server for LVS-DR: VIP on lo, and no ARP answers or
# announcements for it (arp_ignore=1, arp_announce=2), so only the director owns it.
lab_rs_dr() {
  lab_ns "$1" sysctl -q -w net.ipv4.conf.all.arp_ignore=1
  lab_ns "$1" sysctl -q -w net.ipv4.conf.all.arp_announce=2
  $IP -n "$1" addr add "$2/32" dev lo
}

# lab_daemon_log_has TEXT: the appliance daemon's log (kept by the supervisor) has TEXT.
lab_daemon_log_has() {
  grep -qF -- "$1" /run/log/appliance.log 2>/dev/null
}

# lab_no_fault: fails the scenario when the supervisor gave up on the daemon.
lab_no_fault() {
  if [ "$(cat /run/appliance/supervisor 2>/dev/null)" = FAULT ]; then
    lab_fail "the supervisor is in FAULT: the daemon kept exiting (last lines: $(tail -n 3 /run/log/appliance.log | tr '\n' ' '))"
  fi
}
