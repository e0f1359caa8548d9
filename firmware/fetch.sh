#!/usr/bin/env bash
# Fetches Debian packages by name into firmware/cache/ without installing them:
# `apt-get download` into cache/debs, `dpkg -x` into cache/pkgs/NAME. Prints each
# package's unpacked root, one a line. Usage: fetch.sh PACKAGE...
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
cache=${FIRMWARE_CACHE:-$here/cache}
mkdir -p "$cache/debs" "$cache/pkgs"

# apt-cache knows nothing until the lists were fetched once on this machine.
ensure_lists() {
  local p; p=$(apt-cache policy busybox-static 2>/dev/null || true)
  if ! grep -q "Candidate: [0-9]" <<<"$p"; then
    echo "fetch: apt lists are empty; running apt-get update" >&2
    apt-get update -qq
  fi
}

ensure_lists
for pkg in "$@"; do
  root="$cache/pkgs/$pkg"
  if [ ! -f "$root/.unpacked" ]; then
    ver=$(apt-cache policy "$pkg" | awk '/Candidate:/ {print $2}')
    [ -n "$ver" ] && [ "$ver" != "(none)" ] || { echo "fetch: Debian has no candidate for package '$pkg'" >&2; exit 1; }
    # apt-get download writes into the current directory, named NAME_VERSION_ARCH.deb
    # with the epoch's ':' escaped as %3a.
    ( cd "$cache/debs" && apt-get download -qq -o APT::Sandbox::User=root "$pkg=$ver" ) ||
      { echo "fetch: downloading $pkg=$ver failed" >&2; exit 1; }
    deb=$(ls -t "$cache/debs/${pkg}_"*.deb | head -1)
    rm -rf "$root"; mkdir -p "$root"
    dpkg -x "$deb" "$root"
    echo "$pkg $ver $(basename "$deb")" > "$root/.unpacked"
  fi
  echo "$root"
done
