# ipvsadm -A -u 192.0.2.100:53 -s rr -o
