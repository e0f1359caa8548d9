# Guest: IPVS is there and ipvsadm talks to it.
set -e
modprobe ip_vs
ipvsadm -Ln
ipvsadm -A -t 192.0.2.1:80 -s rr
ipvsadm -a -t 192.0.2.1:80 -r 10.0.0.1:80 -m -w 3
ipvsadm -Ln
ipvsadm -A -t 192.0.2.1:81 -s twos || echo "twos refused: $?"
ls /lib/modules/*/kernel/net/netfilter/ipvs/
