# Scenario: the image boots and the daemon starts from the boot partition's INI.
# The lab boots the kernel directly (PVH) but mounts the same appliance.img disk, so /init
# finds the APPLBOOT partition exactly as on hardware. disk-boot proves the bootloader.
#@ timeout 60

scenario_main() {
  grep -q ' /boot vfat ro[ ,]' /proc/mounts || lab_fail "the boot partition is not mounted read-only at /boot ($(grep /boot /proc/mounts || echo 'not mounted'))"
  [ -f /boot/appliance.ini ] || lab_fail "/boot/appliance.ini is missing on the boot partition"
  [ "$(cat /run/appliance/config)" = /boot/appliance.ini ] || lab_fail "init chose $(cat /run/appliance/config), not /boot/appliance.ini"
  wait_for "lab_no_fault; lab_daemon_log_has 'loaded configuration from /boot/appliance.ini'" 30 \
    "the daemon did not log 'loaded configuration from /boot/appliance.ini' (last daemon lines: $(tail -n 2 /run/log/appliance.log 2>/dev/null | tr '\n' ' '))"
  lab_no_fault
  pidof appliance >/dev/null || lab_fail "no appliance process runs after it loaded its configuration"
  [ "$(cat /run/appliance/supervisor)" = RUNNING ] || lab_fail "supervisor state is $(cat /run/appliance/supervisor), not RUNNING"
}
