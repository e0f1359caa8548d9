#!/usr/bin/env bash
# Host: builds the appliance and runs the IPVS scenarios on Debian's kernel in the QEMU lab.
set -euo pipefail
repo=$(cd "$(dirname "$0")/../../.." && pwd)
make -C "$repo" out/bin/appliance >/dev/null
exec "$repo/tests/lab/scenarios/ipvs-lab.sh" tests/lab/scenarios/ipvs-scenarios.guest.sh
