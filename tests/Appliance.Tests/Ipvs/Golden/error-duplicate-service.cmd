# ipvsadm -A -t 192.0.2.100:80 -s wlc
