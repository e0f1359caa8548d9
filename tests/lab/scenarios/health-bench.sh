# Benchmark (issue 7, docs/benchmarks.md "Health checks in the lab"): keepalived 2.2.7 against
# the appliance in the same guest (TCG, one vCPU), one after the other, on the same set: N real
# servers (10.1.0.1.., one small epoll server in namespace farm listening on every address:
# tests/Appliance.Tests/Health/bench/httpd.c, built static into tests/lab/cache by
# `make bench-health`; it answers after the request head and closes), one IPVS NAT
# service 192.0.2.100:80 in namespace dir, HTTP_GET /, delay_loop 1, connect_timeout 3, retry 1,
# delay_before_retry 1. Per run, after WARM s, over MEASURE s: checks completed per second
# (connections the farm accepted: TcpPassiveOpens of its namespace, product-neutral), CPU of the
# product's processes (utime + stime from /proc), CPU per check, peak RSS (VmHWM), healthy
# servers removed from IPVS (every server is healthy: each removal is wrong), real servers in
# the table at the end, the guest's idle share and the farm's own CPU. A third run per size is
# `appliance health bench` (the checker alone) for the lateness of check starts; a fourth, the
# same HTTP check from C, blocking, back to back (floor.c): the kernel's cost of one check in this
# guest, which no checker goes below. Not in `make test`: `make bench-health`.
#@ timeout 1500
#@ daemon off
#@ default no

SIZES=${HB_SIZES:-"100 1000"}
WARM=10
MEASURE=30
BIN=/usr/bin/appliance
VIP=192.0.2.100

# addresses N: the first N addresses from 10.1.0.1, host octets .0 and .255 skipped (as
# `appliance health bench --from` counts them).
addresses() {
  awk -v n="$1" 'BEGIN { a = 1; while (n > 0) { if (a % 256 != 0 && a % 256 != 255) { printf "10.1.%d.%d\n", int(a / 256), a % 256; n-- } a++ } }'
}

setup() {
  for ns in dir farm; do $IP netns add $ns; $IP -n $ns link set lo up; done
  $IP link add dir-eth0 type veth peer name eth0 netns farm
  $IP link set dir-eth0 netns dir
  $IP -n dir link set dir-eth0 name eth0
  $IP -n dir addr add 10.0.0.1/24 dev eth0
  $IP -n farm addr add 10.0.0.2/24 dev eth0
  $IP -n dir link set eth0 up
  $IP -n farm link set eth0 up
  # Every real server behind one gateway: one neighbour entry, not 1,000.
  $IP -n dir route add 10.1.0.0/16 via 10.0.0.2
  $IP -n farm route add 192.0.2.0/24 via 10.0.0.1
  # The director's public and heartbeat NICs (VRRP needs them; nothing listens on the far ends).
  for i in pub hb; do
    $IP link add "d-$i" type veth peer name "$i" netns dir
    $IP link set "d-$i" up
    $IP -n dir link set "$i" up
  done
  $IP -n dir addr add 192.0.2.2/24 dev pub
  $IP -n dir addr add 203.0.113.1/24 dev hb
  lab_ns dir sysctl -q -w net.ipv4.ip_forward=1
  max=0; for n in $SIZES; do [ "$n" -le "$max" ] || max=$n; done
  addresses "$max" | awk '{print "addr add " $1 "/32 dev lo"}' > /tmp/farm.batch
  $IP -n farm -batch /tmp/farm.batch
  # busybox httpd forks a child per request (about 11 ms of this guest's CPU each): it cannot
  # serve 1,000 checks a second, and both products then time out and remove healthy servers.
  # The epoll server answers any path with 200 and "OK".
  [ -x /lab/cache/health-httpd ] || lab_fail "no /lab/cache/health-httpd: run make bench-health (it builds it), not lab.sh alone"
  $IP netns exec farm /lab/cache/health-httpd 10.1.0.1 "$max" 80 1 > /tmp/farm.log 2>&1 &
  FARM_PID=$!
  wait_for "grep -q listening /tmp/farm.log" 60 "the farm did not start: $(cat /tmp/farm.log)"
  wait_for "lab_ns dir wget -q -O - http://$(addresses "$max" | tail -1)/ | grep -q OK" 20 "the farm does not answer on its last address"
}

appliance_config() { # N
  cat <<INI
[global]
node_name = bench
node_id = 1
public_interface = pub
heartbeat_interface = hb
log_level = info

[vrrp_instance VI_1]
virtual_router_id = 51
priority = 150
advert_int = 1
virtual_ipaddress = $VIP/24 dev pub

[virtual_server web]
address = $VIP
port = 80
lb_algo = rr
lb_kind = NAT
check = HTTP_GET
url_path = /
status_code = 200
delay_loop = 1
connect_timeout = 3
retry = 1
delay_before_retry = 1
INI
  lab_ini_off sync serial_heartbeat watchdog console
  addresses "$1" | awk '{printf "\n[real_server r%d]\nvirtual_server = web\naddress = %s\nport = 80\n", NR, $1}'
}

keepalived_config() { # N
  cat <<CONF
global_defs {
  router_id bench
}
vrrp_instance VI_1 {
  state BACKUP
  interface hb
  virtual_router_id 51
  priority 150
  advert_int 1
  virtual_ipaddress {
    $VIP/24 dev pub
  }
}
virtual_server $VIP 80 {
  delay_loop 1
  lb_algo rr
  lb_kind NAT
  protocol TCP
CONF
  addresses "$1" | awk '{printf "  real_server %s 80 {\n    weight 1\n    HTTP_GET {\n      url {\n        path /\n        status_code 200\n      }\n      connect_timeout 3\n      retry 1\n      delay_before_retry 1\n    }\n  }\n", $1}'
  echo "}"
}

passive_opens() { lab_ns farm cat /proc/net/snmp | awk '$1 == "Tcp:" && $7 ~ /^[0-9]+$/ {print $7}'; }
ticks() { # PID...: utime + stime of the processes, in clock ticks (1/100 s)
  t=0; for p in "$@"; do set -- $(cut -d' ' -f14,15 "/proc/$p/stat"); t=$((t + $1 + $2)); done; echo $t
}
hwm_kb() { # PID...: the sum of their VmHWM
  k=0; for p in "$@"; do k=$((k + $(awk '/^VmHWM:/ {print $2}' "/proc/$p/status"))); done; echo $k
}
idle() { awk '/^cpu / {print $5 + $6}' /proc/stat; }
thread_ticks() { # PID: "name ticks" per thread (utime + stime; comm may hold spaces, so cut after the ')')
  for t in /proc/"$1"/task/*; do
    printf '%s %s\n' "$(tr ' ' '_' < "$t/comm")" "$(sed 's/.*) //' "$t/stat" | cut -d' ' -f12,13 | awk '{print $1 + $2}')"
  done 2>/dev/null
}
in_table() { # N LIMIT_S
  _end=$(( $(date +%s) + $2 ))
  until [ "$(in_table)" -eq "$1" ]; do [ "$(date +%s)" -lt "$_end" ] || return 1; sleep 1; done
}
in_table() { lab_ns dir ipvsadm -Ln | grep -c ' 10\.1\.[0-9]*\.[0-9]*:80 '; }

# measure PRODUCT N LOG REMOVAL_PATTERN PID...: one measurement window; prints the result line.
measure() {
  product=$1 n=$2 log=$3 pattern=$4; shift 4
  sleep "$WARM"
  o0=$(passive_opens); c0=$(ticks "$@"); f0=$(ticks "$FARM_PID"); i0=$(idle); r0=$(grep -c "$pattern" "$log" || true); read u0 _ < /proc/uptime
  sleep "$MEASURE"
  o1=$(passive_opens); c1=$(ticks "$@"); f1=$(ticks "$FARM_PID"); i1=$(idle); r1=$(grep -c "$pattern" "$log" || true); read u1 _ < /proc/uptime
  hwm=$(hwm_kb "$@"); left=$(in_table)
  awk -v p="$product" -v n="$n" -v o=$((o1 - o0)) -v c=$((c1 - c0)) -v f=$((f1 - f0)) -v i=$((i1 - i0)) -v r=$((r1 - r0)) \
      -v u0="$u0" -v u1="$u1" -v hwm="$hwm" -v left="$left" 'BEGIN {
    el = u1 - u0
    printf "HB-RESULT %s n=%d seconds=%.1f checks_per_s=%.1f due_per_s=%d cpu_pct=%.1f us_cpu_per_check=%.0f peak_rss_mb=%.1f wrong_removals=%d removals_per_min=%.1f in_table_end=%d guest_idle_pct=%.1f farm_cpu_pct=%.1f\n",
      p, n, el, o / el, n, c / el, (o > 0 ? c * 10000 / o : 0), hwm / 1024, r, r * 60 / el, left, i / el, f / el
  }'
}

run_keepalived() { # N
  keepalived_config "$1" > /tmp/k.conf
  rm -f /tmp/k*.pid
  $IP netns exec dir keepalived -n -l -D -f /tmp/k.conf -p /tmp/k.pid -c /tmp/kc.pid -r /tmp/kv.pid > /tmp/k.log 2>&1 &
  wait_for "[ -s /tmp/kc.pid ] && [ -s /tmp/kv.pid ] && [ -s /tmp/k.pid ]" 60 "keepalived did not start its children: $(tail -3 /tmp/k.log | tr '\n' ' ')"
  wait_for "[ \$(in_table) -eq $1 ]" 120 "keepalived did not put the $1 real servers into IPVS: $(in_table)"
  parent=$(cat /tmp/k.pid) checker=$(cat /tmp/kc.pid) vrrp=$(cat /tmp/kv.pid)
  measure "keepalived-checker" "$1" /tmp/k.log "Removing service" "$checker"
  # The whole of keepalived (parent, checker and VRRP children) for the same window is not
  # re-measured: the parent and the VRRP child are idle next to the checker (see the CPU line).
  echo "LAB: keepalived processes: parent $parent ($(ticks "$parent") ticks), checker $checker ($(ticks "$checker")), vrrp $vrrp ($(ticks "$vrrp")); peak RSS kB: $(hwm_kb "$parent") $(hwm_kb "$checker") $(hwm_kb "$vrrp")"
  kill "$parent"
  wait_for "! kill -0 $parent 2>/dev/null && ! kill -0 $checker 2>/dev/null" 30 "keepalived did not stop"
  lab_ns dir ipvsadm -C
}

run_appliance() { # N
  appliance_config "$1" > /tmp/a.ini
  lab_ns dir "$BIN" check-config /tmp/a.ini > /dev/null || lab_fail "the bench configuration is refused: $(lab_ns dir "$BIN" check-config /tmp/a.ini 2>&1 | tail -3 | tr '\n' ' ')"
  mkdir -p "/tmp/run-a$1"
  $IP netns exec dir env APPLIANCE_RUN_DIR="/tmp/run-a$1" "$BIN" run --config /tmp/a.ini --log-target stderr > /tmp/a.log 2>&1 &
  pid=$!
  # Servers start up (no alpha): the first reconcile puts all N in; checks then decide.
  wait_for "grep -q 'ipvs: .* applied' /tmp/a.log" 120 "the appliance never reconciled IPVS: $(head -c 400 /tmp/a.log | tr '\n' ' ')"
  thread_ticks "$pid" > /tmp/threads0
  measure "appliance" "$1" /tmp/a.log " is DOWN" "$pid"
  thread_ticks "$pid" > /tmp/threads1
  # Where the daemon's CPU went in (about) the same window, by thread: "health" is the checker
  # (the part comparable to keepalived's checker child), the rest is VRRP, IPVS, the guard ...
  echo "HB-THREADS appliance n=$1 $(awk 'NR == FNR {t0[$1] += $2; next} {t1[$1] += $2} END {for (n in t1) if (t1[n] - t0[n] > 0) printf "%s=%d ", n, t1[n] - t0[n]}' /tmp/threads0 /tmp/threads1)(ticks of 10 ms over warm-up and measurement)"
  kill -TERM "$pid"
  wait_for "! kill -0 $pid 2>/dev/null" 30 "the appliance did not stop"
  lab_ns dir ipvsadm -C
}

run_floor() { # N: blocking HTTP checks from C, back to back, 10 rounds over N servers
  [ -x /lab/cache/health-floor ] || lab_fail "no /lab/cache/health-floor: run make bench-health"
  lab_ns dir /lab/cache/health-floor 10.1.0.1 "$1" 80 10 | sed 's/^/HB-FLOOR n='"$1"' /'
}

run_checker_alone() { # N: the appliance's checker without IPVS, for the lateness of check starts
  lab_ns dir "$BIN" health bench --servers "$1" --from 10.1.0.1 --port 80 --kind http --delay-loop 1 --connect-timeout 3 --warm "$WARM" --seconds "$MEASURE" | sed 's/^/HB-BENCH n='"$1"' /'
}

scenario_main() {
  setup
  echo "LAB: guest $(uname -r), $(grep -c ^processor /proc/cpuinfo) vCPU; sizes $SIZES; warm-up $WARM s, measured $MEASURE s"
  for n in $SIZES; do
    run_keepalived "$n"
    run_appliance "$n"
    run_checker_alone "$n"
    run_floor "$n"
  done
}
