#!/usr/bin/env bash
# End-to-end check of `make run` (make run-check; part of make test): boots the same three VMs
# as `make run` (its own directory and no tmux, so it can run next to an operator's pair) and
# proves the real daemon path through the VMs' consoles, logs and QEMU monitors:
#   1. director a (priority 150) is MASTER and alone holds the VIPs, b is BACKUP;
#   2. IPVS as the daemon programmed it (NAT to both real servers) serves
#      the client through VIP 192.0.2.10;
#   3. a's public cable cut (QEMU monitor set_link) -> a FAULT, b MASTER holds the VIPs and
#      serves; cable back -> a preempts, b BACKUP;
#   4. a's daemon frozen (SIGSTOP) -> b MASTER; a's i6300esb resets it; a boots and preempts;
#   5. the heartbeat cable cut -> b's arbiter withholds the takeover (serial still hears a), a
#      alone holds the VIPs; cable back;
#   6. a's QEMU killed (power lost) -> b MASTER holds the VIPs and serves.
# Every wait is bounded; the VMs are stopped on any exit. Prints PASS/FAIL with timings.
set -euo pipefail
lab=$(cd "$(dirname "$0")/.." && pwd)
top=$(cd "$lab/../.." && pwd)
export RUN_DIR=${RUN_DIR:-$lab/out/run-check}
export RUN_SESSION=none
dir=$RUN_DIR
VIP=192.0.2.10
start=$SECONDS

fail() {
  echo "FAIL run-check ($((SECONDS - start)) s): $*"
  echo "     console logs kept in ${dir#$top/}/"
  for r in a b lan; do
    [ -f "$dir/$r.log" ] || continue
    echo "     --- last lines of $r.log ---"
    tr -d '\r' < "$dir/$r.log" | grep -av '^\s*$' | tail -n 12 | sed 's/^/     /'
  done
  exit 1
}
trap '"$lab/run.sh" stop >/dev/null 2>&1 || true' EXIT
trap 'fail "interrupted"' INT TERM

# until_ok LIMIT_S MESSAGE CMD...: re-runs CMD every 0.2 s until it succeeds, or fails the check.
# MESSAGE is expanded when the wait fails (single-quote it to show the state at that moment).
until_ok() {
  local limit=$1 msg=$2; shift 2
  local end=$((SECONDS + limit))
  until "$@" >/dev/null 2>&1; do
    [ $SECONDS -lt "$end" ] || fail "timed out after $limit s: $(eval "echo \"$msg\"")"
    sleep 0.2
  done
}
# since FILE OFFSET: FILE's console text after byte OFFSET, without carriage returns.
since() { tail -c +$(($2 + 1)) "$1" | tr -d '\r'; }
size() { stat -c %s "$dir/$1.log"; }
# role R: the last role director R's daemon logged (MASTER, BACKUP, FAULT or empty).
role() { tr -d '\r' < "$dir/$1.log" | grep -ao 'director: director is [A-Z]*' | tail -1 | sed 's/.* //'; }
roles_are() { [ "$(role a)" = "$1" ] && [ "$(role b)" = "$2" ]; }

# vm R CMD: runs CMD on director R's console shell and prints its output. The end marker is
# computed by the guest's shell ($((6*7))), so the echo of the typed line never matches it.
# The connection stays open until the marker came back: QEMU drops what the 16550's FIFO has
# not taken yet when the client hangs up; and the console's output is read (into /dev/null; the
# log file has it), else QEMU holds the guest's output back. Ctrl-U clears a half-typed line.
vm() {
  local r=$1 cmd=$2 off i seq
  # Unique per call: vm runs inside $(...), so a counter would not survive it.
  seq=$(date +%s%N)
  off=$(size "$r")
  {
    printf '\025%s\n' "echo BEGIN-$seq-\$((6*7)); $cmd; echo END-$seq-\$((6*7))"
    for i in $(seq 150); do
      tail -c +$((off + 1)) "$dir/$r.log" | grep -aq "END-$seq-42" && break
      sleep 0.2
    done
  } | socat - "UNIX-CONNECT:$dir/$r.sock" > /dev/null # reads the console too: unread, QEMU stalls the UART
  grep -aq "END-$seq-42" "$dir/$r.log" || fail "director $r's console did not run '$cmd' within 30 s"
  since "$dir/$r.log" "$off" | sed -n "/BEGIN-$seq-42/,/END-$seq-42/p"
}
# holders: the directors with the VIP on eth0, as their kernels report it.
holders() {
  local r out=""
  for r in "$@"; do
    vm "$r" "ip -o -4 addr show dev eth0" | grep -q " $VIP/" && out="$out$r "
  done
  echo "$out"
}
# served_since OFFSET: the real servers that answered the client after lan.log's byte OFFSET.
served_since() { since "$dir/lan.log" "$1" | grep -ao 'served by rs[0-9]' | sort -u | sed 's/served by //' | paste -sd' '; }
served_by_any_since() { [ -n "$(served_since "$1")" ]; }
monitor() { printf '%s\n' "$2" | socat - "UNIX-CONNECT:$dir/$1.mon" > /dev/null; }
took() { echo "$(( ($(date +%s%N) - $1) / 1000000 )) ms"; }

echo "run-check: [$((SECONDS - start)) s] booting the pair (${dir#$top/}) ..."
"$lab/run.sh" > "$dir.out" 2>&1 || { cat "$dir.out"; fail "run.sh did not bring the pair up"; }
echo "run-check: [$((SECONDS - start)) s] client answered through $VIP after $((SECONDS - start)) s"

# 1. Roles settle: a (150) preempts whoever started first.
until_ok 60 'roles did not settle to a MASTER / b BACKUP (a: $(role a), b: $(role b))' roles_are MASTER BACKUP
h=$(holders a b); [ "$h" = "a " ] || fail "VIP $VIP holders are '$h', expected a alone"
echo "run-check: [$((SECONDS - start)) s] a MASTER, b BACKUP, VIP on a only"

# 2. IPVS as the daemon programmed it (nothing else in this lab writes IPVS) serves the client.
t=$(vm a "ipvsadm -Ln")
for rs in 198.51.100.11 198.51.100.12; do
  echo "$t" | grep -q " $rs:80 *Masq" || fail "a's IPVS table lacks $rs: $(echo "$t" | tr '\n' '|')"
done
# Both real servers are in the table; which ones answer next is wlc's choice (a connection cut
# by the start-up preemption stays "active" for timeout_tcp and steers wlc away from its server).
off=$(size lan)
until_ok 30 'the client was not served through $VIP after the roles settled' served_by_any_since "$off"
echo "run-check: [$((SECONDS - start)) s] IPVS NAT to rs1 and rs2 programmed by the daemon; client served by $(served_since "$off") through $VIP"

# 3. a's public cable cut: a goes FAULT and b takes over (a's priority-0 advert: at once).
off_b=$(size b); t0=$(date +%s%N)
monitor a "set_link pub off"
until_ok 30 'b did not become MASTER after a'"'"'s public cable was cut (a: $(role a), b: $(role b))' roles_are FAULT MASTER
cut_role=$(took "$t0")
off=$(size lan)
until_ok 30 "the client was not served through b after a's cable was cut" served_by_any_since "$off"
cut_served=$(took "$t0")
h=$(holders a b); [ "$h" = "b " ] || fail "after the cut the VIP holders are '$h', expected b alone"
echo "run-check: [$((SECONDS - start)) s] a's public cable cut -> a FAULT, b MASTER in $cut_role, client served again after $cut_served"
t0=$(date +%s%N)
monitor a "set_link pub on"
until_ok 60 'a did not take the VIPs back after its cable returned (a: $(role a), b: $(role b))' roles_are MASTER BACKUP
back=$(took "$t0")
h=$(holders a b); [ "$h" = "a " ] || fail "after the cable returned the VIP holders are '$h', expected a alone"
echo "run-check: [$((SECONDS - start)) s] a's cable back -> a MASTER again (preempt) in $back"

# 4. A hung daemon on the master (SIGSTOP): nobody feeds the i6300esb, QEMU resets the VM
#    after the watchdog timeout. b's arbiter does not take over while a's kernel still answers
#    ARP for the VIP (rule B7: a hung master still holds the address); once a is reset it is
#    silent everywhere and b takes over (B8). a boots again and preempts after its failback gate.
off_a=$(size a); off_b=$(size b); t0=$(date +%s%N)
vm a 'kill -STOP $(pidof appliance)' > /dev/null
until_ok 30 'b did not become MASTER while a'"'"'s daemon was stopped (a: $(role a), b: $(role b))' \
  sh -c "tail -c +$((off_b + 1)) '$dir/b.log' | grep -aq 'director: director is MASTER'"
hung_role=$(took "$t0")
until_ok 60 "a was not reset by its watchdog (no new boot on its console)" \
  sh -c "tail -c +$((off_a + 1)) '$dir/a.log' | grep -aq 'init: firmware'"
reset=$(took "$t0")
until_ok 120 'a did not come back as MASTER after its watchdog reset (a: $(role a), b: $(role b))' roles_are MASTER BACKUP
h=$(holders a b); [ "$h" = "a " ] || fail "after a's reboot the VIP holders are '$h', expected a alone"
echo "run-check: [$((SECONDS - start)) s] a's daemon stopped -> b MASTER in $hung_role, a reset by the i6300esb after $reset, a MASTER again after $(took "$t0")"

# 5. Heartbeat cable cut, both directors alive: the serial heartbeat still hears a as MASTER,
#    so b's arbiter withholds the takeover its VRRP wants (rule B2) and raises an alarm; a alone
#    keeps the VIPs (keepalived gives two holders here). Then the cable comes back.
off_b=$(size b); t0=$(date +%s%N)
monitor a "set_link hb off"
until_ok 30 "b's arbiter did not withhold the takeover after the heartbeat cut (b: \$(role b))" \
  sh -c "tail -c +$((off_b + 1)) '$dir/b.log' | grep -aq 'rule B2'"
withheld=$(took "$t0")
h=$(holders a b); [ "$h" = "a " ] || fail "with the heartbeat cable cut the VIP holders are '$h', expected a alone"
monitor a "set_link hb on"
echo "run-check: [$((SECONDS - start)) s] heartbeat cable cut -> b's takeover withheld by the arbiter after $withheld (rule B2), a alone holds $VIP"

# 6. Power loss of the master: b takes over after Master_Down_Interval.
off_b=$(size b); t0=$(date +%s%N)
kill "$(cat "$dir/a.pid")"
until_ok 30 'b did not become MASTER after a'"'"'s QEMU was killed (b: $(role b))' \
  sh -c "tail -c +$((off_b + 1)) '$dir/b.log' | grep -aq 'director: director is MASTER'"
kill_role=$(took "$t0")
off=$(size lan)
until_ok 30 "the client was not served through b after a was killed" served_by_any_since "$off"
kill_served=$(took "$t0")
h=$(holders b); [ "$h" = "b " ] || fail "after a was killed b does not hold $VIP"
echo "run-check: [$((SECONDS - start)) s] a killed -> b MASTER in $kill_role, client served again after $kill_served"
echo "PASS run-check ($((SECONDS - start)) s; load average $(cut -d' ' -f1-3 /proc/loadavg))"
