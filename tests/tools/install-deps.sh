#!/usr/bin/env bash
# Installs the Debian packages a part of the build or test needs, only when missing.
# Usage: install-deps.sh GROUP...   (groups: build host lab)
set -euo pipefail
declare -A group=(
  [build]="clang lld zlib1g-dev netbase linux-libc-dev"
  [host]="iproute2 socat keepalived hyperfine procps"
  [lab]="qemu-system-x86 busybox-static cpio dosfstools mtools syslinux syslinux-common fdisk binutils xz-utils iproute2 tmux socat ipvsadm"
)
want=()
for g in "$@"; do
  [ -n "${group[$g]+x}" ] || { echo "install-deps: unknown group '$g'" >&2; exit 2; }
  for p in ${group[$g]}; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || want+=("$p")
  done
done
[ ${#want[@]} -eq 0 ] && exit 0
echo "install-deps: installing ${want[*]}"
if [ "$(id -u)" -ne 0 ]; then SUDO=sudo; else SUDO=; fi
$SUDO apt-get update -qq
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${want[@]}" >/dev/null
