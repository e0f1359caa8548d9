# ipvsadm -A -t 192.0.2.100:81 -s twos
