#!/usr/bin/env bash
# The QEMU lab: boots the firmware image under TCG with Debian's kernel and runs scenarios
# from tests/lab/scenarios/ inside the guests. Usage: lab.sh [SCENARIO...] (all when none).
#
# A scenario file carries host directives in lines starting with '#@' and, for guest
# scenarios, a shell function scenario_main that runs inside each VM (see README in
# docs/lab.md). Each VM's serial console is captured with host timestamps (seconds since
# that QEMU started) to tests/lab/out/SCENARIO/vm-ROLE.log; the logs are kept.
set -euo pipefail
lab=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$lab/../.." && pwd)
fw=${FIRMWARE_OUT:-$top/firmware/out}
QEMU=${QEMU:-qemu-system-x86_64}
MEM=${LAB_MEM:-512}

die() { echo "lab: $*" >&2; exit 2; }
for f in vmlinux lab-initramfs.cpio appliance.img; do
  [ -f "$fw/$f" ] || die "missing $fw/$f: run 'make image' first"
done
command -v "$QEMU" >/dev/null || die "$QEMU not found: run tests/tools/install-deps.sh lab"

pids=()
cleanup() {
  local p
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  for p in "${pids[@]}"; do wait "$p" 2>/dev/null || true; done
  pids=()
}
trap cleanup EXIT
trap 'echo "lab: interrupted" >&2; exit 130' INT TERM

# Prefixes every console line with the seconds since T0 (microseconds since the epoch).
stamp() {
  local t0=$1 line el
  while IFS= read -r line || [ -n "$line" ]; do
    el=$(( ${EPOCHREALTIME/./} - t0 ))
    printf '[%4d.%03d] %s\n' $((el / 1000000)) $(( (el / 1000) % 1000 )) "${line%$'\r'}"
  done
}

port_in_use() { [ -n "$(ss -Hltn "sport = :$1" 2>/dev/null)" ]; }
free_port() {
  local p i
  for i in $(seq 1 50); do
    p=$(( 20000 + RANDOM % 40000 ))
    port_in_use "$p" || { echo "$p"; return 0; }
  done
  die "no free TCP port found on 127.0.0.1"
}

# directive FILE KEY: the value of '#@ KEY value' (empty when absent).
directive() { sed -n "s/^#@ $2 *//p" "$1" | head -1; }

# start_vm LOG ARGS...: starts QEMU in the background; its console goes through stamp.
# LAB_T0 (microseconds since the epoch) sets the time the stamps count from, so that several
# VMs of one scenario share a timeline; by default each log counts from its QEMU's start.
start_vm() {
  local log=$1; shift
  local t0=${LAB_T0:-${EPOCHREALTIME/./}}
  "$QEMU" "$@" </dev/null 2>"${log%.log}.qemu.err" > >(stamp "$t0" > "$log") &
  pids+=($!)
}

run_scenario() {
  local name=$1 file=$lab/scenarios/$1.sh
  [ -f "$file" ] || { echo "lab: no scenario '$name' (have: $(cd "$lab/scenarios" && ls *.sh | sed 's/\.sh$//' | tr '\n' ' '))"; return 1; }
  local vms boot timeout expect cables watchdog allow_fault dir
  vms=$(directive "$file" vms); vms=${vms:-1}
  boot=$(directive "$file" boot); boot=${boot:-pvh}
  timeout=$(directive "$file" timeout); timeout=${timeout:-90}
  expect=$(directive "$file" expect)
  cables=$(directive "$file" cables)
  watchdog=$(directive "$file" watchdog)
  allow_fault=$(directive "$file" allow-fault)
  local mem share
  mem=$(directive "$file" mem); mem=${mem:-$MEM}
  share=$(directive "$file" out)
  local extra=""
  [ "$(directive "$file" daemon)" = off ] && extra=" lab.daemon=off"
  dir=$lab/out/$name
  rm -rf "$dir"; mkdir -p "$dir"
  local host_part; host_part=$(directive "$file" host)
  if [ -n "$host_part" ]; then
    # A scenario with a host part drives its VMs itself (faults through QEMU's monitor, an
    # observer on the host): it is sourced in a subshell, uses this file's helpers (start_vm,
    # stamp, directive) and prints its own PASS/FAIL line.
    local start=$SECONDS
    ( . "$lab/scenarios/$host_part"; host_main "$name" "$dir" "$timeout" )
    local rc=$?
    [ $rc -eq 0 ] || echo "     (${name}: $((SECONDS - start)) s; logs kept in ${dir#$top/}/)"
    return $rc
  fi

  local roles=(a b); roles=("${roles[@]:0:$vms}")
  local hbport serport
  if [ -n "$cables" ]; then hbport=$(free_port); serport=$(free_port); fi
  local start=$SECONDS role args
  for role in "${roles[@]}"; do
    args=(-nodefaults -accel tcg -cpu qemu64 -m "$mem" -display none -no-reboot -name "lab-$name-$role"
          -serial stdio
          -drive "file=$fw/appliance.img,format=raw,if=virtio,snapshot=on")
    if [ "$boot" = pvh ]; then
      args+=(-kernel "$fw/vmlinux" -initrd "$fw/lab-initramfs.cpio"
             -append "console=ttyS0,115200 panic=-1 no_timer_check quiet lab.scenario=$name lab.role=$role$extra"
             -virtfs "local,path=$lab,mount_tag=lab,security_model=none,readonly=on")
      # '#@ out yes': a writable folder for files the scenario hands back (tag "out", the
      # scenario mounts it), kept as tests/lab/out/NAME/share/.
      if [ "$share" = yes ]; then
        mkdir -p "$dir/share"
        args+=(-virtfs "local,path=$dir/share,mount_tag=out,security_model=none")
      fi
    fi
    if [ -n "$cables" ]; then
      # The heartbeat cable (eth0) and the null-modem cable (ttyS1) between VM a and VM b.
      if [ "$role" = a ]; then
        args+=(-netdev "socket,id=hb,listen=127.0.0.1:$hbport"
               -chardev "socket,id=peer,host=127.0.0.1,port=$serport,server=on,wait=off")
      else
        args+=(-netdev "socket,id=hb,connect=127.0.0.1:$hbport"
               -chardev "socket,id=peer,host=127.0.0.1,port=$serport,reconnect=1")
      fi
      local mac=52:54:00:00:00:0a
      [ "$role" = b ] && mac=52:54:00:00:00:0b
      args+=(-device "virtio-net-pci,netdev=hb,mac=$mac" -serial chardev:peer)
    fi
    [ -n "$watchdog" ] && args+=(-device i6300esb -watchdog-action "$watchdog")
    start_vm "$dir/vm-$role.log" "${args[@]}"
    if [ -n "$cables" ] && [ "$role" = a ]; then
      # VM b connects to VM a's sockets: wait until QEMU listens on both.
      local until=$((SECONDS + 15))
      until port_in_use "$hbport" && port_in_use "$serport"; do
        [ $SECONDS -lt $until ] || { echo "FAIL $name: VM a did not listen on 127.0.0.1:$hbport/$serport within 15 s"; cleanup; return 1; }
        kill -0 "${pids[-1]}" 2>/dev/null || { echo "FAIL $name: QEMU for VM a exited: $(cat "$dir/vm-a.qemu.err")"; cleanup; return 1; }
        sleep 0.2
      done
    fi
  done

  # Wait, bounded, for every VM's verdict.
  local deadline=$((SECONDS + timeout)) verdict="" reason="" i log done_all line
  while :; do
    done_all=1
    for i in "${!roles[@]}"; do
      role=${roles[$i]}; log=$dir/vm-$role.log
      # The supervisor's FAULT lines start the console line (after the host's timestamp).
      if [ -z "$allow_fault" ] && grep -q '^\[ *[0-9.]*\] \*\*\* FAULT:' "$log" 2>/dev/null; then
        verdict=FAIL; reason="VM $role: the supervisor reported FAULT: $(grep -m1 '^\[ *[0-9.]*\] \*\*\* FAULT:' "$log" | cut -c12-)"; break 2
      fi
      if [ -n "$expect" ]; then
        grep -qF -- "$expect" "$log" 2>/dev/null || done_all=0
      else
        line=$(grep -m1 "LAB-RESULT role=$role " "$log" 2>/dev/null || true)
        if [ -z "$line" ]; then done_all=0
        elif [[ $line != *"LAB-RESULT role=$role PASS"* ]]; then
          verdict=FAIL; reason="VM $role: ${line#*LAB-RESULT role=$role FAIL }"; break 2
        fi
      fi
      if [ "$done_all" = 0 ] && ! kill -0 "${pids[$i]}" 2>/dev/null; then
        verdict=FAIL; reason="QEMU of VM $role exited before the scenario finished: $(tr '\n' ' ' < "$dir/vm-$role.qemu.err")"; break 2
      fi
    done
    [ "$done_all" = 1 ] && { verdict=PASS; break; }
    if [ $SECONDS -ge $deadline ]; then
      verdict=FAIL
      if [ -n "$expect" ]; then reason="timed out after ${timeout} s waiting for the console line '$expect'"
      else reason="timed out after ${timeout} s waiting for LAB-RESULT from every VM"; fi
      break
    fi
    sleep 0.25
  done
  cleanup
  local took=$((SECONDS - start))
  if [ "$verdict" = PASS ]; then
    echo "PASS $name (${took} s)"
  else
    echo "FAIL $name (${took} s): $reason"
    echo "     console logs kept in ${dir#$top/}/"
    for role in "${roles[@]}"; do
      echo "     --- last lines of vm-$role.log ---"
      tail -n 15 "$dir/vm-$role.log" | sed 's/^/     /'
    done
    return 1
  fi
}

names=("$@")
if [ ${#names[@]} -eq 0 ]; then
  # Runner scenarios declare themselves with '#@' option lines or a scenario_main; other
  # scripts in scenarios/ (the IPVS and sync suites' own drivers) are started by their make targets.
  # '#@ default no' keeps a scenario out of this list (benchmarks, captures): it runs only by
  # name, from its own make target.
  for f in $(cd "$lab/scenarios" && grep -l -E '^#@|^scenario_main' *.sh); do
    [ "$(directive "$lab/scenarios/$f" default)" = no ] || names+=("${f%.sh}")
  done
fi
passed=0 failed=0
for n in "${names[@]}"; do
  if run_scenario "$n"; then passed=$((passed + 1)); else failed=$((failed + 1)); fi
done
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
