# ipvsadm -A --sctp-service 192.0.2.100:3868 -s wrr
