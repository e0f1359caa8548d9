# `make run`: the setup of director VM a or b, run by the lab hook after the daemon started.
#   eth0 public LAN (the lan VM's bridge), eth1 heartbeat cable, ttyS1 null-modem cable.
# STATIC STAND-IN until the daemon drives VRRP and IPVS itself: director a holds the VIP
# 192.0.2.10 and the real servers' gateway 198.51.100.1 statically and its IPVS table is
# set with ipvsadm (LVS-NAT, wlc, the two real servers of factory.ini); director b stays
# idle. Both run `appliance run` with their appliance.ini all the same.
# TODO (to run the real daemon here instead): `appliance run` now starts VRRP, IPVS, health,
# sync and LEDs from appliance.ini (scenarios/director-pair.sh). Here the boot's daemon starts
# BEFORE this script gives eth0/eth1 their addresses; VRRP retries its start every second
# (VrrpHost) and so should come up once they are set, but this was not tried. Also needed:
# director b's FAT image edited as today (priority 100), factory.ini's HTTP_GET url_path /healthz
# served by lan.sh's real servers, then delete the static block below.

scenario_main() {
  if [ "$LAB_ROLE" = a ]; then n=2 hb=203.0.113.1 peer=203.0.113.2; else n=3 hb=203.0.113.2 peer=203.0.113.1; fi
  $IP addr add "192.0.2.$n/24" dev eth0
  $IP addr add "198.51.100.$n/24" dev eth0
  $IP addr add "$hb/24" dev eth1
  $IP link set eth0 up
  $IP link set eth1 up
  # One-armed NAT: replies leave by the interface they came in on; no redirects.
  sysctl -q -w net.ipv4.conf.all.send_redirects=0 net.ipv4.conf.eth0.send_redirects=0
  wait_for "ping -c1 -W1 $peer" 90 "the other director ($peer) does not answer over the heartbeat cable eth1"
  echo "RUN: director $LAB_ROLE: heartbeat cable up, peer $peer answers"
  if [ "$LAB_ROLE" = a ]; then
    $IP addr add 192.0.2.10/24 dev eth0
    $IP addr add 198.51.100.1/24 dev eth0
    arping -U -c 2 -I eth0 192.0.2.10 >/dev/null 2>&1 || true
    ipvsadm -A -t 192.0.2.10:80 -s wlc
    ipvsadm -a -t 192.0.2.10:80 -r 198.51.100.11:80 -m
    ipvsadm -a -t 192.0.2.10:80 -r 198.51.100.12:80 -m
    echo "RUN: director a holds VIP 192.0.2.10 (static stand-in for VRRP) with IPVS NAT to 198.51.100.11/.12 (set by ipvsadm):"
    ipvsadm -Ln
  else
    echo "RUN: director b is the standby (no VIP; VRRP takeover is not wired yet)"
  fi
}
