# `make run`: director VM a or b. The product boots as on hardware: /init mounts the boot
# partition, the supervisor runs `appliance run --config /boot/appliance.ini` (this director's
# own INI, written onto its boot disk by tests/lab/run.sh), and the daemon does everything
# else: VRRP over eth1, the VIPs on eth0, IPVS from the INI, HTTP_GET checks of the real
# servers, connection sync, the watchdog (i6300esb).
#   eth0 public LAN (the lan VM's bridge), eth1 heartbeat cable, ttyS1 null-modem cable.
# This script only does what the site's network set-up does for a real box: the NICs' own
# addresses (the product has no configuration key for them yet; see docs/lab.md), then it
# reports what the daemon did. It never touches VIPs or IPVS.

scenario_main() {
  if [ "$LAB_ROLE" = a ]; then n=2 hb=203.0.113.1 peer=203.0.113.2; else n=3 hb=203.0.113.2 peer=203.0.113.1; fi
  $IP addr add "192.0.2.$n/24" dev eth0
  $IP addr add "198.51.100.$n/24" dev eth0
  $IP addr add "$hb/24" dev eth1
  $IP link set eth0 up
  $IP link set eth1 up
  # One-armed NAT: replies leave by the interface they came in on; no redirects.
  sysctl -q -w net.ipv4.conf.all.send_redirects=0 net.ipv4.conf.eth0.send_redirects=0
  echo "RUN: director $LAB_ROLE: eth0 192.0.2.$n/24 + 198.51.100.$n/24, eth1 $hb/24 (own addresses); the daemon does the rest"
  wait_for "ping -c1 -W1 $peer" 120 "the other director ($peer) does not answer over the heartbeat cable eth1"
  echo "RUN: director $LAB_ROLE: heartbeat cable up, peer $peer answers"
  # The daemon logs its role ("director is MASTER/BACKUP") on this console by itself. The
  # table it programmed from appliance.ini and the health checks (both directors keep it; the
  # backup's is idle until it holds the VIPs):
  wait_for "ipvsadm -Ln | grep -q Masq" 90 "the daemon put no real server into IPVS (health checks of 198.51.100.11/.12 failing?)"
  echo "RUN: director $LAB_ROLE: IPVS as programmed by the daemon (ipvsadm -Ln):"
  ipvsadm -Ln
}
