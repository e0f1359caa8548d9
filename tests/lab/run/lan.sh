# `make run`: the LAN VM. Its eth0 and eth1 are cabled to the directors' public NICs and
# bridged; two real servers and a client live in network namespaces on that bridge. The
# client fetches http://192.0.2.10/ (the VIP) once a second and prints the time and which
# real server answered, so a failover shows as a short gap in the answers.
# By hand, on this console:  ip netns exec client wget -q -O - http://192.0.2.10/

scenario_main() {
  lab_bridge br0
  $IP link set eth0 master br0 up
  $IP link set eth1 master br0 up
  for ns in rs1 rs2 client; do $IP netns add $ns; $IP -n $ns link set lo up; done
  lab_port rs1 eth0 br0 198.51.100.11/24
  lab_port rs2 eth0 br0 198.51.100.12/24
  lab_port client eth0 br0 192.0.2.50/24
  # NAT real servers answer through the gateway address the MASTER director holds.
  $IP -n rs1 route add default via 198.51.100.1
  $IP -n rs2 route add default via 198.51.100.1
  lab_http_server rs1
  lab_http_server rs2
  # The directors' HTTP_GET checks (factory.ini: url_path /healthz, status 200).
  echo ok > /tmp/www-rs1/healthz
  echo ok > /tmp/www-rs2/healthz
  echo "RUN: real servers rs1 198.51.100.11 and rs2 198.51.100.12 serve HTTP; client is 192.0.2.50"
  while :; do
    # Bounded to 2 s (busybox wget -T crashes), so a dead director shows as a short gap.
    if body=$(lab_ns client timeout 2 wget -q -O - http://192.0.2.10/ 2>/dev/null); then
      echo "RUN: $(date +%T) client GET http://192.0.2.10/ -> served by $body"
    else
      echo "RUN: $(date +%T) client GET http://192.0.2.10/ -> no answer"
    fi
    sleep 1
  done
}
