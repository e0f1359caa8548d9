#!/usr/bin/env bash
# Minimal QEMU lab for the IPVS scenarios: Debian's kernel (real IPVS), a busybox initramfs
# with ipvsadm, iproute2 and socat from Debian, the worktree shared read-write over 9p.
# Stand-in until the `lab` branch's runner is merged (then scenarios move onto its topology).
#
#   tests/lab/scenarios/ipvs-lab.sh GUEST_SCRIPT [ARGS...]
#
# GUEST_SCRIPT is a path relative to the repository; it runs as root in the guest with the
# repository at /host and its exit code becomes this script's exit code. Nothing leaves the
# guest except over the 9p share and the serial console (QEMU runs with -nodefaults and no NIC).
set -euo pipefail
repo=$(cd "$(dirname "$0")/../../.." && pwd)
cache=$repo/tests/lab/cache
kver=6.1.0-56-amd64
kpkg=linux-image-$kver
timeout_s=${LAB_TIMEOUT:-900}

fetch_kernel() {
  [ -d "$cache/kroot/lib/modules/$kver" ] && return
  mkdir -p "$cache"
  (cd "$cache" && apt-get download "$kpkg" >/dev/null 2>&1 && dpkg -x "$kpkg"_*.deb kroot)
}

copy_with_libs() { # copy_with_libs ROOT BINARY...
  local root=$1; shift
  for bin in "$@"; do
    install -D -m 755 "$bin" "$root$bin"
    ldd "$bin" 2>/dev/null | awk '/=> \//{print $3} /^\t\/lib/{print $1}' | while read -r lib; do
      [ -e "$root$lib" ] || install -D -m 644 "$lib" "$root$lib"
    done
  done
}

build_initramfs() {
  local out=$cache/ipvs-initramfs.cpio stamp=$cache/ipvs-initramfs.stamp
  local want="v3 $(sha1sum "$0" | cut -c1-12)"
  [ -f "$out" ] && [ "$(cat "$stamp" 2>/dev/null)" = "$want" ] && return
  local root; root=$(mktemp -d)
  mkdir -p "$root"/{bin,sbin,proc,sys,dev,tmp,run,host,etc,lib64,var/run}
  cp /usr/bin/busybox "$root/bin/busybox"
  copy_with_libs "$root" /usr/sbin/ipvsadm /usr/bin/socat /usr/sbin/ip
  # Libraries of the NativeAOT appliance binary (glibc's libc, libm, ld-linux; it runs from 9p).
  for lib in /lib/x86_64-linux-gnu/libm.so.6 /lib/x86_64-linux-gnu/libc.so.6 /lib/x86_64-linux-gnu/libgcc_s.so.1; do
    [ -e "$lib" ] && install -D -m 644 "$lib" "$root$lib"
  done
  cp -L /lib64/ld-linux-x86-64.so.2 "$root/lib64/"; chmod 755 "$root"/lib64/ld-linux-x86-64.so.2
  local m=$cache/kroot/lib/modules/$kver
  local d=$root/lib/modules/$kver
  mkdir -p "$d/kernel"
  (cd "$m" && cp -r --parents kernel/net kernel/drivers/net/veth.ko kernel/drivers/net/nlmon.ko \
      kernel/drivers/net/dummy.ko kernel/drivers/virtio kernel/fs/9p kernel/fs/netfs kernel/fs/fscache \
      kernel/crypto/crc32c_generic.ko kernel/lib/libcrc32c.ko "$d/" 2>/dev/null || true)
  cp "$m"/modules.builtin* "$d/" 2>/dev/null || true
  /usr/bin/busybox depmod -b "$root" "$kver"
  cat > "$root/init" <<'INIT'
#!/bin/busybox sh
/bin/busybox --install -s /bin
export PATH=/sbin:/usr/sbin:/bin:/usr/bin
mount -t proc proc /proc; mount -t sysfs sys /sys; mount -t devtmpfs dev /dev
mount -t tmpfs tmp /tmp; mount -t tmpfs run /run
ln -sf /bin/busybox /sbin/modprobe
for mod in virtio_pci 9pnet_virtio 9p crc32c_generic libcrc32c; do modprobe $mod; done
mount -t 9p -o trans=virtio,version=9p2000.L,msize=262144 host0 /host
ip link set lo up
script=$(sed -n 's/.*lab_script=\([^ ]*\).*/\1/p' /proc/cmdline)
args=$(sed -n 's/.*lab_args=\([^ ]*\).*/\1/p' /proc/cmdline | tr ',' ' ')
cd /host
echo "LAB-START $script $args"
sh "/host/$script" $args
echo "LAB-EXIT $?"
sync
poweroff -f
INIT
  chmod 755 "$root/init"
  (cd "$root" && find . | cpio -o -H newc --quiet) > "$out"
  echo "$want" > "$stamp"
  rm -rf "$root"
}

fetch_kernel
build_initramfs
script=$1; shift
args=$(IFS=,; echo "$*")
log=$(mktemp)
# TCG only (no usable KVM here); no NIC at all: -nodefaults and no -netdev.
timeout "$timeout_s" qemu-system-x86_64 -nodefaults -accel tcg -cpu qemu64 -m 1024 -nographic \
  -kernel "$cache/kroot/boot/vmlinuz-$kver" -initrd "$cache/ipvs-initramfs.cpio" \
  -append "console=ttyS0 quiet panic=-1 lab_script=$script lab_args=$args" \
  -serial stdio -no-reboot \
  -virtfs local,path="$repo",mount_tag=host0,security_model=none \
  | tee "$log" | sed -n '/LAB-START/,/LAB-EXIT/p'
rc=$(sed -n 's/.*LAB-EXIT \([0-9]*\).*/\1/p' "$log" | tail -1)
rm -f "$log"
[ -n "$rc" ] || { echo "ipvs-lab: the guest did not finish $script" >&2; exit 1; }
exit "$rc"
