#!/usr/bin/env bash
# Buildroot post-build script: writes what firmware/build-image.sh writes into the local
# image's root, from the same sources, so that both images load the same modules.
# Arguments: TARGET_DIR (Buildroot's convention).
set -euo pipefail
target=$1
repo=$BR2_EXTERNAL_APPLIANCE_PATH/..
list=$repo/firmware/modules.list

[ -f "$target/etc/appliance/factory.ini" ] || { echo "post-build: rootfs/etc/appliance/factory.ini is missing" >&2; exit 1; }
mkdir -p "$target/etc/appliance" "$target/lib/appliance/init.d"
# The product's modules in load order (groups product and fallback), as /init expects.
awk '!/^#/ && NF >= 3 && ($3 == "product" || $3 == "fallback") {print $1, $3}' "$list" \
  > "$target/etc/appliance/modules.load"
echo "$(git -C "$repo" describe --always --dirty 2>/dev/null || echo unknown) (Buildroot)" \
  > "$target/etc/appliance/release"
# Buildroot's /init for initramfs images is not used: the overlay's /init is.
test -x "$target/init"
