# Scenario: health checks drive the real kernel's IPVS table (issue 7). dirA runs
# `appliance run` (VIP 192.0.2.100 and the real servers' gateway by VRRP, IPVS NAT) with
# HTTP_GET checks (delay_loop 1, retry 1, delay_before_retry 1) of three real busybox httpd
# servers in their own namespaces; a client namespace sends GETs through the VIP the whole
# time. Asserts, each against a measured time:
# - rs1's httpd stopped -> rs1 leaves `ipvsadm -Ln` of service :80 and gets weight 0 in the
#   inhibit_on_failure service :81 within delay_loop x (retry + 1) + 1 s; nothing else changes;
# - rs1's httpd restarted -> it is back (weight 1 in both) within delay_loop x rise + 1 s;
# - every real server's httpd stopped -> the sorry server enters service :80 within
#   delay_loop x (retry + 1) + 1 s and answers; restarted -> the real servers return and the
#   sorry server is quiesced (weight 0: the request it is answering finishes);
# - the client got an answer to every request except those IPVS scheduled to a stopped server
#   before the checker took it out: each such failure must be "Connection refused" (the stopped
#   server's RST, relayed by the NAT director) and lie inside that detection window.
#@ timeout 180
#@ daemon off

VIP=192.0.2.100
BIN=/usr/bin/appliance
SORRY=198.51.100.20
RS3=198.51.100.13
DELAY_LOOP=1
RETRY=1
RISE=1
# The issue's bounds, in hundredths of a second (the resolution of /proc/uptime).
OUT_BOUND=$(( (DELAY_LOOP * (RETRY + 1) + 1) * 100 ))
BACK_BOUND=$(( (DELAY_LOOP * RISE + 1) * 100 ))

write_config() {
  cat > /tmp/dirA.ini <<INI
[global]
node_name = dirA
node_id = 1
public_interface = pub
heartbeat_interface = hb
log_level = debug

[vrrp_instance VI_PUB]
virtual_router_id = 51
priority = 150
advert_int = 0.5
virtual_ipaddress = $VIP/24 dev pub
track_interface = pub

[vrrp_instance VI_GW]
virtual_router_id = 52
priority = 150
advert_int = 0.5
virtual_ipaddress = $LAB_RS_GW/24 dev rs
track_interface = rs

# Removal on failure, the sorry server while no real server is healthy.
[virtual_server web]
address = $VIP
port = 80
lb_algo = rr
lb_kind = NAT
sorry_server = $SORRY 80
check = HTTP_GET
url_path = /
status_code = 200
delay_loop = $DELAY_LOOP
connect_timeout = 2
retry = $RETRY
delay_before_retry = $DELAY_LOOP
rise = $RISE

# The same real servers with inhibit_on_failure: weight 0 instead of removal.
[virtual_server web-inhibit]
address = $VIP
port = 81
lb_algo = rr
lb_kind = NAT
check = HTTP_GET
url_path = /
delay_loop = $DELAY_LOOP
connect_timeout = 2
retry = $RETRY
delay_before_retry = $DELAY_LOOP
rise = $RISE
INI
  for n in 1 2 3; do
    cat >> /tmp/dirA.ini <<INI

[real_server rs$n]
virtual_server = web
address = 198.51.100.1$n
port = 80

[real_server rs${n}i]
virtual_server = web-inhibit
address = 198.51.100.1$n
port = 80
inhibit_on_failure = yes
INI
  done
  lab_ini_off sync serial_heartbeat watchdog console >> /tmp/dirA.ini
}

# now: sets NOW to /proc/uptime in hundredths of a second (builtins only: no process).
now() {
  read _up _ < /proc/uptime
  NOW=$(( ${_up%.*} * 100 + 1${_up#*.} - 100 ))
}
cs() { printf '%d.%02d' $(($1 / 100)) $(($1 % 100)); }

# httpd_start NS: busybox httpd on :80 answering NS's name. Started through `ip netns exec`
# (which execs), so $! is httpd itself: stopping it ends the listener only, and requests
# already accepted finish in their own child processes. httpd_listening sets LISTEN_T0 to the
# start of the last look that did not find the listener yet: the service is back at the
# earliest then, so times measured from LISTEN_T0 are upper bounds.
httpd_start() { httpd_launch "$1"; httpd_listening "$1"; }
httpd_launch() {
  now; LAUNCH_T=$NOW
  mkdir -p "/tmp/www-$1"
  echo "$1" > "/tmp/www-$1/index.html"
  $IP netns exec "$1" busybox httpd -f -p 80 -h "/tmp/www-$1" &
  echo $! > "/tmp/httpd-$1.pid"
}
httpd_listening() {
  now; LISTEN_T0=$LAUNCH_T _l0=$NOW
  while ! lab_ns "$1" netstat -ltn | grep -q ':80 '; do
    now; [ $((NOW - _l0)) -lt 1000 ] || lab_fail "httpd in $1 did not listen on port 80 within 10 s"
    sleep 0.05
    now; LISTEN_T0=$NOW
  done
}
httpd_stop() {
  kill "$(cat "/tmp/httpd-$1.pid")"
}

# The table is watched two ways. Timing: a poller in dirA's namespace reads the kernel's IPVS
# table (/proc/net/ip_vs, hex addresses) every 50 ms with shell builtins only (no process per
# look, so watching does not slow the one-vCPU guest) and appends each change, stamped with
# /proc/uptime, to /tmp/ipvs.events as "TIME ;SERVICE DEST WEIGHT;...". Verdict: once a change
# is timed, `ipvsadm -Ln` (the operator's view) must show the same.
poller_start() {
  cat > /tmp/poller.sh <<'SH'
exec 3<> /tmp/poll.fifo
prev= last=
while [ ! -f /tmp/poll.stop ]; do
  # A look every 5 cs: a gap over 30 cs means the guest (this poller with it) did not run.
  read u _ < /proc/uptime; t=$(( ${u%.*} * 100 + 1${u#*.} - 100 ))
  [ -z "$last" ] || [ $((t - last)) -le 30 ] || echo "$last $t" >> /tmp/ipvs.stalls
  last=$t
  cur=";"
  while read -r a b c d rest; do
    case "$a" in
      TCP|UDP|SCTP|FWM) svc=$b ;;
      "->") [ "$b" = RemoteAddress:Port ] || cur="$cur$svc $b $d;" ;;
    esac
  done < /proc/net/ip_vs
  if [ "$cur" != "$prev" ]; then
    read u _ < /proc/uptime
    echo "$(( ${u%.*} * 100 + 1${u#*.} - 100 )) $cur" >> /tmp/ipvs.events
    prev=$cur
  fi
  read -t 0.05 _ <&3 || :
done
SH
  rm -f /tmp/poll.stop /tmp/ipvs.events /tmp/ipvs.stalls /tmp/poll.fifo
  touch /tmp/ipvs.stalls
  mkfifo /tmp/poll.fifo
  $IP netns exec dirA sh /tmp/poller.sh &
  echo $! > /tmp/poller.pid
}
poller_stop() {
  touch /tmp/poll.stop
  wait_for "! kill -0 $(cat /tmp/poller.pid)" 10 "the IPVS poller did not stop"
}

# has PORT RS [WEIGHT] / lacks PORT RS: real server 198.51.100.RS:80 is (with WEIGHT) / is not
# in the service VIP:PORT; against TBL (a poller line) in mode poll, against /tmp/table
# (ipvsadm -Ln) in mode ipvsadm. Builtins only in mode poll.
MODE=ipvsadm
has() {
  if [ "$MODE" = poll ]; then
    case $1 in 80) _s=C0000264:0050 ;; 81) _s=C0000264:0051 ;; esac
    case $2 in 11) _r=C633640B ;; 12) _r=C633640C ;; 13) _r=C633640D ;; 20) _r=C6336414 ;; esac
    case "$TBL" in *";$_s $_r:0050 ${3:+$3;}"*) return 0 ;; esac
    return 1
  fi
  if [ -n "$3" ]; then grep -qx "$VIP:$1 198.51.100.$2:80 $3" /tmp/table; else grep -q "^$VIP:$1 198.51.100.$2:80 " /tmp/table; fi
}
lacks() { ! has "$1" "$2"; }
# table: dirA's IPVS table as ipvsadm -Ln shows it, one "service rs:port weight" per line.
table() {
  lab_ns dirA ipvsadm -Ln | awk '$1 == "TCP" {s = $2} $1 == "->" && $2 != "RemoteAddress:Port" {print s, $2, $4}'
}
now_has() { table > /tmp/table; has "$@"; }

# timed T0 LIMIT_CS NAME CMD [NAME CMD]...: waits (at most 20 s) until each CMD has held in the
# poller's record at or after T0, then fails unless each first held within LIMIT_CS hundredths
# of a second of T0, or unless ipvsadm -Ln now disagrees with the poller. Sets TOOK to the
# measured times in order, AT1 to the time the first CMD first held.
timed() {
  _t0=$1 _lim=$2; shift 2
  _n=$(( $# / 2 ))
  while :; do
    _j=1; while [ $_j -le $_n ]; do eval "_took$_j="; _j=$((_j + 1)); done
    _left=$_n _prevline=""
    MODE=poll
    while read -r _tt TBL; do
      if [ "$_tt" -le "$_t0" ]; then _prevline=$TBL; continue; fi
      if [ -n "$_prevline" ]; then _save=$TBL; TBL=$_prevline; _at=$_t0; _eval_conds "$@"; TBL=$_save; _prevline=""; fi
      _at=$_tt; _eval_conds "$@"
    done < /tmp/ipvs.events
    if [ -n "$_prevline" ]; then TBL=$_prevline; _at=$_t0; _eval_conds "$@"; fi
    MODE=ipvsadm
    [ "$_left" -gt 0 ] || break
    now; [ $((NOW - _t0)) -lt 2000 ] || lab_fail "timed out after 20 s waiting for: $(_pending "$@")table: $(table | tr '\n' '|')"
    sleep 0.2
  done
  TOOK="" STALLED="" _j=1
  while [ $_j -le $_n ]; do
    eval "_took=\$_took$_j; _name=\${$(( 2 * _j - 1 ))}"
    # Time the guest did not run at all (the poller's gaps beyond its 5 cs rhythm, 10 cs
    # allowed per gap) is the host's, not the daemon's: it is reported and taken off.
    _st=$(awk -v a="$_t0" -v b=$((_t0 + _took)) '{ s = ($1 > a ? $1 : a); e = ($2 < b ? $2 : b); if (e - s > 10) t += e - s - 10 } END { print t + 0 }' /tmp/ipvs.stalls)
    [ $((_took - _st)) -le "$_lim" ] || lab_fail "$_name took $(cs "$_took") s ($(cs "$_st") s of it with the guest not running), bound $(cs "$_lim") s"
    STALLED="$STALLED$_st "
    [ $_j -gt 1 ] || AT1=$((_t0 + _took))
    TOOK="$TOOK$_took "
    _j=$((_j + 1))
  done
  # The operator's view agrees (the poller saw the kernel's table; so does ipvsadm).
  table > /tmp/table
  _j=1
  while [ $_j -le $_n ]; do
    eval "_c=\${$(( 2 * _j ))}; _name=\${$(( 2 * _j - 1 ))}"
    eval "$_c" || lab_fail "$_name: the poller saw it but ipvsadm -Ln does not show it: $(tr '\n' '|' < /tmp/table)"
    _j=$((_j + 1))
  done
}
# Evaluates the pending conditions of timed against TBL at time _at (positional args are timed's).
_eval_conds() {
  _k=1
  while [ $_k -le $_n ]; do
    eval "_d=\$_took$_k"
    if [ -z "$_d" ]; then
      eval "_c=\${$(( 2 * _k ))}"
      if eval "$_c"; then eval "_took$_k=$((_at - _t0))"; _left=$((_left - 1)); fi
    fi
    _k=$((_k + 1))
  done
}
# stalls: what timed's last call took off, for the LAB lines.
stalls() { case "$STALLED" in *[1-9]*) echo " (guest not running: $(for x in $STALLED; do printf '%s ' "$(cs "$x")"; done)s taken off)" ;; esac; }
_pending() {
  _j=1 _p=""
  while [ $_j -le $_n ]; do
    eval "_done=\$_took$_j; _name=\${$(( 2 * _j - 1 ))}"
    [ -n "$_done" ] || _p="$_p$_name; "
    _j=$((_j + 1))
  done
  echo "$_p"
}

# The client: a GET through the VIP every 0.2 s or so, one line per request:
# "START END OK BODY" or "START END FAIL MESSAGE" (times in hundredths of a second).
client_start() {
  cat > /tmp/client.sh <<'SH'
while [ ! -f /tmp/client.stop ]; do
  read u _ < /proc/uptime; t0=$(( ${u%.*} * 100 + 1${u#*.} - 100 ))
  if out=$(timeout 5 wget -q -O - "http://$1/" 2>&1); then r="OK $out"; else r="FAIL $out"; fi
  read u _ < /proc/uptime; t1=$(( ${u%.*} * 100 + 1${u#*.} - 100 ))
  echo "$t0 $t1 $r" | tr '\n' ' ' >> /tmp/client.log; echo >> /tmp/client.log
  sleep 0.2
done
SH
  rm -f /tmp/client.stop /tmp/client.log
  # At nice 19: the client stands for other machines; in this one-vCPU guest it must not take
  # the CPU from the director's daemon (nor from the pollers that time it).
  $IP netns exec client sh /tmp/client.sh "$VIP" &
  echo $! > /tmp/client.pid
  renice -n 19 -p $! > /dev/null
}
client_stop() {
  touch /tmp/client.stop
  wait_for "! kill -0 $(cat /tmp/client.pid)" 15 "the client loop did not stop"
}
# answers FROM_CS: the distinct bodies of the client's successful requests started at or after FROM_CS.
answers() {
  awk -v f="$1" '$1 >= f && $3 == "OK" {print $4}' /tmp/client.log | sort -u | tr '\n' ' '
}
requests_since() { awk -v f="$1" '$1 >= f' /tmp/client.log | wc -l; }

logs() { echo "--- dirA"; grep -v debug /tmp/dirA.log | tail -n 30; grep "debug.*198.51.100.11:80 of TCP 192.0.2.100:80 " /tmp/dirA.log; echo "--- client (last)"; tail -n 5 /tmp/client.log 2>/dev/null; }

scenario_main() {
  trap logs EXIT
  lab_topology
  for ns in rs3 sorry; do $IP netns add $ns; done
  lab_port rs3 eth0 br-rs "$RS3/24"
  lab_port sorry eth0 br-rs "$SORRY/24"
  for ns in rs3 sorry; do $IP -n $ns link set lo up; $IP -n $ns route add default via "$LAB_RS_GW"; done
  for ns in rs1 rs2 rs3 sorry; do httpd_start $ns; done

  write_config
  lab_ns dirA "$BIN" check-config /tmp/dirA.ini > /dev/null || lab_fail "dirA.ini is refused: $(lab_ns dirA "$BIN" check-config /tmp/dirA.ini 2>&1 | tail -3 | tr '\n' ' ')"
  mkdir -p /tmp/run-dirA
  $IP netns exec dirA env APPLIANCE_RUN_DIR=/tmp/run-dirA "$BIN" run --config /tmp/dirA.ini --log-target stderr > /tmp/dirA.log 2>&1 &
  echo $! > /tmp/appliance.pid

  wait_for "$IP -n dirA -o addr show dev pub | grep -q ' $VIP/'" 20 "dirA did not take $VIP (VRRP MASTER)"
  wait_for "$IP -n dirA -o addr show dev rs | grep -q ' $LAB_RS_GW/'" 10 "dirA did not take the gateway $LAB_RS_GW"
  for n in 1 2 3; do
    wait_for "now_has 80 1$n 1 && has 81 1$n 1" 20 "rs$n is not in both services with weight 1: $(table | tr '\n' '|')"
  done
  table > /tmp/table
  has 80 20 0 || lab_fail "the sorry server is not quiesced (weight 0) in :80 while every real server is healthy"
  poller_start
  client_start
  wait_for "[ \"\$(answers 0)\" = 'rs1 rs2 rs3 ' ]" 20 "the client is not served by rs1, rs2 and rs3 through $VIP: '$(answers 0)'"
  echo "LAB: client served by $(answers 0)"

  # 1. rs1's service stops: out of :80, weight 0 in :81, within delay_loop x (retry + 1) + 1 s.
  table | grep -v ' 198.51.100.11:80 ' | sort > /tmp/before
  now; t_stop1=$NOW; httpd_stop rs1
  timed "$t_stop1" "$OUT_BOUND" \
    "rs1 leaving service :80 after its httpd stopped" "lacks 80 11" \
    "rs1 at weight 0 in the inhibit_on_failure service :81" "has 81 11 0"
  set -- $TOOK
  t_out1=$AT1
  echo "LAB: rs1 stopped: out of :80 after $(cs "$1") s, weight 0 in :81 after $(cs "$2") s (bound $(cs "$OUT_BOUND") s)$(stalls)"
  table | grep -v ' 198.51.100.11:80 ' | sort > /tmp/after
  cmp -s /tmp/before /tmp/after || lab_fail "other entries changed with rs1: before '$(tr '\n' '|' < /tmp/before)' now '$(tr '\n' '|' < /tmp/after)'"
  # Served by the others, and the weight-0 server gets no new connections.
  now; t=$NOW
  wait_for "[ \$(requests_since $t) -ge 8 ]" 30 "the client made fewer than 8 requests in 30 s"
  [ "$(answers "$t")" = "rs2 rs3 " ] || lab_fail "with rs1 out the client got '$(answers "$t")', expected rs2 rs3"
  got=""; for i in 1 2 3 4; do got="$got$(lab_http_get client "http://$VIP:81/") "; done
  case "$got" in *rs1*) lab_fail "rs1 at weight 0 still got new connections on :81: $got" ;; esac

  # 2. rs1's service restarts: back in both within delay_loop x rise + 1 s.
  httpd_start rs1; t_start1=$LISTEN_T0
  timed "$t_start1" "$BACK_BOUND" \
    "rs1 returning to :80" "has 80 11 1" \
    "rs1 at weight 1 again in :81" "has 81 11 1"
  set -- $TOOK
  echo "LAB: rs1 restarted: back in :80 after $(cs "$1") s, weight 1 in :81 after $(cs "$2") s (bound $(cs "$BACK_BOUND") s)$(stalls)"
  now; t=$NOW
  wait_for "[ \"\$(answers $t)\" = 'rs1 rs2 rs3 ' ]" 20 "after rs1 returned the client got '$(answers "$t")'"

  # 3. Every real server stops: the sorry server enters :80 and answers; :81 keeps them at weight 0.
  now; t_stop_all=$NOW; for ns in rs1 rs2 rs3; do httpd_stop $ns; done
  timed "$t_stop_all" "$OUT_BOUND" \
    "the sorry server entering :80" "has 80 20 1" \
    "every real server leaving :80" "lacks 80 11 && lacks 80 12 && lacks 80 13" \
    "every real server at weight 0 in :81" "has 81 11 0 && has 81 12 0 && has 81 13 0"
  set -- $TOOK
  t_sorry=$AT1
  echo "LAB: every httpd stopped: sorry server in :80 after $(cs "$1") s, real servers out after $(cs "$2") s, weight 0 in :81 after $(cs "$3") s (bound $(cs "$OUT_BOUND") s)$(stalls)"
  now; t=$NOW
  wait_for "[ \$(requests_since $t) -ge 5 ]" 30 "the client made fewer than 5 requests in 30 s"
  [ "$(answers "$t")" = "sorry " ] || lab_fail "with every real server out the client got '$(answers "$t")', expected the sorry server"

  # 4. They restart: the real servers return, the sorry server is quiesced (weight 0, not deleted:
  #    a request it is serving must finish — IPVS drops the packets of a deleted destination).
  # One after the other, each timed from the last look that did not find it listening (from its
  # launch if the first look did): the set is measured from the latest of those, a lower bound of
  # when the last of them started listening.
  t_start_all=0
  for ns in rs1 rs2 rs3; do httpd_start $ns; [ "$LISTEN_T0" -le "$t_start_all" ] || t_start_all=$LISTEN_T0; done
  timed "$t_start_all" "$BACK_BOUND" \
    "every real server back in :80" "has 80 11 1 && has 80 12 1 && has 80 13 1" \
    "the sorry server quiesced (weight 0) in :80" "has 80 20 0" \
    "every real server at weight 1 in :81" "has 81 11 1 && has 81 12 1 && has 81 13 1"
  set -- $TOOK
  echo "LAB: every httpd restarted: real servers back in :80 after $(cs "$1") s, sorry server at weight 0 after $(cs "$2") s, weight 1 in :81 after $(cs "$3") s (bound $(cs "$BACK_BOUND") s)$(stalls)"
  now; t=$NOW
  wait_for "[ \"\$(answers $t)\" = 'rs1 rs2 rs3 ' ]" 20 "after the restart the client got '$(answers "$t")'"
  client_stop
  poller_stop

  # The client's record. A request fails only when IPVS scheduled it to a stopped server still
  # in the table: the server's kernel answers the SYN with RST (nothing listens), the director
  # relays it, wget says "Connection refused". Such a request ends after the stop and starts
  # before the poll that saw the server out. Anything else (a timeout, a reset of an answered
  # request, a failure outside those windows) is a real failure.
  total=$(wc -l < /tmp/client.log)
  awk -v a="$t_stop1" -v b="$t_out1" -v c="$t_stop_all" -v d="$t_sorry" '
    $3 == "FAIL" {
      inwin = ($2 >= a && $1 <= b) || ($2 >= c && $1 <= d)
      if (inwin && $0 ~ /Connection refused/) { if ($2 >= c) w2++; else w1++ } else { bad++; print "unexpected: " $0 > "/tmp/client.bad" }
    }
    END { printf "%d %d %d\n", w1, w2, bad }' /tmp/client.log > /tmp/client.sum
  read w1 w2 bad < /tmp/client.sum
  echo "LAB: client: $total requests; refused while a stopped server was still in the table: $w1 (rs1, $(cs $((t_out1 - t_stop1))) s window), $w2 (all, $(cs $((t_sorry - t_stop_all))) s window); other failures: $bad"
  [ "$bad" -eq 0 ] || lab_fail "$bad client requests failed outside the detection windows or not by refusal: $(head -3 /tmp/client.bad | tr '\n' '|')"
  [ "$total" -ge 20 ] || lab_fail "only $total client requests in the whole scenario"
  kill -TERM "$(cat /tmp/appliance.pid)"
  wait_for "! kill -0 $(cat /tmp/appliance.pid)" 15 "the daemon did not exit after SIGTERM"
  grep -q '\*\*\* FAULT\|Unhandled exception' /tmp/dirA.log && lab_fail "the daemon faulted: $(grep -m1 'FAULT\|Unhandled' /tmp/dirA.log)"
  return 0
}
