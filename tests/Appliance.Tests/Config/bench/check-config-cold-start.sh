#!/usr/bin/env bash
# Cold start of `appliance check-config` on the factory default, against keepalived 2.2.7's
# config test (`keepalived -t`) on the same configuration written in keepalived's syntax
# (keepalived-factory.conf), in one hyperfine run. keepalived -t checks that interfaces exist,
# so both run inside a network namespace holding eth0 and eth1 (veth; the host has no dummy).
# Usage (root, from the repository root, after `make`): tests/Appliance.Tests/Config/bench/check-config-cold-start.sh
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
bin=${APPLIANCE_BIN:-out/bin/appliance}
factory=rootfs/etc/appliance/factory.ini
ns=cfgbench-$$
tests/tools/install-deps.sh host
ip netns add "$ns"
trap 'ip netns del "$ns"' EXIT
for i in 0 1; do
  ip -n "$ns" link add "eth$i" type veth peer name "peer$i"
  ip -n "$ns" link set "eth$i" up
done
ip netns exec "$ns" keepalived -t -f "$here/keepalived-factory.conf"   # must pass before timing it
"$bin" check-config "$factory" >/dev/null
hyperfine -N --warmup 20 --runs "${RUNS:-300}" --export-json "${JSON:-/tmp/check-config-cold-start.json}" \
  "$bin check-config $factory" \
  "ip netns exec $ns $bin check-config $factory" \
  "ip netns exec $ns keepalived -t -f $here/keepalived-factory.conf"
