# Lab hook, sourced by /init of the lab initramfs (never part of the product image).
# With lab.scenario=NAME on the kernel command line it mounts the host's tests/lab folder
# (9p tag "lab", read-only) at /lab and starts the scenario in the background; the
# scenario reports on the console and powers the VM off.
lab_scenario=
lab_role=a
for arg in $(cat /proc/cmdline); do
  case "$arg" in
    lab.scenario=*) lab_scenario=${arg#lab.scenario=} ;;
    lab.role=*) lab_role=${arg#lab.role=} ;;
    # A lab VM that is not a director (the LAN of `make run`) runs no daemon.
    lab.daemon=off) sed -i '/appliance-supervise/d' /etc/inittab ;;
  esac
done
if [ -n "$lab_scenario" ]; then
  mkdir -p /lab
  if mount -t 9p -o trans=virtio,version=9p2000.L,ro lab /lab; then
    log "lab: scenario $lab_scenario, role $lab_role"
    LAB_ROLE=$lab_role setsid /bin/sh /lab/guest/run-scenario.sh "$lab_scenario" </dev/null >/dev/console 2>&1 &
  else
    echo "LAB-RESULT role=$lab_role FAIL mounting the lab folder over 9p failed"
  fi
fi
