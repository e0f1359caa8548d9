# ipvsadm -A -u 192.0.2.100:5060 -s rr -p 60 --pe sip
