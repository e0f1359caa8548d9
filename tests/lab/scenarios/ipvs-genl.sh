# Scenario: the kernel answers the IPVS generic-netlink family.
#@ timeout 60
# No daemon: it would reconcile the factory configuration's services into the same table between
# the two listings compared below (seen once in a fresh-clone make test); the daemon's own
# reconciling is what director-pair and ipvs-scenarios test.
#@ daemon off

scenario_main() {
  [ -e /proc/net/ip_vs ] || lab_fail "/proc/net/ip_vs is missing: ip_vs was not loaded at boot"
  fam=$(/usr/sbin/genl ctrl get name IPVS 2>&1) || lab_fail "the kernel does not resolve generic-netlink family IPVS: $fam"
  echo "$fam"
  echo "$fam" | grep -q 'Name: IPVS' || lab_fail "genl ctrl get name IPVS answered without the family: $fam"

  ipvsadm -A -t 192.0.2.100:80 -s wlc || lab_fail "ipvsadm could not add service TCP 192.0.2.100:80"
  ipvsadm -a -t 192.0.2.100:80 -r 198.51.100.11:80 -m -w 3 || lab_fail "ipvsadm could not add real server 198.51.100.11:80"
  ipvsadm -A -u 192.0.2.100:53 -s mh || lab_fail "ipvsadm could not add UDP service with scheduler mh"
  ipvsadm -Ln

  # The appliance's own IPVS client (src/Ipvs, `appliance ipvs list`) must read back what
  # ipvsadm configured: the kernel answers the IPVS family through the appliance's code path.
  list=$(appliance ipvs list 2>&1) || lab_fail "appliance ipvs list failed: $list"
  echo "$list"
  echo "$list" | grep -q 'TCP  192.0.2.100:80 wlc' || lab_fail "appliance ipvs list does not show TCP 192.0.2.100:80 wlc: $list"
  echo "$list" | grep -q '198.51.100.11:80 *Masq *3' || lab_fail "appliance ipvs list does not show 198.51.100.11:80 Masq weight 3: $list"
  echo "$list" | grep -q 'UDP  192.0.2.100:53 mh' || lab_fail "appliance ipvs list does not show UDP 192.0.2.100:53 mh: $list"
  [ "$list" = "$(ipvsadm -Ln)" ] || lab_fail "appliance ipvs list and ipvsadm -Ln differ"
  ipvsadm -C
  # This VM has no watchdog device: /init loaded softdog as the fallback /dev/watchdog.
  grep -qi 'software watchdog' /sys/class/watchdog/watchdog0/identity 2>/dev/null ||
    lab_fail "without a hardware watchdog, watchdog0 is '$(cat /sys/class/watchdog/watchdog0/identity 2>/dev/null)', not softdog"
}
