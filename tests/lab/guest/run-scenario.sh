#!/bin/sh
# Guest side of the lab (started by the lab initramfs hook): runs scenario_main of
# /lab/scenarios/NAME.sh and prints one verdict line the host runner waits for:
#   LAB-RESULT role=ROLE PASS | LAB-RESULT role=ROLE FAIL reason
# The VM keeps running afterwards; the host ends it once every VM has reported, so that a
# last message on a cable is never cut off by a power-off.
name=$1
LAB_ROLE=${LAB_ROLE:-a}
export LAB_ROLE
. /lab/guest/lib.sh
# Scenarios live in scenarios/; `make run` uses run/NAME (a path under tests/lab).
file=/lab/scenarios/$name.sh
[ -f "$file" ] || file=/lab/$name.sh
if [ ! -f "$file" ]; then
  echo "LAB-RESULT role=$LAB_ROLE FAIL no scenario $name in the guest's /lab"
  exit 0
fi
. "$file"
echo "LAB: scenario $name, role $LAB_ROLE: starting"
rm -f /tmp/lab-fail
# Not inside `if`: a shell ignores set -e in an if condition, subshell included.
( set -e; scenario_main )
if [ $? -eq 0 ]; then
  echo "LAB-RESULT role=$LAB_ROLE PASS"
else
  echo "LAB-RESULT role=$LAB_ROLE FAIL $(cat /tmp/lab-fail 2>/dev/null || echo "scenario_main failed (a command returned non-zero; see the lines above)")"
fi
