#!/usr/bin/env bash
# Host: the IPVS benchmark of docs/benchmarks.md. Generates 1,000 virtual services x 10 real
# servers as ipvsadm rules (full.rules, what ipvsadm -R and appliance ipvs restore both read),
# the 1% change (100 real servers get weight 2) as ipvsadm edit lines (change.rules, for
# ipvsadm -R) and as the whole new table (change.full.rules, for the appliance, which reconciles
# a desired table), plus the same table as appliance.ini; then runs the lab scenario
# tests/lab/scenarios/ipvs-bench.sh (one guest, TCG, one vCPU) and prints its figures and the
# host's load average before and after. Needs the firmware image (make image; make bench-ipvs).
set -euo pipefail
repo=$(cd "$(dirname "$0")/../.." && pwd)
b=$repo/tests/lab/cache/bench
mkdir -p "$b"
gcc -O2 -static -Wall -Werror -o "$repo/tests/lab/cache/timeit" "$repo/tests/lab/tools/timeit.c"
gen() { # gen CHANGED: CHANGED=1 gives the first real server of the first 100 services weight 2
  awk -v changed="$1" -v ini="$2" -v rules="$3" -v full="$4" 'BEGIN {
    printf "[global]\nnode_name = bench\nnode_id = 1\npublic_interface = front0\nheartbeat_interface = back0\n\n" > ini
    printf "[vrrp_instance VI_1]\nvirtual_router_id = 51\npriority = 150\nvirtual_ipaddress = " > ini
    for (v = 1; v <= 10; v++) printf "%s192.0.2.%d/32 dev front0", (v > 1 ? ", " : ""), v > ini
    printf "\n\n[serial_heartbeat]\nenabled = no\n\n" > ini
    for (s = 0; s < 1000; s++) {
      vip = sprintf("192.0.2.%d:%d", s % 10 + 1, 1000 + int(s / 10))
      split(vip, p, ":")
      printf "[virtual_server vs%d]\naddress = %s\nport = %d\nlb_algo = wlc\nlb_kind = NAT\ncheck = none\n\n", s, p[1], p[2] > ini
      if (!changed) printf "-A -t %s -s wlc\n", vip > rules
      for (r = 1; r <= 10; r++) {
        rs = sprintf("10.%d.%d.%d", int(s / 250) + 1, s % 250, r)
        w = (changed && s < 100 && r == 1) ? 2 : 1
        printf "[real_server vs%d_%d]\nvirtual_server = vs%d\naddress = %s\nport = 80\nweight = %d\n\n", s, r, s, rs, w > ini
        if (!changed) printf "-a -t %s -r %s:80 -m -w 1\n", vip, rs > rules
        else if (w == 2) printf "-e -t %s -r %s:80 -m -w 2\n", vip, rs > rules
        if (changed) { if (r == 1) printf "-A -t %s -s wlc\n", vip > full; printf "-a -t %s -r %s:80 -m -w %d\n", vip, rs, w > full }
      }
    }
  }'
}
gen 0 "$b/full.ini" "$b/full.rules" /dev/null
gen 1 "$b/change.ini" "$b/change.rules" "$b/change.full.rules"
wc -l "$b"/*.rules
echo "host load before: $(cut -d' ' -f1-3 /proc/loadavg)"
rc=0
"$repo/tests/lab/lab.sh" ipvs-bench || rc=$?
echo "host load after: $(cut -d' ' -f1-3 /proc/loadavg)"
log=$repo/tests/lab/out/ipvs-bench/vm-a.log
grep -E '\(reload\)|BENCH CHECK|RESULT' "$log" | cut -c12- || true
exit $rc
