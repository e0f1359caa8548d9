#!/usr/bin/env bash
# Consistency of the Buildroot external tree (board/), which cannot be built here:
# every file it references exists, its disk layout is the local image's, and its kernel
# fragment enables every module the local image loads (firmware/modules.list, the list
# build-image.sh and /init use). Run by `make test` (target board-check).
set -uo pipefail
top=$(cd "$(dirname "$0")/../.." && pwd)
board=$top/board
pass=0 fail=0
ok()  { pass=$((pass + 1)); echo "ok   $*"; }
bad() { fail=$((fail + 1)); echo "FAIL $*"; }
check() { local what=$1; shift; if "$@"; then ok "$what"; else bad "$what"; fi; }

# 1. The files a BR2_EXTERNAL tree must have, and ours.
for f in external.desc Config.in external.mk configs/appliance_x86_64_defconfig linux.fragment \
         genimage.cfg scripts/post-build.sh scripts/post-image.sh package/appliance/Config.in \
         package/appliance/appliance.mk README.md; do
  check "board/$f exists" test -s "$board/$f"
done
name=$(sed -n 's/^name: *//p' "$board/external.desc")
check "external.desc names the tree APPLIANCE" test "$name" = APPLIANCE
others=$(grep -rhoE 'BR2_EXTERNAL_[A-Z0-9_]+_PATH' "$board" | sort -u | grep -v "^BR2_EXTERNAL_${name}_PATH$" || true)
check "every BR2_EXTERNAL_*_PATH is BR2_EXTERNAL_${name}_PATH (others: ${others:-none})" test -z "$others"

# 2. Every path written as $(BR2_EXTERNAL_APPLIANCE_PATH)/X or $BR2_EXTERNAL_APPLIANCE_PATH/X
#    resolves (globs must match at least one file).
while read -r ref; do
  rel=${ref#*PATH}; rel=${rel#)}; rel=${rel#\}}; rel=${rel#/}
  # shellcheck disable=SC2086
  matches=$(cd "$board" && ls -d $rel 2>/dev/null | head -1)
  check "reference \$BR2_EXTERNAL_APPLIANCE_PATH/$rel resolves" test -n "$matches"
done < <(grep -rhoE '\$\(?\{?BR2_EXTERNAL_APPLIANCE_PATH\)?\}?/[][A-Za-z0-9_./*-]+' "$board" | sort -u)
# Repository files the scripts read through $repo.
while read -r ref; do
  rel=${ref#\$repo/}
  check "scripts' reference \$repo/$rel exists" test -e "$top/$rel"
done < <(grep -hoE '\$repo/[A-Za-z0-9_./-]+' "$board"/scripts/*.sh | sort -u)
for s in "$board"/scripts/*.sh; do
  check "$(basename "$s") is executable and parses" bash -c "test -x '$s' && bash -n '$s'"
done

# 3. The defconfig builds the product the local image is.
defc=$board/configs/appliance_x86_64_defconfig
check "defconfig selects the glibc toolchain" grep -qx 'BR2_TOOLCHAIN_BUILDROOT_GLIBC=y' "$defc"
overlay=$(sed -n 's/^BR2_ROOTFS_OVERLAY="\$(BR2_EXTERNAL_APPLIANCE_PATH)\/\(.*\)"$/\1/p' "$defc")
check "defconfig's overlay is the repository's rootfs/" test "$(cd "$board/$overlay" 2>/dev/null && pwd)" = "$top/rootfs"
check "defconfig selects the appliance package" grep -qx 'BR2_PACKAGE_APPLIANCE=y' "$defc"
check "package/appliance/Config.in defines BR2_PACKAGE_APPLIANCE" grep -q '^config BR2_PACKAGE_APPLIANCE$' "$board/package/appliance/Config.in"
check "appliance.mk installs the prebuilt binary with the local site method" \
  bash -c "grep -q '^APPLIANCE_SITE_METHOD = local' '$board/package/appliance/appliance.mk' && grep -q 'TARGET_DIR)/usr/bin/appliance' '$board/package/appliance/appliance.mk'"
check "the local image installs the binary at the same path" grep -q '"\$root/usr/bin/appliance"' "$top/firmware/build-image.sh"

# 4. genimage's inputs are produced by Buildroot or by post-image.sh.
while read -r input; do
  case "$input" in
    bzImage|rootfs.cpio.gz) ok "genimage input $input is a Buildroot output" ;;
    boot.vfat) check "genimage input boot.vfat is an image of genimage.cfg" grep -q '^image boot.vfat' "$board/genimage.cfg" ;;
    *) check "genimage input $input is written by post-image.sh" grep -q "\"\$images/$input\"" "$board/scripts/post-image.sh" ;;
  esac
done < <(sed -n 's/.*image = "\([^"]*\)".*/\1/p' "$board/genimage.cfg")
check "syslinux.cfg of both images boots /vmlinuz and /initramfs.gz" \
  bash -c "grep -q 'KERNEL /vmlinuz' '$top/firmware/syslinux.cfg' && grep -q 'INITRD /initramfs.gz' '$top/firmware/syslinux.cfg' && grep -q 'file vmlinuz' '$board/genimage.cfg' && grep -q 'file initramfs.gz' '$board/genimage.cfg'"

# 5. Same disk layout as firmware/build-image.sh (and the built image, when there is one).
bi=$top/firmware/build-image.sh
part_start=$(sed -n 's/^PART_START=\([0-9]*\).*/\1/p' "$bi")
boot_mib=$(sed -n 's/^BOOT_MIB=\([0-9]*\).*/\1/p' "$bi")
check "partition offset: genimage 1M = build-image PART_START $part_start sectors" \
  bash -c "grep -q 'offset = 1M' '$board/genimage.cfg' && [ $((part_start * 512)) -eq 1048576 ] && grep -q '^PART_OFFSET=1048576' '$board/scripts/post-image.sh'"
check "partition size: genimage 64M = build-image BOOT_MIB $boot_mib" \
  bash -c "[ \$(grep -c 'size = ${boot_mib}M' '$board/genimage.cfg') -eq 2 ]"
check "partition type 0x0E and active in both" \
  bash -c "grep -q 'partition-type = 0xE' '$board/genimage.cfg' && grep -q 'bootable = \"true\"' '$board/genimage.cfg' && grep -q 'type=e, bootable' '$bi'"
check "FAT label APPLBOOT in genimage, build-image and /init" \
  bash -c "grep -q 'label = \"APPLBOOT\"' '$board/genimage.cfg' && grep -q -- '-n APPLBOOT' '$bi' && grep -q 'LABEL=APPLBOOT' '$top/rootfs/init'"
img=$top/firmware/out/appliance.img
if [ -f "$img" ]; then
  dump=$(sfdisk -d "$img" 2>/dev/null)
  check "built appliance.img: one active type-e partition at sector $part_start of $((boot_mib * 2048)) sectors" \
    grep -qE "start= *$part_start, size= *$((boot_mib * 2048)), type=e, bootable" <<<"$dump"
  label=$(MTOOLS_SKIP_CHECK=1 mlabel -i "$img@@$((part_start * 512))" -s :: 2>/dev/null)
  check "built appliance.img: partition label is APPLBOOT ($label)" grep -q APPLBOOT <<<"$label"
fi

# 6. The kernel fragment enables every module the local image loads.
frag=$board/linux.fragment
kcache=$(ls -d "$top"/firmware/cache/pkgs/linux-image-[0-9]* 2>/dev/null | head -1)
while read -r mod sym group; do
  case "$mod" in ''|'#'*) continue ;; esac
  check "fragment enables $sym for module $mod ($group)" grep -qE "^$sym=(y|m)$" "$frag"
  # The module-to-symbol table, checked against Debian's kernel when it is cached: the
  # symbol is =m exactly when the module is a .ko, =y exactly when it is built in.
  if [ -n "$kcache" ]; then
    kver=${kcache##*/linux-image-}
    kdir=$kcache/lib/modules/$kver
    alt=$(echo "$mod" | tr _ -)
    val=$(sed -n "s/^$sym=//p" "$kcache/boot/config-$kver")
    if find "$kdir/kernel" -name "$mod.ko" -o -name "$alt.ko" | grep -q .; then
      check "Debian $kver builds $mod as a module and has $sym=m" test "$val" = m
    elif grep -qE "/($mod|$alt)\.ko$" "$kdir/modules.builtin"; then
      check "Debian $kver builds $mod in and has $sym=y" test "$val" = y
    else
      bad "module $mod is neither a .ko nor built in in Debian $kver"
    fi
  fi
done < "$top/firmware/modules.list"
[ -n "$kcache" ] || echo "note: no Debian kernel in firmware/cache; module names not cross-checked (run make image)"

echo "board-check: $pass checks passed, $fail failed"
[ "$fail" -eq 0 ]
