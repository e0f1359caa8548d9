#!/usr/bin/env bash
# `make run`: boots the director pair and a LAN in QEMU (TCG, -nodefaults, no user-mode
# networking) and shows the consoles in tmux.
#
#   VM a, VM b  the directors: eth0 public (cabled to the LAN VM), eth1 heartbeat and
#               ttyS1 null-modem (cabled to each other); each boots the product initramfs
#               plus the lab tools, runs `appliance run` from its boot partition.
#   VM lan      a switch with two real servers and a client in network namespaces.
# Cables are QEMU sockets on 127.0.0.1. Consoles are Unix sockets in tests/lab/out/run/
# (also logged to a.log, b.log, lan.log there).
#
# Usage: run.sh          start (or re-attach when already running)
#        run.sh stop     stop the VMs and the tmux session
set -euo pipefail
lab=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$lab/../.." && pwd)
fw=${FIRMWARE_OUT:-$top/firmware/out}
dir=$lab/out/run
QEMU=${QEMU:-qemu-system-x86_64}
SESSION=appliance

stop() {
  local p
  if [ -f "$dir/pids" ]; then
    for p in $(cat "$dir/pids"); do kill "$p" 2>/dev/null || true; done
    rm -f "$dir/pids"
  fi
  tmux kill-session -t "$SESSION" 2>/dev/null || true
  echo "run: stopped"
}
running() {
  local p
  [ -f "$dir/pids" ] || return 1
  for p in $(cat "$dir/pids"); do kill -0 "$p" 2>/dev/null || return 1; done
}
attach_hint() {
  cat <<HINT
run: consoles (tmux session '$SESSION', one pane each: director a, director b, LAN):
       tmux attach -t $SESSION          leave with Ctrl-b d (the VMs keep running)
     or one console directly:
       socat -,raw,echo=0,escape=0x1d UNIX-CONNECT:${dir#$top/}/a.sock   (Ctrl-] leaves)
     logs: ${dir#$top/}/a.log b.log lan.log
     stop: make stop   (or tests/lab/run.sh stop)
HINT
}

[ "${1:-}" = stop ] && { stop; exit 0; }
if running; then
  echo "run: already running"
  attach_hint
  [ -t 0 ] && [ -t 1 ] && exec tmux attach -t "$SESSION"
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

# Director b's boot partition: factory.ini made into the second director's.
ini=$dir/appliance-b.ini
MTOOLS_SKIP_CHECK=1 mtype -i "$fw/appliance.img@@1M" ::/appliance.ini > "$dir/appliance-a.ini"
sed -e 's/^node_name = .*/node_name = director-b/' -e 's/^node_id = .*/node_id = 2/' \
    -e 's/^priority = 150/priority = 100/' "$dir/appliance-a.ini" > "$ini"
mkfs.fat -C -n APPLBOOT "$dir/boot-b.vfat" 4096 >/dev/null
MTOOLS_SKIP_CHECK=1 mcopy -i "$dir/boot-b.vfat" "$ini" ::/appliance.ini

pub_a=$(free_port); pub_b=$(free_port); hb=$(free_port); ser=$(free_port)
common=(-nodefaults -accel tcg -cpu qemu64 -m 512 -display none -no-reboot
        -kernel "$fw/vmlinux" -initrd "$fw/lab-initramfs.cpio"
        -virtfs "local,path=$lab,mount_tag=lab,security_model=none,readonly=on")
console() { echo "-chardev socket,id=con,path=$dir/$1.sock,server=on,wait=off,logfile=$dir/$1.log -serial chardev:con"; }
: > "$dir/pids"
start() {
  local name=$1; shift
  "$QEMU" "$@" </dev/null >"$dir/$name.qemu.out" 2>&1 &
  echo $! >> "$dir/pids"
}

# shellcheck disable=SC2046
start lan "${common[@]}" $(console lan) -name lan \
  -append "console=ttyS0,115200 panic=-1 no_timer_check quiet lab.scenario=run/lan lab.role=lan lab.daemon=off" \
  -drive "file=$fw/appliance.img,format=raw,if=virtio,snapshot=on" \
  -netdev "socket,id=pa,listen=127.0.0.1:$pub_a" -device virtio-net-pci,netdev=pa,mac=52:54:00:00:01:01 \
  -netdev "socket,id=pb,listen=127.0.0.1:$pub_b" -device virtio-net-pci,netdev=pb,mac=52:54:00:00:01:02
wait_listen "$pub_a" "$pub_b"
# shellcheck disable=SC2046
start a "${common[@]}" $(console a) -name director-a \
  -append "console=ttyS0,115200 panic=-1 no_timer_check quiet lab.scenario=run/director lab.role=a" \
  -drive "file=$fw/appliance.img,format=raw,if=virtio,snapshot=on" \
  -netdev "socket,id=pub,connect=127.0.0.1:$pub_a" -device virtio-net-pci,netdev=pub,mac=52:54:00:00:00:a0 \
  -netdev "socket,id=hb,listen=127.0.0.1:$hb" -device virtio-net-pci,netdev=hb,mac=52:54:00:00:00:a1 \
  -chardev "socket,id=peer,host=127.0.0.1,port=$ser,server=on,wait=off" -serial chardev:peer \
  -device i6300esb -watchdog-action reset
wait_listen "$hb" "$ser"
# shellcheck disable=SC2046
start b "${common[@]}" $(console b) -name director-b \
  -append "console=ttyS0,115200 panic=-1 no_timer_check quiet lab.scenario=run/director lab.role=b" \
  -drive "file=$dir/boot-b.vfat,format=raw,if=virtio" \
  -netdev "socket,id=pub,connect=127.0.0.1:$pub_b" -device virtio-net-pci,netdev=pub,mac=52:54:00:00:00:b0 \
  -netdev "socket,id=hb,connect=127.0.0.1:$hb" -device virtio-net-pci,netdev=hb,mac=52:54:00:00:00:b1 \
  -chardev "socket,id=peer,host=127.0.0.1,port=$ser,reconnect=1" -serial chardev:peer \
  -device i6300esb -watchdog-action reset
echo "run: started VMs lan, director a, director b (pids $(tr '\n' ' ' < "$dir/pids"))"

# The consoles in tmux: one pane per VM, attached through socat (the sockets also keep
# logging while nobody is attached).
if command -v tmux >/dev/null; then
  tmux new-session -d -s "$SESSION" -x 200 -y 50 "socat -,raw,echo=0,escape=0x1d UNIX-CONNECT:$dir/a.sock"
  tmux split-window -t "$SESSION" -h "socat -,raw,echo=0,escape=0x1d UNIX-CONNECT:$dir/b.sock"
  tmux split-window -t "$SESSION" -v "socat -,raw,echo=0,escape=0x1d UNIX-CONNECT:$dir/lan.sock"
  tmux set-option -t "$SESSION" pane-border-status top >/dev/null 2>&1 || true
  tmux select-pane -t "$SESSION:0.0" -T "director a" 2>/dev/null || true
  tmux select-pane -t "$SESSION:0.1" -T "director b" 2>/dev/null || true
  tmux select-pane -t "$SESSION:0.2" -T "LAN: real servers + client" 2>/dev/null || true
fi

# Bounded wait until the client is served through the VIP, so a newcomer sees it work.
echo "run: booting under TCG; waiting (up to 240 s) for the client's first answer through VIP 192.0.2.10 ..."
until=$((SECONDS + 240))
until grep -q 'served by rs' "$dir/lan.log" 2>/dev/null; do
  if [ $SECONDS -ge $until ]; then
    echo "run: no answer through the VIP within 240 s; see ${dir#$top/}/*.log" >&2
    attach_hint; exit 1
  fi
  running || { echo "run: a VM exited; see ${dir#$top/}/*.qemu.out and *.log" >&2; stop; exit 1; }
  sleep 1
done
grep -m1 'loaded configuration' "$dir/a.log" | sed 's/^/run: director a: /' || true
grep -m1 'loaded configuration' "$dir/b.log" | sed 's/^/run: director b: /' || true
grep -m2 'served by' "$dir/lan.log" | tr -d '\r' | sed 's/^/run: lan: /'
attach_hint
if [ -t 0 ] && [ -t 1 ] && command -v tmux >/dev/null; then exec tmux attach -t "$SESSION"; fi
