#!/usr/bin/env bash
# `make run`: boots the director pair and a LAN in QEMU (TCG, -nodefaults, no user-mode
# networking) and shows the consoles in tmux.
#
#   VM a, VM b  the directors: each boots the product initramfs (plus the lab tools) from
#               its own copy of appliance.img whose boot partition carries that director's
#               appliance.ini (written here from the image's factory default, as an operator
#               edits it on a PC). /init -> supervisor -> `appliance run` does VRRP over the
#               heartbeat NIC, the VIPs on the public NIC, IPVS and health checks.
#               eth0 public (cabled to the LAN VM), eth1 heartbeat and ttyS1 null-modem
#               (cabled to each other), i6300esb watchdog (a reset reboots the VM, as on hardware).
#   VM lan      a switch with two real servers and a client in network namespaces.
# Cables are QEMU sockets on 127.0.0.1. Consoles are Unix sockets in tests/lab/out/run/
# (also logged to a.log, b.log, lan.log there); QEMU monitors are a.mon, b.mon, lan.mon.
#
# Usage: run.sh          start (or re-attach when already running)
#        run.sh stop     stop the VMs and the tmux session
# Environment: RUN_WAIT=S bounds the wait for the first answer (default 300 s);
# RUN_DIR (default tests/lab/out/run) and RUN_SESSION (tmux, default appliance; "none" for
# no tmux) let run/check.sh boot its own pair next to an operator's.
set -euo pipefail
lab=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$lab/../.." && pwd)
fw=${FIRMWARE_OUT:-$top/firmware/out}
dir=${RUN_DIR:-$lab/out/run}
QEMU=${QEMU:-qemu-system-x86_64}
SESSION=${RUN_SESSION:-appliance}

stop() {
  local p
  if [ -f "$dir/pids" ]; then
    for p in $(cat "$dir/pids"); do kill "$p" 2>/dev/null || true; done
    rm -f "$dir/pids"
  fi
  [ "$SESSION" = none ] || tmux kill-session -t "$SESSION" 2>/dev/null || true
  echo "run: stopped"
}
# running: every VM still up (a VM killed on purpose to try a failover counts as down).
running() {
  local p
  [ -f "$dir/pids" ] || return 1
  for p in $(cat "$dir/pids"); do kill -0 "$p" 2>/dev/null || return 1; done
}
# any_running: at least one VM of this run is up.
any_running() {
  local p
  [ -f "$dir/pids" ] || return 1
  for p in $(cat "$dir/pids"); do kill -0 "$p" 2>/dev/null && return 0; done
  return 1
}
attach_hint() {
  cat <<HINT
run: consoles (tmux session '$SESSION', one pane each: director a, director b, LAN):
       tmux attach -t $SESSION          leave with Ctrl-b d (the VMs keep running)
     or one console directly, after tmux kill-session -t $SESSION (a console takes one client):
       socat -,raw,echo=0,escape=0x1d UNIX-CONNECT:${dir#$top/}/a.sock   (Ctrl-] leaves)
     logs: ${dir#$top/}/a.log b.log lan.log
     try a failover (README, "Trying a failover"):
       kill \$(cat ${dir#$top/}/a.pid)                      pull director a's power
       echo 'set_link pub off' | socat - UNIX-CONNECT:${dir#$top/}/a.mon  pull a's public cable ('pub on' puts it back)
     stop: make stop   (or tests/lab/run.sh stop)
HINT
}

[ "${1:-}" = stop ] && { stop; exit 0; }
if any_running; then
  echo "run: already running (make stop first to boot afresh)"
  attach_hint
  [ "$SESSION" != none ] && [ -t 0 ] && [ -t 1 ] && exec tmux attach -t "$SESSION"
  exit 0
fi
stop >/dev/null
for f in vmlinux lab-initramfs.cpio appliance.img; do
  [ -f "$fw/$f" ] || { echo "run: missing $fw/$f: run 'make image'" >&2; exit 2; }
done
rm -rf "$dir"; mkdir -p "$dir"

port_in_use() { [ -n "$(ss -Hltn "sport = :$1" 2>/dev/null)" ]; }
free_port() {
  local p
  while :; do p=$(( 20000 + RANDOM % 40000 )); port_in_use "$p" || { echo "$p"; return; }; done
}
wait_listen() {
  local until=$((SECONDS + 20)) p
  for p in "$@"; do
    until port_in_use "$p"; do
      [ $SECONDS -lt $until ] || { echo "run: QEMU did not listen on 127.0.0.1:$p within 20 s" >&2; stop; exit 1; }
      sleep 0.2
    done
  done
}

# Each director's boot disk: a copy of appliance.img with that director's appliance.ini on
# its FAT partition (at 1 MiB), derived from the image's factory default the way an operator
# edits it: own name and node id, the lower priority on b, the peer's own public address.
# VIPs, services, checks and the heartbeat key stay the factory default, the same on both.
# Timing is the lab's: three TCG VMs on a shared host can be descheduled for longer than the
# factory's 0.36 s Master_Down_Interval (advert_int 0.1 s) and the 0.4 s serial dead time,
# which makes the backup take over while the master is alive; advert_int 1 s (keepalived's
# default, Master_Down 3.6 s), a 2 s serial dead time and a 10 s watchdog hold under load.
# The failback gate waits at most 20 s (catchup_max_wait; the factory waits up to one
# timeout_tcp for the table), so a returning director a takes the VIPs back within the demo.
# The VM has no front panel: the keyboard's LEDs (input-leds) are real LED class devices and
# stand in for MASTER (caps lock), BACKUP (num lock) and FAULT (scroll lock).
part="@@1M"
MTOOLS_SKIP_CHECK=1 mtype -i "$fw/appliance.img$part" ::/appliance.ini | tr -d '\r' > "$dir/factory.ini"
node_ini() { # ROLE NAME ID PRIORITY OWN_PUBLIC PEER_PUBLIC
  sed -e "s/^node_name = .*/node_name = $2/" -e "s/^node_id = .*/node_id = $3/" \
      -e "s/^priority = .*/priority = $4/" \
      -e "s/^public_address = .*/public_address = $5/" -e "s/^peer_public_address = .*/peer_public_address = $6/" \
      -e "/^\[sync\]/a catchup_max_wait = 20" \
      -e "s/^advert_int = .*/advert_int = 1/" \
      -e "s/^interval = .*/interval = 250ms/" -e "s/^dead_time = .*/dead_time = 2000ms/" \
      -e "s/^timeout = .*/timeout = 10/" \
      -e "s/^master = .*/master = input0::capslock/" -e "s/^backup = .*/backup = input0::numlock/" \
      -e "s/^fault = .*/fault = input0::scrolllock/" "$dir/factory.ini" > "$dir/$1.ini"
  if [ -x "$top/out/bin/appliance" ]; then
    # Warnings (the factory heartbeat key) are shown by the daemon on the console.
    local verdict
    verdict=$("$top/out/bin/appliance" check-config "$dir/$1.ini" 2>&1) ||
      { echo "run: director $1's appliance.ini is refused:" >&2; echo "$verdict" >&2; exit 1; }
  fi
  cp --sparse=always "$fw/appliance.img" "$dir/$1.img"
  MTOOLS_SKIP_CHECK=1 mcopy -o -i "$dir/$1.img$part" "$dir/$1.ini" ::/appliance.ini
}
node_ini a director-a 1 150 192.0.2.2 192.0.2.3
node_ini b director-b 2 100 192.0.2.3 192.0.2.2
for key in 'priority = 100' 'advert_int = 1' 'dead_time = 2000ms' 'timeout = 10' 'master = input0::capslock' 'public_address = 192.0.2.3' 'peer_public_address = 192.0.2.2' 'catchup_max_wait = 20'; do
  grep -qx "$key" "$dir/b.ini" || { echo "run: the factory appliance.ini has no line to set '$key' in" >&2; exit 1; }
done
echo "run: each director's appliance.ini is the factory default with (${dir#$top/}/a.ini, b.ini):"
echo "     a: $(diff "$dir/factory.ini" "$dir/a.ini" | sed -n 's/^> //p' | paste -sd, | sed 's/,/, /g')"
echo "     b: the same with node_name = director-b, node_id = 2, priority = 100, public_address = 192.0.2.3, peer_public_address = 192.0.2.2"

pub_a=$(free_port); pub_b=$(free_port); hb=$(free_port); ser=$(free_port)
common=(-nodefaults -accel tcg -cpu qemu64 -m 512 -display none
        -kernel "$fw/vmlinux" -initrd "$fw/lab-initramfs.cpio"
        -virtfs "local,path=$lab,mount_tag=lab,security_model=none,readonly=on")
# The console on ttyS0 (logged) and a QEMU monitor (set_link, system_reset, quit ...) per VM.
console() {
  echo "-chardev socket,id=con,path=$dir/$1.sock,server=on,wait=off,logfile=$dir/$1.log -serial chardev:con"
  echo "-chardev socket,id=mon,path=$dir/$1.mon,server=on,wait=off -mon chardev=mon,mode=readline"
}
: > "$dir/pids"
start() {
  local name=$1; shift
  "$QEMU" "$@" </dev/null >"$dir/$name.qemu.out" 2>&1 &
  echo $! >> "$dir/pids"
  echo $! > "$dir/$name.pid"
}

# shellcheck disable=SC2046
start lan "${common[@]}" $(console lan) -name lan -no-reboot \
  -append "console=ttyS0,115200 panic=-1 no_timer_check quiet lab.scenario=run/lan lab.role=lan lab.daemon=off" \
  -drive "file=$fw/appliance.img,format=raw,if=virtio,snapshot=on" \
  -netdev "socket,id=pa,listen=127.0.0.1:$pub_a" -device virtio-net-pci,netdev=pa,mac=52:54:00:00:01:01 \
  -netdev "socket,id=pb,listen=127.0.0.1:$pub_b" -device virtio-net-pci,netdev=pb,mac=52:54:00:00:01:02
wait_listen "$pub_a" "$pub_b"
# shellcheck disable=SC2046
start a "${common[@]}" $(console a) -name director-a \
  -append "console=ttyS0,115200 no_timer_check quiet lab.scenario=run/director lab.role=a" \
  -drive "file=$dir/a.img,format=raw,if=virtio" \
  -netdev "socket,id=pub,connect=127.0.0.1:$pub_a" -device virtio-net-pci,netdev=pub,id=pub,mac=52:54:00:00:00:a0 \
  -netdev "socket,id=hb,listen=127.0.0.1:$hb" -device virtio-net-pci,netdev=hb,id=hb,mac=52:54:00:00:00:a1 \
  -chardev "socket,id=peer,host=127.0.0.1,port=$ser,server=on,wait=off" -serial chardev:peer \
  -device i6300esb -watchdog-action reset
wait_listen "$hb" "$ser"
# shellcheck disable=SC2046
start b "${common[@]}" $(console b) -name director-b \
  -append "console=ttyS0,115200 no_timer_check quiet lab.scenario=run/director lab.role=b" \
  -drive "file=$dir/b.img,format=raw,if=virtio" \
  -netdev "socket,id=pub,connect=127.0.0.1:$pub_b" -device virtio-net-pci,netdev=pub,id=pub,mac=52:54:00:00:00:b0 \
  -netdev "socket,id=hb,connect=127.0.0.1:$hb" -device virtio-net-pci,netdev=hb,id=hb,mac=52:54:00:00:00:b1 \
  -chardev "socket,id=peer,host=127.0.0.1,port=$ser,reconnect=1" -serial chardev:peer \
  -device i6300esb -watchdog-action reset
echo "run: started VMs lan, director a, director b (pids $(tr '\n' ' ' < "$dir/pids"))"

# The consoles in tmux: one pane per VM, attached through socat (the sockets also keep
# logging while nobody is attached).
if [ "$SESSION" != none ] && command -v tmux >/dev/null; then
  tmux new-session -d -s "$SESSION" -x 200 -y 50 "socat -,raw,echo=0,escape=0x1d UNIX-CONNECT:$dir/a.sock"
  tmux split-window -t "$SESSION" -h "socat -,raw,echo=0,escape=0x1d UNIX-CONNECT:$dir/b.sock"
  tmux split-window -t "$SESSION" -v "socat -,raw,echo=0,escape=0x1d UNIX-CONNECT:$dir/lan.sock"
  tmux set-option -t "$SESSION" pane-border-status top >/dev/null 2>&1 || true
  tmux select-pane -t "$SESSION:0.0" -T "director a" 2>/dev/null || true
  tmux select-pane -t "$SESSION:0.1" -T "director b" 2>/dev/null || true
  tmux select-pane -t "$SESSION:0.2" -T "LAN: real servers + client" 2>/dev/null || true
fi

# Bounded wait until the client is served through the VIP, so a newcomer sees it work.
wait_s=${RUN_WAIT:-300}
echo "run: booting under TCG; waiting (up to $wait_s s) for the client's first answer through VIP 192.0.2.10 ..."
until=$((SECONDS + wait_s))
until grep -q 'served by rs' "$dir/lan.log" 2>/dev/null; do
  if [ $SECONDS -ge $until ]; then
    echo "run: no answer through the VIP within $wait_s s; see ${dir#$top/}/*.log" >&2
    attach_hint; exit 1
  fi
  running || { echo "run: a VM exited; see ${dir#$top/}/*.qemu.out and *.log" >&2; stop; exit 1; }
  sleep 1
done
for r in a b; do
  grep -a -m1 'loaded configuration' "$dir/$r.log" | tr -d '\r' | sed "s/^/run: director $r: /" || true
  grep -a 'director is [A-Z]*' "$dir/$r.log" | tail -1 | tr -d '\r' | sed "s/^/run: director $r: /" || true
done
grep -a -m2 'served by' "$dir/lan.log" | tr -d '\r' | sed 's/^/run: lan: /'
attach_hint
if [ "$SESSION" != none ] && [ -t 0 ] && [ -t 1 ] && command -v tmux >/dev/null; then exec tmux attach -t "$SESSION"; fi
