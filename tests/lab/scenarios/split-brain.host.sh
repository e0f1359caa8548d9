# Host part of the split-brain scenario (sourced by tests/lab/lab.sh in a subshell; bash).
#
# Topology, all inside a network namespace this script creates (QEMU runs in it, so its tap
# NICs exist only there; no user-mode networking, nothing reaches another address):
#
#   VM a (director-a, priority 150)            VM b (director-b, priority 100)
#     eth0 192.0.2.2  --tap sb-a-pub--+        +--tap sb-b-pub-- eth0 192.0.2.3
#                                     br-pub --+-- observer: vipwatch (ARP for the VIP every 10 ms)
#     eth1 203.0.113.1 --tap sb-a-hb--- br-hb ---tap sb-b-hb-- eth1 203.0.113.2
#     ttyS1 ====== QEMU -chardev socket (a: server, b: client, reconnect) ====== ttyS1
#     ttyS2 control port (unix socket, the host's commands), ttyS0 console (timestamped log)
#     i6300esb watchdog, -watchdog-action reset with -no-reboot: a watchdog reset ends QEMU
#     HMP monitor (set_link, chardev-change, quit) and QMP (the WATCHDOG event) on unix sockets
#
# Faults (SB_FAULTS: "fast" (default, for make test), "all", or a list of names):
#   hb-cut                heartbeat NIC cut (set_link on A)          -> no takeover
#   serial-cut            serial link cut (A's chardev -> null)       -> no takeover
#   both-cut-peer-alive   both cut, A still answers on the public NIC -> no takeover
#   both-cut-peer-silent  both cut and A's public NIC down too        -> B takes over
#   public-down           the master's public NIC down                -> B takes over
#   vm-quit               the master VM ends (QEMU quit: power loss)  -> B takes over
#   daemon-sigkill        SIGKILL of the master's daemon  -> A's watchdog resets it, B takes over
#   daemon-sigstop        SIGSTOP of the master's daemon  -> A's watchdog resets it, B takes over
# The figures (seconds of two holders, time to takeover) go to $dir/figures.txt.

# lab.sh runs under set -eu; this part checks every step itself (sb_fail), and unset entries
# of its arrays mean "not started yet".
set +eu

SB_FAST="hb-cut both-cut-peer-alive daemon-sigkill"
SB_ALL="hb-cut serial-cut both-cut-peer-alive public-down both-cut-peer-silent vm-quit daemon-sigkill daemon-sigstop"
SB_VIP=192.0.2.100
SB_MAC_A=52:54:00:5b:00:0a
SB_MAC_B=52:54:00:5b:00:0b
SB_INTERVAL_MS=10
# Observation window after a fault that must not cause a takeover: longer than the backup's
# Master_Down (3 x 0.3 s + skew), the serial dead time (1 s), the ARP probe (0.2 s) and
# the watchdog timeout (2 s) together.
SB_HOLD_S=${SB_HOLD_S:-5}
SB_WATCHDOG_S=2

sb_log() { printf '%s split-brain: %s\n' "$(date +%T.%3N)" "$*" >&2; }
sb_now_us() { echo "${EPOCHREALTIME/./}"; }

# sb_fail MSG: the scenario's verdict, printed once by host_main's exit trap.
sb_fail() {
  echo "$*" > "$dir/fail"
  exit 1
}

sb_mon() { # sb_mon ROLE HMP-COMMAND...: one connection, the commands in order.
  local role=$1; shift
  printf '%s\n' "$@" | socat -t 0.5 - "UNIX-CONNECT:$dir/mon-$role.sock" >> "$dir/mon-$role.out" 2>&1 ||
    sb_fail "the HMP monitor of VM $role did not take '$*'"
}

sb_ctl() { # sb_ctl ROLE COMMAND [ARG]: sends to the guest's control port, waits for its answer.
  local role=$1; shift
  # Unique across command substitutions (a counter would not survive them).
  local id="c${EPOCHREALTIME/./}"
  # The connection stays open until the answer is on the console: QEMU's socket chardev may
  # drop what a client wrote when the client hangs up at once.
  { printf '%s %s\n' "$id" "$*"
    local end=$((SECONDS + 20))
    until grep -q "SB-CTL $id " "$dir/vm-$role.log" || [ $SECONDS -ge $end ]; do sleep 0.1; done
  } | socat -u - "UNIX-CONNECT:$dir/ctl-$role.sock" || sb_fail "cannot write to VM $role's control port"
  grep -q "SB-CTL $id " "$dir/vm-$role.log" || sb_fail "VM $role did not answer the control command '$*' within 20 s"
  grep -m1 "SB-CTL $id " "$dir/vm-$role.log" | sed "s/.*SB-CTL $id //"
}

# sb_wait CMD TIMEOUT_S MSG: bounded wait (0.1 s steps). MSG is expanded only on failure, so
# it may call for diagnostics (single-quote it then).
sb_wait() {
  local end=$((SECONDS + $2))
  until eval "$1" >/dev/null 2>&1; do
    [ $SECONDS -lt "$end" ] || sb_fail "timed out after $2 s: $(eval "echo \"$3\"")"
    sleep 0.1
  done
}

sb_alive() { kill -0 "${sb_pid[$1]}" 2>/dev/null; }

sb_boot() { # sb_boot ROLE
  local role=$1 mac pubmac hbmac args
  if [ "$role" = a ]; then pubmac=$SB_MAC_A hbmac=52:54:00:5b:01:0a; else pubmac=$SB_MAC_B hbmac=52:54:00:5b:01:0b; fi
  local boot=${sb_boots[$role]:-0}
  sb_boots[$role]=$((boot + 1))
  if [ "$boot" -gt 0 ]; then
    mv "$dir/vm-$role.log" "$dir/vm-$role.boot$boot.log"
    mv "$dir/qmp-$role.log" "$dir/qmp-$role.boot$boot.log" 2>/dev/null
  fi
  rm -f "$dir/mon-$role.sock" "$dir/ctl-$role.sock" "$dir/qmp-$role.sock"
  args=(-nodefaults -accel tcg -cpu qemu64 -m "$MEM" -display none -no-reboot -name "lab-$name-$role"
        -kernel "$fw/vmlinux" -initrd "$fw/lab-initramfs.cpio"
        -append "console=ttyS0,115200 panic=-1 no_timer_check quiet lab.scenario=$name lab.role=$role lab.daemon=off"
        -virtfs "local,path=$lab,mount_tag=lab,security_model=none,readonly=on"
        -drive "file=$fw/appliance.img,format=raw,if=virtio,snapshot=on"
        -netdev "tap,id=pub,ifname=sb-$role-pub,script=no,downscript=no" -device "virtio-net-pci,netdev=pub,mac=$pubmac"
        -netdev "tap,id=hb,ifname=sb-$role-hb,script=no,downscript=no" -device "virtio-net-pci,netdev=hb,mac=$hbmac"
        -serial stdio)
  # The null-modem cable: VM a listens, VM b connects and reconnects (either may reboot).
  if [ "$role" = a ]; then args+=(-chardev "socket,id=peer,path=$dir/serial.sock,server=on,wait=off")
  else args+=(-chardev "socket,id=peer,path=$dir/serial.sock,reconnect=1"); fi
  args+=(-serial chardev:peer
         -chardev "socket,id=ctl,path=$dir/ctl-$role.sock,server=on,wait=off" -serial chardev:ctl
         -device i6300esb -watchdog-action reset
         -monitor "unix:$dir/mon-$role.sock,server=on,wait=off"
         -qmp "unix:$dir/qmp-$role.sock,server=on,wait=off")
  # TCG's virtual clock follows the host's: a vCPU starved by a loaded host loses guest time
  # while the i6300esb keeps counting, and a healthy daemon misses its 2 s watchdog. The two
  # QEMUs run at a higher priority (SB_NICE, default -5) so that host load does not stand in
  # for a hung daemon; nice execs QEMU, so the PID stays QEMU's.
  QEMU="ip" LAB_T0=$T0 start_vm "$dir/vm-$role.log" netns exec "$ns" nice -n "${SB_NICE:--5}" "$qemu" "${args[@]}"
  sb_pid[$role]=${pids[-1]}
  sb_wait "[ -S '$dir/qmp-$role.sock' ] || ! sb_alive $role" 30 "QEMU of VM $role did not open its QMP socket"
  sb_alive "$role" || sb_fail "QEMU of VM $role exited at start: $(tr '\n' ' ' < "$dir/vm-$role.qemu.err")"
  # QMP: events (WATCHDOG, SHUTDOWN) with QEMU's own epoch timestamps, for the watchdog cases.
  # (The EXEC side's stdout goes to QEMU, its stdin comes from QEMU; it ends when QEMU does.)
  cat > "$dir/qmp-$role.sh" <<EOF
#!/bin/sh
echo '{"execute":"qmp_capabilities"}'
exec cat >> "$dir/qmp-$role.log"
EOF
  chmod +x "$dir/qmp-$role.sh"
  socat "UNIX-CONNECT:$dir/qmp-$role.sock" "EXEC:$dir/qmp-$role.sh" < /dev/null > /dev/null 2>&1 &
  sb_qmp[$role]=$!
  pids+=($!)
}

sb_ready() { # sb_ready ROLE TIMEOUT: the guest set up its NICs and its daemon loaded the INI.
  sb_wait "grep -q 'SB-READY role=$1' '$dir/vm-$1.log' || grep -q 'LAB-RESULT role=$1 FAIL' '$dir/vm-$1.log' || ! sb_alive $1" "$2" "VM $1 did not report SB-READY"
  if ! grep -q "SB-READY role=$1" "$dir/vm-$1.log"; then
    sb_fail "VM $1: $(grep -m1 'LAB-RESULT role=' "$dir/vm-$1.log" || echo "QEMU exited: $(tr '\n' ' ' < "$dir/vm-$1.qemu.err")")"
  fi
}

# --- What the observer saw ---------------------------------------------------------------
# sb_samples FROM_US TO_US: one line per request sent in [FROM, TO): "t_us holders", holders
# being a, b, ab or - (no answer). Requests of the last 300 ms before the file's end are left
# out (their answers may still be on the way).
sb_samples() {
  awk -v from="$1" -v to="$2" -v ma="$SB_MAC_A" -v mb="$SB_MAC_B" '
    $1 == "S" { t[$3] = $2; last = $2 }
    $1 == "R" && $4 == ma { a[$3] = 1 }
    $1 == "R" && $4 == mb { b[$3] = 1 }
    $1 == "R" && $4 != ma && $4 != mb { other[$3] = $4 }
    END {
      for (n in t) if (t[n] >= from && t[n] < to && t[n] < last - 300000) {
        h = (a[n] ? "a" : "") (b[n] ? "b" : "")
        if (other[n] != "") h = h "?" other[n]
        print t[n], (h == "" ? "-" : h)
      }
    }' "$dir/vipwatch.txt" | sort -n
}

# sb_measure FAULT T_FAULT_US T_END_US: figures of the window, one line in figures.txt:
#   fault samples dual_s takeover_s a_last_s none_s
sb_measure() {
  local fault=$1 t0=$2 t1=$3
  sb_samples "$t0" "$t1" > "$dir/samples-$fault.txt"
  awk -v t0="$t0" -v f="$fault" -v iv="$SB_INTERVAL_MS" '
    { n++; if (NR > 1) { dt = $1 - pt; if (ph == "ab") dual += dt; if (ph == "-") none += dt }
      pt = $1; ph = $2
      if ($2 ~ /\?/) strange++
      if (index($2, "b") && tb == "") tb = $1 - t0
      if (index($2, "a")) ta = $1 - t0 }
    END { printf "%s samples=%d dual_s=%.3f takeover_s=%s a_last_s=%s none_s=%.3f strange=%d\n", f, n, dual / 1e6,
            (tb == "" ? "none" : sprintf("%.3f", tb / 1e6)), (ta == "" ? "none" : sprintf("%.3f", ta / 1e6)), none / 1e6, strange }
  ' "$dir/samples-$fault.txt"
}

sb_holders_now() { sb_samples "$(( $(sb_now_us) - 1500000 ))" "$(sb_now_us)" | tail -n 5 | awk '{print $2}' | sort -u | tr '\n' ' '; }

# sb_settle: A alone answers for the VIP (the pair is in its normal state).
sb_settle() {
  sb_wait '[ "$(sb_holders_now)" = "a " ]' "${1:-60}" 'A alone should answer for $SB_VIP (the observer saw: $(sb_holders_now); A: $(sb_ctl a state); B: $(sb_ctl b state))'
}

# sb_vipmon ROLE FROM_US: the first VIP deletion (Deleted) / addition on ROLE's public NIC
# after FROM, in seconds since FROM ("none" when there was none), from the guest's
# `ip monitor address` lines as the host timestamped them.
sb_vipmon() {
  awk -v from="$2" -v t0="$T0" -v want="$3" -v vip=" $SB_VIP/" '
    /SB-VIPMON/ && index($0, vip) {
      match($0, /^\[ *[0-9.]+\]/); s = substr($0, 2, RLENGTH - 2) + 0; t = t0 + s * 1e6
      if (t < from) next
      del = index($0, "SB-VIPMON Deleted") > 0
      if ((want == "del") == del) { printf "%.3f\n", (t - from) / 1e6; found = 1; exit }
    }
    END { if (!found) print "none" }' "$dir/vm-$1.log"
}

# sb_qmp_event ROLE EVENT FROM_US: seconds from FROM to QEMU's EVENT ("none").
sb_qmp_event() {
  grep "\"event\": *\"$2\"" "$dir/qmp-$1.log" 2>/dev/null | head -1 |
    sed -n 's/.*"seconds": *\([0-9]*\), *"microseconds": *\([0-9]*\).*/\1 \2/p' |
    awk -v from="$3" '{ printf "%.3f\n", ($1 * 1e6 + $2 - from) / 1e6; found = 1 } END { if (!found) print "none" }'
}

# --- Faults -------------------------------------------------------------------------------
sb_hb() { sb_mon a "set_link hb $1"; }
sb_serial() {
  if [ "$1" = off ]; then sb_mon a "chardev-change peer null"
  else sb_mon a "chardev-change peer socket,path=$dir/serial.sock,server=on,wait=off"; fi
}
sb_serial_on_cmd() { echo "chardev-change peer socket,path=$dir/serial.sock,server=on,wait=off"; }

# sb_start_pair: VM a first, the master once it holds the VIP alone, then VM b as its backup.
# In sequence because the arbiter withholds VRRP preemption: a director that boots later with
# the higher priority does not take the VIPs back from a master that is alive on the serial
# link (rule B2; docs/split-brain.md, "Preemption"), so whoever is master first stays so.
sb_start_pair() {
  local role
  for role in a b; do
    if sb_alive "$role"; then
      sb_mon "$role" quit
      sb_wait "! sb_alive $role" 30 "QEMU of VM $role did not quit"
    fi
    [ -n "${sb_pid[$role]:-}" ] && wait "${sb_pid[$role]}" 2>/dev/null
  done
  sb_boot a
  sb_ready a 240
  sb_settle 90
  sb_boot b
  sb_ready b 240
  sb_settle 60
}

# sb_restore_a: the pair back in its normal state after a takeover (both VMs booted again).
sb_restore_a() {
  [ "${sb_last:-}" = 1 ] && return 0 # the last fault: nothing follows that needs the pair
  sb_start_pair
}

sb_run_fault() {
  local f=$1 t_fault verdict line a_state b_state
  sb_log "fault $f"
  echo "FAULT $f $(sb_now_us)" >> "$dir/timeline"
  t_fault=$(sb_now_us)
  case $f in
    hb-cut) sb_hb off ;;
    serial-cut) sb_serial off ;;
    # Several cuts go through one monitor connection, so that they happen together.
    both-cut-peer-alive) sb_mon a "set_link hb off" "chardev-change peer null" ;;
    both-cut-peer-silent) sb_mon a "set_link hb off" "chardev-change peer null" "set_link pub off" ;;
    public-down) sb_mon a "set_link pub off" ;;
    vm-quit) sb_mon a "quit" ;;
    daemon-sigkill) line=$(sb_ctl a signal KILL); [[ $line == signalled* ]] || sb_fail "$f: $line" ;;
    daemon-sigstop) line=$(sb_ctl a signal STOP); [[ $line == signalled* ]] || sb_fail "$f: $line" ;;
    *) sb_fail "unknown fault '$f' (have: $SB_ALL)" ;;
  esac
  case $f in
    hb-cut|serial-cut|both-cut-peer-alive)
      # No takeover is right: A stays the one holder for the whole window.
      sleep "$SB_HOLD_S"
      sb_alive a || sb_fail "$f: VM a ended during the window ($(grep -o '"event": *"WATCHDOG"[^}]*}' "$dir/qmp-a.log" | head -1 || echo 'no WATCHDOG event')); load average $(cut -d' ' -f1-3 /proc/loadavg)"
      line=$(sb_measure "$f" "$t_fault" "$(sb_now_us)")
      a_state=$(sb_ctl a state); b_state=$(sb_ctl b state)
      line="$line load=$(cut -d' ' -f1 /proc/loadavg)"
      echo "$line" >> "$dir/figures.txt"
      sb_log "$line"
      [[ $line == *" dual_s=0.000 "* ]] || sb_fail "$f: two holders answered for $SB_VIP ($line; samples-$f.txt)"
      [[ $line == *" takeover_s=none "* ]] || sb_fail "$f: B answered for $SB_VIP although A is alive ($line)"
      [[ $b_state == vip=no* ]] || sb_fail "$f: B configured $SB_VIP although A is alive (B: $b_state)"
      [[ $a_state == vip=yes* ]] || sb_fail "$f: A no longer holds $SB_VIP (A: $a_state)"
      case $f in
        hb-cut) sb_hb on ;;
        serial-cut) sb_serial on ;;
        both-cut-peer-alive) sb_mon a "set_link hb on" "$(sb_serial_on_cmd)" ;;
      esac
      sb_settle 30
      ;;
    *)
      # Takeover is right: B answers within the bound, and never together with A.
      sb_wait "sb_samples $t_fault \$(sb_now_us) | grep -q ' b\$'" 30 '$f: B did not take $SB_VIP over within 30 s (observer: $(sb_holders_now); B: $(sb_ctl b state))'
      sleep 2
      line=$(sb_measure "$f" "$t_fault" "$(sb_now_us)")
      local extra=""
      case $f in
        public-down|both-cut-peer-silent)
          # A's public NIC has no carrier: the observer cannot see A, its own address table can.
          local a_del b_add
          a_del=$(sb_vipmon a "$t_fault" del); b_add=$(sb_vipmon b "$t_fault" add)
          extra=" a_released_s=$a_del b_added_s=$b_add"
          [ "$a_del" != none ] || sb_fail "$f: A did not remove $SB_VIP from its public NIC ($line)"
          [ "$b_add" != none ] && awk -v d="$a_del" -v a="$b_add" 'BEGIN { exit !(d <= a) }' ||
            sb_fail "$f: B configured $SB_VIP at +$b_add s, before A removed it at +$a_del s"
          ;;
        daemon-sigkill|daemon-sigstop)
          local wd
          sb_wait "! sb_alive a" 15 '$f: VM a was not reset by its watchdog within 15 s (QMP: $(tail -c 300 "$dir/qmp-a.log" | tr "\n" " "); A: $(sb_ctl a state))'
          wd=$(sb_qmp_event a WATCHDOG "$t_fault")
          extra=" watchdog_s=$wd"
          grep -q '"event": *"WATCHDOG".*"action": *"reset"' "$dir/qmp-a.log" ||
            sb_fail "$f: VM a ended without a WATCHDOG reset event (QMP: $(tail -c 300 "$dir/qmp-a.log" | tr '\n' ' '))"
          ;;
      esac
      line="$line$extra load=$(cut -d' ' -f1 /proc/loadavg)"
      echo "$line" >> "$dir/figures.txt"
      sb_log "$line"
      local limit=0.000
      case $f in daemon-sigkill|daemon-sigstop) limit=$SB_WATCHDOG_S ;; esac
      awk -v l="$line" -v lim="$limit" 'BEGIN { match(l, /dual_s=[0-9.]+/); d = substr(l, RSTART + 7, RLENGTH - 7); exit !(d + 0 <= lim + 0) }' ||
        sb_fail "$f: two holders answered for $SB_VIP longer than $limit s ($line; samples-$f.txt)"
      sb_wait '[ "$(sb_holders_now)" = "b " ]' 10 '$f: after the takeover the observer sees $(sb_holders_now), not B alone'
      case $f in
        public-down) sb_mon a "set_link pub on" ;;
        both-cut-peer-silent) sb_mon a "set_link pub on"; sb_hb on; sb_serial on ;;
      esac
      sb_restore_a
      ;;
  esac
}

host_main() {
  name=$1 dir=$2
  local limit=$3 f
  set +e
  qemu=$QEMU
  ns=sbl$$
  T0=$(sb_now_us)
  declare -gA sb_pid=() sb_qmp=() sb_boots=()
  local faults=${SB_FAULTS:-fast}
  [ "$faults" = fast ] && faults=$SB_FAST
  [ "$faults" = all ] && faults=$SB_ALL
  [ "$(id -u)" = 0 ] || { echo "FAIL $name: needs root (a network namespace with tap devices)"; return 1; }
  command -v socat >/dev/null || { echo "FAIL $name: socat missing (tests/tools/install-deps.sh lab)"; return 1; }
  trap 'sb_end' EXIT
  # The whole scenario is bounded: a watchdog of our own ends it after #@ timeout seconds.
  local me=$BASHPID
  ( trap 'kill $s 2>/dev/null; exit 0' TERM
    sleep "$limit" & s=$!
    wait $s
    echo "timed out after $limit s (#@ timeout)" > "$dir/fail"
    kill -TERM "$me" ) < /dev/null > /dev/null 2>&1 &
  sb_timer=$!
  trap 'exit 1' TERM INT

  mkdir -p "$lab/cache"
  gcc -O2 -static -Wall -Werror -o "$lab/cache/vipwatch" "$lab/tools/vipwatch.c" || sb_fail "cannot build tools/vipwatch.c"
  ip netns add "$ns" || sb_fail "cannot create network namespace $ns"
  ip -n "$ns" link set lo up
  local br role nic
  for br in br-pub br-hb; do
    ip -n "$ns" link add "$br" type bridge mcast_snooping 0
    ip -n "$ns" link set "$br" up
  done
  for role in a b; do
    for nic in pub hb; do
      ip -n "$ns" tuntap add "sb-$role-$nic" mode tap
      ip -n "$ns" link set "sb-$role-$nic" master "br-$nic" up
    done
  done
  # The observer: its own address plan, outside the directors' (192.0.2.192-255 as senders).
  ip netns exec "$ns" "$lab/cache/vipwatch" br-pub "$SB_VIP" "$SB_INTERVAL_MS" 192.0.2.192 "$dir/vipwatch.txt" < /dev/null > /dev/null 2> "$dir/vipwatch.err" &
  sb_watch=$!
  pids+=($!)

  sb_log "booting VM a, then VM b (faults: $faults)"
  sb_start_pair
  sb_log "both directors run, A holds $SB_VIP alone"
  echo "# fault samples dual_s takeover_s ... (times in s since the fault)" > "$dir/figures.txt"
  local a_state b_state
  [ -n "${SB_PAUSE:-}" ] && sleep "$SB_PAUSE"
  a_state=$(sb_ctl a state); b_state=$(sb_ctl b state)
  [[ $a_state == vip=yes* && $b_state == vip=no* ]] || sb_fail "the guests' own view disagrees with the observer's (A: $a_state; B: $b_state)"
  local last=${faults##* }
  for f in $faults; do
    [ "$f" = "$last" ] && sb_last=1
    [ "$f" = none ] || sb_run_fault "$f"
  done
  echo PASS > "$dir/verdict"
}

# Exit trap of the subshell: stop everything this scenario started, print the verdict.
sb_end() {
  local rc=$? p
  # lab.sh runs under set -e, which an exit trap obeys again: a kill of a process that is
  # already gone must not end the clean-up.
  set +e
  trap - EXIT TERM INT
  kill "$sb_timer" 2>/dev/null
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null; done
  for p in "${sb_pid[@]}"; do kill -0 "$p" 2>/dev/null && { sleep 1; kill -KILL "$p" 2>/dev/null; }; done
  for p in "${pids[@]}"; do wait "$p" 2>/dev/null; done
  ip netns del "$ns" 2>/dev/null
  local took=$(( ($(sb_now_us) - T0) / 1000000 ))
  if [ -f "$dir/verdict" ] && [ ! -f "$dir/fail" ]; then
    echo "PASS $name (${took} s)"
    sed 's/^/     /' "$dir/figures.txt"
    exit 0
  fi
  echo "FAIL $name (${took} s): $(cat "$dir/fail" 2>/dev/null || echo "the host part ended with status $rc")"
  for p in a b; do
    [ -f "$dir/vm-$p.log" ] || continue
    echo "     --- last lines of vm-$p.log ---"
    tail -n 15 "$dir/vm-$p.log" | sed 's/^/     /'
  done
  exit 1
}
