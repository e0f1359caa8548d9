#!/usr/bin/env bash
# Assembles the appliance image from Debian 12 packages fetched by name (nothing is
# installed on the host) plus the rootfs/ overlay and out/bin/appliance.
#
# Outputs in firmware/out/:
#   vmlinuz              the kernel linux-image-amd64 points at (bzImage)
#   vmlinux              the same kernel uncompressed, for QEMU's fast PVH boot
#   initramfs.cpio       product root file system, uncompressed (lab fast boot)
#   initramfs.gz         the same, compressed: what the boot partition carries
#   lab-initramfs.cpio   initramfs.cpio + lab tools appended (a second cpio archive)
#   boot.vfat            the FAT boot partition (label APPLBOOT)
#   appliance.img        MBR disk image: syslinux MBR + the boot partition
#   sizes.txt            sizes for docs/benchmarks.md
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/.." && pwd)
out=$here/out
bin=${APPLIANCE_BIN:-$top/out/bin/appliance}
fetch=$here/fetch.sh
BOOT_MIB=64            # boot partition size; room for a second kernel + initramfs
PART_START=2048        # first partition at 1 MiB, the usual alignment

die() { echo "build-image: $*" >&2; exit 1; }
note() { echo "build-image: $*"; }

[ -x "$bin" ] || die "no appliance binary at $bin (run 'make' first)"
command -v cpio >/dev/null && command -v mkfs.fat >/dev/null && command -v mcopy >/dev/null &&
  command -v syslinux >/dev/null && command -v sfdisk >/dev/null ||
  die "host tools missing: run tests/tools/install-deps.sh lab"

# --- packages ---------------------------------------------------------------------------
"$fetch" busybox-static >/dev/null   # runs apt-get update when the lists are empty
kpkg=$(apt-cache depends linux-image-amd64 | awk '/Depends: linux-image-[0-9]/ {print $2; exit}')
[ -n "$kpkg" ] || die "cannot resolve the kernel package linux-image-amd64 depends on"
kver=${kpkg#linux-image-}
note "kernel package $kpkg"
kroot=$("$fetch" "$kpkg")
bbroot=$("$fetch" busybox-static)
libcroot=$("$fetch" libc6)
slroot=$("$fetch" syslinux-common)
kmod=$kroot/lib/modules/$kver
[ -f "$kroot/boot/vmlinuz-$kver" ] || die "$kpkg has no /boot/vmlinuz-$kver"

# The package ships no modules.dep; busybox depmod writes one (once per kernel).
if [ ! -f "$kmod/modules.dep" ]; then
  note "generating modules.dep for $kver"
  busybox depmod -b "$kroot" "$kver"
fi

rm -rf "$out/rootfs" "$out/labroot"
mkdir -p "$out"

# --- modules ---------------------------------------------------------------------------
# Lists the .ko paths (relative to lib/modules/VER) a module needs, itself included.
module_closure() {
  local mod=$1 alt path
  alt=$(echo "$mod" | tr _ -)
  path=$(grep -E "(^|/)($mod|$alt)\.ko:" "$kmod/modules.dep" | head -1 | cut -d: -f1) || true
  if [ -z "$path" ]; then
    if grep -qE "/($mod|$alt)\.ko$" "$kmod/modules.builtin"; then return 0; fi
    die "module $mod (firmware/modules.list) is neither a .ko of $kpkg nor built in"
  fi
  echo "$path"
  grep -E "^$path:" "$kmod/modules.dep" | cut -d: -f2- | tr ' ' '\n' | sed '/^$/d'
}
# Writes ROOT's module files and load list for the given groups.
install_modules() {
  local root=$1 loadfile=$2; shift 2
  local groups=" $* " mod sym group
  mkdir -p "$root/lib/modules/$kver" "$(dirname "$root$loadfile")"
  : > "$root$loadfile"
  while read -r mod sym group; do
    case "$mod" in ''|'#'*) continue ;; esac
    [[ $groups == *" $group "* ]] || continue
    echo "$mod $group" >> "$root$loadfile"
    for ko in $(module_closure "$mod"); do
      mkdir -p "$root/lib/modules/$kver/$(dirname "$ko")"
      cp "$kmod/$ko" "$root/lib/modules/$kver/$ko"
    done
  done < "$here/modules.list"
}

# --- product root ------------------------------------------------------------------------
root=$out/rootfs
mkdir -p "$root"/{bin,sbin,usr/bin,usr/sbin,proc,sys,dev,run,tmp,boot,root,etc/appliance,lib/appliance/init.d,lib64}
# The overlay, as committed (tar keeps modes and symlinks).
tar -C "$top/rootfs" -cf - . | tar -C "$root" -xf -
if [ ! -f "$top/rootfs/etc/appliance/factory.ini" ]; then
  # The factory default is written by the configuration work; until it is committed the
  # image carries a placeholder that exists only in this build output.
  note "WARNING: rootfs/etc/appliance/factory.ini is not committed yet; using a placeholder"
  cat > "$out/factory.ini.placeholder" <<'INI'
; PLACEHOLDER written by firmware/build-image.sh: rootfs/etc/appliance/factory.ini is
; not committed yet. This is not the appliance's factory default.
INI
  cp "$out/factory.ini.placeholder" "$root/etc/appliance/factory.ini"
fi

cp "$bbroot/bin/busybox" "$root/bin/busybox"
for applet in $("$root/bin/busybox" --list-full); do
  [ -e "$root/$applet" ] || [ -L "$root/$applet" ] || ln -s /bin/busybox "$root/$applet"
done

install -m 0755 "$bin" "$root/usr/bin/appliance"
strip --strip-unneeded "$root/usr/bin/appliance" 2>/dev/null || true

# Copies an ELF file's NEEDED libraries (transitively) from the unpacked packages under
# the given search roots into ROOT, at the path the package has them.
declare -A seen_elf=()
copy_libs() {
  local root=$1 file=$2; shift 2
  [ -z "${seen_elf[$root:$file]+x}" ] || return 0
  seen_elf[$root:$file]=1
  local lib found sr
  for lib in $(readelf -d "$file" 2>/dev/null | sed -n 's/.*(NEEDED).*\[\(.*\)\]/\1/p'); do
    if [ -e "$root/lib/x86_64-linux-gnu/$lib" ] || [ -e "$root/usr/lib/x86_64-linux-gnu/$lib" ]; then
      continue
    fi
    found=
    for sr in "$@"; do
      for d in lib/x86_64-linux-gnu usr/lib/x86_64-linux-gnu; do
        if [ -e "$sr/$d/$lib" ]; then found=$sr/$d/$lib; mkdir -p "$root/$d"; cp -L "$found" "$root/$d/$lib"; break 2; fi
      done
    done
    [ -n "$found" ] || die "$(basename "$file") needs $lib, which no fetched package provides (add its package to firmware/lab-packages.list)"
    copy_libs "$root" "$found" "$@"
  done
}
copy_libs "$root" "$root/usr/bin/appliance" "$libcroot"
# The .NET runtime loads OpenSSL with dlopen (no NEEDED entry) for TLS (SSL_GET checks) and
# MD5 (HTTP_GET digest). Without it such a check aborts the whole process instead of failing,
# so the product image ships libssl3.
sslroot=$("$fetch" libssl3)
for lib in libssl.so.3 libcrypto.so.3; do
  mkdir -p "$root/usr/lib/x86_64-linux-gnu"
  cp -L "$sslroot/usr/lib/x86_64-linux-gnu/$lib" "$root/usr/lib/x86_64-linux-gnu/$lib"
  copy_libs "$root" "$root/usr/lib/x86_64-linux-gnu/$lib" "$libcroot" "$sslroot"
done
# The program interpreter the binary names (/lib64/ld-linux-x86-64.so.2).
mkdir -p "$root/lib/x86_64-linux-gnu"
cp -L "$libcroot/lib/x86_64-linux-gnu/ld-linux-x86-64.so.2" "$root/lib/x86_64-linux-gnu/"
ln -sf /lib/x86_64-linux-gnu/ld-linux-x86-64.so.2 "$root/lib64/ld-linux-x86-64.so.2"
strip --strip-unneeded "$root"/lib/x86_64-linux-gnu/*.so* 2>/dev/null || true

install_modules "$root" /etc/appliance/modules.load product fallback
cp "$kmod/modules.builtin" "$kmod/modules.order" "$root/lib/modules/$kver/"
busybox depmod -b "$root" "$kver"

commit=$(git -C "$top" describe --always --dirty 2>/dev/null || echo unknown)
echo "$commit (kernel $kver, busybox $(cut -d' ' -f2 "$bbroot/.unpacked"), glibc $(cut -d' ' -f2 "$libcroot/.unpacked"))" > "$root/etc/appliance/release"

# Deterministic archive: sorted names, owner root.
make_cpio() { (cd "$1" && find . -mindepth 1 | LC_ALL=C sort | cpio -o -H newc -R 0:0 --quiet) > "$2"; }
make_cpio "$root" "$out/initramfs.cpio"
gzip -9 -n -c "$out/initramfs.cpio" > "$out/initramfs.gz"

# --- lab additions -------------------------------------------------------------------------
# Test tools from Debian packages, appended as a second cpio archive (the kernel unpacks
# concatenated archives in order, later files replacing earlier ones).
lab=$out/labroot
mkdir -p "$lab/lib/appliance/init.d" "$lab/etc/appliance"
mapfile -t labroots < <("$fetch" $(grep -v -e "^#" -e "^$" "$here/lab-packages.list" | sort -u))
while read -r path pkg; do
  case "$path" in ''|'#'*) continue ;; esac
  src=${FIRMWARE_CACHE:-$here/cache}/pkgs/$pkg/$path
  [ -f "$src" ] || die "lab tool $path is not in package $pkg"
  mkdir -p "$lab/$(dirname "$path")"
  cp "$src" "$lab/$path"
done < "$here/lab-tools.list"
# Libraries: the product's are already in the product archive, so search it first.
for f in $(find "$lab" -type f -perm -u+x ! -name "*.so*"); do
  copy_libs "$lab" "$f" "$root" "$libcroot" "${labroots[@]}"
done
# Drop libraries the product archive already has.
for f in $(cd "$lab" && find lib usr/lib -name '*.so*' 2>/dev/null); do
  [ -e "$root/$f" ] && rm -f "$lab/$f"
done
strip --strip-unneeded $(find "$lab" -type f -name '*.so*') 2>/dev/null || true
cp "$here/lab/50-lab.sh" "$lab/lib/appliance/init.d/50-lab.sh"
# The lab's modules; modules.dep is regenerated over product + lab modules and replaces
# the product's one when the lab archive is unpacked over it.
install_modules "$lab" /etc/appliance/modules.lab.load lab
mkdir -p "$out/depmod/lib/modules"
rm -rf "$out/depmod/lib/modules/$kver"
cp -r "$root/lib/modules/$kver" "$out/depmod/lib/modules/"
cp -r "$lab/lib/modules/$kver/." "$out/depmod/lib/modules/$kver/"
busybox depmod -b "$out/depmod" "$kver"
cp "$out/depmod/lib/modules/$kver"/modules.{dep,alias,symbols} "$lab/lib/modules/$kver/" 2>/dev/null ||
  cp "$out/depmod/lib/modules/$kver/modules.dep" "$lab/lib/modules/$kver/"
rm -rf "$out/depmod"
make_cpio "$lab" "$out/lab.cpio"
cat "$out/initramfs.cpio" "$out/lab.cpio" > "$out/lab-initramfs.cpio"

# --- kernel --------------------------------------------------------------------------------
cp "$kroot/boot/vmlinuz-$kver" "$out/vmlinuz"
# The bzImage carries the kernel ELF compressed; PVH boot wants the ELF itself. Find the
# compressed stream by its magic and unpack it (trailing bytes after it are ignored).
extract_vmlinux() {
  local img=$1 dst=$2 magic tool off
  for pair in 'fd377a585a00:xz -dc --single-stream' '28b52ffd:zstd -dc' '1f8b0800:gzip -dc'; do
    magic=${pair%%:*}; tool=${pair#*:}
    command -v "${tool%% *}" >/dev/null || continue
    for off in $(od -An -v -tx1 -w1 "$img" | tr -d ' \n' | grep -ob "$magic" | cut -d: -f1); do
      [ $((off % 2)) -eq 0 ] || continue
      tail -c +$((off / 2 + 1)) "$img" | $tool > "$dst" 2>/dev/null || true
      if [ "$(head -c 4 "$dst" | od -An -tx1 | tr -d ' ')" = 7f454c46 ]; then return 0; fi
    done
  done
  return 1
}
if [ ! -f "$out/vmlinux" ] || [ "$out/vmlinuz" -nt "$out/vmlinux" ] || ! cmp -s "$out/vmlinux.src" <(echo "$kpkg"); then
  extract_vmlinux "$out/vmlinuz" "$out/vmlinux" || die "could not extract the ELF kernel from $kpkg's bzImage"
  echo "$kpkg" > "$out/vmlinux.src"
fi

# --- boot partition and disk image -------------------------------------------------------
ini=$top/rootfs/etc/appliance/factory.ini
[ -f "$ini" ] || ini=$out/factory.ini.placeholder
rm -f "$out/boot.vfat"
mkfs.fat -C -n APPLBOOT -i 41504c42 "$out/boot.vfat" $((BOOT_MIB * 1024)) >/dev/null
sed "s/@KVER@/$kver/" "$here/syslinux.cfg" > "$out/syslinux.cfg"
export MTOOLS_SKIP_CHECK=1
mcopy -i "$out/boot.vfat" "$out/vmlinuz" ::/vmlinuz
mcopy -i "$out/boot.vfat" "$out/initramfs.gz" ::/initramfs.gz
mcopy -i "$out/boot.vfat" "$out/syslinux.cfg" ::/syslinux.cfg
mcopy -i "$out/boot.vfat" "$ini" ::/appliance.ini
syslinux --install "$out/boot.vfat"   # writes ldlinux.sys/ldlinux.c32 and the boot sector

img=$out/appliance.img
rm -f "$img"
truncate -s $(( (PART_START * 512) + BOOT_MIB * 1024 * 1024 )) "$img"
dd if="$slroot/usr/lib/syslinux/mbr/mbr.bin" of="$img" bs=440 count=1 conv=notrunc status=none
# One primary partition, type 0x0e (FAT16, LBA), active: mbr.bin boots the active one.
echo "start=$PART_START, size=$((BOOT_MIB * 2048)), type=e, bootable" | sfdisk -q --no-reread --label dos "$img"
dd if="$out/boot.vfat" of="$img" bs=512 seek=$PART_START conv=notrunc,sparse status=none

# --- sizes -------------------------------------------------------------------------------
size() { stat -c %s "$1"; }
gz=$(size "$out/initramfs.gz")
{
  echo "kernel_package $kpkg"
  echo "vmlinuz_bytes $(size "$out/vmlinuz")"
  echo "initramfs_cpio_bytes $(size "$out/initramfs.cpio")"
  echo "initramfs_gz_bytes $gz"
  echo "lab_cpio_bytes $(size "$out/lab.cpio")"
  echo "appliance_img_bytes $(size "$img")"
  echo "appliance_img_used_bytes $(du -B1 "$img" | cut -f1)"
} > "$out/sizes.txt"
cat "$out/sizes.txt"
budget=$((16 * 1024 * 1024))
[ "$gz" -le "$budget" ] || die "product initramfs is $gz bytes compressed, over the 16 MiB budget"
note "done: $img"
