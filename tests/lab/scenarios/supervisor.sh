# Scenario: the supervisor restarts a daemon that exits, with back-off, and ends a crash
# loop in FAULT instead of flapping. A second supervisor (own state and log files) runs
# the real binary against a configuration file that does not exist, so every start fails
# the way a broken appliance.ini would; the boot's own supervisor is untouched.
#@ timeout 90

scenario_main() {
  sv=/tmp/sv
  mkdir -p $sv
  echo /nonexistent/appliance.ini > $sv/config
  # The FAULT LED: the lab machine has no front panel, but the PS/2 keyboard's LEDs are
  # real LED class devices (input-leds); capslock stands in for director:red:fault.
  led=$(ls -d /sys/class/leds/input*::capslock 2>/dev/null | head -1)
  [ -n "$led" ] || lab_fail "no keyboard LED class device (input-leds) to stand in for the FAULT LED"
  echo 0 > "$led/brightness"
  APPLIANCE_FAULT_LED=$led APPLIANCE_MAX_STARTS=3 APPLIANCE_WINDOW=60 APPLIANCE_SUPERVISOR_STATE=$sv/state \
    APPLIANCE_LOG=$sv/daemon.log APPLIANCE_CONFIG_CHOICE=$sv/config \
    /sbin/appliance-supervise > $sv/out 2>&1 &
  pid=$!
  # Starts at 0 s, +1 s, +2 s (back-off 1 then 2): FAULT after the third exit.
  wait_for "grep -q FAULT $sv/state" 30 "the supervisor did not reach FAULT after repeated exits (state: $(cat $sv/state 2>/dev/null); output: $(tail -n 3 $sv/out | tr '\n' ' '))"
  sed 's/^/supervisor under test| /' $sv/out
  starts=$(grep -c 'starting: /usr/bin/appliance run --config /nonexistent/appliance.ini' $sv/out)
  [ "$starts" -eq 3 ] || lab_fail "expected exactly 3 starts before FAULT, saw $starts"
  grep -q 'restart 1 of at most 2 within 60 s, in 1 s$' $sv/out || lab_fail "no first back-off of 1 s"
  grep -q 'restart 2 of at most 2 within 60 s, in 2 s$' $sv/out || lab_fail "no doubled back-off of 2 s"
  grep -q '\*\*\* FAULT: the appliance daemon ended 3 times within 60 s (last: exit status [1-9][0-9]*)' $sv/out ||
    lab_fail "the FAULT message does not name the count and the exit status"
  [ "$(cat "$led/brightness")" -gt 0 ] || lab_fail "the FAULT LED ($led) is not lit in FAULT"
  dmesg | grep -q 'appliance-supervise: FAULT' ||
    lab_fail "the FAULT line is not in the kernel log"
  # In FAULT the supervisor stays (so init does not respawn it) and starts nothing more:
  # it is parked in its hold loop (a sleep child), and no daemon of its runs.
  kill -0 $pid || lab_fail "the supervisor exited in FAULT (init would respawn it)"
  wait_for "grep -q '^PPid:.$pid\$' /proc/[0-9]*/status" 5 "the supervisor in FAULT is not parked in its hold loop"
  for p in $(pidof appliance); do
    grep -q -- '--config./nonexistent' /proc/$p/cmdline && lab_fail "a daemon of the FAULTed supervisor still runs (pid $p)"
  done
  [ "$(grep -c 'starting:' $sv/out)" -eq 3 ] || lab_fail "the supervisor started the daemon again after FAULT"
  kill $pid
  # The boot's own supervisor still runs the real daemon.
  [ "$(cat /run/appliance/supervisor)" = RUNNING ] || lab_fail "the boot supervisor's state changed to $(cat /run/appliance/supervisor)"
}
