# ipvsadm -D -u 192.0.2.100:53
