# Scenario: LVS-NAT and LVS-DR, set up with ipvsadm in the namespace topology, serve a
# client from two real servers. NAT runs in dirA (VIP 192.0.2.100, the real servers' gateway
# 198.51.100.1), DR in dirB (VIP 192.0.2.101, real servers hold it on lo); two directors,
# two IPVS tables. DR replies go from the real servers via their gateway (dirA) straight
# to the client, never through dirB.
#@ timeout 120

# collect NS URL N: the distinct bodies of N requests, sorted, space separated.
collect() {
  i=0
  : > /tmp/answers
  while [ $i -lt "$3" ]; do
    lab_http_get "$1" "$2" >> /tmp/answers || lab_fail "GET $2 from $1 failed (request $((i + 1)) of $3)"
    i=$((i + 1))
  done
  sort -u /tmp/answers | tr '\n' ' '
}

# service_stats NS VIP:PORT: "conns inpkts outpkts inbytes outbytes" of a TCP service.
service_stats() {
  lab_ns "$1" ipvsadm -Ln --stats | awk -v s="$2" '$1 == "TCP" && $2 == s {print $3, $4, $5, $6, $7}'
}

# stats_match NS VIP:PORT nat|dr: at least 4 connections; replies through the director
# for NAT, none for DR.
stats_match() {
  set -- "$3" $(service_stats "$1" "$2")
  [ -n "$2" ] && [ "$2" -ge 4 ] && [ "$3" -gt 0 ] || return 1
  if [ "$1" = nat ]; then [ "$4" -gt 0 ]; else [ "$4" -eq 0 ]; fi
}

scenario_main() {
  lab_topology
  lab_http_server rs1
  lab_http_server rs2

  # LVS-NAT in dirA.
  $IP -n dirA addr add 192.0.2.100/24 dev pub
  $IP -n dirA addr add "$LAB_RS_GW/24" dev rs
  lab_ns dirA ipvsadm -A -t 192.0.2.100:80 -s rr
  lab_ns dirA ipvsadm -a -t 192.0.2.100:80 -r 198.51.100.11:80 -m
  lab_ns dirA ipvsadm -a -t 192.0.2.100:80 -r 198.51.100.12:80 -m
  got=$(collect client http://192.0.2.100/ 4)
  echo "LAB: NAT answers: $got"
  [ "$got" = "rs1 rs2 " ] || lab_fail "LVS-NAT via 192.0.2.100 answered '$got', expected both rs1 and rs2"
  lab_ns dirA ipvsadm -Ln | grep -q '198.51.100.11:80 *Masq' || lab_fail "dirA does not list 198.51.100.11:80 as Masq"
  # NAT: replies come back through the director (OutPkts > 0). The kernel publishes
  # the counters every 2 s.
  wait_for "stats_match dirA 192.0.2.100:80 nat" 10 "dirA's NAT stats do not show 4 connections with replies through it: $(service_stats dirA 192.0.2.100:80)"
  echo "LAB: NAT service stats (conns inpkts outpkts inbytes outbytes): $(service_stats dirA 192.0.2.100:80)"
  [ -z "$(lab_ns dirB ipvsadm -Ln | grep TCP)" ] || lab_fail "dirB's IPVS table shows dirA's service: tables are not per namespace"

  # LVS-DR in dirB.
  lab_rs_dr rs1 192.0.2.101
  lab_rs_dr rs2 192.0.2.101
  $IP -n dirB addr add 192.0.2.101/24 dev pub
  lab_ns dirB ipvsadm -A -t 192.0.2.101:80 -s rr
  lab_ns dirB ipvsadm -a -t 192.0.2.101:80 -r 198.51.100.11:80 -g
  lab_ns dirB ipvsadm -a -t 192.0.2.101:80 -r 198.51.100.12:80 -g
  got=$(collect client http://192.0.2.101/ 4)
  echo "LAB: DR answers: $got"
  [ "$got" = "rs1 rs2 " ] || lab_fail "LVS-DR via 192.0.2.101 answered '$got', expected both rs1 and rs2"
  lab_ns dirB ipvsadm -Ln | grep -q '198.51.100.12:80 *Route' || lab_fail "dirB does not list 198.51.100.12:80 as Route"
  # DR: replies bypass the director (OutPkts = 0) and reached the client all the same.
  wait_for "stats_match dirB 192.0.2.101:80 dr" 10 "dirB's DR stats do not show 4 connections with replies bypassing it: $(service_stats dirB 192.0.2.101:80)"
  echo "LAB: DR service stats (conns inpkts outpkts inbytes outbytes): $(service_stats dirB 192.0.2.101:80)"
}
