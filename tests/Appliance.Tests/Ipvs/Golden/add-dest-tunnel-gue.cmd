# ipvsadm -a -t 192.0.2.100:80 -r 10.0.0.14:80 -i --tun-type gue --tun-port 6080 --tun-nocsum -w 2
