# The appliance programs IPVS on Debian's real kernel: NAT, DR and TUN services with real
# servers and a client in network namespaces of one guest; ipvsadm -Ln and appliance ipvs list
# agree line for line; a weight change keeps an established connection; removing one real
# server removes only it; a kernel refusal is reported and the rest applied; an invalid file
# changes nothing; ownership survives a new process; a reload reads the changed services fresh.
#@ timeout 300
#@ daemon off
#
#   cli (192.0.2.2) --veth-- [director = guest root ns: front0 192.0.2.1 + VIPs, back0 10.0.0.1]
#                                  --bridge back0-- rs1 10.0.0.11, rs2 10.0.0.12, rs3 10.0.0.13
#
# The checks print PASS/FAIL lines and all of them run; the scenario fails at the end if any did.
APP=/usr/bin/appliance
STATE=/run/appliance/ipvs-owned
WORK=/tmp/ipvs-lab
failures=0

pass() { echo "PASS $*"; }
fail() { echo "FAIL $*"; failures=$((failures+1)); }
# poll_for SECONDS DESCRIPTION COMMAND...: polls every 0.1 s, bounded; unlike wait_for it
# returns non-zero instead of ending the scenario, so the check is counted and the rest run.
poll_for() {
  local limit=$1 what=$2; shift 2
  local i=0 n=$((limit*10))
  while [ $i -lt $n ]; do "$@" >/dev/null 2>&1 && return 0; usleep 100000; i=$((i+1)); done
  echo "  timed out after ${limit}s waiting for: $what"; return 1
}
ns() { local n=$1; shift; $IP netns exec "$n" "$@"; }

# config FILE: writes an appliance.ini; $WEB_RS, $ECHO_W, $TUN_KIND, $EXTRA, $DR_ON tune it.
config() {
  {
    printf '[global]\nnode_name = director-a\nnode_id = 1\npublic_interface = front0\nheartbeat_interface = back0\n\n'
    printf '[vrrp_instance VI_1]\nvirtual_router_id = 51\npriority = 150\nvirtual_ipaddress = 192.0.2.100/32 dev front0, 192.0.2.101/32 dev front0, 192.0.2.102/32 dev front0, 192.0.2.103/32 dev front0, 192.0.2.104/32 dev front0\n\n'
    printf '[serial_heartbeat]\nenabled = no\n\n'
    printf '[virtual_server web]\naddress = 192.0.2.100\nport = 80\nlb_algo = rr\nlb_kind = NAT\ncheck = none\n\n'
    for n in $WEB_RS; do printf '[real_server web%s]\nvirtual_server = web\naddress = 10.0.0.1%s\nport = 80\n\n' $n $n; done
    printf '[virtual_server echo]\naddress = 192.0.2.100\nport = 9000\nlb_algo = wlc\nlb_kind = NAT\ncheck = none\n\n'
    for n in 1 2 3; do printf '[real_server echo%s]\nvirtual_server = echo\naddress = 10.0.0.1%s\nport = 9000\nweight = %s\n\n' $n $n $ECHO_W; done
    if [ "$DR_ON" = yes ]; then
      printf '[virtual_server dr]\naddress = 192.0.2.101\nport = 80\nlb_algo = rr\nlb_kind = DR\ncheck = none\n\n'
      for n in 1 2 3; do printf '[real_server dr%s]\nvirtual_server = dr\naddress = 10.0.0.1%s\nport = 80\n\n' $n $n; done
    fi
    printf '[virtual_server tun]\naddress = 192.0.2.102\nport = 80\nlb_algo = rr\nlb_kind = %s\ncheck = none\n\n' "$TUN_KIND"
    for n in 1 2 3; do printf '[real_server tun%s]\nvirtual_server = tun\naddress = 10.0.0.1%s\nport = 80\n\n' $n $n; done
    printf '%b' "$EXTRA"
  } > "$1"
}
apply() { # apply NAME FILE: runs ipvs apply, keeps stdout/stderr/rc in $WORK/NAME.*
  $APP ipvs apply --verbose --state $STATE "$2" > $WORK/$1.out 2> $WORK/$1.err
  echo $? > $WORK/$1.rc
}
same_listing() { # same_listing NAME [OPTION]: ipvsadm -Ln vs appliance ipvs list, line for line
  ipvsadm -Ln $2 > $WORK/$1.ipvsadm 2>&1
  $APP ipvs list $3 > $WORK/$1.appliance 2>&1
  if diff -u $WORK/$1.ipvsadm $WORK/$1.appliance > $WORK/$1.diff; then pass "$1: ipvsadm -Ln $2 and appliance ipvs list $3 agree line for line ($(wc -l < $WORK/$1.ipvsadm) lines)"
  else fail "$1: listings differ"; cat $WORK/$1.diff; fi
}
answers() { # answers VIP: distinct real servers answering 6 requests through the VIP
  for i in 1 2 3 4 5 6; do ns cli timeout 5 busybox wget -q -O - http://$1/ 2>/dev/null; done | sort -u | tr '\n' ' '
}

scenario_main() {
  # The suite counts its own failures (see above) instead of stopping at the first.
  set +e
  mkdir -p $WORK
  # ---------------------------------------------------------------- topology
  modprobe ip_vs; modprobe veth; modprobe bridge; modprobe ipip
  for m in rr wrr wlc lc sh mh; do modprobe ip_vs_$m; done
  sysctl -qw net.ipv4.ip_forward=1 net.ipv4.conf.all.rp_filter=0 net.ipv4.conf.default.rp_filter=0
  $IP link add back0 type bridge && $IP link set back0 up && $IP addr add 10.0.0.1/24 dev back0
  # DR/TUN replies come back through the director with the VIP as source; accept_local lets the
  # director forward them instead of dropping a "martian" from one of its own addresses.
  sysctl -qw net.ipv4.conf.back0.accept_local=1 net.ipv4.conf.all.accept_local=1
  $IP netns add cli
  $IP link add front0 type veth peer name cli0 && $IP link set cli0 netns cli
  $IP addr add 192.0.2.1/24 dev front0 && $IP link set front0 up
  for v in 100 101 102 103 104; do $IP addr add 192.0.2.$v/32 dev front0; done
  ns cli $IP addr add 192.0.2.2/24 dev cli0; ns cli $IP link set cli0 up; ns cli $IP link set lo up
  ns cli $IP route add default via 192.0.2.1
  for n in 1 2 3; do
    $IP netns add rs$n
    $IP link add rs${n}b type veth peer name eth0 netns rs$n
    $IP link set rs${n}b master back0 up
    ns rs$n $IP addr add 10.0.0.1$n/24 dev eth0; ns rs$n $IP link set eth0 up; ns rs$n $IP link set lo up
    ns rs$n $IP route add default via 10.0.0.1
    # DR: the VIP on lo, never answered for in ARP (the LVS-DR recipe); TUN: the VIP on tunl0.
    ns rs$n $IP addr add 192.0.2.101/32 dev lo
    ns rs$n sysctl -qw net.ipv4.conf.all.arp_ignore=1 net.ipv4.conf.all.arp_announce=2 net.ipv4.conf.all.rp_filter=0 net.ipv4.conf.default.rp_filter=0
    ns rs$n $IP link set tunl0 up; ns rs$n $IP addr add 192.0.2.102/32 dev tunl0
    ns rs$n sysctl -qw net.ipv4.conf.tunl0.rp_filter=0
    mkdir -p $WORK/www$n && echo "rs$n" > $WORK/www$n/index.html
    ns rs$n busybox httpd -p 80 -h $WORK/www$n
    ns rs$n socat TCP-LISTEN:9000,fork,reuseaddr EXEC:cat &
  done
  for n in 1 2 3; do poll_for 10 "rs$n httpd" ns rs$n busybox wget -q -O /dev/null http://10.0.0.1$n/ || fail "topology: rs$n httpd"; done

  WEB_RS="1 2 3" ECHO_W=1 TUN_KIND=TUN DR_ON=yes EXTRA=""
  config $WORK/a.ini

  # An operator's own service: the appliance must never touch it.
  ipvsadm -A -t 203.0.113.1:22 -s rr && ipvsadm -a -t 203.0.113.1:22 -r 10.0.0.99:22 -m

  # ---------------------------------------------------------------- 1. program NAT, DR, TUN
  apply first $WORK/a.ini
  [ "$(cat $WORK/first.rc)" = 0 ] && pass "apply: exit 0 ($(tail -1 $WORK/first.out))" || { fail "apply failed"; cat $WORK/first.err; }
  same_listing list1 "" ""
  for vip in 192.0.2.100 192.0.2.101 192.0.2.102; do
    got=$(answers $vip)
    case "$got" in *rs1*rs2*|*rs2*rs3*|*rs1*rs3*) pass "client gets answers through $vip from: $got";; *) fail "client through $vip got: '$got'";; esac
  done
  ipvsadm -Ln | grep -q "203.0.113.1:22" && pass "foreign service untouched" || fail "foreign service gone"

  # ---------------------------------------------------------------- 2. weight change keeps an established connection
  mkfifo $WORK/cin
  ns cli socat STDIO TCP:192.0.2.100:9000 < $WORK/cin > $WORK/cout 2>$WORK/cerr &
  exec 3<>$WORK/cin
  echo ping1 >&3
  poll_for 10 "first echo" grep -q ping1 $WORK/cout && pass "long-lived connection established" || fail "no echo on the long-lived connection"
  conn_before=$(ipvsadm -Lnc | grep ":9000" | grep ESTABLISHED)
  ECHO_W=7 config $WORK/b.ini
  apply weight $WORK/b.ini
  edits=$(grep -c "^changing real server" $WORK/weight.out); others=$(grep -vc "^changing real server\|^ipvs apply:" $WORK/weight.out)
  [ "$(cat $WORK/weight.rc)" = 0 ] && [ "$edits" = 3 ] && [ "$others" = 0 ] && pass "weight change = 3 SET_DEST, nothing else ($(tail -1 $WORK/weight.out))" || { fail "weight change plan"; cat $WORK/weight.out $WORK/weight.err; }
  ipvsadm -Ln | grep -A3 ":9000" | grep -q "Masq    7 " && pass "kernel shows weight 7" || fail "weight not 7"
  echo ping2 >&3
  poll_for 10 "second echo" grep -q ping2 $WORK/cout && pass "established connection still answers after the weight change" || fail "connection broken by weight change"
  conn_after=$(ipvsadm -Lnc | grep ":9000" | grep ESTABLISHED)
  [ -n "$conn_before" ] && [ "$(echo "$conn_before" | awk '{print $4,$5,$6}')" = "$(echo "$conn_after" | awk '{print $4,$5,$6}')" ] \
    && pass "same IPVS connection entry before and after: $(echo $conn_after | awk '{print $4,$5,$6}')" || fail "connection entry changed: '$conn_before' -> '$conn_after'"
  # Both read /proc/net/ip_vs_conn; only the expire countdown may tick between the two reads.
  ipvsadm -Lnc | awk '{ $2 = ""; print }' > $WORK/conns.ipvsadm
  $APP ipvs list --connections | awk '{ $2 = ""; print }' > $WORK/conns.appliance
  diff -u $WORK/conns.ipvsadm $WORK/conns.appliance > $WORK/conns.diff && pass "ipvsadm -Lnc and appliance ipvs list --connections agree line for line ($(wc -l < $WORK/conns.ipvsadm) lines, expire column aside)" || { fail "connection listings differ"; cat $WORK/conns.diff; }
  exec 3>&-

  # ---------------------------------------------------------------- 3. forwarding method changed in place (TUN -> DR)
  ECHO_W=7 TUN_KIND=DR config $WORK/c.ini
  apply fwd $WORK/c.ini
  edits=$(grep -c "^changing real server" $WORK/fwd.out); others=$(grep -vc "^changing real server\|^ipvs apply:" $WORK/fwd.out)
  [ "$(cat $WORK/fwd.rc)" = 0 ] && [ "$edits" = 3 ] && [ "$others" = 0 ] && pass "TUN->DR = 3 SET_DEST accepted by the kernel" || { fail "forwarding change"; cat $WORK/fwd.out $WORK/fwd.err; }
  [ "$(ipvsadm -Ln | grep -A3 '192.0.2.102:80' | grep -c Route)" = 3 ] && pass "kernel shows Route for the former tunnel service" || fail "forwarding not changed"
  got=$(answers 192.0.2.102); [ -n "$got" ] && pass "client still answered through 192.0.2.102: $got" || fail "no answer after forwarding change"

  # ---------------------------------------------------------------- 4. removing one real server removes only it
  WEB_RS="1 3" ECHO_W=7 TUN_KIND=DR config $WORK/d.ini
  ipvsadm -Sn > $WORK/before-remove
  apply remove $WORK/d.ini
  ipvsadm -Sn > $WORK/after-remove
  # busybox diff prints unified diffs: a removed rule is "-" + "-a -t ...".
  removed=$(diff $WORK/before-remove $WORK/after-remove | grep '^[-+]-[aA] ')
  [ "$(cat $WORK/remove.out | grep -v '^ipvs apply:')" = "removing real server 10.0.0.12:80 from TCP 192.0.2.100:80" ] \
    && [ "$removed" = "--a -t 192.0.2.100:80 -r 10.0.0.12:80 -m -w 1" ] \
    && pass "only 10.0.0.12:80 left TCP 192.0.2.100:80" || { fail "remove one real server"; cat $WORK/remove.out; echo "removed: $removed"; head -5 $WORK/before-remove; }
  same_listing list2 "" ""

  # ---------------------------------------------------------------- 5. a kernel refusal is reported, the rest applied
  EXTRA='[virtual_server bad]\naddress = 192.0.2.103\nport = 80\nlb_algo = twos\nlb_kind = NAT\ncheck = none\n\n[real_server bad1]\nvirtual_server = bad\naddress = 10.0.0.11\nport = 80\n\n[real_server bad2]\nvirtual_server = bad\naddress = 10.0.0.12\nport = 80\n\n[virtual_server more]\naddress = 192.0.2.104\nport = 80\nlb_algo = wrr\nlb_kind = NAT\ncheck = none\n\n[real_server more1]\nvirtual_server = more\naddress = 10.0.0.13\nport = 80\n\n'
  WEB_RS="1 3" ECHO_W=7 TUN_KIND=DR config $WORK/e.ini
  apply refuse $WORK/e.ini
  cat $WORK/refuse.err
  [ "$(cat $WORK/refuse.rc)" = 1 ] && grep -q 'adding virtual service TCP 192.0.2.103:80 (scheduler twos): scheduler "twos" not available in this kernel (ENOENT)' $WORK/refuse.err \
    && grep -q 'adding 2 real servers to TCP 192.0.2.103:80: skipped because the service itself was refused' $WORK/refuse.err \
    && pass "unknown scheduler refused with a clear message" || fail "refusal message"
  ipvsadm -Ln | grep -A1 "192.0.2.104:80 wrr" | grep -q "10.0.0.13:80" && pass "the rest of the table was applied (192.0.2.104:80 with its real server)" || fail "rest not applied"
  got=$(answers 192.0.2.104); [ "$got" = "rs3 " ] && pass "client answered through 192.0.2.104 by rs3" || fail "192.0.2.104 answers: '$got'"

  # ---------------------------------------------------------------- 6. an invalid configuration changes nothing
  cp $WORK/e.ini $WORK/f.ini
  printf '[real_server more1dup]\nvirtual_server = more\naddress = 10.0.0.13\nport = 80\n' >> $WORK/f.ini
  ipvsadm -Ln > $WORK/before-invalid
  apply invalid $WORK/f.ini
  ipvsadm -Ln > $WORK/after-invalid
  [ "$(cat $WORK/invalid.rc)" = 65 ] && grep -q "is already \[real_server more1\]" $WORK/invalid.err && cmp -s $WORK/before-invalid $WORK/after-invalid \
    && pass "duplicate real server: configuration refused, table unchanged" || { fail "invalid configuration"; cat $WORK/invalid.err; }

  # ---------------------------------------------------------------- 7. ownership across processes (a restart)
  EXTRA="" WEB_RS="1 3" ECHO_W=7 TUN_KIND=DR DR_ON=no config $WORK/g.ini
  apply owned $WORK/g.ini
  ! ipvsadm -Ln | grep -q "192.0.2.101:80" && ! ipvsadm -Ln | grep -q "192.0.2.104:80" && ipvsadm -Ln | grep -q "203.0.113.1:22" \
    && pass "a new process removed the services the last apply owned, kept the foreign one" || { fail "ownership"; ipvsadm -Ln; }
  grep -q "TCP 192.0.2.100:80" $STATE && ! grep -q "203.0.113.1" $STATE && pass "ownership file lists ours only" || fail "ownership file"
  same_listing list3 "" ""
  same_listing stats "--stats" "--stats"
  # ---------------------------------------------------------------- 8. a reload reads the services it changes fresh
  # The second rule file is a FIFO: `ipvs restore` applies the first file, then blocks opening
  # the second (the reload step). Meanwhile "someone else" edits the kernel with ipvsadm. The
  # reload changes only .110 (rs1's weight); reading .110 from the kernel in that same apply, it
  # sees and repairs the foreign edits there too. .111's desired state did not change: no
  # request touches it (the daemon's periodic full read repairs such drift).
  rules() {
    printf -- '-A -t 192.0.2.110:80 -s rr\n-a -t 192.0.2.110:80 -r 10.0.0.11:80 -m -w %s\n' "$1"
    printf -- '-a -t 192.0.2.110:80 -r 10.0.0.12:80 -m -w 1\n-a -t 192.0.2.110:80 -r 10.0.0.13:80 -m -w 1\n'
    printf -- '-A -t 192.0.2.111:80 -s rr\n-a -t 192.0.2.111:80 -r 10.0.0.11:80 -m -w 1\n'
  }
  rules 1 > $WORK/r1.rules; rules 4 > $WORK/r2.content
  rm -f $WORK/r2.rules; mkfifo $WORK/r2.rules
  $APP ipvs restore --verbose --state $WORK/reload-owned $WORK/r1.rules $WORK/r2.rules > $WORK/reload.out 2> $WORK/reload.err &
  reload_pid=$!
  if poll_for 20 "the first step of ipvs restore" grep -q '^ipvs restore: ' $WORK/reload.out; then
    ipvsadm -e -t 192.0.2.110:80 -r 10.0.0.12:80 -m -w 5
    ipvsadm -d -t 192.0.2.110:80 -r 10.0.0.13:80
    ipvsadm -e -t 192.0.2.111:80 -r 10.0.0.11:80 -m -w 9
  else
    fail "reload: the first step did not finish: $(cat $WORK/reload.err)"
  fi
  # Bounded: writing to a FIFO blocks until the reader opens it.
  timeout 20 sh -c "cat $WORK/r2.content > $WORK/r2.rules" || fail "reload: ipvs restore never opened the second file"
  poll_for 20 "ipvs restore to exit" sh -c "! kill -0 $reload_pid" || kill $reload_pid
  wait $reload_pid; echo $? > $WORK/reload.rc
  cat $WORK/reload.out
  summary=$(grep '^ipvs restore (reload): ' $WORK/reload.out)
  want="changing real server 10.0.0.11:80 of TCP 192.0.2.110:80 (weight 4, Masq)
changing real server 10.0.0.12:80 of TCP 192.0.2.110:80 (weight 1, Masq)
adding real server 10.0.0.13:80 to TCP 192.0.2.110:80"
  got=$(sed -n '/^ipvs restore: /,$p' $WORK/reload.out | grep -v '^ipvs restore')
  [ "$(cat $WORK/reload.rc)" = 0 ] && [ "$got" = "$want" ] && echo "$summary" | grep -q ': 3 change(s) planned, 3 applied, 0 refused .*changed services read: 1 service(s)' \
    && pass "reload read only the changed service, fresh: the wanted edit plus repairs of the two foreign edits in it" || { fail "reload plan"; echo "got: $got"; cat $WORK/reload.err; }
  ipvsadm -Sn > $WORK/reload.table
  grep -q -- '-a -t 192.0.2.110:80 -r 10.0.0.11:80 -m -w 4' $WORK/reload.table && grep -q -- '-a -t 192.0.2.110:80 -r 10.0.0.12:80 -m -w 1' $WORK/reload.table \
    && grep -q -- '-a -t 192.0.2.110:80 -r 10.0.0.13:80 -m -w 1' $WORK/reload.table && grep -q -- '-a -t 192.0.2.111:80 -r 10.0.0.11:80 -m -w 9' $WORK/reload.table \
    && pass "kernel: .110 as desired, the unchanged .111 untouched" || { fail "kernel after reload"; grep 192.0.2.11 $WORK/reload.table; }
  [ $failures = 0 ] || lab_fail "$failures IPVS check(s) failed (the FAIL lines above)"
}
