#!/usr/bin/env bash
# Buildroot post-image script: the flashable disk image appliance.img with the layout of
# board/genimage.cfg, then syslinux into the FAT partition and syslinux's MBR code.
# Arguments: BINARIES_DIR (Buildroot's convention).
set -euo pipefail
images=$1
board=$BR2_EXTERNAL_APPLIANCE_PATH
repo=$board/..
PART_OFFSET=1048576   # genimage.cfg: offset = 1M

sed "s/@KVER@/buildroot/" "$repo/firmware/syslinux.cfg" > "$images/syslinux.cfg"
cp "$TARGET_DIR/etc/appliance/factory.ini" "$images/appliance.ini"

tmp=$BUILD_DIR/genimage.tmp
rm -rf "$tmp"
genimage --rootpath "$TARGET_DIR" --tmppath "$tmp" --inputpath "$images" \
  --outputpath "$images" --config "$board/genimage.cfg"

# syslinux's mtools installer writes ldlinux.sys/ldlinux.c32 and the partition's boot
# sector; it needs `syslinux` on the build host (Debian: syslinux, mtools).
syslinux --install --offset "$PART_OFFSET" "$images/appliance.img"
dd if="$images/syslinux/mbr.bin" of="$images/appliance.img" bs=440 count=1 conv=notrunc status=none
echo "post-image: $images/appliance.img"
