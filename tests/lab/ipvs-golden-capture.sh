#!/usr/bin/env bash
# Host: builds the nlmon capture tool, runs the golden capture scenario in the QEMU lab
# (tests/lab/scenarios/ipvs-golden-capture.sh) and replaces
# tests/Appliance.Tests/Ipvs/Golden/ with what it captured. Needs the firmware image.
set -euo pipefail
repo=$(cd "$(dirname "$0")/../.." && pwd)
golden=$repo/tests/Appliance.Tests/Ipvs/Golden
share=$repo/tests/lab/out/ipvs-golden-capture/share
mkdir -p "$repo/tests/lab/cache"
gcc -O2 -static -Wall -Werror -o "$repo/tests/lab/cache/nlcap" "$repo/tests/lab/tools/nlcap.c"
"$repo/tests/lab/lab.sh" ipvs-golden-capture
[ -s "$share/flush.nlmon" ] || { echo "ipvs-golden-capture: the guest handed back no capture in $share" >&2; exit 1; }
rm -f "$golden"/*.nlmon "$golden"/*.cmd "$golden"/*.stdout
cp "$share"/* "$golden/"
echo "golden files replaced from $share ($(ls "$share" | wc -l) files); check 'git diff --stat $golden'"
