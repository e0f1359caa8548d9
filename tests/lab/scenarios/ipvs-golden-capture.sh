#!/usr/bin/env bash
# Host: builds the nlmon capture tool and runs the golden capture in the QEMU lab.
set -euo pipefail
repo=$(cd "$(dirname "$0")/../../.." && pwd)
mkdir -p "$repo/tests/lab/cache"
gcc -O2 -static -Wall -Werror -o "$repo/tests/lab/cache/nlcap" "$repo/tests/lab/tools/nlcap.c"
rm -f "$repo"/tests/Appliance.Tests/Ipvs/Golden/*.nlmon
exec "$repo/tests/lab/scenarios/ipvs-lab.sh" tests/lab/scenarios/ipvs-golden-capture.guest.sh
