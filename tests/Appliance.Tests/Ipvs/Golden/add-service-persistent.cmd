# ipvsadm -A -t 192.0.2.100:443 -s sh -b sh-fallback,sh-port -p 600 -M 255.255.255.0
