#!/usr/bin/env bash
# Boot-to-daemon time under TCG: seconds from QEMU's start to the console line
# `loaded configuration from /boot/appliance.ini`, for the product image only (no lab
# archive), median of N runs per boot path:
#   pvh   vmlinux via PVH + initramfs.cpio (uncompressed), appliance.img as the disk
#   disk  appliance.img alone: SeaBIOS -> mbr.bin -> syslinux -> vmlinuz + initramfs.gz
# Usage: bench-boot.sh [RUNS_PVH [RUNS_DISK]]   (defaults 5 and 3)
set -euo pipefail
lab=$(cd "$(dirname "$0")" && pwd)
fw=$lab/../../firmware/out
runs_pvh=${1:-5} runs_disk=${2:-3}
LINE='loaded configuration from /boot/appliance.ini'
dir=$lab/out/bench-boot
mkdir -p "$dir"

one() {
  local mode=$1 log=$dir/$1-$2.log args t0 pid el=
  rm -f "$log.pid"
  args=(-nodefaults -accel tcg -cpu qemu64 -m 512 -display none -no-reboot -serial stdio -pidfile "$log.pid"
        -drive "file=$fw/appliance.img,format=raw,if=virtio,snapshot=on")
  [ "$mode" = pvh ] && args+=(-kernel "$fw/vmlinux" -initrd "$fw/initramfs.cpio"
                              -append "console=ttyS0,115200 panic=-1 no_timer_check quiet")
  t0=${EPOCHREALTIME/./}
  qemu-system-x86_64 "${args[@]}" </dev/null 2>/dev/null | while IFS= read -r l; do
    case "$l" in *"$LINE"*)
      # Wall clock, and QEMU's CPU time (utime + stime in clock ticks): on a shared host
      # the CPU time is the figure that does not depend on the other jobs.
      now=${EPOCHREALTIME/./}
      cpu=$(awk '{print $14 + $15}' "/proc/$(cat "$log.pid")/stat")
      echo "$(( now - t0 )) $cpu" > "$log.t"; break ;; esac
  done &
  pid=$!
  local until=$((SECONDS + 120))
  until [ -s "$log.t" ] || [ $SECONDS -ge $until ]; do sleep 0.1; done
  [ -s "$log.pid" ] && kill "$(cat "$log.pid")" 2>/dev/null || true
  kill "$pid" 2>/dev/null || true
  wait "$pid" 2>/dev/null || true
  [ -s "$log.t" ] || { echo "bench-boot: $mode run $2: no '$LINE' within 120 s" >&2; return 1; }
  read -r el cpu < "$log.t"; rm -f "$log.t"
  printf '%d.%03d %s\n' $((el / 1000000)) $(( (el / 1000) % 1000 )) "$(awk -v t="$cpu" -v hz="$(getconf CLK_TCK)" 'BEGIN {printf "%.2f", t / hz}')"
}

median() { sort -n | awk '{a[NR]=$1} END {print (NR % 2) ? a[(NR+1)/2] : (a[NR/2] + a[NR/2+1]) / 2}'; }

for mode in pvh disk; do
  n=$runs_pvh; [ "$mode" = disk ] && n=$runs_disk
  : > "$dir/$mode.times"
  for i in $(seq 1 "$n"); do one "$mode" "$i" >> "$dir/$mode.times"; done
  echo "$mode: wall s: $(cut -d' ' -f1 "$dir/$mode.times" | tr '\n' ' ')-> median $(cut -d' ' -f1 "$dir/$mode.times" | median) s;" \
       "QEMU CPU s: $(cut -d' ' -f2 "$dir/$mode.times" | tr '\n' ' ')-> median $(cut -d' ' -f2 "$dir/$mode.times" | median) s"
done
